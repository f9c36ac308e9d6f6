"""PyTorch-exact NumPy recurrent networks with gate traces and exact BPTT.

>>> from lstmfigs.sim import LSTM, tasks, train
>>> m = LSTM(4, 16, forget_bias=1.0)
>>> tr = m.forward(x)                 # x (T, B, I), time-major
>>> g = m.backward(tr, dh)            # dh = dL/dh_t, (T, B, H)

Never imports torch or matplotlib.
"""

from __future__ import annotations

from . import tasks, train
from ._base import Gradients, LayerGradients
from .gru import GRU, GRUTrace
from .lstm import GREFF_VARIANTS, LSTM, LSTMTrace, LSTMVariant
from .rnn import RNN, RNNTrace

__all__ = [
    "LSTM", "GRU", "RNN", "tasks", "train", "Gradients", "LayerGradients",
    "LSTMTrace", "GRUTrace", "RNNTrace", "LSTMVariant", "GREFF_VARIANTS",
]
