"""The one entry point from a figure name (or spec file) to a themed Figure."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from . import catalog
from .diagram.spec import DiagramSpec
from .errors import LstmfigsError, UnknownNameError
from .limits import check_width
from .themes import theme_context

#: The types of the options a figure may take (checked before anything is built).
_OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "highlight": (str, type(None)), "legend": (bool, type(None)),
    "equations": (bool, type(None)), "layers": (int, type(None)),
    "step": (int, type(None)),
}


def is_spec_path(name: Any) -> bool:
    return isinstance(name, (str, os.PathLike)) and os.fspath(name).lower().endswith(".toml")


def check_name(name: Any) -> str:
    """A figure name or spec path as a string; anything else is an :class:`LstmfigsError`."""
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str) or not name:
        raise UnknownNameError(f"a figure is named by a string such as 'lstm-cell' (or a "
                               f".toml spec path), not {name!r:.60}")
    return name


def check_option_types(options: dict[str, Any]) -> None:
    """Options of the wrong type (``legend="no"``, ``layers=2.5``) are errors, not guesses."""
    for key, value in options.items():
        allowed = _OPTION_TYPES.get(key)
        if allowed is None:
            continue
        if isinstance(value, bool) and bool not in allowed:
            allowed = ()  # True is an int to Python, not a number of layers to a user
        if not isinstance(value, allowed):
            names = " or ".join(t.__name__ for t in allowed if t is not type(None)) or "int"
            raise LstmfigsError(f"option {key} must be {names}, not {value!r:.60}")


def check_options(entry: catalog.FigureEntry, options: dict[str, Any]) -> None:
    """Options ``entry`` does not take are an :class:`UnknownNameError` naming its options."""
    unknown = sorted(set(options) - set(entry.options))
    if unknown:
        allowed = ", ".join(entry.options) or "none"
        raise UnknownNameError(
            f"figure '{entry.name}' has no option {', '.join(map(repr, unknown))} "
            f"(its options: {allowed})"
        )


#: The options a diagram drawn from a spec (a file or a DiagramSpec) takes.
SPEC_OPTIONS = ("highlight", "legend", "equations")


def build_figure(name: str | DiagramSpec, theme: str = "paper", *,
                 width: str | float | None = None, font: str | None = None,
                 **options: Any) -> Figure:
    """Build figure ``name`` (catalog name, ``.toml`` spec path or a spec) in ``theme``.

    ``width``: inches, a length with a unit or a venue (see :func:`lstmfigs.limits.check_width`);
    ``font``: ``times``, ``cm`` or ``sans`` instead of the theme's own family.
    """
    from .themes import with_font

    spec = name if isinstance(name, DiagramSpec) else None
    if spec is None:
        name = check_name(name)
    width = check_width(width)
    check_option_types(options)
    theme = with_font(theme, font)
    if spec is not None:
        return _spec_figure(spec, theme, width, options)
    assert isinstance(name, str)
    if is_spec_path(name):
        from .diagram.tomlio import load_spec

        return _spec_figure(load_spec(Path(name)), theme, width, options)
    entry = catalog.get(name)
    check_options(entry, {**options, **({"width": width} if width is not None else {})})
    builder = entry.load()
    if entry.kind == "data":  # numbers first, then the figure draws them (its options are
        data = entry.load_data()(**options)  # all data options: width is the page's)
        with theme_context(theme, width=width) as resolved:
            return builder(theme=resolved, data=data)
    with theme_context(theme, width=width) as resolved:
        return builder(theme=resolved, **options)


def _spec_figure(spec: DiagramSpec, theme: str, width: float | None,
                 options: dict[str, Any]) -> Figure:
    from .diagram.page import diagram_figure

    unknown = sorted(set(options) - set(SPEC_OPTIONS))
    if unknown:
        raise LstmfigsError(f"a spec file has no option {', '.join(map(repr, unknown))}")
    with theme_context(theme, width=width) as resolved:
        return diagram_figure(spec, theme=resolved, **options)
