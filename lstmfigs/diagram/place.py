"""Placement (a stand-in until the placer lands: nodes in a row, in spec order)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .spec import DiagramSpec


def place(spec: DiagramSpec, sizes: Mapping[str, tuple[float, float]],
          texts: Mapping[str, tuple[float, float]]) -> DiagramSpec:
    """Every node without ``at`` in a row; every node sized to ``sizes``."""
    nodes = tuple(replace(node, at=node.at if node.at is not None else (2.0 * index, 0.0),
                          size=sizes[node.id] if node.kind != "block" else node.size)
                  for index, node in enumerate(spec.nodes))
    return replace(spec, nodes=nodes)
