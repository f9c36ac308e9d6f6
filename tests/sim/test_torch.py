"""lstmfigs.sim against PyTorch: committed fixtures (always) and a live comparison (when
torch is installed).  Fixtures come from tools/make_torch_fixtures.py."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from lstmfigs.sim import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from tests.helpers import FIXTURES, ROOT

FIXTURE = FIXTURES / "torch_reference.npz"
MODELS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
CLASSES = {cls.__name__: cls for cls in (LSTM, GRU, RNN, LSTMCell, GRUCell, RNNCell)}
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


def case_options(case: dict[str, np.ndarray]) -> dict:
    return json.loads(str(case["options"]))


def run_case(case: dict[str, np.ndarray]) -> tuple:
    options = case_options(case)
    model_class = CLASSES[options.pop("model")]
    seed = options.pop("seed", 0)
    params = {
        key.removeprefix("param/"): value for key, value in case.items() if key.startswith("param/")
    }
    model = model_class.from_torch(params, **options)
    cell = model.has_cell
    states = (case["h0"], case["c0"]) if cell else (case["h0"],)
    trace = model.forward(case["x"], *states, training="dropout" in options, seed=seed)
    grads = model.backward(
        trace, case["dh"], dh_n=case["dh_n"], **({"dc_n": case["dc_n"]} if cell else {})
    )
    return model, trace, grads


def max_errors(case: dict[str, np.ndarray]) -> dict[str, float]:
    """Largest absolute difference from PyTorch of every compared quantity."""
    model, trace, grads = run_case(case)
    pairs = {"h": (trace.output, case["out/h"]), "h_n": (trace.h_n, case["out/h_n"]),
             "grad x": (grads.x, case["grad/x"]), "grad h0": (grads.h0, case["grad/h0"])}
    if model.has_cell:
        pairs["c_n"] = (trace.c_n, case["out/c_n"])
        pairs["grad c0"] = (grads.c0, case["grad/c0"])
    if "dropout" in case:
        pairs["dropout masks"] = (np.stack(trace.dropout), case["dropout"])
    assert set(grads.params) == set(model.params) == {
        key.removeprefix("param/") for key in case if key.startswith("param/")}
    for name in model.params:
        pairs[f"grad {name}"] = (grads.params[name], case[f"grad/{name}"])
    errors = {}
    for label, (ours, theirs) in pairs.items():
        assert ours.dtype == theirs.dtype, label  # no silent upcasting
        assert ours.shape == theirs.shape, label
        scale = max(1.0, float(np.abs(theirs).max()))
        errors[label] = float(np.abs(ours - theirs).max()) / scale
    return errors


def assert_matches_torch(case: dict[str, np.ndarray]) -> None:
    tolerance = TOLERANCE[case["x"].dtype]
    for label, error in max_errors(case).items():
        assert error <= tolerance, (label, error)


def test_fixture_records_torch_version():
    with np.load(FIXTURE) as archive:
        assert str(archive["torch_version"]).startswith("2.13.0")
    assert set(CASES) >= {
        "lstm_f64",
        "lstm_f32",
        "lstm2_f64",
        "gru_f64",
        "gru2_f32",
        "rnn_f64",
        "rnn2_f32",
        "lstm-proj-bi2_f64",
        "rnn-relu2_f64",
        "lstm-dropout3_f64",
        "lstmcell_f64",
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_fixture(name):
    assert_matches_torch(CASES[name])


def test_fixture_comparison_detects_a_wrong_model():
    # The comparison must be able to fail: changing only b_hn (which sits inside
    # r * (W_hn h + b_hn)) must move the outputs away from PyTorch's.
    case = CASES["gru_f64"]
    params = {
        key.removeprefix("param/"): value for key, value in case.items() if key.startswith("param/")
    }
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
        np.testing.assert_allclose(
            grads.params[name], parameter.grad.numpy(), atol=1e-12, err_msg=name
        )


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


def fixture_tool():
    """tools/make_torch_fixtures.py as a module (it imports torch)."""
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("make_torch_fixtures",
                                                  ROOT / "tools" / "make_torch_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.torch
@pytest.mark.parametrize(
    "name",
    [
        "lstm-proj-bi2_f64",
        "lstm-nobias-bf_f64",
        "lstm-unbatched-bi_f64",
        "gru-bi2_f64",
        "rnn-relu2_f64",
        "lstm-dropout3_f64",
        "gru-dropout-bi2_f64",
        "lstmcell_f64",
        "grucell-nobias_f64",
    ],
)
def test_live_torch_options(name):
    # The fixture generator run live, on other random weights and inputs.
    tool = fixture_tool()
    import torch
    torch.manual_seed(1234)
    assert_matches_torch(tool.make_case(*tool.CASES[name]))


@pytest.mark.torch
def test_live_cell_step_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    for torch_cell, ours, has_c in (
        (torch.nn.LSTMCell, LSTMCell, True),
        (torch.nn.GRUCell, GRUCell, False),
        (torch.nn.RNNCell, RNNCell, False),
    ):
        net = torch_cell(3, 4).double()
        model = ours.from_torch(net.state_dict())
        assert type(model) is ours
        for x in (torch.randn(2, 3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)):
            h = torch.randn(*x.shape[:-1], 4, dtype=torch.float64)
            if has_c:
                c = torch.randn_like(h)
                expected = net(x, (h, c))
                got = model.step(x.numpy(), (h.numpy(), c.numpy()))
            else:
                expected, got = (net(x, h),), (model.step(x.numpy(), h.numpy()),)
            for theirs, mine in zip(expected, got, strict=True):
                np.testing.assert_allclose(mine, theirs.detach().numpy(), atol=1e-13)


@pytest.mark.torch
def test_live_named_parameters_and_bfloat16():
    torch = pytest.importorskip("torch")
    net = torch.nn.LSTM(3, 4, num_layers=2)
    model = LSTM.from_torch(dict(net.named_parameters()))  # Parameters that require grad
    np.testing.assert_array_equal(model.params["weight_hh_l1"], net.weight_hh_l1.detach().numpy())
    half = net.to(torch.bfloat16)
    model = LSTM.from_torch(half.state_dict())
    assert model.dtype == np.float32  # bfloat16 values are exact in float32
    np.testing.assert_array_equal(
        model.params["weight_ih_l0"], half.weight_ih_l0.detach().float().numpy()
    )


def test_fixture_comparison_detects_a_wrong_projection_or_direction():
    case = CASES["lstm-proj-bi2_f64"]
    baseline = max_errors(case)
    assert max(baseline.values()) < 1e-12
    for name in ("param/weight_hr_l1_reverse", "param/bias_hh_l0_reverse"):
        broken = dict(case)
        broken[name] = case[name] + 1e-3
        errors = max_errors(broken)
        assert errors["h"] > 1e-6, name
