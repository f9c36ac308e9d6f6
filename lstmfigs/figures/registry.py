"""Catalog entries for the built-in figures (no heavy imports here)."""

from __future__ import annotations

from ..catalog import FigureEntry, register

DIAGRAM_OPTIONS = ("highlight", "legend", "equations", "width")

register(FigureEntry(
    name="lstm-cell",
    kind="diagram",
    summary="The LSTM cell: gates, pointwise operations, cell and hidden state",
    target="lstmfigs.figures.diagrams:lstm_cell",
    options=DIAGRAM_OPTIONS,
    animated=True,
))
