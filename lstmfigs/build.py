"""The build path: a request, checked once, and the figure built from it.

A :class:`Request` says what to build: a catalog figure, a ``.toml`` spec file or a
:class:`~lstmfigs.diagram.spec.DiagramSpec`, in which theme, at which width and resolution,
with which options.  :func:`request` checks all of it, once: the name is looked up in the
catalog once, a spec file parsed once, the theme (with its font) resolved once, width and
dpi bounded (:mod:`lstmfigs.limits`), every option checked against the option table
(:mod:`lstmfigs.options`) and the figure's own list, a highlight against the diagram's
steps and an explicit width against the diagram's minimum.

:func:`build` makes the figure; a diagram whose layout has problems is a
:class:`~lstmfigs.errors.LayoutError` (unless the request allows them).  A data figure's
numbers are computed once (:func:`compute_data`) and handed to the figure, to its summary
(:func:`summarise`) and to its data export.  ``lstmfigs.figure`` and ``lstmfigs render``
both go through here, and so do storyboards, animations, TikZ and PowerPoint.  No
matplotlib import at module level.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import catalog
from .diagram.spec import DiagramSpec, validate
from .errors import LstmfigsError, UnknownNameError
from .limits import check_dpi, check_width
from .options import DATA_OPTIONS, DIAGRAM_OPTIONS, SPEC_SHAPING_OPTIONS, check
from .themes import Theme, resolve_theme, theme_context, with_font

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from matplotlib.figure import Figure



@dataclass(frozen=True)
class Request:
    """One figure to build, checked (make it with :func:`request`).

    ``name`` is the catalog name, the spec file's path as given, or a DiagramSpec's name;
    ``entry`` the catalog entry (None for a spec file or a DiagramSpec); ``spec`` the
    diagram's spec, parsed once (None for data figures and for diagrams not drawn from a
    spec); ``theme`` the resolved theme; ``width`` (inches) and ``dpi`` None for the
    theme's own; ``options`` the figure's options, checked, without those not given;
    ``allow_layout_problems`` draws a diagram whose layout has problems instead of
    raising :class:`~lstmfigs.errors.LayoutError`.
    """

    name: str
    theme: Theme
    entry: catalog.FigureEntry | None = None
    spec: DiagramSpec | None = None
    width: float | None = None
    dpi: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    allow_layout_problems: bool = False

    @property
    def kind(self) -> catalog.Kind:
        """``diagram`` or ``data``."""
        return "diagram" if self.entry is None else self.entry.kind

    @property
    def animated(self) -> bool:
        """Whether it has a storyboard and animations: a built-in says so, and any spec
        with highlight steps has them (a user's file too)."""
        if self.entry is not None:
            return self.entry.animated
        return self.spec is not None and bool(self.spec.steps)

    @property
    def accepted(self) -> tuple[str, ...]:
        """The names of the options this figure takes."""
        return DIAGRAM_OPTIONS if self.entry is None else self.entry.options

    @property
    def has_data(self) -> bool:
        """Whether the figure draws numbers (``compute_data`` gives them)."""
        return self.entry is not None and self.entry.data_target is not None

    def data_options(self) -> dict[str, Any]:
        """The options that choose the numbers (``weights``, ``inputs``, ``runs``, ``cell``,
        ``train``)."""
        return {k: v for k, v in self.options.items() if k in DATA_OPTIONS}

    def look_options(self) -> dict[str, Any]:
        """The options that only change the drawing."""
        return {k: v for k, v in self.options.items() if k not in DATA_OPTIONS}

    def with_options(self, **changes: Any) -> Request:
        """This request with some options changed (None removes one), checked as the
        first were: a storyboard's frames, a batch's options.

        Parameters
        ----------
        **changes
            Options to set; a value of None removes that option.

        Returns
        -------
        Request
            A new request (this one is unchanged).

        Raises
        ------
        LstmfigsError
            If an option is unknown or its value is not allowed.
        """
        own_spec = self.spec if self.entry is None else None
        return _checked(self.name, self.entry, own_spec, self.theme, self.width, self.dpi,
                        {**self.options, **changes}, self.allow_layout_problems)


def is_spec_path(name: Any) -> bool:
    """Whether ``name`` names a ``.toml`` spec file (rather than a catalog figure).

    Parameters
    ----------
    name : Any
        A figure name, a path, or anything else.

    Returns
    -------
    bool
        True for a str or path-like whose name ends in ``.toml`` (any case).
    """
    return isinstance(name, (str, os.PathLike)) and os.fspath(name).lower().endswith(".toml")


def check_name(name: Any) -> str:
    """A figure name or spec path as a string; anything else is an :class:`LstmfigsError`.

    Parameters
    ----------
    name : str or os.PathLike

    Returns
    -------
    str

    Raises
    ------
    UnknownNameError
        If ``name`` is not a non-empty string or a path.
    """
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str) or not name:
        raise UnknownNameError(f"a figure is named by a string such as 'lstm-cell' (or a "
                               f".toml spec path), not {name!r:.60}")
    return name


def request(name: str | os.PathLike[str] | DiagramSpec | catalog.FigureEntry,
            theme: str | Theme = "paper", *,
            width: Any = None, dpi: Any = None, font: str | None = None,
            allow_layout_problems: bool = False, **options: Any) -> Request:
    """Check everything about one figure to build, once.

    Parameters
    ----------
    name : str, path, DiagramSpec or FigureEntry
        A catalog name (``lstmfigs list``) or entry, a ``.toml`` spec file or a spec.
    theme : str or Theme
        A theme name (``NAME+NAME`` stacks, a ``.mplstyle`` path adds a sheet of the
        user's) or a resolved theme.
    width : float or str, optional
        Inches, a length with a unit (``345pt``) or a venue (``ieee-column``); default the
        theme's.  A diagram is never narrower than its spec's ``min_width``: an explicit
        width below it is an error (the theme's own width widens to it).
    dpi : float, optional
        Raster resolution of the files written from the figure; default the theme's.
    font : str, optional
        ``times``, ``cm`` or ``sans`` instead of the theme's own family.
    allow_layout_problems : bool, default: False
        Draw a diagram whose layout has problems (:func:`lstmfigs.checks.layout_problems`)
        instead of raising :class:`~lstmfigs.errors.LayoutError` when it is built.
    **options
        The figure's options (:data:`lstmfigs.options.OPTIONS`); None means not given.

    Returns
    -------
    Request
        The checked request, for :func:`build` and the writers.
    """
    entry: catalog.FigureEntry | None = None
    spec: DiagramSpec | None = None
    if isinstance(name, DiagramSpec):
        spec = validate(name)
        label = name.name
    elif isinstance(name, catalog.FigureEntry):
        entry, label = name, name.name
    else:
        label = check_name(name)
        if is_spec_path(label):
            from .diagram.tomlio import load_spec

            spec = load_spec(Path(label))
        else:
            entry = catalog.get(label)
    if isinstance(theme, str):
        theme = resolve_theme(with_font(theme, font))
    elif font is not None:
        raise LstmfigsError("give font= with a theme name, not with a resolved theme")
    if not isinstance(allow_layout_problems, bool):
        raise LstmfigsError(f"allow_layout_problems is True or False, not "
                            f"{allow_layout_problems!r:.60}")
    return _checked(label, entry, spec, theme, check_width(width), check_dpi(dpi), options,
                    allow_layout_problems)


def _checked(name: str, entry: catalog.FigureEntry | None, spec: DiagramSpec | None,
             theme: Theme, width: float | None, dpi: float | None,
             options: dict[str, Any], allow_layout_problems: bool = False) -> Request:
    """The request, once its options are checked against the figure and its spec (a
    built-in diagram's spec follows its options: the chain's layers and steps)."""
    accepted = DIAGRAM_OPTIONS if entry is None else entry.options
    checked = check(name, accepted, options)
    if "cell" in checked:  # a definition is read and checked once, before anything is drawn
        from .cells import Cell
        from .cells import resolve as resolve_cell

        if not isinstance(checked["cell"], (str, os.PathLike, Cell)):
            raise LstmfigsError(f"option cell must be a built-in cell's name, a .toml path or "
                                f"a Cell, not {checked['cell']!r:.60}")
        cell = resolve_cell(checked["cell"])
        from .cells.equations import check_typesetting

        check_typesetting(cell)
        checked["cell"] = cell
    if entry is not None:
        spec = _builtin_spec(entry, checked)
    _check_highlight(name, spec, checked)
    _check_panels(name, spec, checked)
    if width is not None and spec is not None and theme.page != "fixed" \
            and width < spec.min_width:
        raise LstmfigsError(f"diagram '{name}' needs a width of at least "
                            f"{spec.min_width:g} in; {width:.3g} in is too narrow")
    return Request(name, theme, entry, spec, width, dpi, checked, allow_layout_problems)


def _builtin_spec(entry: catalog.FigureEntry, options: dict[str, Any]) -> DiagramSpec | None:
    """The spec a built-in diagram is drawn from with these options (None for data
    figures and for diagrams not drawn from one)."""
    if entry.kind != "diagram":
        return None
    from .figures.diagrams import catalog_spec

    return catalog_spec(entry.name, **{k: v for k, v in options.items()
                                       if k in SPEC_SHAPING_OPTIONS})


def _check_panels(name: str, spec: DiagramSpec | None, options: dict[str, Any]) -> None:
    """A panel asked for by name must have something in it: ``legend=True`` on a diagram
    without a notation legend (or ``equations=True`` without equations) would otherwise be
    silently drawn without it."""
    if spec is None:
        return
    for option, entries, what in (("legend", spec.legend, "notation legend"),
                                  ("equations", spec.equations, "equations")):
        if options.get(option) not in (None, False) and not entries:
            raise LstmfigsError(f"diagram '{name}' has no {what} to show ({option} asked "
                                "for one)")


def _check_highlight(name: str, spec: DiagramSpec | None, options: dict[str, Any]) -> None:
    highlight = options.get("highlight")
    if not highlight:
        return
    if spec is None:
        raise UnknownNameError(f"figure '{name}' has no highlight steps")
    from .diagram.page import check_highlight

    check_highlight(spec, highlight)


def build(req: Request, *, data: dict[str, np.ndarray] | None = None) -> Figure:
    """The figure ``req`` asks for, made in its theme.

    Parameters
    ----------
    req : Request
        What to build (:func:`request`).
    data : dict of str to ndarray, optional
        A data figure's numbers, computed by :func:`compute_data` for this request; given,
        they are drawn as they are (so a figure, its summary and its data export show the
        same numbers, computed once).

    Returns
    -------
    Figure
        A :class:`~lstmfigs.export.ThemedFigure` that saves itself in its theme.

    Raises
    ------
    LayoutError
        If the figure has layout problems (text over text, a wire through a node, clipped
        text, ...: :func:`lstmfigs.checks.layout_problems`), diagram and data figure alike,
        unless ``req.allow_layout_problems``.
    """
    if req.has_data and data is None:
        data = compute_data(req)
    with theme_context(req.theme, width=req.width) as resolved:
        figure: Figure
        if req.entry is None:
            from .diagram.page import diagram_figure

            assert req.spec is not None
            figure = diagram_figure(req.spec, theme=resolved, **req.options)
        else:
            builder = req.entry.load()
            options = dict(req.options)
            if req.has_data:
                options = {"data": data, **req.look_options()}
            figure = builder(theme=resolved, **options)
        if not req.allow_layout_problems:
            from .checks import check_layout

            try:
                check_layout(figure, req.name,
                             what="diagram" if req.kind == "diagram" else "figure")
            except LstmfigsError:
                figure.clear()
                raise
        return figure


def drawn_from(req: Request) -> str:
    """What figure ``req`` is drawn from, as TOML to edit (``lstmfigs spec NAME``).

    A diagram drawn from a spec gives its spec (render the edited file); ``lstm-activity``
    gives the spec of ``lstm-cell``, which it colours; a data figure gives the definition of
    the cell it simulates (``cell``, by default the LSTM), which ``--cell FILE`` takes back.
    Lines starting with ``#`` say which is which.

    Parameters
    ----------
    req : Request
        A checked request (its ``cell`` option, if any, already read).

    Returns
    -------
    str
        TOML, ending in a newline.
    """
    from .diagram.tomlio import dumps_spec

    if req.spec is not None:
        return dumps_spec(req.spec)
    assert req.entry is not None  # only a catalog figure comes without a spec
    name = req.entry.name
    if req.kind == "diagram":
        from .figures.diagrams import builtin_spec

        return (f"# {name} is lstm-cell coloured by a simulation: this is lstm-cell's spec\n"
                f"# (render an edited copy with: lstmfigs render FILE.toml)\n"
                + dumps_spec(builtin_spec("lstm-cell")))
    from . import cells
    from .cells.definition import to_toml

    given = req.options.get("cell")
    cell = given or cells.builtin("lstm")
    note = f"# {name} simulates this cell, {cell.name!r}"
    beside = req.entry.extra.get("beside", ())
    if beside and given is None:
        note += f", beside the built-in {', '.join(beside)}"
    how = (f"# (draw an edited copy with: lstmfigs render {name} --cell FILE.toml)"
           if "cell" in req.accepted else "")
    return "\n".join(line for line in (note, how) if line) + "\n" \
        + (cell.source or to_toml(cell))


def compute_data(req: Request) -> dict[str, np.ndarray]:
    """The numbers behind data figure ``req``, from its data options only.

    Parameters
    ----------
    req : Request
        A data figure's request.

    Returns
    -------
    dict of str to ndarray
        What the figure draws, its summary summarises and ``--data`` writes.
    """
    if req.entry is None or req.entry.data_target is None:
        raise UnknownNameError(f"figure '{req.name}' is a diagram and has no data")
    numbers: dict[str, np.ndarray] = req.entry.load_data()(**req.data_options())
    return numbers


def summarise(req: Request, data: dict[str, np.ndarray]) -> dict[str, Any]:
    """The summary statistics of data figure ``req`` (empty if it has none).

    Parameters
    ----------
    req : Request
        A data figure's request.
    data : dict of str to ndarray
        Its numbers, from :func:`compute_data`.

    Returns
    -------
    dict
        Statistic name -> value, as ``lstmfigs render`` prints them.
    """
    if req.entry is None or req.entry.summary_target is None:
        return {}
    summary: dict[str, Any] = req.entry.load_summary()(data)
    return summary
