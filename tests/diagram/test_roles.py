"""A spec's own roles: looks derived from a named base role, in every theme and backend.

Two states on two rails (the cell state and a normaliser derived from it) must be told
apart in every theme, in grayscale too; a theme may style an own role by name; and every
backend (matplotlib, the scene behind TikZ and PowerPoint) draws what ``role_style`` says.
"""

from __future__ import annotations

import zipfile

import pytest
from matplotlib.colors import to_rgb

import lstmfigs
from lstmfigs.diagram.tomlio import loads_spec
from lstmfigs.errors import LstmfigsError
from lstmfigs.scene import scene_of
from lstmfigs.themes import OWN_ROLE_DASH, RoleStyle, derived_style, resolve_theme, role_style
from tests.helpers import theme_names

OWN = (("normalizer_state", "cell_state"),)

#: Two rails: the cell state, and a normaliser whose role derives from it.
TWO_RAILS = """\
name = "two-rails"

[roles]
normalizer_state = "cell_state"

[[nodes]]
id = "c_in"
kind = "terminal"
at = [0.0, 2.0]
label = "$c$"
role = "cell_state"

[[nodes]]
id = "c_out"
kind = "terminal"
at = [6.0, 2.0]
label = "$c'$"
role = "cell_state"
label_side = "right"

[[nodes]]
id = "n_in"
kind = "terminal"
at = [0.0, 0.0]
label = "$n$"
role = "normalizer_state"

[[nodes]]
id = "divide"
kind = "op"
at = [3.0, 0.0]
label = "$\\\\div$"
role = "normalizer_state"

[[nodes]]
id = "n_out"
kind = "terminal"
at = [6.0, 0.0]
label = "$n'$"
role = "normalizer_state"
label_side = "right"

[[wires]]
id = "c_wire"
from = "c_in.e"
to = "c_out.w"
role = "cell_state"

[[wires]]
id = "n_wire"
from = "n_in.e"
to = "divide.w"
role = "normalizer_state"

[[wires]]
from = "divide.e"
to = "n_out.w"
role = "normalizer_state"
"""


def _grey(color) -> float:
    """Luminance as a grayscale printer sees it (ITU-R BT.601)."""
    r, g, b = to_rgb(color)
    return 0.299 * r + 0.587 * g + 0.114 * b


def _dashed(linestyle) -> bool:
    return linestyle not in ("-", "solid")


@pytest.mark.parametrize("theme", theme_names())
def test_an_own_role_is_told_apart_from_its_base_in_every_theme(theme):
    resolved = resolve_theme(theme)
    base = role_style("cell_state", resolved)
    own = role_style("normalizer_state", resolved, OWN)
    assert own.linewidth == base.linewidth  # the same family: as heavy as its base
    assert own.linestyle != base.linestyle  # apart by dash, in grayscale too
    assert abs(_grey(own.color) - _grey(base.color)) > 0.08  # and by lightness
    # Still its base's colour family: the same hue, only moved towards the page.
    face = to_rgb(resolved.params.get("figure.facecolor", "white"))
    expected = tuple(c + (p - c) * 0.35 for c, p in zip(to_rgb(base.color), face, strict=True))
    assert to_rgb(own.color) == pytest.approx(expected, abs=1 / 255)


def test_the_derived_dash_differs_from_a_dashed_base():
    assert derived_style(RoleStyle("#000000", "-"), "white").linestyle == OWN_ROLE_DASH
    assert derived_style(RoleStyle("#000000", "--"), "white").linestyle == ":"
    assert derived_style(RoleStyle("#000000", ":"), "white").linestyle == "--"


def test_an_alias_base_and_an_unknown_role():
    resolved = resolve_theme("paper")
    peephole = role_style("x", resolved, (("x", "peephole"),))
    assert peephole == role_style("y", resolved, (("y", "cell_state"),))
    with pytest.raises(LstmfigsError, match="unknown role 'normalizer_state'"):
        role_style("normalizer_state", resolved)  # not declared: not a role


def test_a_theme_styles_an_own_role_by_name(tmp_path):
    table = tmp_path / "mine.toml"
    table.write_text('[theme]\ndescription = "mine"\nextends = "paper"\n'
                     '[own-roles]\nnormalizer_state = { color = "#009E73", linestyle = ":" }\n')
    resolved = resolve_theme(f"paper+{table}")
    own = role_style("normalizer_state", resolved, OWN)
    assert (own.color, own.linestyle) == ("#009E73", ":")
    assert own.linewidth == role_style("cell_state", resolved).linewidth  # not named: derived
    other = role_style("stabilizer_state", resolved, (("stabilizer_state", "hidden_state"),))
    assert other == derived_style(role_style("hidden_state", resolved), "white")


@pytest.mark.parametrize("body,message", [
    ('[own-roles]\ncell_state = { color = "red" }\n', "is a built-in role: style it in [roles]"),
    ('[own-roles]\nnorm = { colour = "red" }\n', "did you mean 'color'"),
    ('[own-roles]\nnorm = { color = "reddish" }\n', "'reddish' is not a colour"),
    ('[own-roles]\n"no-dash" = { color = "red" }\n', "is not a role name"),
])
def test_theme_own_role_mistakes(tmp_path, body, message):
    table = tmp_path / "mine.toml"
    table.write_text('[theme]\ndescription = "mine"\nextends = "paper"\n' + body)
    with pytest.raises(LstmfigsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        with lstmfigs.themes.theme_context(f"paper+{table}"):
            pass


@pytest.mark.parametrize("theme", ["paper", "print", "slides-dark"])
def test_matplotlib_draws_the_derived_look(theme):
    spec = loads_spec(TWO_RAILS)
    fig = lstmfigs.figure(spec, theme=theme)
    artists = fig.lstmfigs_diagram.artists
    index = {spec.wire_id(i): i for i in range(len(spec.wires))}
    c_line = artists.wires[index["c_wire"]][0]
    n_line = artists.wires[index["n_wire"]][0]
    resolved = resolve_theme(theme)
    own = role_style("normalizer_state", resolved, OWN)
    assert to_rgb(n_line.get_color()) == pytest.approx(to_rgb(own.color))
    assert to_rgb(n_line.get_color()) != pytest.approx(to_rgb(c_line.get_color()))
    assert n_line.get_linestyle() == "--" and c_line.get_linestyle() == "-"  # dashed vs solid
    assert n_line.get_linewidth() == c_line.get_linewidth()
    # The operation on the normaliser's rail takes the normaliser's colour family.
    divide = artists.nodes["divide"]
    assert to_rgb(divide.get_edgecolor()) == pytest.approx(to_rgb(own.color))


def test_the_scene_tikz_and_powerpoint_get_the_derived_look(tmp_path):
    spec = loads_spec(TWO_RAILS)
    with lstmfigs.themes.theme_context("print") as resolved:
        fig = lstmfigs.figure(spec, theme="print")
    scene = scene_of(fig)
    own = role_style("normalizer_state", resolved, OWN)
    look = scene.looks["normalizer_state"]
    assert look.line == own.color.lstrip("#").upper()
    assert look.dashes is not None and scene.looks["cell_state"].dashes is None
    tikz = lstmfigs.to_tikz(spec, theme="print")
    assert f"\\definecolor{{normalizer_state}}{{HTML}}{{{look.line}}}" in tikz
    assert "normalizer_state/.style={draw=normalizer_state" in tikz
    style_line = next(line for line in tikz.splitlines()
                      if "normalizer_state/.style={draw" in line)
    assert "dash pattern" in style_line
    pytest.importorskip("pptx")
    path = tmp_path / "rails.pptx"
    lstmfigs.save_pptx(spec, path, theme="slides")

    slide = zipfile.ZipFile(path).read("ppt/slides/slide1.xml").decode()
    wire = slide[slide.index('name="n_wire"'):]
    wire = wire[:wire.index("</p:cxnSp>") if "</p:cxnSp>" in wire else len(wire)]
    assert "prstDash" in wire or "custDash" in wire
