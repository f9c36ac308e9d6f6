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

from ..errors import LstmfigsError, UnknownNameError
from ..limits import check_figure_size
from ..themes import Theme, new_figure, theme_context
from .draw import (
    DIM,
    DiagramArtists,
    blend,
    draw_diagram,
    font,
    legend_glyph,
    panel_axes,
    text_measurer,
)
from .layout import DiagramLayout, layout
from .spec import DiagramSpec, validate

#: Vertical gap between the diagram and its panels, in multiples of the font size.
PANEL_GAP_EM = 0.6
#: On a slide, equations go below the diagram only if it is then this much larger.
BELOW_PREFERENCE = 1.15


@dataclass
class RenderedDiagram:
    """The pieces of a rendered diagram (``figure.lstmfigs_diagram`` on the result)."""

    layout: DiagramLayout
    artists: DiagramArtists
    legend_texts: list[Any]
    equation_texts: list[Any]
    panel_axes: list[Axes]


def check_highlight(spec: DiagramSpec, highlight: str | None) -> str | None:
    if highlight is None or highlight == "":
        return None
    if highlight not in spec.steps:
        steps = ", ".join(spec.steps) or "none"
        raise UnknownNameError(f"unknown highlight step '{highlight}' for '{spec.name}' "
                               f"(steps: {steps})")
    return highlight


def check_activity(spec: DiagramSpec, activity: Mapping[str, float] | None
                   ) -> dict[str, float] | None:
    """Activity values name existing nodes or wires and lie in [0, 1]."""
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
         activity: Mapping[str, float] | None = None) -> DiagramArtists:
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

    Returns
    -------
    DiagramArtists
        The artists drawn, by element id.
    """
    validate(spec)
    highlight = check_highlight(spec, highlight)
    activity = check_activity(spec, activity)
    fig = ax.get_figure(root=True)
    assert fig is not None  # an Axes always belongs to a figure
    bbox = ax.get_position()
    fig_w, fig_h = fig.get_size_inches()
    diagram = layout(spec, text_measurer(fig), bbox.width * fig_w, bbox.height * fig_h)
    return draw_diagram(diagram, ax, highlight=highlight, activity=activity)


def diagram_figure(spec: DiagramSpec, *, theme: Theme, highlight: str | None = None,
                   legend: bool | None = None, equations: bool = False,
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
    equations : bool
        The equations panel (below the diagram, or beside it on a slide).
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
    measure = text_measurer(fig)
    em = mpl.rcParams["font.size"] / 72

    legend_entries = spec.legend if legend else ()
    equation_lines = spec.equations if equations else ()
    legend_plan = _plan_legend(legend_entries, measure, width)
    # A fixed page (a 16:9 slide) is wider than a cell diagram: equations go beside it in
    # one column, unless long lines (peepholes) would squeeze the diagram so much that it is
    # drawn clearly larger with them below; on a column-width figure they go below, in two
    # columns where they fit.
    if page == "fixed":
        plans = [_fixed_page_plan(spec, measure, width, page_height, em, legend_plan,
                                  equation_lines, beside)
                 for beside in ((True, False) if equation_lines else (False,))]
        chosen = plans[0]
        if len(plans) == 2 and plans[1][0].scale > BELOW_PREFERENCE * plans[0][0].scale:
            chosen = plans[1]
        diagram, equation_plan, beside, side_width, below = chosen
        height = page_height
    else:
        beside, side_width = False, 0.0
        equation_plan = _plan_equations(equation_lines, measure, width)
        below = [plan for plan in (legend_plan, equation_plan) if plan]
        diagram = layout(spec, measure, width)
        height = diagram.size[1] + sum(plan["height"] + PANEL_GAP_EM * em for plan in below)
    diagram_width = width - side_width
    # Far-apart nodes in a small spec would make a figure kilometres tall: refuse it here,
    # before any canvas is allocated.
    check_figure_size(width, height, f"diagram '{spec.name}'")
    fig.set_size_inches(width, height)

    diagram_height = diagram.size[1]
    ax = fig.add_axes((0, 1 - diagram_height / height, diagram_width / width,
                       diagram_height / height))
    artists = draw_diagram(diagram, ax, highlight=highlight, activity=activity)

    panels, legend_texts, equation_texts = [], [], []
    if beside:
        panel = fig.add_axes((diagram_width / width, 1 - diagram_height / height,
                              side_width / width, diagram_height / height))
        panel.set_xlim(0, side_width)
        panel.set_ylim(0, diagram_height)
        panel.set_axis_off()
        offset = (diagram_height - equation_plan["height"]) / 2
        equation_texts += _paint_equations(panel, equation_plan, highlight, bottom=offset)
        panels.append(panel)
    # Panels below stack downwards from the diagram.
    cursor = height - diagram_height
    for plan in below:
        cursor -= PANEL_GAP_EM * em + plan["height"]
        panel = panel_axes(fig, cursor, plan["height"])
        if plan is legend_plan:
            legend_texts += _paint_legend(panel, plan, highlight)
        else:
            equation_texts += _paint_equations(panel, plan, highlight)
        panels.append(panel)
    # What scene, svgedit and checks read back: the layout and the artists drawn from it.
    fig.lstmfigs_diagram = RenderedDiagram(  # type: ignore[attr-defined]
        diagram, artists, legend_texts, equation_texts, panels)
    return fig



def check_drawable(spec: DiagramSpec, theme: str | Theme = "paper", *, source: str = "") -> None:
    """Everything rendering ``spec`` would check, without writing a file: its mathtext at
    the font sizes of every built-in theme, and full renders in ``theme`` (as drawn by
    default, and with the legend and equations on) saved in memory in every format, so
    ``lstmfigs validate`` passes exactly what ``lstmfigs render`` can draw."""
    import io

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
    for panels in (None, True):
        with theme_context(theme) as resolved:
            fig = diagram_figure(spec, theme=resolved, legend=panels,
                                 equations=bool(panels))
        for fmt in FORMATS:
            if fmt == "pgf":
                continue  # pgf is for data figures: render refuses it for diagrams
            check_savable(fig, fmt)
            fig.savefig(io.BytesIO(), format=fmt, dpi=72)


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


def _fixed_page_plan(spec: DiagramSpec, measure: Any, width: float, page_height: float,
                     em: float, legend_plan: Any, equation_lines: Any, beside: bool) -> tuple:
    """Layout of the diagram on a fixed page with the equations beside it or below."""
    equation_plan = _plan_equations(equation_lines, measure, width,
                                    columns=1 if beside else None)
    side_width = equation_plan["column_width"] + 2 * em if beside else 0.0
    below = [plan for plan in (legend_plan, None if beside else equation_plan) if plan]
    available = page_height - sum(plan["height"] + PANEL_GAP_EM * em for plan in below)
    if available <= 0.5 or width - side_width <= 0.5:
        raise LstmfigsError(f"a {width:g} x {page_height:g} in page is too small for this "
                            "diagram with its panels")
    diagram = layout(spec, measure, width - side_width, available)
    return diagram, equation_plan, beside, side_width, below


# -- panels ------------------------------------------------------------------------------------

def _plan_legend(entries, measure, width: float) -> dict[str, Any] | None:
    if not entries:
        return None
    em = mpl.rcParams["legend.fontsize"] / 72
    glyph, gap, spacing = 1.8 * em, 0.5 * em, 1.4 * em
    row_height = 1.9 * em
    sized = [(entry, glyph + gap + measure(entry.text, "legend")[0]) for entry in entries]
    available = width - 2 * em

    def split(count: int) -> list[list[tuple[Any, float]]]:
        per_row = -(-len(sized) // count)
        return [sized[i:i + per_row] for i in range(0, len(sized), per_row)]

    def fits(row: list[tuple[Any, float]]) -> bool:
        return sum(w for _, w in row) + spacing * (len(row) - 1) <= available

    # The fewest rows that fit, with entries spread evenly (no lone entry on a last row).
    rows = next((split(n) for n in range(1, len(sized) + 1) if all(map(fits, split(n)))), None)
    if rows is None:
        raise LstmfigsError(f"a legend entry does not fit the {width:.2f} in figure")
    return {"rows": rows, "height": row_height * len(rows), "glyph": glyph, "gap": gap,
            "spacing": spacing, "row_height": row_height}


def _paint_legend(ax: Axes, plan: dict[str, Any], highlight: str | None) -> list[Any]:
    width = ax.get_xlim()[1]
    texts = []
    for row_index, row in enumerate(plan["rows"]):
        total = sum(w for _, w in row) + plan["spacing"] * (len(row) - 1)
        x = (width - total) / 2
        y = plan["height"] - plan["row_height"] * (row_index + 0.5)
        for entry, entry_width in row:
            legend_glyph(ax, entry.kind, x, y, plan["glyph"])
            texts.append(ax.text(x + plan["glyph"] + plan["gap"], y, entry.text, ha="left",
                                 va="center", fontproperties=font("legend"),
                                 color=mpl.rcParams["text.color"]))
            x += entry_width + plan["spacing"]
    return texts


def _plan_equations(lines, measure, width: float, columns: int | None = None
                    ) -> dict[str, Any] | None:
    if not lines:
        return None
    em = mpl.rcParams["font.size"] / 72
    widths = [measure(line.text, "label")[0] for line in lines]
    heights = [measure(line.text, "label")[1] for line in lines]
    line_height = max(max(heights), em) + 0.55 * em
    column_gap = 2.5 * em
    widest = max(widths)
    if widest > width - 2 * em:
        raise LstmfigsError(f"an equation is {widest:.2f} in wide and does not fit the "
                            f"{width:.2f} in figure; choose a wider theme or --width")
    if columns is None:
        columns = 2 if 2 * widest + column_gap <= width - 2 * em and len(lines) > 3 else 1
    per_column = -(-len(lines) // columns)
    return {"lines": lines, "columns": columns, "per_column": per_column,
            "column_width": widest, "column_gap": column_gap, "line_height": line_height,
            "height": per_column * line_height}


def _paint_equations(ax: Axes, plan: dict[str, Any], highlight: str | None,
                     bottom: float = 0.0) -> list[Any]:
    width = ax.get_xlim()[1]
    block = plan["columns"] * plan["column_width"] + (plan["columns"] - 1) * plan["column_gap"]
    left = (width - block) / 2
    texts = []
    color = mpl.rcParams["text.color"]
    for index, line in enumerate(plan["lines"]):
        column, row = divmod(index, plan["per_column"])
        x = left + column * (plan["column_width"] + plan["column_gap"])
        y = bottom + plan["height"] - plan["line_height"] * (row + 0.5)
        dimmed = highlight is not None and highlight not in line.steps
        texts.append(ax.text(x, y, line.text, ha="left", va="center", fontproperties=font("label"),
                             color=blend(color, DIM) if dimmed else color))
    return texts
