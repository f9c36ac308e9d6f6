"""Any spec with steps becomes a GIF or a storyboard: a user's own file, not only the
built-ins (which the catalog marks animated).  A spec without steps has neither."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import lstmfigs
from lstmfigs.animate import save_animation, storyboard
from lstmfigs.build import request
from lstmfigs.diagram.spec import DiagramSpec, Equation, Node, Wire
from lstmfigs.diagram.tomlio import dumps_spec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: A two-step spec of a user's: x feeds a layer ('mix'), whose output is gated ('gate').
STEPPED = DiagramSpec(
    name="mine",
    nodes=(Node("x", "terminal", (-1.0, 0.0), label="$x_t$", role="input", label_side="left"),
           Node("layer", "gate", (1.0, 0.0), label=r"$\tanh$", role="candidate",
                steps=("mix",)),
           Node("mul", "op", (3.0, 0.0), label=r"$\times$", steps=("gate",)),
           Node("y", "terminal", (5.0, 0.0), label="$y_t$", role="hidden_state",
                label_side="right")),
    wires=(Wire("x.e", "layer.w", role="input", steps=("mix",)),
           Wire("layer.e", "mul.w", role="candidate", steps=("mix", "gate")),
           Wire("mul.e", "y.w", role="hidden_state", steps=("gate",))),
    steps=("mix", "gate"))


#: The same diagram without steps.
STILL = DiagramSpec(
    name="still", nodes=tuple(dataclasses.replace(n, steps=()) for n in STEPPED.nodes),
    wires=tuple(dataclasses.replace(w, steps=()) for w in STEPPED.wires))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lstmfigs.cli", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "my.toml"
    path.write_text(dumps_spec(STEPPED))
    return path


def test_a_user_spec_with_steps_is_animated(spec_file):
    req = request(spec_file)
    assert req.entry is None and req.animated
    frames = list(storyboard(req))
    assert [frame.name for frame in frames] == ["all", "mix", "gate"]
    assert not request(STILL).animated


def test_gif_of_a_user_spec_has_a_frame_a_step(spec_file, tmp_path):
    out = tmp_path / "out"
    result = run("render", str(spec_file), "--format", "gif,webp", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["mine.gif", "mine.webp"]
    with Image.open(out / "mine.gif") as gif:
        assert gif.n_frames == 3  # the whole diagram, then mix, then gate


def test_storyboard_of_a_user_spec(spec_file, tmp_path):
    out = tmp_path / "out"
    result = run("render", str(spec_file), "--storyboard", "--format", "pdf,png", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "mine-01-all.png", "mine-02-mix.png", "mine-03-gate.png", "mine-storyboard.pdf"]
    assert len(re.findall(rb"/Type /Page\b", (out / "mine-storyboard.pdf").read_bytes())) == 3


def test_storyboard_shows_equations_when_the_spec_has_them(spec_file):
    with_equations = DiagramSpec(
        name="mine-eq", nodes=STEPPED.nodes, wires=STEPPED.wires, steps=STEPPED.steps,
        equations=(Equation(r"$m_t = \tanh(x_t)$", ("mix",)),
                   Equation(r"$y_t = g_t \odot m_t$", ("gate",))))
    frames = list(storyboard(request(with_equations)))
    assert all(len(frame.figure.lstmfigs_diagram.equation_texts) == 2 for frame in frames)
    frames = list(storyboard(request(STEPPED)))  # none to show: no panel, no error
    assert all(frame.figure.lstmfigs_diagram.equation_texts == [] for frame in frames)


def test_a_spec_without_steps_has_no_gif_or_storyboard(tmp_path):
    still = tmp_path / "still.toml"
    still.write_text(dumps_spec(STILL))
    gif = run("render", str(still), "--format", "gif", "-o", str(tmp_path / "out"))
    assert gif.returncode == 2 and "is not animated" in gif.stderr
    board = run("render", str(still), "--storyboard", "-o", str(tmp_path / "out"))
    assert board.returncode == 2 and "no highlight steps" in board.stderr
    with pytest.raises(lstmfigs.LstmfigsError, match="not animated"):
        save_animation(request(still), tmp_path / "x.gif")
