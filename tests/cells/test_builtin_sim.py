"""The hand-written models of lstmfigs.sim equal their definitions (issue 11 §7: the
condition for keeping them as fast paths).

``sim.LSTM`` with each of its Greff flags (and without biases), ``sim.GRU`` and ``sim.RNN``
(tanh and relu), two layers, float64 (a few in float32 too, to float32 rounding): the
definition loads the model's ``state_dict()`` through
``Cell.from_torch`` and must give the same output, final states and gradients (inputs,
initial states, every parameter) to 1e-12.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lstmfigs import cells, sim
from lstmfigs.sim.lstm import GREFF_VARIANTS

from .test_builtin_torch import expected_param_gradients

#: lstmfigs.sim's Greff flag sets -> the built-in definitions.
GREFF_CELLS = {"V": "lstm-peephole", "NIG": "lstm-nig", "NFG": "lstm-nfg", "NOG": "lstm-nog",
               "NIAF": "lstm-niaf", "NOAF": "lstm-noaf", "NP": "lstm-np", "CIFG": "lstm-cifg"}
STEPS, BATCH, INPUTS, HIDDEN, LAYERS = 6, 3, 4, 5, 2


def _models() -> list[Any]:
    found = [pytest.param("lstm", sim.LSTM, "ifgo", {}, id="lstm"),
             pytest.param("gru", sim.GRU, "rzn", {}, id="gru"),
             pytest.param("rnn", sim.RNN, "h", {}, id="rnn"),
             pytest.param("rnn-relu", sim.RNN, "h", {"nonlinearity": "relu"}, id="rnn-relu")]
    for code, flags in GREFF_VARIANTS.items():
        found.append(pytest.param(GREFF_CELLS[code], sim.LSTM, "ifgo", flags,
                                  id=GREFF_CELLS[code]))
    found += [pytest.param("lstm", sim.LSTM, "ifgo", {"bias": False}, id="lstm-nobias"),
              pytest.param("gru", sim.GRU, "rzn", {"dtype": "float32"}, id="gru-float32"),
              pytest.param("lstm-cifg", sim.LSTM, "ifgo", {**GREFF_VARIANTS["CIFG"],
                                                           "dtype": "float32"},
                           id="lstm-cifg-float32")]
    return found


def test_every_flag_set_of_sim_lstm_has_a_definition() -> None:
    assert set(GREFF_VARIANTS) == set(GREFF_CELLS)
    assert set(GREFF_CELLS.values()) <= set(cells.names())


@pytest.mark.parametrize(("name", "model_class", "blocks", "flags"), _models())
def test_sim_model_equals_its_definition(name: str, model_class: Any, blocks: str,
                                         flags: dict[str, Any]) -> None:
    flags = {"dtype": "float64", **flags}
    reference = model_class(INPUTS, HIDDEN, num_layers=LAYERS, seed=5, **flags)
    dtype = np.dtype(flags["dtype"])
    # Wider weights than the default init (rows of absent gates stay zero): gates saturate.
    reference.load_state_dict({key: 2.5 * value for key, value in
                               reference.state_dict().items()})
    model = cells.builtin(name).from_torch(reference.state_dict())
    rng = np.random.default_rng(2)

    def normal(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(dtype)

    x = normal(STEPS, BATCH, INPUTS)
    has_c = model_class is sim.LSTM
    h0, c0 = normal(LAYERS, BATCH, HIDDEN), normal(LAYERS, BATCH, HIDDEN)
    dh = normal(STEPS, BATCH, HIDDEN)
    dh_n, dc_n = normal(LAYERS, BATCH, HIDDEN), normal(LAYERS, BATCH, HIDDEN)
    # float32: the two compute in different orders (sim's fused gates, sigmoid via tanh).
    tol = {"rtol": 0, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}

    if has_c:
        expected = reference.forward(x, h0, c0)
        initial, d_final = {"h": h0, "c": c0}, {"h": dh_n, "c": dc_n}
    else:
        expected = reference.forward(x, h0)
        initial, d_final = {"h": h0}, {"h": dh_n}
    trace = model.forward(x, initial=initial)
    np.testing.assert_allclose(trace.output, expected.output, **tol)
    np.testing.assert_allclose(trace.final["h"], expected.h_n, **tol)
    if has_c:
        np.testing.assert_allclose(trace.final["c"], expected.c_n, **tol)
    for quantity in cells.builtin(name).quantities:
        if hasattr(expected, quantity) and quantity in ("i", "f", "g", "o", "r", "z", "n"):
            np.testing.assert_allclose(trace[quantity], getattr(expected, quantity), **tol,
                                       err_msg=quantity)

    assert trace.output.dtype == dtype
    grads = model.backward(trace, dh, d_final=d_final)
    reference_grads = reference.backward(expected, dh, dh_n, dc_n if has_c else None)
    np.testing.assert_allclose(grads.x, reference_grads.x, **tol)
    np.testing.assert_allclose(grads.initial["h"], reference_grads.h0, **tol)
    if has_c:
        np.testing.assert_allclose(grads.initial["c"], reference_grads.c0, **tol)
    expected_params = expected_param_gradients(reference_grads.params, blocks,
                                               set(model.params))
    # Without biases in sim, the definition's are zeros that sim has no gradient for.
    compared = set(model.params) if flags.get("bias", True) else {
        key for key in model.params if not key.startswith("b_")}
    assert set(expected_params) == compared
    for key, value in expected_params.items():
        np.testing.assert_allclose(grads.params[key], value, **tol, err_msg=key)
