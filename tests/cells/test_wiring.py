"""Each built-in diagram's wiring is its cell definition's graph (issue 11 §6).

The diagrams keep their hand-placed specs; each names the definition it draws (``cell``).
Here every name of the definition is found in the spec (the node that draws it) and:

- walking the wires backwards from the node of a quantity, through the pointwise
  operations, copy points and concatenations that draw no name of their own, reaches
  exactly the nodes of what its equation uses (parameters aside; a quantity drawn by no
  node, such as FGR's ``u = [...]``, stands for what it collects);
- the spec draws no quantity the definition lacks (NIG has no input gate);
- terminals are labelled with the definition's symbols and layers with its activations;
- a layer, and the node that makes a state, is lit in exactly the steps that compute it.
"""

from __future__ import annotations

import pytest

from lstmfigs import cells
from lstmfigs.cells.equations import symbol
from lstmfigs.cells.steps import derive_steps
from lstmfigs.cells.syntax import Concat
from lstmfigs.figures.diagrams import builtin_names, builtin_spec
from tests.helpers import walk

#: Which spec node draws each name of the definitions, by name (first one present wins).
#: The nodes are those of lstm-cell, gru-cell and rnn-cell and of the edits made of them.
NODES: dict[str, tuple[str, ...]] = {
    "x": ("x_in",),
    "h_prev": ("h_prev",),
    "c_prev": ("c_prev",),
    "i_prev": ("gates_prev",),
    "f_prev": ("gates_prev",),
    "o_prev": ("gates_prev",),
    "f": ("forget_gate", "one_minus"),   # CIFG draws f = 1 - i as a pointwise "1-"
    "i": ("input_gate",),
    "g": ("candidate",),
    "o": ("output_gate",),
    "c": ("cell_add",),
    "h": ("hidden_branch",),
    "r": ("reset_gate",),
    "z": ("update_gate",),
    "n": ("candidate",),
}
#: The activation a layer's label shows.
LAYER_LABELS = {"sigmoid": r"$\sigma$", "tanh": r"$\tanh$", None: "linear"}

DRAWN = [name for name in builtin_names() if builtin_spec(name).cell]


def _drawn_by(spec, definition) -> dict[str, str]:
    """The node drawing each name of ``definition`` that the spec draws."""
    ids = {node.id for node in spec.nodes}
    names = set(definition.inputs) | set(definition.quantities)
    names |= {f"{state}_prev" for state in definition.states}
    return {name: next(n for n in NODES[name] if n in ids)
            for name in names if name in NODES and any(n in ids for n in NODES[name])}


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
    spec = builtin_spec(name)
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
    # Nothing drawn that the definition does not have.
    names = set(definition.quantities) | set(definition.inputs)
    names |= {f"{state}_prev" for state in definition.states}
    ids = {node.id for node in spec.nodes}
    for other, nodes in NODES.items():
        if other not in names and nodes[0] in ids and nodes[0] not in stop:
            pytest.fail(f"{name} draws {other} ({nodes[0]}), which {spec.cell} does not have")


@pytest.mark.parametrize("name", DRAWN)
def test_labels_are_the_definitions(name):
    spec = builtin_spec(name)
    definition = cells.builtin(spec.cell)
    drawn = _drawn_by(spec, definition)
    for used, node_id in drawn.items():
        node = spec.node(node_id)
        if node.kind == "terminal" and node_id != "gates_prev":
            assert node.label == f"${symbol(definition, used)}$", (used, node.label)
        if node.kind == "gate":
            assert node.label == LAYER_LABELS[definition.activation(used)], used
    # The layer drawing an output state (the vanilla RNN's tanh) shows its activation too.
    layers = [n for n in spec.nodes if n.kind == "gate" and n.id not in drawn.values()]
    for layer in layers:
        assert layer.label == LAYER_LABELS[definition.activation(definition.output)]
    outputs = [n for n in spec.nodes if n.kind == "terminal" and n.id.startswith(("h_", "c_"))
               and n.id not in drawn.values()]
    for terminal in outputs:  # c_next, h_next, h_up: the new states
        state = terminal.id[0]
        assert terminal.label == f"${symbol(definition, state)}$", terminal.id


@pytest.mark.parametrize("name", [n for n in DRAWN if builtin_spec(n).steps])
def test_layers_and_states_are_lit_in_the_steps_that_compute_them(name):
    spec = builtin_spec(name)
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
    data["wires"] = [w for w in data["wires"] if w["to"] != "forget_gate.s"]
    data["wires"].append({"from": "x_in.e", "to": "forget_gate.w", "role": "input"})
    spec = DiagramSpec.from_dict(data)
    definition = cells.builtin("lstm")
    drawn = _drawn_by(spec, definition)
    stop = set(drawn.values())
    reached = stop & walk(spec, "forget_gate", backwards=True, through=lambda n: n not in stop)
    assert reached != _feeds(definition, "f", drawn)
