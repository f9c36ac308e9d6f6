"""The one loader for a user's own model and data.

Weights come from the files people have:

* ``.npz`` (``np.savez``) and ``.safetensors`` (through the ``safetensors`` package's NumPy
  API; ``pip install 'lstmfigs[safetensors]'``) with PyTorch or Keras key names;
* PyTorch ``.pt``/``.pth`` (``torch.save(model.state_dict(), ...)`` or a checkpoint dict
  holding one), read with ``torch.load(..., weights_only=True)`` when torch is installed,
  never unpickled otherwise;
* Keras 3 ``.keras`` (the model's config tells each layer's activations, ``reset_after``,
  ``return_sequences`` and name) and ``.weights.h5``, through ``h5py``
  (``pip install 'lstmfigs[keras]'``);
* or a mapping of arrays or tensors (``model.state_dict()``, ``dict(model.named_parameters())``).

A file may hold a whole model: :func:`recurrent_layers` lists its recurrent layers
(``lstmfigs inspect FILE``), :func:`load_model` builds one (``layer=`` by name; the
default is the only one).  Wrapper prefixes (``lstm.weight_ih_l0``) name the layer.
Multi-layer Keras models are mapped layer by layer from the config, never by key order.
Whatever the file records about what the network computes is reproduced exactly or
refused with one line naming the setting; what it does not record (a PyTorch RNN's
nonlinearity, the activations behind bare Keras weights) is assumed to be the framework's
default, can be stated (``nonlinearity=``, ``activation=``, ``recurrent_activation=``),
and is listed in :attr:`RecurrentLayer.assumed` (the CLI prints it).

Input sequences come from ``.npy``/``.csv`` files (or arrays).  Files are read through
:mod:`lstmfigs.safeio`: only regular files, within size bounds, headers and declared sizes
checked before anything is decompressed or allocated, nothing unpickled.  Every problem is
a one-line :class:`~lstmfigs.errors.LstmfigsError` that names the file or argument and what
was expected, so the CLI exits with status 2 and writes nothing.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from . import safeio
from .errors import LstmfigsError
from .sim import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .sim._base import RecurrentModel
from .sim._checks import plain_array

WeightsSource = Union[str, "os.PathLike[str]", Mapping[str, Any], "Weights"]
InputsSource = Union[str, "os.PathLike[str]", np.ndarray, "Inputs", Any]

#: The most bytes of a Keras config (``config.json``) read into memory.
MAX_CONFIG_BYTES = 16 * 2**20

#: Gate order of each framework's weights, for ``inspect``.
GATE_ORDERS = {
    ("PyTorch", "LSTM"): "i, f, g, o", ("PyTorch", "GRU"): "r, z, n", ("PyTorch", "RNN"): "-",
    ("Keras", "LSTM"): "i, f, c, o", ("Keras", "GRU"): "z, r, h", ("Keras", "RNN"): "-"}
SIM_CLASSES: dict[str, type[RecurrentModel]] = {
    "LSTM": LSTM, "GRU": GRU, "RNN": RNN,
    "LSTMCell": LSTMCell, "GRUCell": GRUCell, "RNNCell": RNNCell}
#: Keras recurrent layer classes and the simulator's equivalent.
KERAS_KINDS = {"LSTM": "LSTM", "GRU": "GRU", "SimpleRNN": "RNN"}
#: Settings a caller may state for what a file does not record.
SETTINGS = ("nonlinearity", "activation", "recurrent_activation")

@dataclass(frozen=True)
class Weights:
    """A weights source with how to read it: which ``layer``, and the settings the file
    does not record (see :data:`SETTINGS`).  Accepted wherever weights are (``weights=``).

    Parameters
    ----------
    source : str, os.PathLike or mapping
        The weights (see :func:`recurrent_layers`).
    layer : str, optional
        The recurrent layer to use (default: the only one).
    nonlinearity, activation, recurrent_activation : str, optional
        Settings the file does not record (see :func:`load_model`).
    """

    source: Any
    layer: str | None = None
    nonlinearity: str | None = None
    activation: str | None = None
    recurrent_activation: str | None = None

    def settings(self) -> dict[str, str]:
        """The settings given, by name.

        Returns
        -------
        dict of str to str
            The entries of :data:`SETTINGS` that are not None.
        """
        return {key: getattr(self, key) for key in SETTINGS if getattr(self, key) is not None}


@dataclass(frozen=True)
class Inputs:
    """An inputs source with its layout: ``batch_first`` True for (B, T, I), False for
    (T, B, I).  Accepted wherever inputs are (``inputs=``).

    Parameters
    ----------
    source : str, os.PathLike or array_like
        The inputs (see :func:`load_inputs`).
    batch_first : bool, optional
        The layout of a 3-D batch; None: not stated.
    """

    source: Any
    batch_first: bool | None = None


@dataclass(frozen=True)
class Embedding:
    """A Keras ``Embedding`` layer feeding a recurrent layer: token ids in, vectors out.

    With one, the recurrent layer's inputs are token ids (:func:`load_inputs` with
    ``embedding=``), looked up in ``table`` as Keras does (``table[ids]``).

    Parameters
    ----------
    name : str
        The layer's name.
    table : ndarray
        The embeddings (V, D): row ``id`` is token ``id``'s vector.
    mask_zero : bool, default: False
        Keras' ``mask_zero``: id 0 is padding, whose steps Keras skips; lstmfigs does not
        simulate masking, so id 0 is refused as an input.
    """

    name: str
    table: np.ndarray
    mask_zero: bool = False

    @property
    def vocabulary(self) -> int:
        """V, the number of token ids (0 .. V - 1)."""
        return int(self.table.shape[0])

    @property
    def first_id(self) -> int:
        """The smallest id an input may hold: 1 with ``mask_zero`` (0 is padding), else 0."""
        return 1 if self.mask_zero else 0

    def describe(self) -> str:
        """How ``inspect`` names it: ``Embedding 'name' (V tokens, D dims)``.

        Returns
        -------
        str
            The description.
        """
        mask = ", mask_zero: id 0 is padding" if self.mask_zero else ""
        return (f"Embedding '{self.name}' ({self.vocabulary} tokens, "
                f"{self.table.shape[1]} dims{mask})")

    def lookup(self, ids: np.ndarray, where: str = "inputs") -> np.ndarray:
        """The vectors of token ids, as Keras' Embedding computes them.

        Parameters
        ----------
        ids : ndarray
            Token ids of any shape: integers, or floats holding whole numbers.
        where : str, default: "inputs"
            How an error names the ids.

        Returns
        -------
        ndarray
            ``table[ids]``: shape ``ids.shape + (D,)``, the table's dtype.

        Raises
        ------
        LstmfigsError
            For values that are not whole numbers, ids outside ``first_id .. V - 1``, or
            NaN.
        """
        values = np.asarray(ids)
        if values.dtype.kind not in "iub" and not (
                values.dtype.kind == "f" and np.isfinite(values).all()
                and np.array_equal(values, np.round(values))):
            raise LstmfigsError(f"{where}: the model starts with {self.describe()}: expected "
                                f"token ids (whole numbers), got {values.dtype} values")
        if values.size and (values.min() < self.first_id or values.max() >= self.vocabulary):
            padding = " (id 0 is padding with mask_zero=True: Keras skips those steps, " \
                      "lstmfigs does not)" if self.mask_zero and values.min() == 0 else ""
            raise LstmfigsError(f"{where}: token ids must lie in {self.first_id} .. "
                                f"{self.vocabulary - 1} for {self.describe()}; found "
                                f"{values.min():g} .. {values.max():g}{padding}")
        size = values.size * self.table.shape[1] * self.table.dtype.itemsize
        if size > safeio.MAX_ARRAY_BYTES:
            raise LstmfigsError(f"{where}: {values.size} token ids would make "
                                f"{size / 2**20:g} MiB of vectors, more than the "
                                f"{safeio.MAX_ARRAY_BYTES / 2**20:g} MiB allowed")
        return np.asarray(self.table[values.astype(np.int64)])

    def sample(self, steps: int, batch: int, seed: int) -> np.ndarray:
        """Random token sequences: ids drawn uniformly from ``first_id .. V - 1``.

        Parameters
        ----------
        steps, batch : int
            The shape (T, B) of the result.
        seed : int
            Seed of the draw (the same ids on every machine).

        Returns
        -------
        ndarray
            int64 ids (T, B), time-major.
        """
        rng = np.random.default_rng(seed)
        return rng.integers(self.first_id, self.vocabulary, (steps, batch), dtype=np.int64)


_TORCH_KEY = re.compile(r"^(?P<prefix>.*?)(?P<stem>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                        r"(?P<unit>_l\d+(?:_reverse)?)?$")
_KERAS_KEY = re.compile(r"^(?P<prefix>.*?)(?P<stem>recurrent_kernel|kernel|bias)(?::\d+)?$")


@dataclass
class RecurrentLayer:
    """One recurrent layer found in a weights file or mapping.

    ``name``: the layer's name (a state dict's key prefix without the dot, ``""`` for a bare
    state dict; a Keras layer's name); ``framework``: ``"PyTorch"`` or ``"Keras"``;
    ``kind``: the simulator class (``"LSTM"``, ``"GRU"``, ``"RNN"``, ``"LSTMCell"``, ...);
    ``arrays``: its weights under PyTorch names (``weight_ih_l0``, ...) or Keras names
    (``kernel``, ``recurrent_kernel``, ``bias``); ``options``: constructor options the file
    records; ``assumed``: settings the file does not record, with the value taken;
    ``notes``: other facts from a Keras config (``return_sequences``, ...);
    ``embedding``: the Keras :class:`Embedding` feeding the layer (its inputs are then
    token ids), else None.
    """

    name: str
    framework: str
    kind: str
    arrays: dict[str, np.ndarray]
    options: dict[str, Any] = field(default_factory=dict)
    assumed: dict[str, str] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    embedding: Embedding | None = None

    @property
    def label(self) -> str:
        return self.name or "(top level)"

    @property
    def gate_order(self) -> str:
        return GATE_ORDERS[(self.framework, self.kind.removesuffix("Cell"))]

    def describe(self) -> str:
        """One line for ``lstmfigs inspect``: name, kind, sizes, shapes, gate order, settings.

        Returns
        -------
        str
            The line (``cannot be built: ...`` in place of the sizes when the weights do
            not make a model).
        """
        shapes = ", ".join(f"{key} {tuple(value.shape)}" for key, value in self.arrays.items())
        try:
            model = self.build()
            sizes = f"input {model.input_size}, hidden {model.hidden_size}"
            sizes += f", {model.num_layers} layers" if model.num_layers > 1 else ""
            sizes += ", bidirectional" if model.bidirectional else ""
            sizes += f", proj_size {model.proj_size}" if model.proj_size else ""
            sizes += "" if model.bias else ", no bias"
        except LstmfigsError as error:
            sizes = f"cannot be built: {error}"
        settings = {**self.options, **self.notes}
        extra = "".join(f", {key}={value}" for key, value in settings.items())
        assumed = "".join(f"; assumed {key}={value} (not recorded)"
                          for key, value in self.assumed.items())
        fed = f", fed by {self.embedding.describe()}" if self.embedding is not None else ""
        return (f"{self.label}: {self.framework} {self.kind} ({sizes}), "
                f"gate order {self.gate_order}{extra}{fed}; {shapes}{assumed}")

    def build(self, **settings: Any) -> RecurrentModel:
        """The simulator model of this layer; ``settings`` state what the file does not
        record (see :data:`SETTINGS`) and must agree with what it does.

        Parameters
        ----------
        **settings
            Entries of :data:`SETTINGS`; None values are ignored.

        Returns
        -------
        RecurrentModel
            The :mod:`lstmfigs.sim` model of class ``kind`` with this layer's weights.
        """
        if "masked_by" in self.notes:
            raise LstmfigsError(f"a mask from {self.notes['masked_by']} may reach layer "
                                f"'{self.name}': Keras skips masked steps, which lstmfigs "
                                "does not simulate")
        options = dict(self.options)
        for key, value in settings.items():
            if value is None:
                continue
            if key in options and options[key] != value:
                raise LstmfigsError(f"{key}: the file records {key}={options[key]}, not {value}")
            if key not in self.assumed:
                raise LstmfigsError(f"{key}: does not apply to {self.label} "
                                    f"({self.framework} {self.kind})")
            options[key] = value
        for key, value in self.assumed.items():
            options.setdefault(key, value)
        model_class = SIM_CLASSES[self.kind]
        if self.framework == "Keras":
            if self.kind == "RNN":
                options["nonlinearity"] = options.pop("activation")
            forward = model_class.from_keras(self.arrays["kernel"], self.arrays["recurrent_kernel"],
                                             self.arrays.get("bias"), **options)
            if "kernel_reverse" not in self.arrays:
                return forward
            # A Bidirectional wrapper: the backward layer is torch's reverse direction (it
            # reads the sequence from the end and its outputs are put back in time order).
            backward = model_class.from_keras(self.arrays["kernel_reverse"],
                                              self.arrays["recurrent_kernel_reverse"],
                                              self.arrays.get("bias_reverse"), **options)
            params = {**forward.params,
                      **{f"{key}_reverse": value for key, value in backward.params.items()}}
            return model_class.from_torch(params, **options)
        return model_class.from_torch(self.arrays, **options)


# ---------------------------------------------------------------------------- files
def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """Nested checkpoint dicts ({"model": state_dict, ...}) as one dict with dotted keys."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(item, f"{prefix}{key}.", out)
    elif hasattr(value, "shape") and hasattr(value, "dtype"):
        out[prefix[:-1]] = value


def _require(module: str, extra: str, what: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise LstmfigsError(f"reading {what} needs the {module.split('.')[0]} package: "
                            f"pip install 'lstmfigs[{extra}]'") from None


def _check_zip(handle: Any, where: str, limit: int) -> zipfile.ZipFile:
    """A zip archive whose member count and declared sizes are within bounds."""
    try:
        archive = zipfile.ZipFile(handle)
    except zipfile.BadZipFile as error:
        raise LstmfigsError(f"{where}: not a valid zip archive ({error})") from None
    members = archive.infolist()
    if len(members) > safeio.MAX_ARCHIVE_MEMBERS:
        raise LstmfigsError(f"{where}: holds {len(members)} files, more than the "
                            f"{safeio.MAX_ARCHIVE_MEMBERS} allowed")
    text = sum(member.file_size for member in members if member.filename.endswith(".json"))
    declared = sum(member.file_size for member in members) - text
    if declared > limit or text > MAX_CONFIG_BYTES:
        raise LstmfigsError(f"{where}: would inflate to {(declared + text) / 2**20:g} MiB, "
                            f"more than the {limit / 2**20:g} MiB allowed")
    return archive


def _read_torch(path: str, where: str, limit: int) -> dict[str, Any]:
    try:
        import torch
    except ImportError:
        raise LstmfigsError(
            f"{where} is a PyTorch pickle, read only with torch installed (torch.load(..., "
            f"weights_only=True)); or convert it once where torch is: python -c \"import torch, "
            f"numpy as n; n.savez('model.npz', **{{k: v.float().numpy() for k, v in "
            f"torch.load('{os.path.basename(path)}', weights_only=True).items()}})\"") from None
    with safeio.open_regular(path, "weights file") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit + MAX_CONFIG_BYTES:
            raise LstmfigsError(f"{where} is larger than {limit / 2**20:g} MiB")
        if zipfile.is_zipfile(handle):
            _check_zip(handle, where, limit)
        handle.seek(0)
        try:
            loaded = torch.load(handle, map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises many types (UnpicklingError, RuntimeError, ...)
            raise LstmfigsError(f"cannot read {where} with torch.load(weights_only=True): it "
                                f"must hold a state dict (torch.save(model.state_dict(), ...)), "
                                f"not a pickled module ({_reason(error)})") from None
    flat: dict[str, Any] = {}
    _flatten(loaded, "", flat)
    if not flat:
        raise LstmfigsError(f"{where}: holds no tensors (expected a state dict)")
    return flat


def _read_safetensors(path: str, where: str, limit: int) -> dict[str, np.ndarray]:
    numpy_api = _require("safetensors.numpy", "safetensors", ".safetensors files")
    data = safeio.read_bytes(path, "weights file", limit + MAX_CONFIG_BYTES)
    try:
        header_size = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + header_size]) if 8 + header_size <= len(data) else None
    except (ValueError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict):
        raise LstmfigsError(f"{where}: not a valid .safetensors file (bad header)")
    if len(data) - 8 - header_size > limit:
        raise LstmfigsError(f"{where} is larger than {limit / 2**20:g} MiB")
    tensors = {key: value for key, value in header.items() if key != "__metadata__"}
    if any(not isinstance(value, dict) or value.get("dtype") == "BF16"
           for value in tensors.values()):
        return _safetensors_bfloat16(data[8 + header_size:], tensors, where)
    try:
        return dict(numpy_api.load(data))
    except Exception as error:  # the Rust reader raises SafetensorError
        raise LstmfigsError(f"{where}: not a valid .safetensors file ({_reason(error)})") \
            from None


def _reason(error: BaseException) -> str:
    """A library's error message on one line, at most 160 characters."""
    return " ".join(str(error).split())[:160]


def _safetensors_bfloat16(body: bytes, tensors: dict[str, Any],
                          where: str) -> dict[str, np.ndarray]:
    """bfloat16 safetensors (which NumPy cannot hold): every value, exactly, as float32."""
    types = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16}
    arrays = {}
    for key, info in tensors.items():
        try:
            dtype = np.dtype(types[info["dtype"]]).newbyteorder("<")
            start, stop = (int(offset) for offset in info["data_offsets"])
            shape = tuple(int(extent) for extent in info["shape"])
            raw = np.frombuffer(body[start:stop], dtype=dtype).reshape(shape)
        except (KeyError, TypeError, ValueError):
            raise LstmfigsError(f"{where}: tensor '{key}' has a dtype or layout lstmfigs "
                                "cannot read") from None
        if info["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        arrays[key] = raw.astype(raw.dtype.newbyteorder("="))
    return arrays


def _h5_arrays(h5file: Any, where: str, limit: int) -> dict[str, np.ndarray]:
    """Every dataset of an HDF5 file by path, each size checked before it is read."""
    h5py = _require("h5py", "keras", "Keras files")
    found: dict[str, Any] = {}

    def visit(name: str, item: Any) -> None:
        if isinstance(item, h5py.Dataset):
            found[name] = item

    h5file.visititems(visit)
    if len(found) > safeio.MAX_ARCHIVE_MEMBERS:
        raise LstmfigsError(f"{where}: holds {len(found)} arrays, more than the "
                            f"{safeio.MAX_ARCHIVE_MEMBERS} allowed")
    arrays, budget = {}, limit
    for name, dataset in found.items():
        if dataset.dtype.kind not in safeio.NUMERIC_KINDS:
            continue
        size = int(np.prod(dataset.shape, dtype=np.int64)) * dataset.dtype.itemsize
        if size > budget:
            raise LstmfigsError(f"{where}: array '{name}' {dataset.shape} needs "
                                f"{size / 2**20:g} MiB, more than the {limit / 2**20:g} MiB "
                                "allowed")
        budget -= size
        arrays[name] = np.asarray(dataset[()])
    return arrays


def _open_h5(data: bytes, where: str) -> Any:
    h5py = _require("h5py", "keras", "Keras files")
    try:
        return h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as error:
        raise LstmfigsError(f"{where}: not a valid HDF5 file ({_reason(error)})") from None


def _read_keras(path: str, where: str,
                limit: int) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """(arrays by HDF5 path, config or None) of a ``.keras`` archive or an ``.h5`` file."""
    if path.lower().endswith(".keras"):
        with safeio.open_regular(path, "weights file") as handle:
            archive = _check_zip(handle, where, limit)
            names = set(archive.namelist())
            if not {"config.json", "model.weights.h5"} <= names:
                raise LstmfigsError(f"{where}: not a Keras 3 .keras archive (expected config.json "
                                    "and model.weights.h5)")
            try:
                config = json.loads(archive.read("config.json"))
                weights = archive.read("model.weights.h5")
            except (ValueError, OSError, zipfile.BadZipFile) as error:
                raise LstmfigsError(f"{where}: damaged .keras archive ({error})") from None
    else:
        weights, config = safeio.read_bytes(path, "weights file", limit + MAX_CONFIG_BYTES), None
    with _open_h5(weights, where) as h5file:
        if config is None:
            _refuse_legacy_h5(h5file.attrs, os.path.basename(path), where)
        return _h5_arrays(h5file, where, limit), config


def _refuse_legacy_h5(attrs: Any, name: str, where: str) -> None:
    """A legacy Keras HDF5 file (Keras 2 / tf.keras ``model.save("m.h5")`` or
    ``save_weights("w.h5")``) is refused with the one conversion that makes it readable."""
    if "model_config" not in attrs and "layer_names" not in attrs:
        return

    def text(key: str) -> str:
        value = attrs.get(key, b"")
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    version = text("keras_version") or "unknown version"
    if "model_config" in attrs:
        stem = name.removesuffix(".h5").removesuffix(".hdf5")
        fix = (f"convert it once with Keras 3: python -c \"import keras; "
               f"keras.models.load_model('{name}').save('{stem}.keras')\"")
        if version.startswith("2") and "hard_sigmoid" in text("model_config"):
            fix += (" (its hard_sigmoid is Keras 2's clip(0.2x + 0.5, 0, 1), which Keras 3 "
                    "replaces by relu6(x + 3)/6: the converted model computes differently)")
        what = "model"
    else:
        fix = ("load it into your model under Keras 3 (model.load_weights) and save that "
               "with model.save('model.keras')")
        what = "weights file"
    raise LstmfigsError(f"{where}: a legacy Keras HDF5 {what} (Keras {version}), which "
                        f"lstmfigs does not read; {fix}")


# ---------------------------------------------------------------------------- layers
def _torch_layers(arrays: Mapping[str, Any], where: str) -> list[RecurrentLayer]:
    groups: dict[str, dict[str, np.ndarray]] = {}
    for key, value in arrays.items():
        match = _TORCH_KEY.match(key)
        if match:
            groups.setdefault(match["prefix"], {})[match["stem"] + (match["unit"] or "")] = value
    layers = []
    for prefix, group in groups.items():
        name = prefix.removesuffix(".")
        label = f"{where}, layer '{name}'" if name else where
        cell = "weight_ih" in group
        key0 = "" if cell else "_l0"
        if f"weight_ih{key0}" not in group or f"weight_hh{key0}" not in group:
            continue
        converted = {key: plain_array(value, f"{label}: '{prefix}{key}'")
                     for key, value in group.items()}
        rows = converted[f"weight_ih{key0}"].shape[0]
        width = converted[f"weight_hh{key0}"].shape[-1]
        if f"weight_hr{key0}" in converted:
            kind = "LSTM"
        else:
            blocks = rows // width if width and rows % width == 0 else 0
            kind = {4: "LSTM", 3: "GRU", 1: "RNN"}.get(blocks, "")
            if not kind:
                raise LstmfigsError(f"{label}: weight_ih{key0} has {rows} rows and weight_hh{key0} "
                                    f"{width} columns: not an LSTM (4H), GRU (3H) or RNN (H)")
        assumed = {"nonlinearity": "tanh"} if kind == "RNN" else {}
        layers.append(RecurrentLayer(name, "PyTorch", kind + ("Cell" if cell else ""), converted,
                                     assumed=assumed))
    return layers


def _keras_npz_layers(arrays: Mapping[str, Any]) -> list[RecurrentLayer]:
    """Hand-converted Keras weights (``lstm/kernel:0``, ...): grouped by prefix."""
    groups: dict[str, dict[str, np.ndarray]] = {}
    for key, value in arrays.items():
        match = _KERAS_KEY.match(key.rsplit("/", 1)[-1])
        if match:
            prefix = key.rsplit("/", 1)[0] if "/" in key else ""
            groups.setdefault(prefix, {})[match["stem"]] = plain_array(value, key)
    layers = []
    for prefix, group in groups.items():
        if {"kernel", "recurrent_kernel"} <= set(group):
            name = prefix.removesuffix("/lstm_cell").removesuffix("/cell")
            layers.append(_keras_layer(name, group, None))
    return layers


def _keras_layer(name: str, group: dict[str, np.ndarray], config: dict[str, Any] | None,
                 class_name: str | None = None, where: str = "weights") -> RecurrentLayer:
    """A Keras recurrent layer from its weights and (when known) its layer config."""
    kernel, recurrent = group["kernel"], group["recurrent_kernel"]
    hidden = recurrent.shape[0] if recurrent.ndim == 2 else 0
    blocks = recurrent.shape[1] // hidden if hidden and recurrent.shape[1] % hidden == 0 else 0
    kind = KERAS_KINDS.get(class_name or "", {4: "LSTM", 3: "GRU", 1: "RNN"}.get(blocks, ""))
    label = f"{where}, layer '{name}'"
    if not kind or blocks != SIM_CLASSES[kind].gate_blocks:
        raise LstmfigsError(f"{label}: recurrent_kernel {recurrent.shape} fits no LSTM, GRU or "
                            f"SimpleRNN {'(config says ' + class_name + ')' if class_name else ''}")
    arrays = {"kernel": kernel, "recurrent_kernel": recurrent}
    if "bias" in group:
        arrays["bias"] = group["bias"]
    activations = ("activation",) if kind == "RNN" else ("activation", "recurrent_activation")
    defaults = {"activation": "tanh", "recurrent_activation": "sigmoid"}
    if config is None:
        return RecurrentLayer(name, "Keras", kind, arrays,
                              assumed={key: defaults[key] for key in activations})
    options: dict[str, Any] = {}
    for key in activations:
        value = config.get(key, defaults[key])
        if isinstance(value, dict):  # a serialised function object
            value = value.get("config", {}).get("name", value.get("class_name"))
        options[key] = value
    policy = config.get("dtype")
    if isinstance(policy, dict):
        policy = policy.get("config", {}).get("name")
    if policy not in (None, "float32", "float64"):
        raise LstmfigsError(f"{label}: dtype policy {policy} is not supported (lstmfigs "
                            "computes in float32 or float64, as the weights are stored)")
    if config.get("units") not in (None, hidden):
        raise LstmfigsError(f"{label}: config says {config.get('units')} units, "
                            f"weights hold {hidden}")
    refusals = {"go_backwards": True, "stateful": True, "unroll": None}
    for key, bad in refusals.items():
        if bad is not None and config.get(key) is bad:
            raise LstmfigsError(f"{label}: {key}=True is not supported")
    if kind == "GRU" and config.get("reset_after", True) is False:
        raise LstmfigsError(f"{label}: reset_after=False (r applied before the recurrent "
                            "product) is not supported; torch.nn.GRU and lstmfigs compute "
                            "reset_after=True")
    if not config.get("use_bias", True):
        arrays.pop("bias", None)
    notes: dict[str, Any] = {key: config[key]
                             for key in ("return_sequences", "unit_forget_bias", "reset_after")
                             if key in config}
    return RecurrentLayer(name, "Keras", kind, arrays, options=options, notes=notes)


def _snake(name: str) -> str:
    """Keras' to_snake_case: how Keras 3 names a layer's folder in model.weights.h5."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _keras_file_layers(arrays: dict[str, np.ndarray], config: dict[str, Any] | None,
                       where: str) -> list[RecurrentLayer]:
    """Recurrent layers of a Keras 3 weights file: ``layers/<folder>/cell/vars/0, 1, 2``.

    With a config the folders are matched to the config's layers as Keras names them
    (snake_case of the class, ``_1``, ``_2`` ... for repeats, in model order), so each
    layer's three arrays are taken together and checked against its config.
    """
    folders: dict[str, dict[str, np.ndarray]] = {}
    for path, value in arrays.items():
        match = re.fullmatch(r"(?P<folder>.*)/cell/vars/(?P<index>[012])", path)
        if match:
            role = ("kernel", "recurrent_kernel", "bias")[int(match["index"])]
            folders.setdefault(match["folder"], {})[role] = value
    if config is None:
        layers = []
        for folder, group in folders.items():
            wrapper = folder.removesuffix("/forward_layer")
            complete = {"kernel", "recurrent_kernel"} <= set(group)
            if folder.endswith("/backward_layer") or not complete:
                continue
            layer = _keras_layer(wrapper.removeprefix("layers/"), group, None, where=where)
            backward = folders.get(f"{wrapper}/backward_layer")
            if wrapper != folder and backward is not None:  # a Bidirectional wrapper's two
                reverse = _keras_layer(layer.name, backward, None, where=where)
                layer.arrays.update({f"{key}_reverse": value
                                     for key, value in reverse.arrays.items()})
            layers.append(layer)
        return layers
    model_config = config.get("config", {}) if isinstance(config, dict) else {}
    layer_configs = model_config.get("layers", []) if isinstance(model_config, dict) else []
    if not isinstance(layer_configs, list):
        raise LstmfigsError(f"{where}: config.json has no list of layers")
    entries = [entry for entry in layer_configs
               if isinstance(entry, dict) and isinstance(entry.get("config"), dict)]
    counts: dict[str, int] = {}
    folder_of: dict[int, str] = {}
    for index, entry in enumerate(entries):
        base = _snake(str(entry.get("class_name", "")))
        folder_of[index] = f"layers/{base}" + (f"_{counts[base]}" if counts.get(base) else "")
        counts[base] = counts.get(base, 0) + 1
    sequential = config.get("class_name") == "Sequential"
    layers = []
    for index, entry in enumerate(entries):
        class_name, layer_config = entry.get("class_name", ""), entry["config"]
        name = str(layer_config.get("name", folder_of[index]))
        if class_name in ("RNN", "TimeDistributed", "ConvLSTM1D", "ConvLSTM2D"):
            raise LstmfigsError(f"{where}: layer '{name}' is a Keras {class_name}, which "
                                "lstmfigs does not read (LSTM, GRU and SimpleRNN layers, "
                                "also inside Bidirectional)")
        if class_name == "Bidirectional":
            layer = _keras_bidirectional(name, layer_config, folders, folder_of[index], where)
        elif class_name in KERAS_KINDS:
            layer = _keras_layer(name, _keras_group(folders, folder_of[index], name, where),
                                 layer_config, class_name, where)
        else:
            continue
        chain = _keras_upstream(entries, index, sequential)
        source = _keras_source(entries, chain)
        if source is not None:
            layer.embedding = _keras_embedding(entries[source], arrays, folder_of[source], where)
        mask = _keras_mask(entries, chain, source)
        if mask is not None:
            layer.notes["masked_by"] = mask
        layers.append(layer)
    return layers


def _keras_group(folders: dict[str, dict[str, np.ndarray]], folder: str, name: str,
                 where: str) -> dict[str, np.ndarray]:
    """The kernel, recurrent kernel and bias stored in ``folder``/cell/vars."""
    group = folders.get(folder)
    if group is None or not {"kernel", "recurrent_kernel"} <= set(group):
        raise LstmfigsError(f"{where}: no weights for layer '{name}' (expected {folder}/cell/vars)")
    return group


#: Keras layers that pass their input through unchanged at inference.
KERAS_IDENTITIES = ("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout",
                    "AlphaDropout")


def _keras_upstream(entries: list[dict[str, Any]], index: int,
                    sequential: bool) -> list[int]:
    """The layers feeding layer ``index``, nearest first, along its first input: a
    Sequential model's layers follow each other; a functional model's first inbound
    argument names the layer feeding it."""
    by_name = {entry["config"].get("name"): position for position, entry in enumerate(entries)}
    chain: list[int] = []
    while True:
        if sequential:
            index -= 1
        else:
            try:
                history = entries[index]["inbound_nodes"][0]["args"][0]["config"]["keras_history"]
                index = by_name[history[0]]
            except (KeyError, IndexError, TypeError):
                return chain
        if index < 0 or index in chain:
            return chain
        chain.append(index)


def _keras_source(entries: list[dict[str, Any]], chain: list[int]) -> int | None:
    """The ``Embedding`` in ``chain`` whose vectors reach its end unchanged (through
    identities at inference only), or None."""
    for index in chain:
        class_name = entries[index].get("class_name")
        if class_name == "Embedding":
            return index
        if class_name not in KERAS_IDENTITIES:
            return None
    return None


def _keras_mask(entries: list[dict[str, Any]], chain: list[int], source: int | None) -> str | None:
    """A layer upstream that makes a mask (``Masking``, an ``Embedding`` with ``mask_zero``
    other than the one feeding ids, whose id 0 is refused instead), or None."""
    for index in chain:
        entry = entries[index]
        if entry.get("class_name") == "Masking" or (
                index != source and entry.get("class_name") == "Embedding"
                and entry["config"].get("mask_zero")):
            return f"{entry.get('class_name')} '{entry['config'].get('name')}'"
    return None


def _keras_embedding(entry: dict[str, Any], arrays: dict[str, np.ndarray], folder: str,
                     where: str) -> Embedding:
    """The Embedding of config ``entry``, its table read from ``folder``/vars/0."""
    config = entry["config"]
    name = str(config.get("name", folder))
    table = arrays.get(f"{folder}/vars/0")
    if table is None or table.ndim != 2:
        raise LstmfigsError(f"{where}: no table for Embedding '{name}' (expected {folder}/vars/0)")
    if table.dtype.kind != "f":
        raise LstmfigsError(f"{where}: Embedding '{name}' is stored as {table.dtype} "
                            "(a quantized table), which lstmfigs does not read")
    if (config.get("input_dim"), config.get("output_dim")) not in ((None, None), table.shape):
        raise LstmfigsError(f"{where}: Embedding '{name}': config says "
                            f"{config.get('input_dim')} x {config.get('output_dim')}, the table "
                            f"holds {table.shape[0]} x {table.shape[1]}")
    return Embedding(name, table, mask_zero=bool(config.get("mask_zero", False)))


def _keras_bidirectional(name: str, config: dict[str, Any],
                         folders: dict[str, dict[str, np.ndarray]], folder: str,
                         where: str) -> RecurrentLayer:
    """A ``Bidirectional`` wrapper's two layers as one layer with torch's reverse direction
    (arrays ``kernel_reverse``, ...): both must compute alike, the backward one reading the
    sequence from its end."""
    halves = []
    for key, backwards in (("layer", False), ("backward_layer", True)):
        inner = config.get(key) if key == "layer" else config.get(key, config.get("layer"))
        if not isinstance(inner, dict) or inner.get("class_name") not in KERAS_KINDS:
            kind = inner.get("class_name") if isinstance(inner, dict) else None
            raise LstmfigsError(f"{where}: layer '{name}' is a Bidirectional of {kind}, which "
                                "lstmfigs does not read (LSTM, GRU, SimpleRNN)")
        inner_config = dict(inner.get("config", {}))
        if key == "backward_layer" and "backward_layer" in config:
            if inner_config.pop("go_backwards", None) is not True:
                raise LstmfigsError(f"{where}: layer '{name}': its backward layer does not "
                                    "read the sequence backwards (go_backwards=False)")
        group = _keras_group(folders, f"{folder}/{'backward' if backwards else 'forward'}_layer",
                             name, where)
        halves.append(_keras_layer(name, group, inner_config, inner["class_name"], where))
    forward, backward = halves
    if (forward.kind, forward.options) != (backward.kind, backward.options) or \
            set(forward.arrays) != set(backward.arrays):
        raise LstmfigsError(f"{where}: layer '{name}': its forward and backward layers differ "
                            f"({forward.kind} {forward.options} and {backward.kind} "
                            f"{backward.options}); lstmfigs reads Bidirectional layers whose "
                            "two directions compute alike")
    arrays = {**forward.arrays,
              **{f"{key}_reverse": value for key, value in backward.arrays.items()}}
    notes = {**forward.notes, "merge_mode": config.get("merge_mode", "concat")}
    return RecurrentLayer(name, "Keras", forward.kind, arrays, options=forward.options,
                          notes=notes)


def recurrent_layers(weights: WeightsSource, *,
                     limit: int = safeio.MAX_ARRAY_BYTES) -> list[RecurrentLayer]:
    """The recurrent layers of a weights file or mapping, in the file's order.

    Parameters
    ----------
    weights : str, os.PathLike or mapping
        A ``.npz``, ``.safetensors``, ``.pt``/``.pth``, ``.keras`` or ``.weights.h5`` file,
        or a mapping of arrays or tensors (a state dict).
    limit : int, optional
        The most bytes all arrays together may hold.

    Returns
    -------
    list of RecurrentLayer
        At least one (else an error naming what was found).
    """
    config = None
    keras_file = False
    if isinstance(weights, (str, os.PathLike)):
        path = os.fspath(weights)
        where = f"weights file '{path}'"
        suffix = os.path.splitext(path)[1].lower()
        if suffix == ".npz":
            arrays: Mapping[str, Any] = read_weights(path)
        elif suffix == ".safetensors":
            arrays = _read_safetensors(path, where, limit)
        elif suffix in (".pt", ".pth", ".bin", ".ckpt"):
            arrays = _read_torch(path, where, limit)
        elif suffix in (".keras", ".h5", ".hdf5"):
            arrays, config = _read_keras(path, where, limit)
            keras_file = True
        else:
            raise LstmfigsError(f"{where}: expected .npz, .safetensors, .pt/.pth, .keras or "
                                f".weights.h5, got '{suffix or os.path.basename(path)}'")
    elif isinstance(weights, Mapping):
        where, arrays = "weights", weights
    else:
        raise LstmfigsError(f"weights: expected a path to a weights file or a mapping of arrays, "
                            f"got {type(weights).__name__}")
    if keras_file:
        layers = _keras_file_layers(arrays, config, where)  # type: ignore[arg-type]
    else:
        layers = _torch_layers(arrays, where) or _keras_npz_layers(arrays)
    if not layers:
        found = ", ".join(sorted(map(str, arrays))[:6]) or "nothing"
        raise LstmfigsError(f"{where}: no recurrent layer found: expected PyTorch keys "
                            f"(weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0) or Keras keys "
                            f"(kernel, recurrent_kernel, bias); found {found}")
    return layers


def pick_layer(layers: list[RecurrentLayer], layer: str | None, where: str) -> RecurrentLayer:
    """The layer named ``layer``, or the only one; else a one-line error listing the names.

    Parameters
    ----------
    layers : list of RecurrentLayer
        What :func:`recurrent_layers` found.
    layer : str or None
        A layer's ``name`` or ``label``; None: the only layer.
    where : str
        How the error names the source (``"weights file 'x.pt'"``).

    Returns
    -------
    RecurrentLayer
        The layer chosen.
    """
    names = ", ".join(item.label for item in layers)
    if layer is None:
        if len(layers) == 1:
            return layers[0]
        raise LstmfigsError(f"{where}: holds {len(layers)} recurrent layers ({names}); "
                            "choose one with --layer NAME (layer= in Python)")
    for item in layers:
        if layer in (item.name, item.label):
            return item
    raise LstmfigsError(f"{where}: no recurrent layer '{layer}' (found {names})")


def load_model(weights: WeightsSource, *, layer: str | None = None,
               **settings: Any) -> RecurrentModel:
    """A simulator model (:class:`~lstmfigs.sim.LSTM`, GRU, RNN or a cell) from a file or mapping.

    Parameters
    ----------
    weights : str, os.PathLike, mapping or Weights
        See :func:`recurrent_layers`; a :class:`Weights` also brings its ``layer`` and
        settings (the arguments given here take precedence).
    layer : str, optional
        The recurrent layer to build (``lstmfigs inspect`` lists them); by default the only one.
    **settings
        What the file does not record: ``nonlinearity`` (a PyTorch RNN: ``"tanh"`` or
        ``"relu"``), ``activation``/``recurrent_activation`` (bare Keras weights).

    Returns
    -------
    RecurrentModel
        The :mod:`lstmfigs.sim` model of the chosen layer, with the file's weights and
        dtype.  (:func:`load_network` also gives the Keras ``Embedding`` feeding it.)

    Raises
    ------
    LstmfigsError
        One line naming the file (and layer): unreadable or unknown file, no or several
        recurrent layers, unknown setting or one that contradicts the file.
    """
    return load_network(weights, layer=layer, **settings)[0]


def load_network(weights: WeightsSource, *, layer: str | None = None,
                 **settings: Any) -> tuple[RecurrentModel, Embedding | None]:
    """The model of :func:`load_model` and the Keras ``Embedding`` that feeds it, if any.

    A Keras model ``Embedding -> LSTM`` takes token ids: give them to :func:`load_inputs`
    with ``embedding=`` to get the vectors the recurrent layer sees.

    Parameters
    ----------
    weights : str, os.PathLike, mapping or Weights
        As for :func:`load_model`.
    layer : str, optional
        As for :func:`load_model`.
    **settings
        As for :func:`load_model`.

    Returns
    -------
    model : RecurrentModel
        As :func:`load_model` returns it.
    embedding : Embedding or None
        The embedding whose vectors reach the layer unchanged (in a Keras model), else None.

    Raises
    ------
    LstmfigsError
        As :func:`load_model`.
    """
    if isinstance(weights, Weights):
        layer = weights.layer if layer is None else layer
        settings = {**weights.settings(), **settings}
        weights = weights.source
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise LstmfigsError(f"{unknown[0]}: not a setting of a weights file "
                            f"(expected {', '.join(SETTINGS)})")
    where = _where(weights)
    chosen = pick_layer(recurrent_layers(weights), layer, where)
    try:
        model = chosen.build(**settings)
    except LstmfigsError as error:
        prefix = where if not chosen.name else f"{where}, layer '{chosen.name}'"
        raise LstmfigsError(f"{prefix}: {error}") from None
    if chosen.embedding is not None and chosen.embedding.table.shape[1] != model.input_size:
        raise LstmfigsError(f"{where}: {chosen.embedding.describe()} gives vectors of "
                            f"{chosen.embedding.table.shape[1]}, layer '{chosen.name}' takes "
                            f"{model.input_size}")
    return model, chosen.embedding


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


def load_lstm(weights: WeightsSource, *, layer: str | None = None, **settings: Any) -> LSTM:
    """An :class:`~lstmfigs.sim.LSTM` from a weights file or mapping (see :func:`load_model`);
    any other recurrent model is refused by name.

    Parameters
    ----------
    weights : str, os.PathLike, mapping or Weights
        As for :func:`load_model`.
    layer : str, optional
        As for :func:`load_model`.
    **settings
        As for :func:`load_model`.

    Returns
    -------
    LSTM
        The model (an :class:`~lstmfigs.sim.LSTMCell` for a cell's weights).

    Raises
    ------
    LstmfigsError
        As :func:`load_model`, and when the layer is not an LSTM.
    """
    model = load_model(weights, layer=layer, **settings)
    if not isinstance(model, LSTM):
        weights = weights.source if isinstance(weights, Weights) else weights
        kind = type(model).__name__
        article = "an" if kind.startswith("RNN") else "a"
        raise LstmfigsError(f"{_where(weights)}: not an LSTM ({article} {kind}; "
                            "this figure shows LSTMs)")
    return model


def _where(weights: Any) -> str:
    """How an error names ``weights``: the file, or plain "weights" for a mapping."""
    if isinstance(weights, (str, os.PathLike)):
        return f"weights file '{os.fspath(weights)}'"
    return "weights"


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


def load_inputs(inputs: InputsSource, input_size: int, dtype: Any = np.float32, *,
                batch_first: bool | None = None,
                embedding: Embedding | None = None) -> np.ndarray:
    """An input sequence as a time-major (T, B, I) array of ``dtype`` (converted explicitly).

    ``inputs``: a ``.npy`` or ``.csv`` path, or an array; (T, I) is one sequence (CSV rows
    are time steps).  A batch has a layout: ``batch_first=False`` for (T, B, I), ``True``
    for (B, T, I).  Every 3-D shape fits both, so a 3-D array from a *file* that does not
    say is refused rather than guessed; an array passed in Python follows the simulator's
    time-major convention unless ``batch_first`` says otherwise.  An :class:`Inputs`
    carries its own ``batch_first``.

    With an ``embedding`` (a Keras model ``Embedding -> LSTM``, see :func:`load_network`)
    the inputs are token ids, whole numbers: (T,) is one sequence (a CSV: one id a row), a
    batch is 2-D, (T, B) or (B, T) by the same rule; the result is their vectors.

    Parameters
    ----------
    inputs : str, os.PathLike, array_like or Inputs
        A ``.npy`` or ``.csv`` file, or numbers: (T, I) or a batch of 3 dimensions.
    input_size : int
        Features I each step must have (the model's input size).
    dtype : numpy dtype, default: numpy.float32
        The dtype of the result.
    batch_first : bool, optional
        The layout of a 3-D batch: True (B, T, I), False (T, B, I); required for a 3-D
        array read from a file.  Takes precedence over an :class:`Inputs`' own.
    embedding : Embedding, optional
        The inputs are token ids of this embedding (a batch of ids is 2-D, and needs
        ``batch_first`` when read from a file).

    Returns
    -------
    ndarray
        (T, B, I) of ``dtype``, finite; B = 1 for a single sequence.

    Raises
    ------
    LstmfigsError
        For an unreadable file, non-numeric, non-finite or wrongly shaped inputs, a batch
        from a file without its layout, or ids that are not whole numbers or lie outside
        the embedding's vocabulary.
    """
    if isinstance(inputs, Inputs):
        batch_first = inputs.batch_first if batch_first is None else batch_first
        inputs = inputs.source
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
    if embedding is not None:
        if _is_csv(inputs) and array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]  # one id a row: one sequence
        return embedding.lookup(_token_ids(array, name, embedding, batch_first), name) \
            .astype(dtype)
    if array.ndim == 2:
        array = array[:, None, :]
    elif array.ndim == 3:
        if batch_first is None and name != "inputs":
            raise LstmfigsError(f"{name}: shape {array.shape} may be (time, batch, features) "
                                "or (batch, time, features); say which with --time-major or "
                                "--batch-first (batch_first= in Python)")
        if batch_first:
            array = array.transpose(1, 0, 2)
    if array.ndim != 3 or array.shape[0] < 1 or array.shape[1] < 1:
        raise LstmfigsError(f"{name}: expected shape (T, {input_size}) or a batch "
                            f"(T, B, {input_size}) / (B, T, {input_size}), got {array.shape}")
    if array.shape[-1] != input_size:
        raise LstmfigsError(f"{name}: expected {input_size} input features per step (the "
                            f"model's input size), got shape {array.shape}")
    if not np.isfinite(array).all():
        raise LstmfigsError(f"{name}: contains NaN or infinite values")
    return array.astype(dtype)


def _is_csv(source: Any) -> bool:
    """Whether ``source`` is a path to a ``.csv`` file."""
    return isinstance(source, (str, os.PathLike)) and \
        os.fspath(source).lower().endswith(".csv")


def _token_ids(array: np.ndarray, name: str, embedding: Embedding,
               batch_first: bool | None) -> np.ndarray:
    """Token ids as time-major (T, B): (T,) is one sequence; a 2-D batch from a file must
    say its layout (an array in Python is time-major unless ``batch_first``)."""
    what = f"the model starts with {embedding.describe()}: expected token ids"
    if array.ndim == 1:
        array = array[:, None]
    elif array.ndim == 2:
        if batch_first is None and name != "inputs":
            raise LstmfigsError(f"{name}: shape {array.shape} may be (time, batch) or (batch, "
                                f"time) of token ids; say which with --time-major or "
                                "--batch-first (batch_first= in Python)")
        if batch_first:
            array = array.T
    else:
        raise LstmfigsError(f"{name}: {what}, shape (T,) or a batch (T, B) / (B, T), got "
                            f"shape {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise LstmfigsError(f"{name}: {what}, at least one; got shape {array.shape}")
    return array
