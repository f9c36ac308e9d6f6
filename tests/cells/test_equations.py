"""The equations panel generated from a definition (issue 11 §4)."""

from __future__ import annotations

import pytest

from lstmfigs import cells
from lstmfigs.cells.equations import equation_lines, equation_text, panel, symbol, typeset
from lstmfigs.diagram.spec import check_mathtext

#: The LSTM as the diagrams draw it: Olah's symbols (C, tilde C, W_C) and the classic steps.
LSTM = r"""
name = "lstm-olah"
states = ["c", "h"]
output = "h"
equations = [
  "f = sigmoid(W_f @ [h_prev, x] + b_f)",
  "i = sigmoid(W_i @ [h_prev, x] + b_i)",
  "g = tanh(W_g @ [h_prev, x] + b_g)",
  "c = f * c_prev + i * g",
  "o = sigmoid(W_o @ [h_prev, x] + b_o)",
  "h = o * tanh(c)",
]
[symbols]
c = 'C'
g = '\tilde{C}'
W_g = 'W_C'
b_g = 'b_C'
[steps]
forget = ["f"]
input = ["i", "g"]
update = ["c"]
output = ["o", "h"]
"""

#: lstm-cell's panel as it was written by hand before it was generated.
HAND_WRITTEN_LSTM_PANEL = (
    (r"$f_t = \sigma(W_f\,[h_{t-1}, x_t] + b_f)$", ("forget",)),
    (r"$i_t = \sigma(W_i\,[h_{t-1}, x_t] + b_i)$", ("input",)),
    (r"$\tilde{C}_t = \tanh(W_C\,[h_{t-1}, x_t] + b_C)$", ("input",)),
    (r"$C_t = f_t \odot C_{t-1} + i_t \odot \tilde{C}_t$", ("update",)),
    (r"$o_t = \sigma(W_o\,[h_{t-1}, x_t] + b_o)$", ("output",)),
    (r"$h_t = o_t \odot \tanh(C_t)$", ("output",)),
)


def _cell(*equations: str, states=("h",), **options) -> cells.Cell:
    return cells.Cell.from_equations(list(equations), name="test", states=states,
                                     output=states[-1], **options)


def test_the_lstm_panel_is_the_hand_written_one():
    assert panel(cells.Cell.from_toml(LSTM)) == HAND_WRITTEN_LSTM_PANEL


def test_time_indices_and_symbols():
    cell = cells.Cell.from_toml(LSTM)
    assert symbol(cell, "x") == "x_t"
    assert symbol(cell, "c") == "C_t"
    assert symbol(cell, "c_prev") == "C_{t-1}"
    assert symbol(cell, "g") == r"\tilde{C}_t"
    assert symbol(cell, "W_f") == "W_f"          # parameters have no time
    assert symbol(cell, "W_g") == "W_C"          # [symbols] for a parameter


@pytest.mark.parametrize("equation,expected", [
    ("h = tanh(W_hh @ h_prev + W_xh @ x + b)", r"\tanh(W_{hh}\,h_{t-1} + W_{xh}\,x_t + b)"),
    ("h = (1 - z) * n + z * h_prev", r"(1 - z_t) \odot n_t + z_t \odot h_{t-1}"),
    ("h = z - (n + h_prev)", r"z_t - (n_t + h_{t-1})"),
    ("h = z * (n * h_prev)", r"z_t \odot n_t \odot h_{t-1}"),
    ("h = -(z + n)", "-(z_t + n_t)"),
    ("h = (z + n) ** 2", "(z_t + n_t)^{2}"),
    ("h = 0.5 * n", r"0.5\,n_t"),
    ("h = n / sqrt(abs(z) + 1e-06)", r"n_t / \sqrt{|z_t| + 1 \times 10^{-6}}"),
    ("h = maximum(z, relu(n))", r"\max(z_t, \mathrm{ReLU}(n_t))"),
    ("h = hard_sigmoid(n) * silu(z) + softplus(h_prev) + exp(log(n))",
     r"\sigma_{\mathrm{hard}}(n_t) \odot \mathrm{SiLU}(z_t) + \mathrm{softplus}(h_{t-1})"
     r" + \exp(\log(n_t))"),
])
def test_typesetting(equation, expected):
    cell = _cell("z = sigmoid(W_z @ [h_prev, x])", "n = tanh(W_n @ [h_prev, x])", equation,
                 parameters={"b": ["H"], "W_z": ["H", "H+I"], "W_n": ["H", "H+I"],
                             "W_hh": ["H", "H"], "W_xh": ["H", "I"]}
                 if "W_hh" in equation else None, shapes={"z": ["H"], "n": ["H"]})
    assert typeset(cell, cell.equation("h").expr) == expected
    check_mathtext(f"${expected}$", "test")  # mathtext parses it


def test_default_symbols_of_names():
    cell = _cell("alpha = sigmoid(W_alpha @ x)", "gate = tanh(w_cf * h_prev)",
                 "h = alpha * gate + h_prev", symbols={"h": "y"})
    assert equation_text(cell, "alpha") == r"$\alpha_t = \sigma(W_{alpha}\,x_t)$"
    assert equation_text(cell, "gate") == r"$\mathrm{gate}_t = \tanh(w_{cf} \odot y_{t-1})$"
    assert equation_text(cell, "h") == r"$y_t = \alpha_t \odot \mathrm{gate}_t + y_{t-1}$"


def test_a_subscripted_symbol_takes_the_time_in_its_subscript():
    cell = _cell("h = tanh(W @ [h_prev, x])", symbols={"h": "h_{1}", "x": "x_0"})
    assert equation_lines(cell) == (r"$h_{1,t} = \tanh(W\,[h_{1,t-1}, x_{0,t}])$",)


def test_matrix_states_and_outer():
    cell = cells.Cell.from_toml("""
name = "mlstm-core"
inputs = ["q", "k", "v"]
states = ["C", "h"]
output = "h"
equations = ["f = sigmoid(w_f @ q)", "i = exp(w_i @ q)",
             "C = f * C_prev + i * outer(v, k)", "h = C @ q"]
[shapes]
C = ["I", "I"]
h = ["I"]
[parameters]
w_f = ["I"]
w_i = ["I"]
""")
    assert equation_text(cell, "C") == r"$C_t = f_t \odot C_{t-1} + i_t \odot v_t\,k_t^{\top}$"
    assert equation_text(cell, "h") == r"$h_t = C_t\,q_t$"
    for line in equation_lines(cell):
        check_mathtext(line, "test")


@pytest.mark.parametrize("name", cells.names())
def test_every_builtin_panel_is_mathtext(name):
    for line in equation_lines(cells.builtin(name)):
        check_mathtext(line, name)


# -- a diagram spec that names its cell gets its panel and steps from it ----------------------

def _spec(**fields):
    from lstmfigs.diagram.spec import DiagramSpec

    return DiagramSpec.from_dict({"name": "mine", "nodes": [
        {"id": "x_in", "kind": "terminal", "at": [0, 0], "label": "$x_t$"}], **fields})


def test_a_spec_naming_a_cell_gets_its_panel_and_steps():
    from lstmfigs.cells.steps import step_names

    spec = _spec(cell="lstm")
    lstm = cells.builtin("lstm")
    assert [(e.text, e.steps) for e in spec.equations] == list(panel(lstm))
    assert spec.steps == step_names(lstm)
    assert type(spec).from_dict(spec.to_dict()) == spec  # printed, it reads back the same


def test_a_spec_keeps_its_own_panel_and_steps():
    spec = _spec(cell="lstm", steps=[], equations=[{"text": "$h_t = f(h_{t-1})$"}])
    assert spec.steps == () and [e.text for e in spec.equations] == ["$h_t = f(h_{t-1})$"]
    assert type(spec).from_dict(spec.to_dict()) == spec


def test_an_unknown_cell_is_a_spec_error():
    from lstmfigs.errors import SpecError

    with pytest.raises(SpecError, match=r"cell: unknown cell 'lstn' \(did you mean 'lstm'\?\)"):
        _spec(cell="lstn")


def test_the_panel_follows_the_steps():
    # The LSTM lists o before c; the panel reads in the order of the build.
    text = LSTM.replace('  "c = f * c_prev + i * g",\n', "").replace(
        '  "h = o * tanh(c)",', '  "c = f * c_prev + i * g",\n  "h = o * tanh(c)",')
    cell = cells.Cell.from_toml(text)
    assert [q.target for q in cell.equations] == ["f", "i", "g", "o", "c", "h"]
    assert panel(cell) == HAND_WRITTEN_LSTM_PANEL
    # Without steps, the definition's order; a line no step lights keeps its neighbour.
    rnn = _cell("a = tanh(W_a @ [h_prev, x])", "h = a * h_prev")
    assert [line for line, _ in panel(rnn)] == list(equation_lines(rnn))
    late = _cell("z = sigmoid(W_z @ [h_prev, x])", "n = tanh(W_n @ [h_prev, x])",
                 "m = n * n", "h = z * m + h_prev", steps={"first": ["h"], "second": ["z"]})
    assert [line.split(" =")[0] for line, _ in panel(late)] == ["$n_t", "$m_t", "$h_t", "$z_t"]
