"""The layout checks must see what they claim to see: plant each defect, expect a report."""

from __future__ import annotations

import dataclasses

from matplotlib.figure import Figure

from lstmfigs import figure
from lstmfigs.checks import geometry_problems, layout_problems, parallel_problems, wire_problems
from lstmfigs.diagram.layout import layout
from lstmfigs.diagram.paint import text_measurer, theme_metrics
from lstmfigs.diagram.spec import DiagramSpec, Node, Wire, validate
from lstmfigs.themes import new_figure, theme_context
from tests.helpers import hand_spec


def _spec_with(**changes):
    return dataclasses.replace(hand_spec("lstm-cell"), **changes)


def test_clean_figure_has_no_problems():
    assert layout_problems(figure(hand_spec("lstm-cell"), legend=True, equations=True)) == []


def _problems_with_forget_label_at(at, ha="left") -> list[str]:
    spec = hand_spec("lstm-cell")
    labels = [dataclasses.replace(label, at=at, ha=ha) if label.id == "forget_label" else label
              for label in spec.labels]
    return layout_problems(figure(_spec_with(labels=tuple(labels)), legend=False,
                                  allow_layout_problems=True))


def test_label_on_a_node_is_reported():
    problems = _problems_with_forget_label_at((2.8, 2.5), "center")
    assert any("'$f_t$' overlaps node 'forget_gate'" in p for p in problems), problems


def test_label_on_a_label_is_reported():
    problems = _problems_with_forget_label_at((5.05, 3.55))
    assert any("overlaps text '$i_t$'" in p or "'$i_t$' overlaps text '$f_t$'" in p
               for p in problems), problems


def test_label_on_a_wire_is_reported():
    problems = _problems_with_forget_label_at((2.8, 4.6), "center")
    assert any("'$f_t$' overlaps wire forget_gate.n->forget_mul.s" in p for p in problems), problems


def test_overlapping_nodes_are_reported():
    spec = hand_spec("lstm-cell")
    nodes = [dataclasses.replace(n, at=(3.3, 2.5)) if n.id == "input_gate" else n
             for n in spec.nodes]
    problems = layout_problems(figure(_spec_with(nodes=tuple(nodes)), legend=False,
                                      allow_layout_problems=True))
    assert any("node 'forget_gate' overlaps node 'input_gate'" in p for p in problems), problems


def test_text_cut_off_at_the_edge_is_reported():
    fig = Figure(figsize=(2, 2))
    fig.text(0.95, 0.5, "a long label that runs off the page")
    assert any("cut off" in p for p in layout_problems(fig))


def test_tiny_text_is_reported():
    fig = Figure(figsize=(2, 2))
    fig.text(0.1, 0.5, "tiny", fontsize=3)
    assert any("below 5.0 pt" in p for p in layout_problems(fig))


def test_wire_not_ending_at_its_port_is_reported():
    fig = figure(hand_spec("lstm-cell"), legend=False)
    layout = fig.lstmfigs_diagram.layout
    wires = list(layout.wires)
    first = wires[0]
    wires[0] = dataclasses.replace(first, points=first.points[:-1] + ((first.points[-1][0] - 0.5,
                                                                      first.points[-1][1]),))
    broken = dataclasses.replace(layout, wires=tuple(wires))
    assert any("not at port forget_mul.w" in p for p in wire_problems(broken))
    assert wire_problems(layout) == []


def test_diagonal_wire_is_reported():
    layout = figure(hand_spec("lstm-cell"), legend=False).lstmfigs_diagram.layout
    wire = layout.wires[0]
    diagonal = dataclasses.replace(wire, points=(wire.points[0], (0.0, 0.0), wire.points[-1]))
    broken = dataclasses.replace(layout, wires=(diagonal,) + layout.wires[1:])
    assert any("diagonal" in p for p in wire_problems(broken))


def test_wire_through_another_node_is_reported():
    spec = hand_spec("lstm-cell")
    # Move the input gate onto the forget gate's output wire.
    nodes = [dataclasses.replace(n, at=(2.8, 4.0)) if n.id == "input_mul" else n
             for n in spec.nodes]
    problems = layout_problems(figure(_spec_with(nodes=tuple(nodes)), legend=False,
                                      allow_layout_problems=True))
    assert any("wire forget_gate.n->forget_mul.s runs through node 'input_mul'" in p
               for p in problems), problems


def test_tick_labels_outside_the_view_are_not_reported():
    """matplotlib keeps labels for ticks beyond the limits but never draws them."""
    fig = Figure(figsize=(3, 2))
    ax = fig.add_axes((0.2, 0.2, 0.7, 0.7))
    ax.plot([0.05, 0.95], [0.05, 0.95])
    ax.set_xlim(0.05, 0.95)
    assert layout_problems(fig) == []


def test_drawing_outside_the_theme_does_not_change_the_saved_file(tmp_path):
    import lstmfigs

    direct, after_check = tmp_path / "direct.png", tmp_path / "after.png"
    lstmfigs.figure("lstm-cell", theme="slides").savefig(direct, dpi=50)
    fig = lstmfigs.figure("lstm-cell", theme="slides")
    layout_problems(fig)  # draws the figure under whatever rcParams are active
    fig.savefig(after_check, dpi=50)
    assert direct.read_bytes() == after_check.read_bytes()


# -- wires against their own nodes, on small specs built with one defect each ---------------

def _two_nodes(*wires) -> DiagramSpec:
    """A gate 'a' at the origin and a pointwise op 'b' three units to its right."""
    return DiagramSpec(name="two", nodes=(Node(id="a", kind="gate", at=(0.0, 0.0)),
                                          Node(id="b", kind="op", at=(3.0, 0.0))),
                       wires=tuple(wires))


def _geometry(spec: DiagramSpec):
    """The spec laid out in the default theme, without the build path's own checks."""
    with theme_context("paper"):
        return layout(validate(spec), text_measurer(new_figure()), 4.0, metrics=theme_metrics())


def test_a_clean_small_spec_has_no_wire_problems():
    geometry = _geometry(_two_nodes(Wire("a.e", "b.w")))
    assert geometry_problems(geometry) == []


def test_wire_entering_its_target_along_the_wrong_side_is_reported():
    # The last leg runs right along b's bottom into its south port: it touches the outline
    # only, so the wrong side is the one defect.
    geometry = _geometry(_two_nodes(Wire("a.e", "b.s", via=((2.0, -0.31),))))
    problems = geometry_problems(geometry)
    assert problems == ["wire a.e->b.s enters node 'b' moving right, not through its port's "
                        "side 's' (moving up)"], problems


def test_wire_leaving_its_source_through_the_wrong_side_is_reported():
    # From a's east port the first leg runs left, back across the box.
    geometry = _geometry(_two_nodes(Wire("a.e", "b.w", via=((-1.0, 1.0),))))
    problems = geometry_problems(geometry)
    assert "wire a.e->b.w leaves node 'a' moving left, not through its port's side 'e' " \
           "(moving right)" in problems, problems
    assert "wire a.e->b.w runs through its own source node 'a'" in problems, problems


def test_wire_running_through_its_own_source_beyond_its_port_is_reported():
    # It leaves a's east port the right way, loops round and comes down through a.
    geometry = _geometry(_two_nodes(Wire("a.e", "b.w", via=((1.0, 0.0), (1.0, 1.0),
                                                            (0.0, 1.0), (0.0, -1.0)))))
    problems = geometry_problems(geometry)
    assert problems == ["wire a.e->b.w runs through its own source node 'a'"], problems


def test_wire_running_through_its_own_target_is_reported():
    # Into b's east port from the left: straight through b, and in the wrong way.
    geometry = _geometry(_two_nodes(Wire("a.e", "b.e")))
    problems = geometry_problems(geometry)
    assert "wire a.e->b.e runs through its own target node 'b'" in problems, problems
    assert "wire a.e->b.e enters node 'b' moving right, not through its port's side 'e' " \
           "(moving left)" in problems, problems


def _lstm_layout():
    return figure(hand_spec("lstm-cell"), legend=False).lstmfigs_diagram.layout


def _with_points(layout, index, points):
    wires = list(layout.wires)
    wires[index] = dataclasses.replace(wires[index], points=tuple(points))
    return dataclasses.replace(layout, wires=tuple(wires))


def _from_other_ports(layout):
    """Two wires of ``layout`` from different ports, the first with a horizontal leg."""
    for first in layout.wires:
        for a, b in zip(first.points, first.points[1:], strict=False):
            if a[1] == b[1] and abs(a[0] - b[0]) > 1.0:
                for second in layout.wires:
                    if second.wire.source != first.wire.source:
                        return first, second, (a, b)
    raise AssertionError("no horizontal leg")


def test_wires_running_along_each_other_are_reported():
    layout = _lstm_layout()
    assert parallel_problems(layout) == []
    first, second, (a, b) = _from_other_ports(layout)
    em = layout.metrics.em / layout.scale
    for offset in (0.0, 0.3 * em):  # on the same line, and a third of a line apart
        beside = [(a[0], a[1] + offset), (b[0], b[1] + offset)]
        problems = parallel_problems(_with_points(layout, second.index, beside))
        name = f"wire {layout.spec.wire_id(first.index)} runs along wire"
        assert any(p.startswith(name) or f"runs along {name}" in p for p in problems), problems
    # A line of text apart, they read as two wires.
    apart = [(a[0], a[1] + 1.2 * em), (b[0], b[1] + 1.2 * em)]
    assert parallel_problems(_with_points(layout, second.index, apart)) == []


def test_a_wire_turning_on_another_is_reported():
    layout = _lstm_layout()
    first, second, (a, b) = _from_other_ports(layout)
    middle = ((a[0] + b[0]) / 2, a[1])
    ending = _with_points(layout, second.index, [(middle[0], middle[1] + 1.0), middle])
    assert any("touches wire" in p for p in parallel_problems(ending))
    assert any("touches wire" in p for p in geometry_problems(ending))

