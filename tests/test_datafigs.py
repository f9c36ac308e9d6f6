"""Data figures: images (paper, slides), layout in every theme, the numbers behind them,
the cache (cold and warm) and the CLI with a user's own weights and inputs.

The whole module shares one temporary cache (``LSTMFIGS_CACHE_DIR``): the first test that
needs the built-in scenario trains it from cold, every later one reads it warm.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import image_compare

import lstmfigs
from lstmfigs.checks import layout_problems
from lstmfigs.cli import main
from lstmfigs.datafigs import cache, measure, scenario
from lstmfigs.datafigs.scenario import BUILTIN
from lstmfigs.errors import LstmfigsError

DATA_FIGURES = ("gate-heatmaps", "dynamics-dashboard", "gradient-decay", "rnn-vs-lstm",
                "gate-saturation", "lag-accuracy", "learning-curves")
IMAGE_THEMES = ("paper", "slides")


@pytest.fixture(scope="module", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """A fresh, empty cache for this module (never the user's)."""
    path = tmp_path_factory.mktemp("lstmfigs-cache")
    saved = os.environ.get(cache.ENV_CACHE_DIR)
    os.environ[cache.ENV_CACHE_DIR] = str(path)
    yield path
    if saved is None:
        os.environ.pop(cache.ENV_CACHE_DIR, None)
    else:
        os.environ[cache.ENV_CACHE_DIR] = saved


@pytest.fixture(scope="module")
def trained(cache_dir: Path) -> dict:
    """The whole built-in scenario, trained from a cold cache (timed)."""
    assert not list(cache_dir.glob("*.npz")), "the test cache must start cold"
    started = time.perf_counter()
    runs = scenario.warm_cache()
    return {"runs": runs, "cold_seconds": time.perf_counter() - started}


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything would train (the warm path must only read the cache)."""
    def refuse(*args, **kwargs):
        raise AssertionError("trained although the cache is warm")

    monkeypatch.setattr(scenario, "train_job", refuse)
    monkeypatch.setattr(scenario, "_train_in_workers", refuse)


# ------------------------------------------------------------------------------ cache
def test_cold_cache_trains_every_run_and_stores_it(trained, cache_dir):
    jobs = BUILTIN.all_jobs()
    assert len(trained["runs"]) == len(jobs)
    assert sorted(p.name for p in cache_dir.glob("*-lag*-seed*.npz")) == sorted(
        j.cache_path().name for j in jobs)
    assert not list(cache_dir.glob(".*.part")), "a temporary file was left behind"
    # Two cores train the scenario in well under a minute (the CLI budget is two for all).
    assert trained["cold_seconds"] < 90


def test_warm_cache_reads_the_same_bits_without_training(trained, no_training):
    started = time.perf_counter()
    again = scenario.warm_cache()
    assert time.perf_counter() - started < 5
    for cold, warm in zip(trained["runs"], again):
        assert cold.job == warm.job
        for key, value in cold.to_arrays().items():
            np.testing.assert_array_equal(value, warm.to_arrays()[key])


def test_cache_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV_CACHE_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "lstmfigs"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == Path.home() / ".cache" / "lstmfigs"
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"


def test_cache_key_depends_on_parameters_and_version(monkeypatch):
    job = BUILTIN.job("lstm")
    assert job.cache_path() == BUILTIN.job("lstm").cache_path()
    assert job.cache_path() != BUILTIN.job("lstm", seed=1).cache_path()
    assert job.cache_path() != scenario.Scenario(steps=401).job("lstm").cache_path()
    before = job.cache_path()
    monkeypatch.setattr(lstmfigs, "__version__", "999.0")
    assert job.cache_path() != before


def test_broken_cache_entry_is_retrained_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(tmp_path))
    tiny = scenario.Scenario(hidden_size=4, lags=(3,), seeds=(0,), steps=3, eval_every=3,
                             eval_batch=8, batch_size=4)
    job = tiny.job("rnn", lag=3)
    job.cache_path().write_bytes(b"not an npz")
    run = scenario.load_or_train([job])[0]
    assert run.history["step"].tolist() == [0, 3]
    assert cache.load_arrays(job.cache_path()) is not None


def test_training_in_workers_gives_the_same_bits_as_in_process(tmp_path, monkeypatch):
    """Workers run with one BLAS thread; so does this check (a subprocess), bit for bit."""
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(tmp_path))
    tiny = scenario.Scenario(hidden_size=6, lags=(4,), seeds=(0, 1), steps=6, eval_every=3,
                             eval_batch=8, batch_size=4)
    jobs = tiny.all_jobs()
    from_workers = scenario.load_or_train(jobs, workers=2)
    import subprocess
    import sys

    code = ("import sys, io, json; from lstmfigs.datafigs.scenario import TrainingJob, "
            "train_to_stream; jobs=[TrainingJob(**f) for f in json.load(sys.stdin)]; "
            "b=io.BytesIO(); train_to_stream(jobs, b); sys.stdout.buffer.write(b.getvalue())")
    import dataclasses
    import io
    import json

    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    output = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                            input=json.dumps([dataclasses.asdict(j) for j in jobs]).encode()).stdout
    with np.load(io.BytesIO(output)) as archive:
        for index, run in enumerate(from_workers):
            for key, value in run.to_arrays().items():
                np.testing.assert_array_equal(value, archive[f"{index}/{key}"])


# ------------------------------------------------------------------------------ images
def _image_params():
    return [pytest.param(name, theme, marks=image_compare(f"datafig-{name}-{theme}.png"),
                         id=f"{name}-{theme}")
            for name in DATA_FIGURES for theme in IMAGE_THEMES]


@pytest.mark.parametrize("name, theme", _image_params())
def test_image(name, theme, trained):
    fig = lstmfigs.figure(name, theme=theme)
    assert themed_layout_problems(fig, theme) == []  # these themes' layout is checked here
    return fig


def themed_layout_problems(fig, theme: str) -> list[str]:
    """Layout problems measured in the figure's own theme.

    Text is measured (and its font family resolved) when it is drawn, so a check drawn
    under other rcParams would measure other fonts; it would also leave the figure laid
    out for those fonts.
    """
    from lstmfigs.themes import theme_context

    with theme_context(theme):
        return layout_problems(fig)


@pytest.mark.parametrize("theme", [t for t in lstmfigs.themes() if t not in IMAGE_THEMES])
@pytest.mark.parametrize("name", DATA_FIGURES)
def test_layout_is_clean_in_every_other_theme(name, theme, trained):
    fig = lstmfigs.figure(name, theme=theme)
    assert themed_layout_problems(fig, theme) == []
    import matplotlib as mpl

    from lstmfigs.themes import theme_context

    with theme_context(theme):
        expected_width = mpl.rcParams["figure.figsize"][0]
    assert fig.get_size_inches()[0] == pytest.approx(expected_width)


def test_every_data_figure_is_registered():
    assert set(lstmfigs.names("data")) >= set(DATA_FIGURES)


# ------------------------------------------------------------------------------ the numbers
def test_data_keys(trained):
    gates = lstmfigs.data("gate-heatmaps")
    assert {"time", "x", "f", "i", "g", "o", "c", "h", "symbol_step"} <= set(gates)
    decay = lstmfigs.data("gradient-decay")
    curves = [c.key for c in measure.decay_curves()]
    assert {"lag", "rnn", "lstm", "lstm_untrained_bias0", "lstm_untrained_bias1",
            "lstm_untrained_bias3", "rnn_untrained"} <= set(decay)
    for key in curves:
        assert decay[key].shape == decay["lag"].shape
        assert decay[f"{key}_seeds"].shape == (len(BUILTIN.seeds), len(decay["lag"]))
    assert {"lag", "lstm", "rnn", "chance"} <= set(lstmfigs.data("lag-accuracy"))
    assert {"step", "lstm_accuracy", "rnn_loss", "chance", "baseline_loss"} <= set(
        lstmfigs.data("learning-curves"))
    assert {"i_low", "i_high", "f_low", "f_high", "o_low", "o_high"} <= set(
        lstmfigs.data("gate-saturation"))
    assert {"rnn_h", "lstm_h", "target"} <= set(lstmfigs.data("rnn-vs-lstm"))
    for name in DATA_FIGURES:
        assert all(isinstance(v, np.ndarray) for v in lstmfigs.data(name).values())


def test_gates_lie_in_their_ranges(trained):
    data = lstmfigs.data("dynamics-dashboard")
    for gate in ("f", "i", "o"):
        assert data[gate].min() >= 0 and data[gate].max() <= 1
    for bounded in ("g", "h"):
        assert np.abs(data[bounded]).max() <= 1
    assert data["f"].shape == (BUILTIN.main_lag + 1, BUILTIN.hidden_size)
    saturation = lstmfigs.data("gate-saturation")
    for gate in ("i", "f", "o"):
        assert np.all(saturation[f"{gate}_low"] + saturation[f"{gate}_high"] <= 1)


def test_the_figures_show_the_simulator_numbers(trained):
    """Independent recomputation: the trained LSTM on the sample sequences."""
    run = BUILTIN.run("lstm")
    x, _ = BUILTIN.sample()
    trace = run.model().forward(x)
    data = lstmfigs.data("gate-heatmaps")
    for name in ("f", "i", "g", "o", "c", "h"):
        np.testing.assert_array_equal(data[name], getattr(trace, name)[:, 0])


def test_trained_lstm_keeps_its_gradient_where_the_rnn_loses_it(trained):
    data = lstmfigs.data("gradient-decay")
    lag = BUILTIN.main_lag
    assert data["lag"][lag] == lag
    # Orders of magnitude: the median over seeds and the main seed alike.
    assert data["lstm"][lag] > 1e6 * data["rnn"][lag]
    assert data["lstm_seeds"][0, lag] > 1e6 * data["rnn_seeds"][0, lag]
    # At lag 0 the Jacobian is the identity: its Frobenius norm is sqrt(H).
    np.testing.assert_allclose(data["lstm"][0], np.sqrt(BUILTIN.hidden_size))
    # A larger forget bias keeps more gradient in an untrained LSTM.
    assert (data["lstm_untrained_bias0"][lag] < data["lstm_untrained_bias1"][lag]
            < data["lstm_untrained_bias3"][lag])


def test_gradient_curve_is_the_bptt_jacobian(trained):
    """Recompute one curve with plain backward(): BPTT from each coordinate of h_T gives a
    row of dh_T/dh_t at every step t; their norms make the Frobenius norm."""
    from lstmfigs.sim import tasks

    data = lstmfigs.data("gradient-decay")
    assert data["lag"][-1] == BUILTIN.probe_lag
    model = BUILTIN.untrained_lstm(1.0, seed=BUILTIN.seeds[0])
    x, _ = tasks.FirstSymbol(lag=BUILTIN.probe_lag, n_symbols=BUILTIN.n_symbols,
                             seed=BUILTIN.sample_seed + 1).sample(BUILTIN.probe_batch)
    trace = model.forward(x.astype("float64"))
    squares = 0.0
    for unit in range(BUILTIN.hidden_size):
        dh = np.zeros_like(trace.h)
        dh[-1, :, unit] = 1.0
        squares = squares + model.backward(trace, dh).dh_norm ** 2
    frobenius = np.sqrt(squares)[::-1]  # (lag, batch)
    np.testing.assert_allclose(data["lstm_untrained_bias1_seeds"][0], np.median(frobenius, axis=1),
                               rtol=1e-9)


def test_accuracy_curves_agree_with_the_trainers_history(trained):
    accuracy = lstmfigs.data("lag-accuracy")
    curves = lstmfigs.data("learning-curves")
    runs = {(r.job.model, r.job.lag, r.job.seed): r for r in trained["runs"]}
    for kind in ("lstm", "rnn"):
        for row, seed in enumerate(BUILTIN.seeds):
            for column, lag in enumerate(BUILTIN.lags):
                assert accuracy[f"{kind}_seeds"][row, column] == runs[kind, lag, seed].history["accuracy"][-1]
            history = runs[kind, BUILTIN.main_lag, seed].history
            np.testing.assert_array_equal(curves[f"{kind}_accuracy_seeds"][row], history["accuracy"])
            np.testing.assert_array_equal(curves[f"{kind}_loss_seeds"][row], history["loss"])
        np.testing.assert_allclose(accuracy[kind], accuracy[f"{kind}_seeds"].mean(axis=0))
    np.testing.assert_array_equal(curves["step"], runs["lstm", 50, 0].history["step"])
    assert float(accuracy["chance"]) == 0.25


def test_the_scenario_really_learns(trained):
    """On sequences none of them was trained on: the LSTM solves lag 50, the RNN does not."""
    from lstmfigs.sim import tasks

    x, y = tasks.FirstSymbol(lag=BUILTIN.main_lag, seed=12345).sample(512)
    lstm = (BUILTIN.run("lstm").predict(x) == y).mean()
    rnn = (BUILTIN.run("rnn").predict(x) == y).mean()
    assert lstm > 0.95
    assert rnn < 0.4


def test_summaries_are_printable(trained):
    import lstmfigs.catalog as catalog

    for name in DATA_FIGURES:
        entry = catalog.get(name)
        if entry.summary_target is None:
            continue
        summary = entry.load_summary()()
        assert summary and all(isinstance(v, (int, float, str)) for v in summary.values())
    dashboard = measure.dynamics_dashboard_summary()
    assert {"f_mean", "f_std", "i_mean", "o_std", "c_final_min", "h_final_max"} <= set(dashboard)


# ------------------------------------------------------------------------------ your own model
@pytest.fixture
def user_files(tmp_path, trained):
    """The built-in LSTM saved with PyTorch and Keras names, and one input sequence."""
    model = BUILTIN.run("lstm").model()
    torch_file = tmp_path / "torch.npz"
    np.savez(torch_file, **model.state_dict())
    keras_file = tmp_path / "keras.npz"
    kernel, recurrent, bias = model.to_keras()
    np.savez(keras_file, **{"lstm/kernel:0": kernel, "lstm/recurrent_kernel:0": recurrent,
                            "lstm/bias:0": bias})
    x, _ = BUILTIN.sample(lag=30, batch=1)
    npy_file = tmp_path / "seq.npy"
    np.save(npy_file, x[:, 0])
    csv_file = tmp_path / "seq.csv"
    np.savetxt(csv_file, x[:, 0], delimiter=",", header="a,b,c,d,marker", comments="")
    return {"torch": torch_file, "keras": keras_file, "npy": npy_file, "csv": csv_file,
            "x": x[:, 0], "model": model}


def test_weights_and_inputs_through_the_api(user_files):
    expected = user_files["model"].forward(user_files["x"][:, None]).f[:, 0]
    for weights in ("torch", "keras"):
        for inputs in ("npy", "csv"):
            data = lstmfigs.data("gate-heatmaps", weights=user_files[weights],
                                 inputs=user_files[inputs])
            np.testing.assert_allclose(data["f"], expected, rtol=1e-6, atol=1e-7)
            assert "symbol_step" not in data  # a user's sequence: no marker claimed
    # Mappings and arrays work as well as files.
    data = lstmfigs.data("dynamics-dashboard", weights=user_files["model"].state_dict(),
                         inputs=user_files["x"])
    np.testing.assert_allclose(data["f"], expected, rtol=1e-6, atol=1e-7)


def test_cli_round_trip_with_weights_and_input(user_files, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "gate-heatmaps", "--weights", str(user_files["keras"]),
                                       "--input", str(user_files["csv"]), "--format", "png",
                                       "--data", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["gate-heatmaps.npz", "gate-heatmaps.png"]
    with np.load(out / "gate-heatmaps.npz") as written:
        api = lstmfigs.data("gate-heatmaps", weights=user_files["torch"], inputs=user_files["npy"])
        assert set(written.files) == set(api)
        for key in api:
            np.testing.assert_allclose(written[key], api[key], rtol=1e-6, atol=1e-7)
    result = CliRunner().invoke(main, ["render", "dynamics-dashboard", "--weights",
                                       str(user_files["torch"]), "--format", "png", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "f_mean:" in result.output and "c_final_max:" in result.output


def _bad_files(tmp_path: Path, user_files: dict) -> dict[str, list[str]]:
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip archive")
    wrong_keys = tmp_path / "wrong.npz"
    np.savez(wrong_keys, alpha=np.zeros(3))
    rnn_weights = tmp_path / "rnn.npz"
    np.savez(rnn_weights, **BUILTIN.run("rnn").state_dict)
    nan_csv = tmp_path / "nan.csv"
    values = user_files["x"].copy()
    values[3, 1] = np.nan
    np.savetxt(nan_csv, values, delimiter=",")
    wide = tmp_path / "wide.npy"
    np.save(wide, np.zeros((10, 7)))
    text = tmp_path / "words.csv"
    text.write_text("a,b\nc,d\n")
    weights = str(user_files["torch"])
    return {
        "missing weights": ["--weights", str(tmp_path / "nope.npz")],
        "garbage weights": ["--weights", str(garbage)],
        "wrong keys": ["--weights", str(wrong_keys)],
        "rnn weights": ["--weights", str(rnn_weights)],
        "nan input": ["--weights", weights, "--input", str(nan_csv)],
        "wrong width": ["--input", str(wide)],
        "not numbers": ["--input", str(text)],
        "unknown suffix": ["--input", str(garbage)],
    }


def test_bad_files_fail_with_one_line_and_write_nothing(user_files, tmp_path):
    out = tmp_path / "out"
    for case, args in _bad_files(tmp_path, user_files).items():
        result = CliRunner().invoke(main, ["render", "gate-saturation", *args, "--data",
                                           "-o", str(out)])
        assert result.exit_code == 2, (case, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("lstmfigs: error: "), (case, result.stderr)
        assert not out.exists() or not any(out.iterdir()), case


def test_nan_input_is_rejected_by_the_api(trained):
    x, _ = BUILTIN.sample(batch=2)
    x = x.copy()
    x[5, 1, 0] = np.nan
    with pytest.raises(LstmfigsError, match="NaN"):
        lstmfigs.data("gate-heatmaps", inputs=x)
    with pytest.raises(LstmfigsError, match="NaN"):
        lstmfigs.figure("rnn-vs-lstm", inputs=x)


def test_scenario_figures_take_no_model_options():
    with pytest.raises(LstmfigsError, match="no option"):
        lstmfigs.figure("lag-accuracy", weights="model.npz")


def test_warm_renders_train_nothing(trained, no_training):
    for name in DATA_FIGURES:
        started = time.perf_counter()
        lstmfigs.figure(name, theme="paper")
        assert time.perf_counter() - started < 10, name
