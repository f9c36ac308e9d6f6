"""The torch.nn options of the simulator that a torch comparison alone does not pin down:
layouts (batch_first, unbatched), the reverse direction's trace in natural time, dropout
only when training and reproducible from its seed, cells as one-step networks."""

from __future__ import annotations

import numpy as np
import pytest

from lstmfigs.sim import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

RNG = np.random.default_rng(0)
X = RNG.standard_normal((7, 3, 4))


@pytest.mark.parametrize("model_class", [LSTM, GRU, RNN])
def test_batch_first_and_unbatched_are_layouts_of_the_same_run(model_class):
    plain = model_class(4, 5, num_layers=2, bidirectional=True, dtype="float64", seed=1)
    batch_first = model_class.from_torch(plain.state_dict(), batch_first=True)
    reference = plain.forward(X)
    swapped = batch_first.forward(X.transpose(1, 0, 2).copy())
    np.testing.assert_array_equal(swapped.output, reference.output.transpose(1, 0, 2))
    np.testing.assert_array_equal(swapped.h_n, reference.h_n)  # states stay (units, B, H)
    single = plain.forward(X[:, 1])
    assert single.output.shape == (7, 10) and single.h_n.shape == (4, 5)
    np.testing.assert_allclose(single.output, reference.output[:, 1], atol=1e-14)
    grads = plain.backward(single, np.ones((7, 10)))
    assert grads.x.shape == (7, 4) and grads.h0.shape == (4, 5)


def test_reverse_direction_is_stored_in_natural_time():
    model = LSTM(4, 5, bidirectional=True, dtype="float64", seed=2)
    trace = model.forward(X)
    forward_unit, reverse_unit = trace.layers
    assert reverse_unit.reverse and not forward_unit.reverse
    twin = LSTM(4, 5, dtype="float64")
    twin.params = {name.replace("_reverse", ""): value for name, value in model.params.items()
                   if name.endswith("_reverse")}
    reversed_run = twin.forward(X[::-1].copy())
    np.testing.assert_allclose(reverse_unit.h, reversed_run.h[::-1], atol=1e-15)
    np.testing.assert_allclose(reverse_unit.f, reversed_run.f[::-1], atol=1e-15)
    np.testing.assert_allclose(reverse_unit.x, X, atol=0)
    # h_n holds each direction's last state: the reverse one's is at t = 0.
    np.testing.assert_array_equal(trace.h_n[1], reverse_unit.h[0])
    np.testing.assert_array_equal(trace.output[..., 5:], reverse_unit.h)
    assert trace.h is forward_unit.h


def test_trace_free_run_of_every_option_gives_the_same_states():
    model = LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3, dtype="float64", seed=3)
    full, light = model.forward(X), model.forward(X, trace=False)
    assert light.layers == [] and light.output is None
    np.testing.assert_array_equal(light.h_n, full.h_n)
    np.testing.assert_array_equal(light.c_n, full.c_n)


def test_projection_shapes():
    model = LSTM(4, 6, proj_size=2, num_layers=2, dtype="float64")
    trace = model.forward(X)
    assert trace.h.shape == (7, 3, 2) and trace.c.shape == (7, 3, 6) and trace.f.shape == (7, 3, 6)
    np.testing.assert_allclose(
        trace.h, trace.layers[1].unprojected @ model.params["weight_hr_l1"].T, atol=1e-14
    )
    _, norms = model.jacobian_norms(trace)
    np.testing.assert_allclose(norms[0], np.sqrt(2))


def test_dropout_only_when_training_and_reproducible():
    model = GRU(4, 8, num_layers=3, dropout=0.25, dtype="float64", seed=4)
    plain = GRU.from_torch(model.state_dict())
    np.testing.assert_array_equal(model.forward(X).output, plain.forward(X).output)
    first = model.forward(X, training=True, seed=5)
    again = model.forward(X, training=True, seed=5)
    other = model.forward(X, training=True, seed=6)
    assert len(first.dropout) == 2
    np.testing.assert_array_equal(first.output, again.output)
    assert not np.array_equal(first.output, other.output)
    masks = np.stack(first.dropout)
    assert set(np.unique(masks)) == {0.0, 1 / 0.75}
    assert abs((masks == 0).mean() - 0.25) < 0.05
    np.testing.assert_array_equal(first.layers[1].x, first.layers[0].h * first.dropout[0])


@pytest.mark.parametrize("cell_class,network", [(LSTMCell, LSTM), (GRUCell, GRU), (RNNCell, RNN)])
def test_cells_are_one_layer_networks(cell_class, network):
    cell = cell_class(4, 5, dtype="float64", seed=7)
    assert set(cell.params) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    twin = network.from_torch({f"{name}_l0": value for name, value in cell.state_dict().items()})
    assert type(network.from_torch(cell.state_dict())) is cell_class
    np.testing.assert_array_equal(cell.forward(X).output, twin.forward(X).output)
    step = cell.step(X[0])
    h = step[0] if isinstance(step, tuple) else step
    np.testing.assert_array_equal(h, twin.forward(X[:1]).h[0])
    no_bias = cell_class(4, 5, bias=False)
    assert set(no_bias.params) == {"weight_ih", "weight_hh"}


def test_relu_rnn_differs_from_tanh_and_is_what_the_option_says():
    tanh = RNN(4, 5, dtype="float64", seed=8)
    relu = RNN.from_torch(tanh.state_dict(), nonlinearity="relu")
    trace = relu.forward(X)
    np.testing.assert_array_equal(trace.h, np.maximum(trace.preact, 0))
    assert not np.allclose(trace.h, tanh.forward(X).h)


def test_keras_activations_are_computed_exactly():
    # hard_sigmoid is Keras 3's relu6(x + 3) / 6, not Keras 2's clip(0.2 x + 0.5, 0, 1).
    model = LSTM(
        4, 5, activation="relu", recurrent_activation="hard_sigmoid", dtype="float64", seed=9
    )
    trace = model.forward(X * 3)
    hard = np.clip((trace.preact + 3) / 6, 0, 1)
    np.testing.assert_array_equal(trace.i, hard[..., :5])
    np.testing.assert_array_equal(trace.o, hard[..., 15:])
    np.testing.assert_array_equal(trace.g, np.maximum(trace.preact[..., 10:15], 0))
    np.testing.assert_array_equal(trace.h, trace.o * np.maximum(trace.c, 0))
    assert ((trace.i == 0) | (trace.i == 1)).any()  # the test reaches the flat parts


@pytest.mark.torch
def test_live_keras_activations_match_keras():
    torch = pytest.importorskip("torch")
    import os
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("needs Keras on the torch backend")
    torch.manual_seed(0)
    x = np.random.default_rng(1).standard_normal((3, 6, 4)).astype("float32") * 2  # (B, T, I)
    for layer_class, ours, options in (
        (keras.layers.LSTM, LSTM, {"activation": "relu", "recurrent_activation": "hard_sigmoid"}),
        (keras.layers.LSTM, LSTM, {"activation": "linear", "recurrent_activation": "tanh"}),
        (keras.layers.GRU, GRU, {"activation": "relu", "recurrent_activation": "hard_sigmoid"}),
        (keras.layers.SimpleRNN, RNN, {"activation": "sigmoid"}),
    ):
        layer = layer_class(5, return_sequences=True, **options)
        expected = np.asarray(layer(x).detach().cpu().numpy())
        kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
        if ours is RNN:
            model = RNN.from_keras(
                kernel, recurrent, bias, nonlinearity=options["activation"], batch_first=True
            )
        else:
            model = ours.from_keras(kernel, recurrent, bias, batch_first=True, **options)
        np.testing.assert_allclose(
            model.forward(x).output, expected, atol=2e-6, err_msg=str(options)
        )
