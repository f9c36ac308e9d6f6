"""Time the automatic layout of each built-in cell: place + route + wire labels.

    python bench/bench_layout.py                  # every built-in, 10 rounds, paper theme
    python bench/bench_layout.py --rounds 3 --theme slides
    python bench/bench_layout.py --source specs   # the hand-placed nodes, wires re-routed

Issue 12 asks that laying out and routing one cell take under 0.2 s.  What is timed is
:func:`lstmfigs.diagram.arrange.arrange` on the cell's spec without coordinates (its cache
cleared before every call, so each call does the whole work), with the text measured by
the theme's renderer once beforehand.  ``--source cells`` (the default) draws each built-in
cell definition from its equations (:func:`lstmfigs.diagram.cellgraph.cell_spec`);
``--source specs`` keeps the hand-placed nodes of the built-in diagrams and strips every
wire's ports and waypoints (routing and labels only).

Calls alternate with the reference, :func:`lstmfigs.diagram.layout.layout` of the same
diagram once arranged (the geometry every figure computes anyway), first calls included;
the table gives each side's median and the slowest call, in milliseconds, and the ratio of
the medians.  CPU time (``time.process_time``) is the measure, as in the other benchmarks:
wall time on a shared machine follows the other jobs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

#: The most one cell may take (issue 12).
LIMIT_S = 0.2
#: The diagrams of the built-in cells, as drawn by hand (for ``--source specs``).
DIAGRAMS = ("lstm-cell", "gru-cell", "rnn-cell", "lstm-peephole", "lstm-nig", "lstm-nfg",
            "lstm-nog", "lstm-niaf", "lstm-noaf", "lstm-np", "lstm-cifg", "lstm-fgr")


def _cell_specs() -> dict[str, Any]:
    from lstmfigs import cells
    from lstmfigs.diagram import cellgraph

    return {name: cellgraph.cell_spec(cells.builtin(name)) for name in cells.names()}


def _stripped_specs() -> dict[str, Any]:
    from lstmfigs.diagram.spec import parse_port
    from lstmfigs.figures.diagrams import builtin_spec

    specs = {}
    for name in DIAGRAMS:
        spec = builtin_spec(name)
        # max_unit: an arranged diagram is drawn at 3 to 4 em a unit, whatever the
        # hand-placed spec chose for itself.
        specs[name] = replace(spec, max_unit=0.0, wires=tuple(
            replace(w, source=parse_port(w.source)[0], target=parse_port(w.target)[0], via=())
            for w in spec.wires))
    return specs


def _alternate(runs: list[Callable[[], object]], rounds: int) -> list[list[float]]:
    """CPU seconds per call of each run, calls alternating, the first one included."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for run, record in zip(runs, times, strict=True):
            start = time.process_time()
            run()
            record.append(time.process_time() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--theme", default="paper")
    parser.add_argument("--source", choices=("cells", "specs"), default="cells")
    parser.add_argument("--only", default="", help="comma-separated names")
    args = parser.parse_args(argv)

    from matplotlib.figure import Figure

    from lstmfigs.diagram import arrange as arrange_module
    from lstmfigs.diagram.layout import layout
    from lstmfigs.diagram.paint import text_measurer, theme_metrics
    from lstmfigs.themes import theme_context

    specs = _cell_specs() if args.source == "cells" else _stripped_specs()
    if args.only:
        specs = {k: v for k, v in specs.items() if k in args.only.split(",")}
    print(f"{args.source} in theme {args.theme}, {args.rounds} rounds, CPU ms "
          f"(limit {LIMIT_S * 1000:.0f} ms a cell)")
    print(f"{'cell':<16} {'arrange median':>14} {'max':>8} {'layout median':>14} "
          f"{'ratio':>6}  verdict")
    slow = 0
    with theme_context(args.theme):
        metrics = theme_metrics()
        measure = text_measurer(Figure())
        # Measured once, as a figure measures: the benchmark times the layout, not text.
        cache: dict[tuple[str, str], tuple[float, float]] = {}

        def measured(text: str, kind: str) -> tuple[float, float]:
            if (text, kind) not in cache:
                cache[(text, kind)] = measure(text, kind)
            return cache[(text, kind)]

        for name, spec in specs.items():
            arranged = arrange_module.arrange(spec, measured, metrics)

            def arrange_once(spec: Any = spec) -> None:
                arrange_module._arrange.cache_clear()
                arrange_module.arrange(spec, measured, metrics)

            def layout_once(arranged: Any = arranged) -> None:
                layout(arranged, measured, 40.0, metrics=metrics)

            ours, reference = _alternate([arrange_once, layout_once], args.rounds)
            median, worst = statistics.median(ours), max(ours)
            ref = statistics.median(reference)
            verdict = "ok" if worst < LIMIT_S else "SLOW"
            slow += verdict != "ok"
            print(f"{name:<16} {median * 1000:>14.1f} {worst * 1000:>8.1f} "
                  f"{ref * 1000:>14.1f} {median / ref:>6.1f}  {verdict}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
