"""Validation of user input: every failure is one :class:`LstmfigsError` line that names
the argument and what was expected, so callers never meet a bare NumPy broadcasting error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import LstmfigsError

#: The floating-point types the simulator computes in.  Nothing is ever upcast silently.
DTYPES: dict[str, np.dtype[Any]] = {
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
}


def resolve_dtype(dtype: Any, name: str = "dtype") -> np.dtype[Any]:
    """``"float32"``/``"float64"`` (or the NumPy types) as a NumPy dtype."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in DTYPES:
        raise LstmfigsError(f"{name}: expected 'float32' or 'float64', got {dtype!r}")
    return DTYPES[resolved.name]


def seed(value: Any, name: str = "seed") -> int:
    """A random seed: a non-negative integer (a bool or a float is a mistake, not a seed)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise LstmfigsError(f"{name}: expected a non-negative integer, got {value!r}")
    return int(value)


def positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise LstmfigsError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise LstmfigsError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def plain_array(value: Any, name: str) -> np.ndarray:
    """``value`` as a NumPy array; torch tensors without importing torch.

    A tensor that requires grad (``dict(model.named_parameters())``) is detached; one on
    another device is copied to the CPU; bfloat16 and float16 tensors, which NumPy cannot
    hold, become float32 (exactly: every such value is a float32 value).
    """
    if type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach"):
        tensor = value.detach().cpu()
        if str(tensor.dtype) in ("torch.bfloat16", "torch.float16"):
            tensor = tensor.float()
        try:
            return np.asarray(tensor.numpy())
        except (TypeError, RuntimeError) as error:
            raise LstmfigsError(f"{name}: cannot convert a {tensor.dtype} tensor to an array "
                                f"({' '.join(str(error).split())})") from None
    try:
        return np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as error:
        raise LstmfigsError(f"{name}: expected an array of numbers "
                            f"({' '.join(str(error).split())})") from None


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
        isinstance(want, int) and got != want for got, want in zip(arr.shape, shape, strict=True)
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
