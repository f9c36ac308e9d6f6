"""Routing: every wire of a placed diagram becomes an orthogonal polyline, port to port.

:func:`route` takes a spec whose nodes all have a position and a size and gives every wire
an explicit port on each end and, as ``via``, the interior corners of its route, so that
:func:`lstmfigs.diagram.layout.layout` draws exactly the polyline chosen here.
:func:`place_labels` then turns each wire's ``label`` into a free label beside its wire.

The router is A* over an orthogonal visibility grid (the lines through every port, every
node's centre and the middle of every channel between node outlines, plus a frame around
the whole diagram), one wire at a time, with the state (grid point, direction of travel).
A route's cost is its length, plus :data:`BEND_COST` per corner, :data:`CROSSING_COST` per
wire it crosses, and :data:`HUG_COST` per unit run along a node's outline.  Two things no
route may do at all:

* leave its source other than outward through its port, or enter its target other than
  inward (the stub through a node's clearance is the only part inside it);
* pass through any node's outline and clearance, its own source and target included, or
  through a terminal's label and the given ``obstacles``.

And two it does only where no route avoids them, at :data:`CONFLICT_COST` each (far more
than any detour), so that the checker names the wire instead of the layout failing:

* run along, or within :data:`SEPARATION` of, another wire (wires from the same port may
  share their start, where the branch dot marks them; wires into the same port of a
  concatenation point may share their end: the signals join there);
* turn or end on another wire (that would read as a junction), or cross it at a corner.

A straight wire between ports that face each other is taken without a search: it needs no
grid line between two nodes too close for one.  Wires are routed in a fixed order (state
rails first, then wires whose ends line up, then the longest first, then by index), so the
result depends only on the spec: it is deterministic.  A wire end without a port gets the
side the search finds cheapest (a little dearer when it is not the node kind's usual in or
out side; a terminal is met opposite its label), among the sides no other wire uses; a
source shares a side with wires from the same port only when no side is free or the free
ones are needed by wires still to enter its node.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

from ..errors import LayoutError
from .geometry import NodeGeometry, _node_geometry, _route
from .spec import (
    PORT_ALIASES,
    SIDES,
    DiagramSpec,
    Label,
    Wire,
    parse_port,
    port_side,
    resolve_port,
)

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # (x0, y0, x1, y1)

#: Wires keep this far from every node outline, in diagram units (except in the stub that
#: leaves or enters a port).
CLEARANCE = 0.12
#: Half the side of the square a copy dot, concatenation point or terminal keeps clear.
POINT_CLEARANCE = 0.1
#: Parallel wires from different ports keep at least this far apart: the checker's
#: :data:`~lstmfigs.checks.PARALLEL_GAP_EM` (0.4 em) at the smallest unit a diagram is drawn
#: at, 1.5 em on a fixed page.
SEPARATION = 0.27
#: A channel at least this wide gets a grid line a quarter in from each side as well, for
#: two wires side by side.
TWO_WIRE_CHANNEL = 0.48
#: Closer than this to a node's clearance, a wire hugs the node (costs :data:`HUG_COST`).
HUG_DISTANCE = 0.2
#: Lines of the frame lie this far outside everything, so a wire can go round the diagram.
FRAME = 0.5
#: How many lines the frame has on each side, this far apart.
FRAME_LINES = 4
FRAME_STEP = 0.3
#: A grid line closer than this to another is dropped, unless it is a port's own line.
MIN_LINE_GAP = 0.06
#: Costs, in diagram units of length.
BEND_COST = 1.5
CROSSING_COST = 3.0
HUG_COST = 0.5
#: A side the router chooses that is not the node kind's usual in/out side.
UNUSUAL_SIDE_COST = 0.3
#: Where no route keeps every rule, the one breaking them least is drawn (and the checker
#: names it): running along or turning on another wire costs this much, far more than
#: any detour.
CONFLICT_COST = 1000.0
#: A terminal's side other than the one opposite its label (the arrow would point along
#: the label, or away from it).
UNUSUAL_TERMINAL_SIDE_COST = 2.0
#: Roles whose wires are the carried states: their rails are routed first.
STATE_ROLES = ("cell_state", "hidden_state")
#: A wire label keeps this far from its wire, in units.
LABEL_GAP = 0.12

# Directions of travel: east, north, west, south (index into _STEP); SIDES' names.
_STEP = ((1, 0), (0, 1), (-1, 0), (0, -1))
_SIDE_DIRECTION = {"e": 0, "n": 1, "w": 2, "s": 3}
_OPPOSITE = (2, 3, 0, 1)
_NONE: dict[int, str] = {}


@dataclass(frozen=True)
class _End:
    """One candidate end of a wire: the port's side, where it is, and the stub from the
    port to the first grid point clear of the node."""

    ref: str  # "node.port" as the wire will name it
    side: str
    port: Point
    grid: int  # flat index of the grid point at the end of the stub; -1: none clear
    stub: float  # the stub's length, plus the cost of an unusual side
    extra: float  # the cost of an unusual side alone


class _Grid:
    """The orthogonal visibility grid: lines, blocked edges, costs, and what earlier
    routes occupy."""

    def __init__(self, xs: list[float], ys: list[float], rects: list[Rect],
                 hug_rects: list[Rect]):
        self.xs, self.ys = xs, ys
        self.nx, self.ny = len(xs), len(ys)
        ax, ay = np.array(xs), np.array(ys)
        # Edge (i, j)->(i+1, j) is h[j, i]; (i, j)->(i, j+1) is v[j, i].
        h_blocked = np.zeros((self.ny, self.nx - 1), bool)
        v_blocked = np.zeros((self.ny - 1, self.nx), bool)
        h_hug = np.zeros_like(h_blocked)
        v_hug = np.zeros_like(v_blocked)
        for x0, y0, x1, y1 in rects:
            rows = (ay > y0) & (ay < y1)
            cols = (ax[:-1] < x1) & (ax[1:] > x0)
            h_blocked |= rows[:, None] & cols[None, :]
            rows = (ay[:-1] < y1) & (ay[1:] > y0)
            cols = (ax > x0) & (ax < x1)
            v_blocked |= rows[:, None] & cols[None, :]
        for x0, y0, x1, y1 in hug_rects:
            rows = (ay > y0 - HUG_DISTANCE) & (ay < y1 + HUG_DISTANCE)
            cols = (ax[:-1] < x1) & (ax[1:] > x0)
            h_hug |= rows[:, None] & cols[None, :]
            rows = (ay[:-1] < y1) & (ay[1:] > y0)
            cols = (ax > x0 - HUG_DISTANCE) & (ax < x1 + HUG_DISTANCE)
            v_hug |= rows[:, None] & cols[None, :]
        h_len = np.broadcast_to(np.diff(ax)[None, :], h_blocked.shape)
        v_len = np.broadcast_to(np.diff(ay)[:, None], v_blocked.shape)
        h_cost = np.where(h_blocked, np.inf, h_len * (1 + HUG_COST * h_hug))
        v_cost = np.where(v_blocked, np.inf, v_len * (1 + HUG_COST * v_hug))
        self.h_cost: list[float] = h_cost.ravel().tolist()
        self.v_cost: list[float] = v_cost.ravel().tolist()
        self.rects = rects
        #: Edge key -> the routed wires (by number) on it or within SEPARATION of it.
        self.edge_use: dict[tuple[int, int], set[int]] = {}
        #: Grid point -> {wire: "h" / "v" (passing straight), "x" (turning or ending there,
        #: or just beyond an end) or "n" (within SEPARATION beside it)}.
        self.point_use: dict[int, dict[int, str]] = {}
        #: Every routed polyline, and the ports a wire may share it with (its source
        #: port; "to:PORT" for its target port where signals merge), by wire number.
        self.routed: list[Sequence[Point]] = []
        self.ports: list[set[str]] = []

    def friends(self, ports: set[str]) -> set[int]:
        """The routed wires a wire with these ports may run along."""
        return {wire for wire, theirs in enumerate(self.ports) if theirs & ports}

    def near_other_wire(self, a: Point, b: Point, keys: set[int]) -> bool:
        """Whether the segment a-b comes within SEPARATION of a wire not in ``keys``."""
        x0, x1 = sorted((a[0], b[0]))
        y0, y1 = sorted((a[1], b[1]))
        for wire, points in enumerate(self.routed):
            if wire in keys:
                continue
            for (px, py), (qx, qy) in pairwise(points):
                if (min(px, qx) < x1 + SEPARATION and max(px, qx) > x0 - SEPARATION
                        and min(py, qy) < y1 + SEPARATION and max(py, qy) > y0 - SEPARATION):
                    return True
        return False

    def index(self, x: float, y: float) -> int:
        return self.ys.index(y) * self.nx + self.xs.index(x)

    def point(self, flat: int) -> Point:
        j, i = divmod(flat, self.nx)
        return (self.xs[i], self.ys[j])

    def neighbour(self, flat: int, direction: int) -> tuple[int, float, tuple[int, int]]:
        """The next grid point in ``direction``, the edge's cost and its key (-1: none)."""
        j, i = divmod(flat, self.nx)
        if direction == 0:
            if i + 1 >= self.nx:
                return -1, math.inf, (0, 0)
            return flat + 1, self.h_cost[j * (self.nx - 1) + i], (0, j * (self.nx - 1) + i)
        if direction == 2:
            if i == 0:
                return -1, math.inf, (0, 0)
            return flat - 1, self.h_cost[j * (self.nx - 1) + i - 1], (0, j * (self.nx - 1) + i - 1)
        if direction == 1:
            if j + 1 >= self.ny:
                return -1, math.inf, (0, 0)
            return flat + self.nx, self.v_cost[j * self.nx + i], (1, j * self.nx + i)
        if j == 0:
            return -1, math.inf, (0, 0)
        return flat - self.nx, self.v_cost[(j - 1) * self.nx + i], (1, (j - 1) * self.nx + i)

    def segment_blocked(self, a: Point, b: Point, ignore: Sequence[Rect] = ()) -> bool:
        """Whether the straight segment a-b passes through an obstacle's inside (other
        than those in ``ignore``)."""
        x0, x1 = sorted((a[0], b[0]))
        y0, y1 = sorted((a[1], b[1]))
        for rect in self.rects:
            if rect in ignore:
                continue
            rx0, ry0, rx1, ry1 = rect
            if x0 == x1:
                if rx0 < x0 < rx1 and y0 < ry1 and y1 > ry0:
                    return True
            elif ry0 < y0 < ry1 and x0 < rx1 and x1 > rx0:
                return True
        return False

    def occupy(self, points: Sequence[Point], ports: set[str]) -> None:
        """Record a routed polyline: its edges (and those within SEPARATION) and points.

        Points on it are marked as passed straight ("h", "v") or turned at ("x"), and so
        are points on its line within SEPARATION beyond a corner (but not beyond its two
        ends, where other wires leave the same node); points within SEPARATION beside it
        are marked "n".  No other route may turn or end at any of them; one may cross
        straight over "h", "v" and "n" points (a crossing costs only on the wire itself).
        """
        key = len(self.routed)
        self.routed.append(points)
        self.ports.append(ports)
        xs, ys = self.xs, self.ys
        last = len(points) - 2
        for k, ((ax_, ay_), (bx, by)) in enumerate(pairwise(points)):
            horizontal = ay_ == by
            a, b = (ax_, bx) if horizontal else (ay_, by)
            lo, hi = min(a, b), max(a, b)
            lo_ext = SEPARATION if (k > 0 if a <= b else k < last) else 0.0
            hi_ext = SEPARATION if (k < last if a <= b else k > 0) else 0.0
            across, along = (ys, xs) if horizontal else (xs, ys)
            line = ay_ if horizontal else ax_
            for m, c in enumerate(across):
                if abs(c - line) >= SEPARATION:
                    continue
                for n in range(len(along) - 1):
                    if along[n] < hi and along[n + 1] > lo:
                        edge = (0, m * (self.nx - 1) + n) if horizontal else (1, n * self.nx + m)
                        self.edge_use.setdefault(edge, set()).add(key)
                for n, v in enumerate(along):
                    if lo - lo_ext < v < hi + hi_ext or (c != line and lo <= v <= hi):
                        straight = c == line and lo < v < hi
                        # Beside the wire, not on it: a route may not turn or end there, but
                        # may pass straight (running along is the edges' business).
                        kind = (("h" if horizontal else "v") if straight
                                else "x" if c == line else "n")
                        self._use(m * self.nx + n if horizontal else n * self.nx + m, key, kind)

    def _use(self, flat: int, key: int, kind: str) -> None:
        uses = self.point_use.setdefault(flat, {})
        # Passed straight by one leg and near or on another leg of the same wire: "x".
        uses[key] = kind if uses.get(key, kind) == kind else "x"


def _geometries(spec: DiagramSpec) -> dict[str, NodeGeometry]:
    geoms = {}
    for node in spec.nodes:
        if node.at is None:
            raise LayoutError(f"node '{node.id}' has no position; place it before routing")
        geoms[node.id] = _node_geometry(node, None)
    return geoms


def _clearance_rect(geom: NodeGeometry) -> Rect:
    x0, y0, x1, y1 = geom.bounds
    pad = POINT_CLEARANCE if geom.shape == "point" else CLEARANCE
    if geom.shape == "point":
        cx, cy = geom.center
        return (cx - pad, cy - pad, cx + pad, cy + pad)
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def _lines(essential: Iterable[float], edges: Iterable[float]) -> list[float]:
    """Grid lines on one axis: every essential coordinate (ports, centres, waypoints), the
    middle of every gap between consecutive obstacle edges (and its quarters, where two
    wires fit side by side), and the frame; lines closer
    than :data:`MIN_LINE_GAP` to one already kept are dropped (essential ones never)."""
    kept = sorted(set(essential))
    edge_values = sorted(set(edges) | set(kept))
    extra = [(a + b) / 2 for a, b in pairwise(edge_values) if b - a > 2 * MIN_LINE_GAP]
    # A channel wide enough for two wires side by side gets a line for each as well.
    extra += [a + (b - a) * f for a, b in pairwise(edge_values) if b - a > TWO_WIRE_CHANNEL
              for f in (0.25, 0.75)]
    # Lines round the outside, a channel each, for wires going round the diagram.
    extra += [value for k in range(FRAME_LINES)
              for value in (edge_values[0] - FRAME - k * FRAME_STEP,
                            edge_values[-1] + FRAME + k * FRAME_STEP)]
    for value in sorted(extra):
        position = np.searchsorted(kept, value)
        near = [kept[k] for k in (position - 1, position) if 0 <= k < len(kept)]
        if all(abs(value - other) >= MIN_LINE_GAP for other in near):
            kept.insert(int(position), value)
    return kept


def route(spec: DiagramSpec, obstacles: Sequence[Rect] = ()) -> DiagramSpec:
    """Route every wire of a placed spec orthogonally, from port to port.

    Parameters
    ----------
    spec : DiagramSpec
        A spec whose nodes all have ``at`` (and, for nodes with an outline, the ``size``
        they are drawn at).  Wire ends may omit the port; given ports and ``via``
        waypoints are kept.
    obstacles : sequence of (x0, y0, x1, y1)
        Further rectangles no wire may cross, in diagram units (the terminals' labels).

    Returns
    -------
    DiagramSpec
        The spec with every wire naming a port on both ends and ``via`` listing the
        route's interior corners, which :func:`lstmfigs.diagram.layout.layout` turns back
        into exactly this polyline.

    Raises
    ------
    LayoutError
        If a node has no position, or no route exists for a wire (a port boxed in).
    """
    geoms = _geometries(spec)
    rects = [_clearance_rect(g) for g in geoms.values()]
    rects += [tuple(map(float, o)) for o in obstacles]  # type: ignore[misc]
    essential_x: list[float] = []
    essential_y: list[float] = []
    for geom in geoms.values():
        for side in SIDES:
            px, py = geom.port(side)
            (essential_x if side in "ns" else essential_y).append(px if side in "ns" else py)
        for named in geom.node.ports:
            px, py = geom.port(named.name)
            essential_x.append(px)
            essential_y.append(py)
    for wire in spec.wires:
        for x, y in wire.via:
            essential_x.append(x)
            essential_y.append(y)
    grid = _Grid(_lines(essential_x, [v for r in rects for v in (r[0], r[2])]),
                 _lines(essential_y, [v for r in rects for v in (r[1], r[3])]),
                 rects, [r for g, r in zip(geoms.values(), rects, strict=False)
                         if g.shape != "point"] + rects[len(geoms):])
    node_rects = {node_id: rect for node_id, rect in zip(geoms, rects, strict=False)}

    used_sides = _fixed_sides(spec)
    pending_targets = Counter(parse_port(w.target)[0] for w in spec.wires
                              if not parse_port(w.target)[1])
    pending_sources = Counter(parse_port(w.source)[0] for w in spec.wires
                              if not parse_port(w.source)[1])
    routed: dict[int, Wire] = {}
    for index in _order(spec, geoms):
        wire = spec.wires[index]
        routed[index] = _route_wire(wire, geoms, node_rects, grid, used_sides,
                                    pending_targets, pending_sources)
        if not parse_port(wire.target)[1]:
            pending_targets[parse_port(wire.target)[0]] -= 1
        if not parse_port(wire.source)[1]:
            pending_sources[parse_port(wire.source)[0]] -= 1
    return replace(spec, wires=tuple(routed[i] for i in range(len(spec.wires))))


def _fixed_sides(spec: DiagramSpec) -> dict[tuple[str, str], set[str]]:
    """(node, side) -> how wires use it ("src:PORT" for sources, "dst" for targets,
    "dst:PORT" for targets where signals merge), from the ports the spec gives."""
    used: dict[tuple[str, str], set[str]] = {}
    for wire in spec.wires:
        for end, ref in (("src", wire.source), ("dst", wire.target)):
            node_id, port = parse_port(ref)
            if port:
                side = port_side(spec.node(node_id), port)
                node = spec.node(node_id)
                resolved = f"{node_id}.{resolve_port(node, port)}"
                used.setdefault((node_id, side), set()).add(
                    f"src:{resolved}" if end == "src"
                    else f"dst:{resolved}" if node.kind == "concat" else "dst")
    return used


def _order(spec: DiagramSpec, geoms: Mapping[str, NodeGeometry]) -> list[int]:
    """The order wires are routed in: state rails first, then wires whose ends line up
    (a straight shot, which claims the sides facing each other), then the wires from the
    cell's inputs (they come from the border and have the fewest ways in: MGU's x_t into
    the concatenation beside its tanh, which f * h then enters from above), then the
    longest."""
    state_roles = set(STATE_ROLES) | {name for name, base in spec.roles if base in STATE_ROLES}

    def key(index: int) -> tuple[int, int, int, float, int]:
        wire = spec.wires[index]
        a = geoms[parse_port(wire.source)[0]].center
        b = geoms[parse_port(wire.target)[0]].center
        straight = a[0] == b[0] or a[1] == b[1]
        rail = wire.role in state_roles and a[1] == b[1]
        entering = geoms[parse_port(wire.source)[0]].node.kind == "terminal"
        return (0 if rail else 1, 0 if straight else 1, 0 if entering else 1,
                -(abs(a[0] - b[0]) + abs(a[1] - b[1])), index)

    return sorted(range(len(spec.wires)), key=key)


def _candidate_ends(ref: str, is_source: bool, geoms: Mapping[str, NodeGeometry],
                    node_rects: Mapping[str, Rect], grid: _Grid,
                    used_sides: dict[tuple[str, str], set[str]],
                    pending_targets: Mapping[str, int], share: bool = False,
                    pending_sources: Mapping[str, int] | None = None) -> list[_End]:
    """The ends a wire may have at ``ref``: its given port, or every free side (and, with
    ``share``, a source's sides other wires leave from the same port as well).

    A source shares a side with wires from the same port (and a wire into a concatenation
    point with wires merging there) only when no side is free, or when the free sides are
    needed by the wires still to enter the node (``pending_targets``); a terminal's wires
    always share the side facing the cell.  A layer's top is not a target while the layer
    still has wires to send (``pending_sources``, node id -> how many), nor its bottom a
    source while it still has wires to receive.  Where no side is
    left at all, any side will do, at :data:`CONFLICT_COST`: the checker then names what
    is wrong.
    """
    node_id, port = parse_port(ref)
    geom = geoms[node_id]
    node = geom.node
    forced = 0.0
    if port:
        options = [(ref, port_side(node, port), resolve_port(node, port))]
    else:
        free, shared, every = [], [], []
        for side in ("e", "n", "w", "s"):
            if node.kind == "terminal" and _LABEL_SIDE.get(node.label_side) == side:
                continue  # the terminal's label sits there
            option = (f"{node_id}.{side}", side, side)
            every.append(option)
            uses = used_sides.get((node_id, side), set())
            if not uses:
                free.append(option)
            elif uses == {f"src:{node_id}.{side}" if is_source else f"dst:{node_id}.{side}"}:
                shared.append(option)  # from the same port, or merging into a concat
        if is_source and len(free) <= pending_targets.get(node_id, 0):
            # The free sides are needed by wires still to enter: share the port other
            # wires leave from, or else leave from the kind's usual side.
            usual_out = [o for o in free if o[1] == PORT_ALIASES[node.kind]["out"]]
            free = [] if shared else usual_out or free
        if is_source and node.kind == "gate" and pending_targets.get(node_id, 0):
            # Likewise a layer's bottom is kept for its input while another side is free:
            # an output leaving downwards reads as flowing the wrong way (MGU's f_t).
            free = [o for o in free if o[1] != PORT_ALIASES["gate"]["in"]] or free
        if not is_source and node.kind == "gate" and pending_sources \
                and pending_sources.get(node_id, 0):
            # A layer's top is kept for its output while another side is free: a peephole
            # into the top would send the output out sideways, and what came from that
            # side round the layer (FGR's input gate).
            free = [o for o in free if o[1] != PORT_ALIASES["gate"]["out"]] or free
        if is_source and node.kind == "terminal" and node.label_side in _LABEL_SIDE:
            # A terminal is the one point where its signal enters: a second wire shares
            # the side facing the cell and branches at a dot, never leaves along the
            # border (MGU's x_t into two concatenations).
            facing = _OPPOSITE_SIDE[_LABEL_SIDE[node.label_side]]
            free = [o for o in free if o[1] == facing]
        options = free + shared if share else free or shared
        if not options:
            options, forced = every, CONFLICT_COST
    # A side the router chooses costs a little more unless it is the kind's usual one
    # (a layer is fed from below and feeds upward; an operation runs left to right).
    usual = PORT_ALIASES[node.kind]["out" if is_source else "in"]
    unusual_cost = UNUSUAL_SIDE_COST
    if node.kind == "terminal":  # a wire meets a terminal opposite its label
        usual = _OPPOSITE_SIDE[_LABEL_SIDE[node.label_side]]
        unusual_cost = UNUSUAL_TERMINAL_SIDE_COST
    ends = []
    rect = node_rects[node_id]
    for name, side, key in options:
        port_point = geom.port(key)
        extra = forced + (unusual_cost if not port and side != usual else 0.0)
        stub_end = _stub_end(port_point, side, rect, grid)
        if stub_end is None:
            ends.append(_End(name, side, port_point, -1, math.inf, extra))
            continue
        cost = abs(stub_end[0] - port_point[0]) + abs(stub_end[1] - port_point[1])
        if grid.segment_blocked(port_point, stub_end, ignore=(rect,)):
            # Another node (or its clearance) is in the way: a straight wire to a port
            # facing this one may still leave here (see _direct); anything else is a last
            # resort, which the checker will name.
            cost += CONFLICT_COST
        ends.append(_End(name, side, port_point, grid.index(*stub_end), cost + extra, extra))
    return ends


_LABEL_SIDE = {"left": "w", "right": "e", "above": "n", "below": "s"}
_OPPOSITE_SIDE = {"n": "s", "s": "n", "e": "w", "w": "e"}


def _stub_end(port: Point, side: str, rect: Rect, grid: _Grid) -> Point | None:
    """The first grid point outside ``rect`` going from ``port`` outward through ``side``."""
    dx, dy = SIDES[side]
    x, y = port
    if dx:
        limit = rect[2] if dx > 0 else rect[0]
        beyond = [v for v in grid.xs if (v > limit if dx > 0 else v < limit)]
        if not beyond:
            return None
        return (min(beyond) if dx > 0 else max(beyond), y)
    limit = rect[3] if dy > 0 else rect[1]
    beyond = [v for v in grid.ys if (v > limit if dy > 0 else v < limit)]
    if not beyond:
        return None
    return (x, min(beyond) if dy > 0 else max(beyond))


def _route_wire(wire: Wire, geoms: Mapping[str, NodeGeometry],
                node_rects: Mapping[str, Rect], grid: _Grid,
                used_sides: dict[tuple[str, str], set[str]],
                pending_targets: Mapping[str, int],
                pending_sources: Mapping[str, int]) -> Wire:
    """Route one wire, record it in ``grid`` and ``used_sides``, and return it with its
    ports and corners."""
    starts = _candidate_ends(wire.source, True, geoms, node_rects, grid, used_sides,
                             pending_targets)
    goals = _candidate_ends(wire.target, False, geoms, node_rects, grid, used_sides,
                            pending_targets, pending_sources=pending_sources)
    name = wire.id or f"{wire.source}->{wire.target}"
    if not starts or not goals:
        which = "source" if not starts else "target"
        raise LayoutError(f"wire {name}: no free side of its {which} to route from")
    # Wires that may run along this one: those from the same port and, into a
    # concatenation point, those into the same port (signals merging there).
    merging = geoms[parse_port(wire.target)[0]].node.kind == "concat"
    ports = {_port_key(s.ref, geoms) for s in starts}
    if merging:
        ports |= {"to:" + _port_key(g.ref, geoms) for g in goals}
    keys = grid.friends(ports)
    direct = None if wire.via else _direct(starts, goals, node_rects, grid, keys)
    if direct is not None:
        start, goal = direct
        points = [start.port, goal.port]
    else:
        waypoints = [grid.index(x, y) for x, y in wire.via]
        clear_starts = [s for s in starts if s.grid >= 0]
        clear_goals = [g for g in goals if g.grid >= 0]
        # Breaking a rule costs far more than any detour, so this finds a route keeping
        # every rule if there is one, and otherwise the least bad (which the checker names).
        found = _search(grid, clear_starts, clear_goals, waypoints, keys, strict=False)
        if found is not None and found[3] >= CONFLICT_COST:
            # Every free side breaks a rule (a wire turning on another, or running along
            # it): leaving from a port another wire leaves from, with a branch dot, may not.
            shared = _candidate_ends(wire.source, True, geoms, node_rects, grid, used_sides,
                                     pending_targets, share=True)
            if len(shared) > len(starts):
                share_keys = grid.friends({_port_key(s.ref, geoms) for s in shared}
                                          | (ports - {_port_key(s.ref, geoms) for s in starts}))
                again = _search(grid, [s for s in shared if s.grid >= 0], clear_goals,
                                waypoints, share_keys, strict=False)
                if again is not None and again[3] < found[3]:
                    found = again
        if found is None:
            raise LayoutError(f"wire {name} cannot be routed without crossing a node; "
                              "move its ends apart")
        start, goal, path, _ = found
        points = [start.port] + [grid.point(p) for p in path] + [goal.port]
    corners = [(float(x), float(y)) for x, y in _corners(points)]
    source_id = start.ref.partition(".")[0]
    key = _port_key(start.ref, geoms)
    target_key = _port_key(goal.ref, geoms)
    grid.occupy(corners, {key, "to:" + target_key} if merging else {key})
    used_sides.setdefault((source_id, start.side), set()).add(f"src:{key}")
    used_sides.setdefault((goal.ref.partition(".")[0], goal.side), set()).add(
        f"dst:{target_key}" if merging else "dst")
    return replace(wire, source=start.ref, target=goal.ref, via=tuple(corners[1:-1]))


def _direct(starts: Sequence[_End], goals: Sequence[_End], node_rects: Mapping[str, Rect],
            grid: _Grid, keys: set[int]) -> tuple[_End, _End] | None:
    """The cheapest straight wire between facing ports (no bend, shortest): it needs no
    grid point between two nodes too close for one, and nothing may be in its way."""
    best: tuple[float, int, int] | None = None
    for i, start in enumerate(starts):
        dx, dy = SIDES[start.side]
        for j, goal in enumerate(goals):
            if goal.side != _OPPOSITE_SIDE[start.side]:
                continue
            (sx, sy), (gx, gy) = start.port, goal.port
            along = (gx - sx) * dx + (gy - sy) * dy
            if along <= 0 or (sx != gx if dy else sy != gy):
                continue
            own = (node_rects[start.ref.partition(".")[0]],
                   node_rects[goal.ref.partition(".")[0]])
            if grid.segment_blocked(start.port, goal.port, ignore=own):
                continue
            # Other wires meet the two nodes inside their clearance, on other sides: only
            # the stretch between the clearances (less SEPARATION at each end, where a
            # wire meeting the node may come that close) must keep clear of them.
            a, b = _clip_out(start.port, goal.port, own)
            a = (a[0] + SEPARATION * abs(dx), a[1] + SEPARATION * abs(dy))
            b = (b[0] - SEPARATION * abs(dx), b[1] - SEPARATION * abs(dy))
            if (b[0] - a[0]) + (b[1] - a[1]) > 0 and grid.near_other_wire(a, b, keys):
                continue
            cost = along + start.extra + goal.extra
            if best is None or cost < best[0]:
                best = (cost, i, j)
    return None if best is None else (starts[best[1]], goals[best[2]])


def _clip_out(a: Point, b: Point, rects: Sequence[Rect]) -> tuple[Point, Point]:
    """The part of the axis-parallel segment a-b outside ``rects`` (which contain its
    ends); a point where nothing is left."""
    if a[1] == b[1]:
        lo, hi = sorted((a[0], b[0]))
        for x0, y0, x1, y1 in rects:
            if y0 <= a[1] <= y1:
                if x0 <= lo <= x1:
                    lo = max(lo, x1)
                if x0 <= hi <= x1:
                    hi = min(hi, x0)
        return ((lo, a[1]), (max(lo, hi), a[1]))
    lo, hi = sorted((a[1], b[1]))
    for x0, y0, x1, y1 in rects:
        if x0 <= a[0] <= x1:
            if y0 <= lo <= y1:
                lo = max(lo, y1)
            if y0 <= hi <= y1:
                hi = min(hi, y0)
    return ((a[0], lo), (a[0], max(lo, hi)))


def _port_key(ref: str, geoms: Mapping[str, NodeGeometry]) -> str:
    """``node.port`` with the port resolved (``gate.out`` -> ``gate.n``)."""
    node_id, port = parse_port(ref)
    return f"{node_id}.{resolve_port(geoms[node_id].node, port)}"


def _corners(points: list[Point]) -> list[Point]:
    """The polyline without repeated or collinear points: its ends and its corners."""
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


def _search(grid: _Grid, starts: list[_End], goals: list[_End], waypoints: list[int],
            keys: set[int], strict: bool = True) -> tuple[_End, _End, list[int], float] | None:
    """The cheapest route from one of ``starts`` through ``waypoints`` to one of
    ``goals``: (start, goal, grid points in order, cost), or None.  Each leg between waypoints
    is searched on its own and starts in the direction the previous one ended in."""
    state_starts = [(s.grid, _SIDE_DIRECTION[s.side], s.stub, k) for k, s in enumerate(starts)]
    start_tag = -1
    path: list[int] = []
    total = 0.0
    for waypoint in waypoints:
        leg = _astar(grid, state_starts, [(waypoint, None, 0.0, 0)], keys, strict)
        if leg is None:
            return None
        tag, direction, points, _, cost = leg
        total += cost
        start_tag = tag if start_tag < 0 else start_tag
        path += points if not path else points[1:]
        state_starts = [(waypoint, direction, 0.0, start_tag)]
    goal_states = [(g.grid, _OPPOSITE[_SIDE_DIRECTION[g.side]], g.stub, k)
                   for k, g in enumerate(goals)]
    last = _astar(grid, state_starts, goal_states, keys, strict)
    if last is None:
        return None
    tag, _, points, goal_tag, cost = last
    start_tag = tag if start_tag < 0 else start_tag
    path += points if not path else points[1:]
    return starts[start_tag], goals[goal_tag], path, total + cost


def _astar(grid: _Grid, starts: Sequence[tuple[int, int, float, int]],
           goals: Sequence[tuple[int, int | None, float, int]], keys: set[int],
           strict: bool = True) -> tuple[int, int, list[int], int, float] | None:
    """A* from any of ``starts`` (point, direction, cost so far, tag) to any of ``goals``
    (point, direction to leave it in or None for any, cost to add, tag).  Not
    ``strict``: running along or turning on another wire costs :data:`CONFLICT_COST`
    instead of being ruled out.

    Returns (start tag, final direction, grid points, goal tag, cost), or None.
    """
    if not starts or not goals:
        return None
    xs, ys, nx = grid.xs, grid.ys, grid.nx
    goal_at: dict[int, list[tuple[int | None, float, int]]] = {}
    for point, direction, extra, tag in goals:
        goal_at.setdefault(point, []).append((direction, extra, tag))
    goal_points = [(xs[p % nx], ys[p // nx], d, _STEP[d] if d is not None else (0, 0))
                   for p, d, _, _ in goals]
    edge_use, point_use = grid.edge_use, grid.point_use
    # Where every goal can only be entered by breaking a rule (a port on another wire's
    # corner), every route pays CONFLICT_COST there: counting it in the estimate keeps it
    # consistent and spares expanding every state cheaper than that, i.e. the whole grid.
    floor = 0.0 if strict or any(_may_finish(point_use.get(p), keys, d)
                                 for p, d, _, _ in goals) else CONFLICT_COST

    def heuristic(flat: int, direction: int) -> float:
        """Manhattan distance, plus a bend unless the goal lies straight ahead."""
        px, py = xs[flat % nx], ys[flat // nx]
        best = math.inf
        for gx, gy, gd, (sx, sy) in goal_points:
            estimate = abs(gx - px) + abs(gy - py)
            if gd is None:
                if px != gx and py != gy:
                    estimate += BEND_COST
            elif not (direction == gd
                      and ((sx == 0 and px == gx and (gy - py) * sy >= 0)
                           or (sy == 0 and py == gy and (gx - px) * sx >= 0))):
                estimate += BEND_COST
            if estimate < best:
                best = estimate
        return best + floor

    # Heap items: (f, tie, state, g, finish) where finish is (goal tag, direction) once
    # the route is complete.
    # Equal estimates are taken deepest first (-g): a grid has many equally good routes,
    # and following one of them to the end saves expanding them all; the counter keeps
    # the order, and so the result, deterministic.
    heap: list[tuple[float, float, int, int, float, tuple[int, int] | None]] = []
    best: dict[int, float] = {}
    parent: dict[int, int] = {}
    origin: dict[int, int] = {}
    counter = 0
    for point, direction, cost, tag in starts:
        state = point * 4 + direction
        if cost < best.get(state, math.inf):
            best[state] = cost
            origin[state] = tag
            parent[state] = -1
            heapq.heappush(heap, (cost + heuristic(point, direction), -cost, counter, state,
                                  cost, None))
            counter += 1
    # Each state is expanded about once (the estimate is consistent); the bound keeps the
    # time bounded whatever the input.
    budget = 16 * 4 * grid.nx * grid.ny
    while heap and budget:
        budget -= 1
        _, _, _, state, g, finish = heapq.heappop(heap)
        if finish is not None:  # the cheapest complete route
            path = []
            walk = state
            while walk >= 0:
                path.append(walk // 4)
                walk = parent[walk]
            path.reverse()
            return origin[state], finish[1], _dedupe(path), finish[0], g
        if g > best.get(state, math.inf):
            continue
        point, direction = divmod(state, 4)
        uses = point_use.get(point)
        foreign = ({k: v for k, v in uses.items() if k not in keys}
                   if uses and not uses.keys() <= keys else _NONE)
        # At a goal: finish in its direction (turning here if need be).
        for goal_direction, extra, tag in goal_at.get(point, ()):
            final = direction if goal_direction is None else goal_direction
            turn = final != direction
            if final == _OPPOSITE[direction]:
                continue
            penalty = 0.0
            if not _may_pass(foreign, direction, turn):
                if strict:
                    continue
                penalty = CONFLICT_COST
            total = g + extra + penalty + (BEND_COST if turn else 0.0)
            heapq.heappush(heap, (total, -total, counter, state, total, (tag, final)))
            counter += 1
        for new_direction in (direction, (direction + 1) % 4, (direction + 3) % 4):
            turn = new_direction != direction
            penalty = 0.0
            if foreign:
                if not _may_pass(foreign, direction, turn):
                    if strict:
                        continue
                    penalty += CONFLICT_COST
                if any(kind != "n" for kind in foreign.values()):
                    penalty += CROSSING_COST
            nxt, cost, edge = grid.neighbour(point, new_direction)
            if nxt < 0 or cost == math.inf:
                continue
            users = edge_use.get(edge)
            if users and not users <= keys:
                if strict:
                    continue
                penalty += CONFLICT_COST * (1 + cost)
            new_g = g + cost + penalty + (BEND_COST if turn else 0.0)
            new_state = nxt * 4 + new_direction
            if new_g < best.get(new_state, math.inf):
                best[new_state] = new_g
                parent[new_state] = state
                origin[new_state] = origin[state]
                heapq.heappush(heap, (new_g + heuristic(nxt, new_direction), -new_g, counter,
                                      new_state, new_g, None))
                counter += 1
    return None


def _may_finish(uses: Mapping[int, str] | None, keys: set[int], direction: int | None) -> bool:
    """Whether a route may end at a goal point other wires use (``uses``), in
    ``direction`` (None: any), from some direction of arrival."""
    foreign = {k: v for k, v in uses.items() if k not in keys} if uses else {}
    if direction is not None:  # arriving straight; any other arrival turns there
        return _may_pass(foreign, direction, False)
    return any(_may_pass(foreign, arrival, False) for arrival in range(4))


def _may_pass(foreign: Mapping[int, str], direction: int, turn: bool) -> bool:
    """Whether a route may go on through a point other wires use: only straight across
    wires that pass straight through it at right angles."""
    if not foreign:
        return True
    if turn:
        return False
    across = "v" if direction in (0, 2) else "h"
    return all(kind in (across, "n") for kind in foreign.values())


def _dedupe(path: list[int]) -> list[int]:
    return [p for k, p in enumerate(path) if k == 0 or p != path[k - 1]]


# -- wire labels ---------------------------------------------------------------------------

def _polylines(spec: DiagramSpec) -> list[tuple[Point, ...]]:
    """Every wire's polyline, as the layout draws it."""
    geoms = _geometries(spec)
    lines = []
    for wire in spec.wires:
        (s, sp), (t, tp) = parse_port(wire.source), parse_port(wire.target)
        source, target = geoms[s], geoms[t]
        lines.append(_route(source.port(resolve_port(source.node, sp)),
                            port_side(source.node, sp),
                            target.port(resolve_port(target.node, tp)),
                            port_side(target.node, tp), wire.via))
    return lines


def _hits_segment(box: Rect, a: Point, b: Point) -> bool:
    x0, x1 = sorted((a[0], b[0]))
    y0, y1 = sorted((a[1], b[1]))
    return x0 < box[2] and x1 > box[0] and y0 < box[3] and y1 > box[1]


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(spec: DiagramSpec, texts: Mapping[str, tuple[float, float]]) -> DiagramSpec:
    """Put each wire's ``label`` beside its wire, clear of every text, node and wire.

    A label goes beside a vertical leg of its wire, as near the source as it fits (to the
    right first, then the left), else above or below a horizontal leg.  Where its own wire
    has no free place, it goes beside another wire carrying the same value: one leaving the
    same node, directly or through copy dots.

    Parameters
    ----------
    spec : DiagramSpec
        A routed spec (:func:`route`).
    texts : mapping
        Text sizes in diagram units: ``str(wire index)`` -> the wire label's (width,
        height); node id -> a terminal label's (width, height).

    Returns
    -------
    DiagramSpec
        The spec with a :class:`~lstmfigs.diagram.spec.Label` per labelled wire (id
        ``"<wire id>-label"``, the wire's role and steps) and the wires' ``label`` cleared.
    """
    geoms = _geometries(spec)
    lines = _polylines(spec)
    blocked: list[Rect] = []
    for geom in geoms.values():
        if geom.shape == "point":
            cx, cy = geom.center
            blocked.append((cx - POINT_CLEARANCE / 2, cy - POINT_CLEARANCE / 2,
                            cx + POINT_CLEARANCE / 2, cy + POINT_CLEARANCE / 2))
        else:
            blocked.append(geom.bounds)
        node = geom.node
        if node.kind == "terminal" and node.label and node.id in texts:
            blocked.append(_terminal_box(geom, texts[node.id]))
    labels = list(spec.labels)
    wires = list(spec.wires)
    for index, wire in enumerate(spec.wires):
        if not wire.label:
            continue
        size = texts.get(str(index), (0.0, 0.0))
        carriers = [index, *(i for i in _same_value(spec, index) if i != index)]
        label = _best_label([(replace(spec.wires[i], label=wire.label), lines[i])
                             for i in carriers], lines, size, blocked)
        label_id = f"{wire.id or f'wire{index}'}-label"
        labels = [lab for lab in labels if lab.id != label_id]
        labels.append(replace(label, id=label_id))
        blocked.append(_label_box(label, size))
        wires[index] = replace(wire, label="")
    return replace(spec, wires=tuple(wires), labels=tuple(labels))


def _terminal_box(geom: NodeGeometry, size: tuple[float, float]) -> Rect:
    """Where a terminal's label is drawn, roughly (the gap there is in inches)."""
    (x, y), (w, h) = geom.center, size
    gap = LABEL_GAP
    side = geom.node.label_side
    x0 = {"left": x - gap - w, "right": x + gap}.get(side, x - w / 2)
    y0 = {"above": y + gap, "below": y - gap - h}.get(side, y - h / 2)
    return (x0, y0, x0 + w, y0 + h)


_FRACTION = {"left": 0.0, "center": 0.5, "right": 1.0, "bottom": 0.0, "top": 1.0}


def _label_box(label: Label, size: tuple[float, float]) -> Rect:
    w, h = size
    x0 = label.at[0] - _FRACTION[label.ha] * w
    y0 = label.at[1] - _FRACTION[label.va] * h
    return (x0, y0, x0 + w, y0 + h)


def _same_value(spec: DiagramSpec, index: int) -> list[int]:
    """The wires carrying what wire ``index`` carries, in order: those leaving its source
    node and, through copy dots, those leaving the dots they lead to."""
    sources = {parse_port(spec.wires[index].source)[0]}
    found: list[int] = []
    grew = True
    while grew:
        grew = False
        for i, wire in enumerate(spec.wires):
            if i in found or parse_port(wire.source)[0] not in sources:
                continue
            found.append(i)
            target = parse_port(wire.target)[0]
            if spec.node(target).kind == "dot" and target not in sources:
                sources.add(target)
                grew = True
    return found


def _best_label(carriers: Sequence[tuple[Wire, tuple[Point, ...]]],
                lines: Sequence[tuple[Point, ...]], size: tuple[float, float],
                blocked: Sequence[Rect]) -> Label:
    """The first candidate place free of everything, beside the first of ``carriers``
    (wires with the label, and their points) that has one; else the one with fewest
    overlaps."""
    candidates = [label for wire, points in carriers
                  for label in _label_candidates(wire, points, lines, size)]
    if not candidates:  # no leg is long enough: beside the source port
        wire, ((x, y), *_) = carriers[0]
        candidates.append(Label(wire.label, (x + LABEL_GAP, y + LABEL_GAP), role=wire.role,
                                ha="left", va="bottom", steps=wire.steps))
    w, h = size
    best, fewest = candidates[0], (math.inf, 0.0)
    for label in candidates:
        box = _label_box(label, size)
        padded = (box[0] - LABEL_GAP / 2, box[1] - LABEL_GAP / 2,
                  box[2] + LABEL_GAP / 2, box[3] + LABEL_GAP / 2)
        count = sum(_overlaps(padded, other) for other in blocked)
        hits = [(a, b) for line in lines for a, b in pairwise(line)
                if _hits_segment(padded, a, b)]
        count += len(hits)
        if count == 0:
            return label
        # Of equally bad places, the one whose centre keeps farthest from the wires it
        # touches: drawn smaller, it may clear them.
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        near = min((abs(a[1] - cy) / h if a[1] == b[1] and h else
                    abs(a[0] - cx) / w if w else 0.0) for a, b in hits) if hits else 0.0
        if (count, -near) < fewest:
            best, fewest = label, (count, -near)
    return best


def _label_candidates(wire: Wire, points: tuple[Point, ...],
                      lines: Sequence[tuple[Point, ...]],
                      size: tuple[float, float]) -> list[Label]:
    """Places for ``wire``'s label beside its legs long enough for it, best first: beside
    a vertical leg (right, then left), then above or below a horizontal one."""
    w, h = size
    segments = list(pairwise(points))
    vertical = [(a, b) for a, b in segments if a[0] == b[0]]
    horizontal = [(a, b) for a, b in segments if a[1] == b[1]]
    candidates: list[Label] = []
    for (a, b) in vertical:
        lo, hi = sorted((a[1], b[1]))
        if hi - lo < h:
            continue
        going_up = b[1] > a[1]
        ys = [lo + h / 2 + (f if going_up else 1 - f) * (hi - lo - h)
              for f in (0.5, 0.3, 0.7, 0.15, 0.85)]
        # Then the middle of each stretch between the wires crossing this leg: the label
        # is measured before the diagram is scaled to the page, where text is often
        # smaller than here, so a label centred there is clear of them once drawn.
        crossing = sorted({p[1] for line in lines for p, q in pairwise(line)
                           if p[1] == q[1] and lo < p[1] < hi
                           and min(p[0], q[0]) < a[0] < max(p[0], q[0])})
        stops = [lo, *crossing, hi]
        ys += [(c + d) / 2 for c, d in sorted(pairwise(stops), key=lambda s: s[0] - s[1])]
        for y in ys:
            for ha, x in (("left", a[0] + LABEL_GAP), ("right", a[0] - LABEL_GAP)):
                candidates.append(Label(wire.label, (x, y), role=wire.role, ha=ha,
                                        steps=wire.steps))
    for (a, b) in horizontal:
        lo, hi = sorted((a[0], b[0]))
        if hi - lo < w:
            continue
        going_right = b[0] > a[0]
        for fraction in (0.5, 0.3, 0.7):
            t = fraction if going_right else 1 - fraction
            x = lo + w / 2 + t * (hi - lo - w)
            for va, y in (("bottom", a[1] + LABEL_GAP), ("top", a[1] - LABEL_GAP)):
                candidates.append(Label(wire.label, (x, y), role=wire.role, va=va,
                                        steps=wire.steps))
    return candidates


__all__ = ["route", "place_labels", "CLEARANCE", "BEND_COST", "CROSSING_COST"]
