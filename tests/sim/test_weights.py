"""Weights in and out: PyTorch state dicts (mappings and .npz files) and Keras layouts."""

from __future__ import annotations

import numpy as np
import pytest

from lstmfigs.sim import GRU, LSTM, RNN


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def keras_lstm(x, kernel, recurrent_kernel, bias):
    """Keras 3 LSTM cell: z = x K + h R + b, blocks i, f, c, o."""
    hidden = recurrent_kernel.shape[0]
    h = c = np.zeros((x.shape[1], hidden))
    outputs = []
    for x_t in x:
        z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h @ recurrent_kernel + bias, 4, axis=-1)
        c = sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_c)
        h = sigmoid(z_o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs)


def keras_gru(x, kernel, recurrent_kernel, bias):
    """Keras 3 GRU cell with reset_after=True: blocks z, r, h; bias rows (input, recurrent)."""
    hidden = recurrent_kernel.shape[0]
    h = np.zeros((x.shape[1], hidden))
    outputs = []
    for x_t in x:
        x_z, x_r, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)
        r_z, r_r, r_h = np.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
        z, r = sigmoid(x_z + r_z), sigmoid(x_r + r_r)
        candidate = np.tanh(x_h + r * r_h)
        h = z * h + (1 - z) * candidate
        outputs.append(h)
    return np.stack(outputs)


def keras_simple_rnn(x, kernel, recurrent_kernel, bias):
    h = np.zeros((x.shape[1], recurrent_kernel.shape[0]))
    outputs = []
    for x_t in x:
        h = np.tanh(x_t @ kernel + h @ recurrent_kernel + bias)
        outputs.append(h)
    return np.stack(outputs)


KERAS = {LSTM: (keras_lstm, 4), GRU: (keras_gru, 3), RNN: (keras_simple_rnn, 1)}


def random_keras_weights(model_class, inputs=3, hidden=4, seed=0):
    rng = np.random.default_rng(seed)
    blocks = KERAS[model_class][1]
    kernel = rng.uniform(-1, 1, (inputs, blocks * hidden))
    recurrent = rng.uniform(-1, 1, (hidden, blocks * hidden))
    bias = rng.uniform(-1, 1, (2, 3 * hidden) if model_class is GRU else (blocks * hidden,))
    return kernel, recurrent, bias


@pytest.mark.parametrize("model_class", [LSTM, GRU, RNN])
def test_from_keras_follows_keras_formulas(model_class):
    kernel, recurrent, bias = random_keras_weights(model_class)
    model = model_class.from_keras(kernel, recurrent, bias)
    assert model.dtype == np.float64 and model.input_size == 3 and model.hidden_size == 4
    x = np.random.default_rng(1).standard_normal((6, 2, 3))
    np.testing.assert_allclose(
        model.forward(x).h, KERAS[model_class][0](x, kernel, recurrent, bias), atol=1e-13
    )


@pytest.mark.parametrize("model_class", [LSTM, GRU, RNN])
def test_keras_twin_of_a_pytorch_model_gives_the_same_outputs(model_class):
    twin = model_class(3, 5, dtype="float64", seed=2)
    kernel, recurrent, bias = twin.to_keras()
    x = np.random.default_rng(3).standard_normal((7, 2, 3))
    expected = twin.forward(x).h
    np.testing.assert_allclose(
        KERAS[model_class][0](x, kernel, recurrent, bias), expected, atol=1e-13
    )
    np.testing.assert_allclose(
        model_class.from_keras(kernel, recurrent, bias).forward(x).h, expected, atol=1e-13
    )


@pytest.mark.parametrize("model_class", [LSTM, GRU, RNN])
def test_keras_round_trip(model_class):
    weights = random_keras_weights(model_class, seed=4)
    again = model_class.from_keras(*weights).to_keras()
    for original, back in zip(weights, again, strict=True):
        np.testing.assert_array_equal(original, back)


def test_gru_block_orders_differ_between_frameworks():
    # The r block of PyTorch's weights must come from Keras' second block (z, r, h).
    kernel, recurrent, bias = random_keras_weights(GRU)
    model = GRU.from_keras(kernel, recurrent, bias)
    np.testing.assert_array_equal(model.params["weight_ih_l0"][:4], kernel[:, 4:8].T)
    np.testing.assert_array_equal(model.params["bias_hh_l0"][4:8], bias[1, :4])


def test_keras_without_bias_and_dtype():
    kernel, recurrent, _ = random_keras_weights(LSTM)
    model = LSTM.from_keras(kernel.astype(np.float32), recurrent.astype(np.float32), None)
    assert model.dtype == np.float32 and not model.params["bias_ih_l0"].any()
    k, r, b = model.to_keras()
    assert k.dtype == r.dtype == b.dtype == np.float32


@pytest.mark.parametrize("model_class", [LSTM, GRU, RNN])
def test_state_dict_round_trip_and_npz(model_class, tmp_path):
    model = model_class(3, 4, num_layers=2, seed=5)
    state = model.state_dict()
    assert list(state) == list(model.param_shapes())
    state["weight_hh_l0"][0, 0] = 99  # a copy: the model is unchanged
    assert model.params["weight_hh_l0"][0, 0] != 99
    path = tmp_path / "weights.npz"
    np.savez(path, **model.state_dict())
    for loaded in (model_class.from_torch(model.state_dict()), model_class.from_torch(path),
                   model_class.from_torch(str(path))):
        assert loaded.num_layers == 2 and loaded.dtype == np.float32
        for name, value in model.params.items():
            np.testing.assert_array_equal(loaded.params[name], value)


def test_peephole_state_dict_round_trip():
    model = LSTM(3, 4, peephole=True, seed=6, dtype="float64")
    loaded = LSTM.from_torch(model.state_dict())
    assert loaded.variant.peephole
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    np.testing.assert_array_equal(loaded.forward(x).h, model.forward(x).h)


def test_from_torch_explicit_dtype_converts():
    model = LSTM.from_torch(LSTM(3, 4, dtype="float64").state_dict(), dtype="float32")
    assert model.dtype == np.float32
    assert all(value.dtype == np.float32 for value in model.params.values())


def test_to_keras_of_a_stacked_layer():
    model = LSTM(3, 4, num_layers=2, dtype="float64")
    kernel, recurrent, bias = model.to_keras(layer=1)
    assert kernel.shape == (4, 16)
    np.testing.assert_array_equal(kernel, model.params["weight_ih_l1"].T)
    np.testing.assert_array_equal(bias, model.params["bias_ih_l1"] + model.params["bias_hh_l1"])
