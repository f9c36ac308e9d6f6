"""Vanilla (Elman) RNN with ``torch.nn.RNN``'s tanh semantics::

    h' = tanh(W_ih x + b_ih + W_hh h + b_hh)

Keras' ``SimpleRNN`` is the same cell (``kernel`` (I, H), ``recurrent_kernel`` (H, H),
``bias`` (H,)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ._base import ModelTrace, RecurrentModel, previous_states


@dataclass
class RNNLayerTrace:
    """One layer: ``x`` input, ``h0`` (B, H), ``preact`` and ``h`` (T, B, H)."""

    x: np.ndarray
    h0: np.ndarray
    preact: np.ndarray
    h: np.ndarray


@dataclass
class RNNTrace(ModelTrace):
    """Result of :meth:`RNN.forward` (see ``ModelTrace``): ``h_n``; with a trace the last
    layer's ``h`` and ``preact`` (T, B, H)."""


class RNN(RecurrentModel):
    """Elman network with tanh; ``torch.nn.RNN`` semantics, time-major, PyTorch init."""

    gate_blocks: ClassVar[int] = 1
    dz_blocks: ClassVar[int] = 1
    keras_block_order: ClassVar[tuple[int, ...]] = (0,)

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 dtype: Any = "float32", seed: int = 0) -> None:
        super().__init__(input_size, hidden_size, num_layers=num_layers, dtype=dtype, seed=seed)

    def forward(self, x: Any, h0: Any = None, trace: bool = True) -> RNNTrace:
        """Run over ``x`` (T, B, I); ``h0`` (num_layers, B, H) or None (zeros)."""
        layers, h_n, _ = self._run(x, h0, None, trace)
        return RNNTrace(layers=layers, h_n=h_n)

    def _layer_forward(self, layer: int, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None) -> RNNLayerTrace:
        steps, batch, inputs = x.shape
        weight_ih, weight_hh = self.params[f"weight_ih_l{layer}"], self.params[f"weight_hh_l{layer}"]
        pre = np.matmul(x.reshape(steps * batch, inputs), weight_ih.T).reshape(steps, batch, self.hidden_size)
        pre += self.params[f"bias_ih_l{layer}"] + self.params[f"bias_hh_l{layer}"]
        h = np.empty_like(pre)
        recurrent = np.empty((batch, self.hidden_size), self.dtype)
        h_prev = h0
        for t in range(steps):
            np.matmul(h_prev, weight_hh.T, out=recurrent)
            pre[t] += recurrent
            np.tanh(pre[t], out=h[t])
            h_prev = h[t]
        return RNNLayerTrace(x=x, h0=h0, preact=pre, h=h)

    def _local_factors(self, layer: int, trace: RNNLayerTrace, start: int, stop: int) -> tuple[np.ndarray, ...]:
        slope = np.square(trace.h[start:stop])
        np.subtract(self.dtype.type(1), slope, out=slope)
        return slope, self.params[f"weight_hh_l{layer}"]

    def _backward_step(self, factors: tuple[np.ndarray, ...], j: int, dh_t: np.ndarray,
                       dc_t: np.ndarray | None, dc_next: np.ndarray | None, dz: np.ndarray,
                       dh_rec: np.ndarray, layer: int) -> None:
        slope, weight_hh = factors
        np.multiply(dh_t, slope[j], out=dz)
        np.matmul(dz, weight_hh, out=dh_rec)

    def _param_gradients(self, layer: int, trace: RNNLayerTrace, dz_all: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        steps, batch, inputs = trace.x.shape
        hidden = self.hidden_size
        dz_flat = dz_all.reshape(steps * batch, hidden)
        h_prev = previous_states(trace.h, trace.h0, 0, steps).reshape(steps * batch, hidden)
        bias = dz_flat.sum(axis=0)
        params = {
            f"weight_ih_l{layer}": dz_flat.T @ trace.x.reshape(steps * batch, inputs),
            f"weight_hh_l{layer}": dz_flat.T @ h_prev,
            f"bias_ih_l{layer}": bias,
            f"bias_hh_l{layer}": bias.copy(),
        }
        dx = (dz_flat @ self.params[f"weight_ih_l{layer}"]).reshape(steps, batch, inputs)
        return params, dx
