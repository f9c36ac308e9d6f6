"""A node's ``shape`` overrides the outline its kind and label would give, in the geometry
and in every backend (matplotlib, TikZ, PowerPoint through the scene)."""

from __future__ import annotations

import pytest
from matplotlib.patches import Circle, FancyBboxPatch

import lstmfigs
from lstmfigs.diagram.tomlio import loads_spec

SHAPES = """\
name = "shapes"

[[nodes]]
id = "src"
kind = "terminal"
at = [0.0, 0.0]
label = "$x$"

[[nodes]]
id = "divide"
kind = "op"
at = [2.0, 0.0]
label = "$\\\\mathrm{div}$"
shape = "circle"

[[nodes]]
id = "pill"
kind = "op"
at = [4.0, 0.0]
label = "$\\\\tanh$"

[[nodes]]
id = "square"
kind = "op"
at = [6.0, 0.0]
label = "$+$"
shape = "box"

[[nodes]]
id = "round_gate"
kind = "gate"
at = [8.0, 0.0]
label = "$\\\\sigma$"
shape = "circle"

[[nodes]]
id = "dst"
kind = "terminal"
at = [10.0, 0.0]
label = "$y$"
label_side = "right"

[[wires]]
from = "src.e"
to = "divide.w"

[[wires]]
from = "divide.e"
to = "pill.w"

[[wires]]
from = "pill.e"
to = "square.w"

[[wires]]
from = "square.e"
to = "round_gate.w"

[[wires]]
from = "round_gate.e"
to = "dst.w"
"""


@pytest.fixture(scope="module")
def figure():
    return lstmfigs.figure(loads_spec(SHAPES), theme="paper")


def test_the_geometry_takes_the_shape(figure):
    nodes = figure.lstmfigs_diagram.layout.nodes
    assert nodes["divide"].shape == "circle"  # a long label that stays a circle
    assert nodes["divide"].width == pytest.approx(nodes["divide"].height)
    assert nodes["pill"].shape == "stadium"  # by kind and label, as before
    assert nodes["square"].shape == "box"
    assert nodes["round_gate"].shape == "circle"
    assert nodes["round_gate"].width == pytest.approx(nodes["round_gate"].height)


def test_the_circle_still_holds_its_label(figure):
    layout = figure.lstmfigs_diagram.layout
    geom = layout.nodes["divide"]
    text = next(item for item in layout.texts if item.owner == "divide")
    width_units = text.size[0] / layout.scale
    assert width_units < geom.width  # grown to fit, not clipped


def test_matplotlib_draws_the_shape(figure):
    patches = figure.lstmfigs_diagram.artists.nodes
    assert isinstance(patches["divide"], Circle)
    assert isinstance(patches["round_gate"], Circle)
    assert isinstance(patches["square"], FancyBboxPatch)
    assert not isinstance(patches["pill"], Circle)


def test_tikz_and_powerpoint_draw_the_shape(tmp_path):
    spec = loads_spec(SHAPES)
    tikz = lstmfigs.to_tikz(spec, theme="paper")
    line = next(line for line in tikz.splitlines() if "(divide)" in line and "\\node" in line)
    assert "circle" in line
    line = next(line for line in tikz.splitlines() if "(square)" in line and "\\node" in line)
    assert "gate=" in line and "circle" not in line
    pytest.importorskip("pptx")
    from pptx import Presentation

    path = tmp_path / "shapes.pptx"
    lstmfigs.save_pptx(spec, path, theme="slides")
    shapes = {s.name: s for s in Presentation(str(path)).slides[0].shapes}
    assert shapes["divide"].auto_shape_type == shapes["round_gate"].auto_shape_type
    assert shapes["divide"].auto_shape_type != shapes["square"].auto_shape_type
