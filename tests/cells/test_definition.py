"""The definition format: parsing with ast (never evaluated), name resolution, checks with
located messages, and shape inference."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmfigs import cells
from lstmfigs.cells import Cell
from lstmfigs.cells.definition import Size
from lstmfigs.errors import DefinitionError, LstmfigsError, UnknownNameError


def shapes_of(cell: Cell) -> dict[str, list[str]]:
    return {name: [str(d) for d in p.shape] for name, p in cell.parameters.items()}


def define(*equations: str, states=("h",), output="h", **options) -> Cell:
    return Cell.from_equations(list(equations), name="test", states=list(states),
                               output=output, **options)


def test_builtin_lstm_matches_the_issue_format():
    cell = cells.builtin("lstm")
    assert cell.inputs == ("x",) and cell.states == ("c", "h") and cell.output == "h"
    assert cell.gates == ("f", "i", "o")
    assert cell.activation("g") == "tanh" and cell.activation("c") is None
    assert shapes_of(cell)["W_f"] == ["H", "H+I"] and shapes_of(cell)["b_f"] == ["H"]
    assert cell.symbols == {"g": r"\tilde{C}", "c": "C", "W_g": "W_C", "b_g": "b_C"}
    assert cell.dependencies("c") == ("f", "c_prev", "i", "g")
    assert "lstm" in cells.names()
    # TOML round trip through the generated source of a Python definition
    again = Cell.from_toml(define("h = tanh(W @ [h_prev, x] + b)").source)
    assert shapes_of(again) == {"W": ["H", "H+I"], "b": ["H"]}


def test_resolve_takes_names_paths_and_cells(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(cells.builtin("lstm").source.replace('name = "lstm"', 'name = "mine"'))
    assert cells.resolve(path).name == "mine"
    assert cells.resolve(str(path)).name == "mine"
    assert cells.resolve("lstm").name == "lstm"
    with pytest.raises(UnknownNameError, match="did you mean 'lstm'"):
        cells.resolve("lsmt")
    with pytest.raises(DefinitionError, match="does not exist"):
        cells.load(tmp_path / "missing.toml")


def test_order_follows_dependencies_not_the_users_order():
    cell = define("h = o * tanh(W @ [h_prev, x])", "o = sigmoid(U @ x)")
    assert [cell.equations[i].target for i in cell.order] == ["o", "h"]


def test_shape_inference_for_scalars_matrices_and_outer():
    cell = define("q = W_q @ x", "k = W_k @ x", "v = W_v @ x", "f = sigmoid(w_f @ x + b_f)",
                  "C = f * C_prev + outer(v, k)", "n = f * n_prev + k",
                  "h = (C @ q) / maximum(abs(n @ q), 1)", states=("C", "n", "h"),
                  shapes={"C": ["H", "H"]}, parameters={"w_f": ["I"], "b_f": [],
                                                        "W_q": ["H", "I"], "W_k": ["H", "I"],
                                                        "W_v": ["H", "I"]})
    assert [str(d) for d in cell.shapes["f"]] == []
    assert [str(d) for d in cell.shapes["C"]] == ["H", "H"]
    inferred = define("z = sigmoid(W_z @ x)", "u = W_h @ x", "h = (1 - z) * h_prev + z * u")
    assert shapes_of(inferred) == {"W_z": ["H", "I"], "W_h": ["H", "I"]}
    assert shapes_of(define("h = relu(W @ x + u * h_prev + b)")) == {
        "W": ["H", "I"], "u": ["H"], "b": ["H"]}


def test_declared_sizes_and_inits():
    cell = define("h = exp(A) * h_prev + outer(B @ x, v)", shapes={"h": ["H", "N"]}, sizes={"N": 4},
                  parameters={"A": {"shape": ["H", "N"], "init": "zeros"},
                              "B": ["H", "I"], "v": {"init": "ones"}}, inputs=("x",))
    assert cell.sizes == {"H": None, "I": None, "N": 4}
    assert cell.parameters["A"].init == "zeros"
    assert shapes_of(cell)["v"] == ["N"]
    assert Size.named("H").resolve({"H": 3}) == 3
    assert (Size.named("H") + Size.named("I")).resolve({"H": 3, "I": 2}) == 5


@pytest.mark.parametrize(("equations", "options", "message"), [
    (["h = tanh(W @ [h_prev, x] + b"], {}, r"equation 1 \(h = tanh.*column \d+: not an equation"),
    (["h = tanh(W @ [h_prev, x]) + foo(h_prev)"], {}, "column 29: unknown function 'foo'"),
    (["h = tanh(W @ [h_prv, x] + b)"], {}, "column 15: undefined name 'h_prv'.*'h_prev'"),
    (["h = tanh(W @ [h_prev, x]) + y_prev"], {}, "undefined name 'y_prev': 'y' is not a state"),
    (["h = tanh(W @ [h_prev, x])", "h = x"], {}, "equation 2.*'h' is defined twice"),
    (["a = tanh(W @ [h_prev, x] + b)"], {"output": "a"}, "state 'h' is never updated"),
    (["h = tanh(W @ h_prev + b)"], {}, "input 'x' is never used"),
    (["a = b2 * h", "h = tanh(W @ [a, x])"], {},
     r"equation 1 \(a = b2 \* h\), column 10: cycle within one step: a -> h -> a"),
    (["h = tanh(W @ x + W_l1 @ h_prev)"], {}, "column 18: parameter name 'W_l1' ends like a "
                                              "layer's copy"),
    (["h = tanh(W @ [h_prev, x]) + " + "9" * 400], {}, "column 29: constant 9+ is not a finite"),
    (["h = tanh(W @ [h_prev, x]) + 1e999"], {}, "column 29: constant inf is not a finite"),
    (["h = tanh(\u03a9 @ [h_prev, x]) + zz(1)"], {}, "column 10: '\u03a9' is not ASCII"),
    (["h = tanh(W @ [h_prev, x])" + " + x" * 60 + " + foo(x)"], {},
     r"equation 1 \(.{97}\.\.\.\), column 269: unknown function"),
    (["q = W_q @ x", "f = sigmoid(w_f @ x + b_f)", "h = f * (C_prev @ q)",
      "C = f * C_prev + outer(q, q)"], {"states": ("C", "h"), "shapes": {"C": ["H", "H"]}},
     "a vector \\(H\\) against a matrix \\(H, H\\); the left operand of @ is taken to be a "
     "matrix unless declared"),
    (["h = tanh(W @ [h_prev, x]) + x.T"], {}, "column 29: Attribute syntax is not allowed"),
    (["h = tanh(W @ [h_prev, x]) ** h_prev"], {}, "exponent of \\*\\* must be a constant"),
    (["h = tanh(W @ [h_prev, x] + b) + W2 @ [x, x]"],
     {"parameters": {"W": ["H", "H+I"], "b": ["H"], "W2": ["H", "H"]}},
     r"column 33: shape mismatch in @ \(inner sizes\): H against 2\*I"),
    (["h = tanh(W @ [h_prev, x]) + V @ x"], {"parameters": {"W": ["H", "H+I"]}},
     "undefined name 'V'.*declared parameter"),
    (["h = tanh(W @ [h_prev, x])"], {"parameters": {"W": ["H", "H+I"], "Z": ["H"]}},
     "parameter 'Z' is declared but never used"),
    (["h = __import__('os')"], {}, "unknown function '__import__'"),
    (["h = sigmoid(W @ [h_prev, x], 2)"], {}, r"sigmoid\(\) takes 1 argument, not 2"),
    (["h = tanh(W @ [h_prev, x]) * 'a'"], {}, "is not a number"),
    (["h = tanh(W @ [h_prev, x]) + sigmoid"], {}, "'sigmoid' is a function"),
    (["h = h_prev * (U @ x)"], {"shapes": {"x": ["H", "H"]}}, "shape mismatch in '\\*'"),
    (["h = tanh(W @ [h_prev, x])"], {"output": "y"}, "output 'y' is not defined"),
    (["h = " + "(" * 45 + "x" + ")" * 45], {}, "more than 40 brackets"),
    (["h = x; import os"], {}, "'name = expression'"),
    (["h = lambda: 0"], {}, "Lambda syntax is not allowed"),
])
def test_errors_name_the_equation_and_column(equations, options, message):
    options = {"states": ("h",), "output": "h", **options}
    with pytest.raises(DefinitionError, match=message) as caught:
        Cell.from_equations(equations, name="bad", **options)
    assert isinstance(caught.value, LstmfigsError)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("text", "message"), [
    ('name="x"\nstates=["h"]\noutput="h"\nequations=["h = tanh(W @ [h_prev, x])"]\nfoo=1',
     "unknown key 'foo'"),
    ("name = [", "invalid TOML"),
    ('name="x"\nstates=["h"]\noutput="h"\nequations=["h = tanh(W @ [h_prev, x])"]\n'
     '[symbols]\nhh="a"', "symbols: 'hh' is not a name of this cell .did you mean 'h'"),
    ('name="x"\nstates=["h"]\noutput="h"\nequations=["h = tanh(W @ [h_prev, x])"]\n'
     '[steps]\nfirst=["q"]', "steps.first: 'q' is not a quantity"),
    ('name="x"\nstates="h"\noutput="h"\nequations=["h = x"]', "'states' is a list of names"),
    ('name="x"\noutput="h"\nequations=["h = x"]', "missing 'states'"),
    ("a = " + "[" * 50 + "]" * 50, "nested more than 8 deep"),
    ('name="x"\nstates=["h"]\noutput="h"\nequations=["h = W @ x"]\n[parameters]\n'
     'W = ["H", "J"]', "unknown size 'J'"),
    ('name="x"\nstates=["h"]\noutput="h"\nequations=["h = W @ x"]\n[parameters]\n'
     'W = {shape = ["H", "I"], init = "glorot"}', "'glorot' is not one of"),
])
def test_toml_errors(text, message):
    with pytest.raises(DefinitionError, match=message):
        Cell.from_toml(text, origin="mine.toml")


def test_nothing_is_evaluated(tmp_path):
    marker = tmp_path / "marker"
    hostile = f"h = open({str(marker)!r}, 'w')"
    with pytest.raises(DefinitionError):
        define(hostile)
    assert not marker.exists()


def test_huge_definitions_are_refused_quickly():
    with pytest.raises(DefinitionError, match="larger than"):
        Cell.from_toml("#" * 300_000)
    with pytest.raises(DefinitionError, match="more than 200 equations"):
        define(*[f"a{k} = x" for k in range(201)], "h = x")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="hxWbcf_prev()[]+-*/@,.0123456789 =sigmodtanhlu'\"{}:;\\", max_size=60))
def test_any_equation_text_is_a_cell_or_one_clear_error(text):
    try:
        define(text if text.startswith("h") else f"h = {text}")
    except DefinitionError as error:
        assert "\n" not in str(error)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_toml_text_is_a_cell_or_one_clear_error(text):
    with contextlib.suppress(DefinitionError):
        Cell.from_toml(text)


def test_gates_are_the_quantities_provably_in_the_unit_interval():
    assert cells.builtin("lstm-cifg").gates == ("f", "i", "o")     # f = 1 - i
    assert cells.builtin("gru").gates == ("r", "z")
    assert cells.builtin("rnn").gates == ()
    cell = define("a = exp(W @ x)", "s = sigmoid(U @ x)", "p = s * (1 - s)",
                  "h = minimum(a, 1) * h_prev + p * tanh(V @ x)")
    assert cell.gates == ("s", "p")
    assert cell.value_range("a") == (0.0, float("inf"))
    assert cell.value_range("h") == (float("-inf"), float("inf"))  # through h_prev
    assert cells.builtin("lstm").value_range("h") == (-1.0, 1.0)


def test_symbols_must_be_printable_and_valid_mathtext():
    from lstmfigs.cells.equations import check_typesetting

    with pytest.raises(DefinitionError, match="symbols.h: a non-empty mathtext string"):
        define("h = tanh(W @ [h_prev, x])", symbols={"h": "a\u0007b"})
    cell = define("h = tanh(W @ [h_prev, x])", symbols={"h": "\\frac{"})
    with pytest.raises(DefinitionError, match=r"symbols.h: .* is not valid mathtext"):
        check_typesetting(cell)
    check_typesetting(cells.builtin("lstm"))
