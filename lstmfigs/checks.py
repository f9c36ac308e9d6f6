"""Layout checks on a drawn figure: what a careful reader would notice.

``layout_problems(fig)`` draws the figure once and returns a list of human-readable
problems (empty when the figure is clean):

* text overlapping other text (extents from the renderer, not estimates);
* text overlapping a diagram node it does not belong to, or a wire;
* anything cut off at the canvas edge;
* in diagrams, wires whose ends are not on a port of the node they name, and wires that
  run through a node they do not connect to;
* text smaller than ``min_font_pt`` at the figure's physical size.

They work for any matplotlib figure (tick labels, titles, colour-bar labels, legends) and
know more about lstmfigs diagrams (``fig.lstmfigs_diagram``).  The test-suite runs them on
every built-in figure in every theme; users can run them on their own figures.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, Iterable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

#: Extents closer than this (pixels at 100 dpi) count as touching, not overlapping.
TOLERANCE_PX = 0.5


def _undrawn_tick_labels(fig: Figure) -> set[int]:
    """Tick labels matplotlib keeps but does not draw (ticks outside the view limits)."""
    undrawn: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not ax.axison or not axis.get_visible():
                drawn = []  # an axis that is switched off draws no tick labels at all
            else:
                try:
                    drawn = axis._update_ticks()  # the ticks the next draw will show
                except Exception:  # a private helper; without it, check every label
                    continue
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
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
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
    """Everything wrong with the layout of ``fig``; an empty list means clean."""
    from .export import figure_renderer

    figure_renderer(fig)  # attaches a canvas that can draw, if the figure has none
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
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
        if text.get_fontsize() < min_font_pt:
            problems.append(f"text {_describe(text)} is {text.get_fontsize():.1f} pt, "
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


def _diagram_problems(diagram: Any, renderer: Any, boxes: dict[int, Bbox], canvas: Bbox,
                      check_wires: bool) -> list[str]:
    problems: list[str] = []
    artists = diagram.artists
    layout = diagram.layout
    ax = artists.ax
    to_display = ax.transData.transform

    node_boxes = {}
    for node_id, patch in artists.nodes.items():
        if patch is not None:
            node_boxes[node_id] = patch.get_window_extent(renderer)
            box = node_boxes[node_id]
            if box.x0 < canvas.x0 or box.y0 < canvas.y0 or box.x1 > canvas.x1 or box.y1 > canvas.y1:
                problems.append(f"node '{node_id}' is cut off at the canvas edge")

    # Nodes must not overlap each other.
    for (id_a, a), (id_b, b) in combinations(node_boxes.items(), 2):
        if _shrink(a, TOLERANCE_PX).overlaps(_shrink(b, TOLERANCE_PX)):
            problems.append(f"node '{id_a}' overlaps node '{id_b}'")

    own_label = {id(text): node_id for node_id, text in artists.node_labels.items()}
    all_texts = artists.texts() + list(diagram.legend_texts) + list(diagram.equation_texts)
    for text in all_texts:
        if id(text) not in boxes:
            continue
        box = _shrink(boxes[id(text)], TOLERANCE_PX)
        owner = own_label.get(id(text))
        for node_id, node_box in node_boxes.items():
            if node_id == owner:
                # A node's label must sit inside its node.
                if not (node_box.x0 - 1 <= box.x0 and box.x1 <= node_box.x1 + 1
                        and node_box.y0 - 1 <= box.y0 and box.y1 <= node_box.y1 + 1):
                    problems.append(f"label {_describe(text)} does not fit inside node '{node_id}'")
                continue
            if box.overlaps(node_box):
                problems.append(f"text {_describe(text)} overlaps node '{node_id}'")
        if owner is None:
            for index, points in enumerate(artists.wire_points):
                if _segments_hit_box(to_display(np.asarray(points)), box):
                    problems.append(f"text {_describe(text)} overlaps wire "
                                    f"{layout.spec.wire_id(index)}")

    if check_wires:
        problems += wire_problems(layout)
        # A wire may touch the nodes at its two ends; running through any other node makes
        # the reader think it feeds that node.
        for index, points in enumerate(artists.wire_points):
            wire = layout.spec.wires[index]
            ends = {wire.source.partition(".")[0], wire.target.partition(".")[0]}
            display = to_display(np.asarray(points))
            for node_id, node_box in node_boxes.items():
                if node_id not in ends and _segments_hit_box(display, _shrink(node_box, 1.0)):
                    problems.append(f"wire {layout.spec.wire_id(index)} runs through node "
                                    f"'{node_id}'")
    return problems


def wire_problems(layout: Any) -> list[str]:
    """Wires that do not run from a port to a port, or are not orthogonal."""
    from .diagram.spec import parse_port, resolve_port

    problems = []
    for geom in layout.wires:
        name = layout.spec.wire_id(geom.index)
        points = geom.points
        if len(points) < 2:
            problems.append(f"wire {name} has no length")
            continue
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
            if abs(x0 - x1) > 1e-9 and abs(y0 - y1) > 1e-9:
                problems.append(f"wire {name} has a diagonal segment")
        for end, ref, point in (("start", geom.wire.source, points[0]),
                                ("end", geom.wire.target, points[-1])):
            node_id, port = parse_port(ref)
            node = layout.nodes[node_id]
            expected = node.port(resolve_port(node.node, port))
            if np.hypot(point[0] - expected[0], point[1] - expected[1]) > 1e-9:
                problems.append(f"wire {name} {end}s at {point}, not at port {ref} {expected}")
    return problems
