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
    ``page`` (``fixed`` or ``fit-height``), ``diverging-cmap`` (the colour map for signed
    values on a symmetric scale, a look matplotlib has no rcParam for) and ``venue`` (the
    :data:`lstmfigs.sizes.VENUES` width the sheet's ``figure.figsize`` matches).
    """

    name: str
    sheets: tuple[Path, ...]
    meta: tuple[tuple[str, str], ...] = ()
    #: The checked settings of the user's own sheets (path -> (key, value) pairs): matplotlib
    #: is given these, never the file, so what was checked is what is applied.
    user_params: tuple[tuple[Path, tuple[tuple[str, Any], ...]], ...] = ()

    def setting(self, key: str, default: str) -> str:
        return dict(self.meta).get(key, default)

    @property
    def page(self) -> str:
        return self.setting("page", "fit-height")

    @property
    def venue(self) -> str | None:
        """The LaTeX venue whose width the theme has (``# lstmfigs-venue:``), if any."""
        return dict(self.meta).get("venue")


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


#: Font families a theme can be set in (``font=`` / ``--font``), each a sheet ``font-NAME``
#: stacked last: ``times`` (STIX), ``cm`` (Computer Modern), ``sans`` (DejaVu Sans).  Each
#: theme's own sheet already uses its venue's family (``ieee`` Times, ``paper`` Computer
#: Modern like LaTeX's article, ``slides`` and ``beamer`` sans-serif).
FONTS = ("times", "cm", "sans")
_FONT_PREFIX = "font-"


@lru_cache(maxsize=None)
def _sets_figsize(path: Path) -> bool:
    return any(line.split("#", 1)[0].split(":", 1)[0].strip() == "figure.figsize"
               for line in path.read_text(encoding="utf-8").splitlines())


def theme_names() -> list[str]:
    """The built-in themes, the default (``paper``) first."""
    names = [p.stem for p in _sheet_dir().glob("*.mplstyle")
             if not p.stem.startswith(_FONT_PREFIX)]
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
    user: dict[Path, tuple[tuple[str, Any], ...]] = {}
    for part in theme.split("+"):
        part = part.strip()
        if part.endswith(".mplstyle"):
            path = Path(part).expanduser()
            header, params = read_user_sheet(path)
            user[path] = params
            if path not in sheets:
                sheets.append(path)
            meta.update(header)
            continue
        for sheet in _chain(_builtin_sheet(part)):
            if sheet not in sheets:
                sheets.append(sheet)
            if "venue" not in _header(sheet) and _sets_figsize(sheet):
                meta.pop("venue", None)  # a new size without a venue (slides over paper)
            meta.update(_header(sheet))
    meta.pop("extends", None)
    meta.pop("kind", None)
    return Theme(name=theme, sheets=tuple(sheets), meta=tuple(sorted(meta.items())),
                 user_params=tuple(user.items()))


#: A user's theme file is a few dozen lines; anything larger is not one.
MAX_THEME_BYTES = 100_000
#: Header settings with checked values (None: checked below or not at all); a user's sheet
#: may also carry any other header a built-in sheet uses.
_HEADER_VALUES: dict[str, tuple[str, ...] | None] = {
    "page": ("fixed", "fit-height"), "diverging-cmap": None, "extends": None,
    "venue": None, "kind": ("font",)}


#: rcParams that are about the session, not the look: matplotlib ignores them in styles.
_NOT_STYLE = frozenset({
    "interactive", "backend", "backend_fallback", "webagg.port", "webagg.address",
    "webagg.port_retries", "webagg.open_in_browser", "toolbar", "timezone",
    "figure.max_open_warning", "figure.raise_window", "savefig.directory",
    "tk.window_focus", "docstring.hardcopy", "date.epoch"})


def read_user_sheet(path: Path) -> tuple[dict[str, str], tuple[tuple[str, Any], ...]]:
    """A user's ``.mplstyle`` file, checked like any input: its ``# lstmfigs-`` header and
    its settings, each a real rcParam with a valid value.  The first problem is one
    :class:`UnknownNameError` naming the file and line (matplotlib would print a warning a
    line and carry on)."""
    import matplotlib as mpl

    from .safeio import read_text

    text = read_text(path, "theme file", MAX_THEME_BYTES)
    header: dict[str, str] = {}
    params: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), 1):
        where = f"theme file '{path}', line {number}"
        if line.startswith(_HEADER) and ":" in line:
            key, _, value = line[len(_HEADER):].partition(":")
            key, value = key.strip(), value.strip()
            known = set(_HEADER_VALUES).union(*(_header(_builtin_sheet(name))
                                                for name in theme_names()))
            if key not in known:
                raise UnknownNameError(f"{where}: unknown setting '{_HEADER}{key}'"
                                       f"{did_you_mean(key, known)}")
            allowed = _HEADER_VALUES.get(key)
            if allowed is not None and value not in allowed:
                raise UnknownNameError(f"{where}: {_HEADER}{key} is one of "
                                       f"{', '.join(allowed)}, not {value!r}")
            if key == "diverging-cmap" and value not in mpl.colormaps:
                raise UnknownNameError(f"{where}: unknown colour map {value!r}"
                                       f"{did_you_mean(value, list(mpl.colormaps))}")
            if key == "venue":
                from .sizes import VENUES

                if value not in VENUES:
                    raise UnknownNameError(f"{where}: unknown venue {value!r}"
                                           f"{did_you_mean(value, list(VENUES))}")
            header[key] = value
            continue
        stripped = _strip_comment(line)
        if not stripped:
            continue
        key, colon, value = stripped.partition(":")
        key, value = key.strip(), value.strip()
        if not colon:
            raise UnknownNameError(f"{where}: expected 'key: value', got {line.strip()!r:.60}")
        validators = mpl.RcParams.validate  # rcParam name -> its validating function
        if key not in validators or key in _NOT_STYLE:
            raise UnknownNameError(f"{where}: '{key}' is not a style setting"
                                   f"{did_you_mean(key, validators)}")
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        try:
            params[key] = validators[key](value)
        except Exception as exc:  # matplotlib's validators raise ValueError, TypeError, ...
            raise UnknownNameError(f"{where}: bad value for {key}: {exc}") from None
    header.pop("extends", None)  # a user's sheet stacks where it is named
    return header, tuple(params.items())


def _strip_comment(line: str) -> str:
    """``line`` without its comment and surrounding blanks: matplotlib's rule, a ``#``
    outside double quotes starts a comment."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return line[:index].strip()
    return line.strip()


def check_theme_values(theme_name: str) -> None:
    """The active rcParams (a theme and the caller's overrides) are ones lstmfigs can draw
    with: sizes, resolutions and fonts within the bounds of :mod:`lstmfigs.limits`, no
    LaTeX.  Call inside the style context."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    from .limits import (
        MAX_DPI,
        MAX_FONT_PT,
        MAX_LINEWIDTH_PT,
        MIN_DPI,
        MIN_FONT_PT,
        check_figure_size,
    )

    rc: Any = mpl.rcParams  # read by computed keys
    where = f"theme '{theme_name}'"
    if rc["text.usetex"]:
        raise UnknownNameError(f"{where} sets text.usetex: lstmfigs draws text with mathtext "
                               "and never requires LaTeX; remove that setting")
    width, height = rc["figure.figsize"]
    check_figure_size(float(width), float(height), f"the figure.figsize of {where}")
    for key in ("figure.dpi", "savefig.dpi"):
        value = rc[key]
        if value != "figure" and not MIN_DPI <= float(value) <= MAX_DPI:
            raise UnknownNameError(f"{where}: {key} {value!r} is impossible; use {MIN_DPI:g} "
                                   f"to {MAX_DPI:g}")
    for key in ("font.size", "legend.fontsize", "axes.titlesize", "axes.labelsize",
                "xtick.labelsize", "ytick.labelsize", "figure.titlesize"):
        value = rc[key]
        size = FontProperties(size=value).get_size_in_points() if key != "font.size" \
            else float(value)
        if not MIN_FONT_PT <= size <= MAX_FONT_PT:
            raise UnknownNameError(f"{where}: {key} {value!r} is {size:g} pt; use "
                                   f"{MIN_FONT_PT:g} to {MAX_FONT_PT:g} pt")
    for key in ("lines.linewidth", "patch.linewidth", "axes.linewidth"):
        if not 0 <= float(rc[key]) <= MAX_LINEWIDTH_PT:
            raise UnknownNameError(f"{where}: {key} {rc[key]!r} is impossible; use 0 to "
                                   f"{MAX_LINEWIDTH_PT:g} pt")
    entries = list(rc["axes.prop_cycle"])
    if len(entries) < len(ROLES):
        raise UnknownNameError(
            f"{where}: axes.prop_cycle has {len(entries)} entries; lstmfigs needs one per "
            f"role ({len(ROLES)}: {', '.join(ROLES)})")
    for entry in entries:
        linewidth = entry.get("linewidth", 1.0)
        if not isinstance(linewidth, (int, float)) or not 0 <= linewidth <= MAX_LINEWIDTH_PT:
            raise UnknownNameError(f"{where}: a line width of {linewidth!r} in "
                                   "axes.prop_cycle is impossible")


def with_font(theme: str, font: str | None) -> str:
    """``theme`` set in the font family ``font`` (one of :data:`FONTS`; None keeps the
    theme's own): the theme string ``"THEME+font-FONT"``."""
    if font is None:
        return theme
    if font not in FONTS:
        raise UnknownNameError(f"unknown font '{font}'{did_you_mean(str(font), FONTS)}; "
                               f"fonts: {', '.join(FONTS)}")
    return f"{theme}+{_FONT_PREFIX}{font}"


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

    from .limits import check_dpi, check_figure_size, check_width

    resolved = theme if isinstance(theme, Theme) else resolve_theme(theme)
    width, dpi = check_width(width), check_dpi(dpi)
    user = dict(resolved.user_params)
    styles = [dict(user[p]) if p in user else str(p) for p in resolved.sheets]
    with matplotlib.style.context(styles):
        check_theme_values(resolved.name)
        if width is not None:
            old_width, old_height = mpl.rcParams["figure.figsize"]
            mpl.rcParams["figure.figsize"] = (width, old_height * width / old_width)
            check_figure_size(width, old_height * width / old_width,
                              f"theme '{resolved.name}' at {width:g} in")
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
