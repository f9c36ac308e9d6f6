'''Themes: tables of named roles in ``styles/``, and the style sheets made from them.

A theme is one TOML table, ``styles/NAME.toml`` (shipped as ``lstmfigs/NAME.toml``); it is
the only place a look is defined.  ``tools/make_styles.py`` writes each table out as a
self-contained matplotlib style sheet, ``styles/NAME.mplstyle`` (a test holds the two in
step), so ``plt.style.use("lstmfigs.ieee")`` alone gives a user's own plots the theme's
fonts, sizes and colour cycle, TrueType (Type 42) fonts and constrained layout.

A table has up to five sections; every one but ``[theme]`` is optional::

    [theme]
    description = "one IEEE column, Times-like 8 pt text"   # `lstmfigs themes` shows it
    extends = "paper"           # start from this theme's table (every theme but paper)
    page = "fit-height"         # or "fixed": a diagram keeps the figure height (slides)
    crossing = "gap"            # or "hop", "none": how a diagram shows wires that cross
    diverging-cmap = "RdBu_r"   # colour map for signed values on a symmetric scale
    kind = "font"               # only in font tables (font-NAME.toml), which stack last

    [size]                      # figure.figsize, through lstmfigs.sizes.figsize
    width = "ieee-column"       # a venue (lstmfigs.sizes.VENUES), a length or inches
    height = 3.19               # inches; or ratio = 0.5625 (height over width)

    [roles]                     # the look of each role of lstmfigs.roles.ROLES
    cell_state = { color = "#0072B2", linestyle = "-", linewidth = 1.6 }
    forget_gate = { linestyle = [0, [6, 2]] }   # a dash pattern: [offset, [on, off, ...]]

    [own-roles]                 # the look of a spec's own role, by name (optional)
    normalizer_state = { linestyle = ":" }      # replaces what its derived look says

    [region]                    # a region (the cell body): patch.facecolor/edgecolor/linewidth
    fill = "#F4F4F4"
    edgecolor = "#7F7F7F"
    linewidth = 0.8

    [rc]                        # any other style rcParam, by its matplotlib name
    "font.size" = 8

A spec may declare its own roles (``[roles] normalizer_state = "cell_state"``): each takes
its look from its base role, :data:`OWN_ROLE_TINT` of the way towards the page's background
and dashed where the base is solid (dotted where the base is dashed), so two states on two
rails differ in colour and, in grayscale, in dash (:meth:`Theme.own_role`).  A theme may
style an own role by name in ``[own-roles]``; what it names replaces the derived fields.

A table that extends another changes only what it names: one field of one role, one rcParam.
The root, ``paper``, names every role in full and holds the camera-ready settings.  The
colour cycle ``axes.prop_cycle`` is generated from ``[roles]`` in the order of
:data:`lstmfigs.roles.ROLES`, so a user's plot under the sheet draws in the roles' colours;
lstmfigs never takes a role's look from a cycle position: :func:`role_style` reads the
table of the active theme (outside :func:`theme_context`, the whole cycle only tells which
built-in sheet is in use).  A theme names its venue when ``[size] width`` is one
(:attr:`Theme.venue`).

A theme argument may stack several names with ``+`` (``"ieee+print"``: each later theme
adds what its own table, and the tables it extends that are not applied yet, say), and may
name a user's own table (``mine.toml``, same format, checked entry by entry) or a plain
``.mplstyle`` file (rcParams only, with optional ``# lstmfigs-page:``, ``# lstmfigs-venue:``
``# lstmfigs-diverging-cmap:`` and ``# lstmfigs-crossing:`` comment lines), applied in the
order given.
'''

from __future__ import annotations

import contextlib
import contextvars
import math
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LstmfigsError, UnknownNameError, did_you_mean
from .roles import ALL_ROLES, ROLES, canonical_role

if TYPE_CHECKING:  # pragma: no cover
    from .export import ThemedFigure

_HEADER = "# lstmfigs-"
#: The default theme, and the root every theme stacks on.
DEFAULT_THEME = "paper"

#: Font families a theme can be set in (``font=`` / ``--font``), each a table ``font-NAME``
#: stacked last: ``times`` (STIX), ``cm`` (Computer Modern), ``sans`` (DejaVu Sans).  Each
#: theme's own table already uses its venue's family (``ieee`` Times, ``paper`` Computer
#: Modern like LaTeX's article, ``slides`` and ``beamer`` sans-serif).
FONTS = ("times", "cm", "sans")
_FONT_PREFIX = "font-"

#: A user's theme file is a few dozen lines; anything larger is not one.
MAX_THEME_BYTES = 100_000


@dataclass(frozen=True)
class RoleStyle:
    """How a theme draws one role: its colour, line style and line width (points)."""

    color: Any
    linestyle: Any = "-"
    linewidth: float = 1.0


# -- tables ---------------------------------------------------------------------------------

_SECTIONS = ("theme", "size", "roles", "own-roles", "region", "rc")
#: The [theme] settings and their allowed values (None: any text, checked elsewhere).
_THEME_KEYS: dict[str, tuple[str, ...] | None] = {
    "description": None, "extends": None, "page": ("fixed", "fit-height"),
    "diverging-cmap": None, "kind": ("theme", "font"), "crossing": ("gap", "hop", "none")}
_ROLE_FIELDS = ("color", "linestyle", "linewidth")
#: [region] field -> the rcParam it sets.
_REGION_RC = {"fill": "patch.facecolor", "edgecolor": "patch.edgecolor",
              "linewidth": "patch.linewidth"}
#: rcParams a table sets through its own sections, not through [rc].
_GENERATED_RC = ("axes.prop_cycle", "figure.figsize", *_REGION_RC.values())

#: rcParams that are about the session, not the look: matplotlib ignores them in styles.
_NOT_STYLE = frozenset({
    "interactive", "backend", "backend_fallback", "webagg.port", "webagg.address",
    "webagg.port_retries", "webagg.open_in_browser", "toolbar", "timezone",
    "figure.max_open_warning", "figure.raise_window", "savefig.directory",
    "tk.window_focus", "docstring.hardcopy", "date.epoch"})


@dataclass(frozen=True)
class ThemeTable:
    """One theme table as written: only what it names (see the module docstring)."""

    name: str
    path: Path
    settings: Mapping[str, str]  # [theme]
    size: Mapping[str, Any]  # [size]: its width as written, and the figsize it makes
    roles: Mapping[str, Mapping[str, Any]]  # [roles]: role -> the fields it names
    own_roles: Mapping[str, Mapping[str, Any]]  # [own-roles]: a spec's role -> its fields
    region: Mapping[str, Any]  # [region]
    rc: Mapping[str, Any]  # [rc]

    @property
    def extends(self) -> str | None:
        return self.settings.get("extends")

    @property
    def is_font(self) -> bool:
        return self.settings.get("kind") == "font"


def _tables_dir() -> Path:
    return Path(str(resources.files("lstmfigs")))


def _fail(where: str, message: str) -> UnknownNameError:
    return UnknownNameError(f"{where}: {message}")


def parse_table(text: str, name: str, path: Path, where: str) -> ThemeTable:
    """A theme table from its TOML ``text``, its structure checked (names of sections,
    settings, roles and fields; types; sizes and widths in bounds).  Values matplotlib
    judges (colours, rcParams) are checked by :func:`check_table_values`.

    Parameters
    ----------
    text : str
        The table, in TOML.
    name : str
        The theme's name (the file's stem).
    path : Path
        Where it was read from.
    where : str
        How error messages name it (``"theme file 'mine.toml'"``).

    Returns
    -------
    ThemeTable
    """
    from .limits import MAX_LINEWIDTH_PT

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(where, f"not a TOML table ({exc})") from None
    for section, value in data.items():
        _check_name(section, _SECTIONS, "section", where)
        if not isinstance(value, dict):
            raise _fail(where, f"[{section}] is a table, not {type(value).__name__}")
    settings = data.get("theme", {})
    for key, value in settings.items():
        _check_name(key, _THEME_KEYS, "[theme] setting", where)
        allowed = _THEME_KEYS[key]
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            raise _fail(where, f"[theme] {key} is "
                               f"{'one of ' + ', '.join(allowed) if allowed else 'text'}, "
                               f"not {value!r}")
    size = data.get("size", {})
    for key in size:
        _check_name(key, ("width", "height", "ratio"), "[size] setting", where)
    if size and ("width" not in size or ("height" in size) == ("ratio" in size)):
        raise _fail(where, "[size] names a width and either a height (inches) or a ratio "
                           "(height over width)")
    if size:
        size = {"width": size["width"], "figsize": _figsize(size, where)}
    roles: dict[str, dict[str, Any]] = {}
    for role, fields in data.get("roles", {}).items():
        _check_name(role, ROLES, "role", where)
        roles[role] = _role_fields(role, fields, where)
    own_roles: dict[str, dict[str, Any]] = {}
    for role, fields in data.get("own-roles", {}).items():
        if role in ALL_ROLES:
            raise _fail(where, f"'{role}' is a built-in role: style it in [roles]")
        if not (role[:1].isascii() and role[:1].isalpha()
                and all(c.isascii() and (c.isalnum() or c == "_") for c in role)):
            raise _fail(where, f"[own-roles] '{role}' is not a role name (letters, digits and "
                               "'_', starting with a letter)")
        own_roles[role] = _role_fields(role, fields, where)
    region = dict(data.get("region", {}))
    for key, value in region.items():
        _check_name(key, tuple(_REGION_RC), "[region] field", where)
        if key == "linewidth":
            region[key] = _linewidth(value, f"{where}: [region]", MAX_LINEWIDTH_PT)
        elif not isinstance(value, str):
            raise _fail(where, f"[region] {key} is a colour such as \"#F4F4F4\"")
    rc = data.get("rc", {})
    for key in rc:
        if key in _GENERATED_RC:
            section = {"axes.prop_cycle": "[roles]", "figure.figsize": "[size]"}.get(
                key, "[region]")
            raise _fail(where, f"{key} is not set in [rc]: it comes from {section}")
    return ThemeTable(name=name, path=path, settings=dict(settings), size=size, roles=roles,
                      own_roles=own_roles, region=region, rc=dict(rc))


def _role_fields(role: str, fields: Any, where: str) -> dict[str, Any]:
    """The fields a table gives one role, checked (colours are checked by matplotlib in
    :func:`check_table_values`)."""
    from .limits import MAX_LINEWIDTH_PT

    if not isinstance(fields, dict):
        raise _fail(where, f"role '{role}' is a table such as {{ color = \"#0072B2\" }}")
    checked: dict[str, Any] = {}
    for key, value in fields.items():
        _check_name(key, _ROLE_FIELDS, f"field of role '{role}'", where)
        if key == "linewidth":
            value = _linewidth(value, f"{where}: role '{role}'", MAX_LINEWIDTH_PT)
        elif key == "linestyle":
            value = _linestyle(value, f"{where}: role '{role}'")
        elif not isinstance(value, str):
            raise _fail(where, f"the color of role '{role}' is text such as \"#0072B2\"")
        checked[key] = value
    return checked


def _figsize(size: Mapping[str, Any], where: str) -> tuple[float, float]:
    """``figure.figsize`` from a ``[size]`` section, through :func:`lstmfigs.sizes.figsize`."""
    from .sizes import figsize

    try:
        if "ratio" in size:
            return figsize(size["width"], ratio=size["ratio"])
        width, _ = figsize(size["width"])
    except LstmfigsError as exc:
        raise _fail(where, f"[size]: {exc}") from None
    height = size["height"]
    if isinstance(height, bool) or not isinstance(height, (int, float)) \
            or not math.isfinite(height) or height <= 0:
        raise _fail(where, f"[size] height is a positive number of inches, not {height!r}")
    return width, float(height)


def _check_name(name: str, known: Iterable[str], what: str, where: str) -> None:
    if name not in known:
        raise _fail(where, f"unknown {what} '{name}'{did_you_mean(name, known)}; known: "
                           f"{', '.join(known)}")


def _linewidth(value: Any, where: str, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not 0 <= value <= limit:
        raise UnknownNameError(f"{where}: a line width of {value!r} is impossible; use 0 to "
                               f"{limit:g} pt")
    return float(value)


def _linestyle(value: Any, where: str) -> Any:
    """A named style ("-", "--", ":", "-.") or a dash pattern [offset, [on, off, ...]]."""
    if isinstance(value, str):
        if value in ("-", "--", "-.", ":", "solid", "dashed", "dashdot", "dotted"):
            return value
    elif (isinstance(value, list) and len(value) == 2 and _is_length(value[0])
          and isinstance(value[1], list) and value[1] and len(value[1]) % 2 == 0
          and all(_is_length(v) for v in value[1]) and any(v > 0 for v in value[1])):
        return (value[0], tuple(value[1]))
    raise UnknownNameError(f"{where}: linestyle is '-', '--', '-.', ':' or a dash pattern "
                           f"[offset, [on, off, ...]], not {value!r}")


def _is_length(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(value) and 0 <= value <= 1000)


def check_table_values(table: ThemeTable, where: str) -> None:
    """The values of ``table`` that matplotlib judges: every colour a colour, every
    ``[rc]`` key a real style rcParam with a valid value, the colour map a known one.

    Parameters
    ----------
    table : ThemeTable
    where : str
        How error messages name the table.

    Returns
    -------
    None
        Raises :class:`~lstmfigs.errors.UnknownNameError` naming the first bad value.
    """
    import matplotlib as mpl
    from matplotlib.colors import is_color_like

    cmap = table.settings.get("diverging-cmap")
    if cmap is not None and cmap not in mpl.colormaps:
        raise _fail(where, f"unknown colour map {cmap!r}{did_you_mean(cmap, list(mpl.colormaps))}")
    for role, fields in (*table.roles.items(), *table.own_roles.items()):
        if "color" in fields and not is_color_like(fields["color"]):
            raise _fail(where, f"role '{role}': {fields['color']!r} is not a colour")
    for key in ("fill", "edgecolor"):
        if key in table.region and not is_color_like(table.region[key]):
            raise _fail(where, f"[region] {key}: {table.region[key]!r} is not a colour")
    for key, value in table.rc.items():
        _check_rc(key, value, where)


def _check_rc(key: str, value: Any, where: str) -> Any:
    """``value`` validated as rcParam ``key`` (the validated value)."""
    import matplotlib as mpl

    validators = mpl.RcParams.validate  # rcParam name -> its validating function
    if key not in validators or key in _NOT_STYLE:
        raise _fail(where, f"'{key}' is not a style setting{did_you_mean(key, validators)}")
    try:
        return validators[key](value)
    except Exception as exc:  # noqa: BLE001  (matplotlib's validators raise ValueError, TypeError, ...)
        raise _fail(where, f"bad value for {key}: {exc}") from None


@cache
def _builtin_table(name: str) -> ThemeTable:
    path = _tables_dir() / f"{name}.toml"
    if name not in table_names():
        known = theme_names()
        raise UnknownNameError(
            f"unknown theme '{name}'{did_you_mean(name, known, n=2)}; themes: {', '.join(known)}")
    return parse_table(path.read_text(encoding="utf-8"), name, path, f"theme '{name}'")


def theme_names() -> list[str]:
    """The built-in themes, the default (``paper``) first, then alphabetical.

    Returns
    -------
    list of str
    """
    names = [p.stem for p in _tables_dir().glob("*.toml") if not p.stem.startswith(_FONT_PREFIX)]
    return sorted(names, key=lambda n: (n != DEFAULT_THEME, n))


def table_names() -> list[str]:
    """Every built-in table: the themes and the fonts (``font-NAME``).

    Returns
    -------
    list of str
    """
    return sorted(p.stem for p in _tables_dir().glob("*.toml"))


def _chain(table: ThemeTable, seen: tuple[str, ...] = ()) -> list[ThemeTable]:
    """``table`` preceded by the tables it extends, root first."""
    if table.name in seen:
        raise UnknownNameError(f"theme '{table.name}' extends itself")
    parent = table.extends
    return (_chain(_builtin_table(parent), seen + (table.name,)) if parent else []) + [table]


# -- resolved themes ------------------------------------------------------------------------

@dataclass(frozen=True)
class Theme:
    """A resolved theme: every rcParam to apply, every role's look, the page settings.

    :attr:`params` are applied in one ``matplotlib.style.context``; :attr:`roles` are what
    :func:`role_style` returns; :attr:`settings` merge the tables' ``[theme]`` sections
    (later ones win): ``page``, ``diverging-cmap``, ``description``.  Kept as tuples, so a
    theme is immutable and a figure that carries one still pickles.
    """

    name: str
    param_items: tuple[tuple[str, Any], ...]
    role_items: tuple[tuple[str, RoleStyle], ...]
    setting_items: tuple[tuple[str, str], ...] = ()
    #: ``[own-roles]``: a spec's own role -> the fields the theme gives it by name.
    own_role_items: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    #: The venue (:data:`lstmfigs.sizes.VENUES`) whose width ``figure.figsize`` has, if any.
    venue: str | None = None
    #: The files it was read from, in order (tables and a user's sheets).
    sources: tuple[Path, ...] = ()

    @property
    def params(self) -> dict[str, Any]:
        """Every rcParam the theme sets (a new dict)."""
        return dict(self.param_items)

    @property
    def roles(self) -> dict[str, RoleStyle]:
        """Every role of :data:`lstmfigs.roles.ROLES` and its look (a new dict)."""
        return dict(self.role_items)

    @property
    def settings(self) -> dict[str, str]:
        """The merged ``[theme]`` settings (a new dict)."""
        return dict(self.setting_items)

    def setting(self, key: str, default: str) -> str:
        """The ``[theme]`` setting ``key`` (``page``, ``diverging-cmap``), or ``default``.

        Parameters
        ----------
        key : str
            A ``[theme]`` setting's name.
        default : str
            What to return when the theme does not set ``key``.

        Returns
        -------
        str
        """
        return self.settings.get(key, default)

    @property
    def page(self) -> str:
        """``fixed`` (a diagram keeps the figure height) or ``fit-height``."""
        return self.setting("page", "fit-height")

    @property
    def crossing(self) -> str:
        """How a diagram shows two wires crossing without joining: ``gap`` (one is broken
        either side of the other), ``hop`` (one jumps the other) or ``none``."""
        return self.setting("crossing", "gap")

    @property
    def description(self) -> str:
        return self.setting("description", "")

    def role(self, role: str) -> RoleStyle:
        """The look of ``role`` (or of the role it is an alias of).

        Parameters
        ----------
        role : str
            A role's name or an alias of one.

        Returns
        -------
        RoleStyle

        Raises
        ------
        KeyError
            If the theme has no such role.
        """
        return self.roles[canonical_role(role)]

    def own_role(self, role: str, base: str) -> RoleStyle:
        """The look of a spec's own role ``role``, which derives from built-in role ``base``:
        :func:`derived_style` of the base's look, with the fields the theme's
        ``[own-roles]`` gives ``role`` by name in their place.

        Parameters
        ----------
        role : str
            The spec's own role (``normalizer_state``).
        base : str
            The built-in role (or alias) it derives from (``cell_state``).

        Returns
        -------
        RoleStyle
        """
        from dataclasses import replace

        face = self.params.get("figure.facecolor", "white")
        look = derived_style(self.role(base), "white" if face in ("none", "auto") else face)
        named = dict(self.own_role_items).get(role)
        return replace(look, **dict(named)) if named else look


#: How far an own role's colour lies from its base role's, towards the page's background
#: (0: the same colour, 1: the background).  Far enough to tell two rails apart, in grey
#: too; near enough that a highlight's dimming (0.78) still reads as dimmer.
OWN_ROLE_TINT = 0.35
#: An own role's dash where its base's line is solid: on and off in multiples of the line
#: width (matplotlib scales dashes with it), longer than the built-in "--" so that it also
#: differs from the print theme's dashed gates.
OWN_ROLE_DASH: tuple[float, tuple[float, ...]] = (0.0, (5.0, 2.0))
_SOLID = ("-", "solid")


def derived_style(base: RoleStyle, background: Any) -> RoleStyle:
    """The look of an own role derived from its base role's ``base`` on a page of colour
    ``background``: the same line width, the colour :data:`OWN_ROLE_TINT` of the way to
    the background, and dashed (:data:`OWN_ROLE_DASH`) where the base is solid, dotted
    where it is dashed (dashed where it is dotted).

    Parameters
    ----------
    base : RoleStyle
        The base role's look.
    background : color
        The page's colour.

    Returns
    -------
    RoleStyle
    """
    from matplotlib.colors import to_hex, to_rgb

    (r, g, b), (pr, pg, pb) = to_rgb(base.color), to_rgb(background)
    tint = OWN_ROLE_TINT
    color = to_hex((r + (pr - r) * tint, g + (pg - g) * tint, b + (pb - b) * tint))
    if base.linestyle in _SOLID:
        linestyle: Any = OWN_ROLE_DASH
    elif base.linestyle in (":", "dotted"):
        linestyle = "--"
    else:
        linestyle = ":"
    return RoleStyle(color=color, linestyle=linestyle, linewidth=base.linewidth)


class _Merged:
    """The state of a theme while its layers are applied in order."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self.roles: dict[str, dict[str, Any]] = {}
        self.own_roles: dict[str, dict[str, Any]] = {}
        self.settings: dict[str, str] = {}
        self.venue: str | None = None
        self.applied: list[Path] = []

    def add_table(self, table: ThemeTable) -> None:
        if table.path in self.applied:
            return
        self.applied.append(table.path)
        self.settings.update(table.settings)
        if table.size:
            self.params["figure.figsize"] = table.size["figsize"]
            width = table.size["width"]
            self.venue = width if isinstance(width, str) and width.strip().lower() in _venues() \
                else None
        for role, fields in table.roles.items():
            self.roles.setdefault(role, {}).update(fields)
        for role, fields in table.own_roles.items():
            self.own_roles.setdefault(role, {}).update(fields)
        for key, value in table.region.items():
            self.params[_REGION_RC[key]] = value
        self.params.update(table.rc)

    def add_sheet(self, path: Path, header: Mapping[str, str],
                  params: Mapping[str, Any]) -> None:
        self.applied.append(path)
        if "figure.figsize" in params:
            self.venue = None  # a new size; its own header may name its venue
        self.venue = header.get("venue", self.venue)
        self.settings.update({k: v for k, v in header.items() if k != "venue"})
        self.params.update(params)

    def theme(self, name: str) -> Theme:
        missing = [(role, key) for role in ROLES for key in _ROLE_FIELDS
                   if key not in self.roles.get(role, {})]
        if missing:  # only a broken built-in table gets here: paper names every field
            raise UnknownNameError(f"theme '{name}' does not give role '{missing[0][0]}' a "
                                   f"{missing[0][1]}")
        roles = {role: RoleStyle(**self.roles[role]) for role in ROLES}
        params = dict(self.params)
        params["axes.prop_cycle"] = prop_cycle(roles)
        settings = {k: v for k, v in self.settings.items() if k not in ("extends", "kind")}
        return Theme(name=name, param_items=tuple(params.items()),
                     role_items=tuple(roles.items()), setting_items=tuple(settings.items()),
                     own_role_items=tuple((role, tuple(fields.items()))
                                          for role, fields in self.own_roles.items()),
                     venue=self.venue, sources=tuple(self.applied))


def _venues() -> Mapping[str, Any]:
    from .sizes import VENUES

    return VENUES


def prop_cycle(roles: Mapping[str, RoleStyle]) -> Any:
    """The colour cycle of a theme: its roles' colours, line styles and widths, in the order
    of :data:`lstmfigs.roles.ROLES`, as a ``cycler`` for ``axes.prop_cycle``.

    Parameters
    ----------
    roles : mapping of str to RoleStyle

    Returns
    -------
    cycler.Cycler
    """
    from cycler import cycler

    return cycler(color=[roles[r].color for r in ROLES],
                  linestyle=[roles[r].linestyle for r in ROLES],
                  linewidth=[roles[r].linewidth for r in ROLES])


def resolve_theme(theme: str) -> Theme:
    """Turn a theme argument into everything it sets.

    Parameters
    ----------
    theme : str
        A built-in name (``"ieee"``), names stacked with ``+`` (``"ieee+print"``,
        ``"slides+font-cm"``), or the path of a user's ``.toml`` table or ``.mplstyle``
        sheet, in any combination.  The default theme is always applied first.

    Returns
    -------
    Theme
    """
    if not isinstance(theme, str) or not theme.strip():
        raise UnknownNameError(f"a theme is a name such as 'paper', not {theme!r}")
    merged = _Merged()
    # The root first, always: a user's own sheet stacks on the camera-ready settings.
    merged.add_table(_builtin_table(DEFAULT_THEME))
    for part in theme.split("+"):
        part = part.strip()
        if part.endswith(".mplstyle"):
            path = Path(part).expanduser()
            header, params = read_user_sheet(path)
            merged.add_sheet(path, header, dict(params))
            continue
        table = read_user_table(Path(part).expanduser()) if part.endswith(".toml") \
            else _builtin_table(part)
        for each in _chain(table):
            merged.add_table(each)
    return merged.theme(theme)


@cache
def builtin_theme(name: str) -> Theme:
    """The built-in theme ``name`` alone (cached: built-in tables do not change).

    Parameters
    ----------
    name : str
        A built-in theme's name (``paper``, ...).

    Returns
    -------
    Theme
    """
    return resolve_theme(name)


# -- a user's own files ---------------------------------------------------------------------

def read_user_table(path: Path) -> ThemeTable:
    """A user's theme table (``mine.toml``, the format of ``styles/*.toml``), checked like
    any input: the first problem is one :class:`UnknownNameError` naming the file.

    Parameters
    ----------
    path : Path

    Returns
    -------
    ThemeTable
    """
    from .safeio import read_text

    text = read_text(path, "theme file", MAX_THEME_BYTES)
    where = f"theme file '{path}'"
    table = parse_table(text, path.stem, path, where)
    if table.extends is not None and table.extends not in theme_names():
        raise _fail(where, f"[theme] extends unknown theme '{table.extends}'"
                           f"{did_you_mean(table.extends, theme_names(), n=2)}")
    check_table_values(table, where)
    return table


#: Header comments a user's ``.mplstyle`` may carry, with their allowed values (None: any).
_SHEET_HEADERS: dict[str, tuple[str, ...] | None] = {
    "page": ("fixed", "fit-height"), "diverging-cmap": None, "venue": None,
    "crossing": _THEME_KEYS["crossing"]}


def read_user_sheet(path: Path) -> tuple[dict[str, str], tuple[tuple[str, Any], ...]]:
    """A user's ``.mplstyle`` file, checked like any input: its ``# lstmfigs-`` header and
    its settings, each a real rcParam with a valid value.  The first problem is one
    :class:`UnknownNameError` naming the file and line (matplotlib would print a warning a
    line and carry on).

    Parameters
    ----------
    path : Path

    Returns
    -------
    header : dict of str to str
        The ``# lstmfigs-KEY: VALUE`` settings.
    params : tuple of (str, value) pairs
        The validated rcParams, in the file's order.
    """
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
            if key == "extends":
                raise _fail(where, f"a sheet extends nothing: stack it on the theme "
                                   f"('{value}+{path.name}') or write a table with "
                                   f"[theme] extends = \"{value}\"")
            if key not in _SHEET_HEADERS:
                raise _fail(where, f"unknown setting '{_HEADER}{key}'"
                                   f"{did_you_mean(key, _SHEET_HEADERS)}")
            allowed = _SHEET_HEADERS[key]
            if allowed is not None and value not in allowed:
                raise _fail(where, f"{_HEADER}{key} is one of {', '.join(allowed)}, "
                                   f"not {value!r}")
            if key == "diverging-cmap" and value not in mpl.colormaps:
                raise _fail(where, f"unknown colour map {value!r}"
                                   f"{did_you_mean(value, list(mpl.colormaps))}")
            if key == "venue" and value not in _venues():
                raise _fail(where, f"unknown venue {value!r}{did_you_mean(value, _venues())}")
            header[key] = value
            continue
        stripped = _strip_comment(line)
        if not stripped:
            continue
        key, colon, value = stripped.partition(":")
        key, value = key.strip(), value.strip()
        if not colon:
            raise _fail(where, f"expected 'key: value', got {line.strip()!r:.60}")
        if key == "axes.prop_cycle":
            raise _fail(where, "axes.prop_cycle does not style lstmfigs' roles: give them "
                               "their looks in a theme table (mine.toml, [roles])")
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        params[key] = _check_rc(key, value, where)
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


# -- style sheets -------------------------------------------------------------------------

def sheet_text(name: str) -> str:
    """The self-contained style sheet of built-in table ``name``, as
    ``tools/make_styles.py`` writes it to ``styles/NAME.mplstyle``: for a theme, every
    rcParam of the theme and the tables it extends; for a font, the font's own settings
    (font sheets stack on a theme).

    Parameters
    ----------
    name : str
        A built-in theme or font table (``"ieee"``, ``"font-cm"``).

    Returns
    -------
    str
    """
    table = _builtin_table(name)
    if table.is_font:
        params: Mapping[str, Any] = table.rc
        stacks = f'plt.style.use(["lstmfigs.ieee", "lstmfigs.{name}"]) sets a theme in it.'
    else:
        params = builtin_theme(name).params
        stacks = f'plt.style.use("lstmfigs.{name}") alone gives the whole theme.'
    title = f'font "{name[len(_FONT_PREFIX):]}"' if table.is_font else f'theme "{name}"'
    generated = (f"# Generated from styles/{name}.toml by tools/make_styles.py: edit the "
                 "table, then run the tool.")
    lines = [f'# lstmfigs {title}: {table.settings.get("description", "")}', generated,
             f"# {stacks}"]
    lines += [f"{key}: {_sheet_value(value)}" for key, value in params.items()]
    return "\n".join(lines) + "\n"


def _sheet_value(value: Any) -> str:
    """``value`` as a style sheet writes it (read back by matplotlib's validators)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_sheet_value(v) for v in value)
    if hasattr(value, "by_key"):  # a cycler
        # Colours without their '#', which would start a comment in a sheet.
        by_key = value.by_key()
        items = ", ".join(
            f"{key}={[_sheet_value(v) if key == 'color' else v for v in by_key[key]]!r}"
            for key in sorted(by_key, key=_cycle_order))
        return f"cycler({items})"
    text = str(value)
    return text.removeprefix("#")  # '#' would start a comment


def _cycle_order(key: str) -> tuple[int, str]:
    return (_ROLE_FIELDS.index(key) if key in _ROLE_FIELDS else len(_ROLE_FIELDS), key)


# -- applying a theme -----------------------------------------------------------------------

#: The theme of the innermost :func:`theme_context` (None outside any).
_ACTIVE: contextvars.ContextVar[Theme | None] = contextvars.ContextVar("lstmfigs_theme",
                                                                      default=None)


def active_theme() -> Theme:
    """The theme of the innermost :func:`theme_context`.

    Outside one (a user's own Axes under ``plt.style.use("lstmfigs.slides-dark")``), the
    built-in theme whose sheet is in use, recognised by its whole colour cycle, which the
    sheet generates from the table; the default theme if none is.

    Returns
    -------
    Theme
    """
    theme = _ACTIVE.get()
    if theme is not None:
        return theme
    import matplotlib as mpl

    cycle = mpl.rcParams["axes.prop_cycle"]
    for name in theme_names():
        if builtin_theme(name).params["axes.prop_cycle"] == cycle:
            return builtin_theme(name)
    return builtin_theme(DEFAULT_THEME)


def check_theme_values(theme_name: str) -> None:
    """The active rcParams (a theme and the caller's overrides) are ones lstmfigs can draw
    with: sizes, resolutions and fonts within the bounds of :mod:`lstmfigs.limits`, no
    LaTeX.  Call inside the style context.

    Parameters
    ----------
    theme_name : str
        How error messages name the theme.

    Returns
    -------
    None
    """
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


def with_font(theme: str, font: str | None) -> str:
    """``theme`` set in the font family ``font``.

    Parameters
    ----------
    theme : str
    font : str or None
        One of :data:`FONTS`; None keeps the theme's own.

    Returns
    -------
    str
        The theme string ``"THEME+font-FONT"``.
    """
    if font is None:
        return theme
    if font not in FONTS:
        raise UnknownNameError(f"unknown font '{font}'{did_you_mean(str(font), FONTS)}; "
                               f"fonts: {', '.join(FONTS)}")
    return f"{theme}+{_FONT_PREFIX}{font}"


@contextlib.contextmanager
def theme_context(theme: str | Theme, *, width: float | None = None) -> Iterator[Theme]:
    """Apply ``theme`` for the ``with`` block: its rcParams, and its roles for
    :func:`role_style`.

    Parameters
    ----------
    theme : str or Theme
        A theme argument (see :func:`resolve_theme`) or a resolved theme.
    width : float, optional
        The figure width in inches, instead of the theme's; a fixed page keeps its aspect.

    Yields
    ------
    Theme
        The resolved theme.
    """
    import matplotlib as mpl
    import matplotlib.style

    from .limits import check_figure_size, check_width

    resolved = theme if isinstance(theme, Theme) else resolve_theme(theme)
    width = check_width(width)
    with matplotlib.style.context(resolved.params):
        check_theme_values(resolved.name)
        if width is not None:
            old_width, old_height = mpl.rcParams["figure.figsize"]
            mpl.rcParams["figure.figsize"] = (width, old_height * width / old_width)
            check_figure_size(width, old_height * width / old_width,
                              f"theme '{resolved.name}' at {width:g} in")
        token = _ACTIVE.set(resolved)
        try:
            yield resolved
        finally:
            _ACTIVE.reset(token)


def role_style(role: str, theme: Theme | None = None,
               own_roles: Iterable[tuple[str, str]] = ()) -> RoleStyle:
    """The look of ``role`` in a theme's table.

    Parameters
    ----------
    role : str
        A role of :data:`lstmfigs.roles.ALL_ROLES` (an alias takes its role's look), or one
        of ``own_roles``.
    theme : Theme, optional
        The theme; by default the active one (:func:`active_theme`).  Code that replays a
        figure's rcParams later (``fig._rc``) passes the figure's ``fig.theme``.
    own_roles : iterable of (str, str), optional
        A spec's own roles and the built-in role each derives from (``spec.roles``): their
        looks come from :meth:`Theme.own_role`.

    Returns
    -------
    RoleStyle
    """
    resolved = theme or active_theme()
    base = dict(own_roles).get(role)
    return resolved.own_role(role, base) if base is not None else resolved.role(role)


def new_figure(figsize: tuple[float, float] | None = None,
               theme: Theme | None = None) -> ThemedFigure:
    """A Figure that remembers its theme, so ``fig.savefig`` writes camera-ready files.

    Call inside :func:`theme_context`; no pyplot, so no global figure manager is involved.
    It lays nothing out, whatever ``figure.constrained_layout.use`` says (the sheets turn
    it on for users' plots): lstmfigs' figures place their axes themselves, and a data
    figure sets its engine explicitly.

    Parameters
    ----------
    figsize : (float, float), optional
        Width and height in inches; the theme's ``figure.figsize`` by default.
    theme : Theme, optional
        The theme it was made in.

    Returns
    -------
    ThemedFigure
    """
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    from .export import ThemedFigure

    fig = ThemedFigure(figsize=figsize, theme=theme, layout="none")
    # Not None: matplotlib puts a figure's engine back after each savefig, and an engine of
    # None would then be taken from figure.constrained_layout.use, which the theme turns on,
    # so a second format would be laid out anew.  A placeholder is an explicit "none".
    fig.set_layout_engine(PlaceHolderLayoutEngine(adjust_compatible=True,
                                                  colorbar_gridspec=True))
    return fig
