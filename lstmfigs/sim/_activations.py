"""Activation functions, exactly as PyTorch and Keras 3 define them, with ``out=`` buffers.

``np.tanh`` saturates cleanly to +-1 for every finite input (no overflow flag, no NaN), so
the logistic function is computed from it: ``sigmoid(x) = 0.5 + 0.5 * tanh(x / 2)``.  Scaling
by 0.5 is exact in binary floating point, so this agrees with ``1 / (1 + exp(-x))`` to
rounding, without the ``exp`` overflow at large negative ``x``.  The LSTM kernel uses the
same identity with the 0.5 folded into its weights (see ``lstm.py``).

The other activations a Keras recurrent layer may name are here too: ``hard_sigmoid`` is
Keras 3's ``relu6(x + 3) / 6`` (Keras 2 used ``clip(0.2 x + 0.5, 0, 1)``, a different
function), ``relu`` and ``linear``.  Derivatives at the kinks are those of autograd: 0 at
relu's 0 and at hard_sigmoid's -3 and 3.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import LstmfigsError

#: Names the simulator computes exactly (Keras' names; PyTorch's tanh/relu/sigmoid too).
NAMES = ("sigmoid", "tanh", "hard_sigmoid", "relu", "linear")


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function, stable for all finite ``x``; keeps ``x.dtype``."""
    out = np.multiply(x, x.dtype.type(0.5), out=out)
    np.tanh(out, out=out)
    out *= x.dtype.type(0.5)
    out += x.dtype.type(0.5)
    return out


def tanh(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Hyperbolic tangent (NumPy's is already stable); here for symmetry with sigmoid."""
    return np.asarray(np.tanh(x, out=out))


def hard_sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Keras 3: ``relu6(x + 3) / 6``."""
    out = np.add(x, x.dtype.type(3), out=out)
    np.clip(out, 0, 6, out=out)
    out /= x.dtype.type(6)
    return out


def relu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.asarray(np.maximum(x, x.dtype.type(0), out=out))


def linear(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    if out is None:
        return x.copy()
    out[...] = x
    return out


def check(name: object, argument: str) -> str:
    """``name`` if the simulator computes that activation exactly, else a one-line error."""
    if name not in NAMES:
        raise LstmfigsError(f"{argument}: expected one of {', '.join(NAMES)} (computed exactly), "
                            f"got {name!r}")
    return str(name)


FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "sigmoid": sigmoid, "tanh": tanh, "hard_sigmoid": hard_sigmoid, "relu": relu, "linear": linear}


def derivative(name: str, pre: np.ndarray, value: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The derivative of activation ``name`` at ``pre`` (whose value is ``value``), into ``out``."""
    one = value.dtype.type(1)
    if name == "sigmoid":
        np.subtract(one, value, out=out)
        out *= value
    elif name == "tanh":
        np.square(value, out=out)
        np.subtract(one, out, out=out)
    elif name == "hard_sigmoid":
        inside = (pre > -3) & (pre < 3)
        np.multiply(inside, value.dtype.type(1 / 6), out=out)
    elif name == "relu":
        np.greater(pre, 0, out=out, casting="unsafe")
    else:
        out[...] = one
    return out
