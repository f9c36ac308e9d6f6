"""tools/layout_metrics.py counts what it says: bends, crossings, shared runs and wires
through nodes, on a small spec whose answers are known."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

import lstmfigs
from lstmfigs.diagram.tomlio import loads_spec

TOOLS = Path(__file__).resolve().parents[2] / "tools"


@pytest.fixture(scope="module")
def metrics():
    sys.path.insert(0, str(TOOLS))
    try:
        import layout_metrics
    finally:
        sys.path.remove(str(TOOLS))
    return layout_metrics


def _node(node_id: str, kind: str, at: tuple[float, float]) -> str:
    label = "\nlabel = '$\\sigma$'" if kind == "gate" else ""
    return f"[[nodes]]\nid = '{node_id}'\nkind = '{kind}'\nat = [{at[0]}, {at[1]}]{label}\n"


def _wire(source: str, target: str, via: str = "") -> str:
    route = f"\nvia = {via}" if via else ""
    return f"[[wires]]\nfrom = '{source}'\nto = '{target}'{route}\n"


#: a -> b runs right along y = 2 through gate g; c -> d runs up along x = 4 across it;
#: e -> f twice, one bend each; a second wire from a's east port (a -> g2) runs along
#: a -> b through g and turns up.
SPEC = "name = 'metrics-demo'\n" + "".join([
    _node("a", "dot", (0.0, 2.0)), _node("b", "dot", (8.0, 2.0)),
    _node("g", "gate", (2.0, 2.0)),
    _node("c", "dot", (4.0, 0.0)), _node("d", "dot", (4.0, 4.0)),
    _node("e", "dot", (6.0, 6.0)), _node("f", "dot", (8.0, 8.0)),
    _node("g2", "gate", (6.5, 3.5)),
    _wire("a.e", "b.w"), _wire("c.n", "d.s"), _wire("e.e", "f.s", "[[8.0, 6.0]]"),
    _wire("e.n", "f.w", "[[6.0, 8.0]]"), _wire("a.e", "g2.s", "[[6.5, 2.0]]"),
])


def test_counts_on_a_known_spec(metrics):
    # The spec is defective on purpose (a wire through a node): draw it all the same.
    fig = lstmfigs.figure(loads_spec(SPEC), legend=False, allow_layout_problems=True)
    try:
        found = metrics.measure_layout(fig.lstmfigs_diagram.layout)
    finally:
        plt.close(fig)
    assert found.bends == 3, found.details  # e->f twice (one bend each), a->g2 once
    # c->d crosses both wires leaving a's east port; they share a port, so they do not
    # count against each other.
    assert found.crossings == 2, found.details
    assert found.shared == 0, found.details
    assert found.through == 2, found.details  # both wires from a.e run through gate g
    assert sum("runs through 'g'" in line for line in found.details) == 2


def test_geometry_helpers(metrics):
    assert metrics.bends([(0, 0), (1, 0), (2, 0), (2, 1)]) == 1
    assert metrics.bends([(0, 0), (0, 0), (1, 0)]) == 0
    assert metrics.crosses(((0, 1), (2, 1)), ((1, 0), (1, 2)))
    assert not metrics.crosses(((0, 1), (2, 1)), ((2, 0), (2, 2)))  # meets at an end
    assert not metrics.crosses(((0, 1), (2, 1)), ((0, 3), (2, 3)))
    assert metrics.shared_run(((0, 1), (2, 1)), ((1, 1), (3, 1)))
    assert not metrics.shared_run(((0, 1), (2, 1)), ((2, 1), (3, 1)))  # touches only
    assert metrics.enters([(0, 0), (4, 0)], (1, -1, 2, 1), 0.01)
    assert not metrics.enters([(0, 1), (4, 1)], (1, -1, 2, 1), 0.01)  # along the edge
