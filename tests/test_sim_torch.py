"""lstmfigs.sim against PyTorch: committed fixtures (always) and a live comparison (when
torch is installed).  Fixtures come from tools/make_torch_fixtures.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstmfigs.sim import GRU, LSTM, RNN

FIXTURE = Path(__file__).parent / "fixtures" / "torch_reference.npz"
MODELS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
TOLERANCE = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 2e-5}


def load_cases() -> dict[str, dict[str, np.ndarray]]:
    cases: dict[str, dict[str, np.ndarray]] = {}
    with np.load(FIXTURE) as archive:
        for key in archive.files:
            if "/" in key:
                case, rest = key.split("/", 1)
                cases.setdefault(case, {})[rest] = archive[key]
    return cases


CASES = load_cases()


def run_case(case: dict[str, np.ndarray], model_class: type) -> tuple:
    params = {key.removeprefix("param/"): value for key, value in case.items() if key.startswith("param/")}
    model = model_class.from_torch(params)
    cell = model_class is LSTM
    states = (case["h0"], case["c0"]) if cell else (case["h0"],)
    trace = model.forward(case["x"], *states)
    grads = model.backward(trace, case["dh"], dh_n=case["dh_n"], **({"dc_n": case["dc_n"]} if cell else {}))
    return model, trace, grads


def assert_matches_torch(case: dict[str, np.ndarray], model_class: type) -> None:
    model, trace, grads = run_case(case, model_class)
    tolerance = TOLERANCE[model.dtype]
    pairs = {"h": (trace.h, case["out/h"]), "h_n": (trace.h_n, case["out/h_n"]),
             "grad x": (grads.x, case["grad/x"]), "grad h0": (grads.h0, case["grad/h0"])}
    if model_class is LSTM:
        pairs["c_n"] = (trace.c_n, case["out/c_n"])
        pairs["grad c0"] = (grads.c0, case["grad/c0"])
    for name in model.params:
        pairs[f"grad {name}"] = (grads.params[name], case[f"grad/{name}"])
    for label, (ours, theirs) in pairs.items():
        assert ours.dtype == theirs.dtype, label  # no silent upcasting
        scale = max(1.0, float(np.abs(theirs).max()))
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=tolerance * scale, err_msg=label)


def test_fixture_records_torch_version():
    with np.load(FIXTURE) as archive:
        assert str(archive["torch_version"]).startswith("2.13.0")
    assert set(CASES) >= {"lstm_f64", "lstm_f32", "lstm2_f64", "gru_f64", "gru2_f32", "rnn_f64", "rnn2_f32"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_fixture(name):
    assert_matches_torch(CASES[name], MODELS[name.split("_")[0].rstrip("2")])


def test_fixture_comparison_detects_a_wrong_model():
    # The comparison must be able to fail: changing only b_hn (which sits inside
    # r * (W_hn h + b_hn)) must move the outputs away from PyTorch's.
    case = CASES["gru_f64"]
    params = {key.removeprefix("param/"): value for key, value in case.items() if key.startswith("param/")}
    model = GRU.from_torch(params)
    model.params["bias_hh_l0"][10:] += 0.5  # perturb b_hn only
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(model.forward(case["x"], case["h0"]).h, case["out/h"], atol=1e-6)


@pytest.mark.parametrize("model_name", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 3])
def test_live_torch(model_name, layers):
    torch = pytest.importorskip("torch")
    torch.manual_seed(layers)
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[model_name]
    steps, batch, inputs, hidden = 9, 4, 3, 6
    net = module(inputs, hidden, num_layers=layers).double()
    cell = model_name == "lstm"
    x = torch.randn(steps, batch, inputs, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(layers, batch, hidden, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(layers, batch, hidden, dtype=torch.float64, requires_grad=True)
    dh = torch.randn(steps, batch, hidden, dtype=torch.float64)
    if cell:
        out, _ = net(x, (h0, c0))
    else:
        out, _ = net(x, h0)
    (out * dh).sum().backward()
    model = MODELS[model_name].from_torch(net.state_dict())
    states = (h0.detach().numpy(), c0.detach().numpy()) if cell else (h0.detach().numpy(),)
    trace = model.forward(x.detach().numpy(), *states)
    grads = model.backward(trace, dh.numpy())
    np.testing.assert_allclose(trace.h, out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(grads.x, x.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(grads.h0, h0.grad.numpy(), atol=1e-12)
    if cell:
        np.testing.assert_allclose(grads.c0, c0.grad.numpy(), atol=1e-12)
    for name, parameter in net.named_parameters():
        np.testing.assert_allclose(grads.params[name], parameter.grad.numpy(), atol=1e-12, err_msg=name)


def test_live_torch_loads_our_state_dict():
    torch = pytest.importorskip("torch")
    model = LSTM(3, 4, num_layers=2, seed=5)
    net = torch.nn.LSTM(3, 4, num_layers=2)
    net.load_state_dict({key: torch.from_numpy(value) for key, value in model.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((7, 2, 3)).astype(np.float32)
    expected, (h_n, c_n) = net(torch.from_numpy(x))
    trace = model.forward(x)
    np.testing.assert_allclose(trace.h, expected.detach().numpy(), atol=2e-6)
    np.testing.assert_allclose(trace.c_n, c_n.detach().numpy(), atol=2e-6)
