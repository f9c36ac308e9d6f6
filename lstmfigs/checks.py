"""Layout checks on a drawn figure: what a careful reader would notice.

``layout_problems(fig)`` draws the figure once and returns a list of human-readable
problems (empty when the figure is clean):

* text overlapping other text (extents from the renderer, not estimates);
* text overlapping a diagram node it does not belong to, or a wire;
* anything cut off at the canvas edge;
* in diagrams, wires whose ends are not on a port of the node they name, that leave or
  enter a node through the wrong side (not away from, or into, the port's side), and that
  run through a node: one they do not connect to, or their own source or target beyond
  the port;
* in diagrams, two wires from different ports running along each other: on the same
  line, or parallel and closer than :data:`PARALLEL_GAP_EM` of the theme's text, for more
  than :data:`PARALLEL_LENGTH_EM` (they read as one wire, or as a tangle);
* text smaller than ``min_font_pt`` at the figure's physical size.

They work for any matplotlib figure (tick labels, titles, colour-bar labels, legends) and
know more about lstmfigs diagrams (``fig.lstmfigs_diagram``).  The test-suite runs them on
every built-in figure in every theme; users can run them on their own figures.

A diagram's own geometry is checked without a renderer by :func:`geometry_problems`, from
its layout alone (node outlines, wire polylines and the measured boxes of its labels, in
diagram units); :func:`layout_problems` adds what only a drawn figure shows (text against
text across the whole figure, the panels' text against the diagram, the canvas edge).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations, pairwise
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox, BboxBase

from .errors import LayoutError

#: Extents closer than this (pixels at 100 dpi) count as touching, not overlapping.
TOLERANCE_PX = 0.5
#: The same tolerance in inches, for geometry checked without a renderer.
TOLERANCE_IN = TOLERANCE_PX / 100
#: A wire may graze a node's outline by this much (inches) without running through it.
GRAZE_IN = 1.0 / 100

#: Parallel wires from different ports closer than this, in ems of the theme's text,
#: run along each other (half a line of text).
PARALLEL_GAP_EM = 0.4
#: ... when they do so for longer than this, in ems (shorter: where wires meet a node).
PARALLEL_LENGTH_EM = 0.8

Extents = tuple[float, float, float, float]


def layout_error(name: str, problems: list[str], where: str = "", *,
                 what: str = "diagram") -> LayoutError:
    """The error for ``problems`` of figure ``name``: one line with the first problem and
    how many more, and how to draw it anyway.

    Parameters
    ----------
    name : str
        How the diagram is named to the user (a catalog name or a spec file).
    problems : list of str
        From :func:`layout_problems` or :func:`geometry_problems`; not empty.
    where : str, optional
        Where they were found (``"in theme 'slides' with equations"``).
    what : str, default: "diagram"
        What the error calls the figure: ``"diagram"``, or ``"figure"`` for a data figure.

    Returns
    -------
    LayoutError
    """
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    place = f" {where}" if where else ""
    return LayoutError(f"{what} '{name}' has layout problems{place}: {problems[0]}{more}; "
                       "draw it anyway with --allow-layout-problems (Python: "
                       "allow_layout_problems=True)")


def check_layout(fig: Figure, name: str, *, what: str = "diagram") -> None:
    """Raise :class:`~lstmfigs.errors.LayoutError` if ``fig`` has layout problems.

    Parameters
    ----------
    fig : Figure
        A drawn diagram (or any figure).
    name : str
        How the error names it.
    what : str, default: "diagram"
        What the error calls the figure: ``"diagram"``, or ``"figure"`` for a data figure.

    Raises
    ------
    LayoutError
        Naming the first of :func:`layout_problems` and how many more there are.
    """
    problems = layout_problems(fig)
    if problems:
        raise layout_error(name, problems, what=what)


def _undrawn_tick_labels(fig: Figure) -> set[int]:
    """Tick labels matplotlib keeps but does not draw (ticks outside the view limits)."""
    undrawn: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not ax.axison or not axis.get_visible():
                drawn = []  # an axis that is switched off draws no tick labels at all
            else:
                update = getattr(axis, "_update_ticks", None)  # private: the ticks drawn next
                if update is None:
                    continue  # without it, check every label
                drawn = update()
            drawn_ids = {id(label) for tick in drawn for label in (tick.label1, tick.label2)}
            for tick in axis.majorTicks + axis.minorTicks:
                for label in (tick.label1, tick.label2):
                    if id(label) not in drawn_ids:
                        undrawn.add(id(label))
    return undrawn


def _visible_texts(fig: Figure) -> list[Text]:
    texts = []
    undrawn = _undrawn_tick_labels(fig)
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in undrawn:
            continue
        if text.axes is not None and not text.axes.get_visible():
            continue
        texts.append(text)
    return texts


def _shrink(box: Bbox, amount: float) -> Bbox:
    return Bbox.from_extents(box.x0 + amount, box.y0 + amount, box.x1 - amount, box.y1 - amount)


def _describe(text: Text) -> str:
    return repr(text.get_text())


def _segments_hit_box(points: np.ndarray, box: Bbox) -> bool:
    """Whether a polyline (display coordinates) passes through the inside of ``box``."""
    for (x0, y0), (x1, y1) in pairwise(points):
        # Clip the segment against the box (Liang-Barsky).
        dx, dy = x1 - x0, y1 - y0
        t0, t1 = 0.0, 1.0
        inside = True
        for p, q in ((-dx, x0 - box.x0), (dx, box.x1 - x0), (-dy, y0 - box.y0), (dy, box.y1 - y0)):
            if p == 0:
                if q < 0:
                    inside = False
                    break
                continue
            r = q / p
            if p < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
            if t0 > t1:
                inside = False
                break
        if inside:
            return True
    return False


def layout_problems(fig: Figure, *, min_font_pt: float = 5.0, check_wires: bool = True,
                    ignore: Iterable[Text] = ()) -> list[str]:
    """Everything wrong with the layout of ``fig``; an empty list means clean.

    Parameters
    ----------
    fig : Figure
        Any figure; an lstmfigs diagram (``fig.lstmfigs_diagram``) is also checked by
        :func:`geometry_problems`.
    min_font_pt : float
        Text smaller than this, in points, is reported.
    check_wires : bool
        Check a diagram's wires too.
    ignore : iterable of Text
        Texts left out of every check.

    Returns
    -------
    list of str
        One line per problem.
    """
    from .export import figure_renderer

    renderer = figure_renderer(fig)  # attaches a canvas that can draw, if it has none
    fig.canvas.draw()
    problems: list[str] = []
    ignored = set(map(id, ignore))
    texts = [t for t in _visible_texts(fig) if id(t) not in ignored]
    boxes = {id(t): t.get_window_extent(renderer) for t in texts}
    canvas = fig.bbox

    for text in texts:
        box = boxes[id(text)]
        if (box.x0 < canvas.x0 - TOLERANCE_PX or box.y0 < canvas.y0 - TOLERANCE_PX
                or box.x1 > canvas.x1 + TOLERANCE_PX or box.y1 > canvas.y1 + TOLERANCE_PX):
            problems.append(f"text {_describe(text)} is cut off at the canvas edge")
        size = float(text.get_fontsize())
        if size < min_font_pt:
            problems.append(f"text {_describe(text)} is {size:.1f} pt, "
                            f"below {min_font_pt} pt")

    for first, second in combinations(texts, 2):
        a, b = _shrink(boxes[id(first)], TOLERANCE_PX), _shrink(boxes[id(second)], TOLERANCE_PX)
        if a.overlaps(b):
            problems.append(f"text {_describe(first)} overlaps text {_describe(second)}")

    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        tight = ax.get_tightbbox(renderer)
        if tight is not None and (tight.x0 < canvas.x0 - 1 or tight.y0 < canvas.y0 - 1
                                  or tight.x1 > canvas.x1 + 1 or tight.y1 > canvas.y1 + 1):
            problems.append(f"axes '{ax.get_label() or ax.get_title()}' is cut off at the "
                            "canvas edge")

    diagram = getattr(fig, "lstmfigs_diagram", None)
    if diagram is not None:
        problems += _diagram_problems(diagram, renderer, boxes, canvas, check_wires)
    return problems


def _diagram_problems(diagram: Any, renderer: Any, boxes: dict[int, Bbox], canvas: BboxBase,
                      check_wires: bool) -> list[str]:
    """The diagram's geometry, then its panels' text against its nodes and wires."""
    artists = diagram.artists
    layout = diagram.layout
    problems = geometry_problems(layout, check_wires=check_wires)
    to_display = artists.ax.transData.transform

    node_boxes = {node_id: patch.get_window_extent(renderer)
                  for node_id, patch in artists.nodes.items() if patch is not None}
    for node_id, box in node_boxes.items():
        if box.x0 < canvas.x0 or box.y0 < canvas.y0 or box.x1 > canvas.x1 or box.y1 > canvas.y1:
            problems.append(f"node '{node_id}' is cut off at the canvas edge")
    for text in list(diagram.legend_texts) + list(diagram.equation_texts):
        if id(text) not in boxes:
            continue
        box = _shrink(boxes[id(text)], TOLERANCE_PX)
        for node_id, node_box in node_boxes.items():
            if box.overlaps(node_box):
                problems.append(f"text {_describe(text)} overlaps node '{node_id}'")
        for index, points in enumerate(artists.wire_points):
            if _segments_hit_box(to_display(np.asarray(points)), box):
                problems.append(f"text {_describe(text)} overlaps wire "
                                f"{layout.spec.wire_id(index)}")
    return problems


def _overlap(a: Extents, b: Extents, shrink: float) -> bool:
    """Whether boxes ``a`` and ``b`` (x0, y0, x1, y1), each shrunk by ``shrink``, overlap."""
    return (a[0] + shrink < b[2] - shrink and b[0] + shrink < a[2] - shrink
            and a[1] + shrink < b[3] - shrink and b[1] + shrink < a[3] - shrink)


def _as_bbox(box: Extents, shrink: float = 0.0) -> Bbox:
    return Bbox.from_extents(box[0] + shrink, box[1] + shrink, box[2] - shrink, box[3] - shrink)


def geometry_problems(layout: Any, *, check_wires: bool = True) -> list[str]:
    """Everything wrong with a diagram's geometry, found without drawing it.

    Checks, in diagram units: wires (:func:`wire_problems`); nodes overlapping nodes;
    wires running through a node (their own source and target included: they touch those
    at their ports only); nodes outside the diagram's
    limits; a node's label not fitting inside it; labels overlapping a node that is not
    theirs, a wire, or another label.

    Parameters
    ----------
    layout : DiagramLayout
        A laid-out diagram (``fig.lstmfigs_diagram.layout``).
    check_wires : bool
        Also check the wires (port to port, orthogonal, through the ports' sides, not
        through any node).

    Returns
    -------
    list of str
        One line per problem; empty when the geometry is clean.
    """
    problems: list[str] = []
    spec = layout.spec
    tolerance = TOLERANCE_IN / layout.scale
    outlines = {node_id: geom.bounds for node_id, geom in layout.nodes.items()
                if geom.shape != "point"}
    (x_lo, x_hi), (y_lo, y_hi) = layout.xlim, layout.ylim
    for node_id, (x0, y0, x1, y1) in outlines.items():
        if x0 < x_lo or y0 < y_lo or x1 > x_hi or y1 > y_hi:
            problems.append(f"node '{node_id}' lies outside the diagram's area")
    for (id_a, a), (id_b, b) in combinations(outlines.items(), 2):
        if _overlap(a, b, tolerance):
            problems.append(f"node '{id_a}' overlaps node '{id_b}'")

    for item in layout.texts:
        box = item.box(layout.scale)
        if item.kind == "node":
            x0, y0, x1, y1 = outlines.get(item.owner, box)
            slack = 1.0 / 100 / layout.scale
            if not (x0 - slack <= box[0] and box[2] <= x1 + slack
                    and y0 - slack <= box[1] and box[3] <= y1 + slack):
                problems.append(f"label {item.text!r} does not fit inside node '{item.owner}'")
            continue
        for node_id, outline in outlines.items():
            if _overlap(box, outline, tolerance / 2):
                problems.append(f"text {item.text!r} overlaps node '{node_id}'")
        inside = _as_bbox(box, tolerance)
        for geom in layout.wires:
            if _segments_hit_box(np.asarray(geom.points), inside):
                problems.append(f"text {item.text!r} overlaps wire {spec.wire_id(geom.index)}")
    labels = [item for item in layout.texts if item.kind != "node"]
    for first, second in combinations(labels, 2):
        if _overlap(first.box(layout.scale), second.box(layout.scale), tolerance):
            problems.append(f"text {first.text!r} overlaps text {second.text!r}")

    if check_wires:
        problems += wire_problems(layout)
        problems += parallel_problems(layout)
        # A wire may touch the nodes at its two ends; running through any other node makes
        # the reader think it feeds that node.
        # A wire's own source and target count too: it touches them only at its ports
        # (the box shrunk by the graze leaves the port on the outline outside), so a wire
        # that turns back into its own node beyond the port is reported.
        graze = GRAZE_IN / layout.scale
        for geom in layout.wires:
            own = {geom.wire.source.partition(".")[0]: "its own source ",
                   geom.wire.target.partition(".")[0]: "its own target "}
            points = np.asarray(geom.points)
            for node_id, outline in outlines.items():
                if _segments_hit_box(points, _as_bbox(outline, graze)):
                    problems.append(f"wire {spec.wire_id(geom.index)} runs through "
                                    f"{own.get(node_id, '')}node '{node_id}'")
    return problems


def wire_problems(layout: Any) -> list[str]:
    """Wires that do not run from a port to a port, are not orthogonal, or leave or enter
    a node through the wrong side.

    A wire leaves its source moving away from the port's side (a port on side ``n`` is
    left moving up) and enters its target moving into the node through the port's side (a
    port on side ``s`` is entered moving up).  Point-like nodes (dots, concatenations,
    terminals) have no sides and are not checked for it.

    Parameters
    ----------
    layout : DiagramLayout
        A laid-out diagram.

    Returns
    -------
    list of str
        One line per problem; empty when every wire is sound.
    """
    from .diagram.spec import parse_port, resolve_port

    problems = []
    for geom in layout.wires:
        name = layout.spec.wire_id(geom.index)
        points = geom.points
        if len(points) < 2:
            problems.append(f"wire {name} has no length")
            continue
        for (x0, y0), (x1, y1) in pairwise(points):
            if abs(x0 - x1) > 1e-9 and abs(y0 - y1) > 1e-9:
                problems.append(f"wire {name} has a diagonal segment")
        for end, ref, point in (("start", geom.wire.source, points[0]),
                                ("end", geom.wire.target, points[-1])):
            node_id, port = parse_port(ref)
            node = layout.nodes[node_id]
            expected = node.port(resolve_port(node.node, port))
            if np.hypot(point[0] - expected[0], point[1] - expected[1]) > 1e-9:
                problems.append(f"wire {name} {end}s at {point}, not at port {ref} {expected}")
        problems += _side_problems(layout, geom, name)
    return problems


def parallel_problems(layout: Any, *, gap_em: float = PARALLEL_GAP_EM,
                      length_em: float = PARALLEL_LENGTH_EM) -> list[str]:
    """Pairs of wires that run along each other: parallel segments, on one line or less
    than ``gap_em`` of the theme's text apart, side by side for more than ``length_em``;
    or that touch, a corner or end of one on the other (outside the nodes), which reads as
    a junction.

    Wires from the same port may share their way (a branch dot marks where they part), and
    so may wires into the same port of a concatenation point (the signals join there).

    Parameters
    ----------
    layout : DiagramLayout
        A laid-out diagram.
    gap_em, length_em : float
        The gap and the length, in ems of the theme's text.

    Returns
    -------
    list of str
        One line per pair of wires; empty when no two wires run along each other.
    """
    from .diagram.spec import resolve_port

    em = layout.metrics.em / layout.scale  # one em in diagram units
    graze = GRAZE_IN / layout.scale
    outlines = [(x0 - graze, y0 - graze, x1 + graze, y1 + graze)
                for x0, y0, x1, y1 in (geom.bounds for geom in layout.nodes.values())]
    gap, length = gap_em * em, length_em * em

    def port(ref: str) -> str:
        node_id, _, name = ref.partition(".")
        return f"{node_id}.{resolve_port(layout.nodes[node_id].node, name)}"

    wires = []
    for geom in layout.wires:
        target = port(geom.wire.target)
        merging = layout.nodes[target.partition(".")[0]].node.kind == "concat"
        segments = [((a[1], min(a[0], b[0]), max(a[0], b[0])) if a[1] == b[1] else None,
                     (a[0], min(a[1], b[1]), max(a[1], b[1])) if a[0] == b[0] else None)
                    for a, b in pairwise(geom.points)]
        wires.append((geom, port(geom.wire.source), target if merging else None, segments))
    problems = []
    for (first, source_a, merge_a, segs_a), (second, source_b, merge_b, segs_b) in (
            combinations(wires, 2)):
        if source_a == source_b or (merge_a is not None and merge_a == merge_b):
            continue
        worst = None
        for seg_a in segs_a:
            for seg_b in segs_b:
                for axis in (0, 1):  # horizontal, vertical
                    a, b = seg_a[axis], seg_b[axis]
                    if a is None or b is None:
                        continue
                    apart = abs(a[0] - b[0])
                    shared = min(a[2], b[2]) - max(a[1], b[1])
                    if apart < gap and shared > length and (worst is None or apart < worst[0]):
                        worst = (apart, shared)
        touch = None if worst is not None else _touch(first.points, second.points, outlines)
        if touch is not None:
            problems.append(f"wire {layout.spec.wire_id(first.index)} touches wire "
                            f"{layout.spec.wire_id(second.index)} at "
                            f"({touch[0]:.2f}, {touch[1]:.2f}) without crossing it")
        if worst is not None:
            apart, shared = worst
            how = ("on the same line" if apart < 1e-9
                   else f"{apart / em:.2f} em apart")
            problems.append(f"wire {layout.spec.wire_id(first.index)} runs along wire "
                            f"{layout.spec.wire_id(second.index)} ({how}, for "
                            f"{shared / em:.1f} em)")
    return problems


def _touch(first: Any, second: Any, outlines: list[Extents]) -> tuple[float, float] | None:
    """Where a corner or end of one polyline lies on the other (a wire turning or ending on
    another reads as a junction), outside every node; None if nowhere."""
    for points, other in ((first, second), (second, first)):
        for x, y in points:
            if any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in outlines):
                continue
            for (ax, ay), (bx, by) in pairwise(other):
                if (min(ax, bx) - 1e-9 <= x <= max(ax, bx) + 1e-9
                        and min(ay, by) - 1e-9 <= y <= max(ay, by) + 1e-9):
                    return (float(x), float(y))
    return None


def _direction(start: Any, end: Any) -> tuple[int, int]:
    """The unit direction of an orthogonal segment, (0, 0) for a point or a diagonal."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    if abs(dx) > 1e-9 and abs(dy) > 1e-9:
        return (0, 0)
    return (int(np.sign(dx)) if abs(dx) > 1e-9 else 0, int(np.sign(dy)) if abs(dy) > 1e-9 else 0)


def _side_problems(layout: Any, geom: Any, name: str) -> list[str]:
    """Whether ``geom`` leaves its source outward through its port's side and enters its
    target inward through its port's side."""
    from .diagram.spec import SIDES

    points = geom.points
    problems = []
    ends = (("leaves", geom.wire.source, geom.source_side, points[0], points[1], 1),
            ("enters", geom.wire.target, geom.target_side, points[-2], points[-1], -1))
    for verb, ref, side, start, end, sign in ends:
        node = layout.nodes[ref.partition(".")[0]]
        if node.shape == "point":
            continue
        moving = _direction(start, end)
        if moving == (0, 0):
            continue  # no length or diagonal: reported above
        dx, dy = SIDES[side]
        expected = (sign * dx, sign * dy)
        if moving != expected:
            word = {(0, 1): "up", (0, -1): "down", (1, 0): "right", (-1, 0): "left"}
            problems.append(f"wire {name} {verb} node '{node.node.id}' moving "
                            f"{word[moving]}, not through its port's side '{side}' "
                            f"(moving {word[expected]})")
    return problems
