"""Layout: a validated spec becomes geometry in diagram units.

Nothing here draws.  Text sizes come in through a ``measure`` function (text -> width and
height in inches at the theme's font size), so the layout can (1) choose the scale, in
inches per diagram unit, at which the diagram and every label fit the theme's width, and
(2) grow each node until its label fits inside.  Wires are routed orthogonally from port to
port, through the spec's waypoints.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable

from ..errors import SpecError
from .spec import SIDES, DiagramSpec, Node, Wire, parse_port, port_side, resolve_port

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


@dataclass(frozen=True)
class NodeGeometry:
    """Where a node sits and how big it is, in diagram units."""

    node: Node
    center: Point
    width: float
    height: float
    shape: str  # "box", "circle", "stadium", "block" or "point"

    def port(self, key: str) -> Point:
        """Where port ``key`` is: a side's midpoint, or a block's named port on its side."""
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
        return (cx - self.width / 2, cy - self.height / 2, cx + self.width / 2, cy + self.height / 2)


@dataclass(frozen=True)
class WireGeometry:
    """A routed wire: its polyline from the source port to the target port."""

    wire: Wire
    index: int
    points: tuple[Point, ...]
    arrow: bool
    source_side: str
    target_side: str


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


@dataclass(frozen=True)
class DiagramLayout:
    spec: DiagramSpec
    scale: float  # inches per diagram unit
    nodes: dict[str, NodeGeometry]
    wires: tuple[WireGeometry, ...]
    branch_points: tuple[tuple[Point, str], ...]  # (where, role) of dots drawn automatically
    texts: tuple[TextItem, ...]
    xlim: tuple[float, float]
    ylim: tuple[float, float]

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
    items: list[TextItem] = []
    for node in spec.nodes:
        if not node.label:
            continue
        if node.kind == "terminal":
            ha, va, (dx, dy) = _SIDE_ALIGN[node.label_side]
            items.append(TextItem(node.label, node.at, ha, va, "terminal",
                                  (dx * TERMINAL_GAP, dy * TERMINAL_GAP), node.id))
        elif node.kind in ("gate", "op", "block"):
            items.append(TextItem(node.label, node.at, "center", "center", "node", owner=node.id))
    for index, label in enumerate(spec.labels):
        items.append(TextItem(label.text, label.at, label.ha, label.va, "label",
                              owner=label.id or f"labels[{index}]"))
    for region in spec.regions:
        if region.label:
            x, y, w, h = region.bounds
            items.append(TextItem(region.label, (x, y + h), "left", "top", "region",
                                  (0.06, -0.04), region.id))
    return items


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


def _font_size_inches() -> float:
    import matplotlib as mpl

    return mpl.rcParams["font.size"] / 72


def _width(extents: list[_Extent], scale: float) -> float:
    lo, hi = _span(extents, scale)
    return hi - lo


# -- geometry ----------------------------------------------------------------------------------

def _node_geometry(node: Node, label_size_units: tuple[float, float] | None,
                   em: float = 0.0) -> NodeGeometry:
    """A node's box, grown to fit its label (``label_size_units``); ``em`` is the font size
    in diagram units."""
    width, height = node.size or DEFAULT_SIZES[node.kind]
    shape = {"gate": "box", "op": "circle", "block": "block"}.get(node.kind, "point")
    if label_size_units is not None and node.kind in ("gate", "op", "block"):
        text_w, text_h = label_size_units
        pad = LABEL_PAD * text_h
        need_w, need_h = text_w + 2 * pad, text_h + 2 * pad
        # A long pointwise label (tanh) gets a pill, not a huge circle.  Compared with the
        # font size, not only the ink height: a flat glyph (Computer Modern's x) is one
        # symbol and keeps its circle.
        if node.kind == "op" and text_w > 1.4 * max(text_h, 0.7 * em):
            shape = "stadium"
            height = max(height, need_h)
            width = max(width, need_w + height * 0.3)
        elif node.kind == "op":
            width = height = max(width, height, need_h, text_w + 2 * pad)
        else:
            width, height = max(width, need_w), max(height, need_h)
    return NodeGeometry(node, node.at, width, height, shape)


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
            horizontal = not (y0 == y1)  # the next leg turns
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


def layout(spec: DiagramSpec, measure: Measure, width: float, height: float | None = None,
           pad: float | None = None) -> DiagramLayout:
    """Lay ``spec`` out to ``width`` inches (and at most ``height`` inches, if given).

    ``pad`` (inches) is kept free at the edges; by default a third of the font size.
    """
    if pad is None:
        import matplotlib as mpl

        pad = mpl.rcParams["font.size"] / 72 / 3
    texts = text_items(spec)
    text_sizes = {id(item): measure(item.text, item.kind) for item in texts}

    def extents(geoms: dict[str, NodeGeometry], axis: int) -> list[_Extent]:
        found: list[_Extent] = []
        for geom in geoms.values():
            b = geom.bounds
            found.append(_Extent(b[axis], b[axis + 2]))
        for region in spec.regions:
            x, y, w, h = region.bounds
            found.append(_Extent((x, y)[axis], (x + w, y + h)[axis]))
        for wire in spec.wires:
            for point in wire.via:
                found.append(_Extent(point[axis], point[axis]))
        for item in texts:
            if item.kind == "node":
                continue  # inside its node, which is already counted
            box = _text_box(item, text_sizes[id(item)])
            found.append(_Extent(item.anchor[axis], item.anchor[axis],
                                 box[axis], box[axis + 2]))
        return found

    # Scale first from the nodes' minimum sizes, then grow the nodes to fit their labels at
    # that scale and fit again: growing changes the extents only a little, so a few rounds do.
    label_inches = {t.owner: text_sizes[id(t)] for t in texts if t.kind == "node"}
    geoms = {n.id: _node_geometry(n, None) for n in spec.nodes}
    scale = 1.0
    for _ in range(3):
        x_extents, y_extents = extents(geoms, 0), extents(geoms, 1)
        scale = _fit_scale(x_extents, width - 2 * pad)
        if height is not None:
            scale = min(scale, _fit_scale(y_extents, height - 2 * pad))
        if spec.max_unit:
            scale = min(scale, spec.max_unit * _font_size_inches())
        geoms = {}
        for node in spec.nodes:
            size = None
            if node.id in label_inches:
                w_in, h_in = label_inches[node.id]
                size = (w_in / scale, h_in / scale)
            geoms[node.id] = _node_geometry(node, size, _font_size_inches() / scale)

    x_extents, y_extents = extents(geoms, 0), extents(geoms, 1)
    x_lo, x_hi = _span(x_extents, scale)
    y_lo, y_hi = _span(y_extents, scale)
    # Centre the content in the full width (and height, on a fixed page).
    x_extra = max(0.0, width - (x_hi - x_lo)) / 2
    y_extra = max(0.0, (height - (y_hi - y_lo)) / 2) if height is not None else pad
    xlim = ((x_lo - x_extra) / scale, (x_hi + x_extra) / scale)
    ylim = ((y_lo - y_extra) / scale, (y_hi + y_extra) / scale)

    wires = []
    for index, wire in enumerate(spec.wires):
        source_id, source_port = parse_port(wire.source)
        target_id, target_port = parse_port(wire.target)
        source, target = geoms[source_id], geoms[target_id]
        source_side = port_side(source.node, source_port)
        target_side = port_side(target.node, target_port)
        points = _route(source.port(resolve_port(source.node, source_port)), source_side,
                        target.port(resolve_port(target.node, target_port)), target_side,
                        wire.via)
        arrow = wire.arrow if wire.arrow is not None else target.node.kind not in ("dot", "concat")
        wires.append(WireGeometry(wire, index, points, arrow, source_side, target_side))

    return DiagramLayout(spec, scale, geoms, tuple(wires), _branch_points(spec, geoms, wires),
                         tuple(texts), xlim, ylim)


def _branch_points(spec: DiagramSpec, geoms: dict[str, NodeGeometry],
                   wires: list[WireGeometry]) -> tuple[tuple[Point, str], ...]:
    """Where one port feeds several wires, the signal branches: mark it with a dot
    (dot nodes draw their own)."""
    counts = Counter(w.wire.source for w in wires)
    points = []
    for ref, count in sorted(counts.items()):
        node_id, port = parse_port(ref)
        geom = geoms[node_id]
        if count > 1 and geom.node.kind != "dot":
            first = next(w for w in wires if w.wire.source == ref)
            points.append((geom.port(resolve_port(geom.node, port)), first.wire.role))
    return tuple(points)
