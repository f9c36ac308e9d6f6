"""Layout: a validated spec becomes geometry in diagram units.

Nothing here draws and nothing here reads matplotlib's global state.  The theme comes in
as :class:`Metrics` (font sizes and the line width of every role, read once from the theme
by :func:`lstmfigs.diagram.paint.theme_metrics`) and text sizes through a ``measure``
function (text -> width and height in inches at the theme's font size).  The layout then
(1) chooses the scale, in inches per diagram unit, at which the diagram and every label fit
the theme's width, (2) grows each node until its label fits inside, (3) routes wires
orthogonally from port to port through the spec's waypoints, and (4) returns every
primitive the painter needs: node outlines with their corner rounding, each wire's line
and arrowhead, the branch dots with the highlight steps of the wires that meet there, and
the text items with their measured boxes.  Painting (:mod:`lstmfigs.diagram.paint`) only
turns these into artists; the checks (:mod:`lstmfigs.checks`) test them without a renderer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from ..errors import LayoutError, SpecError
from .geometry import (
    HEAD_HALF_WIDTH,
    REGION_ROUNDING,
    TERMINAL_GAP,
    Measure,
    Metrics,
    NodeGeometry,
    Point,
    _node_geometry,
    _route,
)
from .spec import (
    DiagramSpec,
    Node,
    Region,
    Wire,
    parse_port,
    port_side,
    resolve_port,
)


@dataclass(frozen=True)
class RegionGeometry:
    """A region's rounded rectangle (the cell body), in diagram units."""

    region: Region
    bounds: tuple[float, float, float, float]  # (x, y, width, height)
    rounding: float


@dataclass(frozen=True)
class WireGeometry:
    """A routed wire: its polyline from the source port to the target port.

    ``line`` is what is stroked: the polyline, stopped inside the arrowhead when there is
    one (so a butt end cannot poke past the tip); ``head`` is the arrowhead's triangle
    (tip first), or None.
    """

    wire: Wire
    index: int
    points: tuple[Point, ...]
    arrow: bool
    source_side: str
    target_side: str
    line: tuple[Point, ...] = ()
    head: tuple[Point, Point, Point] | None = None


@dataclass(frozen=True)
class BranchDot:
    """A dot drawn where one port feeds several wires, lit in the steps of those wires."""

    point: Point
    role: str
    steps: tuple[str, ...]
    source: str  # the port, "node.port"


@dataclass(frozen=True)
class TextItem:
    """A piece of text the renderer will place: anchor in units, offset in inches."""

    text: str
    anchor: Point
    ha: str
    va: str
    kind: str  # "node", "terminal", "label", "region"
    offset: Point = (0.0, 0.0)
    owner: str = ""
    steps: tuple[str, ...] = ()
    #: Measured (width, height) in inches; (0, 0) until laid out.
    size: tuple[float, float] = (0.0, 0.0)

    def box(self, scale: float) -> tuple[float, float, float, float]:
        """Where the text's box lies, in diagram units at ``scale``: (x0, y0, x1, y1).

        Parameters
        ----------
        scale : float
            Inches per diagram unit.

        Returns
        -------
        (float, float, float, float)
        """
        x0, y0, x1, y1 = _text_box(self, self.size)
        ax, ay = self.anchor
        return (ax + x0 / scale, ay + y0 / scale, ax + x1 / scale, ay + y1 / scale)


@dataclass(frozen=True)
class DiagramLayout:
    """Every primitive of a laid-out diagram, in diagram units (x right, y up)."""

    spec: DiagramSpec
    scale: float  # inches per diagram unit
    nodes: dict[str, NodeGeometry]
    wires: tuple[WireGeometry, ...]
    dots: tuple[BranchDot, ...]  # drawn automatically where a port feeds several wires
    texts: tuple[TextItem, ...]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    metrics: Metrics
    regions: tuple[RegionGeometry, ...] = ()

    @property
    def size(self) -> tuple[float, float]:
        """Width and height of the diagram area in inches."""
        return ((self.xlim[1] - self.xlim[0]) * self.scale,
                (self.ylim[1] - self.ylim[0]) * self.scale)


# -- text placement -------------------------------------------------------------------------

_ALIGN_FRACTION = {"left": 0.0, "center": 0.5, "right": 1.0,
                   "bottom": 0.0, "baseline": 0.15, "top": 1.0}
_SIDE_ALIGN = {"left": ("right", "center", (-1, 0)), "right": ("left", "center", (1, 0)),
               "above": ("center", "bottom", (0, 1)), "below": ("center", "top", (0, -1))}


def text_items(spec: DiagramSpec) -> list[TextItem]:
    """Every piece of text of ``spec`` with its anchor, alignment and steps (not yet sized).

    Parameters
    ----------
    spec : DiagramSpec
        A validated spec.

    Returns
    -------
    list of TextItem
        Node labels ("node", "terminal"), free labels ("label") and region labels
        ("region"), in that order.
    """
    items: list[TextItem] = []
    for node in spec.nodes:
        if not node.label:
            continue
        if node.kind == "terminal":
            ha, va, (dx, dy) = _SIDE_ALIGN[node.label_side]
            items.append(TextItem(node.label, _at(node), ha, va, "terminal",
                                  (dx * TERMINAL_GAP, dy * TERMINAL_GAP), node.id, node.steps))
        elif node.kind in ("gate", "op", "block"):
            items.append(TextItem(node.label, _at(node), "center", "center", "node",
                                  owner=node.id, steps=node.steps))
    for index, label in enumerate(spec.labels):
        items.append(TextItem(label.text, label.at, label.ha, label.va, "label",
                              owner=label.id or f"labels[{index}]", steps=label.steps))
    for region in spec.regions:
        if region.label:
            x, y, _, h = _bounds(region)
            items.append(TextItem(region.label, (x, y + h), "left", "top", "region",
                                  (0.06, -0.04), region.id, region.steps))
    return items


def _at(node: Node) -> Point:
    """A placed node's centre (every node of a spec :func:`layout` draws is placed)."""
    if node.at is None:
        raise SpecError(f"node '{node.id}' has no position; arrange the spec first")
    return node.at


def _bounds(region: Region) -> tuple[float, float, float, float]:
    """A placed region's (x, y, width, height)."""
    if region.bounds is None:
        raise SpecError(f"region '{region.id}' has no bounds; arrange the spec first")
    return region.bounds


def _text_box(item: TextItem, size: tuple[float, float]) -> tuple[float, float, float, float]:
    """The text's extent relative to its anchor, in inches: (x0, y0, x1, y1)."""
    width, height = size
    x0 = item.offset[0] - _ALIGN_FRACTION[item.ha] * width
    y0 = item.offset[1] - _ALIGN_FRACTION[item.va] * height
    return (x0, y0, x0 + width, y0 + height)


# -- scale ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Extent:
    """An element's extent along one axis: unit coordinates plus an inch offset."""

    lo_units: float
    hi_units: float
    lo_inches: float = 0.0
    hi_inches: float = 0.0


def _span(extents: list[_Extent], scale: float) -> tuple[float, float]:
    lo = min(e.lo_units * scale + e.lo_inches for e in extents)
    hi = max(e.hi_units * scale + e.hi_inches for e in extents)
    return lo, hi


def _fit_scale(extents: list[_Extent], available: float) -> float:
    """The largest scale at which the extents span at most ``available`` inches."""
    fixed = max(e.hi_inches for e in extents) - min(e.lo_inches for e in extents)
    units = max(e.hi_units for e in extents) - min(e.lo_units for e in extents)
    if units <= 0:
        return 1.0
    if available <= 0 or _width(extents, 1e-9) > available:
        raise SpecError(f"the diagram's labels alone need more room than the "
                        f"{available:.2f} in available; choose a larger size")
    lo, hi = 1e-9, max(available, fixed) / units * 2 + 1.0
    for _ in range(80):  # bisection: the span grows monotonically with the scale
        mid = (lo + hi) / 2
        if _width(extents, mid) > available:
            hi = mid
        else:
            lo = mid
    return lo


def _width(extents: list[_Extent], scale: float) -> float:
    lo, hi = _span(extents, scale)
    return hi - lo


# -- geometry ----------------------------------------------------------------------------------

def arrow(points: tuple[Point, ...], head_length: float
          ) -> tuple[tuple[Point, ...], tuple[Point, Point, Point]]:
    """A polyline ending in an arrowhead: the line to stroke and the head's triangle.

    The line stops half-way into the head, so that its butt end cannot poke past the tip
    at any line width; the head is ``head_length`` long (in the polyline's units) and
    :data:`HEAD_HALF_WIDTH` of that to each side.  Wires and the legend's transfer glyph
    both come from here.

    Parameters
    ----------
    points : tuple of (float, float)
        The polyline, at least two points; the head sits on its last point.
    head_length : float
        The head's length, in the units of ``points``.

    Returns
    -------
    line : tuple of (float, float)
        ``points`` with the last point moved back into the head.
    head : tuple of three (float, float)
        The triangle: the tip, then the two corners of its base.
    """
    array = np.array(points, dtype=float)
    end, before = array[-1], array[-2]
    last_leg = np.linalg.norm(end - before)
    direction = (end - before) / max(last_leg, 1e-12)
    line = array.copy()
    line[-1] = end - direction * min(head_length * 0.5, last_leg)
    normal = np.array([-direction[1], direction[0]])
    half_width = head_length * HEAD_HALF_WIDTH
    base = end - direction * head_length
    triangle = (_point(end), _point(base + normal * half_width),
                _point(base - normal * half_width))
    return tuple(_point(p) for p in line), triangle


def _point(array: Any) -> Point:
    return (float(array[0]), float(array[1]))


def layout(spec: DiagramSpec, measure: Measure, width: float, height: float | None = None,
           pad: float | None = None, *, metrics: Metrics) -> DiagramLayout:
    """Lay ``spec`` out to ``width`` inches (and at most ``height`` inches, if given).

    Parameters
    ----------
    spec : DiagramSpec
        A validated spec.
    measure : callable
        ``measure(text, kind) -> (width, height)`` in inches at the theme's font size for
        ``kind`` (see :func:`lstmfigs.diagram.paint.text_measurer`).
    width : float
        The width of the diagram area, inches.
    height : float, optional
        The most the diagram area may be tall, inches (a fixed page); by default the
        height follows from the width.
    pad : float, optional
        Inches kept free at the edges; by default a third of the font size.
    metrics : Metrics
        The theme's font sizes and line widths.

    Returns
    -------
    DiagramLayout
        Every primitive of the diagram in diagram units, and the scale and limits that
        place them on the page.
    """
    em = metrics.em
    if pad is None:
        pad = em / 3
    from .arrange import arrange, needs_arrangement  # arrange builds on this module

    if needs_arrangement(spec):
        spec = arrange(spec, measure, metrics)
    texts = [_sized(item, measure(item.text, item.kind)) for item in text_items(spec)]

    def extents(geoms: dict[str, NodeGeometry], axis: int) -> list[_Extent]:
        found: list[_Extent] = []
        for geom in geoms.values():
            b = geom.bounds
            found.append(_Extent(b[axis], b[axis + 2]))
        for region in spec.regions:
            x, y, w, h = _bounds(region)
            found.append(_Extent((x, y)[axis], (x + w, y + h)[axis]))
        for wire in spec.wires:
            for point in wire.via:
                found.append(_Extent(point[axis], point[axis]))
        for item in texts:
            if item.kind == "node":
                continue  # inside its node, which is already counted
            box = _text_box(item, item.size)
            found.append(_Extent(item.anchor[axis], item.anchor[axis],
                                 box[axis], box[axis + 2]))
        return found

    # Scale first from the nodes' minimum sizes, then grow the nodes to fit their labels at
    # that scale and fit again: growing changes the extents only a little, so a few rounds do.
    label_inches = {t.owner: t.size for t in texts if t.kind == "node"}
    geoms = {n.id: _node_geometry(n, None) for n in spec.nodes}
    scale = 1.0
    for _ in range(3):
        x_extents, y_extents = extents(geoms, 0), extents(geoms, 1)
        scale = _fit_scale(x_extents, width - 2 * pad)
        if height is not None:
            scale = min(scale, _fit_scale(y_extents, height - 2 * pad))
        if spec.max_unit:
            scale = min(scale, spec.max_unit * em)
        if spec.min_unit and scale < spec.min_unit * em * (1 - 1e-9):
            raise _too_narrow(spec, extents(geoms, 0), extents(geoms, 1), width, height,
                              pad, em)
        geoms = {}
        for node in spec.nodes:
            size = None
            if node.id in label_inches:
                w_in, h_in = label_inches[node.id]
                size = (w_in / scale, h_in / scale)
            geoms[node.id] = _node_geometry(node, size, em / scale)

    x_extents, y_extents = extents(geoms, 0), extents(geoms, 1)
    x_lo, x_hi = _span(x_extents, scale)
    y_lo, y_hi = _span(y_extents, scale)
    # Centre the content in the full width (and height, on a fixed page).
    x_extra = max(0.0, width - (x_hi - x_lo)) / 2
    y_extra = max(0.0, (height - (y_hi - y_lo)) / 2) if height is not None else pad
    xlim = ((x_lo - x_extra) / scale, (x_hi + x_extra) / scale)
    ylim = ((y_lo - y_extra) / scale, (y_hi + y_extra) / scale)

    wires = [_wire_geometry(index, wire, geoms, scale, metrics)
             for index, wire in enumerate(spec.wires)]
    regions = tuple(RegionGeometry(r, _bounds(r), min(_bounds(r)[2:]) * REGION_ROUNDING)
                    for r in spec.regions)
    return DiagramLayout(spec, scale, geoms, tuple(wires), _branch_dots(geoms, wires),
                         tuple(texts), xlim, ylim, metrics, regions)


def _too_narrow(spec: DiagramSpec, x_extents: list[_Extent], y_extents: list[_Extent],
                width: float, height: float | None, pad: float, em: float) -> LayoutError:
    """The error for a page smaller than an arranged diagram's legible minimum."""
    smallest = spec.min_unit * em
    need_w = _width(x_extents, smallest) + 2 * pad
    need_h = _width(y_extents, smallest) + 2 * pad
    if need_w > width * (1 + 1e-9):
        return LayoutError(f"'{spec.name}' needs a width of at least {need_w:.2f} in at this "
                           f"theme's {em * 72:g} pt text; it has {width:.2f} in (choose a "
                           "larger --width or a theme with a wider page)",
                           needed_width=need_w)
    return LayoutError(f"'{spec.name}' needs a height of at least {need_h:.2f} in at this "
                       f"theme's {em * 72:g} pt text; it has {height or 0:.2f} in (leave out "
                       "the legend or the equations, or choose a taller page)")


def _sized(item: TextItem, size: tuple[float, float]) -> TextItem:
    return TextItem(item.text, item.anchor, item.ha, item.va, item.kind, item.offset,
                    item.owner, item.steps, (float(size[0]), float(size[1])))


def _wire_geometry(index: int, wire: Wire, geoms: dict[str, NodeGeometry], scale: float,
                   metrics: Metrics) -> WireGeometry:
    source_id, source_port = parse_port(wire.source)
    target_id, target_port = parse_port(wire.target)
    source, target = geoms[source_id], geoms[target_id]
    source_side = port_side(source.node, source_port)
    target_side = port_side(target.node, target_port)
    points = _route(source.port(resolve_port(source.node, source_port)), source_side,
                    target.port(resolve_port(target.node, target_port)), target_side,
                    wire.via)
    has_arrow = wire.arrow if wire.arrow is not None else target.node.kind not in ("dot", "concat")
    line: tuple[Point, ...] = tuple(_point(p) for p in points)
    head = None
    if has_arrow:
        line, head = arrow(points, metrics.head_length(wire.role) / scale)
    return WireGeometry(wire, index, points, has_arrow, source_side, target_side, line, head)


def _branch_dots(geoms: dict[str, NodeGeometry],
                 wires: list[WireGeometry]) -> tuple[BranchDot, ...]:
    """Where one port feeds several wires, the signal branches: mark it with a dot where
    the wires part (dot nodes draw their own).  Wires leaving one port run together from
    it until they turn apart, so there may be a dot at each parting.  A dot is lit in every
    step of the wires that leave the port."""
    counts = Counter(w.wire.source for w in wires)
    dots = []
    for ref, count in sorted(counts.items()):
        node_id, port = parse_port(ref)
        geom = geoms[node_id]
        if count > 1 and geom.node.kind != "dot":
            leaving = [w for w in wires if w.wire.source == ref]
            steps = tuple(dict.fromkeys(step for w in leaving for step in w.wire.steps))
            partings = dict.fromkeys(_parting(a.points, b.points)
                                     for a, b in combinations(leaving, 2))
            dots += [BranchDot(point, leaving[0].wire.role, steps, ref) for point in partings]
    return tuple(dots)


def _parting(a: Sequence[Point], b: Sequence[Point]) -> Point:
    """Where two orthogonal polylines from the same point stop running together."""
    here, i, j = a[0], 1, 1
    while i < len(a) and j < len(b):
        if math.dist(here, a[i]) < 1e-9:
            i += 1
            continue
        if math.dist(here, b[j]) < 1e-9:
            j += 1
            continue
        if _heading(here, a[i]) != _heading(here, b[j]):
            break
        # Both go the same way: on to the nearer corner.
        here = min(a[i], b[j], key=lambda point: math.dist(here, point))
    return (float(here[0]), float(here[1]))


def _heading(start: Point, end: Point) -> tuple[int, int]:
    return (int(np.sign(round(end[0] - start[0], 9))), int(np.sign(round(end[1] - start[1], 9))))
