"""The figure catalog: the one piece of global state in lstmfigs.

An entry names a figure and points at the function that builds it as a
``"module:function"`` string, so listing the catalog (``lstmfigs list``, ``--help``)
imports neither matplotlib nor the figure code.  Entries are declared in small registry
modules, one per family of figures, listed in ``_REGISTRY_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import UnknownNameError, did_you_mean

Kind = Literal["diagram", "data"]


@dataclass(frozen=True)
class FigureEntry:
    """One built-in figure.

    ``target`` is ``"package.module:function"``; the function is called by the build path
    (:func:`lstmfigs.build.build`) inside the theme's style context as
    ``function(theme=..., **options)`` and returns a Figure.  A figure with a
    ``data_target`` draws numbers: ``data_target(**data_options)`` computes them once (a
    mapping of arrays), and the figure is called as ``function(theme=..., data=...,
    **look_options)``; ``summary_target(data)`` returns summary statistics (a mapping of
    name to value) that the CLI prints after rendering.
    ``options`` names the keyword options the figure accepts beyond ``theme``: each is in
    the option table, :data:`lstmfigs.options.OPTIONS` (``width`` is every figure's).
    """

    name: str
    kind: Kind
    summary: str
    target: str
    options: tuple[str, ...] = ()
    data_target: str | None = None
    summary_target: str | None = None
    animated: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def load(self) -> Callable[..., Any]:
        return _resolve(self.target)

    def load_data(self) -> Callable[..., Any]:
        if self.data_target is None:
            raise UnknownNameError(f"figure '{self.name}' is a diagram and has no data")
        return _resolve(self.data_target)


    def load_summary(self) -> Callable[..., Any]:
        if self.summary_target is None:
            raise UnknownNameError(f"figure '{self.name}' has no summary statistics")
        return _resolve(self.summary_target)


def _resolve(target: str) -> Callable[..., Any]:
    module_name, _, attr = target.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module_name), attr)
    return function


_CATALOG: dict[str, FigureEntry] = {}

# Each module registers its entries on import.  Keep them free of heavy imports.
_REGISTRY_MODULES: tuple[str, ...] = (
    "lstmfigs.figures.registry",
    "lstmfigs.datafigs.registry",
)
_loaded = False


def register(entry: FigureEntry) -> FigureEntry:
    """Add ``entry`` to the catalog.

    Parameters
    ----------
    entry : FigureEntry
        A figure whose name is not taken yet and whose options are all in the option
        table (:data:`lstmfigs.options.OPTIONS`).

    Returns
    -------
    FigureEntry
        ``entry``.
    """
    from .options import OPTIONS

    unknown = sorted(set(entry.options) - set(OPTIONS) - {"width"})
    if unknown:
        raise ValueError(f"figure '{entry.name}' takes options that lstmfigs.options does "
                         f"not declare: {', '.join(unknown)}")
    if entry.name in _CATALOG and _CATALOG[entry.name] != entry:
        raise ValueError(f"figure name '{entry.name}' is registered twice")
    _CATALOG[entry.name] = entry
    return entry


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module_name in _REGISTRY_MODULES:
            importlib.import_module(module_name)


def entries() -> list[FigureEntry]:
    """Every built-in figure, diagrams first, then by name."""
    _ensure_loaded()
    return sorted(_CATALOG.values(), key=lambda e: (e.kind != "diagram", e.name))


def get(name: str) -> FigureEntry:
    """The entry called ``name``; an unknown name raises with the nearest matches.

    Parameters
    ----------
    name : str
        A figure's name, as ``lstmfigs list`` prints it.

    Returns
    -------
    FigureEntry

    Raises
    ------
    UnknownNameError
        If there is no figure called ``name``.
    """
    _ensure_loaded()
    try:
        return _CATALOG[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown figure '{name}'{did_you_mean(name, _CATALOG, n=3)}; "
            "run 'lstmfigs list' for the catalog"
        ) from None

