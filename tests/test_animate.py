"""Storyboards and animations: every step, reproducible bytes, atomic files."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from lstmfigs.animate import (
    activity_at,
    gif_bytes,
    run_activity,
    save_animation,
    save_storyboard_frames,
    save_storyboard_pdf,
)
from lstmfigs.build import request
from lstmfigs.checks import layout_problems
from lstmfigs.cli import main
from lstmfigs.errors import LstmfigsError
from tests.helpers import FIXTURES


def test_gif_has_a_frame_a_step_and_is_reproducible(tmp_path):
    first = save_animation(request("lstm-cell", "paper"), tmp_path / "a.gif")
    second = save_animation(request("lstm-cell", "paper"), tmp_path / "b.gif")
    assert first.read_bytes() == second.read_bytes()
    with Image.open(first) as gif:
        assert gif.n_frames == 5  # the whole cell, then forget, input, update, output
        assert gif.info["loop"] == 0
    assert not list(tmp_path.glob("*.part"))


def test_cli_renders_a_gif(tmp_path):
    result = CliRunner().invoke(main, ["render", "lstm-cell", "--format", "gif",
                                       "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "lstm-cell.gif") as gif:
        assert gif.n_frames == 5


def test_storyboard_pdf_has_a_page_a_step_and_no_type3_fonts(tmp_path):
    path = save_storyboard_pdf(request("gru-cell", "paper"), tmp_path / "gru.pdf")
    data = path.read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 5
    assert b"/Type3" not in data and b"CreationDate" not in data
    again = save_storyboard_pdf(request("gru-cell", "paper"), tmp_path / "again.pdf")
    assert again.read_bytes() == data


def test_storyboard_frames_are_numbered(tmp_path):
    paths = save_storyboard_frames(request("lstm-peephole", "paper", dpi=50), tmp_path, "peep",
                                   "png")
    assert [p.name for p in paths] == ["peep-01-all.png", "peep-02-forget.png",
                                       "peep-03-input.png", "peep-04-update.png",
                                       "peep-05-output.png"]


def test_cli_storyboard_and_its_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["render", "lstm-cell", "--storyboard", "--format", "pdf,png",
                                  "--dpi", "40", "-o", str(tmp_path / "sb")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "sb").glob("lstm-cell-0*.png"))) == 5
    assert (tmp_path / "sb" / "lstm-cell-storyboard.pdf").is_file()
    for args in (["rnn-cell", "--storyboard"], ["lstm-cell", "--storyboard", "--highlight",
                                                   "forget"]):
        bad = runner.invoke(main, ["render", *args, "-o", str(tmp_path / "bad")])
        assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1
        assert not (tmp_path / "bad").exists()


def test_gif_frames_must_match():
    with pytest.raises(LstmfigsError):
        gif_bytes([], 100)
    with pytest.raises(LstmfigsError):
        gif_bytes([Image.new("RGB", (4, 4)), Image.new("RGB", (5, 4))], 100)


def test_activity_follows_the_simulation():
    run = run_activity()
    assert run.steps == 12
    for step in (0, 5, 11):
        values = activity_at(run, step)
        assert values["f"] == pytest.approx(run.f[step])
        assert values["o"] == pytest.approx(run.o[step])
        assert all(0.0 <= v <= 1.0 for v in values.values())
    assert np.ptp(run.i) > 0  # the frames differ


def test_activity_from_weights_and_inputs(tmp_path):
    from lstmfigs.sim import LSTM

    model = LSTM(2, 3, seed=4, dtype="float64")
    np.savez(tmp_path / "w.npz", **model.state_dict())
    np.save(tmp_path / "x.npy", np.linspace(-1, 1, 10).reshape(5, 2))
    run = run_activity(tmp_path / "w.npz", tmp_path / "x.npy")
    trace = model.forward(np.linspace(-1, 1, 10).reshape(5, 1, 2))
    np.testing.assert_allclose(run.f, trace.f[:, 0].mean(-1))
    with pytest.raises(LstmfigsError):
        run_activity(tmp_path / "w.npz", np.zeros((4, 3)))  # wrong input size


@pytest.mark.parametrize("weights", ["torch_model.safetensors", "keras_model.keras"])
def test_activity_reads_weights_and_inputs_through_the_one_loader(tmp_path, weights):
    """lstm-activity takes every weights file and input the data figures take (it calls
    lstmfigs.loader, not a reader of its own): here a Keras file, a safetensors file, a CSV
    with a header line, and the loader's refusal of NaN input."""
    from lstmfigs import loader

    path = FIXTURES / "weights" / weights
    model = loader.load_lstm(path)
    x = np.sin(np.arange(6 * model.input_size, dtype=np.float64)).reshape(6, model.input_size)
    csv = tmp_path / "x.csv"
    header = ",".join(f"feature{i}" for i in range(model.input_size))
    csv.write_text(header + "\n" + "\n".join(",".join(map(repr, row)) for row in x.tolist()) + "\n")
    run = run_activity(path, csv)
    trace = model.forward(loader.load_inputs(csv, model.input_size, model.dtype))
    np.testing.assert_allclose(run.o, np.asarray(trace.o)[:, 0].mean(-1))
    x[2, 0] = np.nan
    with pytest.raises(LstmfigsError, match="NaN"):
        run_activity(path, x)


def test_activity_diagram_and_gif(tmp_path):
    import lstmfigs

    fig = lstmfigs.figure("lstm-activity", step=3)
    assert layout_problems(fig) == []
    path = save_animation(request("lstm-activity", "paper", dpi=40), tmp_path / "act.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 12
    with pytest.raises(LstmfigsError):
        lstmfigs.figure("lstm-activity", step=99)


# -- encoders, backgrounds, frame options -----------------------------------------------------

def _frames(path):
    with Image.open(path) as image:
        for index in range(image.n_frames):
            image.seek(index)
            yield index, image.convert("RGBA"), dict(image.info)


def test_gif_background_is_true_white(tmp_path):
    """A median-cut palette averages white with near-white; the background must stay exact."""
    path = save_animation(request("gru-cell", "paper", dpi=50), tmp_path / "gru.gif")
    for _, frame, _ in _frames(path):
        assert frame.getpixel((0, 0)) == (255, 255, 255, 255)
        assert frame.getpixel((frame.width - 1, frame.height - 1)) == (255, 255, 255, 255)


def test_transparent_gif_apng_and_webp(tmp_path):
    for fmt in ("gif", "apng", "webp"):
        path = save_animation(request("gru-cell", "slides-dark", dpi=24), tmp_path / f"gru.{fmt}",
                              transparent=True, frame_ms=250)
        frames = list(_frames(path))
        assert len(frames) == 5, fmt
        for _, frame, info in frames:
            assert frame.getpixel((0, 0))[3] == 0, fmt  # the background is see-through
            assert info.get("duration") == 250, fmt
        assert max(frame.getextrema()[3][1] for _, frame, _ in frames) == 255  # ink is opaque


def test_apng_and_webp_are_reproducible_and_opaque_by_default(tmp_path):
    for fmt in ("apng", "webp"):
        first = save_animation(request("gru-cell", "paper", dpi=30), tmp_path / f"a.{fmt}")
        second = save_animation(request("gru-cell", "paper", dpi=30), tmp_path / f"b.{fmt}")
        assert first.read_bytes() == second.read_bytes(), fmt
        for _, frame, _ in _frames(first):
            assert frame.getpixel((0, 0)) == (255, 255, 255, 255)


@pytest.mark.parametrize("dpi,size", [(72, (960, 540)), (96, (1280, 720)), (144, (1920, 1080)),
                                      (192, (2560, 1440)), (288, (3840, 2160))])
def test_slides_are_exact_16_by_9_pixels(dpi, size, tmp_path):
    import lstmfigs
    from lstmfigs.export import save_figure

    path = save_figure(lstmfigs.figure("rnn-cell", theme="slides"), tmp_path / "s.png", dpi=dpi)
    with Image.open(path) as image:
        assert image.size == size


def test_animation_size_follows_dpi_and_default_is_1280x720_for_slides(tmp_path):
    path = save_animation(request("gru-cell", "slides"), tmp_path / "r.gif")
    with Image.open(path) as image:
        assert image.size == (1280, 720)


def test_cli_animation_formats_and_options(tmp_path):
    result = CliRunner().invoke(main, ["render", "gru-cell", "--format", "apng,webp,gif",
                                       "--theme", "slides", "--dpi", "36", "--frame-ms", "300",
                                       "--transparent", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for fmt in ("apng", "webp", "gif"):
        frames = list(_frames(tmp_path / f"gru-cell.{fmt}"))
        assert frames[0][1].size == (480, 270)
        assert frames[0][2]["duration"] == 300
        assert frames[0][1].getpixel((0, 0))[3] == 0
    bad = CliRunner().invoke(main, ["render", "gru-cell", "--format", "gif", "--frame-ms", "0",
                                    "-o", str(tmp_path)])
    assert bad.exit_code == 2
    not_animated = CliRunner().invoke(main, ["render", "gate-heatmaps", "--format", "webp",
                                             "-o", str(tmp_path)])
    assert not_animated.exit_code == 2 and "not animated" in not_animated.output
