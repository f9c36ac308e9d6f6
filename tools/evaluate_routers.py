"""Evaluate wire routers on the built-in cells: ours and two libraries from PyPI.

Issue 12 asks whether a library routes well enough to use instead of our own router
(:mod:`lstmfigs.diagram.route`).  For each built-in cell (lstm-cell, gru-cell, rnn-cell,
lstm-peephole) this script keeps the hand-placed nodes, sized to their labels in the
``paper`` theme, strips every wire's waypoints and ports, and has each router route it
again.  It reports, per router and cell:

* ports: wire ends on a port on the side facing the wire (leaving outward, entering inward);
* through: wires running through a node, their own source and target included;
* bends and crossings (crossings between wires from different ports);
* problems: what :func:`lstmfigs.checks.geometry_problems` finds in the laid-out result;
* time per cell (median of 5 runs, first run included) and whether two runs agree.

The libraries are ``graphlay`` (a Rust wheel: ``reroute()`` keeps the nodes' positions)
and ``graph-layout`` (WebCola's GridRouter).  Neither is a dependency of lstmfigs: install
them in a scratch environment (``pip install graphlay graph-layout``) together with
lstmfigs; a router whose library is missing is skipped with a note.

Run: ``python tools/evaluate_routers.py [--cells lstm-cell,gru-cell] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import combinations, pairwise
from typing import Any

CELLS = ("lstm-cell", "gru-cell", "rnn-cell", "lstm-peephole")
Point = tuple[float, float]


# -- the cells, as the routers get them ----------------------------------------------------

def prepared(name: str, theme: str = "paper") -> dict[str, Any]:
    """The built-in spec ``name`` with its nodes sized to their labels in ``theme`` (as
    arrange sizes them): as drawn by hand ("original"), with the hand-placed sides but no
    waypoints ("given") and with neither ("bare"), the gates' output labels as wire labels
    in both; and what laying it out needs: the measure, the metrics and the text sizes in
    units (terminal labels by node id, wire labels by wire index)."""
    from matplotlib.figure import Figure

    from lstmfigs.diagram.arrange import UNIT_EM
    from lstmfigs.diagram.geometry import node_size
    from lstmfigs.diagram.paint import text_measurer, theme_metrics
    from lstmfigs.diagram.spec import parse_port
    from lstmfigs.figures.diagrams import builtin_spec
    from lstmfigs.themes import theme_context

    spec = builtin_spec(name)
    with theme_context(theme):
        metrics = theme_metrics()
        fig = Figure()
        measure = text_measurer(fig)
        scale = UNIT_EM * metrics.em
        nodes = []
        texts: dict[str, tuple[float, float]] = {}
        for node in spec.nodes:
            label = None
            if node.label:
                w, h = measure(node.label, "terminal" if node.kind == "terminal" else "node")
                label = (w / scale, h / scale)
                if node.kind == "terminal":
                    texts[node.id] = label
            size = node.size if node.kind == "block" else node_size(node, label, metrics.em / scale)
            nodes.append(replace(node, size=size))
        sized = replace(spec, nodes=tuple(nodes))
        # The hand-placed labels of the gates' outputs (f_t, ...) become wire labels, for
        # the label placer to put beside whatever route a router finds.
        wires = list(sized.wires)
        for label in spec.labels:
            for index, wire in enumerate(wires):
                source = spec.node(parse_port(wire.source)[0])
                if source.kind == "gate" and source.role == label.role and not wire.label:
                    wires[index] = replace(wire, label=label.text)
                    w, h = measure(label.text, "label")
                    texts[str(index)] = (w / scale, h / scale)
                    break
        given = replace(sized, labels=(), wires=tuple(replace(w, via=()) for w in wires))
        bare = replace(given, wires=tuple(
            replace(w, source=parse_port(w.source)[0], target=parse_port(w.target)[0])
            for w in given.wires))
    return {"name": name, "theme": theme, "original": sized, "given": given, "bare": bare,
            "texts": texts, "measure": measure, "metrics": metrics, "scale": scale}


def terminal_boxes(spec: Any, texts: dict[str, tuple[float, float]], scale: float
                   ) -> tuple[tuple[float, float, float, float], ...]:
    """The terminals' label boxes in units (obstacles for a router), as arrange gives them."""
    from lstmfigs.diagram.arrange import _terminal_label_boxes

    return _terminal_label_boxes(spec, texts, scale)


# -- measuring a routed spec ------------------------------------------------------------------

def polylines(spec: Any) -> list[tuple[Point, ...]]:
    """Every wire's polyline as the layout draws it."""
    from lstmfigs.diagram.route import _polylines

    return _polylines(spec)


def _crossing(a: tuple[Point, Point], b: tuple[Point, Point]) -> bool:
    """Whether an axis-parallel segment crosses another at a right angle, inside both."""
    (ax0, ay0), (ax1, ay1) = a
    (bx0, by0), (bx1, by1) = b
    if ay0 == ay1 and bx0 == bx1:
        return (min(ax0, ax1) < bx0 < max(ax0, ax1)) and (min(by0, by1) < ay0 < max(by0, by1))
    if ax0 == ax1 and by0 == by1:
        return _crossing(b, a)
    return False


def count(spec: Any, lines: Sequence[tuple[Point, ...]] | None = None) -> dict[str, int]:
    """Bends and crossings of a routed spec's wires (wires from one port never cross)."""
    lines = polylines(spec) if lines is None else lines
    bends = sum(len(line) - 2 for line in lines)
    crossings = 0
    for (i, a), (j, b) in combinations(enumerate(lines), 2):
        if spec.wires[i].source == spec.wires[j].source:
            continue
        crossings += sum(bool(_crossing(s, t)) for s in pairwise(a) for t in pairwise(b))
    return {"bends": bends, "crossings": int(crossings)}


def problems(spec: Any, cell: dict[str, Any]) -> list[str]:
    """What the checker finds in ``spec`` laid out at its natural scale."""
    from lstmfigs.checks import geometry_problems
    from lstmfigs.diagram.arrange import UNIT_EM
    from lstmfigs.diagram.layout import layout

    fixed = replace(spec, min_unit=0.0, max_unit=UNIT_EM)
    laid = layout(fixed, cell["measure"], 40.0, metrics=cell["metrics"])
    return geometry_problems(laid)


def through_nodes(spec: Any, lines: Sequence[tuple[Point, ...]]) -> int:
    """Wires whose polyline enters the inside of any node outline, their own ends
    included (the stub leaving or entering a port lies on the outline, not inside)."""
    from lstmfigs.diagram.geometry import _node_geometry

    count_ = 0
    boxes = [_node_geometry(n, None).bounds for n in spec.nodes
             if n.kind in ("gate", "op", "block")]
    eps = 1e-6
    for line in lines:
        hit = False
        for (x0, y0), (x1, y1) in pairwise(line):
            for bx0, by0, bx1, by1 in boxes:
                if (min(x0, x1) < bx1 - eps and max(x0, x1) > bx0 + eps
                        and min(y0, y1) < by1 - eps and max(y0, y1) > by0 + eps):
                    hit = True
        count_ += hit
    return count_


#: A wire end this close to its port's point (units) is on it: a library gives a point node
#: a :data:`POINT_PX` square and ends its wires on that square's outline.
PORT_TOLERANCE = 0.011


def ports_respected(spec: Any, lines: Sequence[tuple[Point, ...]]) -> tuple[int, int]:
    """(wire ends on a port whose side faces the wire, all wire ends): the first segment
    leaves its port outward, the last enters inward, and the end is the port's point."""
    from lstmfigs.diagram.geometry import _node_geometry
    from lstmfigs.diagram.spec import SIDES, parse_port, port_side, resolve_port

    good = 0
    for wire, line in zip(spec.wires, lines, strict=True):
        for ref, end, nxt, sign in ((wire.source, line[0], line[1], 1),
                                    (wire.target, line[-1], line[-2], -1)):
            node_id, port = parse_port(ref)
            geom = _node_geometry(spec.node(node_id), None)
            if not port:
                continue
            side = port_side(geom.node, port)
            expected = geom.port(resolve_port(geom.node, port))
            dx, dy = SIDES[side]
            mx, my = (nxt[0] - end[0]) * sign, (nxt[1] - end[1]) * sign
            outward = (mx * dx + my * dy) * sign > 0 and (mx * dy - my * dx) == 0
            at_port = math.hypot(end[0] - expected[0], end[1] - expected[1]) <= PORT_TOLERANCE
            good += outward and at_port
    return good, 2 * len(spec.wires)


def evaluate(router: Callable[[dict[str, Any]], Any], cell: dict[str, Any], runs: int = 5
             ) -> dict[str, Any]:
    """Route ``cell`` ``runs`` times with ``router`` and measure the result."""
    times, results = [], []
    for _ in range(runs):
        start = time.perf_counter()
        routed = router(cell)
        times.append(time.perf_counter() - start)
        results.append(routed)
    routed, lines = results[0]
    if any(wire.label for wire in routed.wires):
        from lstmfigs.diagram.route import place_labels

        routed = place_labels(routed, cell["texts"])
    found = problems(routed, cell)
    good, ends = ports_respected(routed, lines)
    return {"ports": f"{good}/{ends}", "through": through_nodes(routed, lines),
            **count(routed, lines), "problems": len(found), "problem_list": found,
            "ms": round(statistics.median(times) * 1000, 1),
            "deterministic": all(_same(r, results[0]) for r in results[1:])}


def _same(a: tuple[Any, Any], b: tuple[Any, Any]) -> bool:
    return a[1] == b[1] and a[0] == b[0]


# -- the routers --------------------------------------------------------------------------------

def ours(cell: dict[str, Any]) -> tuple[Any, list[tuple[Point, ...]]]:
    """lstmfigs.diagram.route.route on the bare spec, terminal labels as obstacles."""
    from lstmfigs.diagram.route import route

    spec = cell["bare"]
    routed = route(spec, terminal_boxes(spec, cell["texts"], cell["scale"]))
    return routed, polylines(routed)


def ours_given(cell: dict[str, Any]) -> tuple[Any, list[tuple[Point, ...]]]:
    """lstmfigs.diagram.route.route keeping the hand-placed spec's ports (waypoints
    stripped): the same task as a library given the sides."""
    from lstmfigs.diagram.route import route

    spec = cell["given"]
    routed = route(spec, terminal_boxes(spec, cell["texts"], cell["scale"]))
    return routed, polylines(routed)


def hand(cell: dict[str, Any]) -> tuple[Any, list[tuple[Point, ...]]]:
    """The hand-placed original: its own ports and waypoints."""
    return cell["original"], polylines(cell["original"])


ROUTERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "hand-placed": hand, "ours (sides given)": ours_given, "ours (sides free)": ours}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", default=",".join(CELLS))
    parser.add_argument("--routers", default="")
    parser.add_argument("--json", default="")
    parser.add_argument("--theme", default="paper",
                        help="the theme whose text sizes the nodes (default paper)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    routers = dict(ROUTERS)
    routers.update(_library_routers())
    if args.routers:
        routers = {k: v for k, v in routers.items() if k in args.routers.split(",")}
    table = []
    header = ("router", "cell", "ports", "through", "bends", "crossings", "problems", "ms",
              "deterministic")
    print(" | ".join(header))
    for name in args.cells.split(","):
        cell = prepared(name, args.theme)
        for router_name, router in routers.items():
            try:
                row = evaluate(router, cell)
            except _Skip as skip:
                print(f"{router_name} | {name} | skipped: {skip}")
                continue
            except Exception as exc:  # a library's own failure is a result too
                print(f"{router_name} | {name} | failed: {type(exc).__name__}: {exc}")
                table.append({"router": router_name, "cell": name,
                              "failed": f"{type(exc).__name__}: {exc}"})
                continue
            row = {"router": router_name, "cell": name, **row}
            table.append(row)
            print(" | ".join(str(row[k]) for k in header))
            if args.verbose:
                for problem in row["problem_list"]:
                    print("    ", problem)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(table, out, indent=1)
    return 0


class _Skip(Exception):
    """A router that cannot run here (its library is not installed)."""


# -- the libraries: graphlay and graph-layout (WebCola's GridRouter) ------------------------

#: Library coordinates are pixels, y down: one diagram unit is this many pixels.
PX = 100.0
#: A copy dot, concatenation point or terminal is drawn as a square this wide (pixels): the
#: libraries need a size, and ours are points.
POINT_PX = 1.0
_SIDE_NAMES = {"n": "top", "s": "bottom", "e": "right", "w": "left"}
_SIDE_OF_NAME = {v: k for k, v in _SIDE_NAMES.items()}


def _boxes(spec: Any) -> list[tuple[float, float, float, float]]:
    """Every node's (x0, y0, x1, y1) in library pixels (y down)."""
    from lstmfigs.diagram.geometry import _node_geometry

    boxes = []
    for node in spec.nodes:
        geom = _node_geometry(node, None)
        (cx, cy), w, h = geom.center, max(geom.width * PX, POINT_PX), max(geom.height * PX,
                                                                             POINT_PX)
        boxes.append((cx * PX - w / 2, -cy * PX - h / 2, cx * PX + w / 2, -cy * PX + h / 2))
    return boxes


def _as_spec(spec: Any, lines: list[tuple[Point, ...]], sides: list[tuple[str, str]]) -> Any:
    """``spec`` with each wire's ports set to the sides a library reports and its
    interior points as waypoints, so that our layout and checker can judge the result.
    A library route whose ends are off the port's point shows up there as a diagonal."""
    from lstmfigs.diagram.spec import parse_port

    wires = []
    for wire, line, (source_side, target_side) in zip(spec.wires, lines, sides, strict=True):
        wires.append(replace(wire, source=f"{parse_port(wire.source)[0]}.{source_side}",
                             target=f"{parse_port(wire.target)[0]}.{target_side}",
                             via=tuple(line[1:-1])))
    return replace(spec, wires=tuple(wires))


def _from_px(points: Sequence[Any]) -> tuple[Point, ...]:
    line = [(float(p[0]) / PX, -float(p[1]) / PX) for p in points]
    kept: list[Point] = []
    for point in line:  # drop repeated points, which libraries sometimes emit
        if not kept or point != kept[-1]:
            kept.append(point)
    return tuple(kept)


def _hand_sides(spec: Any) -> list[tuple[str, str]]:
    from lstmfigs.diagram.spec import parse_port, port_side

    sides = []
    for wire in spec.wires:
        (s, sp), (t, tp) = parse_port(wire.source), parse_port(wire.target)
        sides.append((port_side(spec.node(s), sp), port_side(spec.node(t), tp)))
    return sides


def _graphlay(cell: dict[str, Any], given_ports: bool) -> tuple[Any, list[tuple[Point, ...]]]:
    try:
        import graphlay
    except ImportError as exc:
        raise _Skip("graphlay is not installed (pip install graphlay)") from exc
    spec = cell["given"]
    ids = [node.id for node in spec.nodes]
    nodes = []
    for node, (x0, y0, x1, y1) in zip(spec.nodes, _boxes(spec), strict=True):
        nodes.append({"size": {"width": x1 - x0, "height": y1 - y0},
                      "position": {"x": (x0 + x1) / 2, "y": (y0 + y1) / 2},
                      "pinned": True, "key": node.id})
    edges = []
    from lstmfigs.diagram.spec import parse_port

    for wire, (source_side, target_side) in zip(spec.wires, _hand_sides(spec), strict=True):
        edge: dict[str, Any] = {"source": ids.index(parse_port(wire.source)[0]),
                                "target": ids.index(parse_port(wire.target)[0])}
        if given_ports:
            edge["source_port"] = {"side": _SIDE_NAMES[source_side]}
            edge["target_port"] = {"side": _SIDE_NAMES[target_side]}
        edges.append(edge)
    drawn = graphlay.reroute({"nodes": nodes, "edges": edges})
    lines = [_from_px([(p["x"], p["y"]) for p in e["points"]]) for e in drawn.edges]
    sides = [(_SIDE_OF_NAME[e["source_port"]["side"]], _SIDE_OF_NAME[e["target_port"]["side"]])
             for e in drawn.edges]
    return _as_spec(spec, lines, sides), lines


def _side_at(box: tuple[float, float, float, float], point: Point) -> str:
    """The side of ``box`` (units, y up) nearest ``point``."""
    x0, y0, x1, y1 = box
    x, y = point
    distances = {"w": abs(x - x0), "e": abs(x - x1), "s": abs(y - y0), "n": abs(y - y1)}
    return min(distances, key=lambda side: distances[side])


def _gridrouter(cell: dict[str, Any]) -> tuple[Any, list[tuple[Point, ...]]]:
    try:
        from graph_layout.cola.gridrouter import GridRouter
        from graph_layout.cola.rectangle import Rectangle
    except ImportError as exc:
        raise _Skip("graph-layout is not installed (pip install graph-layout)") from exc
    from lstmfigs.diagram.spec import parse_port

    spec = cell["given"]
    boxes = _boxes(spec)
    ids = [node.id for node in spec.nodes]

    class Accessor:
        def get_children(self, v: int) -> list[int]:
            return []

        def get_bounds(self, v: int) -> Any:
            x0, y0, x1, y1 = boxes[v]
            return Rectangle(x0, x1, y0, y1)

    router = GridRouter(list(range(len(boxes))), Accessor())
    pairs = [(ids.index(parse_port(w.source)[0]), ids.index(parse_port(w.target)[0]))
             for w in spec.wires]
    routes = router.route_edges(pairs, 0.05 * PX, lambda e: e[0], lambda e: e[1])
    lines = []
    for segments in routes:
        points = [(segments[0][0].x, segments[0][0].y)] + [(seg[1].x, seg[1].y)
                                                          for seg in segments]
        lines.append(_from_px(points))
    unit_boxes = [(x0 / PX, -y1 / PX, x1 / PX, -y0 / PX) for x0, y0, x1, y1 in boxes]
    sides = [(_side_at(unit_boxes[a], line[0]), _side_at(unit_boxes[b], line[-1]))
             for (a, b), line in zip(pairs, lines, strict=True)]
    return _as_spec(spec, lines, sides), lines


def _library_routers() -> dict[str, Callable[[dict[str, Any]], Any]]:
    return {"graphlay (sides given)": lambda cell: _graphlay(cell, True),
            "graphlay (sides free)": lambda cell: _graphlay(cell, False),
            "graph-layout GridRouter": _gridrouter}


if __name__ == "__main__":
    sys.exit(main())
