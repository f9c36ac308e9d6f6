"""Layout problems are errors: the Python API raises LayoutError, ``render`` and
``validate`` exit 2 with one line naming the elements, unless they are allowed.

The specs are small and hand-made, each with a known defect, so these tests do not depend
on how the built-in diagrams are laid out.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import lstmfigs
from lstmfigs.checks import layout_problems
from lstmfigs.diagram.spec import DiagramSpec, Node, Wire
from lstmfigs.diagram.tomlio import dumps_spec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: Gate 'b' sits on the wire from 'a' to 'c': the wire runs through it.
THROUGH = DiagramSpec(
    name="through",
    nodes=(Node("a", "gate", (0.0, 0.0), label="$a$"), Node("b", "op", (2.0, 0.0)),
           Node("c", "gate", (4.0, 0.0), label="$c$")),
    wires=(Wire("a.e", "c.w"), Wire("b.n", "c.n", via=((2.0, 1.0), (4.0, 1.0)))),
    steps=("one",))
THROUGH_PROBLEM = "wire a.e->c.w runs through node 'b'"

#: Two wide gates close together: apart in paper, overlapping in ieee, whose text is larger
#: against the column (8 pt in 3.49 in against 9 pt in 4.77 in); 'c' far right makes the
#: width, not the height, set the scale.
LABEL = r"$\mathrm{forget\ gate\ layer}$"
NEAR = DiagramSpec(
    name="near",
    nodes=(Node("a", "gate", (0.0, 0.0), label=LABEL), Node("b", "gate", (8.0, 0.0), label=LABEL),
           Node("c", "gate", (30.0, 0.0), label=r"$\sigma$")),
    wires=(Wire("a.e", "b.w"), Wire("b.e", "c.w")))


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lstmfigs.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def _file(tmp_path: Path, spec: DiagramSpec) -> Path:
    path = tmp_path / f"{spec.name}.toml"
    path.write_text(dumps_spec(spec))
    return path


def test_figure_raises_layout_error_naming_the_elements():
    with pytest.raises(lstmfigs.LayoutError) as caught:
        lstmfigs.figure(THROUGH)
    message = str(caught.value)
    assert message.startswith(f"diagram 'through' has layout problems: {THROUGH_PROBLEM}")
    assert "allow_layout_problems=True" in message and "\n" not in message
    assert isinstance(caught.value, lstmfigs.LstmfigsError)
    fig = lstmfigs.figure(THROUGH, allow_layout_problems=True)
    assert fig.lstmfigs_diagram.layout.spec.name == "through"
    with pytest.raises(lstmfigs.LstmfigsError, match="allow_layout_problems is True or False"):
        lstmfigs.figure(THROUGH, allow_layout_problems="yes")


def test_more_problems_are_counted():
    # A second node on the same wire: two wires-through-nodes, one named, one counted
    # (d's own wire goes in below c, not along b's into c's top).
    spec = DiagramSpec(name="two", nodes=THROUGH.nodes + (Node("d", "op", (1.0, 0.0)),),
                       wires=THROUGH.wires + (Wire("d.s", "c.s", via=((1.0, -1.5), (4.0, -1.5))),))
    with pytest.raises(lstmfigs.LayoutError, match=r"'b' \(and \d+ more\);"):
        lstmfigs.figure(spec)


def test_editable_outputs_raise_too(tmp_path):
    with pytest.raises(lstmfigs.LayoutError):
        lstmfigs.to_tikz(THROUGH)
    assert "\\draw[wire=" in lstmfigs.to_tikz(THROUGH, allow_layout_problems=True)


def test_render_exits_2_with_one_line_and_writes_nothing(tmp_path):
    spec = _file(tmp_path, THROUGH)
    out = tmp_path / "out"
    result = run("render", str(spec), "-o", str(out), "--format", "png")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"lstmfigs: error: diagram '{spec}' has layout problems: "
                                    f"{THROUGH_PROBLEM}")
    assert "--allow-layout-problems" in result.stderr
    assert not out.exists()
    # A storyboard and a GIF check it too, once.
    for extra in (["--storyboard"], ["--format", "gif"]):
        result = run("render", str(spec), "-o", str(out), *extra)
        assert result.returncode == 2 and THROUGH_PROBLEM in result.stderr, result.stderr
        assert not out.exists()
    allowed = run("render", str(spec), "-o", str(out), "--format", "png",
                  "--allow-layout-problems")
    assert allowed.returncode == 0, allowed.stderr
    assert [p.name for p in out.iterdir()] == ["through.png"]


def test_validate_checks_every_built_in_theme(tmp_path):
    near = _file(tmp_path, NEAR)
    assert layout_problems(lstmfigs.figure(NEAR)) == []  # clean in paper
    result = run("validate", str(near))
    assert result.returncode == 2
    assert result.stderr.startswith(f"lstmfigs: error: diagram '{near}' has layout problems "
                                    "in theme 'ieee': node 'a' overlaps node 'b'"), result.stderr
    assert result.stderr.count("\n") == 1
    drawn = run("validate", str(near), "--theme", "ieee")  # the full check names it first
    assert drawn.returncode == 2 and "in theme 'ieee': node 'a' overlaps" in drawn.stderr
    assert run("validate", str(near), "--allow-layout-problems").returncode == 0
    through = run("validate", str(_file(tmp_path, THROUGH)))
    assert through.returncode == 2 and THROUGH_PROBLEM in through.stderr


def test_validate_passes_a_clean_spec(tmp_path):
    clean = DiagramSpec(name="clean", nodes=NEAR.nodes[:1] + (Node("b", "op", (6.0, 0.0)),),
                        wires=(Wire("a.e", "b.w"),))
    result = run("validate", str(_file(tmp_path, clean)))
    assert result.returncode == 0, result.stderr
    assert "ok (2 nodes, 1 wires)" in result.stdout


def _with_text_on_an_axis_label(builder):
    """``builder`` with one planted defect: a text drawn over the first x-axis label."""
    def planted(**options):
        fig = builder(**options)
        fig.canvas.draw()
        label = next(ax.xaxis.label for ax in fig.axes if ax.get_xlabel())
        box = label.get_window_extent().transformed(fig.transFigure.inverted())
        fig.text(box.x0, box.y0, "planted on the label", fontsize=label.get_fontsize())
        return fig
    return planted


def test_a_data_figure_with_overlapping_text_is_an_error(monkeypatch, tmp_path):
    from lstmfigs.datafigs import figures

    assert layout_problems(lstmfigs.figure("learning-curves")) == []
    monkeypatch.setattr(figures, "learning_curves",
                        _with_text_on_an_axis_label(figures.learning_curves))
    with pytest.raises(lstmfigs.LayoutError) as caught:
        lstmfigs.figure("learning-curves")
    message = str(caught.value)
    assert message.startswith("figure 'learning-curves' has layout problems: ")
    assert "planted on the label" in message and "\n" not in message
    fig = lstmfigs.figure("learning-curves", allow_layout_problems=True)
    assert any(t.get_text() == "planted on the label" for t in fig.texts)


def test_draw_into_a_users_axes_checks_the_layout():
    import matplotlib.pyplot as plt

    from lstmfigs.diagram.page import draw

    fig, ax = plt.subplots(figsize=(4, 3))
    with pytest.raises(lstmfigs.LayoutError) as caught:
        draw(THROUGH, ax=ax)
    assert str(caught.value).startswith("diagram 'through' has layout problems in the axes "
                                        f"given: {THROUGH_PROBLEM}")
    assert not (ax.patches or ax.lines or ax.texts)  # nothing drawn
    artists = draw(THROUGH, ax=ax, allow_layout_problems=True)
    assert artists
    plt.close(fig)
