"""Crossings: where two wires cross without joining, and how each output shows it.

Two wires cross where a segment of one passes through the inside of a segment of the
other: not at either segment's end (a corner, a port, a wire that ends on another is a
joint or a defect, not a crossing) and only if they carry different signals (wires from
one port, or from copy dots fed by it, are the same signal: they branch at a dot).  The
theme's ``crossing`` setting (``[theme] crossing = "hop" | "gap" | "none"`` in
``styles/*.toml``) says how a crossing is drawn:

* ``hop``: one wire jumps the other in a half circle;
* ``gap``: one wire is broken either side of the other, which runs on unbroken;
* ``none``: the wires simply cross.

The wire that hops (or is broken) is the vertical one, so the state rails, which run
horizontally, stay whole; the horizontal one instead if the vertical one turns (or its
arrowhead begins) too close to the crossing to make room.  A hop bulges along the crossed
wire towards the side where more of it lies, away from its nearer corner or head.  The
hop's radius (half the gap's length) grows with the line widths of both wires
(:func:`hop_radius`), so it clears the other wire in every theme.

Everything here is geometry in diagram units, shared by every output: matplotlib
(:mod:`lstmfigs.diagram.paint`) and the editable writers (:mod:`lstmfigs.tikz`,
:mod:`lstmfigs.powerpoint`) draw the same :func:`wire_runs`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

from .geometry import Point
from .layout import DiagramLayout, WireGeometry
from .spec import DiagramSpec, Wire, parse_port

#: The theme's choices, the first the default (``[theme] crossing``).
CROSSING_STYLES = ("gap", "hop", "none")
#: A hop's radius, in points: this plus the crossed wire's line width plus half the
#: hopping wire's, so the arc (or the gap) clears the other wire by this much either side.
HOP_PT = 1.5
#: How many straight pieces a hop is drawn with where an output has no arcs (matplotlib's
#: lines, PowerPoint's freeforms): at a few points' radius, smooth at any zoom.
ARC_PIECES = 16
#: Coordinates closer than this (diagram units) are the same point.
_EPS = 1e-6


@dataclass(frozen=True)
class Crossing:
    """Two wires crossing at ``point``: ``jumper`` (a wire index) hops the other or is
    broken either side of it, ``through`` runs on unbroken; ``radius`` (diagram units) is
    the hop's radius, half the gap's length."""

    point: Point
    jumper: int
    through: int
    radius: float
    #: The unit vector a hop bulges towards: along the crossed wire, to its longer side.
    bulge: Point = (0.0, 1.0)


@dataclass(frozen=True)
class Arc:
    """A hop in a wire's run: the half circle about ``center`` from angle ``start`` to
    ``end`` (degrees, counter-clockwise positive, as TikZ's ``arc`` takes them).  It
    continues the run from the point before it, which is its start point."""

    center: Point
    radius: float
    start: float
    end: float

    def at(self, angle: float) -> Point:
        """The point of the circle at ``angle`` degrees.

        Parameters
        ----------
        angle : float

        Returns
        -------
        (float, float)
        """
        radians = math.radians(angle)
        return (self.center[0] + self.radius * math.cos(radians),
                self.center[1] + self.radius * math.sin(radians))

    def points(self, pieces: int = ARC_PIECES) -> tuple[Point, ...]:
        """The arc as ``pieces`` straight pieces: its points after the start, end included.

        Parameters
        ----------
        pieces : int

        Returns
        -------
        tuple of (float, float)
        """
        return tuple(self.at(self.start + (self.end - self.start) * k / pieces)
                     for k in range(1, pieces + 1))


#: A connected stroke: points joined by straight lines, and hops between two of them.
Run = tuple[Point | Arc, ...]


def hop_radius(through_linewidth: float, jumper_linewidth: float, scale: float) -> float:
    """The radius of a hop (half a gap's length) in diagram units.

    Parameters
    ----------
    through_linewidth, jumper_linewidth : float
        The line widths of the wire crossed and of the hopping wire, in points.
    scale : float
        Inches per diagram unit.

    Returns
    -------
    float
    """
    return (HOP_PT + through_linewidth + jumper_linewidth / 2) / 72 / scale


def _signals(spec: DiagramSpec) -> list[str]:
    """Each wire's signal: the port it comes from, followed upstream through copy dots
    (a dot passes on the one signal fed into it)."""
    kinds = {node.id: node.kind for node in spec.nodes}
    feeding: dict[str, list[Wire]] = {}
    for wire in spec.wires:
        feeding.setdefault(parse_port(wire.target)[0], []).append(wire)

    def signal(wire: Wire) -> str:
        ref, seen = wire.source, set()
        while True:
            node_id = parse_port(ref)[0]
            if kinds.get(node_id) != "dot" or node_id in seen:
                return ref
            seen.add(node_id)
            into = feeding.get(node_id, [])
            if len(into) != 1:
                return node_id  # a dot fed by nothing (or several): its own signal
            ref = into[0].source

    return [signal(wire) for wire in spec.wires]


#: A segment, and how much of its start and of its end no hop may take (an arrowhead).
_Segment = tuple[tuple[Point, Point], float, float]


def _segments(geom: WireGeometry, head: float) -> list[_Segment]:
    """The wire's segments; the last keeps ``head`` (its arrowhead's length) free."""
    pairs = [(p, q) for p, q in pairwise(geom.points) if p != q]
    return [((p, q), 0.0, head if geom.arrow and index == len(pairs) - 1 else 0.0)
            for index, (p, q) in enumerate(pairs)]


def _is_vertical(segment: tuple[Point, Point]) -> bool:
    (x0, y0), (x1, y1) = segment
    return abs(x0 - x1) <= _EPS and abs(y0 - y1) > _EPS


def _is_horizontal(segment: tuple[Point, Point]) -> bool:
    (x0, y0), (x1, y1) = segment
    return abs(y0 - y1) <= _EPS and abs(x0 - x1) > _EPS


def _room(segment: _Segment, point: Point) -> float:
    """How far ``point`` on ``segment`` is from the nearer end of it (or of its head)."""
    ((x0, y0), (x1, y1)), start_kept, end_kept = segment
    return min(math.hypot(point[0] - x0, point[1] - y0) - start_kept,
               math.hypot(point[0] - x1, point[1] - y1) - end_kept)


def _interior(value: float, a: float, b: float) -> bool:
    return min(a, b) + _EPS < value < max(a, b) - _EPS


def _box(points: Sequence[Point]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def find_crossings(layout: DiagramLayout) -> tuple[Crossing, ...]:
    """Every place where two wires carrying different signals cross without joining.

    Parameters
    ----------
    layout : DiagramLayout
        A laid-out diagram.

    Returns
    -------
    tuple of Crossing
        Sorted by the wires' indices, then along the jumping wire; deterministic.
    """
    wires = layout.wires
    signals = _signals(layout.spec)
    widths = [layout.metrics.linewidth(geom.wire.role) for geom in wires]
    segments = [_segments(geom, layout.metrics.head_length(geom.wire.role) / layout.scale)
                for geom in wires]
    boxes = [_box(geom.points) for geom in wires]
    found: list[Crossing] = []
    for a, b in combinations(range(len(wires)), 2):
        if signals[a] == signals[b]:
            continue
        box_a, box_b = boxes[a], boxes[b]
        if box_a[2] < box_b[0] or box_b[2] < box_a[0] or box_a[3] < box_b[1] \
                or box_b[3] < box_a[1]:
            continue
        for seg_a in segments[a]:
            for seg_b in segments[b]:
                crossing = _crossing(a, seg_a, b, seg_b, widths, layout.scale)
                if crossing is not None:
                    found.append(crossing)
    return tuple(sorted(found, key=lambda c: (c.jumper, c.through, c.point)))


def _crossing(a: int, seg_a: _Segment, b: int, seg_b: _Segment,
              widths: Sequence[float], scale: float) -> Crossing | None:
    """The crossing of two segments of wires ``a`` and ``b``, if they cross inside both."""
    if _is_vertical(seg_a[0]) and _is_horizontal(seg_b[0]):
        vertical, horizontal = (a, seg_a), (b, seg_b)
    elif _is_horizontal(seg_a[0]) and _is_vertical(seg_b[0]):
        vertical, horizontal = (b, seg_b), (a, seg_a)
    else:
        return None  # parallel (running along each other is not a crossing) or diagonal
    (v_index, v_seg), (h_index, h_seg) = vertical, horizontal
    (v_start, v_end), (h_start, h_end) = v_seg[0], h_seg[0]
    x, y = v_start[0], h_start[1]
    if not (_interior(x, h_start[0], h_end[0]) and _interior(y, v_start[1], v_end[1])):
        return None
    point = (x, y)
    # The vertical wire hops, unless it turns (or its arrowhead begins) too close to the
    # crossing and the horizontal one has room.
    jumper, through, crossed = v_index, h_index, h_seg
    radius = hop_radius(widths[through], widths[jumper], scale)
    if _room(v_seg, point) < radius:
        other_radius = hop_radius(widths[v_index], widths[h_index], scale)
        if _room(h_seg, point) >= other_radius:
            jumper, through, crossed, radius = h_index, v_index, v_seg, other_radius
    return Crossing(point, jumper, through, radius, _longer_side(crossed, point))


def _longer_side(segment: _Segment, point: Point) -> Point:
    """The direction along ``segment`` in which more of it lies beyond ``point`` (up or
    right on a tie): a hop bulges that way, clear of the crossed wire's turns and head."""
    ((x0, y0), (x1, y1)), start_kept, end_kept = segment
    to_start = math.hypot(x0 - point[0], y0 - point[1]) - start_kept
    to_end = math.hypot(x1 - point[0], y1 - point[1]) - end_kept
    horizontal = abs(y0 - y1) <= _EPS
    towards_end = 1.0 if (x1 > x0 if horizontal else y1 > y0) else -1.0
    sign = towards_end if to_end > to_start + _EPS else -towards_end \
        if to_start > to_end + _EPS else 1.0
    return (sign, 0.0) if horizontal else (0.0, sign)


def crossings_by_wire(crossings: Iterable[Crossing]) -> dict[int, list[Crossing]]:
    """The crossings each wire jumps (wire index -> its crossings).

    Parameters
    ----------
    crossings : iterable of Crossing

    Returns
    -------
    dict of int to list of Crossing
    """
    by_wire: dict[int, list[Crossing]] = {}
    for crossing in crossings:
        by_wire.setdefault(crossing.jumper, []).append(crossing)
    return by_wire


def _on_segment(point: Point, p: Point, q: Point) -> bool:
    if _is_horizontal((p, q)):
        return abs(point[1] - p[1]) <= _EPS and _interior(point[0], p[0], q[0])
    if _is_vertical((p, q)):
        return abs(point[0] - p[0]) <= _EPS and _interior(point[1], p[1], q[1])
    return False


def wire_runs(points: Sequence[Point], crossings: Sequence[Crossing], style: str
              ) -> tuple[Run, ...]:
    """A wire's polyline as drawn with its crossings shown in ``style``.

    Parameters
    ----------
    points : sequence of (float, float)
        The wire's polyline (as routed, or as stroked: stopped inside its arrowhead).
    crossings : sequence of Crossing
        The crossings this wire jumps (:func:`crossings_by_wire`); those not on
        ``points`` (inside an arrowhead) are left out.
    style : str
        One of :data:`CROSSING_STYLES`.

    Returns
    -------
    tuple of Run
        One run for ``none`` and ``hop``; for ``gap``, one more for every gap.
    """
    if style not in CROSSING_STYLES:
        raise ValueError(f"crossing style is one of {', '.join(CROSSING_STYLES)}, not {style!r}")
    if style == "none" or not crossings:
        return (tuple(points),)
    runs: list[Run] = []
    current: list[Point | Arc] = [points[0]]
    for p, q in pairwise(points):
        length = math.hypot(q[0] - p[0], q[1] - p[1])
        if length <= _EPS:
            continue
        direction = ((q[0] - p[0]) / length, (q[1] - p[1]) / length)
        spans = _spans(p, q, length, [c for c in crossings if _on_segment(c.point, p, q)])
        for lo, hi, bulge in spans:  # distances from p: where each hop or gap begins, ends
            enter = (p[0] + direction[0] * lo, p[1] + direction[1] * lo)
            leave = (p[0] + direction[0] * hi, p[1] + direction[1] * hi)
            current.append(enter)
            if style == "gap":
                runs.append(tuple(current))
                current = [leave]
            else:
                current.append(_hop(enter, leave, direction, bulge))
        current.append(q)
    runs.append(tuple(current))
    return tuple(runs)


def _spans(p: Point, q: Point, length: float, crossings: Sequence[Crossing]
           ) -> list[tuple[float, float, Point]]:
    """Where along ``p``-``q`` the hops (or gaps) are, as distances from ``p``, and which
    way each hop bulges: merged where they would overlap (the first's bulge), and kept
    inside the segment."""
    spans: list[tuple[float, float, Point]] = []
    for crossing in sorted(crossings, key=lambda c: math.hypot(c.point[0] - p[0],
                                                               c.point[1] - p[1])):
        at = math.hypot(crossing.point[0] - p[0], crossing.point[1] - p[1])
        lo, hi = at - crossing.radius, at + crossing.radius
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi), spans[-1][2])
        else:
            spans.append((lo, hi, crossing.bulge))
    return [(max(lo, 0.0), min(hi, length), bulge) for lo, hi, bulge in spans]


def _hop(enter: Point, leave: Point, direction: Point, bulge: Point) -> Arc:
    """The half circle from ``enter`` to ``leave``, bulging towards ``bulge``."""
    center = ((enter[0] + leave[0]) / 2, (enter[1] + leave[1]) / 2)
    radius = math.hypot(leave[0] - enter[0], leave[1] - enter[1]) / 2
    start = math.degrees(math.atan2(-direction[1], -direction[0]))
    # Turning counter-clockwise from the start reaches the bulge if (-direction) x bulge > 0.
    turn = -direction[0] * bulge[1] + direction[1] * bulge[0]
    return Arc(center, radius, start, start + (180.0 if turn > 0 else -180.0))


def run_points(run: Run, pieces: int = ARC_PIECES) -> tuple[Point, ...]:
    """A run as a plain polyline, each hop drawn in ``pieces`` straight pieces.

    Parameters
    ----------
    run : Run
    pieces : int

    Returns
    -------
    tuple of (float, float)
    """
    points: list[Point] = []
    for item in run:
        if isinstance(item, Arc):
            points.extend(item.points(pieces))
        else:
            points.append(item)
    return tuple(points)


def layout_runs(layout: DiagramLayout, style: str, *, stroked: bool
                ) -> tuple[tuple[Run, ...], ...]:
    """Every wire of ``layout`` as runs (:func:`wire_runs`), in the spec's order.

    Parameters
    ----------
    layout : DiagramLayout
    style : str
        One of :data:`CROSSING_STYLES`.
    stroked : bool
        From each wire's stroked line (stopped inside its arrowhead, as matplotlib draws
        it) rather than its routed polyline (the editable outputs, whose arrowheads are
        their own).

    Returns
    -------
    tuple of tuple of Run
        One entry per wire.
    """
    by_wire: Mapping[int, list[Crossing]] = (
        crossings_by_wire(find_crossings(layout)) if style != "none" else {})

    def points(geom: WireGeometry) -> tuple[Point, ...]:
        return geom.line if stroked and geom.line else geom.points

    return tuple(wire_runs(points(geom), by_wire.get(geom.index, []), style)
                 for geom in layout.wires)
