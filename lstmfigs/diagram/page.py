"""A diagram on a page: spec -> validated -> layout -> artists, in the active theme.

The two entry points are :func:`diagram_figure` (a new figure: the diagram and, below or
beside it, the notation legend and the equations panel) and :func:`draw` (the diagram alone,
into an Axes of the caller's).  The figure is as wide as the theme says; on a ``fit-height``
theme it is as tall as the diagram and its panels need, on a ``fixed`` page (slides) the
diagram is fitted into the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import LayoutError, LstmfigsError, UnknownNameError
from ..limits import check_figure_size
from ..themes import Theme, new_figure, theme_context
from .layout import DiagramLayout, layout
from .paint import DiagramArtists, draw_diagram, paint_page, text_measurer, theme_metrics
from .panels import PagePlan, plan_page
from .spec import DiagramSpec, validate


@dataclass
class RenderedDiagram:
    """The pieces of a rendered diagram (``figure.lstmfigs_diagram`` on the result)."""

    layout: DiagramLayout
    artists: DiagramArtists
    legend_texts: list[Any]
    equation_texts: list[Any]
    panel_axes: list[Axes]
    #: Where everything went: figure size, the diagram's box and the panels' contents.
    page: PagePlan | None = None


def check_highlight(spec: DiagramSpec, highlight: str | None) -> str | None:
    """``highlight`` if it is one of ``spec``'s steps; None or empty means no highlight.

    Parameters
    ----------
    spec : DiagramSpec
        The diagram.
    highlight : str or None
        A step's name, or None or ``""`` for none.

    Returns
    -------
    str or None

    Raises
    ------
    UnknownNameError
        If ``highlight`` is not one of ``spec.steps``.
    """
    if highlight is None or highlight == "":
        return None
    if highlight not in spec.steps:
        steps = ", ".join(spec.steps) or "none"
        raise UnknownNameError(f"unknown highlight step '{highlight}' for '{spec.name}' "
                               f"(steps: {steps})")
    return highlight


def check_activity(spec: DiagramSpec, activity: Mapping[str, float] | None
                   ) -> dict[str, float] | None:
    """Activity values name existing nodes or wires and lie in [0, 1].

    Parameters
    ----------
    spec : DiagramSpec
        The diagram.
    activity : mapping of str to float, or None
        Node ids or wire ids (:meth:`DiagramSpec.wire_id`) and their values.

    Returns
    -------
    dict of str to float, or None
        The values as floats (None if ``activity`` is None).

    Raises
    ------
    UnknownNameError
        If a key names no node or wire of ``spec``.
    LstmfigsError
        If a value is not a finite number in [0, 1].
    """
    if activity is None:
        return None
    known = {n.id for n in spec.nodes} | {spec.wire_id(i) for i in range(len(spec.wires))}
    checked = {}
    for key, value in activity.items():
        if key not in known:
            raise UnknownNameError(f"activity for '{key}': '{spec.name}' has no node or wire "
                                   "of that id")
        value = float(value)
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise LstmfigsError(f"activity for '{key}' must be in [0, 1], got {value}")
        checked[key] = value
    return checked


def draw(spec: DiagramSpec, *, ax: Axes, highlight: str | None = None,
         activity: Mapping[str, float] | None = None,
         allow_layout_problems: bool = False) -> DiagramArtists:
    """Draw ``spec`` into the caller's Axes, scaled to fit it, in the theme active now.

    Parameters
    ----------
    spec : DiagramSpec
        The diagram (validated here).
    ax : Axes
        Where to draw; the diagram is fitted into its box (no legend or equations panel).
    highlight : str, optional
        A highlight step of ``spec``: everything not in it is dimmed.
    activity : mapping of str to float, optional
        Node or wire id -> value in [0, 1]: each listed element dimmed by how inactive it is.
    allow_layout_problems : bool, default: False
        Draw the diagram even if its layout in this box has problems.

    Returns
    -------
    DiagramArtists
        The artists drawn, by element id.

    Raises
    ------
    LayoutError
        If the box is too small for the diagram's text (the error names the width needed),
        or the diagram laid out in it has problems
        (:func:`lstmfigs.checks.geometry_problems`: text over text, a node or a wire, a wire
        through a node, ...), unless ``allow_layout_problems``.  Nothing is drawn then.
    """
    validate(spec)
    highlight = check_highlight(spec, highlight)
    activity = check_activity(spec, activity)
    fig = ax.get_figure(root=True)
    assert fig is not None  # an Axes always belongs to a figure
    bbox = ax.get_position()
    fig_w, fig_h = fig.get_size_inches()
    diagram = layout(spec, text_measurer(fig), bbox.width * fig_w, bbox.height * fig_h,
                     metrics=theme_metrics(spec.roles))
    if not allow_layout_problems:
        from ..checks import geometry_problems, layout_error

        problems = geometry_problems(diagram)
        if problems:
            raise layout_error(spec.name, problems, "in the axes given")
    return draw_diagram(diagram, ax, highlight=highlight, activity=activity)


def diagram_figure(spec: DiagramSpec, *, theme: Theme, highlight: str | None = None,
                   legend: bool | None = None, equations: bool | str | None = False,
                   activity: Mapping[str, float] | None = None) -> Figure:
    """A new figure of ``spec`` with its panels, in ``theme``, which must be active now.

    Parameters
    ----------
    spec : DiagramSpec
        The diagram (validated here).
    theme : Theme
        The resolved theme active now (``lstmfigs.themes.theme_context``): its width and
        page kind (``fixed`` slide or ``fit-height`` column) size the figure.
    highlight : str, optional
        A highlight step of ``spec``: everything not in it is dimmed, its equations lit.
    legend : bool, optional
        The notation legend below the diagram; None (the default everywhere) shows it when
        the spec has one, so a spec file printed by ``lstmfigs spec NAME`` renders exactly
        like ``NAME``.
    equations : bool or str, optional
        The equations panel: "beside" the diagram, "below" it, or "auto" (also True: beside
        unless that shrinks the diagram; see :func:`~lstmfigs.diagram.panels.plan_page`);
        None or False: none.
    activity : mapping of str to float, optional
        Node or wire id -> value in [0, 1]: each listed element dimmed by how inactive it
        is (the frames of a data-driven animation).

    Returns
    -------
    Figure
        A :class:`~lstmfigs.export.ThemedFigure`; ``fig.lstmfigs_diagram`` holds the
        layout and artists (:class:`RenderedDiagram`).
    """
    page = theme.page
    if legend is None:
        legend = bool(spec.legend)
    validate(spec)
    highlight = check_highlight(spec, highlight)
    activity = check_activity(spec, activity)
    width, page_height = mpl.rcParams["figure.figsize"]
    if page != "fixed":  # a slide keeps its size; a column figure may widen to stay legible
        width = max(width, spec.min_width)
    if width <= 0 or page_height <= 0:
        raise LstmfigsError(f"impossible figure size {width} x {page_height} in")
    fig = new_figure(figsize=(width, page_height), theme=theme)
    try:
        plan = plan_page(spec, text_measurer(fig), theme_metrics(spec.roles), width=width,
                         page_height=page_height, fixed=page == "fixed", legend=legend,
                         equations=equations)
    except LayoutError as exc:
        # A column figure widens to the width an arranged diagram needs at the theme's
        # text size (spanning both columns rather than colliding); a slide cannot.
        if page == "fixed" or exc.needed_width is None or exc.needed_width <= width:
            raise
        width = math.ceil(exc.needed_width * 100) / 100
        fig.set_size_inches(width, page_height)
        plan = plan_page(spec, text_measurer(fig), theme_metrics(spec.roles), width=width,
                         page_height=page_height, fixed=False, legend=legend,
                         equations=equations)
    # Far-apart nodes in a small spec would make a figure kilometres tall: refuse it here,
    # before any canvas is allocated.
    check_figure_size(*plan.size, f"diagram '{spec.name}'")
    fig.set_size_inches(*plan.size)
    artists, legend_texts, equation_texts, panels = paint_page(
        fig, plan, highlight=highlight, activity=activity)
    # What scene, svgedit and checks read back: the layout and the artists drawn from it.
    fig.lstmfigs_diagram = RenderedDiagram(  # type: ignore[attr-defined]
        plan.diagram, artists, legend_texts, equation_texts, panels, plan)
    return fig


def check_drawable(spec: DiagramSpec, theme: str | Theme = "paper", *, source: str = "",
                   allow_layout_problems: bool = False) -> None:
    """Everything rendering ``spec`` would check, without writing a file: its mathtext at
    the font sizes of every built-in theme, full renders in ``theme`` (as drawn by
    default, and with the legend and equations on) saved in memory in every format, and
    its layout: every problem :func:`lstmfigs.checks.layout_problems` finds in those
    renders, and what :func:`~lstmfigs.checks.geometry_problems` finds in its layout in
    every built-in theme (a spec clean in one theme may overlap in another, whose text is
    larger).  So ``lstmfigs validate`` passes exactly what ``lstmfigs render`` can draw.

    Parameters
    ----------
    spec : DiagramSpec
        The diagram to check.
    theme : str or Theme, default: "paper"
        The theme the full renders use.
    source : str, optional
        The spec's file name, for error messages.
    allow_layout_problems : bool, default: False
        Do not check the layout.

    Raises
    ------
    SpecError
        If some mathtext cannot be drawn at a built-in theme's font size.
    LayoutError
        If the layout has problems, in ``theme`` or any built-in theme (the first one
        found, named, and how many more there are in that render).
    LstmfigsError
        If a render would be impossible to save (size or pixel limits).
    """
    import io

    from ..checks import geometry_problems, layout_error, layout_problems
    from ..export import FORMATS, check_savable
    from ..themes import theme_names

    texts = [(f"nodes[{i}].label", n.label) for i, n in enumerate(spec.nodes)] \
        + [(f"labels[{i}].text", t.text) for i, t in enumerate(spec.labels)] \
        + [(f"regions[{i}].label", r.label) for i, r in enumerate(spec.regions)] \
        + [(f"legend[{i}].text", e.text) for i, e in enumerate(spec.legend)] \
        + [(f"equations[{i}].text", e.text) for i, e in enumerate(spec.equations)]
    sizes = set()
    for name in theme_names():
        with theme_context(name):
            sizes |= {float(mpl.rcParams["font.size"]), float(mpl.rcParams["legend.fontsize"])}
    for path, text in texts:
        for size in sorted(sizes):
            _check_math_at(text, size, path, source)
    # As render draws it by default, and with every panel (--legend --equations): the two
    # differ in size, and so in what the size bounds allow.
    name = source or spec.name
    with_panels = {None: "", True: " with its legend and equations"}
    for panels in (None, True):
        with theme_context(theme) as resolved:
            fig = diagram_figure(spec, theme=resolved, legend=panels,
                                 equations=bool(panels))
            problems = [] if allow_layout_problems else layout_problems(fig)
        if problems:
            raise layout_error(name, problems,
                               f"in theme '{resolved.name}'{with_panels[panels]}")
        for fmt in FORMATS:
            if fmt == "pgf":
                continue  # pgf is for data figures: render refuses it for diagrams
            check_savable(fig, fmt)
            fig.savefig(io.BytesIO(), format=fmt, dpi=72)
    if allow_layout_problems:
        return
    # Every other built-in theme, from the geometry alone (laid out and painted, never
    # drawn: the text is measured, which is most of the cost).
    checked = resolved.name
    for theme_name in theme_names():
        if theme_name == checked:
            continue
        for panels in (None, True):
            with theme_context(theme_name) as resolved:
                fig = diagram_figure(spec, theme=resolved, legend=panels,
                                     equations=bool(panels))
            problems = geometry_problems(fig.lstmfigs_diagram.layout)  # type: ignore[attr-defined]
            fig.clear()
            if problems:
                raise layout_error(name, problems,
                                   f"in theme '{theme_name}'{with_panels[panels]}")


def _check_math_at(text: str, size: float, path: str, source: str) -> None:
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    from ..errors import SpecError
    from .spec import is_math_text

    if not is_math_text(text):
        return
    try:
        MathTextParser("path").parse(text, dpi=72, prop=FontProperties(size=size))
    except (ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "parse error"
        raise SpecError(f"mathtext {text[:40]!r} cannot be drawn at {size:g} pt: {first}",
                        path=path, source=source) from None
