"""The generic simulator (lstmfigs.cells.simulate): exact gradients by finite differences
on several definitions (vector, scalar and matrix-valued states and gates, every function),
agreement with the hand-written sim.LSTM, dtypes, initialisations, Jacobian norms and
errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmfigs import cells
from lstmfigs.cells import Cell
from lstmfigs.errors import LstmfigsError
from lstmfigs.sim import LSTM

from .test_gradcheck import definitions

RNN = Cell.from_equations(["h = tanh(W @ [h_prev, x] + b)"], name="rnn", states=["h"],
                          output="h")

GRU = Cell.from_equations([
    "r = sigmoid(W_ir @ x + b_ir + W_hr @ h_prev + b_hr)",
    "z = sigmoid(W_iz @ x + b_iz + W_hz @ h_prev + b_hz)",
    "n = tanh(W_in @ x + b_in + r * (W_hn @ h_prev + b_hn))",
    "h = (1 - z) * n + z * h_prev",
], name="gru", states=["h"], output="h")

PEEPHOLE = Cell.from_equations([
    "i = sigmoid(W_i @ [h_prev, x] + p_i * c_prev + b_i)",
    "f = sigmoid(W_f @ [h_prev, x] + p_f * c_prev + b_f)",
    "g = tanh(W_g @ [h_prev, x] + b_g)",
    "c = f * c_prev + i * g",
    "o = sigmoid(W_o @ [h_prev, x] + p_o * c + b_o)",
    "h = o * tanh(c)",
], name="peephole", states=["c", "h"], output="h")

#: Matrix-valued state with outer(), scalar exponential and sigmoid gates, a normaliser
#: state and a division by a maximum (mLSTM without stabiliser).
MATRIX = Cell.from_equations([
    "k = W_k @ x",
    "v = W_v @ x",
    "q = W_q @ x",
    "i = exp(w_i @ x + b_i)",
    "f = sigmoid(w_f @ [h_prev, x] + b_f)",
    "C = f * C_prev + i * outer(v, k)",
    "n = f * n_prev + i * k",
    "h = (C @ q) / maximum(abs(n @ q), 1)",
], name="matrix", states=["C", "n", "h"], output="h", shapes={"C": ["H", "H"]},
    parameters={"W_k": ["H", "I"], "W_v": ["H", "I"], "W_q": ["H", "I"], "w_i": ["I"],
                "b_i": [], "w_f": ["H+I"], "b_f": {"shape": [], "init": 1.0}})

#: Every other function, powers, a minimum, scalar parameters and a division.
FUNCTIONS = Cell.from_equations([
    "a = hard_sigmoid(W_a @ [h_prev, x] + b_a)",
    "s = softplus(w_s @ h_prev + c_s)",
    "u = silu(U @ x) - relu(V @ h_prev)",
    "r = sqrt(h_prev ** 2 + 1)",
    "l = log(1 + abs(u))",
    "h = a * h_prev / r + (1 - a) * tanh(u) * s - 0.1 * minimum(l, 0.5) - -u / 4",
], name="functions", states=["h"], output="h",
    parameters={"W_a": ["H", "H+I"], "b_a": ["H"], "w_s": ["H"], "c_s": [], "U": ["H", "I"],
                "V": ["H", "H"]})

#: An output that is not a state (a readout), a state that does not read its previous
#: value, and a quantity no gradient reaches.
READOUT = Cell.from_equations([
    "h = tanh(W @ [h_prev, x] + b)",
    "m = sigmoid(U @ x)",
    "unused = tanh(Z @ x)",
    "y = tanh(V @ h) * m",
], name="readout", states=["h", "m"], output="y", shapes={"unused": ["H"], "y": ["H"]})

CELLS = {"lstm": cells.builtin("lstm"), "rnn": RNN, "gru": GRU, "peephole": PEEPHOLE,
         "matrix": MATRIX, "functions": FUNCTIONS, "readout": READOUT}


def numeric_gradient(array, loss, eps=1e-6):
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        old = array[index]
        array[index] = old + eps
        plus = loss()
        array[index] = old - eps
        minus = loss()
        array[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def assert_gradient(numeric, analytic, what):
    scale = max(1.0, float(np.abs(numeric).max()))
    assert analytic.shape == numeric.shape, what
    assert np.abs(numeric - analytic).max() <= 1e-7 * scale, what


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("num_layers", [1, 2])
def test_gradients_match_finite_differences(name, num_layers):
    cell = CELLS[name]
    model = cell.model(input_size=3, hidden_size=4, num_layers=num_layers, seed=1)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 2, 3))
    first = model.forward(x)
    initial = {s: 0.5 * rng.standard_normal(v.shape) for s, v in first.final.items()}
    dh = rng.standard_normal(first.output.shape)
    d_final = {s: rng.standard_normal(v.shape) for s, v in first.final.items()}
    params = {k: v.copy() for k, v in model.params.items()}

    def loss():
        model.load_params(params)
        tr = model.forward(x, initial)
        return float((tr.output * dh).sum()
                     + sum((tr.final[s] * d_final[s]).sum() for s in d_final))

    model.load_params(params)
    grads = model.backward(model.forward(x, initial), dh, d_final)
    assert_gradient(numeric_gradient(x, loss), grads.x, "x")
    for state, value in initial.items():
        assert_gradient(numeric_gradient(value, loss), grads.initial[state], state)
    for key, value in params.items():
        assert_gradient(numeric_gradient(value, loss), grads.params[key], key)
    assert set(grads.params) == set(model.params)


def to_sim(model):
    """The hand-written sim.LSTM holding the generic LSTM's weights (blocks i, f, g, o)."""
    hidden, p = model.hidden_size, model.params
    stacked = np.concatenate([p[f"W_{k}"] for k in "ifgo"])
    return LSTM.from_torch({
        "weight_ih_l0": np.ascontiguousarray(stacked[:, hidden:]),
        "weight_hh_l0": np.ascontiguousarray(stacked[:, :hidden]),
        "bias_ih_l0": np.concatenate([p[f"b_{k}"] for k in "ifgo"]),
        "bias_hh_l0": np.zeros(4 * hidden, model.dtype)})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lstm_definition_equals_the_hand_written_lstm(dtype):
    model = cells.builtin("lstm").model(input_size=5, hidden_size=6, seed=3, dtype=dtype)
    reference = to_sim(model)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((9, 3, 5)).astype(dtype)
    dh = rng.standard_normal((9, 3, 6)).astype(dtype)
    tr, ref = model.forward(x), reference.forward(x)
    tol = 1e-12 if dtype == "float64" else 2e-6
    for name in ("i", "f", "g", "o", "c", "h"):
        assert tr[name].dtype == np.dtype(dtype)
        np.testing.assert_allclose(tr[name], getattr(ref, name), atol=tol, rtol=0)
    grads, ref_grads = model.backward(tr, dh), reference.backward(ref, dh)
    assert grads.x.dtype == np.dtype(dtype)
    assert all(g.dtype == np.dtype(dtype) for g in grads.params.values())
    np.testing.assert_allclose(grads.x, ref_grads.x, atol=10 * tol, rtol=0)
    stacked = np.concatenate([grads.params[f"W_{k}"] for k in "ifgo"])
    np.testing.assert_allclose(stacked[:, 6:], ref_grads.params["weight_ih_l0"], atol=10 * tol)
    np.testing.assert_allclose(stacked[:, :6], ref_grads.params["weight_hh_l0"], atol=10 * tol)
    for state, reference_norm in (("h", ref_grads.dh_norm), ("c", ref_grads.dc_norm)):
        norm = np.sqrt(np.square(grads.states[state]).sum(axis=-1))
        np.testing.assert_allclose(norm, reference_norm, rtol=100 * tol)
    lags, whole = reference.jacobian_norms(ref, whole_state=True)
    _, h_only = reference.jacobian_norms(ref)
    norms = model.jacobian_norms(tr)
    np.testing.assert_array_equal(norms.lags, lags)
    np.testing.assert_allclose(norms.norms, whole, rtol=100 * tol)
    np.testing.assert_allclose(norms.states["h"], h_only, rtol=100 * tol)
    assert norms.norms.dtype == np.dtype(dtype)


def assert_jacobian_norms(model, x, t_end, lags):
    """``model.jacobian_norms`` at ``lags`` against central differences: each state of
    the last step before the lag perturbed, the rest of the sequence run again."""
    cell = model.cell
    tr = model.forward(x)
    norms = model.jacobian_norms(x, t_end=t_end)
    assert norms.norms.shape == (t_end + 1, x.shape[1])
    assert list(norms.lags) == list(range(t_end + 1))
    for lag in lags:
        start = t_end - lag
        for sample in range(x.shape[1]):
            squares = {}
            for state in cell.states:
                value = tr.layers[0][state][start, sample].copy()

                def output(v, s=state, start=start, sample=sample):
                    initial = {k: tr.layers[0][k][start][None].copy() for k in cell.states}
                    initial[s][0, sample] = v
                    run = model.forward(x[start + 1:t_end + 1], initial)
                    return run.output[-1, sample].copy()

                steps = np.eye(value.size).reshape(value.size, *value.shape) * 1e-6
                jac = np.stack([(output(value + d) - output(value - d)) / 2e-6 for d in steps])
                squares[state] = float(np.square(jac).sum())
                assert norms.states[state][lag, sample] == pytest.approx(
                    np.sqrt(squares[state]), rel=1e-6, abs=1e-8)
            assert norms.norms[lag, sample] == pytest.approx(np.sqrt(sum(squares.values())),
                                                             rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("name", ["matrix", "functions", "gru", "readout"])
def test_jacobian_norms_match_finite_differences(name):
    model = CELLS[name].model(input_size=3, hidden_size=3, seed=5)
    x = np.random.default_rng(6).standard_normal((5, 2, 3))
    assert_jacobian_norms(model, x, 3, (1, 3))


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(definition=definitions(), steps=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_jacobian_norms_of_random_definitions(definition, steps, seed):
    """The probes of jacobian_norms run the same per-step plans as backward, with extra
    leading axes: random definitions (tests/cells/test_gradcheck.py's) check them."""
    name, states, equations, shapes = definition
    cell = Cell.from_equations(equations, name=name, states=states, output="h",
                               shapes=shapes)
    model = cell.model(2, 2, seed=seed)
    x = np.random.default_rng(seed).standard_normal((steps, 2, 2))
    assert_jacobian_norms(model, x, steps - 1, range(1, steps))


def test_float32_is_never_upcast():
    model = CELLS["functions"].model(input_size=3, hidden_size=4, dtype="float32")
    x = np.random.default_rng(0).standard_normal((3, 2, 3)).astype(np.float32)
    tr = model.forward(x)
    assert all(value.dtype == np.float32 for value in tr.values())
    grads = model.backward(tr, np.ones_like(tr.output))
    assert grads.x.dtype == np.float32
    assert all(value.dtype == np.float32 for value in grads.params.values())
    with pytest.raises(LstmfigsError, match="dtype float32"):
        model.forward(x.astype(np.float64))


def test_params_layers_and_inits():
    model = cells.builtin("lstm").model(input_size=5, hidden_size=16, num_layers=2, seed=0)
    assert model.params["W_f"].shape == (16, 21) and model.params["W_f_l1"].shape == (16, 32)
    tr = model.forward(np.ones((3, 2, 5)))
    assert set(tr) == {"f", "i", "g", "o", "c", "h"} and tr["c"].shape == (3, 2, 16)
    assert tr.layers[0]["h"].shape == (3, 2, 16) and tr.final["c"].shape == (2, 2, 16)
    np.testing.assert_array_equal(tr.layers[1].x, tr.layers[0]["h"])
    np.testing.assert_array_equal(tr.output, tr.layers[1]["h"])
    np.testing.assert_array_equal(tr.final["h"][1], tr["h"][-1])
    bound = 1 / 4
    assert all(np.abs(v).max() <= bound for v in model.params.values())
    again = cells.builtin("lstm").model(input_size=5, hidden_size=16, num_layers=2, seed=0,
                                        dtype="float32")
    np.testing.assert_array_equal(again.params["W_f"], model.params["W_f"].astype(np.float32))
    biased = cells.builtin("lstm").model(5, 16, num_layers=2, forget_bias=1.0)
    assert (biased.params["b_f"] == 1).all() and (biased.params["b_f_l1"] == 1).all()
    np.testing.assert_array_equal(biased.params["W_f"], model.params["W_f"])
    chrono = cells.builtin("lstm").model(5, 16, chrono=50)
    assert (chrono.params["b_f"] >= 0).all() and (chrono.params["b_f"] <= np.log(49)).all()
    np.testing.assert_array_equal(chrono.params["b_i"], -chrono.params["b_f"])
    matrix = MATRIX.model(3, 4)
    assert matrix.params["b_f"] == 1.0
    gru = GRU.model(3, 4, forget_bias=2.0, forget_gate="z")
    assert (gru.params["b_iz"] == 2).all() and (gru.params["b_hz"] == 0).all()


def test_clear_errors():
    model = cells.builtin("lstm").model(input_size=5, hidden_size=4)
    with pytest.raises(LstmfigsError, match="no gate 'f'"):
        RNN.model(3, 4, forget_bias=1.0)
    with pytest.raises(LstmfigsError, match="no gate 'i'"):
        GRU.model(3, 4, chrono=10, forget_gate="z")
    no_bias = Cell.from_equations(["f = sigmoid(W @ [h_prev, x])", "h = f * h_prev"],
                                  name="nobias", states=["h"], output="h")
    with pytest.raises(LstmfigsError, match="gate 'f' has no bias"):
        no_bias.model(3, 4, forget_bias=1.0)
    coupled = Cell.from_equations(["i = sigmoid(W @ [h_prev, x] + b)", "f = 1 - i",
                                   "h = f * h_prev + i * tanh(U @ x)"],
                                  name="coupled", states=["h"], output="h")
    assert "f" in coupled.gates  # a gate by its range, but computed from another gate
    with pytest.raises(LstmfigsError, match="gate 'f' has no bias of its own"):
        coupled.model(3, 4, forget_bias=1.0)
    with pytest.raises(LstmfigsError, match=r"x: expected shape \(T, B, 5\)"):
        model.forward(np.zeros((3, 5)))
    with pytest.raises(LstmfigsError, match="missing key 'b_o'"):
        model.load_params({k: v for k, v in model.params.items() if k != "b_o"})
    with pytest.raises(LstmfigsError, match="unexpected key 'W_z'"):
        model.load_params({**model.params, "W_z": np.zeros(3)})
    with pytest.raises(LstmfigsError, match=r"params\['W_f'\]: expected shape"):
        model.load_params({**model.params, "W_f": np.zeros((4, 4))})
    with pytest.raises(LstmfigsError, match="'q' is not a state"):
        model.forward(np.zeros((2, 1, 5)), {"q": np.zeros((1, 1, 4))})
    tr = model.forward(np.zeros((2, 1, 5)))
    with pytest.raises(LstmfigsError, match="dh: expected shape"):
        model.backward(tr, np.zeros((2, 1, 3)))
    with pytest.raises(LstmfigsError, match="trace of this model"):
        cells.builtin("lstm").model(5, 4).backward(tr, np.zeros((2, 1, 4)))
    with pytest.raises(LstmfigsError, match="t_end"):
        model.jacobian_norms(tr, t_end=2)
    with pytest.raises(LstmfigsError, match="parameters at these sizes"):
        cells.builtin("lstm").model(input_size=10, hidden_size=10**6)
    with pytest.raises(LstmfigsError, match="'N' is not a declared size"):
        cells.builtin("lstm").model(3, 4, sizes={"N": 3})


def test_lstm_step_is_fused_and_merged():
    """The LSTM definition runs as the hand-fused LSTM does: the input projection and
    biases of all steps before the loop, one recurrent product for the four gates, one sum
    and one sigmoid for the three gates (nine operations per step in all)."""
    model = cells.builtin("lstm").model(input_size=3, hidden_size=4)
    graph = model._graphs[0]
    step_ops = [graph.nodes[i].op for i in model._structure(graph).forward_steps]
    assert step_ops.count("fused") == 1 and len(step_ops) == 9
    assert sorted(step_ops) == sorted(["fused", "add", "sigmoid", "tanh", "mul", "mul",
                                       "add", "tanh", "mul"])
    (fused,) = (i for i in graph.step_nodes if graph.nodes[i].op == "fused")
    assert graph.nodes[fused].shape == (16,)
    assert [graph.nodes[i].op for i in graph.hoisted_nodes].count("fused") == 1


def test_jacobian_norms_at_lag_zero():
    model = READOUT.model(input_size=3, hidden_size=4, seed=2)
    x = np.random.default_rng(3).standard_normal((5, 2, 3))
    norms = model.jacobian_norms(x)
    tr = model.forward(x)
    # d y / d h at the last step: diag(tanh'(.) * m) V, and y does not depend on m's
    # state value through another path than m itself: dy/dm = diag(tanh(V h)).
    t = -1
    inner = model.params["V"] @ tr["h"][t][..., None]
    slope = (1 - np.tanh(inner[..., 0]) ** 2) * tr["m"][t]
    jac_h = slope[:, :, None] * model.params["V"][None]
    np.testing.assert_allclose(norms.states["h"][0], np.sqrt((jac_h ** 2).sum(axis=(1, 2))))
    np.testing.assert_allclose(norms.states["m"][0],
                               np.sqrt((np.tanh(inner[..., 0]) ** 2).sum(axis=1)))
    lstm = cells.builtin("lstm").model(input_size=3, hidden_size=4)
    lstm_norms = lstm.jacobian_norms(x)
    np.testing.assert_allclose(lstm_norms.states["h"][0], 2.0)
    np.testing.assert_allclose(lstm_norms.states["c"][0], 0.0)


@pytest.mark.parametrize("name", cells.names())
def test_backward_is_repeatable_and_leaves_the_trace_alone(name):
    """Buffers are planned per call: a second backward (after Jacobian probes) gives the
    same gradients and no call writes into the trace."""
    model = cells.builtin(name).model(3, 4, num_layers=2, seed=1)
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    tr = model.forward(x)
    before = {key: value.copy() for key, value in tr.items()}
    dh = np.ones_like(tr.output)
    first = model.backward(tr, dh)
    model.jacobian_norms(tr)
    second = model.backward(tr, dh)
    assert all(np.array_equal(before[key], tr[key]) for key in before)
    assert all(np.array_equal(first.params[key], second.params[key]) for key in first.params)
    np.testing.assert_array_equal(first.x, second.x)
