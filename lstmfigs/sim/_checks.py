"""Validation of user input: every failure is one :class:`LstmfigsError` line that names
the argument and what was expected, so callers never meet a bare NumPy broadcasting error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import LstmfigsError

#: The floating-point types the simulator computes in.  Nothing is ever upcast silently.
DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}


def resolve_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """``"float32"``/``"float64"`` (or the NumPy types) as a NumPy dtype."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in DTYPES:
        raise LstmfigsError(f"{name}: expected 'float32' or 'float64', got {dtype!r}")
    return resolved


def positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise LstmfigsError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def _shape_text(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def array(
    value: Any,
    name: str,
    shape: tuple[int | str | None, ...],
    dtype: np.dtype,
    *,
    finite: bool = True,
) -> np.ndarray:
    """``value`` as an array of exactly ``dtype`` and ``shape`` (``None``/str = any size).

    A string entry names the size in the message (``"T"``); mismatches, other dtypes and
    (with ``finite``) NaN or infinite entries raise :class:`LstmfigsError`.
    """
    arr = np.asarray(value)
    expected = _shape_text(shape)
    if arr.ndim != len(shape) or any(
        isinstance(want, int) and got != want for got, want in zip(arr.shape, shape)
    ):
        raise LstmfigsError(f"{name}: expected shape {expected}, got {arr.shape}")
    if arr.dtype != dtype:
        raise LstmfigsError(
            f"{name}: expected dtype {dtype.name}, got {arr.dtype.name} "
            f"(convert explicitly with .astype('{dtype.name}'))"
        )
    if finite and not np.isfinite(arr).all():
        raise LstmfigsError(f"{name}: contains NaN or infinite values")
    return arr


def mapping_entry(mapping: Mapping[str, Any], key: str, name: str) -> Any:
    """``mapping[key]``, or an error naming the missing key."""
    if key not in mapping:
        raise LstmfigsError(f"{name}: missing key '{key}'")
    return mapping[key]
