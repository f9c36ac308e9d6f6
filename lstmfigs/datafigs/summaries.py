"""Small reductions every data figure's numbers share: rounding for the summaries the
command line prints, and the units a dashboard traces."""

from __future__ import annotations

import numpy as np


def round4(value: float) -> float:
    """Four significant digits: summaries are for reading, the data for computing.

    Parameters
    ----------
    value : float
        A number.

    Returns
    -------
    float
    """
    return float(f"{float(value):.4g}")


def traced_units(states: np.ndarray, count: int = 4) -> np.ndarray:
    """The units a dashboard traces one by one.

    Parameters
    ----------
    states : ndarray
        One sequence's values (T, H).
    count : int
        How many units.

    Returns
    -------
    ndarray
        The ``count`` units whose values vary most over the sequence, in unit order.
    """
    spread = states.std(axis=0)
    return np.sort(np.argsort(-spread, kind="stable")[:count])
