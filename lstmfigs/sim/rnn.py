"""Vanilla (Elman) RNN with ``torch.nn.RNN``'s semantics::

    h' = tanh(W_ih x + b_ih + W_hh h + b_hh)        (nonlinearity="tanh", the default)
    h' = relu(W_ih x + b_ih + W_hh h + b_hh)        (nonlinearity="relu")

A state dict does not say which nonlinearity a network uses: pass ``nonlinearity="relu"``
to :meth:`RNN.from_torch` for a relu network.  At a pre-activation of exactly 0 the relu's
derivative is taken as 0, as autograd does.

Keras' ``SimpleRNN`` is the same cell (``kernel`` (I, H), ``recurrent_kernel`` (H, H),
``bias`` (H,)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from . import _activations
from ._base import (
    CellMixin,
    ChunkWork,
    ModelTrace,
    RecurrentModel,
    time_chunks,
)


@dataclass
class RNNLayerTrace:
    """One layer: ``x`` input, ``h0`` (B, H), ``preact`` and ``h`` (T, B, H);
    ``gates`` is ``h`` (the RNN has no gates; its one block is the state update)."""

    x: np.ndarray
    h0: np.ndarray
    preact: np.ndarray
    h: np.ndarray
    reverse: bool = False

    gate_count: ClassVar[int] = 1

    @property
    def gates(self) -> np.ndarray:
        return self.h


@dataclass
class RNNTrace(ModelTrace):
    """Result of :meth:`RNN.forward` (see ``ModelTrace``): ``h_n``; with a trace the last
    layer's ``h`` and ``preact`` (T, B, H)."""


class RNN(RecurrentModel):
    """Elman network; ``torch.nn.RNN`` semantics and PyTorch's default init.

    ``nonlinearity``: ``"tanh"`` or ``"relu"`` (torch.nn), or another activation a Keras
    ``SimpleRNN`` may use (``sigmoid``, ``hard_sigmoid``, ``linear``); other torch.nn
    options as for :class:`~lstmfigs.sim.GRU`.

    Parameters
    ----------
    input_size : int
        Features I of each step's input.
    hidden_size : int
        Units H of the hidden state.
    num_layers : int, default: 1
        Stacked layers; layer k > 0 reads the output of layer k - 1.
    nonlinearity : str, default: "tanh"
        One of ``tanh``, ``relu``, ``sigmoid``, ``hard_sigmoid``, ``linear``.
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
    """

    trace_class: ClassVar[type[ModelTrace]] = RNNTrace
    gate_blocks: ClassVar[int] = 1
    dz_blocks: ClassVar[int] = 1
    keras_block_order: ClassVar[tuple[int, ...]] = (0,)

    nonlinearity: str

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = "float32",
                 seed: int = 0) -> None:
        self.nonlinearity = _activations.check(nonlinearity, "nonlinearity")
        super().__init__(input_size, hidden_size, num_layers=num_layers, bias=bias,
                         batch_first=batch_first, dropout=dropout, bidirectional=bidirectional,
                         dtype=dtype, seed=seed)

    def forward(self, x: Any, h0: Any = None, trace: bool = True, *, training: bool = False,
                seed: int = 0) -> RNNTrace:
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
        RNNTrace
            ``h_n`` and, with ``trace=True``, every layer's per-step values and ``output``
            as ``torch.nn.RNN`` returns it.
        """
        return self._run(x, h0, None, trace, training, seed)  # type: ignore[return-value]

    def _layer_forward(
        self, key: str, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None
    ) -> RNNLayerTrace:
        steps, batch, inputs = x.shape
        hidden, dtype = self.hidden_size, self.dtype
        weight_ih, weight_hh = self.params[f"weight_ih{key}"], self.params[f"weight_hh{key}"]
        # Transposed copies (C-ordered): see LSTM._layer_forward.
        input_t, recurrent_t = np.ascontiguousarray(weight_ih.T), np.ascontiguousarray(weight_hh.T)
        bias = self._bias("bias_ih", key) + self._bias("bias_hh", key)
        # The trace's arrays come from the model's pool (see LSTM._layer_forward).
        pre = self._buffers.take(f"preact{key}", (steps, batch, hidden), dtype)
        h = self._buffers.take(f"h{key}", (steps, batch, hidden), dtype)
        recurrent = np.empty((batch, hidden), dtype)
        activation = _activations.FUNCTIONS[self.nonlinearity]
        h_prev = h0
        for start, stop in time_chunks(steps, batch * hidden):
            np.matmul(x[start:stop].reshape(-1, inputs), input_t,
                      out=pre[start:stop].reshape(-1, hidden))
            pre[start:stop] += bias
            for t in range(start, stop):
                np.matmul(h_prev, recurrent_t, out=recurrent)
                pre[t] += recurrent
                activation(pre[t], out=h[t])
                h_prev = h[t]
        return RNNLayerTrace(x=x, h0=h0, preact=pre, h=h)

    def _local_factors(
        self, key: str, trace: RNNLayerTrace, start: int, stop: int, work: ChunkWork
    ) -> tuple[np.ndarray, ...]:
        slope = _activations.derivative(
            self.nonlinearity,
            trace.preact[start:stop],
            trace.h[start:stop],
            out=work.array("slope", trace.h.shape[1:], stop - start),
        )
        return slope, self.params[f"weight_hh{key}"]

    def _backward_step(self, factors: tuple[np.ndarray, ...], j: int, dh_t: np.ndarray,
                       dc_t: np.ndarray | None, dc_next: np.ndarray | None, dz: np.ndarray,
                       dh_rec: np.ndarray) -> None:
        slope, weight_hh = factors
        np.multiply(dh_t, slope[j], out=dz)
        np.matmul(dz, weight_hh, out=dh_rec)


class RNNCell(CellMixin, RNN):
    """``torch.nn.RNNCell``: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh`` (no ``_l0``).

    Parameters
    ----------
    input_size, hidden_size : int
        Features I of the input and units H.
    bias : bool, default: True
        Whether the cell has ``bias_ih`` and ``bias_hh``.
    nonlinearity : str, default: "tanh"
        As for :class:`RNN`.
    **options
        Other :class:`RNN` options except ``num_layers``, ``bidirectional`` and
        ``dropout``.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        **options: Any,
    ) -> None:
        super().__init__(input_size, hidden_size, bias=bias, nonlinearity=nonlinearity, **options)

    def step(self, x: Any, hx: Any = None) -> np.ndarray:
        """``h'`` as ``torch.nn.RNNCell(x, h)``: ``x`` (B, I) or (I,), ``h`` (B, H) or
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


RNN.cell_class = RNNCell
