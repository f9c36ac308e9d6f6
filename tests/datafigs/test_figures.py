"""Data figures: images (paper, slides), layout in every theme, the numbers behind them,
the shipped runs they draw from, and the CLI with a user's own weights and inputs.

These tests (with ``tests/datafigs/test_training.py``) run twice in CI: natively and as an
AVX2-class machine (``OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES=...``, see
``.ci/run``): figures drawn from the shipped runs must be the same on both.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs.checks import layout_problems
from lstmfigs.cli import main
from lstmfigs.datafigs import cache, measure, runs, training
from lstmfigs.datafigs.scenario import SOLVED
from lstmfigs.errors import LstmfigsError
from tests.helpers import BASELINE, figure_names, image_compare, theme_names

DATA_FIGURES = tuple(figure_names("data"))
IMAGE_THEMES = ("paper", "slides")
SHIPPED = runs.shipped()
# CI runs this module again under AVX2 emulation (.ci/run): the figures and numbers drawn from
# the shipped runs must not change with the CPU's SIMD kernels.
pytestmark = pytest.mark.portability
SCENARIO = SHIPPED.scenario


@pytest.fixture(autouse=True)
def empty_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty cache for every test (never the user's)."""
    path = tmp_path_factory.mktemp("lstmfigs-cache")
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(path))
    return path


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything would train."""
    def refuse(*args, **kwargs):
        raise AssertionError("trained although the figures draw from shipped runs")

    from lstmfigs.datafigs import scenario

    monkeypatch.setattr(scenario, "train_job", refuse)
    monkeypatch.setattr(training, "train_job", refuse)
    monkeypatch.setattr(training, "_train_in_workers", refuse)


# ------------------------------------------------------------------------------ shipped runs
def test_cold_renders_train_nothing_and_touch_no_cache(no_training, empty_cache):
    for name in DATA_FIGURES:
        lstmfigs.figure(name, theme="paper")
        lstmfigs.data(name)
    assert not any(empty_cache.iterdir())


def test_shipped_runs_are_small_float32_and_say_where_they_were_made():
    path = Path(runs.__file__).parent / "data" / runs.SHIPPED_FILE
    assert path.stat().st_size < 3 * 2**20
    with np.load(path) as archive:
        for key in archive.files:
            assert archive[key].dtype == (np.uint8 if key == "meta" else np.float32), key
    record = SHIPPED.environment
    assert {"lstmfigs", "numpy", "numpy_simd", "blas", "cpu", "python", "date"} <= set(record)
    assert len(SCENARIO.seeds) >= 10
    assert SCENARIO == runs.Scenario()  # the shipped runs are the built-in scenario's


def test_the_shipped_message_holds_for_a_clear_majority_of_seeds():
    """At the main lag, the LSTM solves the task for most seeds and the RNN fails for most."""
    column = SCENARIO.lags.index(SCENARIO.main_lag)
    seeds = len(SCENARIO.seeds)
    assert SHIPPED.solved("lstm")[column] >= 0.8 * seeds
    assert SHIPPED.solved("rnn")[column] <= 0.3 * seeds
    assert SHIPPED.solved("rnn")[0] == seeds  # the shortest lag is easy for both


def test_the_shipped_models_really_learned():
    """On sequences none of them was trained on, the representative runs at the main lag."""
    from lstmfigs.sim import tasks

    x, y = tasks.FirstSymbol(lag=SCENARIO.main_lag, seed=12345).sample(512)
    assert (SHIPPED.run("lstm").predict(x) == y).mean() > 0.95
    assert (SHIPPED.run("rnn").predict(x) == y).mean() < 0.5


def test_representative_seed_is_the_median_of_final_losses():
    for model in ("lstm", "rnn"):
        seed = SHIPPED.representative_seed(model)
        losses = {s: SHIPPED.run(model, seed=s).final_loss for s in SCENARIO.seeds}
        below = sum(loss < losses[seed] for loss in losses.values())
        above = sum(loss > losses[seed] for loss in losses.values())
        assert below <= len(losses) // 2 and above <= len(losses) // 2
    data = lstmfigs.data("rnn-vs-lstm")
    assert int(data["rnn_seed"]) == SHIPPED.representative_seed("rnn")
    assert int(data["lstm_seed"]) == SHIPPED.representative_seed("lstm")
    assert int(lstmfigs.data("gate-heatmaps")["seed"]) == SHIPPED.representative_seed("lstm")


# ------------------------------------------------------------------------------ images
def _image_params():
    return [pytest.param(name, theme, marks=image_compare(f"datafig-{name}-{theme}.png"),
                         id=f"{name}-{theme}")
            for name in DATA_FIGURES for theme in IMAGE_THEMES]


@pytest.mark.parametrize("name, theme", _image_params())
def test_image(name, theme):
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


@pytest.mark.parametrize("theme", [t for t in theme_names() if t not in IMAGE_THEMES])
@pytest.mark.parametrize("name", DATA_FIGURES)
def test_layout_is_clean_in_every_other_theme(name, theme):
    fig = lstmfigs.figure(name, theme=theme)
    assert themed_layout_problems(fig, theme) == []
    import matplotlib as mpl

    from lstmfigs.themes import theme_context

    with theme_context(theme):
        expected_width = mpl.rcParams["figure.figsize"][0]
    assert fig.get_size_inches()[0] == pytest.approx(expected_width)


def test_the_built_in_data_figures_stay_registered():
    """The other tests take the data figures from the catalog; this one says which it lists."""
    assert {"gate-heatmaps", "dynamics-dashboard", "gradient-decay", "rnn-vs-lstm",
            "gate-saturation", "lag-accuracy", "learning-curves"} <= set(DATA_FIGURES)


# ------------------------------------------------------------------------------ the numbers
def test_data_keys():
    gates = lstmfigs.data("gate-heatmaps")
    assert {"time", "x", "f", "i", "g", "o", "c", "h", "symbol_step", "seed"} <= set(gates)
    decay = lstmfigs.data("gradient-decay")
    curves = [c.key for c in measure.decay_curves()]
    assert {"lag", "rnn", "lstm", "lstm_via_h", "lstm_untrained_bias0", "lstm_untrained_bias1",
            "lstm_untrained_bias3", "lstm_untrained_bias1_via_h", "rnn_untrained"} <= set(decay)
    for key in curves + [f"{c.key}_via_h" for c in measure.decay_curves() if c.model == "lstm"]:
        assert decay[key].shape == decay["lag"].shape
        assert decay[f"{key}_seeds"].shape == (len(SCENARIO.seeds), len(decay["lag"]))
        assert np.isfinite(decay[f"{key}_seeds"]).all() and (decay[f"{key}_seeds"] > 0).all()
    assert {"lag", "lstm", "rnn", "lstm_solved", "rnn_solved", "chance"} <= set(
        lstmfigs.data("lag-accuracy"))
    assert {"step", "lstm_accuracy", "rnn_loss", "chance", "baseline_loss"} <= set(
        lstmfigs.data("learning-curves"))
    assert {"i_low", "i_high", "f_low", "f_high", "o_low", "o_high"} <= set(
        lstmfigs.data("gate-saturation"))
    assert {"rnn_h", "lstm_h", "target", "rnn_seed", "lstm_seed"} <= set(
        lstmfigs.data("rnn-vs-lstm")
    )
    for name in DATA_FIGURES:
        assert all(isinstance(v, np.ndarray) for v in lstmfigs.data(name).values())


def test_gates_lie_in_their_ranges():
    data = lstmfigs.data("dynamics-dashboard")
    for gate in ("f", "i", "o"):
        assert data[gate].min() >= 0 and data[gate].max() <= 1
    for bounded in ("g", "h"):
        assert np.abs(data[bounded]).max() <= 1
    assert data["f"].shape == (SCENARIO.main_lag + 1, SCENARIO.hidden_size)
    saturation = lstmfigs.data("gate-saturation")
    for gate in ("i", "f", "o"):
        assert np.all(saturation[f"{gate}_low"] + saturation[f"{gate}_high"] <= 1)


def test_the_figures_show_the_simulator_numbers():
    """Independent recomputation: the representative LSTM on the sample sequences."""
    run = SHIPPED.run("lstm")
    x, _ = SCENARIO.sample()
    trace = run.model().forward(x)
    data = lstmfigs.data("gate-heatmaps")
    for name in ("f", "i", "g", "o", "c", "h"):
        np.testing.assert_array_equal(data[name], getattr(trace, name)[:, 0])


def test_trained_lstm_keeps_its_gradient_where_the_rnn_loses_it():
    data = lstmfigs.data("gradient-decay")
    lag = SCENARIO.main_lag
    assert data["lag"][lag] == lag
    # Orders of magnitude, for the median over seeds and for every seed alike.
    assert data["lstm"][lag] > 1e6 * data["rnn"][lag]
    assert (data["lstm_seeds"][:, lag] > 1e3 * data["rnn_seeds"][:, lag]).mean() >= 0.8
    # At lag 0 the Jacobian is the identity (c_T does not enter h_T's Jacobian w.r.t. itself).
    np.testing.assert_allclose(data["lstm"][0], np.sqrt(SCENARIO.hidden_size))
    # The cell-state path carries most of a trained LSTM's gradient.
    assert data["lstm"][lag] > 10 * data["lstm_via_h"][lag]
    assert np.all(data["lstm_seeds"] >= data["lstm_via_h_seeds"] * (1 - 1e-12))
    # A larger forget bias keeps more gradient in an untrained LSTM.
    assert (data["lstm_untrained_bias0"][lag] < data["lstm_untrained_bias1"][lag]
            < data["lstm_untrained_bias3"][lag])


def _probe(model):
    from lstmfigs.sim import tasks

    x, _ = tasks.FirstSymbol(lag=SCENARIO.probe_lag, n_symbols=SCENARIO.n_symbols,
                             seed=SCENARIO.sample_seed + 1).sample(SCENARIO.probe_batch)
    return x.astype(model.dtype)


def test_h_only_curve_is_the_simulators_bptt_jacobian():
    """The h-only curves equal the simulator's own probe (c held fixed), and BPTT from each
    coordinate of h_T gives the same Frobenius norms."""
    data = lstmfigs.data("gradient-decay")
    model = SCENARIO.untrained_lstm(1.0, seed=SCENARIO.seeds[0])
    x = _probe(model)
    trace = model.forward(x)
    _, norms = model.jacobian_norms(trace)
    np.testing.assert_allclose(data["lstm_untrained_bias1_via_h_seeds"][0],
                               np.median(norms, axis=1), rtol=1e-9)
    squares = 0.0
    for unit in range(SCENARIO.hidden_size):
        dh = np.zeros_like(trace.h)
        dh[-1, :, unit] = 1.0
        squares = squares + model.backward(trace, dh).dh_norm ** 2
    frobenius = np.sqrt(squares)[::-1]  # (lag, batch)
    np.testing.assert_allclose(norms, frobenius, rtol=1e-9)


def test_whole_state_curve_matches_finite_differences():
    """||dh_T / d(h_t, c_t)||_F by central differences: run the rest of the sequence from a
    perturbed state (h_t, c_t)."""
    from lstmfigs.sim import LSTM

    model = LSTM(SCENARIO.input_size, 5, seed=3, dtype="float64", forget_bias=1.0)
    x = _probe(model)[:12, :2]
    trace = model.forward(x)
    whole = model.jacobian_norms(trace, whole_state=True)[1]
    via_h = model.jacobian_norms(trace)[1]
    steps, eps = x.shape[0], 1e-6
    for lag in (1, 4, 11):
        t = steps - 1 - lag
        for b in range(2):
            columns = {"h": [], "c": []}
            for which in ("h", "c"):
                for unit in range(5):
                    states = {"h": trace.h[t, b:b + 1].copy(), "c": trace.c[t, b:b + 1].copy()}
                    ends = []
                    for sign in (1, -1):
                        moved = {k: v.copy() for k, v in states.items()}
                        moved[which][0, unit] += sign * eps
                        ends.append(model.forward(x[t + 1:, b:b + 1], h0=moved["h"],
                                                  c0=moved["c"]).h[-1, 0])
                    columns[which].append((ends[0] - ends[1]) / (2 * eps))
            full = np.concatenate([np.stack(columns["h"]), np.stack(columns["c"])])
            np.testing.assert_allclose(whole[lag, b], np.linalg.norm(full), rtol=1e-6)
            np.testing.assert_allclose(via_h[lag, b], np.linalg.norm(np.stack(columns["h"])),
                                       rtol=1e-6)


def test_accuracy_curves_agree_with_the_trainers_history():
    accuracy = lstmfigs.data("lag-accuracy")
    curves = lstmfigs.data("learning-curves")
    for kind in ("lstm", "rnn"):
        for row, seed in enumerate(SCENARIO.seeds):
            for column, lag in enumerate(SCENARIO.lags):
                assert accuracy[f"{kind}_seeds"][row, column] == \
                    SHIPPED.run(kind, lag, seed).history["accuracy"][-1]
            history = SHIPPED.run(kind, seed=seed).history
            np.testing.assert_array_equal(
                curves[f"{kind}_accuracy_seeds"][row], history["accuracy"]
            )
            np.testing.assert_array_equal(curves[f"{kind}_loss_seeds"][row], history["loss"])
        np.testing.assert_array_equal(accuracy[kind], np.median(accuracy[f"{kind}_seeds"], axis=0))
        np.testing.assert_array_equal(accuracy[f"{kind}_solved"],
                                      (accuracy[f"{kind}_seeds"] >= SOLVED).mean(axis=0))
    assert float(accuracy["chance"]) == 0.25


def test_summaries_are_printable():
    from lstmfigs import catalog

    for name in DATA_FIGURES:
        entry = catalog.get(name)
        if entry.summary_target is None:
            continue
        summary = entry.load_summary()(entry.load_data()())
        assert summary and all(isinstance(v, (int, float, str)) for v in summary.values())
    dashboard = measure.dynamics_dashboard_summary(measure.dynamics_dashboard_data())
    assert {"f_mean", "f_std", "i_mean", "o_std", "c_final_min", "h_final_max"} <= set(dashboard)


def test_figures_and_summaries_use_the_numbers_they_are_given(monkeypatch):
    """The contract of a data figure: its data_target computes, its figure draws the mapping
    it is given and its summary summarises that mapping; neither computes anything."""
    from lstmfigs import catalog
    from lstmfigs.themes import theme_context

    given = {name: lstmfigs.data(name) for name in DATA_FIGURES}

    def refuse(*args, **kwargs):
        raise AssertionError("computed numbers instead of drawing the ones given")

    for name in ("record", "resolve", "load_model", "load_network", "load_inputs",
                 "_gradient_decay"):
        monkeypatch.setattr(measure, name, refuse)
    monkeypatch.setattr(runs.RunSet, "run", refuse)
    for name in DATA_FIGURES:
        entry = catalog.get(name)
        with theme_context("paper") as theme:
            fig = entry.load()(theme=theme, data=given[name])
        assert fig.axes, name
        if entry.summary_target is not None:
            assert entry.load_summary()(given[name]), name
    changed = dict(given["gate-saturation"], i_low=np.ones_like(given["gate-saturation"]["i_low"]))
    summary = catalog.get("gate-saturation").load_summary()(changed)
    assert summary["i_units_mostly_below_0.1"] == summary["i_units"] == SCENARIO.hidden_size


@pytest.mark.slow
def test_numbers_are_the_same_on_an_avx2_machine(tmp_path):
    """Every figure's numbers, recomputed in a process that runs as an AVX2-class machine
    would (OpenBLAS's Haswell kernels, NumPy without its AVX-512 loops), agree with this
    process's up to float rounding: the shipped runs make them portable."""
    import subprocess
    import sys

    out = tmp_path / "numbers.npz"
    code = ("import sys, numpy as np, lstmfigs; names = sys.argv[2:]; "
            "np.savez(sys.argv[1], **{f'{n}/{k}': v for n in names "
            "for k, v in lstmfigs.data(n).items()})")
    env = {**os.environ, "OPENBLAS_CORETYPE": "Haswell",
           "NPY_DISABLE_CPU_FEATURES": "AVX512_SPR AVX512_ICL X86_V4"}
    subprocess.run([sys.executable, "-c", code, str(out), *DATA_FIGURES], env=env, check=True,
                   capture_output=True, timeout=600)
    with np.load(out) as other:
        for name in DATA_FIGURES:
            for key, value in lstmfigs.data(name).items():
                theirs = other[f"{name}/{key}"]
                assert theirs.shape == value.shape, (name, key)
                if value.dtype.kind in "iubU":  # integers, flags and labels exactly
                    np.testing.assert_array_equal(theirs, value, err_msg=f"{name}/{key}")
                else:
                    # Gradient norms span dozens of decades: relative agreement only.
                    atol = 0.0 if name == "gradient-decay" else 1e-6
                    np.testing.assert_allclose(theirs, value, rtol=1e-4, atol=atol,
                                               err_msg=f"{name}/{key}")


# ------------------------------------------------------------------------------ your own model
@pytest.fixture
def user_files(tmp_path):
    """The built-in LSTM saved with PyTorch and Keras names, and one input sequence."""
    model = SHIPPED.run("lstm").model()
    torch_file = tmp_path / "torch.npz"
    np.savez(torch_file, **model.state_dict())
    keras_file = tmp_path / "keras.npz"
    kernel, recurrent, bias = model.to_keras()
    np.savez(keras_file, **{"lstm/kernel:0": kernel, "lstm/recurrent_kernel:0": recurrent,
                            "lstm/bias:0": bias})
    x, _ = SCENARIO.sample(lag=30, batch=1)
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
    result = CliRunner().invoke(
        main,
        [
            "render",
            "gate-heatmaps",
            "--weights",
            str(user_files["keras"]),
            "--input",
            str(user_files["csv"]),
            "--format",
            "png",
            "--data",
            "-o",
            str(out),
        ],
    )
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
    np.savez(rnn_weights, **SHIPPED.run("rnn").state_dict)
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
        "relu rnn weights": ["--weights", str(rnn_weights), "--nonlinearity", "relu"],
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


def test_nan_input_is_rejected_by_the_api():
    x, _ = SCENARIO.sample(batch=2)
    x = x.copy()
    x[5, 1, 0] = np.nan
    with pytest.raises(LstmfigsError, match="NaN"):
        lstmfigs.data("gate-heatmaps", inputs=x)
    with pytest.raises(LstmfigsError, match="NaN"):
        lstmfigs.figure("rnn-vs-lstm", inputs=x)


def test_scenario_figures_take_no_model_options():
    with pytest.raises(LstmfigsError, match="no option"):
        lstmfigs.figure("lag-accuracy", weights="model.npz")

# ------------------------------------------------------------------ training and the cache
TINY = runs.Scenario(hidden_size=4, lags=(3, 4), main_lag=4, seeds=(0, 1), steps=6,
                     eval_every=3, eval_batch=8, batch_size=4, probe_lag=6, probe_batch=2)


def test_cache_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV_CACHE_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "lstmfigs"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == Path.home() / ".cache" / "lstmfigs"
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"


def test_cache_key_depends_on_job_version_numpy_and_blas(monkeypatch):
    from lstmfigs.datafigs import environment

    job = TINY.job("lstm")
    before = cache.job_path(job)
    assert before == cache.job_path(TINY.job("lstm"))
    assert before != cache.job_path(TINY.job("lstm", seed=1))
    identity = environment.numeric_identity()
    assert {"lstmfigs", "numpy", "numpy_simd", "blas"} <= set(identity)
    for key in ("lstmfigs", "numpy", "numpy_simd", "blas"):
        monkeypatch.setattr(environment, "numeric_identity",
                            lambda key=key: {**identity, key: "something else"})
        monkeypatch.setattr(cache, "numeric_identity", environment.numeric_identity)
        assert cache.job_path(job) != before, key


@pytest.mark.slow
def test_training_in_workers_gives_the_same_bits_as_in_process(monkeypatch):
    """Workers run with one BLAS thread; so does this check (a subprocess), bit for bit."""
    import subprocess
    import sys

    def refuse(job):
        raise AssertionError("trained in the test process, not in a worker")

    monkeypatch.setattr(training, "train_job", refuse)
    trained = training.train_runs(TINY, workers=2, use_cache=False, progress=False)
    monkeypatch.undo()
    code = ("import sys, io, json; from lstmfigs.datafigs.scenario import TrainingJob, train_job; "
            "from lstmfigs.datafigs.training import write_stream; "
            "[write_stream(train_job(TrainingJob(**json.loads(l))), sys.stdout.buffer) "
            "for l in sys.stdin]")
    import dataclasses
    import json

    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    jobs = TINY.all_jobs()
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        check=True,
        capture_output=True,
        input="".join(json.dumps(dataclasses.asdict(j)) + "\n" for j in jobs).encode(),
    ).stdout
    for job in jobs:
        size = int.from_bytes(output[:8], "big")
        alone = training.run_from_bytes(job, output[8:8 + size])
        output = output[8 + size:]
        for key, value in trained.run(job.model, job.lag, job.seed).to_arrays().items():
            np.testing.assert_array_equal(value, alone.to_arrays()[key])


def _damage(path: Path, how: str) -> None:
    """Replace a valid cache entry at ``path`` with a damaged one of kind ``how``."""
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    path.unlink()
    if how == "garbage":
        path.write_bytes(b"this is not a zip archive")
    elif how == "truncated":
        np.savez(path, **arrays)
        path.write_bytes(path.read_bytes()[:200])
    elif how == "fifo":
        os.mkfifo(path)
    elif how == "folder":
        path.mkdir()
    elif how == "device":
        path.symlink_to("/dev/zero")
    else:
        if how == "nan":
            arrays["param/weight_hh_l0"] = np.full_like(arrays["param/weight_hh_l0"], np.nan)
        elif how == "shape":
            arrays["param/weight_hh_l0"] = arrays["param/weight_hh_l0"][:, :2]
        elif how == "dtype":
            arrays["param/weight_hh_l0"] = arrays["param/weight_hh_l0"].astype(np.float64)
        elif how == "missing":
            del arrays["readout/bias"]
        elif how == "text":
            arrays["param/weight_hh_l0"] = np.array(["a", "b"])
        np.savez(path, **arrays)


DAMAGE = ("garbage", "truncated", "fifo", "folder", "device", "nan", "shape", "dtype",
          "missing", "text")


@pytest.mark.parametrize("how", DAMAGE)
def test_damaged_cache_entry_is_detected_and_retrained(how):
    first = training.train_runs(TINY, workers=1, progress=False)
    job = TINY.job("lstm", lag=4, seed=1)
    path = cache.job_path(job)
    assert cache.load_job(job) is not None
    _damage(path, how)
    started = time.perf_counter()
    assert cache.load_job(job) is None  # detected, quickly (a FIFO must not hang)
    assert time.perf_counter() - started < 5
    again = training.train_runs(TINY, workers=1, progress=False)
    assert path.is_file() and not path.is_symlink()
    assert cache.load_job(job) is not None  # replaced by a good entry
    for key, value in first.run("lstm", 4, 1).to_arrays().items():
        np.testing.assert_array_equal(value, again.run("lstm", 4, 1).to_arrays()[key])


def test_warm_cache_trains_nothing(monkeypatch):
    training.train_runs(TINY, workers=2, progress=False)
    monkeypatch.setattr(training, "_train_in_workers", lambda *a, **k: iter(()))
    assert len(training.train_runs(TINY, workers=2, progress=False).runs) == len(TINY.all_jobs())


def _train_args(*extra: str) -> list[str]:
    return ["train", "--lags", "3,4", "--seeds", "2", "--hidden-size", "4", "--steps", "6",
            "--workers", "2", *extra]


def test_train_command_into_the_cache_and_figures_from_it(tmp_path, no_training_in_figures):
    result = CliRunner().invoke(main, _train_args())
    assert result.exit_code == 0, result.output
    assert "lstm seeds solved" in result.output
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "lag-accuracy", "gradient-decay", "rnn-vs-lstm",
                                       "gate-heatmaps", "--runs", "retrained", "--format", "png",
                                       "--data", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with np.load(out / "lag-accuracy.npz") as data:
        assert data["lag"].tolist() == [3, 4] and data["lstm_seeds"].shape == (2, 2)
    with np.load(out / "gate-heatmaps.npz") as data:
        assert data["f"].shape == (5, 4)  # lag 4: 5 steps, 4 units
    retrained = lstmfigs.data("learning-curves", runs="retrained")
    assert retrained["lstm_accuracy_seeds"].shape == (2, 2)  # steps 0 and 6


@pytest.fixture
def no_training_in_figures(monkeypatch):
    """Figures only read what 'lstmfigs train' made: rendering must not train."""
    original = training.train_runs

    def once(*args, **kwargs):
        monkeypatch.setattr(training, "train_runs", refuse)
        return original(*args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("a figure trained")

    monkeypatch.setattr(training, "train_runs", once)


def test_train_command_into_a_folder(tmp_path):
    folder = tmp_path / "mine"
    result = CliRunner().invoke(main, _train_args("--init", "forget-bias", "--forget-bias", "2",
                                                  "-o", str(folder)))
    assert result.exit_code == 0, result.output
    assert (folder / runs.RUNS_FILE).is_file()
    loaded = runs.resolve(folder)
    assert loaded.scenario.lstm_init == "forget-bias" and loaded.scenario.forget_bias == 2
    assert loaded.environment["numpy"] == np.__version__
    fig = lstmfigs.figure("lag-accuracy", runs=str(folder / runs.RUNS_FILE))
    assert fig is not None


@pytest.mark.parametrize("args, message", [
    (["--lags", "3,x"], "--lags"),
    (["--lags", "0"], "lag"),
    (["--seeds", "0"], "--seeds"),
    (["--main-lag", "7"], "main_lag"),
    (["--forget-bias", "2"], "--init forget-bias"),
    (["--name", "../up"], "name"),
])
def test_bad_train_options_are_one_line(args, message):
    result = CliRunner().invoke(main, ["train", *args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_missing_or_damaged_run_sets_are_one_line_errors(tmp_path):
    out = tmp_path / "out"
    cases = {"no such name": "nothing-here", "no such file": str(tmp_path / "none.npz")}
    bad = tmp_path / "bad.npz"
    SHIPPED.save(bad)
    with np.load(bad) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays["lstm/param/weight_hh_l0"] = arrays["lstm/param/weight_hh_l0"].copy()
    arrays["lstm/param/weight_hh_l0"][0, 0, 0, 0] = np.nan
    np.savez(bad, **arrays)
    cases["nan in a run set"] = str(bad)
    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    cases["fifo"] = str(fifo)
    for case, source in cases.items():
        result = CliRunner().invoke(main, ["render", "lag-accuracy", "--runs", source,
                                           "-o", str(out)])
        assert result.exit_code == 2, (case, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("lstmfigs: error: "), (case, result.stderr)
        assert not out.exists(), case
    with pytest.raises(LstmfigsError, match="NaN"):
        lstmfigs.data("gradient-decay", runs=str(bad))


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
@pytest.mark.slow
def test_killing_lstmfigs_train_leaves_no_worker_behind(tmp_path):
    """SIGKILL gives the parent no chance to clean up: the workers must go by themselves."""
    import signal
    import subprocess
    import sys

    env = {**os.environ, cache.ENV_CACHE_DIR: str(tmp_path / "cache")}
    parent = subprocess.Popen([sys.executable, "-m", "lstmfigs.cli", "train", "--lags", "400",
                               "--seeds", "2", "--workers", "2", "--name", "killed"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.2)
        workers = _children(parent.pid)
    assert len(workers) == 2, "the workers did not start"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(_running, workers)):
        time.sleep(0.1)
    assert not any(map(_running, workers))


# ---------------------------------------------------------------- the image tests can fail
def _swap_whole_state_for_h_only(data):
    data["lstm"], data["lstm_seeds"] = data["lstm_via_h"], data["lstm_via_h_seeds"]
    return data


def _move_one_seed(data):
    data["rnn_seeds"] = data["rnn_seeds"].copy()
    data["rnn_seeds"][0, -1] = min(1.0, data["rnn_seeds"][0, -1] + 0.1)
    return data


@pytest.mark.parametrize("name, function, defect", [
    ("gradient-decay", "gradient_decay_data", _swap_whole_state_for_h_only),
    ("lag-accuracy", "lag_accuracy_data", _move_one_seed),
    ("rnn-vs-lstm", None, None),
], ids=["h-only-as-main-curve", "one-seed-moved", "another-seed-shown"])
@pytest.mark.parametrize("theme", IMAGE_THEMES)
def test_a_changed_data_figure_fails_its_image_comparison(name, function, defect, theme,
                                                          monkeypatch, tmp_path):
    """What a retrained machine or a wrong measure would change must fail the comparison
    that passes for the figure as it is."""
    from matplotlib.testing.compare import compare_images

    from tests.helpers import IMAGE_DPI, IMAGE_TOLERANCE

    baseline = BASELINE / f"datafig-{name}-{theme}.png"
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    lstmfigs.figure(name, theme=theme).savefig(good, dpi=IMAGE_DPI)
    if function is None:  # the RNN's neighbour seed instead of the median one
        chosen = SHIPPED.representative_seed("rnn")
        other = SCENARIO.seeds[(SCENARIO.seeds.index(chosen) + 1) % len(SCENARIO.seeds)]
        original = runs.RunSet.representative_seed
        monkeypatch.setattr(runs.RunSet, "representative_seed",
                            lambda self, model, lag=None: other if model == "rnn"
                            else original(self, model, lag))
    else:
        measured = getattr(measure, function)
        monkeypatch.setattr(measure, function, lambda **kw: defect(measured(**kw)))
    lstmfigs.figure(name, theme=theme).savefig(bad, dpi=IMAGE_DPI)
    assert compare_images(str(baseline), str(good), tol=IMAGE_TOLERANCE) is None
    assert compare_images(str(baseline), str(bad), tol=IMAGE_TOLERANCE) is not None


def test_training_draws_a_progress_bar():
    import io

    stream = io.StringIO()
    training.train_runs(TINY, workers=2, use_cache=False, progress=True, stream=stream)
    last = stream.getvalue().rstrip("\n").split("\r")[-1]
    assert (
        last.startswith("[" + "#" * 30 + "]")
        and f"{len(TINY.all_jobs())}/{len(TINY.all_jobs())} runs" in last
    )


def test_an_interrupt_between_two_worker_threads_starting_is_not_an_internal_error(monkeypatch):
    """A signal can land while the second of two threads is being started: the clean-up
    must not then fail on joining a thread that never started (a race seen in a real run)."""
    import threading

    class Interrupted(BaseException):
        pass

    class IdleWorker:
        def train(self, job):
            return None

        def stop(self):
            pass

    started = []
    real_start = threading.Thread.start

    def start_once(thread):
        if started:
            raise Interrupted
        started.append(thread)
        real_start(thread)

    monkeypatch.setattr(training, "_Worker", IdleWorker)
    monkeypatch.setattr(threading.Thread, "start", start_once)
    with pytest.raises(Interrupted):
        list(training._train_in_workers(["job-a", "job-b"], 2))


def test_the_symmetric_colour_map_follows_the_active_theme():
    """Called without a theme (a user's own heatmap), the colour map is the active theme's."""
    from lstmfigs.datafigs.plots import symmetric_cmap
    from lstmfigs.themes import theme_context

    with theme_context("slides-dark"):
        assert symmetric_cmap().name == "berlin"
    with theme_context("print"):
        assert symmetric_cmap().name == "cividis"
    assert symmetric_cmap().name == "RdBu_r"
