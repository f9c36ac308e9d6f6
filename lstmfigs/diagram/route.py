"""Routing (a stand-in until the router lands: the side facing the other end)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from .spec import DiagramSpec, Label, parse_port


def route(spec: DiagramSpec, obstacles: Sequence[tuple[float, float, float, float]] = ()
          ) -> DiagramSpec:
    """Every wire end without a port gets the side facing the other end."""
    at = {node.id: node.at or (0.0, 0.0) for node in spec.nodes}
    wires = []
    for wire in spec.wires:
        (s, sp), (t, tp) = parse_port(wire.source), parse_port(wire.target)
        dx, dy = at[t][0] - at[s][0], at[t][1] - at[s][1]
        out = ("e" if dx >= 0 else "w") if abs(dx) >= abs(dy) else ("n" if dy > 0 else "s")
        into = {"e": "w", "w": "e", "n": "s", "s": "n"}[out]
        wires.append(replace(wire, source=f"{s}.{sp or out}", target=f"{t}.{tp or into}"))
    return replace(spec, wires=tuple(wires))


def place_labels(spec: DiagramSpec, texts: Mapping[str, tuple[float, float]]) -> DiagramSpec:
    """Each wire label at its wire's source."""
    at = {node.id: node.at or (0.0, 0.0) for node in spec.nodes}
    labels = list(spec.labels)
    wires = []
    for index, wire in enumerate(spec.wires):
        if wire.label:
            labels.append(Label(wire.label, at[parse_port(wire.source)[0]], role=wire.role,
                                id=f"{wire.id or f'wire{index}'}-label", steps=wire.steps))
        wires.append(replace(wire, label=""))
    return replace(spec, wires=tuple(wires), labels=tuple(labels))
