"""Hand-placed specs kept as test fixtures.

The built-in diagrams are generated from their cell definitions and laid out automatically;
the hand-placed specs they replaced stay here as examples of fully placed specs (every ``at``
and port given), on which the layout, the checks and the editable outputs are tested with
known coordinates.
"""

from __future__ import annotations

from functools import cache

from lstmfigs.diagram.spec import DiagramSpec
from lstmfigs.diagram.tomlio import load_spec
from tests.helpers.paths import FIXTURES


@cache
def hand_spec(name: str) -> DiagramSpec:
    """The hand-placed spec ``name`` (``lstm-cell``, ``gru-cell`` or ``rnn-cell``)."""
    return load_spec(FIXTURES / "specs" / f"{name}-hand.toml")
