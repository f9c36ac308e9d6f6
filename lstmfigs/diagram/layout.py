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

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import LayoutError, SpecError
from .spec import (
    SIDES,
    DiagramSpec,
    Node,
    Region,
    Wire,
    parse_port,
    port_side,
    resolve_port,
)

Point = tuple[float, float]
#: text -> (width, height) in inches, at the font size of ``kind`` ("node", "label", ...).
Measure = Callable[[str, str], tuple[float, float]]

#: Minimum node sizes in diagram units: (width, height).
DEFAULT_SIZES: dict[str, tuple[float, float]] = {
    "gate": (1.2, 0.72),
    "op": (0.62, 0.62),
    "dot": (0.0, 0.0),
    "concat": (0.0, 0.0),
    "terminal": (0.0, 0.0),
    "block": (2.0, 2.0),
}
#: Padding around a node's label, in multiples of the label's height.
LABEL_PAD = 0.45
#: Gap between a terminal and its label, in inches.
TERMINAL_GAP = 0.05
#: Corner rounding of an outline, in multiples of its shorter side.
GATE_ROUNDING = 0.18
REGION_ROUNDING = 0.06
#: An arrowhead is this many points long plus ``HEAD_PER_LINEWIDTH`` times the line width,
#: so it stays visible at any width; its half-width is ``HEAD_HALF_WIDTH`` of its length.
HEAD_LENGTH_PT = 4.0
HEAD_PER_LINEWIDTH = 2.2
HEAD_HALF_WIDTH = 0.42
#: A copy dot's diameter in points: this plus ``DOT_PER_LINEWIDTH`` times the line width.
DOT_SIZE_PT = 2.0
DOT_PER_LINEWIDTH = 2.2


@dataclass(frozen=True)
class Metrics:
    """The theme's sizes that geometry depends on, in points, read once from the theme.

    Made by :func:`lstmfigs.diagram.paint.theme_metrics` inside the theme's context and
    passed to :func:`layout` and the panel planners, which read no global state.
    """

    font_size: float
    legend_font_size: float
    #: role -> line width in points, for every role of the theme.
    linewidths: Mapping[str, float] = field(default_factory=dict)
    #: The edge a marker gets around its face (``lines.markeredgewidth``), points.
    marker_edge_width: float = 1.0

    @property
    def em(self) -> float:
        """The font size in inches (computed here only)."""
        return self.font_size / 72

    @property
    def legend_em(self) -> float:
        """The legend's font size in inches."""
        return self.legend_font_size / 72

    def linewidth(self, role: str) -> float:
        """The line width of ``role`` in points.

        Parameters
        ----------
        role : str
            A canonical role name.

        Returns
        -------
        float

        Raises
        ------
        KeyError
            If the metrics have no line width for ``role``.
        """
        return self.linewidths[role]

    def head_length(self, role: str) -> float:
        """The length of an arrowhead on a wire of ``role``, in inches.

        Parameters
        ----------
        role : str
            The wire's role.

        Returns
        -------
        float
        """
        return (HEAD_LENGTH_PT + HEAD_PER_LINEWIDTH * self.linewidth(role)) / 72

    def dot_size(self, role: str) -> float:
        """The diameter of a copy dot of ``role``, in points, without the marker edge.

        Parameters
        ----------
        role : str
            The wire's role.

        Returns
        -------
        float
        """
        return DOT_PER_LINEWIDTH * self.linewidth(role) + DOT_SIZE_PT

    def dot_radius(self, role: str) -> float:
        """The radius of a copy dot of ``role`` as drawn (edge included), in points.

        Parameters
        ----------
        role : str
            The wire's role.

        Returns
        -------
        float
        """
        return (self.dot_size(role) + self.marker_edge_width) / 2


@dataclass(frozen=True)
class NodeGeometry:
    """Where a node sits and how big it is, in diagram units."""

    node: Node
    center: Point
    width: float
    height: float
    shape: str  # "box", "circle", "stadium", "block" or "point"

    def port(self, key: str) -> Point:
        """Where port ``key`` is: a side's midpoint, or a block's named port on its side.

        Parameters
        ----------
        key : str
            A side (``n``, ``s``, ``e``, ``w``) or the name of one of the node's ports, as
            :func:`~lstmfigs.diagram.spec.resolve_port` returns it.

        Returns
        -------
        (float, float)
            The point in diagram units.
        """
        named = next((p for p in self.node.ports if p.name == key), None)
        side = named.side if named else key
        dx, dy = SIDES[side]
        x = self.center[0] + dx * self.width / 2
        y = self.center[1] + dy * self.height / 2
        if named is not None:
            x, y = (x, named.at) if dx else (named.at, y)
        return (x, y)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1)."""
        cx, cy = self.center
        return (cx - self.width / 2, cy - self.height / 2,
                cx + self.width / 2, cy + self.height / 2)

    @property
    def rounding(self) -> float:
        """The outline's corner radius in diagram units (a circle's is its radius)."""
        shorter = min(self.width, self.height)
        return {"box": GATE_ROUNDING * shorter, "block": REGION_ROUNDING * shorter,
                "stadium": self.height / 2, "circle": self.width / 2}.get(self.shape, 0.0)


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

def node_size(node: Node, label_size_units: tuple[float, float] | None,
              em: float = 0.0) -> tuple[float, float]:
    """A node's (width, height) in diagram units, grown to fit its label.

    Parameters
    ----------
    node : Node
        The node; its ``size`` (or its kind's default) is the minimum.
    label_size_units : (float, float) or None
        Its label's measured size in diagram units (None: no label).
    em : float
        The font size in diagram units.

    Returns
    -------
    (float, float)
    """
    geometry = _node_geometry(node, label_size_units, em)
    return (geometry.width, geometry.height)


def _node_geometry(node: Node, label_size_units: tuple[float, float] | None,
                   em: float = 0.0) -> NodeGeometry:
    """A node's box, grown to fit its label (``label_size_units``); ``em`` is the font size
    in diagram units.  A node without ``at`` (not yet placed) sits at the origin."""
    width, height = node.size or DEFAULT_SIZES[node.kind]
    shape = {"gate": "box", "op": "circle", "block": "block"}.get(node.kind, "point")
    if label_size_units is not None and node.kind in ("gate", "op", "block"):
        text_w, text_h = label_size_units
        pad = LABEL_PAD * text_h
        need_w, need_h = text_w + 2 * pad, text_h + 2 * pad
        # A long pointwise label (tanh) gets a pill, not a huge circle.  Compared with the
        # font size, not only the ink height: a flat glyph (Computer Modern's x) is one
        # symbol and keeps its circle.
        wide = text_w > 1.4 * max(text_h, 0.7 * em)
        if node.kind == "op" and (node.shape == "stadium" or (wide and not node.shape)):
            shape = "stadium"
            height = max(height, need_h)
            width = max(width, need_w + height * 0.3)
        elif node.kind == "op" or node.shape == "circle":
            shape = "circle"
            width = height = max(width, height, need_h, text_w + 2 * pad)
        else:
            width, height = max(width, need_w), max(height, need_h)
    if node.shape and node.kind in ("gate", "op", "block"):
        shape = node.shape
    return NodeGeometry(node, node.at or (0.0, 0.0), width, height, shape)


def _route(start: Point, start_side: str, end: Point, end_side: str,
           via: Iterable[Point]) -> tuple[Point, ...]:
    """An orthogonal polyline from ``start`` (leaving along ``start_side``) to ``end``
    (entering against ``end_side``), through ``via``."""
    start_horizontal = SIDES[start_side][1] == 0
    end_horizontal = SIDES[end_side][1] == 0
    targets = list(via) + [end]
    points: list[Point] = [start]
    horizontal = start_horizontal  # orientation of the next leg
    for index, target in enumerate(targets):
        here = points[-1]
        last = index == len(targets) - 1
        if here[0] != target[0] and here[1] != target[1]:
            if last and horizontal == end_horizontal:
                # Same orientation at both ends: a Z with its middle leg half-way.
                if horizontal:
                    mid = (here[0] + target[0]) / 2
                    points += [(mid, here[1]), (mid, target[1])]
                else:
                    mid = (here[1] + target[1]) / 2
                    points += [(here[0], mid), (target[0], mid)]
            elif horizontal:
                points.append((target[0], here[1]))
            else:
                points.append((here[0], target[1]))
        if target != points[-1]:
            points.append(target)
        if len(points) >= 2:
            (_, y0), (_, y1) = points[-2], points[-1]
            horizontal = y0 != y1  # the next leg turns
    return tuple(_drop_collinear(points))


def _drop_collinear(points: list[Point]) -> list[Point]:
    kept: list[Point] = []
    for point in points:
        if kept and point == kept[-1]:
            continue
        if len(kept) >= 2:
            (x0, y0), (x1, y1) = kept[-2], kept[-1]
            if (x0 == x1 == point[0]) or (y0 == y1 == point[1]):
                kept[-1] = point
                continue
        kept.append(point)
    return kept


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
    """Where one port feeds several wires, the signal branches: mark it with a dot (dot
    nodes draw their own).  The dot is lit in every step of the wires that leave it."""
    counts = Counter(w.wire.source for w in wires)
    dots = []
    for ref, count in sorted(counts.items()):
        node_id, port = parse_port(ref)
        geom = geoms[node_id]
        if count > 1 and geom.node.kind != "dot":
            leaving = [w.wire for w in wires if w.wire.source == ref]
            steps = tuple(dict.fromkeys(step for wire in leaving for step in wire.steps))
            dots.append(BranchDot(geom.port(resolve_port(geom.node, port)), leaving[0].role,
                                  steps, ref))
    return tuple(dots)
