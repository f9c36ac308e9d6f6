"""Themes: matplotlib style sheets in ``styles/`` (shipped as ``lstmfigs/*.mplstyle``).

A theme is one short sheet.  ``paper`` is the root and holds the camera-ready settings
(TrueType fonts, reproducible SVG ids, mathtext); every other sheet extends one sheet with a
header comment ``# lstmfigs-extends: NAME`` (``slides-dark`` extends ``slides``, which
extends ``paper``).  Header comments also carry the two looks matplotlib has no rcParam
for: ``# lstmfigs-diverging-cmap: NAME``, the colour map for signed values on a symmetric
scale, and ``# lstmfigs-page:``, which says whether a diagram keeps the sheet's figure height (``fixed``: slides stay 16:9) or takes the
height its content needs at the sheet's width (``fit-height``: a column figure has no
wasted space).  Comments are ignored by matplotlib, so every sheet is also a plain style,
stacked as SciencePlots' sheets are: ``plt.style.use("lstmfigs.paper")``, or
``plt.style.use(style_names("slides-dark"))`` for
``["lstmfigs.paper", "lstmfigs.slides", "lstmfigs.slides-dark"]``.

Roles (see :mod:`lstmfigs.roles`) take their looks from ``axes.prop_cycle``: entry k of
the cycle styles role ``ROLES[k]``.  Other elements use ordinary rcParams: region fill and
border ``patch.facecolor``/``patch.edgecolor``/``patch.linewidth``; text ``text.color`` and
``font.*``; background ``figure.facecolor``.

A theme argument may also stack several names with ``+`` (``"paper+print"``) or name a
``.mplstyle`` file of the user's, applied last.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .errors import UnknownNameError, did_you_mean
from .roles import ROLES, role_index

if TYPE_CHECKING:  # pragma: no cover
    from .export import ThemedFigure

_HEADER = "# lstmfigs-"


@dataclass(frozen=True)
class Theme:
    """A resolved theme: the sheets to apply, in order, and their header settings.

    ``meta`` merges the sheets' ``# lstmfigs-KEY: VALUE`` lines (later sheets win):
    ``page`` (``fixed`` or ``fit-height``) and ``diverging-cmap`` (the colour map for signed
    values on a symmetric scale, a look matplotlib has no rcParam for).
    """

    name: str
    sheets: tuple[Path, ...]
    meta: tuple[tuple[str, str], ...] = ()

    def setting(self, key: str, default: str) -> str:
        return dict(self.meta).get(key, default)

    @property
    def page(self) -> str:
        return self.setting("page", "fit-height")


def _sheet_dir() -> Path:
    return Path(str(resources.files("lstmfigs")))


@lru_cache(maxsize=None)
def _header(path: Path) -> dict[str, str]:
    """The ``# lstmfigs-KEY: VALUE`` lines at the top of a sheet."""
    meta: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(_HEADER) and ":" in line:
            key, _, value = line[len(_HEADER):].partition(":")
            meta[key.strip()] = value.strip()
    return meta


def theme_names() -> list[str]:
    """The built-in themes, the default (``paper``) first."""
    names = [p.stem for p in _sheet_dir().glob("*.mplstyle")]
    # The default first, then alphabetical.
    return sorted(names, key=lambda n: (n != "paper", n))


def _builtin_sheet(name: str) -> Path:
    path = _sheet_dir() / f"{name}.mplstyle"
    if not path.is_file():
        known = theme_names()
        raise UnknownNameError(
            f"unknown theme '{name}'{did_you_mean(name, known, n=2)}; themes: {', '.join(known)}"
        )
    return path


def _chain(path: Path, seen: tuple[Path, ...] = ()) -> list[Path]:
    """``path`` preceded by the sheets it extends."""
    if path in seen:
        raise UnknownNameError(f"theme '{path.stem}' extends itself")
    parent = _header(path).get("extends")
    return (_chain(_builtin_sheet(parent), seen + (path,)) if parent else []) + [path]


def resolve_theme(theme: str) -> Theme:
    """Turn a theme argument into the list of sheets to apply."""
    if not isinstance(theme, str) or not theme.strip():
        raise UnknownNameError(f"a theme is a name such as 'paper', not {theme!r}")
    # The root sheet first, always: a user's own sheet stacks on the camera-ready settings.
    sheets: list[Path] = [_builtin_sheet("paper")]
    meta: dict[str, str] = dict(_header(sheets[0]))
    for part in theme.split("+"):
        part = part.strip()
        if part.endswith(".mplstyle"):
            path = Path(part).expanduser()
            if not path.is_file():
                raise UnknownNameError(f"theme file '{part}' does not exist")
            chain = [path]
        else:
            chain = _chain(_builtin_sheet(part))
        for sheet in chain:
            if sheet not in sheets:
                sheets.append(sheet)
            meta.update(_header(sheet))
    meta.pop("extends", None)
    return Theme(name=theme, sheets=tuple(sheets), meta=tuple(sorted(meta.items())))


def style_names(theme: str) -> list[str]:
    """The dotted matplotlib style names that make up a built-in theme, root first."""
    return [f"lstmfigs.{p.stem}" if p.parent == _sheet_dir() else str(p)
            for p in resolve_theme(theme).sheets]


@contextlib.contextmanager
def theme_context(theme: str | Theme, *, width: float | None = None, dpi: float | None = None,
                  transparent: bool | None = None) -> Iterator[Theme]:
    """Apply ``theme`` (plus size, dpi and transparency overrides) for the ``with`` block.

    ``width`` (inches) overrides the sheet's figure width; a fixed page keeps its aspect.
    """
    import matplotlib as mpl
    import matplotlib.style

    resolved = theme if isinstance(theme, Theme) else resolve_theme(theme)
    with matplotlib.style.context([str(p) for p in resolved.sheets]):
        if width is not None:
            old_width, old_height = mpl.rcParams["figure.figsize"]
            mpl.rcParams["figure.figsize"] = (width, old_height * width / old_width)
        if dpi is not None:
            mpl.rcParams["savefig.dpi"] = dpi
        if transparent is not None:
            mpl.rcParams["savefig.transparent"] = transparent
        yield resolved


@dataclass(frozen=True)
class RoleStyle:
    """How the active theme draws one role."""

    color: Any
    linestyle: Any = "-"
    linewidth: float = 1.0


def role_style(role: str) -> RoleStyle:
    """The active theme's look for ``role`` (call inside :func:`theme_context`)."""
    import matplotlib as mpl

    entries = list(mpl.rcParams["axes.prop_cycle"])
    if len(entries) < len(ROLES):
        raise UnknownNameError(
            f"the theme's axes.prop_cycle has {len(entries)} entries; "
            f"lstmfigs needs one per role ({len(ROLES)}: {', '.join(ROLES)})"
        )
    entry = entries[role_index(role)]
    return RoleStyle(
        color=entry.get("color", mpl.rcParams["lines.color"]),
        linestyle=entry.get("linestyle", "-"),
        linewidth=float(entry.get("linewidth", mpl.rcParams["lines.linewidth"])),
    )


def new_figure(figsize: tuple[float, float] | None = None, theme: Theme | None = None) -> "ThemedFigure":
    """A Figure that remembers its theme, so ``fig.savefig`` writes camera-ready files.

    Call inside :func:`theme_context`; no pyplot, so no global figure manager is involved.
    """
    from .export import ThemedFigure

    return ThemedFigure(figsize=figsize, theme=theme)
