"""Built-in diagrams: each is a spec file in ``lstmfigs/specs/``, rendered by the engine."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from matplotlib.figure import Figure

from ..diagram.render import render_active
from ..diagram.spec import DiagramSpec
from ..diagram.tomlio import loads_spec
from ..themes import Theme


@lru_cache(maxsize=None)
def builtin_spec(name: str) -> DiagramSpec:
    """The built-in spec ``name`` (loaded from the package's TOML file)."""
    path = resources.files("lstmfigs") / "specs" / f"{name}.toml"
    return loads_spec(path.read_text(encoding="utf-8"), source=f"{name}.toml")


def render_builtin(name: str, *, theme: Theme, highlight: str | None = None,
                   legend: bool = True, equations: bool = False) -> Figure:
    """Render built-in spec ``name`` in the active ``theme`` (a catalog builder)."""
    return render_active(builtin_spec(name), page=theme.page, highlight=highlight,
                         legend=legend, equations=equations, theme=theme)


def lstm_cell(*, theme: Theme, **options) -> Figure:
    """The LSTM cell with its notation legend (``equations=True`` adds the equations)."""
    return render_builtin("lstm-cell", theme=theme, **options)
