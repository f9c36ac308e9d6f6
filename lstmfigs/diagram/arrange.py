"""Arrange: a spec that leaves out coordinates becomes a fully placed and routed one.

A spec may leave out any node's ``at``, any wire's port side, any region's bounds, and may
label wires (``Wire.label``).  :func:`arrange` fills all of them in, at the theme's text
size, so that everything after it (:func:`lstmfigs.diagram.layout.layout`, the painters,
the editable outputs, the checks) sees an ordinary spec:

1. every node is sized to fit its label at the theme's font size
   (:func:`lstmfigs.diagram.layout.node_size`), so a node grown for large text pushes
   its neighbours instead of covering them;
2. :func:`lstmfigs.diagram.place.place` places the nodes in Olah's convention around the
   pinned ones;
3. :func:`lstmfigs.diagram.route.route` routes every wire orthogonally from port to port
   and writes its corners as waypoints;
4. :func:`lstmfigs.diagram.route.place_labels` puts each wire's label beside it;
5. a region without bounds encloses the nodes that are not terminals.

One diagram unit of an arranged spec is :data:`UNIT_EM` times the theme's font size at the
natural scale (or the spec's own ``min_unit``, which a slide lowers for a diagram too large
for it), the smallest at which it is clean; text keeps its size in inches while the
geometry only grows above that scale, so a diagram clean at its natural scale is clean at
every larger width.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache

from .geometry import TERMINAL_GAP, Measure, Metrics, node_size
from .spec import DiagramSpec, Region, parse_port, validate

#: One diagram unit at the natural scale, in multiples of the theme's font size.
UNIT_EM = 1.8
#: The largest a unit is drawn when the page is wider than the diagram needs.
MAX_UNIT_EM = 3.0
#: Room between a generated region's edge and the nodes inside it, in units.
REGION_MARGIN = 0.45


def needs_arrangement(spec: DiagramSpec) -> bool:
    """Whether ``spec`` leaves something for :func:`arrange` to place: a node without
    ``at``, a wire end without a port, a wire label, or a region without bounds.

    Parameters
    ----------
    spec : DiagramSpec

    Returns
    -------
    bool
    """
    return (any(node.at is None for node in spec.nodes)
            or any(not parse_port(w.source)[1] or not parse_port(w.target)[1] or w.label
                   for w in spec.wires)
            or any(region.bounds is None for region in spec.regions))


def arrange(spec: DiagramSpec, measure: Measure, metrics: Metrics) -> DiagramSpec:
    """``spec`` with every node placed and sized, every wire routed and every label placed.

    Parameters
    ----------
    spec : DiagramSpec
        A validated spec (:func:`needs_arrangement` true).
    measure : callable
        ``measure(text, kind) -> (width, height)`` in inches at the theme's font size.
    metrics : Metrics
        The theme's font sizes and line widths.

    Returns
    -------
    DiagramSpec
        A validated spec with nothing left to place, ``min_unit`` :data:`UNIT_EM` and
        ``max_unit`` :data:`MAX_UNIT_EM` (unless the spec sets them).

    Raises
    ------
    LayoutError
        If the spec cannot be placed or routed without problems.
    """
    # inches per unit at the natural scale: the spec's stated floor, else UNIT_EM
    scale = (spec.min_unit or UNIT_EM) * metrics.em
    texts = {node.id: measure(node.label, "terminal" if node.kind == "terminal" else "node")
             for node in spec.nodes if node.label}
    labels = tuple(measure(wire.label, "label") if wire.label else (0.0, 0.0)
                   for wire in spec.wires)
    return _arrange(spec, tuple(sorted(texts.items())), labels, scale, metrics.em)


@lru_cache(maxsize=64)
def _arrange(spec: DiagramSpec, texts: tuple[tuple[str, tuple[float, float]], ...],
             labels: tuple[tuple[float, float], ...], scale: float, em: float) -> DiagramSpec:
    """:func:`arrange` on measured text (cached: a storyboard lays one spec out per step)."""
    from .place import place
    from .route import place_labels, route

    measured = dict(texts)
    sizes = {node.id: node_size(node, _units(measured.get(node.id), scale), em / scale)
             for node in spec.nodes}
    text_units: dict[str, tuple[float, float]] = {
        node.id: _units(measured[node.id], scale) or (0.0, 0.0)
        for node in spec.nodes if node.kind == "terminal" and node.id in measured}
    text_units.update({str(index): _units(size, scale) or (0.0, 0.0)
                       for index, size in enumerate(labels) if spec.wires[index].label})
    placed = place(spec, sizes, text_units)
    routed = route(placed, _terminal_label_boxes(placed, text_units, scale))
    labelled = place_labels(routed, text_units)
    arranged = replace(
        labelled,
        regions=tuple(_enclose(region, labelled) for region in labelled.regions),
        min_unit=spec.min_unit or UNIT_EM,
        max_unit=spec.max_unit or MAX_UNIT_EM)
    return validate(arranged)


def _units(size: tuple[float, float] | None, scale: float) -> tuple[float, float] | None:
    return None if size is None else (size[0] / scale, size[1] / scale)


def _terminal_label_boxes(spec: DiagramSpec, texts: Mapping[str, tuple[float, float]],
                          scale: float) -> tuple[tuple[float, float, float, float], ...]:
    """Where the terminals' labels will be drawn, in units: obstacles for the router."""
    boxes = []
    gap = TERMINAL_GAP / scale
    for node in spec.nodes:
        if node.kind != "terminal" or node.id not in texts or node.at is None:
            continue
        (x, y), (w, h) = node.at, texts[node.id]
        side = node.label_side
        x0 = {"left": x - gap - w, "right": x + gap}.get(side, x - w / 2)
        y0 = {"above": y + gap, "below": y - gap - h}.get(side, y - h / 2)
        boxes.append((x0, y0, x0 + w, y0 + h))
    return tuple(boxes)


def _enclose(region: Region, spec: DiagramSpec) -> Region:
    """``region`` with bounds around every node that is not a terminal, if it has none."""
    if region.bounds is not None:
        return region
    boxes = []
    for node in spec.nodes:
        if node.kind == "terminal" or node.at is None:
            continue
        w, h = node.size or (0.0, 0.0)
        boxes.append((node.at[0] - w / 2, node.at[1] - h / 2,
                      node.at[0] + w / 2, node.at[1] + h / 2))
    x0 = min(b[0] for b in boxes) - REGION_MARGIN
    y0 = min(b[1] for b in boxes) - REGION_MARGIN
    x1 = max(b[2] for b in boxes) + REGION_MARGIN
    y1 = max(b[3] for b in boxes) + REGION_MARGIN
    return replace(region, bounds=(x0, y0, x1 - x0, y1 - y0))


__all__ = ["MAX_UNIT_EM", "REGION_MARGIN", "UNIT_EM", "arrange", "needs_arrangement"]
