"""Catalog entries for the data figures (no heavy imports here: numpy and matplotlib load
only when a figure is built)."""

from __future__ import annotations

from ..catalog import FigureEntry, register

#: Figures that show one model take the user's own (LSTM, GRU or RNN) and input sequence.
MODEL_OPTIONS = ("weights", "inputs", "runs", "width")
#: Figures about the training runs take other runs (``lstmfigs train``) and the page width.
SCENARIO_OPTIONS = ("runs", "width")

_MODULE = "lstmfigs.datafigs"


def _data_figure(name: str, summary: str, function: str, options: tuple[str, ...], *,
                 has_summary: bool = True) -> None:
    register(FigureEntry(
        name=name,
        kind="data",
        summary=summary,
        target=f"{_MODULE}.figures:{function}",
        options=options,
        data_target=f"{_MODULE}.measure:{function}_data",
        summary_target=f"{_MODULE}.measure:{function}_summary" if has_summary else None,
    ))


_data_figure(
    "gate-heatmaps",
    "Units x time heatmaps of a model's gates and states "
    "(LSTM f, i, g, o, c, h; GRU r, z, n, h; RNN)",
    "gate_heatmaps",
    MODEL_OPTIONS,
    has_summary=False,
)
_data_figure(
    "dynamics-dashboard",
    "Overview of an LSTM, GRU or RNN on one sequence: traces, gates, histograms, norms",
    "dynamics_dashboard",
    MODEL_OPTIONS,
)
_data_figure(
    "gradient-decay",
    "Gradient norm against lag (BPTT), RNN vs LSTM, trained and untrained",
    "gradient_decay",
    (*SCENARIO_OPTIONS, "weights", "inputs"),
)
_data_figure("rnn-vs-lstm", "Hidden states of a trained RNN and LSTM on the same input",
             "rnn_vs_lstm", ("inputs", "runs", "width"))
_data_figure(
    "gate-saturation",
    "Per-unit gate saturation (Karpathy et al. 2015): LSTM i, f, o; GRU r, z, n; RNN h",
    "gate_saturation",
    MODEL_OPTIONS,
)
_data_figure("lag-accuracy", "Accuracy against lag on remember-the-first-symbol, RNN vs LSTM",
             "lag_accuracy", SCENARIO_OPTIONS)
_data_figure("learning-curves", "Loss and accuracy during training at lag 50, RNN vs LSTM",
             "learning_curves", SCENARIO_OPTIONS)
