"""The peephole LSTM and Greff et al.'s eight variants equal their published equations.

The reference below is written from Greff, Srivastava, Koutník, Steunebrink & Schmidhuber
(2017), "LSTM: A Search Space Odyssey", Section II, in the paper's own notation, with
separate input and recurrent matrices::

    z = g(W_z x + R_z y_prev + b_z)                          block input (the definitions' g)
    i = sigma(W_i x + R_i y_prev + p_i * c_prev + b_i)       input gate
    f = sigma(W_f x + R_f y_prev + p_f * c_prev + b_f)       forget gate
    c = z * i + c_prev * f                                   cell
    o = sigma(W_o x + R_o y_prev + p_o * c + b_o)            output gate (peephole from c_t)
    y = h(c) * o                                             block output; g = h = tanh

and the variants: NIG i = 1, NFG f = 1, NOG o = 1, NIAF g(x) = x, NOAF h(x) = x, NP no
peepholes, CIFG f = 1 - i, FGR every gate q in (i, f, o) also adds
R_iq i_prev + R_fq f_prev + R_oq o_prev.  A definition's ``W_q @ [h_prev, x]`` holds
[R_q, W_q] side by side (FGR: [R_q, W_q, R_iq, R_fq, R_oq] acting on
u = [h_prev, x, i_prev, f_prev, o_prev]); ``w_cq`` is p_q.

The definitions' forward passes (every named quantity, the output and final states) must
equal the reference to 1e-12, and their BPTT gradients must match central differences of
the reference's loss along random directions in every parameter, the inputs and every
initial state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from lstmfigs import cells

from .test_gradcheck import along_random_direction


@dataclass(frozen=True)
class Variant:
    input_gate: bool = True
    forget_gate: bool = True
    output_gate: bool = True
    input_activation: bool = True
    output_activation: bool = True
    peepholes: bool = True
    coupled: bool = False
    gate_recurrence: bool = False


VARIANTS = {
    "lstm-peephole": Variant(),
    "lstm-nig": Variant(input_gate=False),
    "lstm-nfg": Variant(forget_gate=False),
    "lstm-nog": Variant(output_gate=False),
    "lstm-niaf": Variant(input_activation=False),
    "lstm-noaf": Variant(output_activation=False),
    "lstm-np": Variant(peepholes=False),
    "lstm-cifg": Variant(coupled=True),
    "lstm-fgr": Variant(gate_recurrence=True),
}
GATES = ("i", "f", "o")
STEPS, BATCH, INPUTS, HIDDEN = 6, 3, 4, 5


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def greff_parameters(variant: Variant, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A definition's parameters in the paper's notation (W_q, R_q, p_q, b_q, R_kq)."""
    hidden = HIDDEN
    paper: dict[str, np.ndarray] = {}
    for ours, theirs in (("g", "z"), ("i", "i"), ("f", "f"), ("o", "o")):
        if f"W_{ours}" not in params:
            continue
        matrix = params[f"W_{ours}"]
        paper[f"R_{theirs}"] = matrix[:, :hidden]
        paper[f"W_{theirs}"] = matrix[:, hidden:hidden + INPUTS]
        paper[f"b_{theirs}"] = params[f"b_{ours}"]
        if ours != "g" and variant.gate_recurrence:
            for k, source in enumerate(GATES):
                start = hidden + INPUTS + k * hidden
                paper[f"R_{source}{theirs}"] = matrix[:, start:start + hidden]
        if f"w_c{ours}" in params:
            paper[f"p_{theirs}"] = params[f"w_c{ours}"]
    return paper


def greff_forward(variant: Variant, params: dict[str, np.ndarray], x: np.ndarray,
                  initial: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every quantity at every step, (T, B, H), by the paper's equations (one layer)."""
    paper = greff_parameters(variant, params)
    y, c = initial["h"][0], initial["c"][0]
    previous = {gate: initial[gate][0] for gate in GATES if gate in initial}
    record: dict[str, list[np.ndarray]] = {}

    def pre(gate: str, x_t: np.ndarray, peep: np.ndarray | None) -> np.ndarray:
        a = x_t @ paper[f"W_{gate}"].T + y @ paper[f"R_{gate}"].T + paper[f"b_{gate}"]
        if variant.peepholes and peep is not None:
            a = a + paper[f"p_{gate}"] * peep
        if variant.gate_recurrence and gate != "z":
            for source in GATES:
                a = a + previous[source] @ paper[f"R_{source}{gate}"].T
        return a

    for x_t in x:
        z = pre("z", x_t, None)
        z = np.tanh(z) if variant.input_activation else z
        i = sigmoid(pre("i", x_t, c)) if variant.input_gate else None
        if variant.coupled:
            assert i is not None
            f = 1.0 - i
        else:
            f = sigmoid(pre("f", x_t, c)) if variant.forget_gate else None
        c_new = z * (1.0 if i is None else i) + c * (1.0 if f is None else f)
        o = sigmoid(pre("o", x_t, c_new)) if variant.output_gate else None
        y = (np.tanh(c_new) if variant.output_activation else c_new) * (1.0 if o is None else o)
        c = c_new
        step = {"g": z, "c": c, "h": y, "i": i, "f": f, "o": o}
        for name, value in step.items():
            if value is not None:
                record.setdefault(name, []).append(value)
        if variant.gate_recurrence:
            assert i is not None and f is not None and o is not None
            previous = {"i": i, "f": f, "o": o}
    return {name: np.stack(values) for name, values in record.items()}


def loss(variant: Variant, params: dict[str, np.ndarray], x: np.ndarray,
         initial: dict[str, np.ndarray], dh: np.ndarray,
         d_final: dict[str, np.ndarray]) -> float:
    """sum(h * dh) + sum over states of sum(final * d_final), by the reference."""
    values = greff_forward(variant, params, x, initial)
    total = float(np.sum(values["h"] * dh))
    for state, seed in d_final.items():
        total += float(np.sum(values[state][-1] * seed[0]))
    return total


def _problem(name: str, seed: int) -> tuple[Any, dict[str, Any]]:
    cell = cells.builtin(name)
    model = cell.model(INPUTS, HIDDEN, seed=seed, dtype="float64")
    rng = np.random.default_rng(seed)
    # Wider than the default init: gates and tanh away from their linear middle.
    params = {key: 1.5 * rng.standard_normal(value.shape) / np.sqrt(HIDDEN)
              for key, value in model.params.items()}
    model.load_params(params)
    x = rng.standard_normal((STEPS, BATCH, INPUTS))
    initial = {state: rng.uniform(0.05, 0.95, (1, BATCH, HIDDEN)) for state in cell.states}
    dh = rng.standard_normal((STEPS, BATCH, HIDDEN))
    d_final = {state: rng.standard_normal((1, BATCH, HIDDEN)) for state in cell.states}
    return model, {"params": params, "x": x, "initial": initial, "dh": dh,
                   "d_final": d_final, "cell": cell}


def test_every_greff_variant_is_a_builtin() -> None:
    assert set(VARIANTS) <= set(cells.names())
    for name in VARIANTS:
        cell = cells.builtin(name)
        assert "Greff et al." in cell.title and "Search Space Odyssey" in cell.title
        assert cell.symbols["c"] == "C" and cell.symbols["g"] == r"\tilde{C}"
    assert cells.builtin("lstm-fgr").states == ("c", "h", "i", "f", "o")


@pytest.mark.parametrize("name", list(VARIANTS))
@pytest.mark.parametrize("seed", [0, 1])
def test_forward_equals_published_equations(name: str, seed: int) -> None:
    model, problem = _problem(name, seed)
    variant = VARIANTS[name]
    expected = greff_forward(variant, problem["params"], problem["x"], problem["initial"])
    trace = model.forward(problem["x"], initial=problem["initial"])
    for quantity, values in expected.items():
        np.testing.assert_allclose(trace[quantity], values, rtol=0, atol=1e-12,
                                   err_msg=f"{name}: {quantity}")
    np.testing.assert_allclose(trace.output, expected["h"], rtol=0, atol=1e-12)
    for state in problem["cell"].states:
        np.testing.assert_allclose(trace.final[state][0], expected[state][-1], rtol=0,
                                   atol=1e-12)
    # What the variant removes is gone from the definition, not computed and ignored.
    gone = {"i": not variant.input_gate, "f": not variant.forget_gate,
            "o": not variant.output_gate}
    assert {q for q, missing in gone.items() if missing}.isdisjoint(problem["cell"].quantities)
    assert variant.peepholes == any(p.startswith("w_c") for p in problem["cell"].parameters)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_gradients_match_the_published_equations(name: str) -> None:
    model, problem = _problem(name, 3)
    variant = VARIANTS[name]
    x, initial, params = problem["x"], problem["initial"], problem["params"]
    dh, d_final = problem["dh"], problem["d_final"]
    trace = model.forward(x, initial=initial)
    grads = model.backward(trace, dh, d_final=d_final)
    rng = np.random.default_rng(7)
    for _ in range(3):
        analytic, numeric = along_random_direction(
            grads, (params, x, initial),
            lambda point: loss(variant, *point, dh, d_final), rng, 1e-5)
        assert analytic == pytest.approx(numeric, rel=1e-7, abs=1e-9), name
