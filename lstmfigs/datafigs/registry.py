"""Catalog entries for the data figures (no heavy imports here: numpy and matplotlib load
only when a figure is built)."""

from __future__ import annotations

from ..catalog import FigureEntry, register

#: Figures that show one model take the user's own (LSTM, GRU or RNN) and input sequence,
#: or a cell from its definition (untrained, given its weights, or trained on request).
MODEL_OPTIONS = ("weights", "inputs", "runs", "cell", "train", "width")
#: Figures about the training runs take other runs (``lstmfigs train``), a cell trained on
#: request beside the scenario's models, and the page width.
SCENARIO_OPTIONS = ("runs", "cell", "train", "width")


def _data_figure(name: str, summary: str, options: tuple[str, ...], *, figure: str,
                 data: str, summary_of: str | None, trained: bool = False,
                 beside: tuple[str, ...] = ()) -> None:
    """Register a data figure; targets are spelt out in full so that a grep for a function
    finds its registration.  ``trained``: the figure shows training results, so a cell
    without shipped runs needs ``train`` (checked when the figure is requested).
    ``beside``: built-in cells drawn beside the one it shows (the LSTM, or ``cell``), as
    ``lstmfigs spec`` says."""
    register(FigureEntry(
        name=name,
        kind="data",
        summary=summary,
        target=figure,
        options=options,
        data_target=data,
        summary_target=summary_of,
        extra={"trained": trained, "beside": beside},
    ))


_data_figure(
    "gate-heatmaps",
    "Units x time heatmaps of a model's gates and states "
    "(LSTM f, i, g, o, c, h; GRU r, z, n, h; RNN; any cell's own)",
    MODEL_OPTIONS,
    figure="lstmfigs.datafigs.figures:gate_heatmaps",
    data="lstmfigs.datafigs.measure:gate_heatmaps_data",
    summary_of=None,
)
_data_figure(
    "dynamics-dashboard",
    "Overview of an LSTM, GRU, RNN or any cell on one sequence: traces, gates, histograms, "
    "norms",
    MODEL_OPTIONS,
    figure="lstmfigs.datafigs.figures:dynamics_dashboard",
    data="lstmfigs.datafigs.measure:dynamics_dashboard_data",
    summary_of="lstmfigs.datafigs.measure:dynamics_dashboard_summary",
)
_data_figure(
    "gradient-decay",
    "Gradient norm against lag (BPTT) over the whole state, RNN vs LSTM (or a cell), "
    "trained and untrained",
    (*SCENARIO_OPTIONS, "weights", "inputs"),
    figure="lstmfigs.datafigs.figures:gradient_decay",
    data="lstmfigs.datafigs.measure:gradient_decay_data",
    summary_of="lstmfigs.datafigs.measure:gradient_decay_summary",
    beside=("rnn",),
)
_data_figure(
    "rnn-vs-lstm",
    "Hidden states of a trained RNN and LSTM on the same input",
    ("inputs", "runs", "width"),
    figure="lstmfigs.datafigs.figures:rnn_vs_lstm",
    data="lstmfigs.datafigs.measure:rnn_vs_lstm_data",
    summary_of="lstmfigs.datafigs.measure:rnn_vs_lstm_summary",
    beside=("rnn",),
)
_data_figure(
    "gate-saturation",
    "Per-unit gate saturation (Karpathy et al. 2015): LSTM i, f, o; GRU r, z, n; RNN h; "
    "a cell's gates and tanh layers",
    MODEL_OPTIONS,
    figure="lstmfigs.datafigs.figures:gate_saturation",
    data="lstmfigs.datafigs.measure:gate_saturation_data",
    summary_of="lstmfigs.datafigs.measure:gate_saturation_summary",
)
_data_figure(
    "lag-accuracy",
    "Accuracy against lag on remember-the-first-symbol, RNN vs LSTM (and a cell)",
    SCENARIO_OPTIONS,
    figure="lstmfigs.datafigs.figures:lag_accuracy",
    data="lstmfigs.datafigs.measure:lag_accuracy_data",
    summary_of="lstmfigs.datafigs.measure:lag_accuracy_summary",
    beside=("rnn",),
    trained=True,
)
_data_figure(
    "learning-curves",
    "Loss and accuracy during training at lag 50, RNN vs LSTM (and a cell)",
    SCENARIO_OPTIONS,
    figure="lstmfigs.datafigs.figures:learning_curves",
    data="lstmfigs.datafigs.measure:learning_curves_data",
    summary_of="lstmfigs.datafigs.measure:learning_curves_summary",
    beside=("rnn",),
    trained=True,
)
