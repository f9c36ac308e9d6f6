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
    arrange sizes them) and its wires stripped of ports and waypoints, and what laying it
    out needs: the measure, the metrics and the label sizes in units."""
    from matplotlib.figure import Figure

    from lstmfigs.diagram.arrange import UNIT_EM
    from lstmfigs.diagram.layout import node_size
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
        bare = replace(sized, wires=tuple(
            replace(w, source=parse_port(w.source)[0], target=parse_port(w.target)[0], via=())
            for w in sized.wires))
        label_sizes = {}
        for label in spec.labels:
            w, h = measure(label.text, "label")
            label_sizes[label.id] = (w / scale, h / scale)
    return {"name": name, "theme": theme, "original": sized, "bare": bare, "texts": texts,
            "label_sizes": label_sizes, "measure": measure, "metrics": metrics,
            "scale": scale}


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
        crossings += sum(_crossing(s, t) for s in pairwise(a) for t in pairwise(b))
    return {"bends": bends, "crossings": crossings}


def problems(spec: Any, cell: dict[str, Any]) -> list[str]:
    """What the checker finds in ``spec`` laid out at its natural scale (3 em a unit)."""
    from lstmfigs.checks import geometry_problems
    from lstmfigs.diagram.layout import layout

    fixed = replace(spec, min_unit=0.0, max_unit=3.0)
    laid = layout(fixed, cell["measure"], 40.0, metrics=cell["metrics"])
    return geometry_problems(laid)


def through_nodes(spec: Any, lines: Sequence[tuple[Point, ...]]) -> int:
    """Wires whose polyline enters the inside of any node outline, their own ends
    included (the stub leaving or entering a port lies on the outline, not inside)."""
    from lstmfigs.diagram.layout import _node_geometry

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


def ports_respected(spec: Any, lines: Sequence[tuple[Point, ...]]) -> tuple[int, int]:
    """(wire ends on a port whose side faces the wire, all wire ends): the first segment
    leaves its port outward, the last enters inward, and the end is the port's point."""
    from lstmfigs.diagram.layout import _node_geometry
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
            at_port = abs(end[0] - expected[0]) < 1e-6 and abs(end[1] - expected[1]) < 1e-6
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


def hand(cell: dict[str, Any]) -> tuple[Any, list[tuple[Point, ...]]]:
    """The hand-placed original: its own ports and waypoints."""
    return cell["original"], polylines(cell["original"])


ROUTERS: dict[str, Callable[[dict[str, Any]], Any]] = {"hand-placed": hand, "ours": ours}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", default=",".join(CELLS))
    parser.add_argument("--routers", default="")
    parser.add_argument("--json", default="")
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
        cell = prepared(name)
        for router_name, router in routers.items():
            try:
                row = evaluate(router, cell)
            except _Skip as skip:
                print(f"{router_name} | {name} | skipped: {skip}")
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


def _library_routers() -> dict[str, Callable[[dict[str, Any]], Any]]:
    return {}


if __name__ == "__main__":
    sys.exit(main())
