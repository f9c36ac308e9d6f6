"""Each built-in diagram's wiring is its cell definition's graph (issue 11 §6, issue 12).

The diagrams are generated from the definitions they name (``cell``) and then placed and
routed; the spec checked here is the one drawn, copy dots and all.  Every name of the
definition is found in it (the node that draws a quantity has the quantity's name) and:

- walking the wires backwards from the node of a quantity, through the pointwise
  operations, copy points and concatenations that draw no name of their own, reaches
  exactly the nodes of what its equation uses (parameters aside; a quantity drawn by no
  node, such as FGR's ``u = [...]``, stands for what it collects);
- the spec draws nothing the definition lacks (NIG has no input gate);
- terminals are labelled with the definition's symbols and layers with its activations;
- a layer, and the node that makes a state, is lit in exactly the steps that compute it.
"""

from __future__ import annotations

import pytest

import lstmfigs
from lstmfigs import cells
from lstmfigs.cells.equations import BEFORE, base_symbol, symbol, with_time
from lstmfigs.cells.steps import derive_steps
from lstmfigs.cells.syntax import Concat
from lstmfigs.diagram.cellgraph import BUNDLE_JOIN
from lstmfigs.figures.diagrams import builtin_names, builtin_spec
from tests.helpers import walk

#: The activation a layer's label shows.
LAYER_LABELS = {"sigmoid": r"$\sigma$", "tanh": r"$\tanh$", None: r"$\mathrm{linear}$"}

DRAWN = [name for name in builtin_names() if builtin_spec(name).cell]


def _drawn(name: str):
    """The spec of built-in diagram ``name`` as drawn: placed and routed."""
    return lstmfigs.figure(name).lstmfigs_diagram.layout.spec


def _bundled(spec, definition) -> dict[str, tuple[str, ...]]:
    """Terminals that stand for several states' previous values (FGR's ``i-f-o_prev``,
    drawn ``[i, f, o]_{t-1}``) -> those states."""
    found = {}
    for node in spec.nodes:
        stem = node.id.removesuffix("_prev")
        if node.kind == "terminal" and stem != node.id and BUNDLE_JOIN in stem:
            states = tuple(stem.split(BUNDLE_JOIN))
            assert set(states) <= set(definition.states), node.id
            found[node.id] = states
    return found


def _drawn_by(spec, definition) -> dict[str, str]:
    """The node drawing each name of ``definition`` that the spec draws: its namesake, or
    the bundle a state's previous value enters in."""
    ids = {node.id for node in spec.nodes}
    names = set(definition.inputs) | set(definition.quantities)
    names |= {f"{state}_prev" for state in definition.states}
    drawn = {name: name for name in names if name in ids}
    for node_id, states in _bundled(spec, definition).items():
        drawn |= {f"{state}_prev": node_id for state in states}
    return drawn


def _feeds(definition, name: str, drawn: dict[str, str]) -> set[str]:
    """The nodes of what the equation of ``name`` uses, seen through undrawn quantities."""
    found: set[str] = set()
    for used in definition.dependencies(name):
        if definition.is_parameter(used):
            continue
        if used in drawn:
            found.add(drawn[used])
        else:
            found |= _feeds(definition, used, drawn)
    return found


def test_every_cell_diagram_names_its_definition():
    assert {name: builtin_spec(name).cell for name in DRAWN} == {
        "lstm-cell": "lstm", "gru-cell": "gru", "rnn-cell": "rnn",
        "lstm-peephole": "lstm-peephole", "lstm-nig": "lstm-nig", "lstm-nfg": "lstm-nfg",
        "lstm-nog": "lstm-nog", "lstm-niaf": "lstm-niaf", "lstm-noaf": "lstm-noaf",
        "lstm-np": "lstm-np", "lstm-cifg": "lstm-cifg", "lstm-fgr": "lstm-fgr"}


@pytest.mark.parametrize("name", DRAWN)
def test_wiring_is_the_definitions_graph(name):
    spec = _drawn(name)
    definition = cells.builtin(spec.cell)
    drawn = _drawn_by(spec, definition)
    stop = set(drawn.values())
    for quantity in definition.quantities:
        if quantity not in drawn:
            # Only a bundle of signals may go undrawn (its wires carry its parts).
            assert isinstance(definition.equation(quantity).expr, Concat), quantity
            continue
        node = drawn[quantity]
        reached = stop & walk(spec, node, backwards=True, through=lambda n: n not in stop)
        assert reached == _feeds(definition, quantity, drawn), (quantity, node)
    # Nothing drawn that the definition does not have: every layer or operation is a
    # quantity or a part of one (c_mul), every terminal an input, a state or its value.
    quantities = set(definition.quantities)
    for node in spec.nodes:
        if node.kind in ("gate", "op"):
            assert node.id in quantities or node.id.split("_")[0] in quantities, node.id
        if node.kind == "terminal":
            assert node.id in drawn.values() or node.id.rsplit("_", 1)[0] in definition.states, \
                node.id


@pytest.mark.parametrize("name", DRAWN)
def test_labels_are_the_definitions(name):
    spec = _drawn(name)
    definition = cells.builtin(spec.cell)
    drawn = _drawn_by(spec, definition)
    bundles = _bundled(spec, definition)
    for used, node_id in drawn.items():
        node = spec.node(node_id)
        if node_id in bundles:  # [i, f, o]_{t-1}
            parts = ", ".join(base_symbol(definition, s) for s in bundles[node_id])
            assert node.label == f"${with_time(f'[{parts}]', BEFORE)}$", node.label
        elif node.kind == "terminal":
            assert node.label == f"${symbol(definition, used)}$", (used, node.label)
        if node.kind == "gate":
            assert node.label == LAYER_LABELS[definition.activation(used)], used
    # A bundled state leaves with no terminal of its own: its layer's wire is labelled
    # (in the spec as generated; arranging it turns wire labels into placed labels).
    generated = builtin_spec(name)
    for states in bundles.values():
        for state in states:
            labels = {w.label for w in generated.wires if w.source == drawn[state]}
            assert f"${symbol(definition, state)}$" in labels, (state, labels)
    for terminal in spec.nodes:  # c_next, h_next, h_up: the new states
        state, _, end = terminal.id.rpartition("_")
        if terminal.kind == "terminal" and end in ("next", "up"):
            assert terminal.label == f"${symbol(definition, state)}$", terminal.id


@pytest.mark.parametrize("name", [n for n in DRAWN if builtin_spec(n).steps])
def test_layers_and_states_are_lit_in_the_steps_that_compute_them(name):
    spec = _drawn(name)
    definition = cells.builtin(spec.cell)
    assert spec.steps == tuple(step.name for step in derive_steps(definition))
    drawn = _drawn_by(spec, definition)
    for quantity in definition.quantities:
        node = spec.node(drawn[quantity]) if quantity in drawn else None
        if node is None or not (node.kind == "gate" or quantity in definition.states):
            continue
        computing = tuple(step.name for step in derive_steps(definition)
                          if quantity in step.produced)
        assert node.steps == computing, (quantity, node.id)


def test_a_miswired_spec_fails():
    """The check can fail: lstm-cell with the forget gate fed from x alone."""
    from lstmfigs.diagram.spec import DiagramSpec

    data = builtin_spec("lstm-cell").to_dict()
    data["wires"] = [w for w in data["wires"] if w["to"] != "f"]
    data["wires"].append({"from": "x", "to": "f", "role": "input"})
    spec = DiagramSpec.from_dict(data)
    definition = cells.builtin("lstm")
    drawn = _drawn_by(spec, definition)
    stop = set(drawn.values())
    reached = stop & walk(spec, "f", backwards=True, through=lambda n: n not in stop)
    assert reached != _feeds(definition, "f", drawn)
