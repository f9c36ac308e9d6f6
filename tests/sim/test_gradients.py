"""backward is exact BPTT: central finite differences (float64) on every parameter, the
inputs and the initial states, for every model and LSTM variant; plus the per-step
gradient norms and the Jacobian-norm probe."""

from __future__ import annotations

import numpy as np
import pytest

from lstmfigs.sim import GREFF_VARIANTS, GRU, LSTM, RNN, LSTMCell

STEPS, BATCH, INPUTS, HIDDEN = 4, 2, 3, 3

CONFIGS = {
    "lstm": lambda: LSTM(INPUTS, HIDDEN, dtype="float64", seed=1),
    "lstm-peephole": lambda: LSTM(INPUTS, HIDDEN, peephole=True, dtype="float64", seed=2),
    "lstm-coupled": lambda: LSTM(INPUTS, HIDDEN, coupled=True, dtype="float64", seed=3),
    "lstm-stacked": lambda: LSTM(
        INPUTS, HIDDEN, num_layers=2, peephole=True, dtype="float64", seed=4
    ),
    "gru": lambda: GRU(INPUTS, HIDDEN, dtype="float64", seed=5),
    "gru-stacked": lambda: GRU(INPUTS, HIDDEN, num_layers=2, dtype="float64", seed=6),
    "rnn": lambda: RNN(INPUTS, HIDDEN, dtype="float64", seed=7),
    "rnn-stacked": lambda: RNN(INPUTS, HIDDEN, num_layers=2, dtype="float64", seed=8),
    "lstm-proj-bi-stacked": lambda: LSTM(
        INPUTS, HIDDEN, num_layers=2, bidirectional=True, proj_size=2, dtype="float64", seed=10
    ),
    "lstm-nobias-batch-first": lambda: LSTM(
        INPUTS, HIDDEN, bias=False, batch_first=True, dtype="float64", seed=11
    ),
    "lstm-dropout": lambda: LSTM(
        INPUTS, HIDDEN, num_layers=3, dropout=0.5, dtype="float64", seed=12
    ),
    "lstm-cell-peephole": lambda: LSTMCell(INPUTS, HIDDEN, peephole=True, dtype="float64", seed=13),
    "gru-bi-dropout": lambda: GRU(
        INPUTS, HIDDEN, num_layers=2, bidirectional=True, dropout=0.3, dtype="float64", seed=14
    ),
    "gru-nobias": lambda: GRU(INPUTS, HIDDEN, bias=False, dtype="float64", seed=15),
    "rnn-relu-bi": lambda: RNN(INPUTS, HIDDEN, num_layers=2, nonlinearity="relu",
                               bidirectional=True, dtype="float64", seed=16),
    "lstm-keras-hard-sigmoid-relu": lambda: LSTM(INPUTS, HIDDEN, activation="relu",
                                                 recurrent_activation="hard_sigmoid",
                                                 dtype="float64", seed=17),
    "lstm-keras-linear-peephole": lambda: LSTM(INPUTS, HIDDEN, activation="linear",
                                               recurrent_activation="sigmoid", peephole=True,
                                               dtype="float64", seed=18),
    "gru-keras-hard-sigmoid": lambda: GRU(INPUTS, HIDDEN, activation="relu",
                                          recurrent_activation="hard_sigmoid",
                                          dtype="float64", seed=19),
    "rnn-keras-sigmoid": lambda: RNN(
        INPUTS, HIDDEN, nonlinearity="sigmoid", dtype="float64", seed=20
    ),
    **{
        f"lstm-greff-{name}": (
            lambda name=name: LSTM.greff(name, INPUTS, HIDDEN, dtype="float64", seed=9)
        )
        for name in GREFF_VARIANTS
    },
}


class Problem:
    """A random loss L = sum(h * dh) + sum(h_n * dh_n) (+ sum(c_n * dc_n))."""

    def __init__(self, model, seed: int = 0):
        rng = np.random.default_rng(seed)
        units, cell, out = (
            model.num_layers * model.num_directions,
            model.has_cell,
            model.output_size,
        )
        # Non-zero weights everywhere (also in rows a variant ignores) and big enough
        # to reach the non-linear range of the gates.
        for value in model.params.values():
            value[...] = rng.uniform(-1.0, 1.0, value.shape)
        self.model = model
        lead = (BATCH, STEPS) if model.batch_first else (STEPS, BATCH)
        self.x = rng.standard_normal(lead + (INPUTS,))
        self.h0 = rng.standard_normal((units, BATCH, out))
        self.c0 = rng.standard_normal((units, BATCH, HIDDEN)) if cell else None
        self.dh = rng.standard_normal(lead + (model.num_directions * out,))
        self.dh_n = rng.standard_normal((units, BATCH, out))
        self.dc_n = rng.standard_normal((units, BATCH, HIDDEN)) if cell else None
        # Dropout between layers with fixed masks (seed 0): still a smooth function.
        self.training = model.dropout > 0

    def forward(self):
        states = (self.h0, self.c0) if self.model.has_cell else (self.h0,)
        return self.model.forward(self.x, *states, training=self.training, seed=0)

    def loss(self) -> float:
        trace = self.forward()
        total = np.sum(trace.output * self.dh) + np.sum(trace.h_n * self.dh_n)
        if self.model.has_cell:
            total += np.sum(trace.c_n * self.dc_n)
        return float(total)

    def gradients(self):
        return self.model.backward(self.forward(), self.dh, dh_n=self.dh_n,
                                   **({"dc_n": self.dc_n} if self.model.has_cell else {}))

    def numeric(self, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
        grad = np.empty_like(array)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + eps
            plus = self.loss()
            array[index] = saved - eps
            minus = self.loss()
            array[index] = saved
            grad[index] = (plus - minus) / (2 * eps)
        return grad


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_backward_matches_finite_differences(config):
    problem = Problem(CONFIGS[config]())
    grads = problem.gradients()
    targets = {"x": (problem.x, grads.x), "h0": (problem.h0, grads.h0)}
    if problem.model.has_cell:
        targets["c0"] = (problem.c0, grads.c0)
    else:
        assert grads.c0 is None and grads.dc_norm is None
    assert set(grads.params) == set(problem.model.params)
    for name, value in problem.model.params.items():
        targets[name] = (value, grads.params[name])
    for name, (array, analytic) in targets.items():
        assert analytic.shape == array.shape, name
        np.testing.assert_allclose(
            analytic, problem.numeric(array), rtol=1e-6, atol=1e-7, err_msg=name
        )


def test_finite_difference_check_can_fail():
    # Guard against a vacuous check: a gradient with one wrong entry must be caught.
    problem = Problem(CONFIGS["lstm"]())
    analytic = problem.gradients().params["weight_hh_l0"].copy()
    analytic[0, 0] *= 1.01
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(analytic, problem.numeric(problem.model.params["weight_hh_l0"]),
                                   rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name,gate", [("NIG", "i"), ("NFG", "f"), ("NOG", "o"), ("CIFG", "f")])
def test_fixed_gate_rows_get_zero_gradient(name, gate):
    model = LSTM.greff(name, INPUTS, HIDDEN, dtype="float64")
    problem = Problem(model)
    grads = problem.gradients()
    rows = slice("ifgo".index(gate) * HIDDEN, ("ifgo".index(gate) + 1) * HIDDEN)
    for stem in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        assert not grads.params[stem][rows].any(), stem
    assert not grads.params[f"weight_c{gate}_l0"].any()


def test_gradient_norms_are_total_gradients_at_each_step():
    # dL/dh_t equals the initial-state gradient of the same loss restricted to steps t+1..
    # started from (h_t, c_t), plus the direct term; dL/dc_t also counts the path through
    # h_t = o_t tanh(c_t) (c_t perturbed with h_t following it, as in the forward pass).
    problem = Problem(CONFIGS["lstm"](), seed=3)
    model = problem.model
    grads = problem.gradients()
    trace = problem.forward()
    assert grads.dh_norm.shape == grads.dc_norm.shape == (STEPS, BATCH)
    for t in range(STEPS - 1):
        rest = model.forward(problem.x[t + 1:], trace.h[t][None], trace.c[t][None])
        tail = model.backward(rest, problem.dh[t + 1:], dh_n=problem.dh_n, dc_n=problem.dc_n)
        dh_total = tail.h0[0] + problem.dh[t]
        dc_total = tail.c0[0] + dh_total * trace.o[t] * (1 - np.tanh(trace.c[t]) ** 2)
        np.testing.assert_allclose(grads.dh_norm[t], np.linalg.norm(dh_total, axis=-1), rtol=1e-10)
        np.testing.assert_allclose(grads.dc_norm[t], np.linalg.norm(dc_total, axis=-1), rtol=1e-10)
    last = problem.dh[-1] + problem.dh_n[0]
    np.testing.assert_allclose(grads.dh_norm[-1], np.linalg.norm(last, axis=-1), rtol=1e-12)


def numeric_jacobian_norms(model, x, trace, t_end, eps=1e-6, whole_state=False):
    """||d h_{t_end} / d h_t||_F by finite differences, c_t held fixed (whole_state: the
    Jacobian w.r.t. (h_t, c_t), each perturbed with the other fixed)."""
    norms = np.zeros((t_end + 1, x.shape[1]))
    targets = ["h", "c"] if whole_state and model.has_cell else ["h"]
    for t in range(t_end + 1):
        squares = np.zeros(x.shape[1])
        for target in targets:
            jacobian = np.zeros((x.shape[1], HIDDEN, HIDDEN))
            for j in range(HIDDEN):
                outputs = []
                for sign in (1, -1):
                    h_start = trace.h[t].copy()
                    c_start = trace.c[t].copy() if model.has_cell else None
                    (h_start if target == "h" else c_start)[:, j] += sign * eps
                    if t == t_end:
                        outputs.append(h_start)
                        continue
                    states = [h_start[None]] + ([c_start[None]] if model.has_cell else [])
                    outputs.append(model.forward(x[t + 1:t_end + 1], *states).h[-1])
                jacobian[:, :, j] = (outputs[0] - outputs[1]) / (2 * eps)
            squares += np.square(jacobian).sum(axis=(1, 2))
        norms[t_end - t] = np.sqrt(squares)
    return norms


def test_whole_state_jacobian_norms_match_finite_differences():
    model = CONFIGS["lstm"]()
    x = np.random.default_rng(2).standard_normal((6, BATCH, INPUTS))
    trace = model.forward(x)
    _, norms = model.jacobian_norms(trace, whole_state=True)
    np.testing.assert_allclose(
        norms, numeric_jacobian_norms(model, x, trace, 5, whole_state=True), rtol=1e-6
    )
    _, h_only = model.jacobian_norms(trace)
    assert np.all(norms[1:] > h_only[1:])  # the cell state adds a path


def test_reverse_direction_jacobian_is_the_forward_one_on_reversed_time():
    model = LSTM(INPUTS, HIDDEN, bidirectional=True, dtype="float64", seed=3)
    x = np.random.default_rng(4).standard_normal((7, BATCH, INPUTS))
    twin = LSTM(INPUTS, HIDDEN, dtype="float64")
    twin.params = {name.replace("_reverse", ""): value for name, value in model.params.items()
                   if name.endswith("_reverse")}
    for whole in (False, True):
        _, reverse = model.jacobian_norms(model.forward(x), direction=1, t_end=2, whole_state=whole)
        _, expected = twin.jacobian_norms(twin.forward(x[::-1].copy()), t_end=4, whole_state=whole)
        np.testing.assert_allclose(reverse, expected, rtol=1e-12)


@pytest.mark.parametrize("config", ["lstm", "lstm-peephole", "gru", "rnn", "lstm-stacked"])
def test_jacobian_norms_match_finite_differences(config):
    model = CONFIGS[config]()
    x = np.random.default_rng(1).standard_normal((6, BATCH, INPUTS))
    trace = model.forward(x)
    top = model.num_layers - 1
    # For stacked models the probe is the last layer's recurrence: the lower layers' outputs
    # are fixed inputs to it.  Compare with a one-layer model holding the top layer.
    single = type(model)(HIDDEN if top else INPUTS, HIDDEN, dtype="float64",
                         **({"peephole": model.variant.peephole} if model.has_cell else {}))
    single.params = {name.replace(f"_l{top}", "_l0"): value for name, value in model.params.items()
                     if name.endswith(f"_l{top}")}
    top_input = trace.layers[top].x
    for t_end in (5, 3):
        lags, norms = model.jacobian_norms(trace, t_end=t_end)
        np.testing.assert_array_equal(lags, np.arange(t_end + 1))
        expected = numeric_jacobian_norms(
            single,
            top_input,
            single.forward(
                top_input,
                trace.layers[top].h0[None],
                *([trace.layers[top].c0[None]] if model.has_cell else []),
            ),
            t_end,
        )
        np.testing.assert_allclose(norms, expected, rtol=1e-6)
        np.testing.assert_allclose(norms[0], np.sqrt(HIDDEN))


def test_jacobian_norms_decay_faster_with_small_forget_gates():
    # Background fact the gradient-decay figures rest on: a +3 forget bias keeps
    # ||dh_T/dh_t|| alive over many more steps than a -3 one.
    x = np.random.default_rng(0).standard_normal((60, 4, 3))
    decays = {}
    for bias in (-3.0, 3.0):
        model = LSTM(3, 8, dtype="float64", forget_bias=bias, seed=0)
        lags, norms = model.jacobian_norms(model.forward(x))
        decays[bias] = norms[30].mean()
    assert decays[3.0] > 100 * decays[-3.0]
