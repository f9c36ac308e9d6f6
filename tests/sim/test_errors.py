"""Bad input raises LstmfigsError (a ValueError) with one line naming the argument and the
expected shape, dtype or key."""

from __future__ import annotations

import numpy as np
import pytest

from lstmfigs.errors import LstmfigsError
from lstmfigs.sim import GRU, LSTM, RNN, tasks, train

F32 = np.float32


def x_ok(steps=5, batch=2, inputs=3, dtype=F32):
    return np.zeros((steps, batch, inputs), dtype)


def with_nan():
    x = x_ok()
    x[2, 1, 0] = np.nan
    return x


def with_inf():
    x = x_ok()
    x[0, 0, 2] = -np.inf
    return x


def lstm():
    return LSTM(3, 4)


def traced():
    model = lstm()
    return model, model.forward(x_ok())


def state_dict_without(key):
    state = lstm().state_dict()
    del state[key]
    return state


def state_dict_with(key, value):
    state = lstm().state_dict()
    state[key] = value
    return state


CASES = {
    "x 2-d": (
        lambda: lstm().forward(np.zeros((5, 2), F32)),
        r"^x: expected shape \(T, 3\), got \(5, 2\)",
    ),
    "x 4-d": (
        lambda: lstm().forward(np.zeros((5, 2, 1, 3), F32)),
        r"^x: expected shape \(T, B, 3\) or \(T, 3\) \(unbatched\), got \(5, 2, 1, 3\)",
    ),
    "x features": (lambda: lstm().forward(x_ok(inputs=2)), r"^x: expected shape \(T, B, 3\)"),
    "x dtype": (
        lambda: lstm().forward(x_ok(dtype=np.float64)),
        r"^x: expected dtype float32, got float64",
    ),
    "x list": (lambda: lstm().forward([[[0.0, 0.0, 0.0]]]), r"^x: expected dtype float32"),
    "x nan": (lambda: lstm().forward(with_nan()), r"^x: contains NaN or infinite values"),
    "x inf": (lambda: lstm().forward(with_inf()), r"^x: contains NaN or infinite values"),
    "x empty": (lambda: lstm().forward(x_ok(steps=0)), r"^x: expected at least one time step"),
    "h0 shape": (
        lambda: lstm().forward(x_ok(), h0=np.zeros((1, 3, 4), F32)),
        r"^h0: expected shape \(1, 2, 4\), got \(1, 3, 4\)",
    ),
    "c0 dtype": (
        lambda: lstm().forward(x_ok(), c0=np.zeros((1, 2, 4))),
        r"^c0: expected dtype float32",
    ),
    "h0 nan": (
        lambda: GRU(3, 4).forward(x_ok(), h0=np.full((1, 2, 4), np.nan, F32)),
        r"^h0: contains NaN",
    ),
    "dh shape": (
        lambda: (lambda m, t: m.backward(t, np.zeros((5, 2, 3), F32)))(*traced()),
        r"^dh: expected shape \(5, 2, 4\), got \(5, 2, 3\)",
    ),
    "dh dtype": (
        lambda: (lambda m, t: m.backward(t, np.zeros((5, 2, 4))))(*traced()),
        r"^dh: expected dtype float32",
    ),
    "dh_n shape": (
        lambda: (
            lambda m, t: m.backward(t, np.zeros((5, 2, 4), F32), dh_n=np.zeros((2, 2, 4), F32))
        )(*traced()),
        r"^dh_n: expected shape \(1, 2, 4\)",
    ),
    "dc_n for gru": (
        lambda: (
            lambda m: m.backward(
                m.forward(x_ok()), np.zeros((5, 2, 4), F32), dc_n=np.zeros((1, 2, 4), F32)
            )
        )(GRU(3, 4)),
        r"^dc_n: GRU has no cell state",
    ),
    "untraced": (
        lambda: lstm().backward(lstm().forward(x_ok(), trace=False), np.zeros((5, 2, 4), F32)),
        r"^tr: expected a trace with per-step values",
    ),
    "foreign trace": (
        lambda: LSTM(3, 4, num_layers=2).backward(lstm().forward(x_ok()), np.zeros((5, 2, 4), F32)),
        r"^tr: expected a trace of this model",
    ),
    "t_end": (
        lambda: (lambda m, t: m.jacobian_norms(t, t_end=5))(*traced()),
        r"^t_end: expected an integer step 0 <= t_end < 5",
    ),
    "missing key": (
        lambda: LSTM.from_torch(state_dict_without("bias_hh_l0")),
        r"^state_dict: missing key 'bias_hh_l0'",
    ),
    "missing first key": (lambda: RNN.from_torch({}), r"^state_dict: missing key 'weight_ih_l0'"),
    "wrong shape": (
        lambda: LSTM.from_torch(state_dict_with("weight_hh_l0", np.zeros((16, 5), F32))),
        r"^state_dict\['weight_hh_l0'\]: expected shape \(16, 4\), got \(16, 5\)",
    ),
    "mixed dtypes": (
        lambda: LSTM.from_torch(state_dict_with("bias_ih_l0", np.zeros(16))),
        r"^state_dict\['bias_ih_l0'\]: expected dtype float32, got float64",
    ),
    "nan weight": (
        lambda: LSTM.from_torch(state_dict_with("bias_ih_l0", np.full(16, np.nan, F32))),
        r"^state_dict\['bias_ih_l0'\]: contains NaN",
    ),
    "unexpected key": (
        lambda: LSTM.from_torch(state_dict_with("weight_xr_l0", np.zeros((2, 4), F32))),
        r"^state_dict: unexpected key 'weight_xr_l0'",
    ),
    "projection and weight_hh disagree": (
        lambda: LSTM.from_torch(state_dict_with("weight_hr_l0", np.zeros((2, 4), F32))),
        r"^state_dict\['weight_hh_l0'\]: expected shape \(16, 2\), got \(16, 4\)",
    ),
    "proj_size without weight_hr": (
        lambda: LSTM.from_torch(state_dict_with("weight_hh_l0", np.zeros((16, 2), F32))),
        r"^state_dict\['weight_hh_l0'\]: shape \(16, 2\) means h of size 2 "
        r"but the cell has 4 units; "
        r"an LSTM with proj_size needs weight_hr_l0",
    ),
    "relu rnn needs option": (
        lambda: RNN(3, 4, nonlinearity="gelu"),
        r"^nonlinearity: expected one of sigmoid, tanh, hard_sigmoid, relu, linear",
    ),
    "dropout": (lambda: LSTM(3, 4, dropout=1.0), r"^dropout: expected a probability 0 <= p < 1"),
    "proj_size": (
        lambda: LSTM(3, 4, proj_size=4),
        r"^proj_size: expected an integer 0 <= proj_size < hidden_size",
    ),
    "bias=False forget bias": (
        lambda: LSTM(3, 4, bias=False, forget_bias=1.0),
        r"^forget_bias: sets biases",
    ),
    "batch_first dh": (
        lambda: (lambda m: m.backward(m.forward(x_ok()), np.zeros((2, 5, 4), F32)))(
            LSTM(3, 4, batch_first=True)
        ),
        r"^dh: expected shape \(5, 2, 4\), got \(2, 5, 4\)",
    ),
    "unbatched h0": (
        lambda: lstm().forward(np.zeros((5, 3), F32), h0=np.zeros((1, 2, 4), F32)),
        r"^h0: expected shape \(1, 4\), got \(1, 2, 4\)",
    ),
    "direction": (
        lambda: (lambda m, t: m.jacobian_norms(t, direction=1))(*traced()),
        r"^direction: expected 0, got 1",
    ),
    "integer weights": (
        lambda: RNN.from_torch(
            {"weight_ih_l0": np.zeros((4, 3), int), "weight_hh_l0": np.zeros((4, 4), int)}
        ),
        r"^state_dict\['weight_ih_l0'\]: expected dtype float32 or float64, got int64",
    ),
    "missing file": (
        lambda: LSTM.from_torch("/nonexistent/weights.npz"),
        r"^state_dict: weights file '/nonexistent/weights.npz' does not exist",
    ),
    "keras recurrent": (
        lambda: LSTM.from_keras(np.zeros((3, 16)), np.zeros((4, 12))),
        r"^recurrent_kernel: expected shape \(H, 4\*H\), got \(4, 12\)",
    ),
    "keras kernel": (
        lambda: LSTM.from_keras(np.zeros((3, 12)), np.zeros((4, 16))),
        r"^kernel: expected shape \(I, 16\), got \(3, 12\)",
    ),
    "keras bias": (
        lambda: LSTM.from_keras(np.zeros((3, 16)), np.zeros((4, 16)), np.zeros(12)),
        r"^bias: expected shape \(16,\), got \(12,\)",
    ),
    "keras gru reset_before": (
        lambda: GRU.from_keras(np.zeros((3, 12)), np.zeros((4, 12)), np.zeros(12)),
        r"^bias: expected shape \(2, 12\) \(Keras GRU with reset_after=True\)",
    ),
    "to_keras layer": (lambda: lstm().to_keras(layer=1), r"^layer: expected 0 <= layer < 1"),
    "dtype name": (
        lambda: LSTM(3, 4, dtype="float16"),
        r"^dtype: expected 'float32' or 'float64', got 'float16'",
    ),
    "hidden size": (lambda: RNN(3, 0), r"^hidden_size: expected a positive integer, got 0"),
    "init name": (lambda: LSTM(3, 4, init="xavier"), r"^init: expected 'pytorch' or 'chrono'"),
    "chrono t_max": (
        lambda: LSTM(3, 4, init="chrono"),
        r"^chrono_t_max: init='chrono' needs a number > 2",
    ),
    "forget bias coupled": (
        lambda: LSTM(3, 4, coupled=True, forget_bias=1.0),
        r"^forget_bias: this variant has no forget gate",
    ),
    "coupled without gate": (lambda: LSTM(3, 4, coupled=True, input_gate=False), r"^coupled: "),
    "greff name": (lambda: LSTM.greff("FGR", 3, 4), r"^name: expected one of V, NIG"),
    "task lag": (lambda: tasks.FirstSymbol(lag=0), r"^lag: expected a positive integer, got 0"),
    "task rng": (
        lambda: tasks.Adding(length=10).sample(2, rng=42),
        r"^rng: expected a numpy.random.Generator",
    ),
    "fit input size": (
        lambda: train.fit(LSTM(3, 4), tasks.FirstSymbol(lag=5), steps=1),
        r"^task: its input size 5 differs",
    ),
    "fit lr": (
        lambda: train.fit(LSTM(5, 4), tasks.FirstSymbol(lag=5), steps=1, lr=0),
        r"^lr: expected a positive number",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_raises_a_one_line_value_error(case):
    call, pattern = CASES[case]
    with pytest.raises(LstmfigsError, match=pattern) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


def test_evaluate_checks_target_shape():
    result = train.fit(LSTM(5, 4), tasks.FirstSymbol(lag=3), steps=1, eval_batch=4)
    x, y = tasks.FirstSymbol(lag=3).sample(4)
    with pytest.raises(LstmfigsError, match=r"^y: expected shape \(4,\), got \(3,\)"):
        result.evaluate(x, y[:3])


@pytest.mark.parametrize("seed", ["a", 1.5, True, -1, None, [0]])
def test_a_seed_that_is_not_a_non_negative_integer_is_an_lstmfigs_error(seed):
    x = np.zeros((3, 1, 2), np.float32)
    attempts = [lambda: LSTM(2, 3, seed=seed), lambda: GRU(2, 3, seed=seed),
                lambda: LSTM(2, 3, num_layers=2, dropout=0.5).forward(x, training=True, seed=seed),
                lambda: tasks.FirstSymbol(lag=5, seed=seed),
                lambda: train.fit(LSTM(5, 3), tasks.FirstSymbol(lag=5), steps=1, seed=seed)]
    for attempt in attempts:
        with pytest.raises(LstmfigsError, match=r"^seed: expected a non-negative integer, got "):
            attempt()
