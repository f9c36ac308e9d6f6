"""Placement: every node of a spec gets a position, in the notation of Olah's essay.

"Understanding LSTM Networks" (Olah 2015) draws a cell the same way every time, and readers
know it: each carried state is a horizontal *rail* through the cell (the cell state on top,
further states such as a normaliser below it, the hidden state leaving at the bottom right
and also upwards); ``[h_{t-1}, x_t]`` enters bottom left through a concatenation and runs
along an *input bus*; the layers (sigma, tanh, exp boxes) stand in a row above the bus, in
the order their results are used; the pointwise operations sit on or near the rail they
update, in dependency order from left to right.

:func:`place` produces that picture for any spec, from a cell definition
(:mod:`lstmfigs.diagram.cellgraph`) or written by hand, in four steps:

1. **Roles of the graph.**  A *rail* is a path from a state's terminal on the left to one
   on the right through pointwise nodes only (a state whose previous value is used
   pointwise in its own update: the LSTM's C, the GRU's h).  A *bus* is a concatenation, or
   an input terminal, feeding the row of layers.  A pointwise node fed from a rail *hangs*
   below it (``tanh(C_t)``); the others *stand* on the layers below them.
2. **Columns**, left to right: the pointwise nodes are visited in dependency order (rails
   first); each one stacks on top of the layer or node that feeds it from below (its
   *partner*: the forget gate under the forget product), and the layers that feed it from
   the side get their own column just before it.  Narrow columns hold the copy dots and
   the concatenation.
   A second bus into layers another bus feeds already (FGR's ``[i, f, o]_{t-1}``) runs
   below it from its terminal under the last layer and feeds each layer from the right,
   from a copy dot in a narrow column just right of the layer.  A concatenation of
   something computed in the cell for one layer (MGU's ``[f * h_{t-1}, x_t]``) stands in
   a narrow column just left of that layer, its bus below the first.
3. **Rows**, bottom to top: the buses, the layers, the standing nodes by height, the
   hanging nodes, the rails.  Column widths and row heights come from the nodes' sizes
   (already grown to fit the theme's text) and leave room for the wires' labels.
4. **Pins and terminals.**  Nodes with ``at`` keep it exactly; the computed coordinates are
   mapped piecewise-linearly through the pins, so that everything else sits around them.
   Terminals go to the border their label faces.  Where one port feeds several wires along
   a rail, the bus, or a gate's riser, copy dots (``<source>-split<k>``) are inserted and
   the wires rewritten through them; a wire keeps its index (its label's measured size is
   keyed by it), the new segments are appended.

Everything is deterministic: ties are broken by the order of the spec's nodes and wires.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise

from .spec import DiagramSpec, Node, Wire, parse_port

Size = tuple[float, float]

#: Free space between two columns of nodes, in diagram units.
COLUMN_GAP = 0.8
#: Free space between a wire and a node beside it.
WIRE_GAP = 0.45
#: Least distance between neighbouring columns (room for a wire's turn and arrowhead).
MIN_PITCH = 0.9
#: Nodes closer than this in height count as side by side when columns are packed.
ROW_CLEARANCE = 0.3
#: Free space on each side of a column that holds only a copy dot.
DOT_GAP = 0.45
#: Free space between a concatenation point and the column after it.
CONCAT_GAP = 0.8
#: Free space between the input bus and the bottom of the layers.
BUS_GAP = 0.95
#: Distance between two input buses (when a cell has several).
BUS_SPACING = 0.7
#: Free space between rows of nodes above the layers.
ROW_GAP = 0.65
#: Free space between two rails.
RAIL_GAP = 0.7
#: Room a wire label needs beside its wire, besides its own width.
LABEL_MARGIN = 0.3
#: Free space between a wire label and anything else.
LABEL_GAP = 0.15
#: How far above its source a wire's label may sit.
LABEL_REACH = 1.0
#: How far a terminal sits outside the nodes' box (the cell body's margin plus a stub).
TERMINAL_OFFSET = 1.0
#: The same above and below the cell (a shorter stub: nothing crosses it there).
TERMINAL_OFFSET_VERTICAL = 0.8
#: Least distance between two terminals on the same border, besides their labels.
TERMINAL_SPACING = 0.35
#: How far above the layers a rail's value is split between several of them.
DROP_RISE = 0.4
#: Least free distance between a riser's copy dot and the nodes above and below it.
RISER_CLEARANCE = 0.3

_GATE_KINDS = ("gate", "block")
_POINTWISE_KINDS = ("op", "dot")


@dataclass(eq=False)
class _Column:
    """One column: its nodes bottom to top, or a narrow slot for a dot or concatenation.
    Columns are told apart by identity (two empty slots are different columns)."""

    nodes: list[str] = field(default_factory=list)
    slot: str = ""  # "", "dot", "concat"
    x: float = 0.0


@dataclass(frozen=True)
class _Extent:
    """Something in a column at heights ``bottom``..``top``, ``half`` wide each side of the
    column's centre; ``reach``: how far it keeps everything else (0: by kind)."""

    bottom: float
    top: float
    half: float
    kind: str  # "node", "wire", "label"
    reach: float = 0.0


_FAR = 1e6


def _required(left: list[_Extent], right: list[_Extent]) -> float:
    """The least distance between the centres of two columns, ``left`` before ``right``."""
    need = 0.0
    for a in left:
        for b in right:
            if a.top + ROW_CLEARANCE <= b.bottom or b.top + ROW_CLEARANCE <= a.bottom:
                continue
            if a.kind == "concat" and b.kind != "dot":
                gap = CONCAT_GAP
            elif a.reach or b.reach:
                gap = max(a.reach, b.reach)
            elif "label" in (a.kind, b.kind):
                gap = LABEL_GAP
            elif a.kind == b.kind == "node":
                gap = COLUMN_GAP
            else:
                gap = WIRE_GAP
            need = max(need, a.half + gap + b.half)
    return need


@dataclass(frozen=True)
class _Stop:
    """A copy dot at ``point`` from which wire ``wire`` leaves (-1: only further dots).

    ``parent`` is the stop whose dot feeds this one (-1: the split's source); a stop at
    its parent's point shares its dot.  Parents come before their children.
    """

    wire: int
    point: tuple[float, float]
    parent: int


@dataclass
class _Split:
    """Copy dots to insert on the wires leaving ``source`` (a ``node.port`` reference)."""

    source: str
    stops: list[_Stop]
    #: The wire that continues past the dots (the rail or the bus end), or -1, and the
    #: stop it leaves from.
    through: int = -1
    through_from: int = -1


def _chain(stops: list[tuple[int, tuple[float, float]]]) -> list[_Stop]:
    """Stops one after the other along a line."""
    return [_Stop(wire, point, index - 1) for index, (wire, point) in enumerate(stops)]


class _Graph:
    """The spec's nodes and wires as a graph of node ids, in the spec's order."""

    def __init__(self, spec: DiagramSpec):
        self.spec = spec
        #: Copy dots the spec brings without a position: the graph passes through them
        #: (they are placed where the placer's own dots would go).
        self.free_dots = {node.id for node in spec.nodes if node.kind == "dot" and node.at is None}
        self.all_nodes = {node.id: node for node in spec.nodes}
        self.nodes = {node.id: node for node in spec.nodes if node.id not in self.free_dots}
        self.order = {node.id: index for index, node in enumerate(spec.nodes)}
        self.succ: dict[str, list[str]] = {nid: [] for nid in self.nodes}
        self.pred: dict[str, list[str]] = {nid: [] for nid in self.nodes}
        self.through: dict[str, list[str]] = {}  # a free dot -> what it feeds, dots skipped
        direct: dict[str, list[str]] = {node.id: [] for node in spec.nodes}
        for source, target in spec.edges():
            direct[source].append(target)
        for source, target in spec.edges():
            if source in self.free_dots:
                continue
            for end in self._beyond(target, direct):
                if end not in self.succ[source]:
                    self.succ[source].append(end)
                    self.pred[end].append(source)
        for dot in sorted(self.free_dots, key=lambda d: self.order[d]):
            self.through[dot] = self._beyond(dot, direct)

    def _beyond(self, node_id: str, direct: Mapping[str, list[str]]) -> list[str]:
        """``node_id``, or the nodes a free dot feeds through any further free dots."""
        found: list[str] = []
        stack, seen = [node_id], {node_id}
        while stack:
            here = stack.pop(0)
            if here not in self.free_dots:
                found.append(here)
                continue
            for nxt in direct[here]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return found

    def kind(self, node_id: str) -> str:
        return self.all_nodes[node_id].kind

    def side(self, node_id: str) -> str:
        return self.all_nodes[node_id].label_side

    def topological(self, priority: Mapping[str, tuple[int, ...]]) -> list[str]:
        """Every node in dependency order, ties (and cycles) broken by ``priority``."""
        indegree = {nid: len(self.pred[nid]) for nid in self.nodes}
        ready = [(priority[nid], nid) for nid in self.nodes if indegree[nid] == 0]
        heapq.heapify(ready)
        done: list[str] = []
        seen: set[str] = set()
        while len(done) < len(self.nodes):
            if not ready:  # a loop: enter it where it is fed from what is done already
                left = [n for n in self.nodes if n not in seen]
                fed = [n for n in left if any(p in seen for p in self.pred[n])]
                nid = min(fed or left, key=lambda n: priority[n])
                ready.append((priority[nid], nid))
            _, nid = heapq.heappop(ready)
            if nid in seen:
                continue
            seen.add(nid)
            done.append(nid)
            for nxt in self.succ[nid]:
                indegree[nxt] -= 1
                if indegree[nxt] == 0 and nxt not in seen:
                    heapq.heappush(ready, (priority[nxt], nxt))
        return done


# -- 1. roles of the graph ---------------------------------------------------------------------

def _base_role(spec: DiagramSpec, role: str) -> str:
    return dict(spec.roles).get(role, role)


def _rail_rank(spec: DiagramSpec, role: str) -> int:
    """Rails from top to bottom: cell-state-like, then others, then the hidden state."""
    base = _base_role(spec, role)
    return {"cell_state": 0, "hidden_state": 2}.get(base, 1)


def _find_rails(graph: _Graph) -> list[list[str]]:
    """The rails, top to bottom: each the longest path from a left input terminal to a right
    output terminal through pointwise nodes only, terminals included."""
    terminals = [nid for nid in graph.nodes if graph.kind(nid) == "terminal"]
    lefts = [t for t in terminals if graph.side(t) == "left" and not graph.pred[t]]
    rights = [t for t in terminals if graph.side(t) == "right" and not graph.succ[t]]
    used: set[str] = set()
    rails: list[list[str]] = []
    order = graph.topological({nid: (graph.order[nid],) for nid in graph.nodes})
    for left in lefts:
        paths = _pointwise_paths(graph, left, set(rights) - used, order)
        if not paths:
            continue
        role = graph.nodes[left].role
        # The same role on both ends if there is one; then the earliest in the spec.
        right = min(paths, key=lambda r: (graph.nodes[r].role != role, graph.order[r]))
        used.add(right)
        rails.append(paths[right])
    claimed: set[str] = set()
    kept = []
    for rail in rails:  # a pointwise node lies on one rail only (the first that found it)
        if claimed.isdisjoint(rail[1:-1]):
            claimed.update(rail[1:-1])
            kept.append(rail)
    spec = graph.spec
    kept.sort(key=lambda r: (_rail_rank(spec, graph.nodes[r[0]].role), graph.order[r[0]]))
    return kept


def _pointwise_paths(graph: _Graph, start: str, ends: set[str],
                     order: list[str]) -> dict[str, list[str]]:
    """For each terminal in ``ends`` reachable from ``start`` through pointwise nodes only,
    the longest such path, by dynamic programming over the graph's dependency ``order``
    (iterative: a rail of a thousand nodes must not exhaust Python's stack; a wire going
    back against the order, in a loop, is not followed)."""
    position = {nid: index for index, nid in enumerate(order)}
    length = {start: 0}
    parent: dict[str, str] = {}
    for nid in order:
        if nid not in length or (nid != start and nid in ends):
            continue
        for nxt in graph.succ[nid]:
            if position[nxt] > position[nid] \
                    and (nxt in ends or graph.kind(nxt) in _POINTWISE_KINDS) \
                    and length[nid] + 1 > length.get(nxt, -1):
                length[nxt] = length[nid] + 1
                parent[nxt] = nid
    found: dict[str, list[str]] = {}
    for end in ends:
        if end in parent:
            path = [end]
            while path[-1] != start:
                path.append(parent[path[-1]])
            found[end] = path[::-1]
    return found


# -- the placer ----------------------------------------------------------------------------------

class _Placer:
    """The state of one placement: the graph's roles, the columns and the rows."""

    def __init__(self, spec: DiagramSpec, sizes: Mapping[str, Size],
                 texts: Mapping[str, Size]):
        self.spec = spec
        self.graph = graph = _Graph(spec)
        self.sizes: dict[str, Size] = {node.id: _size(sizes.get(node.id, (0.0, 0.0)))
                                       for node in spec.nodes}
        self.texts = texts
        self.rails = _find_rails(graph)
        self.rail_of: dict[str, int] = {}
        for index, rail in enumerate(self.rails):
            for nid in rail:
                self.rail_of.setdefault(nid, index)
        self.columns: list[_Column] = []
        self.column_of: dict[str, _Column] = {}
        self.partnered: set[str] = set()  # nodes with a partner stacked on top of them
        self.hanging: dict[str, int] = {}  # pointwise node -> depth below the lowest rail
        self.level: dict[str, int] = {}  # standing node -> row above the layers (layers: 0)
        self.buses: list[str] = []  # bus sources, top bus first
        self.bus_consumers: dict[str, list[str]] = {}
        self.bus_slot: dict[str, _Column] = {}  # an input terminal's bus starts here
        #: A bus into layers another bus feeds already (FGR's [i, f, o]_{t-1}): it runs
        #: below that bus and feeds each layer from its side, from a dot in the slot
        #: right of the layer (layer -> that slot).
        self.side_slots: dict[str, dict[str, _Column]] = {}
        #: (rail node, what it feeds off the rail) -> the slot of its dot, or "above" it.
        self.rail_dots: dict[tuple[str, str], _Column | str] = {}
        self.shared_slots: dict[tuple[str, str], _Column] = {}
        self.output_dots: dict[str, _Column] = {}
        self.bus_y: dict[str, float] = {}
        self.rail_y: list[float] = []

    # -- classification ------------------------------------------------------------------------
    def is_rail(self, nid: str) -> bool:
        return nid in self.rail_of

    def is_terminal(self, nid: str) -> bool:
        return self.graph.kind(nid) == "terminal"

    def is_gate(self, nid: str) -> bool:
        node = self.graph.nodes[nid]
        return node.kind in _GATE_KINDS or (node.kind == "op" and self.level.get(nid) == 0)

    # -- 2. columns --------------------------------------------------------------------------
    def _new_column(self, nodes: list[str], before: _Column | None = None,
                    slot: str = "") -> _Column:
        column = _Column(list(nodes), slot)
        if before is None:
            self.columns.append(column)
        else:
            self.columns.insert(self.columns.index(before), column)
        for nid in nodes:
            self.column_of[nid] = column
        return column

    def _place_gate(self, gate: str, before: _Column | None, on_top: str = "") -> _Column:
        """A new column for ``gate`` (and ``on_top`` stacked on it), after the layers that
        feed it."""
        for feeder in self._gate_feeders(gate):
            self._place_gate(feeder, before)
        column = self._new_column([gate] + ([on_top] if on_top else []), before)
        if on_top:
            self.partnered.add(gate)
        return column

    def _gate_feeders(self, nid: str) -> list[str]:
        """The layers feeding ``nid`` that have no column yet, in the spec's order."""
        graph = self.graph
        return sorted((p for p in graph.pred[nid]
                       if graph.kind(p) in _GATE_KINDS and p not in self.column_of),
                      key=lambda p: graph.order[p])

    def _top(self, column: _Column) -> str:
        return column.nodes[-1]

    def build_columns(self) -> None:
        graph = self.graph
        priority = {nid: (0 if self.is_rail(nid) else 1, graph.order[nid]) for nid in graph.nodes}
        order = graph.topological(priority)
        # Depth below the rails (hanging) and height above the layers (standing).
        for nid in order:
            node = graph.nodes[nid]
            if node.kind not in _POINTWISE_KINDS or self.is_rail(nid):
                continue
            feeders = graph.pred[nid]
            depth = 0
            for feeder in feeders:
                if self.is_rail(feeder):
                    depth = max(depth, 1)
                elif feeder in self.hanging:
                    depth = max(depth, self.hanging[feeder] + 1)
            if depth:
                self.hanging[nid] = depth
            elif any(graph.kind(f) in _GATE_KINDS or f in self.level for f in feeders):
                self.level[nid] = 1  # refined once the columns are known
            else:
                self.level[nid] = 0  # fed by inputs only: it stands among the layers
        for nid in order:
            node = graph.nodes[nid]
            if node.kind not in _POINTWISE_KINDS:
                continue
            if self.is_gate(nid):  # fed by inputs only: it stands among the layers
                self._place_gate(nid, None)
            else:
                self._visit(nid)
        for nid in order:  # layers that feed no pointwise node (the RNN's only layer)
            if graph.kind(nid) in _GATE_KINDS and nid not in self.column_of:
                self._place_gate(nid, None)
        for nid in order:  # anything else that is neither terminal nor concatenation
            if nid not in self.column_of and graph.kind(nid) not in ("terminal", "concat"):
                self._new_column([nid])

    def _visit(self, nid: str) -> None:
        """Give pointwise node ``nid`` its column: stacked on the layer or node feeding it
        from below (hung under the node feeding it from above), with the layers feeding
        it from the side in columns just before it."""
        graph = self.graph
        feeders = graph.pred[nid]
        unplaced = self._gate_feeders(nid)
        partner = ""
        if nid in self.hanging:
            above = [f for f in feeders if f in self.hanging and f in self.column_of]
            above = [f for f in above if self._bottom_of_column(f) and f not in self.partnered]
            if above:
                partner = max(above, key=lambda f: self.columns.index(self.column_of[f]))
        elif unplaced:
            partner = unplaced[-1]
        else:
            below = [f for f in feeders if f in self.column_of and f not in self.partnered
                     and not self.is_terminal(f) and self._top(self.column_of[f]) == f
                     and (f in self.level or graph.kind(f) in _GATE_KINDS)]
            if self.is_rail(nid):
                below = [f for f in below if not self.is_rail(f)]
            if below:
                partner = max(below, key=lambda f: self.columns.index(self.column_of[f]))
        # A rail node must stay right of its predecessor on the rail.
        if partner and partner in self.column_of and not self._right_of_feeders(
                self.column_of[partner], nid, partner):
            partner = ""
        if partner and partner not in self.column_of:  # a layer, placed now under nid
            for feeder in unplaced:
                if feeder != partner:
                    self._place_gate(feeder, None)
            self._place_gate(partner, None, on_top=nid)
            return
        if partner:
            column = self.column_of[partner]
            for feeder in unplaced:
                self._place_gate(feeder, column)
            if nid in self.hanging:  # below the partner: columns list nodes bottom to top
                column.nodes.insert(0, nid)
            else:
                column.nodes.append(nid)
            self.column_of[nid] = column
            self.partnered.add(partner)
            return
        for feeder in unplaced:
            self._place_gate(feeder, None)
        self._new_column([nid])

    def _bottom_of_column(self, feeder: str) -> bool:
        """Whether a node can hang below ``feeder`` in its column (nothing below it yet)."""
        return self.column_of[feeder].nodes[0] == feeder

    def _right_of_feeders(self, column: _Column, nid: str, partner: str) -> bool:
        """Whether every other placed node feeding ``nid`` lies left of ``column``: signals
        flow left to right, so ``nid`` cannot stack there if one would come from the right
        (minLSTM's i / (f + i) on the f gate, with i to its right)."""
        index = self.columns.index(column)
        for feeder in self.graph.pred[nid]:
            if feeder != partner and feeder in self.column_of:
                if self.columns.index(self.column_of[feeder]) >= index:
                    return False
        return True

    # -- rows ------------------------------------------------------------------------------
    def refine_levels(self) -> None:
        """A standing node sits one row above the node it stands on, and at least as high as
        the nodes that feed it from the side (so their wires come across, not down)."""
        graph = self.graph
        order = graph.topological({n: (graph.order[n],) for n in graph.nodes})
        for nid in order:
            if nid not in self.level or self.level[nid] == 0:
                continue
            column = self.column_of.get(nid)
            level = 1
            for feeder in graph.pred[nid]:
                if feeder in self.level:
                    same = column is not None and self.column_of.get(feeder) is column
                    level = max(level, self.level[feeder] + (1 if same else 0))
            self.level[nid] = level
        # A node stacked on a layer that also feeds standing nodes to its right sits above
        # them: the layer's riser then passes their row, and a copy dot on it feeds each
        # straight from the side (CIFG's 1 - i above i * C~: no detour round 1 - i).  Only
        # a node feeding no standing node moves: nothing it feeds can end up below it.
        for column in self.columns:
            for below, above in pairwise(column.nodes):
                if graph.kind(below) not in _GATE_KINDS or above not in self.level \
                        or any(u in self.level for u in graph.succ[above]):
                    continue
                here = self.columns.index(column)
                right = [self.level[u] for u in graph.succ[below]
                         if u in self.level and self._column_index(u) > here]
                if right:
                    self.level[above] = max(self.level[above], max(right) + 1)
        # A node whose only use is a standing node to its right moves up to that node's row.
        for nid in reversed(order):
            if nid not in self.level or self.level[nid] == 0:
                continue
            users = graph.succ[nid]
            if len(users) == 1 and users[0] in self.level and \
                    self.column_of.get(users[0]) is not self.column_of.get(nid):
                self.level[nid] = max(self.level[nid], self.level[users[0]])

    # -- buses and slots ----------------------------------------------------------------------
    def find_buses(self) -> None:
        """Concatenations, and input terminals that feed the row of layers, run along buses."""
        graph = self.graph
        candidates = [nid for nid in graph.nodes if graph.kind(nid) == "concat"]
        # An input terminal feeding one layer simply faces it; feeding several, it runs
        # along a bus of its own.
        for side in ("below", "left", "above"):
            candidates += [nid for nid in graph.nodes if self.is_terminal(nid)
                           and graph.side(nid) == side and not graph.pred[nid]
                           and not self.is_rail(nid)
                           and sum(self._in_gate_row(s) for s in graph.succ[nid]) > 1]
        for source in candidates:
            consumers = [s for s in graph.succ[source] if self._in_gate_row(s)]
            consumers.sort(key=lambda s: (self._column_index(s), graph.order[s]))
            fed = {c for bus in self.buses for c in self.bus_consumers[bus]}
            if self.is_terminal(source) and graph.side(source) == "below" \
                    and len(consumers) > 1 and set(consumers) <= fed:
                self.side_slots[source] = {}
            self.buses.append(source)
            self.bus_consumers[source] = consumers

    def _in_gate_row(self, nid: str) -> bool:
        return nid in self.column_of and self.is_gate(nid)

    def _column_index(self, nid: str) -> int:
        column = self.column_of.get(nid)
        return self.columns.index(column) if column is not None else len(self.columns)

    def add_slots(self) -> None:
        """Narrow columns for concatenations, bus starts, rail dots and output dots."""
        graph = self.graph
        # Every bus starts left of the first layer any bus feeds, in the buses' order.
        fed = [self._column_index(u) for users in self.bus_consumers.values() for u in users]
        start = self.columns[min(fed)] if fed else None
        for source in self.buses:
            if source in self.side_slots:  # a slot right of each layer; the terminal
                for user in self.bus_consumers[source]:  # below the last of them
                    index = self.columns.index(self.column_of[user]) + 1
                    after = self.columns[index] if index < len(self.columns) else None
                    self.side_slots[source][user] = self._new_column([], after, slot="dot")
                self.bus_slot[source] = self.side_slots[source][self.bus_consumers[source][-1]]
                continue
            if graph.kind(source) == "concat" or graph.side(source) == "below":
                is_concat = graph.kind(source) == "concat"
                # A concatenation of something computed in the cell (MGU's f * h_{t-1})
                # for one layer stands just left of that layer, where its inputs meet.
                fed_layers = self.bus_consumers[source]
                computed = is_concat and len(fed_layers) == 1 and any(
                    not self.is_terminal(p) for p in graph.pred[source])
                before = self.column_of[fed_layers[0]] if computed else start
                column = self._new_column([source] if is_concat else [], before, slot="concat")
                if not is_concat:  # a terminal: placed on the border below its slot
                    self.bus_slot[source] = column
        for nid in graph.nodes:  # a concatenation that feeds no layer
            if graph.kind(nid) == "concat" and nid not in self.column_of:
                users = [self._column_index(s) for s in graph.succ[nid]]
                first = min(users) if users else len(self.columns)
                before = self.columns[first] if first < len(self.columns) else None
                self._new_column([nid], before, slot="concat")
        for rail in self.rails:
            for position, source in enumerate(rail[:-1]):
                nxt = rail[position + 1]
                for user in graph.succ[source]:
                    if user == nxt:
                        continue
                    self.rail_dots[(source, user)] = self._rail_dot_column(source, nxt, user)
        for nid in graph.nodes:
            if nid in self.rail_of or self.is_terminal(nid):
                continue
            outs = [s for s in graph.succ[nid]
                    if self.is_terminal(s) and graph.side(s) in ("right", "above")]
            if len(outs) > 1 and len(outs) == len(graph.succ[nid]) and nid in self.column_of:
                index = self.columns.index(self.column_of[nid])
                after = self.columns[index + 1] if index + 1 < len(self.columns) else None
                self.output_dots[nid] = self._new_column([], after, slot="dot")

    def _rail_dot_column(self, source: str, nxt: str, user: str) -> _Column | str:
        """Where the dot that copies ``source`` to ``user`` goes on the rail: "above" (in
        the user's column, straight above it) or a slot column of its own."""
        graph = self.graph
        lo = self._column_index(source) if source in self.column_of else -1
        hi = self._column_index(nxt) if nxt in self.column_of else len(self.columns)
        column = self.column_of.get(user)
        if column is not None and not column.slot:
            index = self.columns.index(column)
            # Straight above it, unless a lower rail also feeds it (then that rail's dot
            # sits there, and this one's wire comes in from the side: h~ = c / n).
            lower = [self.rail_of[p] for p in graph.pred[user]
                     if p in self.rail_of and self.rail_of[p] > self.rail_of[source]]
            hanging_top = user in self.hanging and column.nodes[-1] == user and not any(
                self.is_rail(n) for n in column.nodes) and not lower
            if hanging_top and lo < index < hi:
                return "above"
            if index >= hi and self._in_gate_row(user):
                # Layers at or past the next node on the rail take the rail's value from
                # one dot before that node (the peepholes of f and i).
                if (source, nxt) not in self.shared_slots:
                    before = self.columns[hi] if hi < len(self.columns) else None
                    self.shared_slots[(source, nxt)] = self._new_column([], before, slot="dot")
                return self.shared_slots[(source, nxt)]
            index = min(max(index, lo + 1), hi)
        elif self.is_terminal(user) and graph.side(user) == "above":
            index = hi
        else:
            index = min(max(self._column_index(user), lo + 1), hi)
        before = self.columns[index] if index < len(self.columns) else None
        return self._new_column([], before, slot="dot")

    # -- 3. coordinates ------------------------------------------------------------------------
    def column_xs(self, ys: Mapping[str, float]) -> None:
        """Each column as close to the ones before it as their contents allow: nodes at
        overlapping heights keep :data:`COLUMN_GAP` apart, wires :data:`WIRE_GAP` from
        nodes; columns whose contents lie at different heights only keep
        :data:`MIN_PITCH` (the o gate tucks under the output's column)."""
        profiles = [self._profile(column, ys) for column in self.columns]
        for index, column in enumerate(self.columns):
            x = 0.0
            for before in range(index):
                x = max(x, self.columns[before].x + _required(profiles[before], profiles[index]))
            if index and not (column.slot and self.columns[index - 1].slot):
                x = max(x, self.columns[index - 1].x + MIN_PITCH)
            elif index:
                x = max(x, self.columns[index - 1].x + DOT_GAP)
            column.x = x

    def _slot_span(self, column: _Column, ys: Mapping[str, float]) -> tuple[float, float]:
        """The heights a slot's wires span: a concatenation's bus and the wires into it,
        a rail dot's drop to what it feeds; an output dot's run up and down."""
        if column.slot == "concat":
            return (-_FAR, max(self.bus_y.values(), default=0.0) + ROW_CLEARANCE)
        for source, slots in self.side_slots.items():
            # The last layer's slot runs from the terminal up to the layer: what hangs
            # above it may come closer.  Between two layers a slot also keeps room for
            # what drops past them to the next layer's left (FGR's peepholes).
            last = self.bus_consumers[source][-1]
            if slots.get(last) is column:
                return (-_FAR, ys[last])
        spans = []
        for (source, user), where in self.rail_dots.items():
            if where is not column:
                continue
            rail = self.rail_y[self.rail_of[source]]
            if self.is_terminal(user):
                spans += [rail, _FAR if self.graph.side(user) == "above" else -_FAR]
            else:
                spans += [rail, ys.get(user, -_FAR)]
        return (min(spans), max(spans)) if spans else (-_FAR, _FAR)

    def _profile(self, column: _Column, ys: Mapping[str, float]) -> list[_Extent]:
        """What a column holds, as (bottom, top, half width, kind) extents."""
        if column.slot:
            low, high = self._slot_span(column, ys)
            return [_Extent(low, high, 0.0, column.slot, DOT_GAP)]
        found: list[_Extent] = []
        boxes = sorted((ys[n] - self.sizes[n][1] / 2, ys[n] + self.sizes[n][1] / 2,
                        self.sizes[n][0] / 2, n) for n in column.nodes)
        for y0, y1, half, _ in boxes:
            found.append(_Extent(y0, y1, half, "node"))
        for (_, top, _, _), (bottom, _, _, _) in zip(boxes, boxes[1:], strict=False):
            found.append(_Extent(top, bottom, 0.0, "wire"))
        low, high = boxes[0][0], boxes[-1][1]
        if any(self.bus_consumers.get(b) and n in self.bus_consumers[b]
               for b in self.buses for n in column.nodes):
            found.append(_Extent(min(self.bus_y.values()), low, 0.0, "wire"))
        if any(where is column for where in self.rail_dots.values()) or any(
                where == "above" and self.column_of.get(user) is column
                for (_, user), where in self.rail_dots.items()):
            found.append(_Extent(high, max(self.rail_y, default=high), 0.0, "wire"))
        for index, wire in enumerate(self.spec.wires):
            source = parse_port(wire.source)[0]
            if wire.label and source in column.nodes:
                width = self.texts.get(str(index), (0.0, 0.0))[0]
                top = ys[source] + self.sizes[source][1] / 2
                found.append(_Extent(top, top + LABEL_REACH, width + LABEL_MARGIN, "label"))
        return found

    def _row_gap(self, sources: set[str]) -> float:
        """The gap above or below a row whose nodes are ``sources``: room for the labels of
        the wires leaving them, beside those wires."""
        labels = [self.texts.get(str(index), (0.0, 0.0))[1]
                  for index, wire in enumerate(self.spec.wires)
                  if wire.label and parse_port(wire.source)[0] in sources]
        return max([ROW_GAP] + [h + 2 * LABEL_GAP for h in labels])

    def row_ys(self) -> dict[str, float]:
        """The y of every node in a column (slots excepted), and of the buses and rails."""
        graph = self.graph
        height = self.sizes
        ys: dict[str, float] = {}
        self.bus_y = {source: -BUS_SPACING * index for index, source in enumerate(self.buses)}
        gate_row = [n for n in self.column_of if self.is_gate(n)]
        gate_h = max((height[n][1] for n in gate_row), default=0.72)
        gate_y = BUS_GAP + gate_h / 2
        for nid in gate_row:
            ys[nid] = gate_y
        # Standing rows.
        top_level = max(self.level.values(), default=0)
        row_h = [gate_h] + [max((height[n][1] for n, lv in self.level.items() if lv == level),
                                default=0.0) for level in range(1, top_level + 1)]
        row_y = [gate_y]
        # Wire labels (f_t) sit beside the wires between two rows: the gap fits them.
        above_gates = self._row_gap(set(gate_row))
        for level in range(1, top_level + 1):
            below = {n for n, lv in self.level.items() if lv == level - 1} | (
                set(gate_row) if level == 1 else set())
            row_y.append(row_y[-1] + row_h[level - 1] / 2 + self._row_gap(below)
                         + row_h[level] / 2)
        for nid, level in self.level.items():
            if level:
                ys[nid] = row_y[level]
        # Hanging rows, measured down from the lowest rail.
        depth = max(self.hanging.values(), default=0)
        hang_h = [max((height[n][1] for n, d in self.hanging.items() if d == k), default=0.0)
                  for k in range(depth + 1)]
        rail_h = [max((height[n][1] for n in rail[1:-1]), default=0.0) for rail in self.rails]
        lowest_h = rail_h[-1] if rail_h else 0.0
        drop = [0.0]
        for k in range(1, depth + 1):
            above = {n for n, d in self.hanging.items() if d == k - 1} if k > 1 else \
                set(self.rail_of)
            drop.append(drop[-1] + (lowest_h if k == 1 else hang_h[k - 1]) / 2
                        + self._row_gap(above) + hang_h[k] / 2)
        stand_top = row_y[-1] + row_h[-1] / 2
        lowest = stand_top + ROW_GAP + lowest_h / 2
        if depth:
            lowest = max(lowest, gate_y + gate_h / 2 + above_gates + hang_h[depth] / 2
                         + drop[depth])
        self.rail_y = [0.0] * len(self.rails)
        y = lowest
        for index in range(len(self.rails) - 1, -1, -1):
            if index < len(self.rails) - 1:
                y += rail_h[index + 1] / 2 + RAIL_GAP + rail_h[index] / 2
            self.rail_y[index] = y
            for nid in self.rails[index][1:-1]:
                ys[nid] = y
        for nid, k in self.hanging.items():
            ys[nid] = lowest - drop[k]
        for nid in graph.nodes:
            if graph.kind(nid) == "concat" and nid in self.column_of:
                ys[nid] = self.bus_y.get(nid, 0.0)
        for nid in self.column_of:
            ys.setdefault(nid, gate_y)
        return ys


def place(spec: DiagramSpec, sizes: Mapping[str, Size], texts: Mapping[str, Size]
          ) -> DiagramSpec:
    """``spec`` with every node placed (pins kept) and sized, in Olah's convention.

    Parameters
    ----------
    spec : DiagramSpec
        A validated spec; nodes with ``at`` are pinned there, the others are placed.
    sizes : mapping
        Node id -> (width, height) in diagram units, already grown to fit its label.
    texts : mapping
        Terminal id -> its label's (width, height) in units, and ``str(wire index)`` ->
        that wire's label's size: room is kept for both.

    Returns
    -------
    DiagramSpec
        Every node has ``at`` and ``size`` (``sizes[id]``; a block keeps its own).  Where
        one port feeds several wires along a rail, an input bus or a layer's riser, copy
        dots ``<source>-split<k>`` are added and those wires rewired through them: each
        original wire keeps its index (and its label), the new segments come after.
    """
    placer = _Placer(spec, sizes, texts)
    placer.build_columns()
    placer.refine_levels()
    placer.find_buses()
    placer.add_slots()
    ys = placer.row_ys()
    placer.column_xs(ys)
    ideal = {nid: (column.x, ys[nid]) for nid, column in placer.column_of.items()}
    pins = {node.id: node.at for node in spec.nodes if node.at is not None}
    # Where everything would go without pins (terminals included, so that a pinned
    # terminal takes part in the maps below); then the pins map it into place.
    draft = _finish(placer, dict(ideal), {}, _PinMap([]), _PinMap([]))[0]
    order = _spec_order(spec, draft)
    x_map = _PinMap([(draft[n][0], pins[n][0]) for n in order if n in pins])
    y_map = _PinMap([(draft[n][1], pins[n][1]) for n in order if n in pins])
    at = {nid: pins.get(nid) or (x_map(x), y_map(y)) for nid, (x, y) in ideal.items()}
    at, splits = _finish(placer, at, pins, x_map, y_map)
    return _rewrite(spec, at, sizes, splits)


def _finish(placer: _Placer, at: dict[str, tuple[float, float]],
            pins: Mapping[str, tuple[float, float]], x_map: _PinMap, y_map: _PinMap
            ) -> tuple[dict[str, tuple[float, float]], list[_Split]]:
    """Copy dots, the spec's own dots and terminals around the placed columns."""
    column_x = {id(column): x_map(column.x) for column in placer.columns}
    rail_y = [y_map(y) for y in placer.rail_y]
    bus_y = {source: y_map(y) for source, y in placer.bus_y.items()}
    splits = _splits(placer, at, column_x, rail_y, bus_y)
    _place_free_dots(placer, at, column_x, rail_y, bus_y)
    _place_terminals(placer, at, pins, column_x, rail_y, bus_y, splits)
    return at, splits


def _spec_order(spec: DiagramSpec, among: Mapping[str, object]) -> list[str]:
    """The ids of ``among`` in the order of the spec's nodes."""
    return [node.id for node in spec.nodes if node.id in among]


class _PinMap:
    """A piecewise-linear map of one coordinate through the pins: (computed, pinned) pairs.

    No pins: the identity.  One: a shift.  Several: linear between neighbouring pins (sorted
    by the computed coordinate) and a shift beyond the outermost ones.
    """

    def __init__(self, pairs: list[tuple[float, float]]):
        merged: dict[float, tuple[float, float]] = {}
        for computed, pinned in pairs:  # the first pin of a row or column counts
            merged.setdefault(round(computed, 9), (computed, pinned))
        self.points = sorted(merged.values())

    def __call__(self, value: float) -> float:
        points = self.points
        if not points:
            return value
        if value <= points[0][0]:
            return points[0][1] + (value - points[0][0])
        if value >= points[-1][0]:
            return points[-1][1] + (value - points[-1][0])
        index = bisect_right([p[0] for p in points], value)
        (a, pa), (b, pb) = points[index - 1], points[index]
        return pa + (value - a) * (pb - pa) / (b - a)


# -- 4. dots and terminals -------------------------------------------------------------------------

def _splits(placer: _Placer, at: dict[str, tuple[float, float]], column_x: Mapping[int, float],
            rail_y: list[float], bus_y: Mapping[str, float]) -> list[_Split]:
    """The copy dots to insert: along each bus, each rail, each output and each riser."""
    spec, graph = placer.spec, placer.graph
    wire_from: dict[tuple[str, str], int] = {}
    for index, (source, target) in enumerate(spec.edges()):
        wire_from.setdefault((source, target), index)
    pinned = {node.id for node in spec.nodes if node.at is not None}
    splits: list[_Split] = []

    def port_of(index: int) -> str:
        return spec.wires[index].source

    def unpinned(source: str, users: list[str]) -> bool:
        """Whether the dots are the placer's to make: some end is free, and every wire is
        direct (not through the spec's own dots)."""
        direct = all((source, u) in wire_from for u in users)
        return direct and (source not in pinned or any(u not in pinned for u in users))

    # Input buses: a dot under every layer but the last, which the bus runs into; where
    # the source feeds nodes beyond the layers too (RG-LRU's x, into h), the bus gets a dot
    # under the last layer as well and runs on from it to them, rather than a second wire
    # leaving the source beside the bus.
    for source in placer.buses:
        users = placer.bus_consumers[source]
        others = [u for u in graph.succ[source] if u not in users]
        if source in placer.side_slots:
            # From the terminal below the last layer's slot, right to left: a dot in the
            # slot right of each layer but the first, which the bus runs into.
            if not others and unpinned(source, users):
                slots = placer.side_slots[source]
                stops = [(wire_from[(source, u)], (column_x[id(slots[u])], bus_y[source]))
                         for u in reversed(users[1:])]
                splits.append(_Split(port_of(stops[0][0]), _chain(stops),
                                     wire_from[(source, users[0])], len(stops) - 1))
            continue
        if len(users) < 2 or not unpinned(source, users + others):
            continue
        offset = 0.3 * placer.buses.index(source)
        stops = [(wire_from[(source, u)], (at[u][0] + offset, bus_y[source]))
                 for u in (users if others else users[:-1])]
        stops += [(wire_from[(source, u)], stops[-1][1]) for u in others]
        chain = _chain(stops)
        if others:
            splits.append(_Split(port_of(stops[0][0]), chain))
        else:
            splits.append(_Split(port_of(stops[0][0]), chain,
                                 wire_from[(source, users[-1])], len(stops) - 1))
    # Rails: a dot where a node's value leaves the rail.
    for index, rail in enumerate(placer.rails):
        for position, source in enumerate(rail[:-1]):
            nxt = rail[position + 1]
            users = [u for u in graph.succ[source] if u != nxt]
            if not users or not unpinned(source, users + [nxt]):
                continue
            # Users sharing a slot drop from one dot on the rail to a second one level with
            # the first of them (the peepholes of the forget and input gates).
            groups: dict[float, list[str]] = {}
            for user in users:
                where = placer.rail_dots[(source, user)]
                x = at[user][0] if isinstance(where, str) else column_x[id(where)]
                groups.setdefault(x, []).append(user)
            rail_stops: list[_Stop] = []
            along = -1  # the last dot on the rail
            for x in sorted(groups):
                group = sorted(groups[x], key=lambda u: at.get(u, (x, 0.0)))
                if len(group) == 1:
                    rail_stops.append(_Stop(wire_from[(source, group[0])], (x, rail_y[index]),
                                            along))
                    along = len(rail_stops) - 1
                    continue
                rail_stops.append(_Stop(-1, (x, rail_y[index]), along))
                along = len(rail_stops) - 1
                drop = (x, max(at[u][1] + placer.sizes[u][1] / 2 for u in group) + DROP_RISE)
                for number, user in enumerate(group):
                    rail_stops.append(_Stop(wire_from[(source, user)], drop,
                                       along if number == 0 else len(rail_stops) - 1))
            splits.append(_Split(port_of(wire_from[(source, nxt)]), rail_stops,
                                 wire_from[(source, nxt)], along))
    # Outputs: one dot from which the value leaves right (or down) and up.
    for source, column in placer.output_dots.items():
        users = graph.succ[source]
        if not unpinned(source, users):
            continue
        point = (column_x[id(column)], at[source][1])
        wires = [wire_from[(source, u)] for u in users]
        splits.append(_Split(port_of(wires[0]), _chain([(w, point) for w in wires])))
    # Risers: a layer feeding the node stacked on it and, on the way up, nodes to its right.
    for source in graph.nodes:
        if source not in placer.partnered or graph.kind(source) not in _GATE_KINDS:
            continue
        column = placer.column_of[source]
        above = column.nodes[column.nodes.index(source) + 1]
        users = [u for u in graph.succ[source] if u != above and u in at and
                 placer.column_of.get(u) is not column and at[u][0] > at[source][0]]
        bottom = at[source][1] + placer.sizes[source][1] / 2 + RISER_CLEARANCE
        top = at[above][1] - placer.sizes[above][1] / 2 - RISER_CLEARANCE
        users = [u for u in users if bottom < at[u][1] < top
                 and not any(abs(at[u][1] - y) < RISER_CLEARANCE for y in rail_y)]
        if len(users) != len(graph.succ[source]) - 1 or not users:
            continue
        if not unpinned(source, users + [above]):
            continue
        users.sort(key=lambda u: at[u][1])
        stops = [(wire_from[(source, u)], (at[source][0], at[u][1])) for u in users]
        splits.append(_Split(port_of(wire_from[(source, above)]), _chain(stops),
                             wire_from[(source, above)], len(stops) - 1))
    return splits


def _place_free_dots(placer: _Placer, at: dict[str, tuple[float, float]],
                     column_x: Mapping[int, float], rail_y: list[float],
                     bus_y: Mapping[str, float]) -> None:
    """The spec's own dots without a position go where the placer's would: on the bus
    under the first layer they feed, on the rail above what leaves it, beside an output,
    on a layer's riser."""
    graph, spec = placer.graph, placer.spec
    feeders: dict[str, list[str]] = {node.id: [] for node in spec.nodes}
    for source, target in spec.edges():
        feeders[target].append(source)
    for dot, users in graph.through.items():
        source = dot
        seen = {dot}
        while source in graph.free_dots and feeders[source] and feeders[source][0] not in seen:
            source = feeders[source][0]
            seen.add(source)
        points = [p for p in (_stop(placer, at, column_x, rail_y, bus_y, source, user)
                              for user in users) if p is not None]
        if points:
            at[dot] = min(points)
            continue
        known = [at[n] for n in [source] + users if n in at]
        at[dot] = (sum(p[0] for p in known) / len(known), sum(p[1] for p in known) / len(known)) \
            if known else (0.0, 0.0)


def _stop(placer: _Placer, at: Mapping[str, tuple[float, float]],
          column_x: Mapping[int, float], rail_y: list[float], bus_y: Mapping[str, float],
          source: str, user: str) -> tuple[float, float] | None:
    """Where a copy dot between ``source`` and ``user`` belongs, if the convention says."""
    if source in placer.bus_consumers and user in placer.bus_consumers[source]:
        return (at[user][0] + 0.3 * placer.buses.index(source), bus_y[source])
    where = placer.rail_dots.get((source, user))
    if where is not None:
        x = at[user][0] if isinstance(where, str) else column_x[id(where)]
        return (x, rail_y[placer.rail_of[source]])
    if source in placer.output_dots:
        return (column_x[id(placer.output_dots[source])], at[source][1])
    column = placer.column_of.get(source)
    if source in placer.partnered and column is not None and user in at and \
            placer.column_of.get(user) is not column:
        return (at[source][0], at[user][1])
    return None


def _place_terminals(placer: _Placer, at: dict[str, tuple[float, float]],
                     pins: Mapping[str, tuple[float, float]], column_x: Mapping[int, float],
                     rail_y: list[float],
                     bus_y: Mapping[str, float], splits: list[_Split]) -> None:
    """Each terminal on the border its label faces, level with the wire it starts or ends."""
    spec, graph = placer.spec, placer.graph
    inner = [n for n in at if not placer.is_terminal(n)]
    boxes = [_box(at[n], placer.sizes[n]) for n in inner]
    points = [stop.point for split in splits for stop in split.stops]
    x0 = min([b[0] for b in boxes] + [p[0] for p in points], default=0.0)
    y0 = min([b[1] for b in boxes] + [p[1] for p in points] + list(bus_y.values()), default=0.0)
    x1 = max([b[2] for b in boxes] + [p[0] for p in points], default=0.0)
    y1 = max([b[3] for b in boxes] + [p[1] for p in points], default=0.0)
    dot_of: dict[tuple[str, str], tuple[float, float]] = {}
    edges = spec.edges()
    for split in splits:
        for stop in split.stops:
            if stop.wire >= 0:
                dot_of[edges[stop.wire]] = stop.point
    main_output_taken = False
    outputs_below = 0
    for node in spec.nodes:
        nid = node.id
        if node.kind != "terminal" or nid in at:
            continue
        if nid in pins:
            at[nid] = pins[nid]
            continue
        side = node.label_side
        neighbours = graph.pred[nid] or graph.succ[nid]
        other = neighbours[0] if neighbours else ""
        edge = (other, nid) if graph.pred[nid] else (nid, other)
        own_dot = next((a if b == nid else b for a, b in spec.edges()
                        if nid in (a, b) and (a if b == nid else b) in graph.free_dots), "")
        anchor = dot_of.get(edge) or at.get(own_dot) or at.get(other) or (x0, y0)
        if side == "left":
            if nid in placer.rail_of:
                y = rail_y[placer.rail_of[nid]]
            elif nid in bus_y:
                y = bus_y[nid]
            else:
                y = anchor[1]
            at[nid] = (x0 - TERMINAL_OFFSET, y)
        elif side == "right":
            if nid in placer.rail_of:
                y = rail_y[placer.rail_of[nid]]
            elif not main_output_taken:
                y = max(bus_y.values(), default=y0)
                main_output_taken = True
            else:
                outputs_below += 1
                y = max(bus_y.values(), default=y0) - BUS_SPACING * outputs_below
            at[nid] = (x1 + TERMINAL_OFFSET, y)
        elif side == "above":
            at[nid] = (anchor[0], y1 + TERMINAL_OFFSET_VERTICAL)
        else:
            x = column_x[id(placer.bus_slot[nid])] if nid in placer.bus_slot else anchor[0]
            at[nid] = (x, y0 - TERMINAL_OFFSET_VERTICAL)
    _spread(placer, at, pins, "below", 0)
    _spread(placer, at, pins, "above", 0)
    _spread(placer, at, pins, "left", 1)
    _spread(placer, at, pins, "right", 1)


def _spread(placer: _Placer, at: dict[str, tuple[float, float]],
            pins: Mapping[str, tuple[float, float]], side: str, axis: int) -> None:
    """Terminals on one border far enough apart for their labels, in their order along it."""
    spec = placer.spec
    texts = placer.texts
    ids = [n.id for n in spec.nodes if n.kind == "terminal" and n.label_side == side
           and n.id not in pins]
    ids.sort(key=lambda n: (at[n][axis], placer.graph.order[n]))
    for first, second in zip(ids, ids[1:], strict=False):
        need = (texts.get(first, (0.0, 0.0))[axis] + texts.get(second, (0.0, 0.0))[axis]) / 2 \
            + TERMINAL_SPACING
        if at[second][axis] - at[first][axis] < need:
            moved = list(at[second])
            moved[axis] = at[first][axis] + need
            at[second] = (moved[0], moved[1])


def _size(size: Size) -> Size:
    """A (width, height) pair of plain floats (measurements may come as numpy scalars)."""
    return (float(size[0]), float(size[1]))


def _box(center: tuple[float, float], size: Size) -> tuple[float, float, float, float]:
    (x, y), (w, h) = center, size
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _rewrite(spec: DiagramSpec, at: Mapping[str, tuple[float, float]],
             sizes: Mapping[str, Size], splits: list[_Split]) -> DiagramSpec:
    """The placed spec: nodes with positions and sizes, copy dots added, wires rewired."""
    nodes = [replace(node, at=at[node.id],
                     size=node.size if node.kind == "block" else _size(sizes[node.id]))
             for node in spec.nodes]
    taken = {node.id for node in spec.nodes} | {w.id for w in spec.wires if w.id}
    taken |= {label.id for label in spec.labels if label.id}
    taken |= {region.id for region in spec.regions if region.id}
    wires = list(spec.wires)
    extra: list[Wire] = []
    counters: dict[str, int] = {}
    step_order = {step: index for index, step in enumerate(spec.steps)}
    for split in splits:
        source_id = parse_port(split.source)[0]
        stops = split.stops
        # The wires each stop's dot carries: its own, its children's, and the through wire
        # for the stop it leaves from and that stop's parents.
        below: list[set[int]] = [{stop.wire} - {-1} for stop in stops]
        if split.through >= 0:
            below[split.through_from].add(split.through)
        for index in range(len(stops) - 1, -1, -1):
            if stops[index].parent >= 0:
                below[stops[index].parent] |= below[index]
        carried = [w for w in [split.through] + [stop.wire for stop in stops] if w >= 0]
        role = spec.wires[carried[0]].role
        dots: list[str] = []
        for index, stop in enumerate(stops):
            parent = dots[stop.parent] if stop.parent >= 0 else split.source
            if stop.parent >= 0 and stop.point == stops[stop.parent].point:
                dot = dots[stop.parent]  # several wires leave the same dot
            else:
                dot = _fresh(source_id, counters, taken)
                steps = tuple(sorted({s for i in below[index] for s in spec.wires[i].steps},
                                     key=lambda s: step_order.get(s, 0)))
                nodes.append(Node(dot, "dot", at=stop.point, role=role, steps=steps))
                extra.append(Wire(parent, dot, role=role, steps=steps))
            dots.append(dot)
            if stop.wire >= 0:
                wires[stop.wire] = replace(wires[stop.wire], source=dot)
        if split.through >= 0:
            wires[split.through] = replace(wires[split.through],
                                           source=dots[split.through_from])
    return replace(spec, nodes=tuple(nodes), wires=tuple(wires) + tuple(extra))


def _fresh(source: str, counters: dict[str, int], taken: set[str]) -> str:
    while True:
        counters[source] = counters.get(source, 0) + 1
        name = f"{source}-split{counters[source]}"
        if name not in taken:
            taken.add(name)
            return name


__all__ = ["place"]
