"""Node geometry: the sizes, outlines and ports of diagram nodes, and orthogonal polylines.

What both the layout (:mod:`lstmfigs.diagram.layout`) and the automatic arrangement
(:mod:`lstmfigs.diagram.arrange`, :mod:`~lstmfigs.diagram.place`,
:mod:`~lstmfigs.diagram.route`) need, kept apart from both so that neither imports the
other: the theme's :class:`Metrics`, a node grown to fit its label (:func:`node_size`), where
its ports are (:class:`NodeGeometry`), and the polyline through waypoints that a wire's route
is drawn as (:func:`_route`).  No matplotlib here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .spec import SIDES, Node

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
