"""Data figures of a user's own model: gate-heatmaps and gradient-decay for LSTM (including
a real torch file with proj_size, 2 layers, bidirectional), GRU and RNN models, and the
dynamics dashboard and gate saturation of GRU and RNN models, from the API and the CLI, with
the numbers checked against the simulator's traces and the frameworks' saved outputs."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs import catalog
from lstmfigs.checks import layout_problems
from lstmfigs.cli import main
from lstmfigs.errors import LstmfigsError
from lstmfigs.loader import Inputs, Weights, load_model
from lstmfigs.sim import GRU, LSTM, RNN
from lstmfigs.themes import theme_context
from tests.helpers import FIXTURES

FILES = FIXTURES / "weights"
with np.load(FILES / "expected.npz") as _archive:
    EXPECTED = {key: _archive[key] for key in _archive.files}


def clean(fig, theme: str = "paper") -> None:
    with theme_context(theme):
        assert layout_problems(fig) == []


@pytest.mark.parametrize("model,panels", [
    (GRU(5, 6, seed=1), ("r", "z", "n", "h")),
    (RNN(5, 7, seed=2), ("a", "h")),
])
def test_gru_and_rnn_gate_heatmaps_show_their_own_gates(model, panels):
    weights = (
        Weights(model.state_dict(), nonlinearity="relu")
        if isinstance(model, RNN)
        else model.state_dict()
    )
    data = lstmfigs.data("gate-heatmaps", weights=weights)
    built = load_model(weights)
    trace = built.forward(np.asarray(data["x"])[:, None, :])
    for name in panels:
        expected = trace.preact if name == "a" else getattr(trace, name)
        # batch 1 vs 64: BLAS rounding
        np.testing.assert_allclose(data[name], expected[:, 0], atol=1e-6, err_msg=name)
    assert "f" not in data and int(data["symbol_step"]) == 0
    for theme in ("paper", "slides"):
        clean(lstmfigs.figure("gate-heatmaps", theme=theme, weights=weights), theme)


@pytest.mark.parametrize(
    "model", [LSTM(5, 6, seed=3, forget_bias=1.0), GRU(5, 4, seed=4), RNN(5, 4, seed=5)]
)
def test_gradient_decay_of_a_users_model_is_the_whole_state_jacobian(model):
    x = np.random.default_rng(0).standard_normal((30, 3, 5))
    data = lstmfigs.data("gradient-decay", weights=model.state_dict(), inputs=x)
    reference = model.astype("float64")
    # The inputs are read in the model's dtype (float32), the Jacobians taken in float64.
    _, norms = reference.jacobian_norms(
        reference.forward(x.astype(np.float32).astype(np.float64)), whole_state=True
    )
    np.testing.assert_allclose(data["whole"], np.median(norms, axis=1), rtol=1e-12)
    assert ("via_h" in data) == isinstance(model, LSTM)
    if isinstance(model, LSTM):
        assert np.all(data["whole"][1:] >= data["via_h"][1:])
    clean(lstmfigs.figure("gradient-decay", theme="paper", weights=model.state_dict(), inputs=x))


def test_torch_file_renders_from_the_cli_and_matches_torch(tmp_path):
    pytest.importorskip("torch")
    np.save(tmp_path / "x.npy", EXPECTED["torch/x"])
    runner = CliRunner()
    args = [
        "--weights",
        str(FILES / "torch_model.pt"),
        "--input",
        str(tmp_path / "x.npy"),
        "--time-major",
    ]
    result = runner.invoke(
        main,
        [
            "render",
            "gate-heatmaps",
            "gradient-decay",
            *args,
            "--format",
            "png",
            "-o",
            str(tmp_path / "out"),
            "--data",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "gate-heatmaps.npz", "gate-heatmaps.png", "gradient-decay.npz", "gradient-decay.png"]
    with np.load(tmp_path / "out" / "gate-heatmaps.npz") as data:
        # The last layer's forward direction: the first 2 (proj_size) features of torch's output.
        np.testing.assert_allclose(data["h"], EXPECTED["torch/out"][:, 0, :2], atol=2e-6)
        assert data["f"].shape == (7, 5) and data["h"].shape == (7, 2)
    fig = lstmfigs.figure("gate-heatmaps", weights=FILES / "torch_model.pt",
                          inputs=Inputs(EXPECTED["torch/x"], batch_first=False))
    clean(fig)


def test_keras_file_renders_from_the_cli_and_matches_keras(tmp_path):
    """Embedding -> LSTM(hard_sigmoid) -> Dense: the inputs are token ids, looked up in the
    file's embedding; the figures' numbers are Keras' own (h from the layer, the gradient
    norms from torch's autograd through Keras' cell, see tools/make_weight_files.py)."""
    pytest.importorskip("h5py")
    np.save(tmp_path / "ids.npy", EXPECTED["keras/ids"])  # (B, T)
    runner = CliRunner()
    base = ["--weights", str(FILES / "keras_model.keras"), "--input", str(tmp_path / "ids.npy")]
    result = runner.invoke(main, ["render", "gate-heatmaps", *base, "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "say which with --time-major or --batch-first" in result.output
    result = runner.invoke(main, ["render", "gate-heatmaps", "gradient-decay", *base,
                                  "--batch-first", "--format", "png", "--data",
                                  "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "out" / "gate-heatmaps.npz") as data:
        np.testing.assert_allclose(data["h"], EXPECTED["keras/lstm"][0], atol=2e-6)
        np.testing.assert_allclose(data["x"], EXPECTED["keras/embedded"][0], atol=0)
    with np.load(tmp_path / "out" / "gradient-decay.npz") as data:
        np.testing.assert_allclose(data["whole"], np.median(EXPECTED["keras/whole"], axis=1),
                                   rtol=1e-5)
        np.testing.assert_allclose(data["via_h"], np.median(EXPECTED["keras/via_h"], axis=1),
                                   rtol=1e-5)


def _saturating(model):
    """``model`` with its weights scaled up, so that its gates and tanh layers saturate."""
    model.load_state_dict({key: value * 6 for key, value in model.state_dict().items()})
    return model


@pytest.mark.parametrize("model", [_saturating(GRU(5, 6, seed=1)), _saturating(RNN(5, 7, seed=2))],
                         ids=["gru", "rnn"])
def test_gru_and_rnn_dashboards_show_the_simulators_traces(model):
    x = np.random.default_rng(1).standard_normal((20, 3, 5)).astype(np.float32)
    data = lstmfigs.data("dynamics-dashboard", weights=model.state_dict(), inputs=x)
    trace = model.forward(x)
    gru = isinstance(model, GRU)
    quantities = {name: (trace.preact if name == "a" else getattr(trace, name))[:, 0]
                  for name in (("r", "z", "n", "h") if gru else ("a", "h"))}
    assert not {"f", "i", "o", "c"} & set(data)
    for name, expected in quantities.items():
        np.testing.assert_allclose(data[name], expected, rtol=1e-6, atol=1e-7, err_msg=name)
    for name in ("r", "z", "n") if gru else ("a",):
        np.testing.assert_allclose(data[f"{name}_mean"], quantities[name].mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(data["h_norm"], np.linalg.norm(quantities["h"], axis=1), rtol=1e-6)
    second = "n" if gru else "a"
    for name in ("h", second):  # the four units that vary most, in unit order
        spread = quantities[name].std(axis=0)
        assert set(data[f"traced_{name}_units"]) == set(np.argsort(-spread)[:4])
    summary = catalog.get("dynamics-dashboard").load_summary()(data)
    assert summary["units"] == model.hidden_size and summary["steps"] == 20
    assert summary["h_final_max"] == pytest.approx(quantities["h"][-1].max(), rel=1e-3)
    assert summary[f"{second}_mean"] == pytest.approx(quantities[second].mean(), rel=1e-3, abs=1e-6)
    for theme in ("paper", "slides"):
        clean(
            lstmfigs.figure(
                "dynamics-dashboard", theme=theme, weights=model.state_dict(), inputs=x
            ),
            theme,
        )


@pytest.mark.parametrize("model", [_saturating(GRU(5, 6, seed=1)), _saturating(RNN(5, 7, seed=2))],
                         ids=["gru", "rnn"])
def test_gru_and_rnn_gate_saturation_counts_the_simulators_values(model):
    """Gates within 0.1 of 0 or 1, a tanh layer (GRU's n, RNN's h) within 0.1 of -1 or 1."""
    x = np.random.default_rng(2).standard_normal((30, 4, 5)).astype(np.float32)
    data = lstmfigs.data("gate-saturation", weights=model.state_dict(), inputs=x)
    trace = model.forward(x)
    panels = (
        {"r": (0.1, 0.9), "z": (0.1, 0.9), "n": (-0.9, 0.9)}
        if isinstance(model, GRU)
        else {"h": (-0.9, 0.9)}
    )
    assert sorted(key[:-5] for key in data if key.endswith("_high")) == sorted(panels)
    for name, (low, high) in panels.items():
        values = getattr(trace, name).reshape(-1, model.hidden_size)
        np.testing.assert_array_equal(data[f"{name}_low"], (values < low).mean(axis=0))
        np.testing.assert_array_equal(data[f"{name}_high"], (values > high).mean(axis=0))
        assert bool(data.get(f"{name}_signed", False)) == (low < 0)
    assert any(data[f"{name}_low"].max() > 0 and data[f"{name}_high"].max() > 0 for name in panels)
    summary = catalog.get("gate-saturation").load_summary()(data)
    name, (low, _) = next(iter(panels.items()))
    assert summary[f"{name}_units_mostly_below_{low:g}"] == int((data[f"{name}_low"] > 0.5).sum())
    for theme in ("paper", "slides"):
        clean(
            lstmfigs.figure("gate-saturation", theme=theme, weights=model.state_dict(), inputs=x),
            theme,
        )


def test_gate_saturation_shows_only_what_saturates():
    """A relu candidate has no panel; a relu RNN has nothing to show and says so."""
    kernel, recurrent, bias = GRU(5, 4, seed=3).to_keras()  # Keras weights say no activation
    keras = {"gru/kernel:0": kernel, "gru/recurrent_kernel:0": recurrent, "gru/bias:0": bias}
    data = lstmfigs.data("gate-saturation", weights=Weights(keras, activation="relu"))
    assert "r_high" in data and "z_high" in data and "n_high" not in data
    with pytest.raises(LstmfigsError, match="nothing that saturates"):
        lstmfigs.data(
            "gate-saturation", weights=Weights(RNN(5, 4).state_dict(), nonlinearity="relu")
        )


def test_gru_dashboard_and_saturation_from_the_cli(tmp_path):
    weights = tmp_path / "gru.npz"
    np.savez(weights, **_saturating(GRU(5, 6, seed=1)).state_dict())
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "render",
            "dynamics-dashboard",
            "gate-saturation",
            "--weights",
            str(weights),
            "--format",
            "png",
            "--data",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "r_mean:" in result.output and "n_units_mostly_above_0.9:" in result.output
    with np.load(out / "gate-saturation.npz") as written:
        api = lstmfigs.data("gate-saturation", weights=weights)
        assert set(written.files) == set(api)
        for key in api:
            np.testing.assert_array_equal(written[key], api[key])
