"""The arrays a model keeps between calls (``BufferPool``) are reused only when nothing
else refers to them: a trace, a gradient or a view the caller holds never changes under a
later call, and reuse does happen once they are gone."""

from __future__ import annotations

import copy
import pickle
import threading

import numpy as np
import pytest

from lstmfigs.sim import GRU, LSTM, RNN
from lstmfigs.sim._base import BufferPool

MODELS = {
    "lstm": lambda: LSTM(3, 5, dtype="float64", seed=1),
    "lstm-peephole-proj": lambda: LSTM(3, 5, peephole=True, proj_size=2, num_layers=2,
                                       dtype="float64", seed=2),
    "gru": lambda: GRU(3, 5, num_layers=2, bidirectional=True, dtype="float64", seed=3),
    "rnn": lambda: RNN(3, 5, dtype="float64", seed=4),
}


def arrays_of(trace: object) -> dict[str, np.ndarray]:
    return {f"{k}.{name}": value.copy() for k, unit in enumerate(trace.layers)  # type: ignore[attr-defined]
            for name, value in vars(unit).items() if isinstance(value, np.ndarray)}


@pytest.mark.parametrize("name", MODELS)
def test_a_held_trace_and_its_gradients_never_change(name):
    model = MODELS[name]()
    x1, x2 = (np.random.default_rng(seed).standard_normal((7, 2, 3)) for seed in (1, 2))
    first = model.forward(x1)
    before = arrays_of(first)
    dh = np.random.default_rng(3).standard_normal(first.output.shape)
    grads = model.backward(first, dh)
    grads_before = {key: value.copy() for key, value in grads.params.items()}
    x_grad, norms = grads.x.copy(), grads.dh_norm.copy()
    second = model.forward(x2)
    model.backward(second, dh)
    after = arrays_of(first)
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)
    for key, value in grads.params.items():
        np.testing.assert_array_equal(value, grads_before[key], err_msg=key)
    np.testing.assert_array_equal(grads.x, x_grad)
    np.testing.assert_array_equal(grads.dh_norm, norms)
    # And the second call computed its own values, as a fresh model does.
    fresh = MODELS[name]().forward(x2)
    np.testing.assert_array_equal(second.output, fresh.output)


def test_a_held_view_keeps_its_array():
    model = LSTM(3, 5, dtype="float64")
    x1, x2 = (np.random.default_rng(seed).standard_normal((6, 2, 3)) for seed in (1, 2))
    gates_at_2 = model.forward(x1).gates[2]  # the trace is gone, a view of its array is not
    kept = gates_at_2.copy()
    model.forward(x2)
    np.testing.assert_array_equal(gates_at_2, kept)


def test_arrays_are_reused_once_released():
    model = LSTM(3, 5, dtype="float64")
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    address = model.forward(x).layers[0].gates.ctypes.data
    assert model.forward(x).layers[0].gates.ctypes.data == address
    held = model.forward(x)
    assert model.forward(x).layers[0].gates.ctypes.data != held.layers[0].gates.ctypes.data
    assert model._buffers.nbytes > 0
    model.release_buffers()
    assert model._buffers.nbytes == 0


def test_repeated_calls_give_identical_results():
    model = LSTM(3, 5, peephole=True, dtype="float32", seed=5)
    x = np.random.default_rng(0).standard_normal((40, 3, 3)).astype(np.float32)
    dh = np.random.default_rng(1).standard_normal((40, 3, 5)).astype(np.float32)
    runs = []
    for _ in range(3):
        grads = model.backward(model.forward(x), dh)
        runs.append((grads.x.copy(), {k: v.copy() for k, v in grads.params.items()}))
    for x_grad, params in runs[1:]:
        np.testing.assert_array_equal(x_grad, runs[0][0])
        for key, value in params.items():
            np.testing.assert_array_equal(value, runs[0][1][key])


def test_copies_and_pickles_do_not_share_or_carry_buffers():
    model = LSTM(3, 5, dtype="float64")
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    model.forward(x)
    for clone in (copy.copy(model), copy.deepcopy(model), pickle.loads(pickle.dumps(model)),
                  model.astype("float32")):
        assert clone._buffers is not model._buffers
        assert clone._buffers.nbytes == 0


def test_pool_hands_an_array_to_one_taker_at_a_time():
    pool = BufferPool()
    taken: list[np.ndarray] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        barrier.wait()
        taken.append(pool.take("a", (10,), np.dtype("float64")))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({array.ctypes.data for array in taken}) == 4
