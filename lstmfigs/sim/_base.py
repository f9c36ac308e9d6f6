"""What LSTM, GRU and RNN share: parameters keyed by PyTorch names, weight import and
export, input checks, stacking of layers, chunked long runs and the Jacobian-norm probe.

A subclass describes one layer: how many gate blocks it has (``gate_blocks``), whether it
carries a cell state, how a layer runs forward over a sequence (``_layer_forward``) and
how it backpropagates (``_layer_backward``).  Everything about several layers, validation
and weight formats lives here once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np

from .. import safeio
from ..errors import LstmfigsError
from . import _checks

ModelT = TypeVar("ModelT", bound="RecurrentModel")

#: Target number of elements in backward's per-chunk arrays of precomputed factors: small
#: enough to stay in cache, big enough to amortise the NumPy calls made once per chunk.
CHUNK_ELEMENTS = 1 << 18
#: The same for the work arrays of trace-free runs, which bound their memory.
UNTRACED_CHUNK_ELEMENTS = 1 << 16


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
    return np.sqrt(np.square(values).sum(axis=(-1, *range(seed_axes))))


@dataclass
class LayerGradients:
    """Gradients of one layer: w.r.t. its input sequence, initial states and parameters.

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

    ``x`` (T, B, I); ``h0``/``c0`` (num_layers, B, H) (``c0`` None without a cell state);
    ``params`` keyed like PyTorch's ``state_dict``; ``dh_norm``/``dc_norm`` (T, B): the
    per-sample norm of the total gradient reaching step t of the last layer: dL/dh_t is
    the direct term dh[t] plus all that flows back from later steps (with c_t held fixed);
    dL/dc_t includes the path through h_t = o_t tanh(c_t).  ``layers[k]``: the same for
    layer k (its ``x`` is dL/d(input of layer k)).
    """

    layers: list[LayerGradients] = field(default_factory=list)


def last_layer(name: str) -> property:
    """A trace attribute that reads the last layer's ``name`` (None without a trace)."""
    return property(lambda self: getattr(self.layers[-1], name) if self.layers else None,
                    doc=f"The last layer's ``{name}`` (None when forward ran with trace=False).")


def gate_block(index: int) -> property:
    """A layer-trace attribute: block ``index`` (H wide) of its ``gates``."""
    def block(self: Any) -> np.ndarray:
        hidden = self.h.shape[-1]
        return self.gates[..., index * hidden:(index + 1) * hidden]
    return property(block)


@dataclass
class ModelTrace:
    """Result of ``forward``: ``h_n`` (and ``c_n`` for the LSTM) (num_layers, B, H) always;
    with ``trace=True`` ``layers`` holds one trace per layer and ``h``, ``preact`` (and the
    cell-specific attributes) are the last layer's; with ``trace=False`` ``layers`` is empty
    and those are None."""

    layers: list[Any]
    h_n: np.ndarray
    c_n: np.ndarray | None = None

    h = last_layer("h")
    preact = last_layer("preact")


class RecurrentModel:
    """Base of :class:`LSTM`, :class:`GRU` and :class:`RNN` (see those for the maths).

    ``params`` is the live mapping of parameters (PyTorch names, PyTorch shapes); the
    trainer updates it in place.  Sequences are time-major: ``x`` is (T, B, I).
    """

    #: Number of H-row blocks stacked in ``weight_ih`` (LSTM 4, GRU 3, RNN 1).
    gate_blocks: ClassVar[int]
    #: Width of the per-step pre-activation gradient, in blocks of H (see _backward_step).
    dz_blocks: ClassVar[int]
    #: Whether the cell carries a second state ``c`` (LSTM only).
    has_cell: ClassVar[bool] = False
    #: ``keras_block_order[j]`` is the Keras block that holds PyTorch block j.
    keras_block_order: ClassVar[tuple[int, ...]]
    #: Parameter stems per layer, in PyTorch's registration order.
    param_stems: ClassVar[tuple[str, ...]] = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

    input_size: int
    hidden_size: int
    num_layers: int
    dtype: np.dtype
    params: dict[str, np.ndarray]

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 dtype: Any = "float32", seed: int = 0) -> None:
        self.input_size = _checks.positive_int(input_size, "input_size")
        self.hidden_size = _checks.positive_int(hidden_size, "hidden_size")
        self.num_layers = _checks.positive_int(num_layers, "num_layers")
        self.dtype = _checks.resolve_dtype(dtype)
        self.params = self._pytorch_default_init(np.random.default_rng(seed))

    # ------------------------------------------------------------------ parameters
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Expected shape of every parameter, in PyTorch's order."""
        rows = self.gate_blocks * self.hidden_size
        shapes: dict[str, tuple[int, ...]] = {}
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else self.hidden_size
            shapes[f"weight_ih_l{layer}"] = (rows, inputs)
            shapes[f"weight_hh_l{layer}"] = (rows, self.hidden_size)
            shapes[f"bias_ih_l{layer}"] = (rows,)
            shapes[f"bias_hh_l{layer}"] = (rows,)
            shapes.update(self._extra_param_shapes(layer))
        return shapes

    def _extra_param_shapes(self, layer: int) -> dict[str, tuple[int, ...]]:
        return {}

    def _pytorch_default_init(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        # PyTorch draws every parameter from U(-1/sqrt(H), 1/sqrt(H)).  Drawing in float64
        # and rounding makes float32 and float64 models with one seed the same model.
        bound = 1.0 / np.sqrt(self.hidden_size)
        return {name: rng.uniform(-bound, bound, size=shape).astype(self.dtype)
                for name, shape in self.param_shapes().items()}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters under PyTorch's names (loadable by ``torch.nn.LSTM``
        etc. after ``torch.from_numpy``; peephole weights have no PyTorch counterpart)."""
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Replace the parameters with ``state_dict`` (same names, shapes and dtype)."""
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
    def _options_from_keys(cls, keys: set[str]) -> dict[str, Any]:
        return {}

    @classmethod
    def from_torch(cls: type[ModelT], state_dict: Mapping[str, Any] | str | os.PathLike[str],
                   **options: Any) -> ModelT:
        """A model holding a PyTorch ``state_dict``: a mapping of arrays (or CPU tensors) or
        a path to an ``.npz`` file with PyTorch's key names.  Sizes, layer count and dtype
        come from the arrays; ``options`` are further constructor flags."""
        if isinstance(state_dict, (str, os.PathLike)):
            try:
                state_dict = safeio.load_npz(state_dict, "weights file")
            except LstmfigsError as error:
                raise LstmfigsError(f"state_dict: {error}") from None
        if not isinstance(state_dict, Mapping):
            raise LstmfigsError("state_dict: expected a mapping of arrays or a path to an .npz file")
        arrays = {key: np.asarray(value) for key, value in state_dict.items()}
        first_input = _checks.mapping_entry(arrays, "weight_ih_l0", "state_dict")
        _checks.mapping_entry(arrays, "weight_hh_l0", "state_dict")
        blocks = cls.gate_blocks
        if first_input.ndim != 2 or first_input.shape[0] % blocks or not first_input.shape[0]:
            raise LstmfigsError(f"state_dict['weight_ih_l0']: expected shape ({blocks}*H, I), "
                                f"got {first_input.shape}")
        hidden = first_input.shape[0] // blocks
        num_layers = 1
        while f"weight_ih_l{num_layers}" in arrays:
            num_layers += 1
        explicit_dtype = options.pop("dtype", None)
        if explicit_dtype is None and first_input.dtype.name not in _checks.DTYPES:
            raise LstmfigsError("state_dict['weight_ih_l0']: expected dtype float32 or float64, "
                                f"got {first_input.dtype.name}")
        model = cls(first_input.shape[1], hidden, num_layers=num_layers,
                    dtype=first_input.dtype if explicit_dtype is None else explicit_dtype,
                    **{**cls._options_from_keys(set(arrays)), **options})
        # dtype= is an explicit request to convert; without it every array must already
        # share the first one's dtype (load_state_dict reports the first that does not).
        converted = arrays if explicit_dtype is None else {
            key: value.astype(model.dtype) for key, value in arrays.items()}
        model.load_state_dict(converted)
        return model

    # ------------------------------------------------------------------ Keras
    @classmethod
    def _keras_layout(cls, kernel: np.ndarray, recurrent_kernel: np.ndarray) -> tuple[int, int]:
        if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != cls.gate_blocks * recurrent_kernel.shape[0]:
            raise LstmfigsError(f"recurrent_kernel: expected shape (H, {cls.gate_blocks}*H), "
                                f"got {recurrent_kernel.shape}")
        hidden = recurrent_kernel.shape[0]
        if kernel.ndim != 2 or kernel.shape[1] != cls.gate_blocks * hidden:
            raise LstmfigsError(f"kernel: expected shape (I, {cls.gate_blocks * hidden}), got {kernel.shape}")
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
    def _keras_biases(cls, bias: np.ndarray | None, rows: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        """Keras bias as (input-side, recurrent-side) vectors in Keras block order."""
        if bias is None:
            return np.zeros(rows, dtype), np.zeros(rows, dtype)
        bias = _checks.array(bias, "bias", (rows,), dtype)
        return bias, np.zeros(rows, dtype)

    @classmethod
    def from_keras(cls: type[ModelT], kernel: Any, recurrent_kernel: Any, bias: Any = None,
                   **options: Any) -> ModelT:
        """A one-layer model from Keras weights: ``kernel`` (I, G*H), ``recurrent_kernel``
        (H, G*H), ``bias`` in Keras block order (``None`` for ``use_bias=False``).  The
        Keras bias goes into ``bias_ih_l0``; ``bias_hh_l0`` is zero."""
        kernel, recurrent_kernel = np.asarray(kernel), np.asarray(recurrent_kernel)
        inputs, hidden = cls._keras_layout(kernel, recurrent_kernel)
        model = cls(inputs, hidden, dtype=options.pop("dtype", kernel.dtype), **options)
        rows = cls.gate_blocks * hidden
        kernel = _checks.array(kernel, "kernel", (inputs, rows), model.dtype)
        recurrent_kernel = _checks.array(recurrent_kernel, "recurrent_kernel", (hidden, rows), model.dtype)
        input_bias, recurrent_bias = cls._keras_biases(
            None if bias is None else np.asarray(bias), rows, model.dtype)
        model.params.update({
            "weight_ih_l0": np.ascontiguousarray(model._reorder_blocks(kernel, to_keras=False).T),
            "weight_hh_l0": np.ascontiguousarray(model._reorder_blocks(recurrent_kernel, to_keras=False).T),
            "bias_ih_l0": model._reorder_blocks(input_bias, to_keras=False),
            "bias_hh_l0": model._reorder_blocks(recurrent_bias, to_keras=False),
        })
        return model

    def _keras_bias_out(self, layer: int) -> np.ndarray:
        total = self.params[f"bias_ih_l{layer}"] + self.params[f"bias_hh_l{layer}"]
        return self._reorder_blocks(total, to_keras=True)

    def to_keras(self, layer: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(kernel, recurrent_kernel, bias)`` of layer ``layer`` in Keras layout and order."""
        if not 0 <= layer < self.num_layers:
            raise LstmfigsError(f"layer: expected 0 <= layer < {self.num_layers}, got {layer}")
        kernel = self._reorder_blocks(self.params[f"weight_ih_l{layer}"].T, to_keras=True)
        recurrent = self._reorder_blocks(self.params[f"weight_hh_l{layer}"].T, to_keras=True)
        return np.ascontiguousarray(kernel), np.ascontiguousarray(recurrent), self._keras_bias_out(layer)

    # ------------------------------------------------------------------ checks
    def _check_input(self, x: Any) -> np.ndarray:
        return _checks.array(x, "x", ("T", "B", self.input_size), self.dtype)

    def _check_state(self, value: Any, name: str, batch: int) -> np.ndarray:
        """An initial or final state as (num_layers, B, H); (B, H) is accepted for one layer."""
        expected = (self.num_layers, batch, self.hidden_size)
        arr = np.asarray(value)
        if self.num_layers == 1 and arr.ndim == 2:
            arr = arr[None]
        return _checks.array(arr, name, expected, self.dtype)

    def _zeros_or_state(self, value: Any, name: str, batch: int) -> np.ndarray:
        if value is None:
            return np.zeros((self.num_layers, batch, self.hidden_size), self.dtype)
        return self._check_state(value, name, batch)

    # ------------------------------------------------------------------ forward / backward
    def _layer_forward(self, layer: int, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None) -> Any:
        raise NotImplementedError

    def _local_factors(self, layer: int, trace: Any, start: int, stop: int) -> tuple[np.ndarray, ...]:
        """Per-step factors of the local derivatives for steps ``start..stop-1``, computed
        for a chunk of steps at once so that the per-step loop stays short."""
        raise NotImplementedError

    def _backward_step(self, factors: tuple[np.ndarray, ...], j: int, dh_t: np.ndarray,
                       dc_t: np.ndarray | None, dc_next: np.ndarray | None, dz: np.ndarray,
                       dh_rec: np.ndarray, layer: int) -> None:
        """One step of BPTT at chunk offset ``j``: from the total ``dh_t`` (and, with a cell,
        ``dc_next`` coming from step t+1) write the pre-activation gradient ``dz``, the cell
        gradient ``dc_t`` and what flows to step t-1 (``dc_next``, ``dh_rec``), in place."""
        raise NotImplementedError

    def _param_gradients(self, layer: int, trace: Any, dz_all: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Weight gradients as single products over all steps (from ``dz_all``), and dL/dx."""
        raise NotImplementedError

    def _layer_backward(self, layer: int, trace: Any, dh: np.ndarray | None, dh_last: np.ndarray | None,
                        dc_last: np.ndarray | None, *, steps: int | None = None,
                        need_params: bool = True) -> LayerGradients:
        """BPTT through one layer over its first ``steps`` steps.

        ``dh`` (T, B, H) is dL/dh_t from above (None: zero); ``dh_last``/``dc_last`` seed
        the last step.  They may carry leading seed axes (S, B, H) for the Jacobian probe;
        then nothing per step is kept and norms are taken over seeds and features.
        """
        steps = trace.h.shape[0] if steps is None else steps
        batch, hidden, dtype = trace.h.shape[1], self.hidden_size, self.dtype
        state_shape = (batch, hidden) if dh_last is None else dh_last.shape
        seed_axes = len(state_shape) - 2
        store = seed_axes == 0
        dz_width = self.dz_blocks * hidden
        dh_rec = np.zeros(state_shape, dtype) if dh_last is None else dh_last.astype(dtype, copy=True)
        dc_next = None
        if self.has_cell:
            dc_next = np.zeros(state_shape, dtype) if dc_last is None else dc_last.astype(dtype, copy=True)
        if store:
            dh_total = np.empty((steps, batch, hidden), dtype)
            dc_total = np.empty((steps, batch, hidden), dtype) if self.has_cell else None
            dz_all = np.empty((steps, batch, dz_width), dtype)
        else:
            dh_work = np.empty(state_shape, dtype)
            dc_work = np.empty(state_shape, dtype) if self.has_cell else None
            dz_work = np.empty(state_shape[:-1] + (dz_width,), dtype)
            dh_norm = np.empty((steps, batch), dtype)
            dc_norm = np.empty((steps, batch), dtype) if self.has_cell else None
        for start, stop in time_chunks(steps, batch * dz_width, reverse=True):
            factors = self._local_factors(layer, trace, start, stop)
            for t in range(stop - 1, start - 1, -1):
                if store:
                    dh_t, dz = dh_total[t], dz_all[t]
                    dc_t = None if dc_total is None else dc_total[t]
                else:
                    dh_t, dc_t, dz = dh_work, dc_work, dz_work
                if dh is None:
                    dh_t[...] = dh_rec
                else:
                    np.add(dh_rec, dh[t], out=dh_t)
                self._backward_step(factors, t - start, dh_t, dc_t, dc_next, dz, dh_rec, layer)
                if not store:
                    dh_norm[t] = per_sample_norm(dh_t, seed_axes)
                    if dc_norm is not None:
                        dc_norm[t] = per_sample_norm(dc_t, seed_axes)  # type: ignore[arg-type]
        if store:
            dh_norm = per_sample_norm(dh_total)
            dc_norm = None if dc_total is None else per_sample_norm(dc_total)
        params: dict[str, np.ndarray] = {}
        dx = None
        if need_params:
            params, dx = self._param_gradients(layer, trace, dz_all)
        return LayerGradients(x=dx, h0=dh_rec, c0=dc_next, params=params,  # type: ignore[arg-type]
                              dh_norm=dh_norm, dc_norm=dc_norm)

    def _run(self, x: Any, h0: Any, c0: Any, trace: bool) -> tuple[list[Any], np.ndarray, np.ndarray | None]:
        """Run every layer; return (per-layer traces or [], h_n, c_n)."""
        x = self._check_input(x)
        steps, batch = x.shape[0], x.shape[1]
        if steps == 0:
            raise LstmfigsError("x: expected at least one time step, got shape " + str(x.shape))
        h_state = self._zeros_or_state(h0, "h0", batch)
        c_state = self._zeros_or_state(c0, "c0", batch) if self.has_cell else None
        if trace:
            layers, layer_input = [], x
            for layer in range(self.num_layers):
                layer_trace = self._layer_forward(layer, layer_input, h_state[layer],
                                                  None if c_state is None else c_state[layer])
                layers.append(layer_trace)
                layer_input = layer_trace.h
            h_n = np.stack([lt.h[-1] for lt in layers])
            c_n = np.stack([lt.c[-1] for lt in layers]) if self.has_cell else None
            return layers, h_n, c_n
        # No trace: walk time in bounded chunks through all layers, keeping only the states,
        # so memory does not grow with T (beyond x itself).
        h_state, c_state = h_state.copy(), None if c_state is None else c_state.copy()
        per_step = batch * self.gate_blocks * self.hidden_size
        for start, stop in time_chunks(steps, per_step, limit=UNTRACED_CHUNK_ELEMENTS):
            layer_input = x[start:stop]
            for layer in range(self.num_layers):
                chunk_trace = self._layer_forward(layer, layer_input, h_state[layer],
                                                  None if c_state is None else c_state[layer])
                h_state[layer] = chunk_trace.h[-1]
                if c_state is not None:
                    c_state[layer] = chunk_trace.c[-1]
                layer_input = chunk_trace.h
        return [], h_state, c_state

    def _check_trace(self, trace: Any) -> None:
        if not getattr(trace, "layers", None):
            raise LstmfigsError("tr: expected a trace with per-step values (forward(..., trace=True))")
        if len(trace.layers) != self.num_layers or trace.layers[0].x.shape[-1] != self.input_size:
            raise LstmfigsError(f"tr: expected a trace of this model ({self.num_layers} layer(s), "
                                f"input size {self.input_size})")

    def backward(self, tr: Any, dh: Any, dh_n: Any = None, dc_n: Any = None) -> Gradients:
        """Exact backpropagation through time through the trace ``tr`` of ``forward``.

        ``dh`` (T, B, H): dL/dh_t for every step of the last layer (zeros where the loss
        does not look).  ``dh_n``/``dc_n`` (num_layers, B, H): optional gradients w.r.t.
        the final states (``dc_n`` LSTM only).  Gradients flow down through the layers.
        """
        self._check_trace(tr)
        top = tr.layers[-1]
        steps, batch = top.h.shape[0], top.h.shape[1]
        dh = _checks.array(dh, "dh", (steps, batch, self.hidden_size), self.dtype)
        dh_n = None if dh_n is None else self._check_state(dh_n, "dh_n", batch)
        if dc_n is not None and not self.has_cell:
            raise LstmfigsError(f"dc_n: {type(self).__name__} has no cell state; pass dh_n only")
        dc_n = None if dc_n is None else self._check_state(dc_n, "dc_n", batch)
        layer_grads: list[LayerGradients] = [None] * self.num_layers  # type: ignore[list-item]
        upstream: np.ndarray = dh
        for layer in reversed(range(self.num_layers)):
            grads = self._layer_backward(
                layer, tr.layers[layer], upstream,
                None if dh_n is None else dh_n[layer], None if dc_n is None else dc_n[layer])
            layer_grads[layer] = grads
            upstream = grads.x
        params = {name: next(g.params[name] for g in layer_grads if name in g.params)
                  for name in self.params}
        return Gradients(
            x=upstream,
            h0=np.stack([g.h0 for g in layer_grads]),
            c0=np.stack([g.c0 for g in layer_grads]) if self.has_cell else None,  # type: ignore[misc]
            params=params,
            dh_norm=layer_grads[-1].dh_norm,
            dc_norm=layer_grads[-1].dc_norm,
            layers=layer_grads,
        )

    def jacobian_norms(self, tr: Any, t_end: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Frobenius norms ||d h_{t_end} / d h_t|| of the last layer, per sample.

        The derivative is the one BPTT propagates: h_t perturbed with the cell state c_t
        held fixed (for the LSTM, the path through c_t is part of how h_t reaches later
        steps).  Returns ``lags`` (t_end+1,) = 0, 1, ..., t_end and ``norms`` (t_end+1, B)
        with ``norms[lag]`` at t = t_end - lag; ``norms[0]`` is sqrt(H) (the identity).
        """
        self._check_trace(tr)
        top = tr.layers[-1]
        steps, batch = top.h.shape[0], top.h.shape[1]
        if t_end is None:
            t_end = steps - 1
        if isinstance(t_end, bool) or not isinstance(t_end, (int, np.integer)) or not 0 <= t_end < steps:
            raise LstmfigsError(f"t_end: expected an integer step 0 <= t_end < {steps}, got {t_end!r}")
        hidden = self.hidden_size
        # One seed per output coordinate of h_{t_end}: the seeds' adjoints at step t are the
        # rows of the Jacobian, so the norm over seeds and features is its Frobenius norm.
        seeds = np.broadcast_to(np.eye(hidden, dtype=self.dtype)[:, None, :], (hidden, batch, hidden))
        grads = self._layer_backward(self.num_layers - 1, top, None, np.ascontiguousarray(seeds), None,
                                     steps=int(t_end) + 1, need_params=False)
        norms = grads.dh_norm[::-1].copy()
        return np.arange(int(t_end) + 1), norms


def previous_states(sequence: np.ndarray, initial: np.ndarray, start: int, stop: int) -> np.ndarray:
    """States entering steps ``start..stop-1``: ``sequence[t-1]``, or ``initial`` at t = 0."""
    previous = np.empty((stop - start,) + sequence.shape[1:], sequence.dtype)
    previous[1:] = sequence[start:stop - 1]
    previous[0] = initial if start == 0 else sequence[start - 1]
    return previous


def reversed_steps(start: int, stop: int) -> Iterator[int]:
    return iter(range(stop - 1, start - 1, -1))
