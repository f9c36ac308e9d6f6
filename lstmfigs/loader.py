"""The one loader for a user's own model and data.

Weights come from ``.npz`` files (or mappings of arrays) with PyTorch or Keras key names;
input sequences from ``.npy``/``.csv`` files (or arrays).  Files are read through
:mod:`lstmfigs.safeio`: only regular files, within size bounds, headers checked before
anything is allocated, nothing unpickled.  Every problem is a one-line
:class:`~lstmfigs.errors.LstmfigsError` that names the file or argument and what was
expected, so the CLI exits with status 2 and writes nothing.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from typing import Any, Union

import numpy as np

from . import safeio
from .errors import LstmfigsError
from .sim import LSTM

WeightsSource = Union[str, "os.PathLike[str]", Mapping[str, Any]]
InputsSource = Union[str, "os.PathLike[str]", np.ndarray, Any]


def read_weights(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The named arrays of a weights file (``.npz``), checked and bounded.

    Parameters
    ----------
    path : str or os.PathLike
        An ``.npz`` archive of named arrays (``np.savez``).

    Returns
    -------
    dict of str to numpy.ndarray
        The arrays by name.
    """
    return safeio.load_npz(path, "weights file")


def _keras_name(key: str) -> str:
    return key.rsplit("/", 1)[-1].split(":", 1)[0]


def load_lstm(weights: WeightsSource) -> LSTM:
    """An :class:`~lstmfigs.sim.LSTM` from a ``.npz`` path or a mapping of arrays.

    PyTorch names (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ...;
    stacked layers allowed) or Keras names (``kernel``, ``recurrent_kernel``, ``bias``,
    possibly with a layer prefix such as ``lstm/`` and a ``:0`` suffix).
    """
    if isinstance(weights, (str, os.PathLike)):
        source = f"weights file '{os.fspath(weights)}'"
        arrays = read_weights(weights)
    elif isinstance(weights, Mapping):
        source = "weights"
        arrays = {str(key): np.asarray(value) for key, value in weights.items()}
    else:
        raise LstmfigsError(f"weights: expected a path to an .npz file or a mapping of arrays, "
                            f"got {type(weights).__name__}")
    if "weight_ih_l0" in arrays:
        recurrent = arrays.get("weight_hh_l0")
        if recurrent is not None and recurrent.ndim == 2 and arrays["weight_ih_l0"].ndim == 2 \
                and arrays["weight_ih_l0"].shape[0] != 4 * recurrent.shape[1]:
            raise LstmfigsError(
                f"{source}: not an LSTM (weight_ih_l0 has {arrays['weight_ih_l0'].shape[0]} rows; "
                f"an LSTM with {recurrent.shape[1]} units has {4 * recurrent.shape[1]})")
        try:
            return LSTM.from_torch(arrays)
        except LstmfigsError as error:
            raise LstmfigsError(f"{source}: {error}") from None
    keras = {_keras_name(key): value for key, value in arrays.items()}
    if {"kernel", "recurrent_kernel"} <= set(keras):
        try:
            return LSTM.from_keras(keras["kernel"], keras["recurrent_kernel"], keras.get("bias"))
        except LstmfigsError as error:
            raise LstmfigsError(f"{source}: {error}") from None
    found = ", ".join(sorted(arrays)[:6]) or "nothing"
    raise LstmfigsError(f"{source}: expected PyTorch keys (weight_ih_l0, weight_hh_l0, "
                        f"bias_ih_l0, bias_hh_l0) or Keras keys (kernel, recurrent_kernel, "
                        f"bias); found {found}")


def _read_csv(path: str | os.PathLike[str]) -> np.ndarray:
    """Rows are time steps, columns input features; one header line is allowed."""
    text = safeio.read_text(path, "input file", safeio.MAX_TEXT_BYTES)
    for header_lines in (0, 1):
        try:
            return np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2, skiprows=header_lines,
                              dtype=np.float64)
        except ValueError as error:
            reason = " ".join(str(error).split())
    raise LstmfigsError(f"cannot read input file '{os.fspath(path)}' as CSV of numbers "
                        f"({reason[:200]})")


def load_inputs(inputs: InputsSource, input_size: int, dtype: Any = np.float32) -> np.ndarray:
    """An input sequence as a (T, B, I) array of ``dtype`` (converted explicitly).

    ``inputs``: a ``.npy`` or ``.csv`` path, or an array; (T, I) is one sequence, (T, B, I)
    a batch (time-major, like the simulator).  CSV rows are time steps.
    """
    if isinstance(inputs, (str, os.PathLike)):
        name = f"input file '{os.fspath(inputs)}'"
        suffix = os.path.splitext(os.fspath(inputs))[1].lower()
        if suffix == ".npy":
            array = safeio.load_npy(inputs, "input file")
        elif suffix == ".csv":
            array = _read_csv(inputs)
        else:
            raise LstmfigsError(f"{name}: expected a .npy or .csv file, got "
                                f"'{suffix or os.path.basename(os.fspath(inputs))}'")
    else:
        name = "inputs"
        try:
            array = np.asarray(inputs)
        except (TypeError, ValueError) as error:
            raise LstmfigsError(f"inputs: expected an array of numbers ({error})") from None
    if array.dtype.kind not in "fiub":
        raise LstmfigsError(f"{name}: expected numbers, got dtype {array.dtype}")
    if array.ndim == 2:
        array = array[:, None, :]
    if array.ndim != 3 or array.shape[0] < 1 or array.shape[1] < 1:
        raise LstmfigsError(f"{name}: expected shape (T, {input_size}) or (T, B, {input_size}), "
                            f"got {array.shape}")
    if array.shape[-1] != input_size:
        raise LstmfigsError(f"{name}: expected {input_size} input features per step (the "
                            f"model's input size), got shape {array.shape}")
    if not np.isfinite(array).all():
        raise LstmfigsError(f"{name}: contains NaN or infinite values")
    return array.astype(dtype)
