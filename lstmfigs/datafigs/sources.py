"""A user's own model and data: weights from ``.npz`` files (or mappings) with PyTorch or
Keras key names, input sequences from ``.npy``/``.csv`` files (or arrays).

Every problem is a one-line :class:`~lstmfigs.errors.LstmfigsError` that names the file
or argument and what was expected, so the CLI exits with status 2 and writes nothing.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..errors import LstmfigsError
from ..sim import LSTM

WeightsSource = Union[str, "os.PathLike[str]", Mapping[str, Any]]
InputsSource = Union[str, "os.PathLike[str]", np.ndarray, Any]

#: Keras weight names, matched on the last path component (``lstm/lstm_cell/kernel:0``).
KERAS_KEYS = ("kernel", "recurrent_kernel", "bias")


def _read_npz(path: Path, what: str) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise LstmfigsError(f"{what} file '{path}' does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not hasattr(archive, "files"):
                raise LstmfigsError(f"{what} file '{path}' holds one array; expected an .npz "
                                    "archive of named arrays")
            return {key: archive[key] for key in archive.files}
    except LstmfigsError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise LstmfigsError(f"cannot read {what} file '{path}' as .npz ({reason})") from None


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
        arrays = _read_npz(Path(weights), "weights")
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


def _read_csv(path: Path) -> np.ndarray:
    """Rows are time steps, columns input features; one header line is allowed."""
    for header_lines in (0, 1):
        try:
            return np.loadtxt(path, delimiter=",", ndmin=2, skiprows=header_lines,
                              dtype=np.float64)
        except ValueError as error:
            reason = " ".join(str(error).split())
    raise LstmfigsError(f"cannot read input file '{path}' as CSV of numbers ({reason})")


def load_inputs(inputs: InputsSource, input_size: int, dtype: Any = np.float32) -> np.ndarray:
    """An input sequence as a (T, B, I) array of ``dtype`` (converted explicitly).

    ``inputs``: a ``.npy`` or ``.csv`` path, or an array; (T, I) is one sequence, (T, B, I)
    a batch (time-major, like the simulator).  CSV rows are time steps.
    """
    if isinstance(inputs, (str, os.PathLike)):
        path = Path(inputs)
        name = f"input file '{path}'"
        if not path.is_file():
            raise LstmfigsError(f"{name} does not exist")
        suffix = path.suffix.lower()
        if suffix == ".npy":
            try:
                array = np.load(path, allow_pickle=False)
            except (OSError, ValueError, EOFError) as error:
                reason = " ".join(str(error).split()) or type(error).__name__
                raise LstmfigsError(f"cannot read {name} as .npy ({reason})") from None
        elif suffix == ".csv":
            array = _read_csv(path)
        else:
            raise LstmfigsError(f"{name}: expected a .npy or .csv file, got '{suffix or path.name}'")
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
