"""LSTM with exactly ``torch.nn.LSTM``'s semantics, plus the variants of Greff et al. (2017).

One layer, PyTorch block order i, f, g, o (H rows each)::

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh          (4H pre-activations)
    i, f, o = sigmoid(a_i, a_f, a_o);  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g;         h_t = o * tanh(c_t)

Options (all off by default, so the plain model is PyTorch's):

* ``peephole``: ``a_i += w_ci * c_{t-1}``, ``a_f += w_cf * c_{t-1}``, ``a_o += w_co * c_t``
  with diagonal weights ``weight_ci_l{k}``, ``weight_cf_l{k}``, ``weight_co_l{k}`` (H,).
* ``coupled`` (CIFG): ``f = 1 - i``.
* ``input_gate=False`` (NIG) / ``forget_gate=False`` (NFG) / ``output_gate=False`` (NOG):
  that gate is fixed to 1.  ``input_activation=False`` (NIAF): ``g = a_g``.
  ``output_activation=False`` (NOAF): ``h = o * c``.

A gate that is fixed (or, with ``coupled``, the forget gate) keeps its H rows in every
weight so state dicts keep PyTorch's layout; those rows are zero at initialisation, are
ignored by the forward pass (its pre-activation block in the trace is 0) and get zero
gradient.  The same holds for the peephole weight of a fixed gate.

Speed: time runs in cache-sized chunks of steps.  The input projection of a chunk is one
matrix product; each step does one fused recurrent product for the four gates and about
ten in-place ufunc calls.  The logistic gates are computed as ``0.5 + 0.5 * tanh(a / 2)``
(overflow-free) with the exact power-of-two factor 1/2 folded into the weights, so one
``tanh`` call activates all four blocks.  ``backward`` precomputes the local derivative
factors for a chunk at once, runs ~7 ufunc calls and one product per step, and adds the
chunk's share of each weight gradient as one matrix product.  The trace's arrays and the
chunk buffers come from the model's ``BufferPool``, reused across calls (see ``_base.py``);
backward keeps nothing per step beyond the trace and its results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import LstmfigsError
from . import _activations
from ._base import (
    CellMixin,
    ChunkWork,
    ModelTrace,
    RecurrentModel,
    gate_block,
    last_layer,
    previous_states,
    previous_steps,
    time_chunks,
)

GATES = ("i", "f", "g", "o")

#: Greff et al.'s variants, each a peephole LSTM with one change (NP drops the peepholes).
GREFF_VARIANTS: dict[str, dict[str, bool]] = {
    "V": {"peephole": True},
    "NIG": {"peephole": True, "input_gate": False},
    "NFG": {"peephole": True, "forget_gate": False},
    "NOG": {"peephole": True, "output_gate": False},
    "NIAF": {"peephole": True, "input_activation": False},
    "NOAF": {"peephole": True, "output_activation": False},
    "NP": {"peephole": False},
    "CIFG": {"peephole": True, "coupled": True},
}


@dataclass(frozen=True)
class LSTMVariant:
    """Which parts of the cell exist (see the module docstring)."""

    peephole: bool = False
    coupled: bool = False
    input_gate: bool = True
    forget_gate: bool = True
    output_gate: bool = True
    input_activation: bool = True
    output_activation: bool = True

    def __post_init__(self) -> None:
        if self.coupled and not (self.input_gate and self.forget_gate):
            raise LstmfigsError(
                "coupled: the coupled gate f = 1 - i needs input_gate=True and forget_gate=True"
            )

    @property
    def live_gates(self) -> tuple[bool, bool, bool, bool]:
        """Whether each block i, f, g, o is computed from its weights."""
        return (self.input_gate, self.forget_gate and not self.coupled, True, self.output_gate)

    @property
    def greff_name(self) -> str | None:
        """The name of this variant in Greff et al. (2017), or None for other combinations."""
        for name, flags in GREFF_VARIANTS.items():
            if self == LSTMVariant(**flags):
                return name
        return None


@dataclass
class LSTMLayerTrace:
    """Every quantity of one layer at every step; block order i, f, g, o.

    ``x`` is the layer's input (T, B, I_k), ``h0``/``c0`` its initial states (B, H),
    ``preact`` (T, B, 4H) the full argument of each gate's activation (peephole terms
    included), ``gates`` (T, B, 4H) the activations, ``c``/``h`` (T, B, H), and
    ``unprojected`` = o * tanh(c) (T, B, H): ``h`` itself, or with ``proj_size`` h =
    unprojected W_hr^T (T, B, P).  ``reverse``: the unit of the reverse direction (arrays
    in natural time).  (tanh(c) is not kept: backward recomputes it chunk by chunk.)
    """

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    preact: np.ndarray
    gates: np.ndarray
    c: np.ndarray
    h: np.ndarray
    unprojected: np.ndarray
    reverse: bool = False

    gate_count: ClassVar[int] = 4

    i = gate_block(0)
    f = gate_block(1)
    g = gate_block(2)
    o = gate_block(3)


@dataclass
class LSTMTrace(ModelTrace):
    """Result of :meth:`LSTM.forward` (see ``ModelTrace``): ``h_n``, ``c_n`` (num_layers, B,
    H); with a trace the last layer's ``h, c, i, f, g, o`` (T, B, H), ``preact`` and
    ``gates`` (T, B, 4H, blocks i, f, g, o), and ``layers`` (:class:`LSTMLayerTrace`)."""

    c = last_layer("c")
    i = last_layer("i")
    f = last_layer("f")
    g = last_layer("g")
    o = last_layer("o")
    gates = last_layer("gates")


class LSTM(RecurrentModel):
    """Long short-term memory network; ``torch.nn.LSTM`` semantics.

    torch.nn options: ``num_layers``, ``bias``, ``batch_first``, ``dropout``,
    ``bidirectional`` and ``proj_size`` (P > 0: h = W_hr (o * tanh(c)) of size P, with
    ``weight_hr_l{k}`` (P, H); ``weight_hh`` is then (4H, P)).  Keras options:
    ``activation`` (g and the cell output, default ``"tanh"``) and
    ``recurrent_activation`` (i, f, o, default ``"sigmoid"``), each one of ``sigmoid``,
    ``tanh``, ``hard_sigmoid`` (Keras 3), ``relu``, ``linear``.

    ``init="pytorch"`` draws every parameter from U(-1/sqrt(H), 1/sqrt(H)); ``"chrono"``
    then sets the effective forget bias to log U(1, chrono_t_max - 1) and the input bias
    to its negative (Tallec & Ollivier 2018), each wholly in ``bias_ih`` (``bias_hh`` 0 in
    those blocks).  ``forget_bias=b`` sets the effective forget bias to exactly b (``b`` in
    ``bias_ih``'s f block, 0 in ``bias_hh``'s).  Variant flags: see the module docstring.

    Parameters
    ----------
    input_size : int
        Features I of each step's input.
    hidden_size : int
        Units H of the cell state (and of h without ``proj_size``).
    num_layers : int, default: 1
        Stacked layers; layer k > 0 reads the output of layer k - 1.
    bias : bool, default: True
        Whether the units have ``bias_ih`` and ``bias_hh``.
    batch_first : bool, default: False
        ``x`` (and ``forward``'s ``output``) as (B, T, ...) instead of (T, B, ...); traces
        stay time-major.
    dropout : float, default: 0.0
        Probability 0 <= p < 1 of zeroing each layer's output but the last, applied only
        by ``forward(..., training=True)``.
    bidirectional : bool, default: False
        Adds a reverse direction per layer (``*_reverse`` parameters).
    proj_size : int, default: 0
        0 <= P < H: with P > 0, h is projected to size P by ``weight_hr_l{k}`` (P, H).
    peephole : bool, default: False
        Peephole connections (diagonal ``weight_ci``, ``weight_cf``, ``weight_co``).
    coupled : bool, default: False
        CIFG: the forget gate is 1 - i (needs both gates).
    dtype : {"float32", "float64"} or numpy float type, default: "float32"
        The dtype of every parameter and of the inputs ``forward`` accepts.
    seed : int, default: 0
        Non-negative seed of PyTorch's default initialisation U(-1/sqrt(H), 1/sqrt(H)).
    init : {"pytorch", "chrono"}, default: "pytorch"
        The initialisation of the biases (see above).
    forget_bias : float, optional
        The effective forget bias, set exactly (needs ``bias=True`` and a forget gate of
        its own).
    chrono_t_max : float, optional
        Required with ``init="chrono"`` (and only then): the longest dependency in steps
        the initialisation aims at, a number > 2.
    input_gate, forget_gate, output_gate : bool, default: True
        False fixes that gate to 1 (Greff et al.'s NIG, NFG, NOG).
    input_activation : bool, default: True
        False: the candidate g is its pre-activation (NIAF).
    output_activation : bool, default: True
        False: h = o * c (NOAF).
    activation : str, default: "tanh"
        Keras ``activation``: one of ``sigmoid``, ``tanh``, ``hard_sigmoid``, ``relu``,
        ``linear``.
    recurrent_activation : str, default: "sigmoid"
        Keras ``recurrent_activation`` (the gates), from the same list.

    Raises
    ------
    LstmfigsError
        For a size, probability, dtype, seed or option out of range or inconsistent.
    """

    trace_class: ClassVar[type[ModelTrace]] = LSTMTrace
    gate_blocks: ClassVar[int] = 4
    dz_blocks: ClassVar[int] = 4
    has_cell: ClassVar[bool] = True
    keras_block_order: ClassVar[tuple[int, ...]] = (0, 1, 2, 3)  # Keras i, f, c, o
    extra_param_stems: ClassVar[tuple[str, ...]] = ("weight_hr", "weight_ci", "weight_cf",
                                                    "weight_co")

    variant: LSTMVariant
    activation: str
    recurrent_activation: str

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0,
                 peephole: bool = False, coupled: bool = False, dtype: Any = "float32",
                 seed: int = 0, init: str = "pytorch", forget_bias: float | None = None,
                 chrono_t_max: float | None = None, input_gate: bool = True,
                 forget_gate: bool = True, output_gate: bool = True,
                 input_activation: bool = True, output_activation: bool = True,
                 activation: str = "tanh", recurrent_activation: str = "sigmoid") -> None:
        self.activation = _activations.check(activation, "activation")
        self.recurrent_activation = _activations.check(recurrent_activation, "recurrent_activation")
        self.variant = LSTMVariant(
            peephole=bool(peephole), coupled=bool(coupled), input_gate=bool(input_gate),
            forget_gate=bool(forget_gate), output_gate=bool(output_gate),
            input_activation=bool(input_activation), output_activation=bool(output_activation))
        super().__init__(input_size, hidden_size, num_layers=num_layers, bias=bias,
                         batch_first=batch_first, dropout=dropout, bidirectional=bidirectional,
                         proj_size=proj_size, dtype=dtype, seed=seed)
        if (init == "chrono" or forget_bias is not None) and not self.bias:
            raise LstmfigsError(f"{'forget_bias' if forget_bias is not None else 'init'}: "
                                "sets biases, but the model has bias=False")
        # A separate stream: init options never shift the weights.
        rng = np.random.default_rng([seed, 1])
        if init == "chrono":
            self._chrono_init(rng, chrono_t_max)
        elif init != "pytorch":
            raise LstmfigsError(f"init: expected 'pytorch' or 'chrono', got {init!r}")
        elif chrono_t_max is not None:
            raise LstmfigsError("chrono_t_max: only used with init='chrono'")
        if forget_bias is not None:
            self._set_forget_bias(forget_bias)
        self._zero_unused_rows()

    # ------------------------------------------------------------------ construction
    @classmethod
    def greff(cls, name: str, input_size: int, hidden_size: int, **options: Any) -> LSTM:
        """The variant ``name`` of Greff et al. (2017): V, NIG, NFG, NOG, NIAF, NOAF, NP, CIFG.

        (FGR, full gate recurrence, is not implemented.)

        Parameters
        ----------
        name : str
            A key of ``GREFF_VARIANTS``.
        input_size, hidden_size : int
            As for :class:`LSTM`.
        **options
            Other :class:`LSTM` options; they override the variant's flags.

        Returns
        -------
        LSTM
            The model, freshly initialised.
        """
        if name not in GREFF_VARIANTS:
            raise LstmfigsError(f"name: expected one of {', '.join(GREFF_VARIANTS)}, got {name!r}")
        return cls(input_size, hidden_size, **{**GREFF_VARIANTS[name], **options})

    def _extra_param_shapes(self, key: str) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {}
        if self.proj_size:
            shapes[f"weight_hr{key}"] = (self.proj_size, self.hidden_size)
        if self.variant.peephole:
            shapes.update({f"weight_c{gate}{key}": (self.hidden_size,) for gate in ("i", "f", "o")})
        return shapes

    @classmethod
    def _options_from_keys(cls, arrays: Any) -> dict[str, Any]:
        return {"peephole": "weight_ci" + ("" if cls.is_cell else "_l0") in arrays}

    def _block(self, array: np.ndarray, gate: str) -> np.ndarray:
        index, hidden = GATES.index(gate), self.hidden_size
        return array[index * hidden:(index + 1) * hidden]

    def _chrono_init(self, rng: np.random.Generator, chrono_t_max: float | None) -> None:
        if chrono_t_max is None or not np.isfinite(chrono_t_max) or chrono_t_max <= 2:
            raise LstmfigsError(f"chrono_t_max: init='chrono' needs a number > 2 (the longest "
                                f"dependency in steps), got {chrono_t_max!r}")
        for _, _, key in self.units():
            forget = np.log(rng.uniform(1.0, chrono_t_max - 1.0, size=self.hidden_size))
            bias_ih, bias_hh = self.params[f"bias_ih{key}"], self.params[f"bias_hh{key}"]
            self._block(bias_ih, "f")[:] = forget
            self._block(bias_ih, "i")[:] = -forget
            self._block(bias_hh, "f")[:] = 0
            self._block(bias_hh, "i")[:] = 0

    def _set_forget_bias(self, forget_bias: float) -> None:
        if not self.variant.live_gates[1]:
            raise LstmfigsError("forget_bias: this variant has no forget gate of its own "
                                "(coupled=True or forget_gate=False)")
        if not np.isfinite(forget_bias):
            raise LstmfigsError(f"forget_bias: expected a finite number, got {forget_bias!r}")
        for _, _, key in self.units():
            self._block(self.params[f"bias_ih{key}"], "f")[:] = forget_bias
            self._block(self.params[f"bias_hh{key}"], "f")[:] = 0

    def _zero_unused_rows(self) -> None:
        for gate, live in zip(GATES, self.variant.live_gates, strict=True):
            if live:
                continue
            for _, _, key in self.units():
                for stem in self.param_stems:
                    if f"{stem}{key}" in self.params:
                        self._block(self.params[f"{stem}{key}"], gate)[:] = 0
                if self.variant.peephole and gate != "g":
                    self.params[f"weight_c{gate}{key}"][:] = 0

    @property
    def _fast(self) -> bool:
        """PyTorch's activations: every gate from one tanh call (see the module docstring)."""
        return self.activation == "tanh" and self.recurrent_activation == "sigmoid"

    def _block_activations(self) -> tuple[str, str, str, str, str]:
        """Activation of the blocks i, f, g, o and of the cell output."""
        gate, variant = self.recurrent_activation, self.variant
        return (gate, gate, self.activation if variant.input_activation else "linear", gate,
                self.activation if variant.output_activation else "linear")

    def _activate(self, pre: np.ndarray, out: np.ndarray, first_block: int) -> None:
        """Other activations than PyTorch's: block by block; a fixed gate is 1."""
        hidden, names = self.hidden_size, self._block_activations()
        for offset in range(pre.shape[-1] // hidden):
            block = first_block + offset
            rows = slice(offset * hidden, (offset + 1) * hidden)
            if self.variant.live_gates[block]:
                _activations.FUNCTIONS[names[block]](pre[..., rows], out=out[..., rows])
            else:
                out[..., rows] = 1

    def _block_vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-row factors (4H,): ``scale`` folded into the weights (1/2 for a logistic
        gate, 1 for g, 0 for a fixed gate), ``unscale`` to recover the pre-activation, and
        ``tanh(scale * a) * mul + add`` = the block's activation (1 for a fixed gate).
        With other activations than PyTorch's only ``scale`` and ``unscale`` are used
        (1, or 0 for a fixed gate)."""
        hidden = self.hidden_size
        scale, unscale, mul, add = (np.empty(4 * hidden, self.dtype) for _ in range(4))
        for index, (gate, live) in enumerate(zip(GATES, self.variant.live_gates, strict=True)):
            rows = slice(index * hidden, (index + 1) * hidden)
            if not live:
                scale[rows], unscale[rows], mul[rows], add[rows] = 0, 0, 0, 1
            elif gate == "g" or not self._fast:
                scale[rows], unscale[rows], mul[rows], add[rows] = 1, 1, 1, 0
            else:
                scale[rows], unscale[rows], mul[rows], add[rows] = 0.5, 2, 0.5, 0.5
        return scale, unscale, mul, add

    def _peepholes(self, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(w_ci, w_cf, w_co), zero for gates that are fixed or absent."""
        if not self.variant.peephole:
            zero = np.zeros(self.hidden_size, self.dtype)
            return zero, zero, zero
        live = self.variant.live_gates
        return tuple(self.params[f"weight_c{gate}{key}"] * self.dtype.type(is_live)
                     for gate, is_live in (("i", live[0]), ("f", live[1]), ("o", live[3])))

    # ------------------------------------------------------------------ forward
    def forward(self, x: Any, h0: Any = None, c0: Any = None, trace: bool = True, *,
                training: bool = False, seed: int = 0) -> LSTMTrace:
        """Run the network over ``x`` of the model's dtype: (T, B, I), (B, T, I) with
        ``batch_first``, or (T, I) unbatched.

        ``h0`` (layers * directions, B, H_out) and ``c0`` (layers * directions, B, H)
        initial states (zeros if None; (B, H) accepted for one unit; no B unbatched).
        ``trace=False`` keeps only the final states, walking time in bounded chunks, so
        memory does not grow with T (one direction, no dropout).  ``training=True`` applies
        dropout between layers with masks drawn from ``seed``.

        Parameters
        ----------
        x : array_like
            The input sequence, of exactly the model's dtype, finite, at least one step.
        h0 : array_like, optional
            Initial hidden states (layers * directions, B, H_out); zeros if None.
        c0 : array_like, optional
            Initial cell states (layers * directions, B, H); zeros if None.
        trace : bool, default: True
            Record every gate and state of every step (needed by :meth:`backward`).
        training : bool, default: False
            Apply ``dropout`` between layers.
        seed : int, default: 0
            Seed of the dropout masks.

        Returns
        -------
        LSTMTrace
            ``h_n``, ``c_n`` and, with ``trace=True``, every layer's per-step values and
            ``output`` as ``torch.nn.LSTM`` returns it.

        Raises
        ------
        LstmfigsError
            For an input or state of the wrong shape or dtype, or with NaN or infinite
            values.
        """
        return self._run(x, h0, c0, trace, training, seed)  # type: ignore[return-value]

    def _layer_forward(
        self, key: str, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None
    ) -> LSTMLayerTrace:
        assert c0 is not None
        steps, batch, inputs = x.shape
        hidden, dtype, variant = self.hidden_size, self.dtype, self.variant
        scale, unscale, mul, add = self._block_vectors()
        weight_ih, weight_hh = self.params[f"weight_ih{key}"], self.params[f"weight_hh{key}"]
        # Transposed copies: OpenBLAS multiplies by a C-ordered (H, 4H) matrix ~20 % faster
        # than by the transposed view of weight_hh.
        input_scaled_t = np.ascontiguousarray((weight_ih * scale[:, None]).T)
        recurrent_scaled_t = np.ascontiguousarray((weight_hh * scale[:, None]).T)
        bias_scaled = (self._bias("bias_ih", key) + self._bias("bias_hh", key)) * scale
        # The trace's arrays come from the model's pool (reused once the previous call's
        # trace is gone).  `scaled` holds the scaled pre-activations while a chunk of steps
        # runs and is rescaled into the trace's `preact` when the chunk is done.
        take = self._buffers.take
        scaled = take(f"preact{key}", (steps, batch, 4 * hidden), dtype)
        gates = take(f"gates{key}", (steps, batch, 4 * hidden), dtype)
        c = take(f"c{key}", (steps, batch, hidden), dtype)
        projection_t = self.params[f"weight_hr{key}"].T if self.proj_size else None
        unprojected = take(f"unprojected{key}", (steps, batch, hidden), dtype)
        h = unprojected if projection_t is None else take(f"h{key}", (steps, batch,
                                                                       self.proj_size), dtype)
        recurrent = np.empty((batch, 4 * hidden), dtype)
        product = np.empty((batch, hidden), dtype)
        cell_out = np.empty((batch, hidden), dtype)
        peep_ci, peep_cf, peep_co = self._peepholes(key)
        peep_input_forget = np.stack([peep_ci * scale[0], peep_cf * scale[hidden]])  # (2, H)
        peep_output = peep_co * scale[3 * hidden]
        peep_product = np.empty((batch, 2, hidden), dtype)
        # With peepholes the output gate needs c_t, so only i, f, g are activated first.
        early = 3 * hidden if variant.peephole else 4 * hidden
        # Views over all steps, indexed by t in the loop (cheaper than slicing each step).
        pre_early, gate_early = scaled[..., :early], gates[..., :early]
        pre_input_forget, pre_g, pre_o = (
            scaled[..., : 2 * hidden],
            scaled[..., 2 * hidden : 3 * hidden],
            scaled[..., 3 * hidden :],
        )
        gate_i, gate_f, gate_g, gate_o = (gates[..., k * hidden:(k + 1) * hidden] for k in range(4))
        mul_early, add_early, mul_o, add_o = (
            mul[:early],
            add[:early],
            mul[3 * hidden :],
            add[3 * hidden :],
        )
        one = dtype.type(1)
        fast, output_activation = self._fast, _activations.FUNCTIONS[self.activation]

        def activate(pre: np.ndarray, out: np.ndarray, mul_part: np.ndarray, add_part: np.ndarray,
                     first_block: int) -> None:
            if fast:
                np.tanh(pre, out=out)
                out *= mul_part
                out += add_part
            else:
                self._activate(pre, out, first_block)

        h_prev, c_prev = h0, c0
        # Chunks of steps small enough to stay in cache between the input projection, the
        # steps and the rescaling.
        for start, stop in time_chunks(steps, batch * 4 * hidden):
            chunk = scaled[start:stop]
            np.matmul(x[start:stop].reshape(-1, inputs), input_scaled_t,
                      out=chunk.reshape(-1, 4 * hidden))
            chunk += bias_scaled
            for t in range(start, stop):
                np.matmul(h_prev, recurrent_scaled_t, out=recurrent)
                scaled[t] += recurrent
                if variant.peephole:
                    np.multiply(c_prev[:, None, :], peep_input_forget, out=peep_product)
                    pre_input_forget[t] += peep_product.reshape(batch, 2 * hidden)
                activate(pre_early[t], gate_early[t], mul_early, add_early, 0)
                if variant.coupled:
                    np.subtract(one, gate_i[t], out=gate_f[t])
                if not variant.input_activation:
                    gate_g[t] = pre_g[t]
                c_t = c[t]
                np.multiply(gate_f[t], c_prev, out=c_t)
                np.multiply(gate_i[t], gate_g[t], out=product)
                c_t += product
                if variant.peephole:
                    np.multiply(c_t, peep_output, out=product)
                    pre_o[t] += product
                    activate(pre_o[t], gate_o[t], mul_o, add_o, 3)
                if variant.output_activation:
                    output_activation(c_t, out=cell_out)
                    np.multiply(gate_o[t], cell_out, out=unprojected[t])
                else:
                    np.multiply(gate_o[t], c_t, out=unprojected[t])
                if projection_t is not None:
                    np.matmul(unprojected[t], projection_t, out=h[t])
                h_prev, c_prev = h[t], c_t
            chunk *= unscale
        return LSTMLayerTrace(x=x, h0=h0, c0=c0, preact=scaled, gates=gates, c=c, h=h,
                              unprojected=unprojected)

    # ------------------------------------------------------------------ backward
    def _local_factors(self, key: str, lt: LSTMLayerTrace, start: int, stop: int,
                       work: ChunkWork) -> tuple[np.ndarray, ...]:
        """Per-step factors of BPTT for steps ``start..stop-1``.

        With dh, dc the total gradients at step t (dc including the path through h_t):
        ``dc = dc_next + dh * k``, ``da[i,f,g] = dc * p[i,f,g]``, ``da_o = dh * p_o`` and
        ``dc_prev = dc * carry``, where with ``proj_size`` dh is first taken through the
        projection (dh W_hr).  Returns ``(p_ifg (n, B, 3, H), p_o, k, carry (n, B, H),
        weight_hh, weight_hr or None)``.
        """
        variant, hidden, count = self.variant, self.hidden_size, stop - start
        step_shape = (lt.c.shape[1], hidden)
        gates, preact = lt.gates[start:stop], lt.preact[start:stop]
        i, f, g, o = (gates[..., k * hidden:(k + 1) * hidden] for k in range(4))
        a_i, a_f, a_g, a_o = (preact[..., k * hidden:(k + 1) * hidden] for k in range(4))
        act_i, act_f, act_g, act_o, act_out = self._block_activations()
        derivative = _activations.derivative
        c_prev = previous_steps(lt.c, lt.c0, start, stop, work.array("c_prev", step_shape, count))
        c = lt.c[start:stop]
        cell_out = c
        if act_out != "linear":
            cell_out = _activations.FUNCTIONS[act_out](c, out=work.array("cell_out", step_shape,
                                                                         count))
        factors = work.array("factors", (step_shape[0], 4 * hidden), count)
        p_i, p_f, p_g, p_o = (factors[..., k * hidden:(k + 1) * hidden] for k in range(4))
        logistic = act_i == "sigmoid"
        if logistic:
            # sigmoid' = s (1 - s) of all four blocks in two calls; g's is replaced below.
            np.subtract(gates.dtype.type(1), gates, out=factors)
            factors *= gates
        if variant.input_gate:
            if not logistic:
                derivative(act_i, a_i, i, out=p_i)
            # Coupled: i also drives f = 1 - i, so a_i collects dc * (g - c_prev).
            p_i *= (g - c_prev) if variant.coupled else g
        else:
            p_i[...] = 0
        if variant.live_gates[1]:
            if not logistic:
                derivative(act_f, a_f, f, out=p_f)
            p_f *= c_prev
        else:
            p_f[...] = 0
        derivative(act_g, a_g, g, out=p_g)
        p_g *= i
        if variant.output_gate:
            if not logistic:
                derivative(act_o, a_o, o, out=p_o)
            p_o *= cell_out
        else:
            p_o[...] = 0
        k = derivative(act_out, c, cell_out, out=work.array("k", step_shape, count))
        k *= o
        carry = work.array("carry", step_shape, count)
        carry[...] = f
        if variant.peephole:
            w_ci, w_cf, w_co = self._peepholes(key)
            k += p_o * w_co
            carry += p_i * w_ci
            carry += p_f * w_cf
        blocks = factors.reshape(factors.shape[:-1] + (4, hidden))
        return (blocks[..., :3, :], blocks[..., 3, :], k, carry, self.params[f"weight_hh{key}"],
                self.params.get(f"weight_hr{key}"))  # type: ignore[return-value]

    def _backward_step(self, factors: tuple[np.ndarray, ...], j: int, dh_t: np.ndarray,
                       dc_t: np.ndarray | None, dc_next: np.ndarray | None, dz: np.ndarray,
                       dh_rec: np.ndarray) -> None:
        assert dc_t is not None and dc_next is not None
        local_ifg, local_o, k, carry, weight_hh, weight_hr = factors
        if weight_hr is not None:
            dh_t = np.matmul(dh_t, weight_hr)  # through h = W_hr (o * tanh(c))
        np.multiply(dh_t, k[j], out=dc_t)
        dc_t += dc_next
        # The i, f, g blocks are driven by dc, the o block by dh: one broadcast call each.
        dz_blocks = dz.reshape(dz.shape[:-1] + (4, -1))
        np.multiply(local_ifg[j], dc_t[..., None, :], out=dz_blocks[..., :3, :])
        np.multiply(local_o[j], dh_t, out=dz_blocks[..., 3, :])
        np.multiply(dc_t, carry[j], out=dc_next)
        np.matmul(dz, weight_hh, out=dh_rec)

    def _chunk_param_gradients(self, key: str, lt: LSTMLayerTrace, start: int, stop: int,
                               dz: np.ndarray, dh: np.ndarray, params: dict[str, np.ndarray],
                               dx: np.ndarray) -> None:
        hidden = self.hidden_size
        self._add_unit_gradients(key, lt, start, stop, dz, dz, params, dx)
        if self.proj_size:
            params[f"weight_hr{key}"] += (dh.reshape(-1, dh.shape[-1]).T
                                          @ lt.unprojected[start:stop].reshape(-1, hidden))
        if self.variant.peephole:
            c_prev = previous_states(lt.c, lt.c0, start, stop)
            blocks = [dz[..., k * hidden:(k + 1) * hidden] for k in range(4)]
            params[f"weight_ci{key}"] += np.einsum("tbh,tbh->h", blocks[0], c_prev)
            params[f"weight_cf{key}"] += np.einsum("tbh,tbh->h", blocks[1], c_prev)
            params[f"weight_co{key}"] += np.einsum("tbh,tbh->h", blocks[3], lt.c[start:stop])


class LSTMCell(CellMixin, LSTM):
    """``torch.nn.LSTMCell``: parameters ``weight_ih`` (4H, I), ``weight_hh`` (4H, H),
    ``bias_ih``, ``bias_hh`` (4H,); the variant flags of :class:`LSTM` apply.

    Parameters
    ----------
    input_size, hidden_size : int
        Features I of the input and units H.
    bias : bool, default: True
        Whether the cell has ``bias_ih`` and ``bias_hh``.
    **options
        Other :class:`LSTM` options except those of several layers, directions or a
        projection (``num_layers``, ``bidirectional``, ``proj_size``, ``dropout``).
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, **options: Any
    ) -> None:
        super().__init__(input_size, hidden_size, bias=bias, **options)

    def step(self, x: Any, hx: tuple[Any, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(h', c')`` as ``torch.nn.LSTMCell(x, (h, c))``: ``x`` (B, I) or (I,), ``h``,
        ``c`` (B, H) or (H,) (zeros if ``hx`` is None).

        Parameters
        ----------
        x : array_like
            One step's input (B, I), or (I,) unbatched, of the model's dtype.
        hx : (array_like, array_like), optional
            The states ``(h, c)``, each (B, H) or (H,); zeros if None.

        Returns
        -------
        h, c : ndarray
            The next states, (B, H) or (H,) like ``x``.
        """
        run = self._one_step(x, (None, None) if hx is None else tuple(hx))
        return run.h_n[0], run.c_n[0]


LSTM.cell_class = LSTMCell
