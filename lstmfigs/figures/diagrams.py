"""Built-in diagrams: each is a spec, rendered by the engine.

A spec is either a TOML file in ``lstmfigs/specs/`` or a :class:`~.variants.SpecEdit` of
another built-in spec (the LSTM variants); both are data.  Every diagram's catalog builder
is this module's attribute of the same name with ``_`` for ``-`` (``lstm_nig``), made on
demand by :func:`__getattr__`, so adding a spec adds no code here.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any, Callable

from matplotlib.figure import Figure

from ..diagram.page import diagram_figure
from ..diagram.spec import DiagramSpec
from ..diagram.tomlio import loads_spec
from ..errors import UnknownNameError
from ..themes import Theme
from .variants import VARIANTS, apply_edit

_EDITS = {edit.name: edit for edit in VARIANTS}


def _spec_files() -> list[str]:
    folder = resources.files("lstmfigs") / "specs"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def builtin_names() -> list[str]:
    """Every built-in spec name (TOML files and variants)."""
    return sorted(set(_spec_files()) | set(_EDITS))


@lru_cache(maxsize=None)
def builtin_spec(name: str) -> DiagramSpec:
    """The built-in spec ``name`` (a package TOML file, or a variant edit of one)."""
    if name in _EDITS:
        edit = _EDITS[name]
        return apply_edit(builtin_spec(edit.base), edit)
    if name not in _spec_files():
        raise UnknownNameError(f"no built-in diagram spec '{name}'")
    path = resources.files("lstmfigs") / "specs" / f"{name}.toml"
    return loads_spec(path.read_text(encoding="utf-8"), source=f"{name}.toml")


def _builtin_figure(name: str, *, theme: Theme, **options: Any) -> Figure:
    """Built-in spec ``name`` as a figure in the active ``theme`` (what every builder does)."""
    return diagram_figure(builtin_spec(name), theme=theme, **options)


def lstm_cell(*, theme: Theme, **options: Any) -> Figure:
    """The LSTM cell with its notation legend (``equations=True`` adds the equations)."""
    return _builtin_figure("lstm-cell", theme=theme, **options)


def catalog_spec(name: str, *, layers: int = 1, steps: int | None = None
                 ) -> DiagramSpec | None:
    """The spec catalog diagram ``name`` is drawn from with these spec options (None for
    a diagram not drawn from a built-in spec): what the build path checks a request
    against and ``lstmfigs spec`` prints."""
    if name == "lstm-chain":
        if layers not in (1, 2) or steps not in (None, 3):
            raise UnknownNameError(f"lstm-chain: layers must be 1 or 2 and steps 3, got "
                                   f"layers={layers!r}, steps={steps!r}")
        return builtin_spec("lstm-chain" if layers == 1 else "lstm-chain-stacked")
    return builtin_spec(name) if name in builtin_names() else None


def lstm_chain(*, theme: Theme, layers: int = 1, steps: int | None = None,
               **options: Any) -> Figure:
    """The LSTM unrolled over three time steps; ``layers=2`` stacks a second layer."""
    spec = catalog_spec("lstm-chain", layers=layers, steps=steps)
    assert spec is not None
    return diagram_figure(spec, theme=theme, **options)


def __getattr__(attr: str) -> Callable[..., Figure]:
    """``rnn_cell``, ``lstm_nig``, ...: the catalog builder of each built-in spec."""
    name = attr.replace("_", "-")
    if attr.startswith("_") or name not in builtin_names():
        raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")

    def build(*, theme: Theme, **options: Any) -> Figure:
        return _builtin_figure(name, theme=theme, **options)

    build.__name__ = attr
    build.__doc__ = f"The built-in diagram '{name}' (see ``lstmfigs spec {name}``)."
    return build
