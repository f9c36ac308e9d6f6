"""Catalog entries for the built-in figures (no heavy imports here).

Every built-in diagram drawn from a spec gets its entry from the spec itself: the entry's
summary is the spec's title, and it is animated (has a storyboard) when the spec has
highlight steps; see :mod:`lstmfigs.figures.diagrams` for where those diagrams are
declared.  The one diagram not drawn from a spec, ``lstm-activity`` (a simulation's
activity on the LSTM cell, built in :mod:`lstmfigs.animate`), is registered here by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ..catalog import FigureEntry, register
from ..options import DIAGRAM_OPTIONS
from .diagrams import CHAIN, CHAIN_OPTIONS, builtin_names, header

#: The options every diagram drawn from a spec takes.
#: Every diagram drawn from a spec takes these, and its page width.
SPEC_DIAGRAM_OPTIONS = (*DIAGRAM_OPTIONS, "width")


class SpecDiagramEntry(FigureEntry):
    """A built-in diagram drawn from its spec: every one has the same builder,
    :func:`lstmfigs.figures.diagrams.builtin_figure`, which :meth:`load` returns with the
    diagram's name bound, so the build path calls it as any other builder."""

    def load(self) -> Callable[..., Any]:
        return partial(super().load(), self.name)


for _name in builtin_names():
    _header = header(_name)
    register(SpecDiagramEntry(
        name=_name,
        kind="diagram",
        summary=_header.title,
        target="lstmfigs.figures.diagrams:builtin_figure",
        options=SPEC_DIAGRAM_OPTIONS + (CHAIN_OPTIONS if _name == CHAIN else ()),
        animated=bool(_header.steps),
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
