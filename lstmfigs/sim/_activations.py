"""Overflow-free sigmoid and tanh with ``out=`` buffers.

``np.tanh`` saturates cleanly to +-1 for every finite input (no overflow flag, no NaN), so
the logistic function is computed from it: ``sigmoid(x) = 0.5 + 0.5 * tanh(x / 2)``.  Scaling
by 0.5 is exact in binary floating point, so this agrees with ``1 / (1 + exp(-x))`` to
rounding, without the ``exp`` overflow at large negative ``x``.  The LSTM kernel uses the
same identity with the 0.5 folded into its weights (see ``lstm.py``).
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function, stable for all finite ``x``; keeps ``x.dtype``."""
    out = np.multiply(x, x.dtype.type(0.5), out=out)
    np.tanh(out, out=out)
    out *= x.dtype.type(0.5)
    out += x.dtype.type(0.5)
    return out


def tanh(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Hyperbolic tangent (NumPy's is already stable); here for symmetry with sigmoid."""
    return np.tanh(x, out=out)
