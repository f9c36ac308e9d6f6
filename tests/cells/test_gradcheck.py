"""Any well-formed definition passes finite-difference gradient checks (issue 11 §2).

Hypothesis writes random definitions: one to three states (``h`` always, the output; maybe
a second vector state and a matrix-valued state updated with ``outer``), up to three
intermediate quantities, and expressions built from every function of the syntax, the
operators ``+ - * / @ **``, unary minus, numbers, concatenations and ``NAME_prev``.  Each
is checked by the definitions' own checker (a generated definition that it refuses is a
bug in this generator, so the test fails), run for one or two layers in float64, and its
BPTT gradient along random directions in every parameter, the input and every initial
state must match central differences of the forward pass.

Functions with kinks (relu, abs, maximum, minimum, hard_sigmoid) are included: a central
difference straddling a kink would be wrong, so the examples are derandomized (the same
every run) rather than left to chance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmfigs import cells

#: Smooth wrappers of an expression E: each keeps values bounded so that a few steps of
#: recurrence cannot overflow.
UNARY = (
    "sigmoid({})", "tanh({})", "softplus(tanh({}))", "silu(tanh({}))", "exp(tanh({}))",
    "log(1 + sigmoid({}))", "sqrt(1 + tanh({}) ** 2)", "tanh({}) ** 3", "-tanh({})",
    "relu(tanh({}))", "abs(tanh({}))", "hard_sigmoid(2 * {})", "tanh({}) / 2",
)
BINARY = (
    "{} + {}", "{} - {}", "tanh({}) * tanh({})", "maximum(tanh({}), tanh({}))",
    "minimum(tanh({}), tanh({}))", "tanh({}) / (2 + tanh({}))",
)


class _Writer:
    """Fresh parameter names for one definition."""

    def __init__(self) -> None:
        self.count = 0

    def fresh(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"


@st.composite
def _expression(draw: Any, writer: _Writer, vectors: list[str], matrices: list[str],
                depth: int) -> str:
    """A vector-valued (H,) expression over the names in ``vectors`` and ``matrices``."""
    leaves = ["proj_concat", "proj_x", "name"] + (["matrix"] if matrices else [])
    kinds = leaves + (["unary", "binary", "bias", "scale"] if depth > 0 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "proj_concat":
        return f"{writer.fresh('W')} @ [h_prev, x]"
    if kind == "proj_x":
        return f"{writer.fresh('U')} @ x"
    if kind == "name":
        return draw(st.sampled_from(vectors))
    if kind == "matrix":
        return f"{draw(st.sampled_from(matrices))} @ {draw(st.sampled_from(vectors))}"
    inner = draw(_expression(writer, vectors, matrices, depth - 1))
    if kind == "unary":
        return "(" + draw(st.sampled_from(UNARY)).format(inner) + ")"
    if kind == "bias":
        return f"({inner} + {writer.fresh('b')})"
    if kind == "scale":
        return f"({draw(st.sampled_from(['0.5', '2', '1.5']))} * {inner})"
    other = draw(_expression(writer, vectors, matrices, depth - 1))
    return "(" + draw(st.sampled_from(BINARY)).format(inner, other) + ")"


@st.composite
def definitions(draw: Any) -> tuple[str, list[str], list[str], dict[str, list[str]]]:
    """(name, states, equations, shapes) of a random well-formed cell."""
    writer = _Writer()
    states = ["h"] + (["s"] if draw(st.booleans()) else [])
    matrix_state = draw(st.booleans())
    vectors = [f"{state}_prev" for state in states] + ["x_proj"]
    equations = [f"x_proj = tanh({writer.fresh('U')} @ x)"]
    matrices = ["M_prev"] if matrix_state else []
    # An intermediate that nothing reads has no size to infer: declare them all (H,).
    shapes: dict[str, list[str]] = {"x_proj": ["H"]}
    for index in range(draw(st.integers(0, 3))):
        name = f"q{index}"
        equations.append(f"{name} = {draw(_expression(writer, vectors, matrices, 2))}")
        vectors.append(name)
        shapes[name] = ["H"]
    if matrix_state:
        left = draw(_expression(writer, vectors, matrices, 1))
        right = draw(_expression(writer, vectors, matrices, 1))
        equations.append(f"M = 0.5 * M_prev + outer(tanh({left}), tanh({right}))")
        shapes["M"] = ["H", "H"]
        matrices.append("M")
    for state in reversed(states):  # s first, so that h may read the new s
        update = draw(_expression(writer, vectors, matrices, 2))
        if draw(st.booleans()):
            gate = draw(_expression(writer, vectors, matrices, 1))
            equations.append(f"{state} = sigmoid({gate}) * {state}_prev + "
                             f"(1 - sigmoid({gate})) * tanh({update})")
        else:
            equations.append(f"{state} = tanh({update})")
        vectors.append(state)
    return "random", states + (["M"] if matrix_state else []), equations, shapes


#: A point where a loss is evaluated: parameters, inputs, initial states.
Point = tuple[dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]


def along_random_direction(grads: Any, point: Point, loss_at: Callable[[Point], float],
                           rng: np.random.Generator, eps: float) -> tuple[float, float]:
    """The derivative of a loss along a random direction through ``point``, (from the
    gradients ``grads`` (``.params``, ``.x``, ``.initial``), by central differences)."""
    params, x, initial = point
    dp = {key: rng.standard_normal(value.shape) for key, value in params.items()}
    dx = rng.standard_normal(x.shape)
    ds = {key: rng.standard_normal(value.shape) for key, value in initial.items()}
    analytic = sum(float(np.sum(grads.params[key] * dp[key])) for key in params)
    analytic += float(np.sum(grads.x * dx))
    analytic += sum(float(np.sum(grads.initial[key] * ds[key])) for key in initial)
    moved = [loss_at(({key: value + sign * eps * dp[key] for key, value in params.items()},
                      x + sign * eps * dx,
                      {key: value + sign * eps * ds[key] for key, value in initial.items()}))
             for sign in (1.0, -1.0)]
    return analytic, (moved[0] - moved[1]) / (2 * eps)


def _loss(model: Any, x: np.ndarray, initial: dict[str, np.ndarray], dh: np.ndarray,
          d_final: dict[str, np.ndarray]) -> float:
    trace = model.forward(x, initial=initial)
    total = float(np.sum(trace.output * dh))
    return total + sum(float(np.sum(trace.final[key] * value)) for key, value in d_final.items())


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(definition=definitions(), layers=st.integers(1, 2), steps=st.integers(1, 4),
       inputs=st.integers(1, 3), hidden=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_random_definitions_pass_finite_differences(
        definition: tuple[str, list[str], list[str], dict[str, list[str]]], layers: int,
        steps: int, inputs: int, hidden: int, seed: int) -> None:
    name, states, equations, shapes = definition
    cell = cells.Cell.from_equations(equations, name=name, states=states, output="h",
                                     shapes=shapes)
    model = cell.model(inputs, hidden, num_layers=layers, seed=seed, dtype="float64")
    rng = np.random.default_rng(seed)
    batch = 2
    x = rng.standard_normal((steps, batch, inputs))
    initial = {state: 0.5 * rng.standard_normal((layers, batch) + tuple(
        hidden for _ in cell.shapes[state])) for state in cell.states}
    dh = rng.standard_normal((steps, batch, hidden))
    d_final = {state: rng.standard_normal(value.shape) for state, value in initial.items()}
    params = {key: value.copy() for key, value in model.params.items()}
    grads = model.backward(model.forward(x, initial=initial), dh, d_final=d_final)

    def loss_at(point: Point) -> float:
        model.load_params(point[0])
        return _loss(model, point[1], point[2], dh, d_final)

    analytic, numeric = along_random_direction(grads, (params, x, initial), loss_at, rng, 1e-6)
    assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-8), "\n".join(equations)


def test_the_generator_covers_the_syntax() -> None:
    """Every function of the syntax appears in the generator (a new function must be
    added to the gradient check)."""
    from lstmfigs.cells.syntax import FUNCTIONS

    used = " ".join(UNARY + BINARY) + " outer("
    assert all(f"{function}(" in used for function in FUNCTIONS)
