"""Equations beside or below the diagram, placed by a rule, with line breaks for the space.

``equations = "beside" | "below" | "auto"`` (True is "auto") from Python and the command
line; ``auto`` never shrinks the diagram below its legible minimum; an equation wider than
its panel is broken before a top-level ``+`` or ``=`` into continuation lines that fit,
never shrunk or left overflowing; every backend draws the lines drawn.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs.checks import layout_problems
from lstmfigs.cli import main
from lstmfigs.diagram.arrange import arrange
from lstmfigs.diagram.geometry import Metrics
from lstmfigs.diagram.panels import (
    CONTINUATION_INDENT,
    break_equation,
    plan_equations,
    plan_page,
)
from lstmfigs.diagram.spec import Equation, check_mathtext
from lstmfigs.errors import LayoutError, UnknownNameError
from lstmfigs.figures.diagrams import builtin_spec
from lstmfigs.roles import ALL_ROLES

_METRICS = Metrics(font_size=9.0, legend_font_size=8.0,
                   linewidths=dict.fromkeys(ALL_ROLES, 1.0))
EM = _METRICS.em


def _measure(text: str, kind: str) -> tuple[float, float]:
    """0.5 em per shown character (a command counts as one), one em high."""
    shown = re.sub(r"\\[a-zA-Z]+", "c", text)
    shown = re.sub(r"[${}_^\\ ]", "", shown)
    return (0.5 * EM * max(len(shown), 1), EM)


LONG = r"$C_t = f_t \odot C_{t-1} + i_t \odot \tilde{C}_t + \frac{a + b}{c} + d_t$"


# -- breaking one equation ----------------------------------------------------------------

def test_a_long_equation_breaks_before_top_level_plus():
    width = _measure(r"$C_t = f_t \odot C_{t-1} + $", "label")[0]
    lines = break_equation(LONG, width, _measure)
    assert len(lines) > 1
    assert lines[0].startswith("$C_t = ")
    for line in lines[1:]:
        assert line.startswith(f"${CONTINUATION_INDENT} +")  # the operator starts the line
    for line in lines:
        assert _measure(line, "label")[0] <= width
        check_mathtext(line, "equation")  # each line is mathtext of its own
    # Never inside a group: the fraction stays whole.
    assert sum(r"\frac{a + b}{c}" in line for line in lines) == 1
    # Nothing lost: the pieces put together are the equation.
    joined = "".join(line.strip("$").replace(CONTINUATION_INDENT, "").strip() + " "
                     for line in lines)
    assert joined.split() == LONG.strip("$").split()


def test_breaks_after_the_first_equals_and_before_later_ones():
    text = r"$y_t = a_t \odot b_t = c_t \odot d_t$"
    lines = break_equation(text, _measure(r"$y_t = a_t \odot b_t$", "label")[0], _measure)
    assert lines == [r"$y_t = a_t \odot b_t$", rf"${CONTINUATION_INDENT} = c_t \odot d_t$"]
    lines = break_equation(text, _measure("$y_t =$", "label")[0] + 0.01, _measure)
    assert lines[0] == "$y_t =$"  # the first = ends its line


def test_outer_breaks_come_before_breaks_inside_brackets():
    gru = r"$n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$"
    width = _measure(r"$\qquad + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$", "label")[0]
    assert width < _measure(gru, "label")[0]
    lines = break_equation(gru, width, _measure)
    assert lines == [r"$n_t = \tanh(W_{in} x_t + b_{in}$",
                     rf"${CONTINUATION_INDENT} + r_t \odot (W_{{hn}} h_{{t-1}} + b_{{hn}}))$"]
    # Where the outer breaks are not enough, a line breaks inside the inner bracket too.
    narrow = _measure(r"$\qquad + r_t \odot (W_{hn} h_{t-1}$", "label")[0]
    lines = break_equation(gru, narrow, _measure)
    assert lines[-1] == rf"${CONTINUATION_INDENT} + b_{{hn}}))$"
    assert all(_measure(line, "label")[0] <= narrow for line in lines)


def test_nothing_breaks_that_fits_or_cannot_break():
    assert break_equation(LONG, 100.0, _measure) == [LONG]
    unbreakable = r"$\left(a + b + c + d + e + f + g\right)$"
    assert break_equation(unbreakable, 0.1, _measure) == [unbreakable]
    signs = "$(+1) ^+ x$"
    assert break_equation(signs, 0.1, _measure) == [signs]
    plain = "a + b + c + d + e + f"
    assert break_equation(plain, 0.1, _measure) == [plain]


def test_plan_equations_breaks_to_fit_and_says_where_each_line_comes_from():
    lines = [Equation("$h_t = o_t$", ("output",)), Equation(LONG, ("update",))]
    width = 1.2
    plan = plan_equations(lines, _measure, width, _METRICS)
    assert plan is not None and plan.columns == 1
    assert plan.column_width <= width - 2 * EM
    assert plan.sources[0] == 0 and set(plan.sources[1:]) == {1}
    assert plan.parts == tuple(range(len(plan.lines)))[:1] + tuple(range(len(plan.lines) - 1))
    assert all(line.steps == ("update",) for line in plan.lines[1:])  # lit with their equation
    with pytest.raises(LayoutError, match="cannot be broken to fit"):
        plan_equations([Equation(r"$\left(" + "a + " * 30 + r"b\right)$")], _measure, width,
                       _METRICS)


# -- where the panel goes --------------------------------------------------------------------

def _plan(spec, fixed, equations, width=6.0, height=3.4):
    return plan_page(spec, _measure, _METRICS, width=width, page_height=height, fixed=fixed,
                     legend=False, equations=equations)


def _beside(plan) -> bool:
    return plan.equations_panel is not None and plan.equations_panel.box[0] > 0


@pytest.mark.parametrize("fixed", [False, True])
def test_beside_and_below_as_asked(fixed):
    spec = builtin_spec("lstm-cell")
    beside, below = _plan(spec, fixed, "beside"), _plan(spec, fixed, "below")
    assert _beside(beside) and not _beside(below)
    d, e = beside.diagram_box, beside.equations_panel.box
    assert d[0] + d[2] <= e[0] + 1e-12  # the panel right of the diagram
    d, e = below.diagram_box, below.equations_panel.box
    assert e[1] + e[3] <= d[1] + 1e-12  # the panel under it
    for plan in (beside, below):
        assert [line.source for line in plan.equations.placed if line.part == 0] == \
            list(range(len(spec.equations)))


def test_auto_on_a_slide_beside_unless_below_is_clearly_larger():
    spec = builtin_spec("lstm-cell")
    auto, true = _plan(spec, True, "auto"), _plan(spec, True, True)
    assert auto == true
    beside, below = _plan(spec, True, "beside"), _plan(spec, True, "below")
    expected = below if below.diagram.scale > 1.15 * beside.diagram.scale else beside
    assert auto == expected


def test_auto_on_a_column_page_keeps_the_diagram_as_large_as_below():
    spec = builtin_spec("lstm-cell")  # fills the width: beside would shrink it
    assert not _beside(_plan(spec, False, "auto"))
    small = builtin_spec("gru-cell")  # its max_unit keeps it small: beside costs nothing
    plan = _plan(small, False, "auto", width=9.0)
    assert _beside(plan)
    assert plan.diagram.scale == pytest.approx(_plan(small, False, "below", width=9.0)
                                               .diagram.scale)
    assert plan.size[1] < _plan(small, False, "below", width=9.0).size[1]  # and is shorter


def _slide_favouring_beside_a_little(spec):
    """A page where below draws the diagram larger, but not by the slide preference: the
    rule alone puts the equations beside it."""
    for height in (3.4, 3.6, 3.8, 4.0, 4.2, 4.4, 4.6, 4.8, 5.0):
        beside, below = _plan(spec, True, "beside", height=height), \
            _plan(spec, True, "below", height=height)
        if beside.diagram.scale < below.diagram.scale < 1.15 * beside.diagram.scale:
            return height, beside, below
    raise AssertionError("no such page")


def test_auto_never_shrinks_the_diagram_below_its_legible_minimum():
    # Arranged once: its min_unit is then only a floor (for a spec still to be arranged it
    # is also the unit it is arranged at, which would change the plans compared here).
    spec = arrange(builtin_spec("lstm-cell"), _measure, _METRICS)
    height, beside, below = _slide_favouring_beside_a_little(spec)
    assert _beside(_plan(spec, True, "auto", height=height))
    # A legible minimum between the two: beside would break it, so auto puts them below.
    minimum = (beside.diagram.scale + below.diagram.scale) / 2 / EM
    legible = dataclasses.replace(spec, min_unit=minimum)
    plan = _plan(legible, True, "auto", height=height)
    assert not _beside(plan)
    assert plan.diagram.scale >= minimum * EM * (1 - 1e-9)
    with pytest.raises(LayoutError, match="with the equations beside it.*'below'"):
        _plan(legible, True, "beside", height=height)
    # On a column page, a spec's min_width is its legible minimum.
    wide = dataclasses.replace(builtin_spec("gru-cell"), min_width=5.5)
    assert _beside(_plan(dataclasses.replace(wide, min_width=0.0), False, "auto", width=9.0))
    assert not _beside(_plan(wide, False, "auto", width=6.0))
    with pytest.raises(LayoutError, match="at least 5.50 in"):
        _plan(wide, False, "beside", width=6.0)


def test_equations_none_or_false_draw_no_panel():
    spec = builtin_spec("lstm-cell")
    for value in (None, False):
        plan = _plan(spec, True, value)
        assert plan.equations is None and plan.equations_panel is None


# -- from Python and the command line ---------------------------------------------------------

@pytest.mark.parametrize("theme", ["slides", "beamer", "ieee"])
def test_broken_lines_render_cleanly(theme):
    fig = lstmfigs.figure("lstm-peephole", theme=theme, equations=True)
    page = fig.lstmfigs_diagram.page
    assert layout_problems(fig) == []
    width = fig.get_size_inches()[0] * fig.dpi
    renderer = fig.canvas.get_renderer()
    for text in fig.lstmfigs_diagram.equation_texts:
        box = text.get_window_extent(renderer)
        assert 0 <= box.x0 and box.x1 <= width  # nothing overflows the page
    if theme == "slides":  # the peephole's long gates break beside a slide's diagram
        assert any(line.part for line in page.equations.placed)


def test_python_takes_a_place():
    below = lstmfigs.figure("rnn-cell", theme="slides", equations="below")
    beside = lstmfigs.figure("lstm-cell", theme="slides", equations="beside")
    assert below.lstmfigs_diagram.page.equations_panel.box[0] == 0
    # The LSTM at 22 pt is too tall for its equations below it on a slide: an error that
    # says so, never a shrunken diagram.
    with pytest.raises(LayoutError, match="needs a height"):
        lstmfigs.figure("lstm-cell", theme="slides", equations="below")
    assert beside.lstmfigs_diagram.page.equations_panel.box[0] > 0
    with pytest.raises(UnknownNameError, match="did you mean 'beside'"):
        lstmfigs.figure("lstm-cell", theme="slides", equations="besides")


def _render(tmp_path, *args):
    return CliRunner().invoke(main, ["render", "--format", "svg", "-o", str(tmp_path), *args])


def test_the_cli_flag_alone_and_with_a_place(tmp_path, monkeypatch):
    seen = []
    import lstmfigs.diagram.page as page

    original = page.plan_page

    def spy(*args, **kwargs):
        seen.append(kwargs["equations"])
        return original(*args, **kwargs)

    monkeypatch.setattr(page, "plan_page", spy)
    # The flag alone, before a name: the name stays a name.
    for args, expected in ((["--equations", "rnn-cell"], "auto"),
                           (["rnn-cell", "--equations=below"], "below"),
                           (["rnn-cell", "--equations=beside"], "beside"),
                           (["rnn-cell", "--equations=beside", "--no-equations"], None),
                           (["rnn-cell", "--no-equations", "--equations"], "auto"),
                           (["rnn-cell"], None)):
        seen.clear()
        result = _render(tmp_path, "--theme", "slides", *args)
        assert result.exit_code == 0, (args, result.output)
        assert seen and set(seen) <= {expected, False}, (args, seen)
        assert expected in seen or expected is None


def test_the_cli_refuses_an_unknown_place_in_one_line(tmp_path):
    result = _render(tmp_path, "rnn-cell", "--equations=besides")
    assert result.exit_code == 2
    assert "'besides' is not one of 'beside', 'below', 'auto'" in result.output
    assert "Traceback" not in result.output


def test_backends_draw_the_lines_drawn(tmp_path):
    req = dict(theme="slides", equations="beside")
    fig = lstmfigs.figure("lstm-peephole", **req)
    lines = fig.lstmfigs_diagram.page.equations.placed
    continued = [line for line in lines if line.part]
    assert continued
    tikz = lstmfigs.to_tikz("lstm-peephole", **req)
    for line in lines:
        assert line.equation.text.strip("$").split()[-1].rstrip(")") in tikz
    assert tikz.count(CONTINUATION_INDENT) == len(continued)
    path = tmp_path / "peephole.svg"
    lstmfigs.save(lstmfigs.figure("lstm-peephole", **req), path, editable=True)
    svg = path.read_text()
    first = continued[0]
    assert f'id="equation-{first.source + 1}-{first.part + 1}"' in svg
