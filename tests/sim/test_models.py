"""Forward semantics of lstmfigs.sim models beyond PyTorch's: LSTM variants against a
plain per-step reference, dtypes, numerical stability, trace-free long runs, initialisers."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from lstmfigs.sim import GREFF_VARIANTS, GRU, LSTM, RNN


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def reference_lstm(model, x, h0, c0):
    """Textbook per-step loop over the formulas of Greff et al. (2017), one layer."""
    p, v, hidden = model.params, model.variant, model.hidden_size
    h, c, outputs = h0, c0, []
    w_ci = p.get("weight_ci_l0", np.zeros(hidden))
    w_cf = p.get("weight_cf_l0", np.zeros(hidden))
    w_co = p.get("weight_co_l0", np.zeros(hidden))
    for x_t in x:
        a = x_t @ p["weight_ih_l0"].T + p["bias_ih_l0"] + h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
        a_i, a_f, a_g, a_o = np.split(a, 4, axis=-1)
        input_gate = sigmoid(a_i + w_ci * c) if v.input_gate else 1.0
        if v.coupled:
            forget_gate = 1 - input_gate
        else:
            forget_gate = sigmoid(a_f + w_cf * c) if v.forget_gate else 1.0
        candidate = np.tanh(a_g) if v.input_activation else a_g
        c = forget_gate * c + input_gate * candidate
        output_gate = sigmoid(a_o + w_co * c) if v.output_gate else 1.0
        h = output_gate * (np.tanh(c) if v.output_activation else c)
        outputs.append(h)
    return np.stack(outputs), c


@pytest.mark.parametrize("name", sorted(GREFF_VARIANTS))
def test_greff_variants_follow_their_formulas(name):
    model = LSTM.greff(name, 3, 4, dtype="float64", seed=1)
    rng = np.random.default_rng(0)
    for value in model.params.values():  # fill even the rows a variant ignores
        value[...] = rng.uniform(-1, 1, value.shape)
    x, h0, c0 = (
        rng.standard_normal((5, 2, 3)),
        rng.standard_normal((2, 4)),
        rng.standard_normal((2, 4)),
    )
    trace = model.forward(x, h0, c0)
    expected_h, expected_c = reference_lstm(model, x, h0, c0)
    np.testing.assert_allclose(trace.h, expected_h, atol=1e-13)
    np.testing.assert_allclose(trace.c_n[0], expected_c, atol=1e-13)
    assert model.variant.greff_name == name


def test_variant_traces_show_fixed_gates():
    x = np.random.default_rng(0).standard_normal((4, 2, 3))
    assert np.all(LSTM(3, 4, input_gate=False, dtype="float64").forward(x).i == 1)
    assert np.all(LSTM(3, 4, output_gate=False, dtype="float64").forward(x).o == 1)
    trace = LSTM(3, 4, coupled=True, dtype="float64").forward(x)
    np.testing.assert_allclose(trace.f, 1 - trace.i)
    assert not trace.preact[..., 4:8].any()  # the unused forget block


def test_peephole_parameter_names():
    model = LSTM(3, 4, peephole=True, num_layers=2)
    assert {"weight_ci_l0", "weight_cf_l0", "weight_co_l0", "weight_co_l1"} <= set(model.params)
    assert model.params["weight_ci_l1"].shape == (4,)
    assert "weight_ci_l0" not in LSTM(3, 4).params


def test_trace_contents_are_consistent():
    model = LSTM(3, 5, dtype="float64", num_layers=2)
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    trace = model.forward(x)
    for name in ("h", "c", "i", "f", "g", "o"):
        assert getattr(trace, name).shape == (6, 2, 5), name
    assert trace.preact.shape == (6, 2, 20)
    np.testing.assert_allclose(trace.i, sigmoid(trace.preact[..., :5]), atol=1e-15)
    np.testing.assert_allclose(trace.g, np.tanh(trace.preact[..., 10:15]), atol=1e-15)
    np.testing.assert_allclose(trace.h, trace.o * np.tanh(trace.c), atol=1e-15)
    assert len(trace.layers) == 2 and trace.layers[1].x is trace.layers[0].h
    np.testing.assert_array_equal(trace.h_n, np.stack([trace.layers[0].h[-1], trace.h[-1]]))


def test_gru_trace_pieces():
    model = GRU(3, 4, dtype="float64")
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    trace = model.forward(x)
    recurrent_n = trace.preact_h[..., 8:]
    input_n = x @ model.params["weight_ih_l0"][8:].T + model.params["bias_ih_l0"][8:]
    np.testing.assert_allclose(trace.preact[..., 8:], input_n + trace.r * recurrent_n, atol=1e-14)
    np.testing.assert_allclose(trace.n, np.tanh(trace.preact[..., 8:]), atol=1e-15)
    assert trace.c_n is None and trace.z.shape == (5, 2, 4)


@pytest.mark.parametrize("model_class", [LSTM, GRU, RNN])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept_everywhere(model_class, dtype):
    model = model_class(3, 4, dtype=dtype, num_layers=2)
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(dtype)
    trace = model.forward(x)
    grads = model.backward(trace, np.ones((5, 2, 4), dtype))
    arrays = [
        trace.h,
        trace.h_n,
        trace.preact,
        grads.x,
        grads.h0,
        grads.dh_norm,
        *grads.params.values(),
    ]
    arrays += [*model.params.values(), *model.state_dict().values()]
    assert all(array.dtype == np.dtype(dtype) for array in arrays)
    lags, norms = model.jacobian_norms(trace)
    assert norms.dtype == np.dtype(dtype)


def test_float32_and_float64_models_agree():
    x = np.random.default_rng(0).standard_normal((20, 3, 3))
    h32 = LSTM(3, 8, seed=4).forward(x.astype(np.float32)).h
    h64 = LSTM(3, 8, seed=4, dtype="float64").forward(x).h
    np.testing.assert_allclose(h32, h64, atol=1e-5)


@pytest.mark.parametrize("model_class", [LSTM, GRU, RNN])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extreme_preactivations_are_stable(model_class, dtype):
    model = model_class(2, 3, dtype=dtype, **({"peephole": True} if model_class is LSTM else {}))
    x = np.array([[[1e4, -1e4]], [[-1e4, 1e4]], [[3e3, 1e4]], [[0.0, 0.0]]], dtype)
    for value in model.params.values():
        value[...] = np.sign(np.random.default_rng(0).standard_normal(value.shape)) * 50
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        trace = model.forward(x)
        grads = model.backward(trace, np.ones_like(trace.h))
    assert np.isfinite(trace.h).all() and np.isfinite(trace.preact).all()
    assert np.abs(trace.preact).max() > 1e4  # really saturating
    assert all(np.isfinite(g).all() for g in grads.params.values())


@pytest.mark.parametrize("model_class", [LSTM, GRU, RNN])
def test_trace_free_run_matches_traced_run(model_class):
    # Long enough to span several internal time chunks.
    model = model_class(2, 64, num_layers=2, dtype="float64")
    x = np.random.default_rng(0).standard_normal((1500, 3, 2)) * 0.5
    traced, untraced = model.forward(x), model.forward(x, trace=False)
    assert untraced.layers == [] and untraced.h is None
    np.testing.assert_allclose(untraced.h_n, traced.h_n, atol=1e-12)
    if model_class is LSTM:
        np.testing.assert_allclose(untraced.c_n, traced.c_n, atol=1e-12)


MEMORY_PROBE = """
import sys
import numpy as np
from lstmfigs.sim import LSTM

def peak_rss_kb():
    # VmHWM starts afresh at exec (ru_maxrss would inherit the parent's peak).
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

model = LSTM(2, 4, seed=0)
x = np.random.default_rng(0).standard_normal((100_000, 4, 2)).astype(np.float32)
model.forward(x[:20_000], trace=False)  # warm up: imports, allocator pools
before = peak_rss_kb()
trace = model.forward(x, trace=sys.argv[1] == "trace")
assert np.isfinite(trace.h_n).all() and trace.h_n.shape == (1, 4, 4)
print(peak_rss_kb() - before)
"""


@pytest.mark.skipif(
    not os.path.exists("/proc/self/status"), reason="needs Linux /proc for the peak RSS"
)
@pytest.mark.slow
def test_hundred_thousand_steps_in_bounded_memory():
    # A fresh process, so the peak resident size measures this run alone.  A full trace of
    # 10^5 steps holds 7 floats per unit, sample and step: 10^5 * 4 * 28 * 4 B = 45 MB.
    def growth_kb(mode):
        done = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, mode], capture_output=True, text=True, check=True
        )
        return int(done.stdout.strip())

    assert growth_kb("no-trace") < 4_000  # bounded chunks, nothing kept per step
    assert growth_kb("trace") > 30_000  # the probe does see a traced run's memory


def test_pytorch_init_range_and_determinism():
    model = LSTM(3, 16, seed=7, num_layers=2)
    bound = 1 / np.sqrt(16)
    for value in model.params.values():
        assert np.abs(value).max() <= bound and np.abs(value).max() > 0.8 * bound
    again = LSTM(3, 16, seed=7, num_layers=2)
    assert all(np.array_equal(again.params[k], v) for k, v in model.params.items())
    other = LSTM(3, 16, seed=8, num_layers=2)
    assert not np.array_equal(other.params["weight_hh_l0"], model.params["weight_hh_l0"])


def test_forget_bias_sets_the_effective_bias():
    model = LSTM(3, 4, forget_bias=1.0, num_layers=2)
    for layer in range(2):
        np.testing.assert_array_equal(model.params[f"bias_ih_l{layer}"][4:8], 1.0)
        np.testing.assert_array_equal(model.params[f"bias_hh_l{layer}"][4:8], 0.0)
    baseline = LSTM(3, 4)
    np.testing.assert_array_equal(model.params["weight_hh_l0"], baseline.params["weight_hh_l0"])
    np.testing.assert_array_equal(model.params["bias_ih_l0"][:4], baseline.params["bias_ih_l0"][:4])


def test_chrono_init():
    model = LSTM(3, 200, init="chrono", chrono_t_max=50, seed=1)
    forget = model.params["bias_ih_l0"][200:400] + model.params["bias_hh_l0"][200:400]
    inputs = model.params["bias_ih_l0"][:200] + model.params["bias_hh_l0"][:200]
    assert forget.min() >= 0 and forget.max() <= np.log(49) + 1e-6
    assert forget.max() > np.log(40)  # spread over the range, not collapsed
    np.testing.assert_allclose(inputs, -forget)


def test_sim_imports_neither_torch_nor_matplotlib():
    probe = ("import sys, lstmfigs.sim; "
             "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
