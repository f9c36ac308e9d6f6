"""Highlight steps derived from a definition (issue 11 §5)."""

from __future__ import annotations

from lstmfigs import cells
from lstmfigs.cells.steps import default_steps, derive_steps, equation_steps, step_names
from tests.cells.test_equations import LSTM

BARE_LSTM = [
    "f = sigmoid(W_f @ [h_prev, x] + b_f)",
    "i = sigmoid(W_i @ [h_prev, x] + b_i)",
    "g = tanh(W_g @ [h_prev, x] + b_g)",
    "o = sigmoid(W_o @ [h_prev, x] + b_o)",
    "c = f * c_prev + i * g",
    "h = o * tanh(c)",
]


def _bare_lstm(**options) -> cells.Cell:
    return cells.Cell.from_equations(BARE_LSTM, name="lstm", states=("c", "h"), output="h",
                                     **options)


def test_one_step_per_gate_and_state_update_by_default():
    cell = _bare_lstm()
    assert default_steps(cell) == {"f": ("f",), "i": ("i",), "o": ("o",), "c": ("c",),
                                   "h": ("h",)}
    steps = {step.name: step for step in derive_steps(cell)}
    # A gate: its layer from the inputs and the previous hidden state.
    assert steps["f"].lit == ("f", "h_prev", "x")
    assert set(steps["f"].edges) == {("h_prev", "f"), ("x", "f")}
    # c: the candidate g (no step of its own) is produced here; f and i, explained by
    # earlier steps, enter as operands.
    assert set(steps["c"].lit) == {"c", "f", "i", "g", "c_prev", "h_prev", "x"}
    assert ("h_prev", "f") not in steps["c"].edges and ("x", "g") in steps["c"].edges
    assert set(steps["h"].edges) == {("o", "h"), ("c", "h")}
    assert all(not cell.is_parameter(name) for step in steps.values() for name in step.lit)


def test_the_lstm_classic_steps_come_out_as_today():
    cell = cells.Cell.from_toml(LSTM)
    assert step_names(cell) == ("forget", "input", "update", "output")
    assert equation_steps(cell) == {"f": ("forget",), "i": ("input",), "g": ("input",),
                                    "c": ("update",), "o": ("output",), "h": ("output",)}
    steps = {step.name: step for step in derive_steps(cell)}
    assert steps["forget"].lit == ("f", "h_prev", "x")
    assert set(steps["input"].lit) == {"i", "g", "h_prev", "x"}
    # update: the cell state from its operands, the gates' layers are not lit again.
    assert set(steps["update"].lit) == {"c", "f", "c_prev", "i", "g"}
    assert set(steps["update"].edges) == {("f", "c"), ("c_prev", "c"), ("i", "c"), ("g", "c")}
    assert set(steps["output"].lit) == {"o", "h", "h_prev", "x", "c"}


def test_steps_override_the_defaults():
    cell = _bare_lstm(steps={"gates": ["f", "i", "o"], "state": ["c", "h"]})
    assert step_names(cell) == ("gates", "state")
    # g is on the path to c and no step explains it: "state" produces it.
    assert equation_steps(cell)["g"] == ("state",)
    assert equation_steps(_bare_lstm(steps={"a": ["f"], "b": ["f", "c"]}))["f"] == ("a", "b")


def test_an_equation_is_lit_in_the_step_that_explains_it():
    # CIFG: f = 1 - i.  The forget step computes i on its way (no earlier step did), but
    # i's equation is the input step's.
    cifg = cells.Cell.from_equations(
        ["f = 1 - i", "i = sigmoid(W_i @ [h_prev, x] + b_i)",
         "g = tanh(W_g @ [h_prev, x] + b_g)", "c = f * c_prev + i * g",
         "o = sigmoid(W_o @ [h_prev, x] + b_o)", "h = o * tanh(c)"],
        name="cifg", states=("c", "h"), output="h",
        steps={"forget": ["f"], "input": ["i", "g"], "update": ["c"], "output": ["o", "h"]})
    forget = derive_steps(cifg)[0]
    assert forget.produced == ("f", "i") and "i" in forget.lit
    assert equation_steps(cifg)["i"] == ("input",)


def test_a_cell_with_one_possible_step_has_none():
    rnn = cells.Cell.from_equations(["h = tanh(W @ [h_prev, x] + b)"], name="rnn",
                                    states=("h",), output="h")
    assert default_steps(rnn) == {} and derive_steps(rnn) == ()
    assert equation_steps(rnn) == {"h": ()}


def test_a_quantity_no_step_names_is_lit_where_it_is_produced():
    # FGR's u = [h_prev, x, gates at t-1] feeds every gate: each gate's step produces it.
    cell = cells.Cell.from_equations(
        ["u = [h_prev, x, f_prev, o_prev]", "f = sigmoid(W_f @ u + b_f)",
         "g = tanh(W_g @ [h_prev, x])", "c = f * c_prev + g",
         "o = sigmoid(W_o @ u + b_o)", "h = o * tanh(c)"],
        name="fgr", states=("c", "h", "f", "o"), output="h",
        steps={"forget": ["f"], "input": ["g"], "update": ["c"], "output": ["o", "h"]})
    assert equation_steps(cell) == {"u": ("forget", "output"), "f": ("forget",),
                                    "g": ("input",), "c": ("update",),
                                    "o": ("output",), "h": ("output",)}
    # A gate that is also a state is one step, not two.
    assert step_names(cells.Cell.from_equations(
        ["f = sigmoid(W_f @ [h_prev, x, f_prev])", "h = f * h_prev"], name="g2",
        states=("h", "f"), output="h")) == ("f", "h")
