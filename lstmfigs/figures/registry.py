"""Catalog entries for the built-in figures (no heavy imports here)."""

from __future__ import annotations

from ..catalog import FigureEntry, register

DIAGRAM_OPTIONS = ("highlight", "legend", "equations", "width")

#: Built-in diagrams: name, summary, whether it has highlight steps (and so a storyboard).
DIAGRAMS: tuple[tuple[str, str, bool], ...] = (
    ("lstm-cell", "The LSTM cell: gates, pointwise operations, cell and hidden state", True),
    ("rnn-cell", "The vanilla RNN cell: one tanh layer on [h_{t-1}, x_t]", False),
    ("gru-cell", "The GRU cell as PyTorch computes it (reset inside the candidate)", True),
    ("lstm-peephole", "LSTM with peephole connections (Gers & Schmidhuber 2000)", True),
    ("lstm-cifg", "LSTM variant CIFG: coupled input and forget gates, f = 1 - i", True),
    ("lstm-nig", "LSTM variant NIG (Greff et al.): no input gate", True),
    ("lstm-nfg", "LSTM variant NFG (Greff et al.): no forget gate", True),
    ("lstm-nog", "LSTM variant NOG (Greff et al.): no output gate", True),
    ("lstm-niaf", "LSTM variant NIAF (Greff et al.): no input activation function", True),
    ("lstm-noaf", "LSTM variant NOAF (Greff et al.): no output activation function", True),
    ("lstm-np", "LSTM variant NP (Greff et al.): no peepholes", True),
    ("lstm-fgr", "LSTM variant FGR (Greff et al.): full gate recurrence", True),
)

for _name, _summary, _steps in DIAGRAMS:
    register(FigureEntry(
        name=_name,
        kind="diagram",
        summary=_summary,
        target=f"lstmfigs.figures.diagrams:{_name.replace('-', '_')}",
        options=DIAGRAM_OPTIONS,
        animated=_steps,
    ))

register(FigureEntry(
    name="lstm-chain",
    kind="diagram",
    summary="An LSTM unrolled over time: the cell at t in full, its neighbours as blocks",
    target="lstmfigs.figures.diagrams:lstm_chain",
    options=DIAGRAM_OPTIONS + ("layers",),
))

register(FigureEntry(
    name="lstm-activity",
    kind="diagram",
    summary="The LSTM cell coloured by a simulation's gate activations at step t "
            "(gif, storyboard: over t)",
    target="lstmfigs.animate:lstm_activity",
    data_target="lstmfigs.animate:activity_data",
    options=("step", "weights", "inputs", "legend", "equations", "width"),
    animated=True,
))
