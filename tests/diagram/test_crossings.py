"""Crossing wires: found from the geometry, shown as the theme says in every output.

A small spec of four gates has one wire across (a -> b, horizontal) and one up through it
(c -> d, vertical): one crossing at (2, 0).  Geometry is checked with a fake ``measure`` and
fixed metrics; painting, TikZ and PowerPoint through the real build path.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import lstmfigs
from lstmfigs.diagram.crossings import (
    Arc,
    crossings_by_wire,
    find_crossings,
    hop_radius,
    run_points,
    wire_runs,
)
from lstmfigs.diagram.geometry import Metrics
from lstmfigs.diagram.layout import layout
from lstmfigs.diagram.spec import DiagramSpec, Node, Wire, validate
from lstmfigs.errors import LstmfigsError
from lstmfigs.roles import ALL_ROLES

_METRICS = Metrics(font_size=9.0, legend_font_size=8.0,
                   linewidths={role: 1.0 for role in ALL_ROLES} | {"cell_state": 2.0},
                   marker_edge_width=1.0)


def _measure(text: str, kind: str) -> tuple[float, float]:
    return (0.1 * max(len(text), 1), 0.12)


def _cross_spec(*extra_wires: Wire, extra_nodes: tuple[Node, ...] = ()) -> DiagramSpec:
    nodes = (Node("a", "gate", (0.0, 0.0)), Node("b", "gate", (4.0, 0.0)),
             Node("c", "gate", (2.0, -2.0)), Node("d", "gate", (2.0, 2.0))) + extra_nodes
    wires = (Wire("a.e", "b.w", role="cell_state"), Wire("c.n", "d.s", role="input"))
    return validate(DiagramSpec(name="cross", nodes=nodes, wires=wires + extra_wires))


def _layout(spec: DiagramSpec):
    return layout(spec, _measure, 4.0, metrics=_METRICS)


def test_a_crossing_is_found_and_the_vertical_wire_jumps():
    geometry = _layout(_cross_spec())
    (crossing,) = find_crossings(geometry)
    assert crossing.point == pytest.approx((2.0, 0.0))
    assert (crossing.jumper, crossing.through) == (1, 0)  # c -> d is vertical
    # The radius clears the crossed wire (2 pt wide) by HOP_PT either side.
    assert crossing.radius == pytest.approx((1.5 + 2.0 + 0.5) / 72 / geometry.scale)
    assert crossing.radius == pytest.approx(hop_radius(2.0, 1.0, geometry.scale))


def test_wires_of_one_signal_do_not_cross_and_nor_do_joints():
    # A second wire from a's east port runs down through c -> d's line: the same signal as
    # a -> b (they branch), but a different one from c -> d.
    from_a = Wire("a.e", "e.n", via=((1.0, 0.0), (1.0, -1.0), (3.0, -1.0)), role="cell_state")
    spec = _cross_spec(from_a, extra_nodes=(Node("e", "gate", (3.0, -2.0)),))
    crossings = find_crossings(_layout(spec))
    # c -> d crosses both; a -> b and a -> e, one signal, cross nothing of each other.
    assert [(c.jumper, c.through) for c in crossings] == [(1, 0), (1, 2)]
    assert crossings[1].point == pytest.approx((2.0, -1.0))
    # A wire that ends on another (a T) does not cross it.
    touching = Wire("a.s", "t.w", role="hidden_state")
    spec = _cross_spec(touching, extra_nodes=(Node("t", "terminal", (2.0, -1.0)),))
    assert [c.point for c in find_crossings(_layout(spec))] == [pytest.approx((2.0, 0.0))]


def test_wires_through_a_copy_dot_carry_their_signal_on():
    dot = Node("split", "dot", (1.0, 0.0))
    spec = validate(DiagramSpec(
        name="dot", nodes=(Node("a", "gate", (0.0, 0.0)), dot, Node("b", "gate", (4.0, 0.0)),
                           Node("e", "gate", (3.0, -2.0))),
        wires=(Wire("a.e", "split.w"), Wire("split.e", "b.w"),
               # Leaves the dot downwards, then back up across split -> b: same signal.
               Wire("split.s", "e.n", via=((1.0, -1.0), (2.0, -1.0), (2.0, 1.0),
                                           (3.0, 1.0))))))
    assert find_crossings(_layout(spec)) == ()


def test_gap_breaks_the_jumping_wire_either_side_of_the_crossing():
    geometry = _layout(_cross_spec())
    crossings = crossings_by_wire(find_crossings(geometry))
    radius = crossings[1][0].radius
    vertical = geometry.wires[1].points
    runs = wire_runs(vertical, crossings[1], "gap")
    assert len(runs) == 2
    assert runs[0][0] == vertical[0] and runs[1][-1] == vertical[-1]
    assert runs[0][-1] == pytest.approx((2.0, -radius))
    assert runs[1][0] == pytest.approx((2.0, radius))
    # The crossed wire is not touched, and "none" leaves the jumper whole.
    assert wire_runs(geometry.wires[0].points, crossings.get(0, []), "gap") \
        == (geometry.wires[0].points,)
    assert wire_runs(vertical, crossings[1], "none") == (vertical,)
    with pytest.raises(ValueError, match="crossing style"):
        wire_runs(vertical, crossings[1], "zigzag")


def test_hop_is_a_half_circle_round_the_crossing():
    geometry = _layout(_cross_spec())
    crossings = crossings_by_wire(find_crossings(geometry))
    (run,) = wire_runs(geometry.wires[1].points, crossings[1], "hop")
    arcs = [item for item in run if isinstance(item, Arc)]
    assert len(arcs) == 1
    (arc,) = arcs
    assert arc.center == pytest.approx((2.0, 0.0))
    assert abs(arc.end - arc.start) == 180
    points = np.array(run_points(run))
    # Every point of the hop is one radius from the crossing; the line stays continuous.
    on_arc = points[np.abs(points[:, 1]) <= arc.radius + 1e-9]
    assert len(on_arc) == 17
    assert np.allclose(np.hypot(on_arc[:, 0] - 2.0, on_arc[:, 1]), arc.radius)
    assert np.all(np.hypot(*np.diff(on_arc, axis=0).T) <= arc.radius * math.pi / 16 + 1e-9)
    # It bulges along the crossed wire to the side where more of it lies: towards a, as
    # b's side ends in an arrowhead.
    assert arc.at((arc.start + arc.end) / 2) == pytest.approx((2.0 - arc.radius, 0.0))


def test_the_jumper_is_the_horizontal_wire_when_the_vertical_one_has_no_room():
    # c -> d turns 0.05 above the crossing: no room for a hop there.
    short = Wire("c.n", "d.w", via=((2.0, 0.05),), role="input")
    spec = validate(DiagramSpec(
        name="short", nodes=(Node("a", "gate", (0.0, 0.0)), Node("b", "gate", (4.0, 0.0)),
                             Node("c", "gate", (2.0, -2.0)), Node("d", "gate", (3.0, 2.0))),
        wires=(Wire("a.e", "b.w", role="cell_state"), short)))
    (crossing,) = find_crossings(_layout(spec))
    assert (crossing.jumper, crossing.through) == (0, 1)


# -- every output draws it ----------------------------------------------------------------

def _theme_file(tmp_path: Path, style: str) -> str:
    path = tmp_path / f"crossing-{style}.toml"
    path.write_text(f'[theme]\nextends = "paper"\ncrossing = "{style}"\n')
    return str(path)


@pytest.mark.parametrize("style", ["gap", "hop", "none"])
def test_matplotlib_draws_the_theme_s_crossing(tmp_path, style):
    fig = lstmfigs.figure(_cross_spec(), theme=_theme_file(tmp_path, style))
    artists = fig.lstmfigs_diagram.artists
    drawn = artists.wires[1][0].get_xydata()
    stroked = np.array(fig.lstmfigs_diagram.layout.wires[1].line)
    gaps = np.isnan(drawn[:, 0]).sum()
    assert gaps == (1 if style == "gap" else 0)
    assert len(drawn) == {"gap": len(stroked) + 3, "hop": len(stroked) + 1 + 16,
                          "none": len(stroked)}[style]
    # The crossed wire is drawn whole in every style.
    assert np.array_equal(artists.wires[0][0].get_xydata(),
                          np.array(fig.lstmfigs_diagram.layout.wires[0].line))


def test_built_in_themes_choose_a_crossing():
    from lstmfigs.themes import builtin_theme, theme_names

    assert builtin_theme("paper").crossing == "gap"
    assert builtin_theme("ieee").crossing == "hop"
    assert {builtin_theme(name).crossing for name in theme_names()} <= {"gap", "hop", "none"}


def test_an_unknown_crossing_style_is_one_error(tmp_path):
    with pytest.raises(LstmfigsError, match=r"\[theme\] crossing is one of gap, hop, none"):
        lstmfigs.figure(_cross_spec(), theme=_theme_file(tmp_path, "zigzag"))
    sheet = tmp_path / "mine.mplstyle"
    sheet.write_text("# lstmfigs-crossing: hop\nlines.linewidth: 1\n")
    fig = lstmfigs.figure(_cross_spec(), theme=str(sheet))
    assert len(fig.lstmfigs_diagram.artists.wires[1][0].get_xydata()) > 10  # hopped


def test_tikz_hops_with_an_arc_and_gaps_with_a_new_subpath(tmp_path):
    hop = lstmfigs.to_tikz(_cross_spec(), theme="ieee")
    (vertical,) = [line for line in hop.splitlines() if line.startswith("\\draw[wire=input")]
    assert re.search(r"\(c\.north\) -- \([\d.,-]+\) arc\[start angle=-?\d+, end angle=-?\d+, "
                     r"radius=[\d.]+bp\] -- \(d\.south\);", vertical), vertical
    gap = lstmfigs.to_tikz(_cross_spec(), theme="paper")
    (vertical,) = [line for line in gap.splitlines() if line.startswith("\\draw[wire=input")]
    assert re.search(r"\(c\.north\) -- \([\d.,-]+\) \([\d.,-]+\) -- \(d\.south\);", vertical), \
        vertical
    none = lstmfigs.to_tikz(_cross_spec(), theme=_theme_file(tmp_path, "none"))
    assert "\\draw[wire=input, ->] (c.north) -- (d.south);" in none


def test_pptx_gap_is_a_group_of_pieces_and_hop_one_freeform(tmp_path):
    pptx = pytest.importorskip("pptx")
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for theme, kind in (("paper", MSO_SHAPE_TYPE.GROUP), ("ieee", MSO_SHAPE_TYPE.FREEFORM)):
        path = tmp_path / f"{theme}.pptx"
        lstmfigs.save_pptx(_cross_spec(), path, theme=theme)
        shapes = {s.name: s for s in pptx.Presentation(str(path)).slides[0].shapes}
        wire = shapes["c.n->d.s"]
        assert wire.shape_type == kind
        if kind == MSO_SHAPE_TYPE.GROUP:
            pieces = list(wire.shapes)
            assert [p.name for p in pieces] == ["c.n->d.s 1", "c.n->d.s 2"]
            # Only the last piece ends in the arrowhead.
            assert ["tailEnd" in p._element.xml for p in pieces] == [False, True]
        assert shapes["a.e->b.w"].shape_type == MSO_SHAPE_TYPE.LINE  # crossed: whole


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (texlive)")
@pytest.mark.parametrize("theme", ["paper", "ieee"])
def test_tikz_with_hops_and_gaps_compiles(tmp_path, theme):
    tex = tmp_path / "cross.tex"
    tex.write_text(lstmfigs.to_tikz(_cross_spec(), theme=theme))
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                             tex.name], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "cross.pdf").stat().st_size > 0
