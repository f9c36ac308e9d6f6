"""What LSTM, GRU and RNN share: parameters keyed by PyTorch names, weight import and
export, input checks, stacking of layers and directions, dropout between layers, chunked
long runs, the buffers kept between calls (``BufferPool``) and the Jacobian-norm probe.

A subclass describes one layer in one direction (a *unit*): how many gate blocks it has
(``gate_blocks``), whether it carries a cell state, how it runs forward over a sequence
(``_layer_forward``) and, for a chunk of steps, its local derivatives, one step of BPTT
and its share of the weight gradients (``_local_factors``, ``_backward_step``,
``_chunk_param_gradients``; ``_layer_backward`` walks the chunks).  Everything about
several layers and directions, the torch.nn options (``bias``, ``batch_first``,
``dropout``, ``bidirectional``), validation and weight formats lives here once.

Units are numbered as PyTorch numbers ``h_n``'s rows: ``layer * num_directions +
direction``; their parameter names end in ``_l{layer}`` plus ``_reverse`` for direction 1
(``*Cell`` models: no suffix).  The reverse direction runs over the time-reversed input;
its trace is stored in natural time order (``h[t]`` has seen ``x[t:]``).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np

from .. import safeio
from ..errors import LstmfigsError
from . import _checks

#: Target number of elements in backward's per-chunk arrays of precomputed factors: small
#: enough to stay in cache, big enough to amortise the NumPy calls made once per chunk.
CHUNK_ELEMENTS = 1 << 18
#: The same for the work arrays of trace-free runs, which bound their memory.
UNTRACED_CHUNK_ELEMENTS = 1 << 16


class BufferPool:
    """Arrays a model keeps between calls and hands out again once nothing refers to them.

    Every call of ``forward``/``backward`` used to allocate its large arrays afresh, so
    its time followed the allocator's state (page faults, memory returned to the system
    and mapped again), and a process's first call was much slower than the next.  The
    model instead asks its pool for each array by name.  An array is handed out again only
    when nothing outside the pool refers to it, neither the array nor any view of it (a
    view refers to the array that owns the memory): a trace, gradient or slice the caller
    still holds keeps its arrays, and the pool then allocates new ones.  Reuse is therefore
    invisible except in memory: the pool holds the arrays of the last call until the model
    is released (or :meth:`clear`).
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        # The reference count of an array held by the pool alone, as _references sees it:
        # measured, not assumed, since the interpreter's own references vary by version.
        self._arrays[""] = np.empty(0)
        self._free_count = self._references("")
        del self._arrays[""]

    def _references(self, name: str) -> int:
        return sys.getrefcount(self._arrays[name])

    def take(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An uninitialised array ``shape``, ``dtype``: the one kept under ``name`` when it
        fits and nothing else refers to it, else a new one (then kept instead).

        Parameters
        ----------
        name : str
            What the array is for, unique within the model (e.g. ``"gates_l0"``).
        shape : tuple of int
            Its shape.
        dtype : numpy.dtype
            Its dtype.

        Returns
        -------
        ndarray
            A C-contiguous array whose content is undefined.
        """
        with self._lock:
            if name in self._arrays and self._references(name) == self._free_count:
                kept = self._arrays[name]
                if kept.shape == shape and kept.dtype == dtype:
                    return kept
            array = np.empty(shape, dtype)
            self._arrays[name] = array
            return array

    def clear(self) -> None:
        """Forget every kept array (memory still referred to elsewhere stays alive)."""
        with self._lock:
            self._arrays.clear()

    @property
    def nbytes(self) -> int:
        """Bytes held by the kept arrays."""
        with self._lock:
            return sum(array.nbytes for array in self._arrays.values())


class ChunkWork:
    """Buffers for the chunks of one backward pass: each holds ``rows`` steps (the longest
    chunk) and is sliced to a chunk's length; kept in the model's pool between calls."""

    def __init__(self, pool: BufferPool, prefix: str, rows: int, dtype: np.dtype) -> None:
        self.pool, self.prefix, self.rows, self.dtype = pool, prefix, rows, dtype

    def array(self, name: str, step_shape: tuple[int, ...], count: int | None = None) -> np.ndarray:
        """Buffer ``name`` shaped (count, *step_shape) (count: ``rows``), content undefined."""
        full = self.pool.take(f"{self.prefix}:{name}", (self.rows, *step_shape), self.dtype)
        return full if count is None else full[:count]


def time_chunks(steps: int, elements_per_step: int, *, reverse: bool = False,
                limit: int = CHUNK_ELEMENTS) -> list[tuple[int, int]]:
    """Split ``range(steps)`` into contiguous ``(start, stop)`` chunks of about ``limit``
    elements (at least one step each)."""
    size = max(1, min(steps, limit // max(1, elements_per_step)))
    chunks = [(start, min(start + size, steps)) for start in range(0, steps, size)]
    return chunks[::-1] if reverse else chunks


def per_sample_norm(values: np.ndarray, seed_axes: int = 0) -> np.ndarray:
    """Euclidean norm per sample of ``values`` shaped (*seeds, ..., B, H).

    Sums over H and over the ``seed_axes`` leading axes (the seeds of a Jacobian probe, so
    the result is a Frobenius norm); the axes in between (time) are kept.
    """
    return np.asarray(np.sqrt(np.square(values).sum(axis=(-1, *range(seed_axes)))))


def flip_time(trace: Any) -> Any:
    """The same layer trace with every per-step array reversed in time (views, no copy).

    Reverse-direction units are computed over the reversed sequence; flipping their trace
    gives it in natural time order, and flipping again gives the computation order back.
    """
    changes = {item.name: getattr(trace, item.name)[::-1] for item in dataclasses.fields(trace)
               if item.name not in ("h0", "c0", "reverse")
               and isinstance(getattr(trace, item.name), np.ndarray)}
    return dataclasses.replace(trace, reverse=not trace.reverse, **changes)


@dataclass
class LayerGradients:
    """Gradients of one unit (layer and direction): w.r.t. its input sequence, initial
    states and parameters.

    ``dh``/``dc`` are the total gradients dL/dh_t, dL/dc_t reaching every step (the direct
    term plus what flows back through time); ``dh_norm``/``dc_norm`` their per-sample norms.
    """

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray | None
    params: dict[str, np.ndarray]
    dh_norm: np.ndarray
    dc_norm: np.ndarray | None


@dataclass
class Gradients(LayerGradients):
    """Result of ``backward``: exact BPTT gradients.

    ``x`` in the layout of the input (T, B, I) (``batch_first``: (B, T, I); unbatched
    (T, I)); ``h0``/``c0`` (num_layers * num_directions, B, H_out / H) (``c0`` None without
    a cell state); ``params`` keyed like PyTorch's ``state_dict``; ``dh_norm``/``dc_norm``
    (T, B): the per-sample norm of the total gradient reaching step t of the last layer's
    forward direction: dL/dh_t is the direct term plus all that flows back from later steps
    (with c_t held fixed); dL/dc_t includes the path through h_t = o_t tanh(c_t).
    ``layers[k]``: the same for unit k (its ``x`` is dL/d(input of that unit), time-major).
    """

    layers: list[LayerGradients] = field(default_factory=list)


def last_layer(name: str) -> property:
    """A trace attribute that reads the last layer's forward-direction ``name`` (None
    without a trace)."""
    def read(self: Any) -> Any:
        return getattr(self.layers[-self.num_directions], name) if self.layers else None
    return property(read, doc=f"The last layer's ``{name}`` (forward direction; None when "
                              "forward ran with trace=False).")


def gate_block(index: int) -> property:
    """A layer-trace attribute: block ``index`` (H wide) of its ``gates``."""
    def block(self: Any) -> np.ndarray:
        hidden = self.gates.shape[-1] // self.gate_count
        return np.asarray(self.gates[..., index * hidden:(index + 1) * hidden])
    return property(block)


@dataclass
class ModelTrace:
    """Result of ``forward``.

    ``h_n`` (and ``c_n`` for the LSTM): (num_layers * num_directions, B, H_out) always, as
    PyTorch returns them ((layers * directions, H_out) for unbatched input).  With
    ``trace=True`` ``layers`` holds one trace per unit (index ``layer * num_directions +
    direction``, each time-major (T, B, ...), in natural time order), ``h``, ``preact``
    (and the cell-specific attributes) are the last layer's forward direction, ``output``
    is what ``torch.nn`` returns as output; with ``trace=False`` ``layers`` is empty and
    those are None.  ``dropout`` holds the scaled masks applied to each layer's output but
    the last (empty unless ``forward(..., training=True)`` with ``dropout > 0``).
    """

    layers: list[Any]
    h_n: np.ndarray
    c_n: np.ndarray | None = None
    num_directions: int = 1
    batch_first: bool = False
    batched: bool = True
    dropout: list[np.ndarray] = field(default_factory=list)

    h = last_layer("h")
    preact = last_layer("preact")

    @property
    def output(self) -> np.ndarray | None:
        """The last layer's h as ``torch.nn`` returns it: directions concatenated on the
        feature axis, (T, B, D*H_out), (B, T, D*H_out) with ``batch_first``, (T, D*H_out)
        for unbatched input (None without a trace)."""
        if not self.layers:
            return None
        top = self.layers[-self.num_directions:]
        out = top[0].h if len(top) == 1 else np.concatenate([unit.h for unit in top], axis=-1)
        if not self.batched:
            return out[:, 0]
        return out.transpose(1, 0, 2) if self.batch_first else out


class RecurrentModel:
    """Base of :class:`LSTM`, :class:`GRU` and :class:`RNN` (see those for the maths).

    ``params`` is the live mapping of parameters (PyTorch names, PyTorch shapes); the
    trainer updates it in place.  Options as ``torch.nn``'s: ``bias=False`` drops the
    biases; ``batch_first=True`` takes ``x`` as (B, T, I) (traces stay time-major);
    ``bidirectional=True`` adds a reverse direction per layer (``*_reverse`` parameters);
    ``dropout=p`` zeroes each layer's output but the last with probability p (scaled by
    1/(1-p)) when ``forward(..., training=True)``, with masks drawn from ``seed``.
    """

    #: Number of H-row blocks stacked in ``weight_ih`` (LSTM 4, GRU 3, RNN 1).
    gate_blocks: ClassVar[int]
    #: Width of the per-step pre-activation gradient, in blocks of H (see _backward_step).
    dz_blocks: ClassVar[int]
    #: Whether the cell carries a second state ``c`` (LSTM only).
    has_cell: ClassVar[bool] = False
    #: ``keras_block_order[j]`` is the Keras block that holds PyTorch block j.
    keras_block_order: ClassVar[tuple[int, ...]]
    #: Parameter stems per unit, in PyTorch's registration order.
    param_stems: ClassVar[tuple[str, ...]] = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    #: Further parameter stems a unit may have (LSTM: projection and peepholes).
    extra_param_stems: ClassVar[tuple[str, ...]] = ()
    #: ``torch.nn.*Cell`` layout: one unit, parameter names without ``_l0``.
    is_cell: ClassVar[bool] = False
    #: The class holding the same cell as a ``*Cell`` (set by the cell classes).
    cell_class: ClassVar[type | None] = None
    #: What ``forward`` returns.
    trace_class: ClassVar[type[ModelTrace]] = ModelTrace

    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool
    batch_first: bool
    dropout: float
    bidirectional: bool
    proj_size: int
    dtype: np.dtype
    params: dict[str, np.ndarray]
    _buffers: BufferPool

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = "float32", seed: int = 0,
                 proj_size: int = 0) -> None:
        self.input_size = _checks.positive_int(input_size, "input_size")
        self.hidden_size = _checks.positive_int(hidden_size, "hidden_size")
        self.num_layers = _checks.positive_int(num_layers, "num_layers")
        self.bias = _checks.flag(bias, "bias")
        self.batch_first = _checks.flag(batch_first, "batch_first")
        self.bidirectional = _checks.flag(bidirectional, "bidirectional")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.floating)) \
                or not 0 <= dropout < 1:
            raise LstmfigsError(f"dropout: expected a probability 0 <= p < 1, got {dropout!r}")
        self.dropout = float(dropout)
        if isinstance(proj_size, bool) or not isinstance(proj_size, (int, np.integer)) \
                or not 0 <= proj_size < hidden_size:
            raise LstmfigsError(f"proj_size: expected an integer 0 <= proj_size < hidden_size "
                                f"({hidden_size}), got {proj_size!r}")
        self.proj_size = int(proj_size)
        if self.is_cell and (num_layers != 1 or bidirectional or proj_size or dropout):
            raise LstmfigsError(f"{type(self).__name__}: a cell has one layer, one direction, "
                                "no projection and no dropout")
        self.dtype = _checks.resolve_dtype(dtype)
        self.params = self._pytorch_default_init(np.random.default_rng(_checks.seed(seed)))
        self._buffers = BufferPool()

    # Copies and pickles get a pool of their own (empty): arrays are never shared or saved.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_buffers", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._buffers = BufferPool()

    def release_buffers(self) -> None:
        """Let go of the arrays kept for reuse between calls (see ``BufferPool``).

        ``forward`` and ``backward`` keep their large arrays (the trace's and the backward
        pass's chunk buffers) and write the next call's values into them once nothing
        else refers to them, which makes repeated calls fast and their time steady.  The
        price is that the model holds the last call's memory; this returns it.  Traces and
        gradients still held elsewhere are not affected.
        """
        self._buffers.clear()

    # ------------------------------------------------------------------ units
    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """Size of each direction's h: ``proj_size`` if set, else ``hidden_size``."""
        return self.proj_size or self.hidden_size

    def unit_key(self, layer: int, direction: int = 0) -> str:
        """The suffix of a unit's parameter names: ``_l{layer}`` (+ ``_reverse``)."""
        if self.is_cell:
            return ""
        return f"_l{layer}" + ("_reverse" if direction else "")

    def units(self) -> list[tuple[int, int, str]]:
        """``(layer, direction, key)`` of every unit in PyTorch's order."""
        return [(layer, direction, self.unit_key(layer, direction))
                for layer in range(self.num_layers) for direction in range(self.num_directions)]

    def _layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.output_size * self.num_directions

    # ------------------------------------------------------------------ parameters
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Expected shape of every parameter, in PyTorch's order."""
        rows = self.gate_blocks * self.hidden_size
        shapes: dict[str, tuple[int, ...]] = {}
        for layer, _, key in self.units():
            shapes[f"weight_ih{key}"] = (rows, self._layer_input_size(layer))
            shapes[f"weight_hh{key}"] = (rows, self.output_size)
            if self.bias:
                shapes[f"bias_ih{key}"] = (rows,)
                shapes[f"bias_hh{key}"] = (rows,)
            shapes.update(self._extra_param_shapes(key))
        return shapes

    def _extra_param_shapes(self, key: str) -> dict[str, tuple[int, ...]]:
        return {}

    def _bias(self, stem: str, key: str) -> np.ndarray:
        """``bias_ih``/``bias_hh`` of a unit, zeros when the model has no biases."""
        if self.bias:
            return self.params[f"{stem}{key}"]
        return np.zeros(self.gate_blocks * self.hidden_size, self.dtype)

    def _pytorch_default_init(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        # PyTorch draws every parameter from U(-1/sqrt(H), 1/sqrt(H)).  Drawing in float64
        # and rounding makes float32 and float64 models with one seed the same model.
        bound = 1.0 / np.sqrt(self.hidden_size)
        return {name: rng.uniform(-bound, bound, size=shape).astype(self.dtype)
                for name, shape in self.param_shapes().items()}

    def astype(self, dtype: Any) -> Self:
        """A copy of the model computing in ``dtype`` (its parameters converted).

        Parameters
        ----------
        dtype : {"float32", "float64"} or numpy float type
            The copy's dtype.

        Returns
        -------
        RecurrentModel
            The copy, of the same class; the original is unchanged.
        """
        clone = copy.copy(self)
        clone.dtype = _checks.resolve_dtype(dtype)
        clone.params = {name: value.astype(clone.dtype) for name, value in self.params.items()}
        return clone

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters under PyTorch's names (loadable by ``torch.nn.LSTM``
        etc. after ``torch.from_numpy``; peephole weights have no PyTorch counterpart).

        Returns
        -------
        dict of str to ndarray
            Every parameter, copied, in PyTorch's order and shapes, of the model's dtype.
        """
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Replace the parameters with ``state_dict`` (same names, shapes and dtype).

        Parameters
        ----------
        state_dict : mapping of str to array_like
            Exactly the names of :meth:`param_shapes`, with those shapes and the model's
            dtype; the arrays are copied.

        Raises
        ------
        LstmfigsError
            For a missing or unexpected name, a wrong shape or dtype, or NaN or infinite
            values; the model is then unchanged.
        """
        new: dict[str, np.ndarray] = {}
        for name, shape in self.param_shapes().items():
            value = _checks.mapping_entry(state_dict, name, "state_dict")
            new[name] = _checks.array(value, f"state_dict['{name}']", shape, self.dtype).copy()
        unknown = sorted(set(state_dict) - set(new))
        if unknown:
            raise LstmfigsError(f"state_dict: unexpected key '{unknown[0]}' "
                                f"(expected {', '.join(new)})")
        self.params = new

    @classmethod
    def _options_from_keys(cls, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
        return {}

    @classmethod
    def from_torch(cls, state_dict: Mapping[str, Any] | str | os.PathLike[str],
                   **options: Any) -> Self:
        """A model holding a PyTorch ``state_dict``: a mapping of arrays (or CPU tensors) or
        a path to an ``.npz`` file with PyTorch's key names.  Sizes, layer count, ``bias``,
        ``bidirectional``, ``proj_size`` and dtype come from the arrays; ``options`` are
        further constructor flags (``nonlinearity="relu"`` for a relu RNN: a state dict
        does not say).  A ``*Cell`` state dict (``weight_ih`` without ``_l0``) gives the
        matching cell model (:class:`LSTMCell`, ...).

        Parameters
        ----------
        state_dict : mapping, str or os.PathLike
            The parameters under PyTorch's names, or an ``.npz`` file of them.
        **options
            Further constructor options; ``dtype`` converts every array explicitly (without
            it, all must share the first one's dtype, float32 or float64).

        Returns
        -------
        RecurrentModel
            A model of this class (or its cell class) holding copies of the arrays.

        Raises
        ------
        LstmfigsError
            For an unreadable file, a missing or unexpected key, or arrays of inconsistent
            shapes or dtypes.
        """
        if isinstance(state_dict, (str, os.PathLike)):
            path = os.fspath(state_dict)
            try:
                state_dict = safeio.load_npz(path, "weights file")
            except LstmfigsError as error:
                raise LstmfigsError(f"state_dict: {error}") from None
        if not isinstance(state_dict, Mapping):
            raise LstmfigsError(
                "state_dict: expected a mapping of arrays or a path to an .npz file"
            )
        arrays = {str(key): _checks.plain_array(value, f"state_dict['{key}']")
                  for key, value in state_dict.items()}
        if not cls.is_cell and "weight_ih" in arrays and "weight_ih_l0" not in arrays \
                and cls.cell_class is not None:
            return cls.cell_class.from_torch(arrays, **options)  # type: ignore[attr-defined, no-any-return]
        key0 = "" if cls.is_cell else "_l0"
        first_input = _checks.mapping_entry(arrays, f"weight_ih{key0}", "state_dict")
        first_recurrent = _checks.mapping_entry(arrays, f"weight_hh{key0}", "state_dict")
        blocks = cls.gate_blocks
        if first_input.ndim != 2 or first_input.shape[0] % blocks or not first_input.shape[0]:
            raise LstmfigsError(
                f"state_dict['weight_ih{key0}']: expected shape ({blocks}*H, I) "
                f"for a {cls.__name__.removesuffix('Cell')}, got {first_input.shape}"
            )
        hidden = first_input.shape[0] // blocks
        num_layers = 1
        while f"weight_ih_l{num_layers}" in arrays:
            num_layers += 1
        explicit_dtype = options.pop("dtype", None)
        if explicit_dtype is None and first_input.dtype.name not in _checks.DTYPES:
            raise LstmfigsError(
                f"state_dict['weight_ih{key0}']: expected dtype float32 or float64, "
                f"got {first_input.dtype.name}"
            )
        found: dict[str, Any] = {"bias": f"bias_ih{key0}" in arrays or f"bias_hh{key0}" in arrays}
        if not cls.is_cell:
            found["num_layers"] = num_layers
            found["bidirectional"] = "weight_ih_l0_reverse" in arrays
        if f"weight_hr{key0}" in arrays and cls.has_cell:
            projection = arrays[f"weight_hr{key0}"]
            found["proj_size"] = projection.shape[0] if projection.ndim == 2 else -1
        elif (
            cls.has_cell
            and first_recurrent.ndim == 2
            and first_recurrent.shape[0] == first_input.shape[0]
            and first_recurrent.shape[1] < hidden
        ):
            raise LstmfigsError(
                f"state_dict['weight_hh{key0}']: shape {first_recurrent.shape} means h of size "
                f"{first_recurrent.shape[1]} but the cell has {hidden} units; an LSTM with "
                f"proj_size needs weight_hr{key0}")
        model = cls(first_input.shape[1], hidden,
                    dtype=first_input.dtype if explicit_dtype is None else explicit_dtype,
                    **{**found, **cls._options_from_keys(arrays), **options})
        # dtype= is an explicit request to convert; without it every array must already
        # share the first one's dtype (load_state_dict reports the first that does not).
        converted = arrays if explicit_dtype is None else {
            key: value.astype(model.dtype) for key, value in arrays.items()}
        model.load_state_dict(converted)
        return model

    # ------------------------------------------------------------------ Keras
    @classmethod
    def _keras_layout(cls, kernel: np.ndarray, recurrent_kernel: np.ndarray) -> tuple[int, int]:
        if (
            recurrent_kernel.ndim != 2
            or recurrent_kernel.shape[1] != cls.gate_blocks * recurrent_kernel.shape[0]
        ):
            raise LstmfigsError(f"recurrent_kernel: expected shape (H, {cls.gate_blocks}*H), "
                                f"got {recurrent_kernel.shape}")
        hidden = recurrent_kernel.shape[0]
        if kernel.ndim != 2 or kernel.shape[1] != cls.gate_blocks * hidden:
            raise LstmfigsError(
                f"kernel: expected shape (I, {cls.gate_blocks * hidden}), got {kernel.shape}"
            )
        return kernel.shape[0], hidden

    def _reorder_blocks(self, matrix: np.ndarray, *, to_keras: bool) -> np.ndarray:
        """Permute the H-sized blocks along the last axis between Keras and PyTorch order."""
        hidden = self.hidden_size
        blocks = np.split(matrix, self.gate_blocks, axis=-1)
        if to_keras:
            ordered: list[np.ndarray] = [np.empty(0)] * self.gate_blocks
            for torch_block, keras_block in enumerate(self.keras_block_order):
                ordered[keras_block] = blocks[torch_block]
        else:
            ordered = [blocks[keras_block] for keras_block in self.keras_block_order]
        assert all(block.shape[-1] == hidden for block in ordered)
        return np.concatenate(ordered, axis=-1)

    @classmethod
    def _keras_biases(
        cls, bias: np.ndarray | None, rows: int, dtype: np.dtype
    ) -> tuple[np.ndarray, np.ndarray]:
        """Keras bias as (input-side, recurrent-side) vectors in Keras block order."""
        if bias is None:
            return np.zeros(rows, dtype), np.zeros(rows, dtype)
        bias = _checks.array(bias, "bias", (rows,), dtype)
        return bias, np.zeros(rows, dtype)

    @classmethod
    def from_keras(cls, kernel: Any, recurrent_kernel: Any, bias: Any = None,
                   **options: Any) -> Self:
        """A one-layer model from Keras weights: ``kernel`` (I, G*H), ``recurrent_kernel``
        (H, G*H), ``bias`` in Keras block order (``None`` for ``use_bias=False``).  The
        Keras bias goes into ``bias_ih_l0``; ``bias_hh_l0`` is zero (a GRU's bias is
        (2, 3H), input and recurrent: Keras ``reset_after=True``).

        Parameters
        ----------
        kernel : array_like
            (I, G*H), G the number of gate blocks (LSTM 4, GRU 3, RNN 1).
        recurrent_kernel : array_like
            (H, G*H).
        bias : array_like, optional
            (G*H,), or (2, 3H) for a GRU; None: zero biases.
        **options
            Constructor options; ``dtype`` (default: ``kernel``'s) must be every array's
            dtype.

        Returns
        -------
        RecurrentModel
            A one-layer model of this class.

        Raises
        ------
        LstmfigsError
            For arrays whose shapes do not fit together, or of another dtype than the
            model's.
        """
        kernel, recurrent_kernel = np.asarray(kernel), np.asarray(recurrent_kernel)
        inputs, hidden = cls._keras_layout(kernel, recurrent_kernel)
        model = cls(inputs, hidden, dtype=options.pop("dtype", kernel.dtype), **options)
        rows = cls.gate_blocks * hidden
        kernel = _checks.array(kernel, "kernel", (inputs, rows), model.dtype)
        recurrent_kernel = _checks.array(
            recurrent_kernel, "recurrent_kernel", (hidden, rows), model.dtype
        )
        bias_input, bias_recurrent = cls._keras_biases(
            None if bias is None else np.asarray(bias), rows, model.dtype
        )
        key = model.unit_key(0)
        model.params[f"weight_ih{key}"] = np.ascontiguousarray(
            model._reorder_blocks(kernel, to_keras=False).T
        )
        model.params[f"weight_hh{key}"] = np.ascontiguousarray(
            model._reorder_blocks(recurrent_kernel, to_keras=False).T
        )
        if model.bias:
            model.params[f"bias_ih{key}"] = model._reorder_blocks(bias_input, to_keras=False)
            model.params[f"bias_hh{key}"] = model._reorder_blocks(bias_recurrent, to_keras=False)
        return model

    def _keras_bias_out(self, key: str) -> np.ndarray:
        return self._reorder_blocks(
            self._bias("bias_ih", key) + self._bias("bias_hh", key), to_keras=True
        )

    def to_keras(self, layer: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(kernel, recurrent_kernel, bias)`` of layer ``layer`` (forward direction) in
        Keras layout and order.

        Parameters
        ----------
        layer : int, default: 0
            The layer, 0 <= layer < num_layers.

        Returns
        -------
        kernel, recurrent_kernel, bias : ndarray
            (I_layer, G*H), (H, G*H) and the bias: ``bias_ih + bias_hh`` (G*H,), or for a
            GRU both stacked (2, 3H); zeros without biases.

        Raises
        ------
        LstmfigsError
            For a layer out of range, or a model with ``proj_size`` (Keras has none).
        """
        if not 0 <= layer < self.num_layers:
            raise LstmfigsError(f"layer: expected 0 <= layer < {self.num_layers}, got {layer}")
        if self.proj_size:
            raise LstmfigsError("to_keras: Keras' LSTM has no projection (proj_size)")
        key = self.unit_key(layer)
        kernel = self._reorder_blocks(self.params[f"weight_ih{key}"].T, to_keras=True)
        recurrent = self._reorder_blocks(self.params[f"weight_hh{key}"].T, to_keras=True)
        return (
            np.ascontiguousarray(kernel),
            np.ascontiguousarray(recurrent),
            self._keras_bias_out(key),
        )

    # ------------------------------------------------------------------ checks
    def _check_input(self, x: Any) -> tuple[np.ndarray, bool]:
        """``x`` as time-major (T, B, I), and whether it was batched."""
        arr = np.asarray(x)
        if arr.ndim == 2:
            return _checks.array(arr, "x", ("T", self.input_size), self.dtype)[:, None, :], False
        layout = ("B", "T", self.input_size) if self.batch_first else ("T", "B", self.input_size)
        if arr.ndim != 3:
            raise LstmfigsError(f"x: expected shape ({', '.join(map(str, layout))}) or "
                                f"(T, {self.input_size}) (unbatched), got {arr.shape}")
        arr = _checks.array(arr, "x", layout, self.dtype)
        return (arr.transpose(1, 0, 2) if self.batch_first else arr), True

    def _check_state(
        self, value: Any, name: str, batch: int, size: int, batched: bool = True
    ) -> np.ndarray:
        """An initial or final state as (layers * directions, B, size); (B, size) is accepted
        for one unit; unbatched: (layers * directions, size)."""
        units = self.num_layers * self.num_directions
        arr = np.asarray(value)
        if not batched:
            return _checks.array(arr, name, (units, size), self.dtype)[:, None, :]
        if units == 1 and arr.ndim == 2:
            arr = arr[None]
        return _checks.array(arr, name, (units, batch, size), self.dtype)

    def _zeros_or_state(
        self, value: Any, name: str, batch: int, size: int, batched: bool
    ) -> np.ndarray:
        if value is None:
            return np.zeros((self.num_layers * self.num_directions, batch, size), self.dtype)
        return self._check_state(value, name, batch, size, batched)

    def _check_output_gradient(
        self, value: Any, steps: int, batch: int, batched: bool
    ) -> np.ndarray:
        """``dh`` in the output's layout, as time-major (T, B, D*H_out)."""
        width = self.num_directions * self.output_size
        if not batched:
            return _checks.array(value, "dh", (steps, width), self.dtype)[:, None, :]
        if self.batch_first:
            return _checks.array(value, "dh", (batch, steps, width), self.dtype).transpose(1, 0, 2)
        return _checks.array(value, "dh", (steps, batch, width), self.dtype)

    # ------------------------------------------------------------------ forward / backward
    def _layer_forward(self, key: str, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None) -> Any:
        raise NotImplementedError

    def _local_factors(self, key: str, trace: Any, start: int, stop: int,
                       work: ChunkWork) -> tuple[np.ndarray, ...]:
        """Per-step factors of the local derivatives for steps ``start..stop-1``, computed
        for a chunk of steps at once so that the per-step loop stays short (into
        ``work``'s buffers, valid until the next chunk)."""
        raise NotImplementedError

    def _backward_step(self, factors: tuple[np.ndarray, ...], j: int, dh_t: np.ndarray,
                       dc_t: np.ndarray | None, dc_next: np.ndarray | None, dz: np.ndarray,
                       dh_rec: np.ndarray) -> None:
        """One step of BPTT at chunk offset ``j``: from the total ``dh_t`` (and, with a cell,
        ``dc_next`` coming from step t+1) write the pre-activation gradient ``dz``, the cell
        gradient ``dc_t`` and what flows to step t-1 (``dc_next``, ``dh_rec``), in place."""
        raise NotImplementedError

    def _chunk_param_gradients(self, key: str, trace: Any, start: int, stop: int,
                               dz: np.ndarray, dh: np.ndarray, params: dict[str, np.ndarray],
                               dx: np.ndarray) -> None:
        """Add the weight gradients of steps ``start..stop-1`` to ``params`` (one product
        per weight over the chunk, from its ``dz`` and total ``dh``) and write their dL/dx
        into ``dx[start:stop]``.  Here: a unit whose ``dz`` is the gradient of both
        products' sum (LSTM, RNN)."""
        self._add_unit_gradients(key, trace, start, stop, dz, dz, params, dx)

    def _add_unit_gradients(self, key: str, trace: Any, start: int, stop: int,
                            dz_input: np.ndarray, dz_recurrent: np.ndarray,
                            params: dict[str, np.ndarray], dx: np.ndarray) -> None:
        """The share of a chunk of steps in the gradients of ``weight_ih``, ``bias_ih``
        (from ``dz_input``, the gradient of W_ih x + b_ih), ``weight_hh``, ``bias_hh``
        (from ``dz_recurrent``, that of W_hh h + b_hh), each (n, B, G*H), and dL/dx."""
        inputs = trace.x.shape[-1]
        dz_flat = dz_input.reshape(-1, dz_input.shape[-1])
        params[f"weight_ih{key}"] += dz_flat.T @ trace.x[start:stop].reshape(-1, inputs)
        add_previous_product(params[f"weight_hh{key}"], dz_recurrent, trace.h, trace.h0,
                             start, stop)
        if self.bias:
            bias = dz_flat.sum(axis=0)
            params[f"bias_ih{key}"] += bias
            params[f"bias_hh{key}"] += bias if dz_recurrent is dz_input else (
                dz_recurrent.reshape(-1, dz_recurrent.shape[-1]).sum(axis=0))
        np.matmul(dz_flat, self.params[f"weight_ih{key}"], out=dx[start:stop].reshape(-1, inputs))

    def _unit_param_names(self, key: str) -> list[str]:
        """The names of a unit's parameters, in ``params``' order."""
        return [name for name in self.params
                if any(name == stem + key for stem in self.param_stems + self.extra_param_stems)]

    def _layer_backward(
        self,
        key: str,
        trace: Any,
        dh: np.ndarray | None,
        dh_last: np.ndarray | None,
        dc_last: np.ndarray | None,
        *,
        steps: int | None = None,
        need_params: bool = True,
    ) -> tuple[LayerGradients, np.ndarray | None]:
        """BPTT through one unit (its trace in computation order) over its first ``steps``.

        ``dh`` (T, B, H_out) is dL/dh_t from above (None: zero); ``dh_last``/``dc_last``
        seed the last step.  They may carry leading seed axes (S, B, H) for the Jacobian
        probe; then nothing per step is kept, norms are taken over seeds and features, and
        the second result is the per-step norm of the cell-state gradient arriving from
        later steps (∂/∂c_t with h_t held fixed), else None.

        Time is walked backwards in chunks: per chunk the local factors, then the steps
        (their gradients into chunk buffers), then the chunk's share of the weight gradients
        and of dL/dx, so only chunk-sized arrays live besides the trace and the results.
        """
        steps = trace.h.shape[0] if steps is None else steps
        batch, hidden, dtype = trace.h.shape[1], self.hidden_size, self.dtype
        h_shape = (batch, trace.h.shape[-1]) if dh_last is None else dh_last.shape
        seed_shape = h_shape[:-2]
        c_shape = seed_shape + (batch, hidden)
        seed_axes = len(seed_shape)
        dz_width = self.dz_blocks * hidden
        dh_rec = np.zeros(h_shape, dtype) if dh_last is None else dh_last.astype(dtype, copy=True)
        dc_next = None
        if self.has_cell:
            dc_next = (
                np.zeros(c_shape, dtype) if dc_last is None else dc_last.astype(dtype, copy=True)
            )
        chunks = time_chunks(steps, int(np.prod(seed_shape, dtype=int)) * batch * dz_width,
                             reverse=True)
        rows = chunks[0][1] - chunks[0][0] if len(chunks) == 1 else chunks[1][1] - chunks[1][0]
        work = ChunkWork(self._buffers, f"backward{key}", rows, dtype)
        dh_chunk = work.array("dh", h_shape)
        dc_chunk = work.array("dc", c_shape) if self.has_cell else None
        dz_chunk = work.array("dz", seed_shape + (batch, dz_width))
        dh_norm = np.empty((steps, batch), dtype)
        dc_norm = np.empty((steps, batch), dtype) if self.has_cell else None
        carry_norm = None if seed_axes == 0 else np.zeros((steps, batch), dtype)
        params: dict[str, np.ndarray] = {}
        dx = None
        if need_params:
            params = {name: np.zeros_like(self.params[name])
                      for name in self._unit_param_names(key)}
            dx = np.empty(trace.x.shape, dtype)
        for start, stop in chunks:
            factors = self._local_factors(key, trace, start, stop, work)
            for t in range(stop - 1, start - 1, -1):
                j = t - start
                dh_t, dz = dh_chunk[j], dz_chunk[j]
                dc_t = None if dc_chunk is None else dc_chunk[j]
                if carry_norm is not None and dc_next is not None:
                    carry_norm[t] = per_sample_norm(dc_next, seed_axes)
                if dh is None:
                    dh_t[...] = dh_rec
                else:
                    np.add(dh_rec, dh[t], out=dh_t)
                self._backward_step(factors, j, dh_t, dc_t, dc_next, dz, dh_rec)
            # Norms over the seed axes (after the chunk's time axis) and the features.
            count = stop - start
            dh_norm[start:stop] = per_sample_norm(np.moveaxis(dh_chunk[:count], 0, seed_axes),
                                                  seed_axes)
            if dc_norm is not None and dc_chunk is not None:
                dc_norm[start:stop] = per_sample_norm(
                    np.moveaxis(dc_chunk[:count], 0, seed_axes), seed_axes)
            if dx is not None:
                self._chunk_param_gradients(key, trace, start, stop, dz_chunk[:count],
                                            dh_chunk[:count], params, dx)
            del factors  # frees the chunk buffers' views for the next chunk
        grads = LayerGradients(x=dx, h0=dh_rec, c0=dc_next, params=params,  # type: ignore[arg-type]
                               dh_norm=dh_norm, dc_norm=dc_norm)
        return grads, carry_norm

    def _dropout_masks(self, training: bool, seed: int, steps: int, batch: int) -> list[np.ndarray]:
        """Scaled keep-masks (T, B, D*H_out) for the output of every layer but the last."""
        if not training or not self.dropout or self.num_layers == 1:
            return []
        keep = 1.0 - self.dropout
        width = self.num_directions * self.output_size
        return [((np.random.default_rng([seed, layer]).random((steps, batch, width)) < keep)
                 / keep).astype(self.dtype) for layer in range(self.num_layers - 1)]

    def _run(self, x: Any, h0: Any, c0: Any, trace: bool, training: bool = False,
             seed: int = 0) -> ModelTrace:
        """Run every unit; the ``trace_class`` result of ``forward``."""
        x, batched = self._check_input(x)
        steps, batch = x.shape[0], x.shape[1]
        if steps == 0:
            raise LstmfigsError("x: expected at least one time step, got shape " + str(x.shape))
        _checks.flag(training, "training")
        h_state = self._zeros_or_state(h0, "h0", batch, self.output_size, batched)
        c_state = (
            self._zeros_or_state(c0, "c0", batch, self.hidden_size, batched)
            if self.has_cell
            else None
        )
        masks = self._dropout_masks(training, _checks.seed(seed), steps, batch)
        def finish(h_n: np.ndarray, c_n: np.ndarray | None, layers: list[Any]) -> ModelTrace:
            if not batched:
                h_n, c_n = h_n[:, 0], None if c_n is None else c_n[:, 0]
            return self.trace_class(
                layers=layers,
                h_n=h_n,
                c_n=c_n,
                num_directions=self.num_directions,
                batch_first=self.batch_first,
                batched=batched,
                dropout=masks,
            )

        if trace or self.bidirectional or masks:
            # The reverse direction needs the whole sequence of the layer below, so
            # bidirectional (and dropout) runs keep every layer's trace.
            units: list[Any] = []
            layer_input = x
            for layer in range(self.num_layers):
                outputs = []
                for direction in range(self.num_directions):
                    index, key = len(units), self.unit_key(layer, direction)
                    c_init = None if c_state is None else c_state[index]
                    if direction:
                        unit = flip_time(
                            self._layer_forward(key, layer_input[::-1], h_state[index], c_init)
                        )
                    else:
                        unit = self._layer_forward(key, layer_input, h_state[index], c_init)
                    units.append(unit)
                    outputs.append(unit.h)
                layer_input = outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=-1)
                if layer < len(masks):
                    layer_input = layer_input * masks[layer]
            # The final state of a reverse unit is its state after x[0].
            h_n = np.stack([unit.h[0 if unit.reverse else -1] for unit in units])
            c_n = (
                np.stack([unit.c[0 if unit.reverse else -1] for unit in units])
                if self.has_cell
                else None
            )
            return finish(h_n, c_n, units if trace else [])
        # No trace: walk time in bounded chunks through all layers, keeping only the states,
        # so memory does not grow with T (beyond x itself).
        h_state, c_state = h_state.copy(), None if c_state is None else c_state.copy()
        per_step = batch * self.gate_blocks * self.hidden_size
        for start, stop in time_chunks(steps, per_step, limit=UNTRACED_CHUNK_ELEMENTS):
            layer_input = x[start:stop]
            for layer in range(self.num_layers):
                chunk_trace = self._layer_forward(self.unit_key(layer), layer_input, h_state[layer],
                                                  None if c_state is None else c_state[layer])
                h_state[layer] = chunk_trace.h[-1]
                if c_state is not None:
                    c_state[layer] = chunk_trace.c[-1]
                layer_input = chunk_trace.h
            del chunk_trace, layer_input  # so the next chunk reuses their buffers
        return finish(h_state, c_state, [])

    def _check_trace(self, trace: Any) -> None:
        if not getattr(trace, "layers", None):
            raise LstmfigsError(
                "tr: expected a trace with per-step values (forward(..., trace=True))"
            )
        if len(trace.layers) != self.num_layers * self.num_directions \
                or trace.layers[0].x.shape[-1] != self.input_size:
            raise LstmfigsError(
                f"tr: expected a trace of this model ({self.num_layers} layer(s), "
                f"{self.num_directions} direction(s), input size {self.input_size})"
            )

    def backward(self, tr: Any, dh: Any, dh_n: Any = None, dc_n: Any = None) -> Gradients:
        """Exact backpropagation through time through the trace ``tr`` of ``forward``.

        ``dh``: dL/d(output) in the layout of ``tr.output`` ((T, B, D*H_out); (B, T, ...)
        with ``batch_first``; (T, D*H_out) unbatched), zeros where the loss does not look.
        ``dh_n``/``dc_n``: optional gradients w.r.t. the final states, shaped like ``h_n``
        and ``c_n`` (``dc_n`` LSTM only).  Gradients flow down through the layers (and
        through the dropout masks the forward pass used).

        Parameters
        ----------
        tr : ModelTrace
            What ``forward(..., trace=True)`` of this model returned.
        dh : array_like
            dL/d(output), shaped like ``tr.output``, of the model's dtype.
        dh_n : array_like, optional
            dL/dh_n, shaped like ``tr.h_n``.
        dc_n : array_like, optional
            dL/dc_n, shaped like ``tr.c_n`` (models with a cell state only).

        Returns
        -------
        Gradients
            dL/dx, dL/dh0, dL/dc0, the parameters' gradients keyed like ``params``, and
            the per-step norms of the gradients reaching h_t and c_t.

        Raises
        ------
        LstmfigsError
            For a trace without per-step values or of another model, or a gradient of the
            wrong shape or dtype.
        """
        self._check_trace(tr)
        top = tr.layers[-1]
        steps, batch, batched = top.h.shape[0], top.h.shape[1], tr.batched
        upstream = self._check_output_gradient(dh, steps, batch, batched)
        dh_n = (
            None
            if dh_n is None
            else self._check_state(dh_n, "dh_n", batch, self.output_size, batched)
        )
        if dc_n is not None and not self.has_cell:
            raise LstmfigsError(f"dc_n: {type(self).__name__} has no cell state; pass dh_n only")
        dc_n = (
            None
            if dc_n is None
            else self._check_state(dc_n, "dc_n", batch, self.hidden_size, batched)
        )
        units = self.units()
        unit_grads: list[LayerGradients] = [None] * len(units)  # type: ignore[list-item]
        width = self.output_size
        for layer in reversed(range(self.num_layers)):
            dx_total = None
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                key = units[index][2]
                unit = tr.layers[index]
                up = (
                    upstream
                    if self.num_directions == 1
                    else upstream[..., direction * width : (direction + 1) * width]
                )
                seeds = (
                    None if dh_n is None else dh_n[index],
                    None if dc_n is None else dc_n[index],
                )
                if unit.reverse:
                    grads, _ = self._layer_backward(key, flip_time(unit), up[::-1], *seeds)
                    grads.x, grads.dh_norm = grads.x[::-1], grads.dh_norm[::-1]
                    grads.dc_norm = None if grads.dc_norm is None else grads.dc_norm[::-1]
                else:
                    grads, _ = self._layer_backward(key, unit, up, *seeds)
                unit_grads[index] = grads
                dx_total = grads.x if dx_total is None else dx_total + grads.x
            assert dx_total is not None
            if 0 < layer <= len(tr.dropout):
                dx_total = dx_total * tr.dropout[layer - 1]
            upstream = dx_total
        params = {name: next(g.params[name] for g in unit_grads if name in g.params)
                  for name in self.params}
        dx, h0_grad = upstream, np.stack([g.h0 for g in unit_grads])
        c0_grad = np.stack([g.c0 for g in unit_grads]) if self.has_cell else None  # type: ignore[misc]
        if not batched:
            dx, h0_grad = dx[:, 0], h0_grad[:, 0]
            c0_grad = None if c0_grad is None else c0_grad[:, 0]
        elif self.batch_first:
            dx = dx.transpose(1, 0, 2)
        main = unit_grads[-self.num_directions]
        return Gradients(x=dx, h0=h0_grad, c0=c0_grad, params=params, dh_norm=main.dh_norm,
                         dc_norm=main.dc_norm, layers=unit_grads)

    def jacobian_norms(self, tr: Any, t_end: int | None = None, *, direction: int = 0,
                       whole_state: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Frobenius norms ||d h_{t_end} / d h_t|| of the last layer, per sample.

        The derivative is the one BPTT propagates: h_t perturbed with the cell state c_t
        held fixed (for the LSTM, the path through c_t is part of how h_t reaches later
        steps).  ``whole_state=True`` measures the whole state instead (Pascanu et al.
        2013): ||d h_{t_end} / d(h_t, c_t)||, h_t and c_t perturbed independently (the same
        as the default for GRU and RNN, whose state is h).  Returns ``lags`` (n,) = 0, 1,
        ..., and ``norms`` (n, B) with ``norms[lag]`` at t = t_end - lag; ``norms[0]`` is
        sqrt(H_out) (the identity).  ``direction=1`` probes the reverse direction of a
        bidirectional model, whose time runs backwards: t_end defaults to 0 and
        ``norms[lag]`` is at t = t_end + lag.

        Parameters
        ----------
        tr : ModelTrace
            What ``forward(..., trace=True)`` of this model returned.
        t_end : int, optional
            The step probed, 0 <= t_end < T (default: the direction's last step).
        direction : int, default: 0
            0, or 1 for the reverse direction of a bidirectional model.
        whole_state : bool, default: False
            Perturb the whole state (h_t, c_t) instead of h_t alone.

        Returns
        -------
        lags : ndarray
            0, 1, ..., n - 1 (int), n being the number of steps back to the sequence's
            start.
        norms : ndarray
            (n, B), of the model's dtype: ``norms[lag]`` the Frobenius norm of the
            Jacobian ``lag`` steps back.
        """
        self._check_trace(tr)
        if direction not in range(self.num_directions):
            raise LstmfigsError(
                f"direction: expected 0{' or 1' if self.bidirectional else ''}, got {direction!r}"
            )
        unit = tr.layers[-self.num_directions + direction]
        steps, batch = unit.h.shape[0], unit.h.shape[1]
        if t_end is None:
            t_end = 0 if direction else steps - 1
        if (
            isinstance(t_end, bool)
            or not isinstance(t_end, (int, np.integer))
            or not 0 <= t_end < steps
        ):
            raise LstmfigsError(
                f"t_end: expected an integer step 0 <= t_end < {steps}, got {t_end!r}"
            )
        if direction:
            unit, probe_end = flip_time(unit), steps - 1 - int(t_end)
        else:
            probe_end = int(t_end)
        width = unit.h.shape[-1]
        # One seed per output coordinate of h_{t_end}: the seeds' adjoints at step t are the
        # rows of the Jacobian, so the norm over seeds and features is its Frobenius norm.
        seeds = np.broadcast_to(np.eye(width, dtype=self.dtype)[:, None, :], (width, batch, width))
        key = self.unit_key(self.num_layers - 1, direction)
        grads, carry = self._layer_backward(key, unit, None, np.ascontiguousarray(seeds), None,
                                            steps=probe_end + 1, need_params=False)
        norms = grads.dh_norm
        if whole_state and carry is not None:
            norms = np.sqrt(np.square(norms) + np.square(carry))
        return np.arange(probe_end + 1), norms[::-1].copy()


def previous_states(sequence: np.ndarray, initial: np.ndarray, start: int, stop: int) -> np.ndarray:
    """States entering steps ``start..stop-1``: ``sequence[t-1]``, or ``initial`` at t = 0."""
    previous = np.empty((stop - start,) + sequence.shape[1:], sequence.dtype)
    previous[1:] = sequence[start:stop - 1]
    previous[0] = initial if start == 0 else sequence[start - 1]
    return previous


def previous_steps(sequence: np.ndarray, initial: np.ndarray, start: int, stop: int,
                   buffer: np.ndarray) -> np.ndarray:
    """Like :func:`previous_states`, but a view of ``sequence`` when ``start`` > 0 and else
    written into ``buffer`` (shaped like the result)."""
    if start:
        return sequence[start - 1:stop - 1]
    buffer[1:] = sequence[:stop - 1]
    buffer[0] = initial
    return buffer


def add_previous_product(out: np.ndarray, dz: np.ndarray, sequence: np.ndarray,
                         initial: np.ndarray, start: int, stop: int) -> None:
    """``out += sum_t dz[t]^T prev[t]`` over steps ``start..stop-1``, ``prev[t]`` being
    ``sequence[t-1]`` (``initial`` at t = 0): a weight gradient over a chunk of steps,
    with ``dz`` (stop - start, B, G) and ``sequence`` (T, B, W)."""
    if start == 0:
        out += dz[0].T @ initial
        dz, start = dz[1:], 1
        if stop == 1:
            return
    out += (dz.reshape(-1, dz.shape[-1]).T
            @ sequence[start - 1:stop - 1].reshape(-1, sequence.shape[-1]))


class CellMixin:
    """``torch.nn.LSTMCell``/``GRUCell``/``RNNCell``: one unit whose parameter names have
    no ``_l0`` (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``).  ``forward`` runs
    the cell over a sequence as the network class does; ``step`` is one call of the
    PyTorch cell."""

    is_cell: ClassVar[bool] = True

    def _one_step(self, x: Any, states: tuple[Any, ...]) -> Any:
        model: Any = self
        arr = np.asarray(x)
        if arr.ndim not in (1, 2):
            raise LstmfigsError(
                f"x: expected shape (B, {model.input_size}) or ({model.input_size},), "
                f"got {arr.shape}"
            )
        lifted = [None if state is None else np.asarray(state)[None] for state in states]
        return model.forward(arr[None], *lifted, trace=False)
