"""Walks over a diagram spec's wires, node to node (``spec.edges()``: (source, target) ids)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def successors(spec: Any) -> dict[str, set[str]]:
    """Each node's id -> the ids of the nodes its wires run to."""
    out: dict[str, set[str]] = {}
    for source, target in spec.edges():
        out.setdefault(source, set()).add(target)
    return out


def predecessors(spec: Any) -> dict[str, set[str]]:
    """Each node's id -> the ids of the nodes whose wires run into it."""
    out: dict[str, set[str]] = {}
    for source, target in spec.edges():
        out.setdefault(target, set()).add(source)
    return out


def walk(spec: Any, start: str, *, backwards: bool = False,
         through: Callable[[str], bool] | None = None) -> set[str]:
    """The nodes reached from ``start`` along wires (against them if ``backwards``).

    A reached node is included; the walk goes on past it only if ``through(node)`` is true
    (default: past every node).  ``start`` is included only when a cycle leads back to it.
    """
    neighbours = predecessors(spec) if backwards else successors(spec)
    reached: set[str] = set()
    todo = list(neighbours.get(start, ()))
    while todo:
        node = todo.pop()
        if node in reached:
            continue
        reached.add(node)
        if through is None or through(node):
            todo += neighbours.get(node, ())
    return reached


def reaches(spec: Any, start: str, goal: str, *, backwards: bool = False,
            through: Callable[[str], bool] | None = None) -> bool:
    """Whether ``goal`` is ``start`` or is reached from it (see :func:`walk`)."""
    return start == goal or goal in walk(spec, start, backwards=backwards, through=through)
