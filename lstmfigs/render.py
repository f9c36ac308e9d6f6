"""The one entry point from a figure name (or spec file) to a themed Figure."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from . import catalog
from .errors import LstmfigsError
from .themes import theme_context

#: Physical limits that catch typos (a width of 350 in) before matplotlib runs out of memory.
MIN_WIDTH, MAX_WIDTH = 1.0, 50.0


def check_width(width: float | None) -> float | None:
    if width is None:
        return None
    if not isinstance(width, (int, float)) or not math.isfinite(width) \
            or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise LstmfigsError(f"impossible width {width!r} in: use {MIN_WIDTH:g} to {MAX_WIDTH:g} inches")
    return float(width)


def is_spec_path(name: str) -> bool:
    return str(name).lower().endswith(".toml")


def build_figure(name: str, theme: str = "paper", *, width: float | None = None,
                 **options: Any) -> Figure:
    """Build figure ``name`` (catalog name or ``.toml`` spec path) in ``theme``."""
    width = check_width(width)
    if is_spec_path(name):
        from .diagram.render import render_active
        from .diagram.tomlio import load_spec

        spec = load_spec(Path(name))
        unknown = sorted(set(options) - {"highlight", "legend", "equations"})
        if unknown:
            raise LstmfigsError(f"a spec file has no option {', '.join(map(repr, unknown))}")
        with theme_context(theme, width=width) as resolved:
            return render_active(spec, page=resolved.page, theme=resolved, **options)
    entry = catalog.get(name)
    from . import _check_options

    _check_options(entry, {**options, **({"width": width} if width is not None else {})})
    builder = entry.load()
    with theme_context(theme, width=width) as resolved:
        return builder(theme=resolved, **options)
