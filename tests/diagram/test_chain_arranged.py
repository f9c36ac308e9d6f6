"""lstm-chain on the automatic layout: every layers x steps is clean in every theme, at the
theme's width and at the smallest width the layout accepts, or a fixed page refuses it with
one error naming the size it needs.

(``tests/figures/test_variants.py`` checks paper and ieee with the equations panel, the
chain's structure, and which chains a slide must hold.)
"""

from __future__ import annotations

import dataclasses
import re

import matplotlib.pyplot as plt
import pytest

import lstmfigs
from lstmfigs.checks import layout_problems
from lstmfigs.errors import LayoutError
from lstmfigs.figures.diagrams import builtin_spec
from lstmfigs.themes import theme_context

CHAINS = [(layers, steps) for layers in (1, 2, 3, 4) for steps in (2, 3, 4, 5)]
#: What a page too small for a chain says.
NEEDS = re.compile(r"needs a (width|height) of at least (\d+\.\d+) in")


def _problems(fig, theme: str) -> list[str]:
    try:
        with theme_context(theme):
            return layout_problems(fig)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("theme", [t for t in lstmfigs.theme_names()
                                   if t not in ("paper", "ieee")])
@pytest.mark.parametrize("layers,steps", CHAINS)
def test_clean_in_every_theme_or_refused_on_a_fixed_page(layers, steps, theme):
    try:
        fig = lstmfigs.figure("lstm-chain", theme=theme, layers=layers, steps=steps)
    except LayoutError as exc:
        assert NEEDS.search(str(exc)), str(exc)
        # Only a slide's fixed page refuses, and only the four-layer stack (too tall for
        # 22 pt text on 7.5 in, or 8 pt text on beamer's frame).
        assert theme in ("beamer", "slides", "slides-dark")
        assert layers == 4, str(exc)
        return
    assert _problems(fig, theme) == []


@pytest.mark.parametrize("theme", ["paper", "ieee"])
@pytest.mark.parametrize("layers,steps", CHAINS)
def test_clean_at_the_smallest_width_the_layout_accepts(layers, steps, theme):
    """Without its min_width, the chain is drawn at the natural scale (the smallest unit the
    arranged layout allows) at the width its error names: the grid's gaps hold its labels
    there too, not only on the roomier default page."""
    spec = dataclasses.replace(builtin_spec("lstm-chain", layers=layers, steps=steps),
                               min_width=0.0)
    # A column figure asked for 1 in widens to the width the arranged chain needs.
    fig = lstmfigs.figure(spec, theme=theme, width=1.0)
    width = float(fig.get_size_inches()[0])
    assert width > 1.0
    assert _problems(fig, theme) == []
    # The spec's min_width (what a column figure widens to) is at least that width.
    assert builtin_spec("lstm-chain", layers=layers, steps=steps).min_width >= width - 0.01
