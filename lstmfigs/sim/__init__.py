"""PyTorch-exact NumPy recurrent networks with gate traces and exact BPTT.

>>> from lstmfigs.sim import LSTM, tasks, train
>>> m = LSTM(4, 16, forget_bias=1.0)
>>> tr = m.forward(x)                 # x (T, B, I), time-major (batch_first=True: (B, T, I))
>>> g = m.backward(tr, dh)            # dh = dL/dh_t, (T, B, H)

Never imports torch or matplotlib.
"""

from __future__ import annotations

from . import tasks, train
from ._base import Gradients, LayerGradients
from .gru import GRU, GRUCell, GRUTrace
from .lstm import GREFF_VARIANTS, LSTM, LSTMCell, LSTMTrace, LSTMVariant
from .rnn import RNN, RNNCell, RNNTrace

__all__ = [
    "GREFF_VARIANTS",
    "GRU",
    "LSTM",
    "RNN",
    "GRUCell",
    "GRUTrace",
    "Gradients",
    "LSTMCell",
    "LSTMTrace",
    "LSTMVariant",
    "LayerGradients",
    "RNNCell",
    "RNNTrace",
    "tasks",
    "train",
]
