"""GRU with exactly ``torch.nn.GRU``'s semantics (block order r, z, n)::

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))     # r multiplies AFTER the product
    h' = (1 - z) * n + z * h

Keras' GRU with ``reset_after=True`` (its default) is the same cell with blocks z, r, h and
a (2, 3H) bias (input row, recurrent row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import LstmfigsError
from . import _activations, _checks
from ._base import (
    CellMixin,
    ChunkWork,
    ModelTrace,
    RecurrentModel,
    gate_block,
    last_layer,
    previous_steps,
    time_chunks,
)


@dataclass
class GRULayerTrace:
    """One layer's quantities at every step.

    ``preact`` (T, B, 3H): the argument of each activation, [a_r, a_z, a_n] with
    ``a_n = W_in x + b_in + r * (W_hn h + b_hn)``; ``preact_h`` (T, B, 3H): the recurrent
    part ``W_hh h_{t-1} + b_hh`` (its n block is what r multiplies); ``gates`` (T, B, 3H)
    the activations r, z, n; ``h`` (T, B, H); ``x`` the layer input; ``h0`` (B, H);
    ``reverse``: the unit of the reverse direction (arrays in natural time).
    """

    x: np.ndarray
    h0: np.ndarray
    preact: np.ndarray
    preact_h: np.ndarray
    gates: np.ndarray
    h: np.ndarray
    reverse: bool = False

    gate_count: ClassVar[int] = 3

    r = gate_block(0)
    z = gate_block(1)
    n = gate_block(2)


@dataclass
class GRUTrace(ModelTrace):
    """Result of :meth:`GRU.forward` (see ``ModelTrace``): ``h_n``; with a trace the last
    layer's ``r, z, n, h`` (T, B, H), ``preact``, ``preact_h`` and ``gates`` (T, B, 3H)."""

    r = last_layer("r")
    z = last_layer("z")
    n = last_layer("n")
    preact_h = last_layer("preact_h")
    gates = last_layer("gates")


class GRU(RecurrentModel):
    """Gated recurrent unit; ``torch.nn.GRU`` semantics and PyTorch's default init.

    torch.nn options: ``num_layers``, ``bias``, ``batch_first``, ``dropout``,
    ``bidirectional`` (see :class:`~lstmfigs.sim._base.RecurrentModel`).  Keras options:
    ``activation`` (n, default ``"tanh"``) and ``recurrent_activation`` (r, z, default
    ``"sigmoid"``), as for :class:`~lstmfigs.sim.LSTM`.

    Parameters
    ----------
    input_size : int
        Features I of each step's input.
    hidden_size : int
        Units H of the hidden state.
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
    dtype : {"float32", "float64"} or numpy float type, default: "float32"
        The dtype of every parameter and of the inputs ``forward`` accepts.
    seed : int, default: 0
        Non-negative seed of PyTorch's default initialisation U(-1/sqrt(H), 1/sqrt(H)).
    activation : str, default: "tanh"
        Keras ``activation`` (the candidate n): one of ``sigmoid``, ``tanh``,
        ``hard_sigmoid``, ``relu``, ``linear``.
    recurrent_activation : str, default: "sigmoid"
        Keras ``recurrent_activation`` (r and z), from the same list.
    """

    activation: str
    recurrent_activation: str

    trace_class: ClassVar[type[ModelTrace]] = GRUTrace
    gate_blocks: ClassVar[int] = 3
    # Per-step gradient layout [r, z, n_recurrent, n_input]: the first 3H are the gradient
    # of the recurrent pre-activation (what W_hh sees), r, z and n_input that of the input part.
    dz_blocks: ClassVar[int] = 4
    keras_block_order: ClassVar[tuple[int, ...]] = (1, 0, 2)  # Keras z, r, h

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = "float32", seed: int = 0,
                 activation: str = "tanh", recurrent_activation: str = "sigmoid") -> None:
        self.activation = _activations.check(activation, "activation")
        self.recurrent_activation = _activations.check(recurrent_activation, "recurrent_activation")
        super().__init__(input_size, hidden_size, num_layers=num_layers, bias=bias,
                         batch_first=batch_first, dropout=dropout, bidirectional=bidirectional,
                         dtype=dtype, seed=seed)

    @classmethod
    def _keras_biases(
        cls, bias: np.ndarray | None, rows: int, dtype: np.dtype
    ) -> tuple[np.ndarray, np.ndarray]:
        if bias is None:
            return np.zeros(rows, dtype), np.zeros(rows, dtype)
        if bias.ndim == 1:
            raise LstmfigsError(
                f"bias: expected shape (2, {rows}) (Keras GRU with reset_after=True); "
                "reset_after=False applies r before the recurrent product, which "
                "torch.nn.GRU cannot represent"
            )
        bias = _checks.array(bias, "bias", (2, rows), dtype)
        return bias[0], bias[1]

    def _keras_bias_out(self, key: str) -> np.ndarray:
        return np.stack([self._reorder_blocks(self._bias("bias_ih", key), to_keras=True),
                         self._reorder_blocks(self._bias("bias_hh", key), to_keras=True)])

    def forward(self, x: Any, h0: Any = None, trace: bool = True, *, training: bool = False,
                seed: int = 0) -> GRUTrace:
        """Run over ``x`` ((T, B, I); (B, T, I) with ``batch_first``; (T, I) unbatched);
        ``h0`` (layers * directions, B, H) or None (zeros); see :meth:`LSTM.forward`.

        Parameters
        ----------
        x : array_like
            The input sequence, of exactly the model's dtype, finite, at least one step.
        h0 : array_like, optional
            Initial hidden states (layers * directions, B, H); zeros if None.
        trace : bool, default: True
            Record every gate and state of every step (needed by :meth:`backward`).
        training : bool, default: False
            Apply ``dropout`` between layers.
        seed : int, default: 0
            Seed of the dropout masks.

        Returns
        -------
        GRUTrace
            ``h_n`` and, with ``trace=True``, every layer's per-step values and ``output``
            as ``torch.nn.GRU`` returns it.
        """
        return self._run(x, h0, None, trace, training, seed)  # type: ignore[return-value]

    def _layer_forward(
        self, key: str, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None
    ) -> GRULayerTrace:
        steps, batch, inputs = x.shape
        hidden, dtype = self.hidden_size, self.dtype
        half = dtype.type(0.5)
        # r and z rows are scaled by 1/2 (exact) so sigmoid = 0.5 + 0.5 * tanh(scaled).
        fast = self.recurrent_activation == "sigmoid"
        gate_function = _activations.FUNCTIONS[self.recurrent_activation]
        candidate_function = _activations.FUNCTIONS[self.activation]
        scale = np.ones(3 * hidden, dtype)
        if fast:
            scale[:2 * hidden] = half
        weight_ih, weight_hh = self.params[f"weight_ih{key}"], self.params[f"weight_hh{key}"]
        # Transposed copies (C-ordered): see LSTM._layer_forward.
        input_scaled_t = np.ascontiguousarray((weight_ih * scale[:, None]).T)
        recurrent_scaled_t = np.ascontiguousarray((weight_hh * scale[:, None]).T)
        bias_ih_scaled = self._bias("bias_ih", key) * scale
        bias_hh_scaled = self._bias("bias_hh", key) * scale
        unscale = 1 / scale
        # The trace's arrays come from the model's pool (see LSTM._layer_forward).
        take = self._buffers.take
        pre = take(f"preact{key}", (steps, batch, 3 * hidden), dtype)
        pre_h = take(f"preact_h{key}", (steps, batch, 3 * hidden), dtype)
        gates = take(f"gates{key}", (steps, batch, 3 * hidden), dtype)
        h = take(f"h{key}", (steps, batch, hidden), dtype)
        work = np.empty((batch, hidden), dtype)
        rz, n_rows = slice(0, 2 * hidden), slice(2 * hidden, 3 * hidden)
        h_prev = h0
        for start, stop in time_chunks(steps, batch * 6 * hidden):
            np.matmul(x[start:stop].reshape(-1, inputs), input_scaled_t,
                      out=pre[start:stop].reshape(-1, 3 * hidden))
            pre[start:stop] += bias_ih_scaled
            for t in range(start, stop):
                pre_t, rec_t, gate = pre[t], pre_h[t], gates[t]
                np.matmul(h_prev, recurrent_scaled_t, out=rec_t)
                rec_t += bias_hh_scaled
                pre_t[:, rz] += rec_t[:, rz]
                if fast:
                    np.tanh(pre_t[:, rz], out=gate[:, rz])
                    gate[:, rz] *= half
                    gate[:, rz] += half
                else:
                    gate_function(pre_t[:, rz], out=gate[:, rz])
                np.multiply(gate[:, :hidden], rec_t[:, n_rows], out=work)
                pre_t[:, n_rows] += work
                n = gate[:, n_rows]
                candidate_function(pre_t[:, n_rows], out=n)
                # h = n + z * (h_prev - n), the same value as (1 - z) n + z h_prev.
                np.subtract(h_prev, n, out=work)
                work *= gate[:, hidden:2 * hidden]
                np.add(n, work, out=h[t])
                h_prev = h[t]
            pre[start:stop] *= unscale
            pre_h[start:stop] *= unscale
        return GRULayerTrace(x=x, h0=h0, preact=pre, preact_h=pre_h, gates=gates, h=h)

    def _local_factors(
        self, key: str, trace: GRULayerTrace, start: int, stop: int, work: ChunkWork
    ) -> tuple[np.ndarray, ...]:
        hidden, one, count = self.hidden_size, self.dtype.type(1), stop - start
        step_shape = (trace.h.shape[1], hidden)
        gates, preact = trace.gates[start:stop], trace.preact[start:stop]
        r, z, n = (gates[..., k * hidden:(k + 1) * hidden] for k in range(3))
        a_r, a_z, a_n = (preact[..., k * hidden:(k + 1) * hidden] for k in range(3))
        derivative, gate = _activations.derivative, self.recurrent_activation
        h_prev = previous_steps(trace.h, trace.h0, start, stop,
                                work.array("h_prev", step_shape, count))
        recurrent_n = trace.preact_h[start:stop, :, 2 * hidden:]
        # dz = dh * local, blocks [r, z, n_recurrent, n_input] (see dz_blocks).
        local = work.array("local", (step_shape[0], 4 * hidden), count)
        l_r, l_z, l_nh, l_nx = (local[..., k * hidden:(k + 1) * hidden] for k in range(4))
        derivative(self.activation, a_n, n, out=l_nx)
        l_nx *= one - z                                   # d h / d a_n
        np.multiply(l_nx, r, out=l_nh)                    # d h / d (W_hn h + b_hn)
        derivative(gate, a_r, r, out=l_r)
        l_r *= recurrent_n
        l_r *= l_nx                                       # d h / d a_r
        np.subtract(h_prev, n, out=l_z)
        if gate == "sigmoid":  # the same rounding as before other activations existed
            l_z *= z
            l_z *= one - z                                # d h / d a_z
        else:
            l_z *= derivative(gate, a_z, z, out=np.empty_like(z))
        return local.reshape(local.shape[:-1] + (4, hidden)), z, self.params[f"weight_hh{key}"]

    def _backward_step(self, factors: tuple[np.ndarray, ...], j: int, dh_t: np.ndarray,
                       dc_t: np.ndarray | None, dc_next: np.ndarray | None, dz: np.ndarray,
                       dh_rec: np.ndarray) -> None:
        local_blocks, z, weight_hh = factors
        np.multiply(local_blocks[j], dh_t[..., None, :], out=dz.reshape(dz.shape[:-1] + (4, -1)))
        np.matmul(dz[..., :3 * self.hidden_size], weight_hh, out=dh_rec)
        dh_rec += dh_t * z[j]

    def _chunk_param_gradients(self, key: str, trace: GRULayerTrace, start: int, stop: int,
                               dz: np.ndarray, dh: np.ndarray, params: dict[str, np.ndarray],
                               dx: np.ndarray) -> None:
        hidden = self.hidden_size
        # dz's blocks [r, z, n_recurrent, n_input]: W_hh sees the first three, W_ih r, z, n_input.
        dz_input = np.concatenate([dz[..., :2 * hidden], dz[..., 3 * hidden:]], axis=-1)
        self._add_unit_gradients(key, trace, start, stop, dz_input, dz[..., :3 * hidden],
                                 params, dx)


class GRUCell(CellMixin, GRU):
    """``torch.nn.GRUCell``: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh`` (no ``_l0``).

    Parameters
    ----------
    input_size, hidden_size : int
        Features I of the input and units H.
    bias : bool, default: True
        Whether the cell has ``bias_ih`` and ``bias_hh``.
    **options
        Other :class:`GRU` options except ``num_layers``, ``bidirectional`` and
        ``dropout``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 **options: Any) -> None:
        super().__init__(input_size, hidden_size, bias=bias, **options)

    def step(self, x: Any, hx: Any = None) -> np.ndarray:
        """``h'`` as ``torch.nn.GRUCell(x, h)``: ``x`` (B, I) or (I,), ``h`` (B, H) or
        (H,) (zeros if None).

        Parameters
        ----------
        x : array_like
            One step's input (B, I), or (I,) unbatched, of the model's dtype.
        hx : array_like, optional
            The hidden state (B, H) or (H,); zeros if None.

        Returns
        -------
        ndarray
            The next hidden state, (B, H) or (H,) like ``x``.
        """
        return self._one_step(x, (hx,)).h_n[0]  # type: ignore[no-any-return]


GRU.cell_class = GRUCell
