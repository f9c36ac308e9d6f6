"""Geometry apart from painting: the layout and the page plan, checked without a renderer.

The layout takes the theme's metrics and a ``measure`` function and returns every primitive
(outlines, wire lines and arrowheads, branch dots, label boxes); the page plan places the
legend and equations.  Most tests here use a fake ``measure`` (every shown character 0.5 em wide),
so they need no figure, no canvas and no theme.
"""

from __future__ import annotations

import dataclasses
import re

import matplotlib as mpl
import numpy as np
import pytest

import lstmfigs
from lstmfigs.checks import geometry_problems
from lstmfigs.diagram.geometry import Metrics
from lstmfigs.diagram.layout import arrow, layout
from lstmfigs.diagram.panels import legend_glyph, plan_page
from lstmfigs.diagram.tomlio import loads_spec
from lstmfigs.roles import ALL_ROLES
from tests.helpers import hand_spec

_METRICS = Metrics(font_size=9.0, legend_font_size=8.0,
                   linewidths={role: 1.2 for role in ALL_ROLES}, marker_edge_width=1.0)


def _measure(text: str, kind: str) -> tuple[float, float]:
    """About what a renderer says: 0.5 em per shown character, one em high."""
    em = (_METRICS.legend_font_size if kind == "legend" else _METRICS.font_size) / 72
    shown = re.sub(r"[${}_^\\]", "", text)
    return (0.5 * em * max(len(shown), 1), em)


# A user's spec: gate g's east port feeds two wires lit in step 'second'; the first wire
# of the same role anywhere in the file (a -> c) is lit in step 'first' only.
BRANCH_SPEC = """
name = 'branch-demo'
steps = ['first', 'second']

[[nodes]]
id = 'a_in'
kind = 'terminal'
at = [0.0, 0.0]
label = '$a$'
role = 'hidden_state'

[[nodes]]
id = 'b_in'
kind = 'terminal'
at = [0.0, 3.0]
label = '$b$'
role = 'hidden_state'

[[nodes]]
id = 'g'
kind = 'gate'
at = [2.0, 3.0]
label = '$g$'
role = 'forget_gate'

[[nodes]]
id = 'up'
kind = 'terminal'
at = [4.0, 4.5]
label = '$u$'
role = 'hidden_state'
label_side = 'right'

[[nodes]]
id = 'down'
kind = 'terminal'
at = [4.0, 1.5]
label = '$d$'
role = 'hidden_state'
label_side = 'right'

[[nodes]]
id = 'a_out'
kind = 'terminal'
at = [4.0, 0.0]
label = '$c$'
role = 'hidden_state'
label_side = 'right'

[[wires]]
from = 'a_in.e'
to = 'a_out.w'
role = 'hidden_state'
steps = ['first']

[[wires]]
from = 'b_in.e'
to = 'g.w'
role = 'hidden_state'
steps = ['second']

[[wires]]
from = 'g.e'
to = 'up.w'
role = 'hidden_state'
steps = ['second']

[[wires]]
from = 'g.e'
to = 'down.w'
role = 'hidden_state'
steps = ['second']
"""


def test_a_branch_dot_takes_the_steps_of_the_wires_that_meet_there():
    diagram = layout(loads_spec(BRANCH_SPEC, "branch.toml"), _measure, 4.0, metrics=_METRICS)
    (dot,) = diagram.dots
    assert dot.source == "g.e" and dot.steps == ("second",)
    # Where the two wires from g.e part, not on the port they run together from.
    up, down = (w.points for w in diagram.wires if w.wire.source == "g.e")
    assert up[:2] == down[:2] and up[2] != down[2]
    assert dot.point == up[1] != diagram.nodes["g"].port("e")


def test_wires_from_one_port_get_a_dot_wherever_they_part():
    """Three wires from one port: two part from the third, then from each other."""
    spec = loads_spec(BRANCH_SPEC, "branch.toml")
    spec = dataclasses.replace(spec, wires=spec.wires + (dataclasses.replace(
        spec.wires[3], target="down.n", via=((3.3, 2.2), (4.0, 2.2))),))
    diagram = layout(spec, _measure, 4.0, metrics=_METRICS)
    points = sorted(dot.point for dot in diagram.dots)
    assert points == [(3.3, 2.2), (3.3, 3.0)]


@pytest.mark.parametrize("step", ["second", "first"])
def test_a_branch_dot_is_lit_with_its_wires_in_every_output(tmp_path, step):
    """The bug: the dot took the steps of a -> c, the first hidden_state wire in the file,
    so it was dimmed between two lit wires ('second') and lit between dimmed ones."""
    path = tmp_path / "branch.toml"
    path.write_text(BRANCH_SPEC)
    fig = lstmfigs.figure(str(path), theme="paper", highlight=step)
    artists = fig.lstmfigs_diagram.artists
    dot_color = mpl.colors.to_rgb(artists.dots[0].get_color())
    wire_color = mpl.colors.to_rgb(artists.wires[2][0].get_color())  # g.e -> up.w
    other_color = mpl.colors.to_rgb(artists.wires[0][0].get_color())  # a -> c
    assert dot_color == wire_color
    assert (wire_color == other_color) is False  # one of them is dimmed
    from lstmfigs.scene import scene_of
    from lstmfigs.svgedit import editable_svg

    assert scene_of(fig).dots[0][2] == ("second",)
    assert b'class="branch role-hidden_state step-second"' in editable_svg(fig)


def test_layout_reads_no_global_state():
    """The theme comes in as Metrics: the active rcParams change nothing."""
    spec = hand_spec("lstm-cell")
    with mpl.rc_context({"font.size": 5, "lines.linewidth": 9}):
        small = layout(spec, _measure, 5.0, metrics=_METRICS)
    with mpl.rc_context({"font.size": 30, "lines.linewidth": 0.1}):
        large = layout(spec, _measure, 5.0, metrics=_METRICS)
    assert small == large


def test_every_wire_ends_in_its_arrowhead():
    diagram = layout(hand_spec("lstm-cell"), _measure, 5.0, metrics=_METRICS)
    heads = 0
    for geom in diagram.wires:
        if geom.head is None:
            assert geom.line == geom.points
            continue
        heads += 1
        tip, left, right = np.array(geom.head)
        assert tuple(tip) == geom.points[-1]
        base = (left + right) / 2
        length = _METRICS.head_length(geom.wire.role) / diagram.scale
        assert np.hypot(*(tip - base)) == pytest.approx(length)
        # The stroked line stops inside the head, half-way along it (or where the last leg
        # starts, if that is shorter).
        last_leg = np.hypot(*(np.array(geom.points[-2]) - tip))
        assert np.hypot(*(np.array(geom.line[-1]) - tip)) == pytest.approx(min(length / 2,
                                                                              last_leg))
    assert heads > 10


def test_the_legend_glyph_uses_the_wires_arrowhead():
    glyph = legend_glyph("transfer", 1.0, 2.0, 0.3, _METRICS)
    line, head = arrow(((1.0, 2.0), (1.3, 2.0)), _METRICS.head_length("hidden_state"))
    assert glyph.head == head and glyph.strokes[0].points == line
    copy = legend_glyph("copy", 1.0, 2.0, 0.3, _METRICS)
    assert copy.dot_size == _METRICS.dot_size("hidden_state")


def test_outlines_carry_their_rounding():
    diagram = layout(hand_spec("lstm-cell"), _measure, 5.0, metrics=_METRICS)
    gate = diagram.nodes["forget_gate"]
    assert gate.rounding == pytest.approx(0.18 * min(gate.width, gate.height))
    assert diagram.regions[0].rounding == pytest.approx(0.06 * min(diagram.regions[0].bounds[2:]))


@pytest.mark.parametrize("fixed", [False, True])
def test_the_page_plan_stacks_panels_without_overlap(fixed):
    spec = hand_spec("lstm-cell")
    plan = plan_page(spec, _measure, _METRICS, width=6.0, page_height=4.0, fixed=fixed,
                     legend=True, equations=True)
    width, height = plan.size
    assert width == 6.0 and (height == 4.0 if fixed else height > plan.diagram.size[1])
    boxes = [plan.diagram_box] + [p.box for p in (plan.legend_panel, plan.equations_panel) if p]
    assert len(boxes) == 3
    for a in boxes:
        assert -1e-12 <= a[0] and a[0] + a[2] <= 1 + 1e-12
        assert -1e-12 <= a[1] and a[1] + a[3] <= 1 + 1e-12
        for b in boxes:
            if a is not b:
                apart = (a[0] + a[2] <= b[0] + 1e-12 or b[0] + b[2] <= a[0] + 1e-12
                         or a[1] + a[3] <= b[1] + 1e-12 or b[1] + b[3] <= a[1] + 1e-12)
                assert apart, (a, b)
    assert [item.entry for item in plan.legend.items] == list(spec.legend)
    assert [line.equation for line in plan.equations.placed] == list(spec.equations)


def test_geometry_checks_need_no_renderer_and_can_fail():
    spec = hand_spec("lstm-cell")
    assert geometry_problems(layout(spec, _measure, 5.0, metrics=_METRICS)) == []
    # The input gate on top of the forget gate, a label on a wire.
    nodes = tuple(dataclasses.replace(n, at=(3.3, 2.5)) if n.id == "input_gate" else n
                  for n in spec.nodes)
    labels = tuple(dataclasses.replace(label, at=(2.8, 4.6), ha="center")
                   if label.id == "forget_label" else label for label in spec.labels)
    broken = layout(dataclasses.replace(spec, nodes=nodes, labels=labels), _measure, 5.0,
                    metrics=_METRICS)
    problems = geometry_problems(broken)
    assert any("node 'forget_gate' overlaps node 'input_gate'" in p for p in problems), problems
    assert any("'$f_t$' overlaps wire forget_gate.n->forget_mul.s" in p for p in problems)
