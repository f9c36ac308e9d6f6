"""Data figures of a user's own model: gate-heatmaps and gradient-decay for LSTM (including
a real torch file with proj_size, 2 layers, bidirectional), GRU and RNN models, from the
API and the CLI, with the numbers checked against the frameworks' saved outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs.checks import layout_problems
from lstmfigs.cli import main
from lstmfigs.loader import Inputs, Weights, load_model
from lstmfigs.sim import GRU, LSTM, RNN
from lstmfigs.themes import theme_context

FILES = Path(__file__).parent / "fixtures" / "weights"
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
    weights = Weights(model.state_dict(), nonlinearity="relu") if isinstance(model, RNN) else model.state_dict()
    data = lstmfigs.data("gate-heatmaps", weights=weights)
    built = load_model(weights)
    trace = built.forward(np.asarray(data["x"])[:, None, :])
    for name in panels:
        expected = trace.preact if name == "a" else getattr(trace, name)
        np.testing.assert_allclose(data[name], expected[:, 0], atol=1e-6, err_msg=name)  # batch 1 vs 64: BLAS rounding
    assert "f" not in data and int(data["symbol_step"]) == 0
    for theme in ("paper", "slides"):
        clean(lstmfigs.figure("gate-heatmaps", theme=theme, weights=weights), theme)


@pytest.mark.parametrize("model", [LSTM(5, 6, seed=3, forget_bias=1.0), GRU(5, 4, seed=4), RNN(5, 4, seed=5)])
def test_gradient_decay_of_a_users_model_is_the_whole_state_jacobian(model):
    x = np.random.default_rng(0).standard_normal((30, 3, 5))
    data = lstmfigs.data("gradient-decay", weights=model.state_dict(), inputs=x)
    reference = model.astype("float64")
    # The inputs are read in the model's dtype (float32), the Jacobians taken in float64.
    _, norms = reference.jacobian_norms(reference.forward(x.astype(np.float32).astype(np.float64)), whole_state=True)
    np.testing.assert_allclose(data["whole"], np.median(norms, axis=1), rtol=1e-12)
    assert ("via_h" in data) == isinstance(model, LSTM)
    if isinstance(model, LSTM):
        assert np.all(data["whole"][1:] >= data["via_h"][1:])
    clean(lstmfigs.figure("gradient-decay", theme="paper", weights=model.state_dict(), inputs=x))


def test_torch_file_renders_from_the_cli_and_matches_torch(tmp_path):
    pytest.importorskip("torch")
    np.save(tmp_path / "x.npy", EXPECTED["torch/x"])
    runner = CliRunner()
    args = ["--weights", str(FILES / "torch_model.pt"), "--input", str(tmp_path / "x.npy"), "--time-major"]
    result = runner.invoke(main, ["render", "gate-heatmaps", "gradient-decay", *args, "--format", "png",
                                  "-o", str(tmp_path / "out"), "--data"])
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
    pytest.importorskip("h5py")
    np.save(tmp_path / "embedded.npy", EXPECTED["keras/embedded"])  # (B, T, 4)
    runner = CliRunner()
    base = ["--weights", str(FILES / "keras_model.keras"), "--input", str(tmp_path / "embedded.npy")]
    result = runner.invoke(main, ["render", "gate-heatmaps", *base, "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "say which with --time-major or --batch-first" in result.output
    result = runner.invoke(main, ["render", "gate-heatmaps", "gradient-decay", *base, "--batch-first",
                                  "--format", "png", "--data", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "out" / "gate-heatmaps.npz") as data:
        np.testing.assert_allclose(data["h"], EXPECTED["keras/lstm"][0], atol=2e-6)
        i = data["i"]
        assert np.any(i == 0) or np.any(i == 1) or np.all((i >= 0) & (i <= 1))  # hard_sigmoid range
    with np.load(tmp_path / "out" / "gradient-decay.npz") as data:
        assert data["whole"].shape == (8,) and data["whole"][0] > data["whole"][-1]
