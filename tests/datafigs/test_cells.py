"""Data figures of a cell defined by its equations (issue 11, section 3): ``cell=`` and
``--cell`` on every data figure that shows a model, the cell's own gates and states named
and typeset from its definition, training on request (progress bar, cache), the built-ins
kept on their shipped weights, and hostile definitions ending in one line.

The three cells under ``tests/datafigs/cells/`` (sLSTM without its stabiliser, minGRU,
IndRNN) were written from their papers alone: their figures must render from TOML alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs import cells
from lstmfigs.checks import layout_problems
from lstmfigs.cli import main
from lstmfigs.datafigs import cache, cellruns, training
from lstmfigs.datafigs.runs import shipped
from lstmfigs.datafigs.scenario import Scenario
from lstmfigs.errors import LstmfigsError
from lstmfigs.themes import theme_context
from tests.helpers import BASELINE, IMAGE_DPI, IMAGE_TOLERANCE, image_compare

HERE = Path(__file__).parent / "cells"
FIXTURES = {name: HERE / f"{name}.toml" for name in ("slstm-nostab", "mingru", "indrnn")}
MODEL_FIGURES = ("gate-heatmaps", "dynamics-dashboard", "gate-saturation", "gradient-decay")
#: A scenario small enough to train in a test (the shipped one takes minutes).
TINY = Scenario(hidden_size=4, lags=(3, 5), seeds=(0, 1, 2), main_lag=5, steps=6, eval_every=3,
                eval_batch=8, batch_size=4, probe_lag=8, probe_batch=2, sample_batch=4)


@pytest.fixture(autouse=True)
def empty_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty cache for every test (never the user's)."""
    path = tmp_path_factory.mktemp("lstmfigs-cache")
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(path))
    return path


@pytest.fixture(scope="module")
def tiny_runs():
    """LSTM and RNN runs of the tiny scenario (trained once, outside any test's cache)."""
    return training.train_runs(TINY, use_cache=False, progress=False, workers=1)


def clean(fig, theme: str) -> None:
    with theme_context(theme):
        assert layout_problems(fig) == []


def titles(fig) -> list[str]:
    return [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]


# ------------------------------------------------------------------------------ from TOML alone
@pytest.mark.parametrize("theme", ["paper", "slides"])
@pytest.mark.parametrize("figure", MODEL_FIGURES)
@pytest.mark.parametrize("name", FIXTURES)
def test_a_new_cell_renders_its_data_figures_from_toml_alone(name, figure, theme):
    if (name, figure) == ("indrnn", "gate-saturation"):  # relu: nothing saturates
        with pytest.raises(LstmfigsError, match="nothing in cell 'indrnn' saturates"):
            lstmfigs.figure(figure, theme=theme, cell=str(FIXTURES[name]))
        return
    fig = lstmfigs.figure(figure, theme=theme, cell=str(FIXTURES[name]))
    clean(fig, theme)


def test_heatmaps_show_every_quantity_in_the_definitions_order_from_the_simulator():
    cell = cells.load(FIXTURES["slstm-nostab"])
    data = lstmfigs.data("gate-heatmaps", cell=FIXTURES["slstm-nostab"])
    assert list(data["quantities"]) == list(cell.quantities) == ["z", "i", "f", "o", "c", "n",
                                                                 "h"]
    scenario = shipped().scenario
    model = cell.model(input_size=scenario.input_size, hidden_size=scenario.hidden_size,
                       seed=scenario.seeds[0], dtype="float32")
    trace = model.forward(np.asarray(data["x"])[:, None, :])
    for name in cell.quantities:
        # batch 1 here vs the scenario's batch there: BLAS rounding only
        np.testing.assert_allclose(data[f"cell/{name}"], np.asarray(trace[name])[:, 0],
                                   rtol=1e-5, atol=1e-6, err_msg=name)
    assert int(data["symbol_step"]) == 0 and "untrained" in str(data["source"])


def test_sigmoid_outputs_are_gates_on_a_fixed_scale_and_the_rest_symmetric():
    data = lstmfigs.data("gate-heatmaps", cell=FIXTURES["slstm-nostab"])
    scales = dict(zip(data["quantities"], data["scales"], strict=True))
    limits = dict(zip(data["quantities"], data["limits"], strict=True))
    assert {n for n, s in scales.items() if s == "gate"} == {"f", "o"}  # i is exp: no gate
    assert limits["z"] == 1.0  # tanh: [-1, 1]
    for name in ("i", "c", "n", "h"):  # unbounded: their largest magnitude
        assert limits[name] == pytest.approx(np.abs(data[f"cell/{name}"]).max())
    fig = lstmfigs.figure("gate-heatmaps", cell=FIXTURES["slstm-nostab"])
    images = [im for ax in fig.axes for im in ax.get_images()]
    clims = {tuple(round(v, 6) for v in im.get_clim()) for im in images}
    assert (0.0, 1.0) in clims and (-1.0, 1.0) in clims
    for image in images:
        low, high = image.get_clim()
        assert (low, high) == (0.0, 1.0) or low == -high


def test_names_are_typeset_from_the_definition():
    fig = lstmfigs.figure("gate-heatmaps", cell=FIXTURES["mingru"])
    assert titles(fig) == ["gate $z_t$", r"$\tilde{h}_t$", "state $h_t$"]
    symbols = lstmfigs.data("gate-heatmaps", cell=FIXTURES["mingru"])["symbols"]
    assert list(symbols) == ["z", r"\tilde{h}", "h"]
    fig = lstmfigs.figure("gate-heatmaps", cell=FIXTURES["slstm-nostab"])
    assert titles(fig)[:2] == ["$z_t$ (tanh)", "$i_t$ (exp)"]


def test_a_cell_given_in_python_works_like_a_file():
    cell = cells.Cell.from_equations(["h = relu(W @ x + u * h_prev + b)"], name="ind",
                                     states=("h",), output="h")
    data = lstmfigs.data("gate-heatmaps", cell=cell)
    assert list(data["quantities"]) == ["h"] and str(data["cell"]) == "ind"


# ------------------------------------------------------------------------------ built-ins
def test_the_builtin_lstm_keeps_its_shipped_weights_and_its_figure():
    default = lstmfigs.data("gate-heatmaps")
    named = lstmfigs.data("gate-heatmaps", cell="lstm")
    assert default.keys() == named.keys()
    for key in default:
        np.testing.assert_array_equal(default[key], named[key])
    for figure in ("gradient-decay", "lag-accuracy", "learning-curves", "gate-saturation"):
        assert lstmfigs.data(figure).keys() == lstmfigs.data(figure, cell="lstm").keys()


@pytest.mark.skipif("rnn" not in cells.names(), reason="the rnn definition is not built in yet")
def test_the_builtin_rnn_shows_its_shipped_run():
    data = lstmfigs.data("gate-heatmaps", cell="rnn")
    assert int(data["seed"]) == shipped().representative_seed("rnn")
    assert set(data) >= {"a", "h"} and "f" not in data


def test_train_is_refused_where_weights_ship_or_are_given():
    for options in ({"train": True}, {"cell": "lstm", "train": True}):
        with pytest.raises(LstmfigsError, match="shipped runs"):
            lstmfigs.figure("gate-heatmaps", **options)
    with pytest.raises(LstmfigsError, match="not both"):
        lstmfigs.data("gate-heatmaps", cell=FIXTURES["indrnn"], train=True, weights={"W": 1})


def test_training_figures_of_a_cell_need_train():
    for figure in ("lag-accuracy", "learning-curves"):
        with pytest.raises(LstmfigsError, match=r"--train \(train=True\)"):
            lstmfigs.data(figure, cell=FIXTURES["mingru"])


# ------------------------------------------------------------------------------ weights
def test_a_cells_weights_by_parameter_name(tmp_path):
    cell = cells.load(FIXTURES["indrnn"])
    model = cell.model(input_size=3, hidden_size=6, seed=4, dtype="float64")
    path = tmp_path / "indrnn.npz"
    np.savez(path, **model.params)
    x = np.random.default_rng(0).standard_normal((9, 2, 3))
    data = lstmfigs.data("gate-heatmaps", cell=FIXTURES["indrnn"], weights=str(path), inputs=x)
    np.testing.assert_allclose(data["cell/h"], np.asarray(model.forward(x)["h"])[:, 0],
                               rtol=1e-12)
    wrong = dict(model.params, u=np.zeros(5))
    with pytest.raises(LstmfigsError, match="'u' has a dimension 5 where the cell needs H = 6"):
        lstmfigs.data("gate-heatmaps", cell=FIXTURES["indrnn"], weights=wrong, inputs=x)
    with pytest.raises(LstmfigsError, match="lacks b"):
        lstmfigs.data("gate-heatmaps", cell=FIXTURES["indrnn"],
                      weights={k: v for k, v in model.params.items() if k != "b"}, inputs=x)


# ------------------------------------------------------------------------------ gradient decay
def test_gradient_decay_of_an_indrnn_is_its_closed_form():
    """IndRNN: dh_T/dh_{T-k} = prod diag(relu'(a_t) u), so the whole-state Frobenius norm
    is the norm of a product of diagonals, computed here without the simulator's BPTT."""
    cell = cells.load(FIXTURES["indrnn"])
    scenario = shipped().scenario
    data = lstmfigs.data("gradient-decay", cell=FIXTURES["indrnn"])
    from lstmfigs.datafigs.cellmeasure import _probe

    x = _probe(scenario)
    per_seed = []
    for seed in scenario.seeds:
        model = cell.model(input_size=scenario.input_size, hidden_size=scenario.hidden_size,
                           seed=seed, dtype="float64")
        params = model.params
        pre = np.einsum("hi,tbi->tbh", params["W"], x)
        h = np.zeros(pre.shape[1:])
        slopes = []
        for t in range(len(x)):
            a = pre[t] + params["u"] * h + params["b"]
            slopes.append((a > 0) * params["u"])
            h = np.maximum(a, 0)
        steps = len(x)
        norms = np.empty((steps, x.shape[1]))
        product = np.ones_like(slopes[0])
        norms[0] = np.sqrt(scenario.hidden_size)
        for k in range(1, steps):
            product = product * slopes[steps - k]
            norms[k] = np.sqrt((product ** 2).sum(axis=-1))
        per_seed.append(np.median(norms, axis=1))
    np.testing.assert_allclose(data["cell_untrained_seeds"], np.stack(per_seed), rtol=1e-9,
                               atol=1e-300)
    assert list(data["curves"]) == ["cell_untrained", "lstm", "rnn"]
    np.testing.assert_array_equal(data["lstm"], lstmfigs.data("gradient-decay")["lstm"])


def test_gradient_decay_measures_every_state_of_the_cell():
    data = lstmfigs.data("gradient-decay", cell=FIXTURES["slstm-nostab"])
    assert list(data["states"]) == ["c", "n", "h"]
    for state in ("c", "n", "h"):  # each state alone never exceeds the whole state
        assert np.all(data[f"cell_untrained/{state}_seeds"]
                      <= data["cell_untrained_seeds"] * (1 + 1e-9))


# ------------------------------------------------------------------------------ training
def test_training_on_request_draws_a_progress_bar_caches_and_resumes(tiny_runs, empty_cache,
                                                                     capsys, monkeypatch):
    data = lstmfigs.data("lag-accuracy", cell=FIXTURES["mingru"], runs=tiny_runs, train=True)
    err = capsys.readouterr().err
    assert "training cell 'mingru': 6 run(s)" in err and "6/6 runs" in err
    entries = sorted(p.name for p in (empty_cache / "jobs").iterdir())
    assert len(entries) == 6 and all(p.startswith("cell-mingru-lag") for p in entries)
    assert data["cell_seeds"].shape == (len(TINY.seeds), len(TINY.lags))
    assert "mingru, 4 units" in str(data["cell_label"])

    def refuse(*args, **kwargs):
        raise AssertionError("trained although every run is cached")

    monkeypatch.setattr(training, "_train_in_workers", refuse)
    for figure in ("learning-curves", "gradient-decay", "gate-heatmaps", "lag-accuracy"):
        fig = lstmfigs.figure(figure, cell=FIXTURES["mingru"], runs=tiny_runs, train=True)
        clean(fig, "paper")
    assert capsys.readouterr().err == ""
    curves = lstmfigs.data("learning-curves", cell=FIXTURES["mingru"], runs=tiny_runs,
                           train=True)
    run = cellruns.with_trained_cell(tiny_runs, cells.load(FIXTURES["mingru"])).run(
        "cell", seed=0)
    np.testing.assert_array_equal(curves["cell_loss_seeds"][0], run.history["loss"])
    decay = lstmfigs.data("gradient-decay", cell=FIXTURES["mingru"], runs=tiny_runs, train=True)
    assert list(decay["curves"]) == ["cell_trained", "cell_untrained", "lstm", "rnn"]
    assert str(decay["cell"]) == "mingru"  # no curve's key takes the cell's name's place


def test_a_changed_definition_is_another_cache_entry(tiny_runs, empty_cache):
    cell = cells.load(FIXTURES["indrnn"])
    other = cells.Cell.from_toml(cell.source.replace("relu(", "tanh("), origin="changed")
    jobs = [cellruns.cell_job(c, TINY, 5, 0) for c in (cell, other)]
    assert cache.job_path(jobs[0]) != cache.job_path(jobs[1])


# ------------------------------------------------------------------------------ command line
def test_cli_renders_a_cell_from_a_toml_file(tmp_path):
    result = CliRunner().invoke(main, ["render", "gate-heatmaps", "gate-saturation", "--cell",
                                       str(FIXTURES["mingru"]), "-o", str(tmp_path), "--format",
                                       "png"])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path)) == ["gate-heatmaps-mingru.png",
                                            "gate-saturation-mingru.png"]
    assert "z_units_mostly_above_0.9" in result.output


@pytest.mark.parametrize("text, message", [
    (None, "does not exist"),
    ('name = "x"\nequations = [\n', "invalid TOML"),
    ('name = "x"\ninputs = ["x"]\nstates = ["h"]\noutput = "h"\nequations = ["h = frob(x)"]\n',
     "equation 1 (h = frob(x)), column 5: unknown function 'frob'"),
    ('name = "x"\ninputs = ["x"]\nstates = ["h"]\noutput = "h"\n'
     'equations = ["h = tanh(W @ x + h_prev + q)"]\n[parameters]\nW = ["H", "I"]\n',
     "'q'"),
])
def test_hostile_definitions_end_in_one_line_and_write_nothing(tmp_path, text, message):
    path = tmp_path / "cell.toml"
    if text is not None:
        path.write_text(text)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "gate-heatmaps", "--cell", str(path), "-o",
                                       str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lstmfigs: error: ") and message in lines[0]
    assert not out.exists()


def test_a_fifo_or_an_unknown_builtin_is_refused_unread(tmp_path):
    fifo = tmp_path / "cell.toml"
    os.mkfifo(fifo)
    for cell, message in ((str(fifo), "FIFO"), ("nosuchcell", "unknown cell 'nosuchcell'")):
        result = CliRunner().invoke(main, ["render", "gate-heatmaps", "--cell", cell, "-o",
                                           str(tmp_path / "out")])
        assert result.exit_code == 2 and message in result.output
        assert len(result.output.strip().splitlines()) == 1
    with pytest.raises(LstmfigsError, match="option cell must be"):
        lstmfigs.figure("gate-heatmaps", cell=3)


# ------------------------------------------------------------------------------ images
#: Figures of untrained cells: forward passes and Jacobians of fixed weights, the same on
#: every machine to rounding (CI runs them again under AVX2 emulation).
CELL_IMAGES = (("gate-heatmaps", "slstm-nostab"), ("dynamics-dashboard", "mingru"),
               ("gradient-decay", "indrnn"))


@pytest.mark.portability
@pytest.mark.parametrize("figure, name", [
    pytest.param(figure, name, marks=image_compare(f"datafig-{figure}-{name}-paper.png"),
                 id=f"{figure}-{name}") for figure, name in CELL_IMAGES])
def test_cell_image(figure, name):
    fig = lstmfigs.figure(figure, theme="paper", cell=FIXTURES[name])
    clean(fig, "paper")
    return fig


def _forget_gate_as_signed(data):
    data = dict(data)
    index = list(data["quantities"]).index("f")
    data["scales"] = data["scales"].copy()
    data["scales"][index] = "signed"
    return data


def _rnn_curve_lost(data):
    keep = [index for index, key in enumerate(data["curves"]) if key != "rnn"]
    return {**data, **{key: data[key][keep] for key in ("curves", "labels", "kinds")}}


@pytest.mark.portability
@pytest.mark.parametrize("figure, name, defect", [
    ("gate-heatmaps", "slstm-nostab", _forget_gate_as_signed),
    ("gradient-decay", "indrnn", _rnn_curve_lost),
], ids=["gate-on-a-symmetric-scale", "lost-curve"])
def test_a_changed_cell_figure_fails_its_image_comparison(figure, name, defect, tmp_path):
    """A gate drawn on the wrong scale, or a curve lost, must fail the comparison that
    passes for the figure as it is."""
    from matplotlib.testing.compare import compare_images

    from lstmfigs.build import build, compute_data, request

    baseline = BASELINE / f"datafig-{figure}-{name}-paper.png"
    req = request(figure, "paper", cell=FIXTURES[name])
    data = compute_data(req)
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    build(req, data=data).savefig(good, dpi=IMAGE_DPI)
    build(req, data=defect(data)).savefig(bad, dpi=IMAGE_DPI)
    assert compare_images(str(baseline), str(good), tol=IMAGE_TOLERANCE) is None
    assert compare_images(str(baseline), str(bad), tol=IMAGE_TOLERANCE) is not None


def test_a_cell_whose_training_diverges_is_one_line_and_caches_nothing(tiny_runs, empty_cache):
    exploding = cells.Cell.from_equations(["h = exp(W @ [h_prev, x] + 30 * h_prev + b)"],
                                          name="exploding", states=("h",), output="h")
    with np.errstate(all="ignore"), pytest.raises(LstmfigsError, match="diverged"):
        lstmfigs.data("learning-curves", cell=exploding, runs=tiny_runs, train=True)
    assert not list(empty_cache.glob("jobs/cell-exploding-*"))


def test_matrix_states_are_named_as_not_shown_and_scalars_get_one_row():
    """A one-head mLSTM: its matrix memory C has no unit-by-step heatmap (the caption says
    so) and its scalar gates are one row with a single tick."""
    import matplotlib.pyplot as plt

    import lstmfigs
    from lstmfigs.cells import Cell

    cell = Cell.from_equations(
        ["q = W_q @ x", "k = W_k @ x", "v = W_v @ x", "f = sigmoid(w_f @ x + b_f)",
         "C = f * C_prev + outer(v, k)", "n = f * n_prev + k",
         "h = (C @ q) / maximum(abs(n @ q), 1)"],
        name="mlstm1", states=["C", "n", "h"], output="h", shapes={"C": ["H", "H"]},
        parameters={"W_q": ["H", "I"], "W_k": ["H", "I"], "W_v": ["H", "I"],
                    "w_f": ["I"], "b_f": []})
    fig = lstmfigs.figure("gate-heatmaps", cell=cell)
    try:
        caption = fig.legends[0].get_title().get_text()
        assert "not shown (a matrix per step): C" in caption.replace("\n", " ")
        gate = next(ax for ax in fig.axes if ax.get_title(loc="left") == "gate $f_t$")
        assert list(gate.get_yticks()) == [0]
    finally:
        plt.close(fig)
