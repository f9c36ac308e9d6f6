"""A cell definition becomes its diagram's spec: which elements, roles, labels and steps."""

from __future__ import annotations

import pytest

from lstmfigs import cells
from lstmfigs.cells import Cell
from lstmfigs.diagram.cellgraph import cell_spec
from lstmfigs.diagram.spec import DiagramSpec
from lstmfigs.diagram.tomlio import loads_spec
from lstmfigs.errors import SpecError


def _nodes(spec: DiagramSpec) -> dict[str, tuple[str, str, str]]:
    return {n.id: (n.kind, n.label, n.role) for n in spec.nodes}


def _edges(spec: DiagramSpec) -> set[tuple[str, str]]:
    return {(w.source, w.target) for w in spec.wires}


def test_lstm_has_four_layers_one_bus_and_its_pointwise_operations() -> None:
    spec = cell_spec(cells.builtin("lstm"))
    nodes = _nodes(spec)
    assert {k: nodes[k] for k in "figo"} == {
        "f": ("gate", r"$\sigma$", "forget_gate"), "i": ("gate", r"$\sigma$", "input_gate"),
        "g": ("gate", r"$\tanh$", "candidate"), "o": ("gate", r"$\sigma$", "output_gate")}
    # One concatenation feeds all four layers: [h_prev, x] runs along one bus.
    assert [n for n, (kind, _, _) in nodes.items() if kind == "concat"] == ["concat"]
    assert {("h_prev", "concat"), ("x", "concat")} <= _edges(spec)
    assert {("concat", k) for k in "figo"} <= _edges(spec)
    # c = f * c_prev + i * g: two products into one sum; h = o * tanh(c).
    assert nodes["c"][:2] == ("op", "$+$") and nodes["h"][:2] == ("op", r"$\times$")
    assert {("f", "c_mul"), ("c_prev", "c_mul"), ("i", "c_mul2"), ("g", "c_mul2"),
            ("c_mul", "c"), ("c_mul2", "c"), ("c", "h_tanh"), ("h_tanh", "h"), ("o", "h"),
            ("c", "c_next"), ("h", "h_next"), ("h", "h_up")} <= _edges(spec)
    assert len(spec.wires) == 18
    # Terminals: inputs below, previous states left, new states right, the output also up.
    sides = {n.id: n.label_side for n in spec.nodes if n.kind == "terminal"}
    assert sides == {"x": "below", "c_prev": "left", "h_prev": "left", "c_next": "right",
                     "h_next": "right", "h_up": "above"}
    assert all(n.at is None for n in spec.nodes)


def test_wires_carry_roles_and_gate_outputs_carry_their_symbols() -> None:
    spec = cell_spec(cells.builtin("lstm"))
    wires = {(w.source, w.target): w for w in spec.wires}
    assert wires[("c_prev", "c_mul")].role == "cell_state"
    assert wires[("c_mul", "c")].role == "cell_state"       # f * c_prev is on the rail
    assert wires[("c_mul2", "c")].role == "candidate"       # i * g is the candidate's
    assert wires[("h_prev", "concat")].role == "hidden_state"
    labels = {w.label for w in spec.wires if w.label}
    assert labels == {"$f_t$", "$i_t$", r"$\tilde{C}_t$", "$o_t$"}


def test_steps_light_what_computes_them() -> None:
    spec = cell_spec(cells.builtin("lstm"))
    assert spec.steps == ("forget", "input", "update", "output")
    steps = {n.id: n.steps for n in spec.nodes}
    assert steps["f"] == ("forget",) and steps["c"] == ("update",)
    assert "forget" in steps["h_prev"] and "forget" in steps["x"]
    wires = {(w.source, w.target): w.steps for w in spec.wires}
    assert wires[("concat", "f")] == ("forget",)
    # A gate's output is lit with the gate and with what it feeds.
    assert wires[("f", "c_mul")] == ("forget", "update")
    assert wires[("c", "h_tanh")] == ("output",)


def test_gru_reset_gate_enters_the_candidate_and_one_minus_is_folded() -> None:
    spec = cell_spec(cells.builtin("gru"))
    nodes = _nodes(spec)
    assert nodes["r"][2] == "reset_gate" and nodes["z"][2] == "update_gate"
    assert ("r", "n") in _edges(spec) and ("concat", "n") in _edges(spec)
    assert nodes["h_sub"][:2] == ("op", "$1-$")
    assert ("z", "h_sub") in _edges(spec) and ("h_prev", "h_mul2") in _edges(spec)


def test_further_states_get_their_own_roles_derived_from_the_cell_state() -> None:
    cell = cells.load("tests/datafigs/cells/slstm-nostab.toml")
    spec = cell_spec(cell)
    assert spec.roles == (("n_state", "cell_state"),)
    assert {n.role for n in spec.nodes if n.id in ("n_prev", "n_next")} == {"n_state"}
    assert _nodes(spec)["i"][1] == r"$\exp$" and _nodes(spec)["h"][1] == r"$\div$"


def test_constants_and_parameters_fold_into_one_input_operations() -> None:
    cell = Cell.from_equations(
        ["a = sigmoid(W_a @ x + b_a)", "h = 8 * a * h_prev + sqrt(1 - a ** 2) * (W_x @ x)"],
        name="folds", states=("h",), output="h")
    nodes = _nodes(cell_spec(cell))
    labels = {label for kind, label, _ in nodes.values() if kind == "op"}
    assert r"$8\,\times$" in labels and "$1-$" in labels and r"$(\cdot)^{2}$" in labels
    assert r"$\sqrt{\cdot}$" in labels
    # A layer without activation is drawn as a linear layer; one signal needs no concat.
    linear = Cell.from_equations(["u = W @ x", "h = u * h_prev"], name="lin",
                                 states=("h",), output="h")
    spec = cell_spec(linear)
    assert _nodes(spec)["u"][:2] == ("gate", r"$\mathrm{linear}$")
    assert ("x", "u") in _edges(spec) and not any(n.kind == "concat" for n in spec.nodes)


def test_a_spec_naming_a_cell_without_nodes_draws_the_generated_diagram() -> None:
    spec = loads_spec('name = "mine"\ntitle = "Mine"\ncell = "gru"\n')
    assert spec.name == "mine" and spec.title == "Mine" and spec.cell == "gru"
    assert _edges(spec) == _edges(cell_spec(cells.builtin("gru")))
    with pytest.raises(SpecError, match="wires without nodes"):
        loads_spec('name = "mine"\ncell = "gru"\n[[wires]]\nfrom = "a"\nto = "b"\n')


def test_a_definition_file_loads_as_its_diagram() -> None:
    spec = loads_spec(cells.builtin("rnn").source, "rnn.toml")
    assert {n.id for n in spec.nodes} == {"x", "h_prev", "concat", "h", "h_next", "h_up"}


def test_own_roles_must_be_declared() -> None:
    base = {"name": "r", "nodes": [{"id": "a", "kind": "gate", "role": "norm_state"}]}
    with pytest.raises(SpecError, match="norm_state"):
        DiagramSpec.from_dict(base)
    spec = DiagramSpec.from_dict({**base, "roles": {"norm_state": "cell_state"}})
    assert spec.roles == (("norm_state", "cell_state"),)
    assert DiagramSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(SpecError, match="already a built-in role"):
        DiagramSpec.from_dict({**base, "roles": {"cell_state": "input"}})


def test_an_output_that_is_not_a_state_leaves_right_and_up() -> None:
    cell = Cell.from_equations(
        ["h = tanh(W @ [h_prev, x] + b)", "y = W_y @ h + d * x"], name="out",
        states=("h",), output="y", parameters={"W": ["H", "H+I"], "b": ["H"],
                                                "W_y": ["I", "H"], "d": ["I"]})
    spec = cell_spec(cell)
    assert {("h", "h_next"), ("y", "y_out"), ("y", "y_up")} <= _edges(spec)
    sides = {n.id: n.label_side for n in spec.nodes if n.kind == "terminal"}
    assert sides["y_out"] == "right" and sides["y_up"] == "above"


def test_a_product_a_weight_matrix_multiplies_is_drawn_before_the_layer() -> None:
    """MGU (Zhou et al. 2016): the candidate sees [f * h_prev, x], so the product is its own
    operation feeding a second concatenation, not f, h_prev and x concatenated."""
    cell = Cell.from_equations(
        ["f = sigmoid(W_f @ [h_prev, x] + b_f)",
         "h_tilde = tanh(W_h @ [f * h_prev, x] + b_h)",
         "h = (1 - f) * h_prev + f * h_tilde"], name="mgu", states=("h",), output="h")
    spec = cell_spec(cell)
    assert {("f", "h_tilde_mul"), ("h_prev", "h_tilde_mul"), ("h_tilde_mul", "concat2"),
            ("x", "concat2"), ("concat2", "h_tilde")} <= _edges(spec)
    assert ("f", "concat2") not in _edges(spec) and ("h_prev", "concat2") not in _edges(spec)


def test_gates_carried_to_the_next_step_enter_as_one_bundle() -> None:
    """FGR: every gate also sees the three gates at t-1.  They enter as one terminal
    [i, f, o]_{t-1} beside the [h_prev, x] bus (no second concatenation forking h_prev and
    x), and leave as the gates' own labelled wires, as in the paper's figure."""
    spec = cell_spec(cells.builtin("lstm-fgr"))
    nodes = _nodes(spec)
    assert nodes["i-f-o_prev"] == ("terminal", "$[i, f, o]_{t-1}$", "input")
    assert not {"i_prev", "f_prev", "o_prev", "i_next", "f_next", "o_next"} & set(nodes)
    (concat,) = [n for n, (kind, _, _) in nodes.items() if kind == "concat"]
    edges = _edges(spec)
    assert {("h_prev", concat), ("x", concat)} | {(concat, k) for k in "figo"} <= edges
    assert {("i-f-o_prev", k) for k in "fio"} <= edges and ("i-f-o_prev", "g") not in edges
    assert {w.label for w in spec.wires
            if w.source in ("f", "i", "o")} >= {"$f_t$", "$i_t$", "$o_t$"}
    steps = {n.id: n.steps for n in spec.nodes}
    assert steps["i-f-o_prev"] == ("forget", "input", "output")


#: h reads both carried gates, so both feed something within the step.
_USES_BOTH = "h = h_prev + i * f * tanh(W_g @ [h_prev, x] + b_g)"


@pytest.mark.parametrize("equations, why", [
    (["i = sigmoid(W_i @ [h_prev, x, i_prev, f_prev] + b_i)",
      "f = sigmoid(W_f @ [h_prev, x, i_prev, f_prev] + b_f)",
      "m = tanh(W_m @ [h_prev, x, i_prev, f_prev] + b_m) * f_prev",
      "h = h_prev + i * f * m"],
     "f_{t-1} is used outside the concatenation too, in the same equation"),
    (["i = sigmoid(W_i @ [h_prev, x, i_prev] + b_i)",
      "f = sigmoid(W_f @ [h_prev, x, i_prev, f_prev] + b_f)", _USES_BOTH],
     "i sees i_{t-1} alone, not the bundle [i, f]_{t-1}"),
    (["i = sigmoid(W_i @ [h_prev, x, i_prev, f_prev] + b_i)",
      "f = sigmoid(W_f @ [h_prev, x, i_prev, f_prev] + b_f)",
      "h = h_prev + i * tanh(W_g @ [h_prev, x] + b_g)"],
     "f feeds nothing within the step: its label would be drawn nowhere"),
], ids=["used-elsewhere", "partial", "unused"])
def test_carried_gates_are_bundled_only_where_the_bundle_is_what_is_drawn(
        equations, why) -> None:
    """Review findings: each case was drawn with a bundle terminal [i, f]_{t-1} that
    misstated the cell (an operation or a layer fed by states it does not read, or f_t
    shown nowhere).  Unbundled, every state has its own terminals."""
    cell = Cell.from_equations(equations, name="carried", states=("h", "i", "f"),
                               output="h")
    nodes = _nodes(cell_spec(cell))
    assert "i-f_prev" not in nodes, why
    assert {"i_prev", "f_prev", "i_next", "f_next"} <= set(nodes), why


def test_gates_carried_and_used_together_are_still_bundled() -> None:
    cell = Cell.from_equations(
        ["i = sigmoid(W_i @ [h_prev, x, i_prev, f_prev] + b_i)",
         "f = sigmoid(W_f @ [h_prev, x, i_prev, f_prev] + b_f)", _USES_BOTH],
        name="carried", states=("h", "i", "f"), output="h")
    assert "i-f_prev" in _nodes(cell_spec(cell))


def test_a_concatenation_holding_another_is_drawn_as_its_bus_and_the_rest() -> None:
    """a sees [h_prev, x, z], g sees [h_prev, x]: one bus [h_prev, x] feeds both, and z
    enters a beside it."""
    cell = Cell.from_equations(
        ["a = sigmoid(W_a @ [h_prev, x, z] + b_a)", "g = tanh(W_g @ [h_prev, x] + b_g)",
         "h = a * g + h_prev"], name="nested", inputs=("x", "z"), states=("h",), output="h")
    spec = cell_spec(cell)
    (concat,) = [n.id for n in spec.nodes if n.kind == "concat"]
    assert {("h_prev", concat), ("x", concat), (concat, "a"), (concat, "g"),
            ("z", "a")} <= _edges(spec)
    assert not any(w.target == concat and w.source == "z" for w in spec.wires)
