"""Panels: where the diagram, the notation legend and the equations go on the page.

Geometry only, like :mod:`lstmfigs.diagram.layout`: from the spec, the theme's
:class:`~lstmfigs.diagram.layout.Metrics` and a ``measure`` function, :func:`plan_page`
decides the figure's size, the diagram's box and each panel's box, and places every
legend glyph, legend text and equation line inside its panel.  Nothing here reads
matplotlib's global state or draws; :mod:`lstmfigs.diagram.paint` paints the plan.

Units: a panel's contents are in inches from the panel's lower-left corner; boxes on the
page are figure fractions (left, bottom, width, height), as ``Figure.add_axes`` takes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import LstmfigsError
from .layout import (
    DiagramLayout,
    Measure,
    Metrics,
    Point,
    arrow,
    layout,
)
from .spec import DiagramSpec, Equation, LegendEntry

#: Vertical gap between the diagram and its panels, in multiples of the font size.
PANEL_GAP_EM = 0.6
#: On a slide, equations go below the diagram only if it is then this much larger.
BELOW_PREFERENCE = 1.15
#: The roles the legend's glyphs are drawn in: pointwise operation, layer, signal.
LEGEND_ROLES = ("operation", "candidate", "hidden_state")
#: A legend glyph's width, the gap to its text and the space between entries, and the
#: height of a row, in multiples of the legend's font size.
GLYPH_EM, GLYPH_GAP_EM, ENTRY_SPACING_EM, ROW_HEIGHT_EM = 1.8, 0.5, 1.4, 1.9

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Stroke:
    """A polyline of a legend glyph; ``capstyle``/``joinstyle`` None keep the theme's."""

    points: tuple[Point, ...]
    capstyle: str | None = None
    joinstyle: str | None = None


@dataclass(frozen=True)
class Glyph:
    """The legend's mark for one kind of element, in panel inches.

    Made by the same helpers as the diagram's own elements (:func:`layout.arrow` for the
    arrowhead, :meth:`Metrics.dot_size` for the copy dot).
    """

    kind: str
    role: str
    box: tuple[float, float, float, float] | None = None  # x, y, width, height (a layer)
    rounding: float = 0.0
    disc: tuple[Point, float] | None = None  # centre, radius (an operation)
    strokes: tuple[Stroke, ...] = ()
    head: tuple[Point, Point, Point] | None = None
    dot: Point | None = None
    dot_size: float = 0.0  # points


@dataclass(frozen=True)
class LegendItem:
    """One legend entry: its glyph and where its text starts (left, centred vertically)."""

    entry: LegendEntry
    glyph: Glyph
    text_at: Point


@dataclass(frozen=True)
class LegendPlan:
    """The legend's rows, in inches."""

    rows: tuple[tuple[tuple[LegendEntry, float], ...], ...]  # (entry, its width) per row
    height: float
    glyph: float
    gap: float
    spacing: float
    row_height: float
    items: tuple[LegendItem, ...] = ()


@dataclass(frozen=True)
class EquationLine:
    """One equation and where it starts (left, centred vertically), in panel inches."""

    equation: Equation
    at: Point


@dataclass(frozen=True)
class EquationPlan:
    """The equations panel's columns, in inches."""

    lines: tuple[Equation, ...]
    columns: int
    per_column: int
    column_width: float
    column_gap: float
    line_height: float
    height: float
    placed: tuple[EquationLine, ...] = ()


@dataclass(frozen=True)
class Panel:
    """A panel's place on the page: ``box`` in figure fractions, ``size`` in inches."""

    box: Box
    size: tuple[float, float]


@dataclass(frozen=True)
class PagePlan:
    """The whole page: figure size, the diagram's layout and box, and the panels."""

    size: tuple[float, float]  # inches
    diagram: DiagramLayout
    diagram_box: Box
    legend: LegendPlan | None = None
    legend_panel: Panel | None = None
    equations: EquationPlan | None = None
    equations_panel: Panel | None = None


def legend_glyph(kind: str, x: float, y: float, size: float, metrics: Metrics) -> Glyph:
    """The legend mark for ``kind`` with its left edge at ``x``, centred on ``y``.

    Parameters
    ----------
    kind : str
        "layer", "operation", "transfer", "concatenate" or "copy".
    x, y : float
        Left edge and centre line, inches.
    size : float
        The glyph's width, inches.
    metrics : Metrics
        The theme's line widths (arrowhead and dot sizes follow from them).

    Returns
    -------
    Glyph
        The mark's geometry in the same inches.
    """
    op, layer, state = LEGEND_ROLES
    if kind == "layer":
        return Glyph(kind, layer, box=(x, y - size * 0.3, size, size * 0.6), rounding=size * 0.1)
    if kind == "operation":
        return Glyph(kind, op, disc=((x + size / 2, y), size * 0.28))
    if kind == "transfer":
        line, head = arrow(((x, y), (x + size, y)), metrics.head_length(state))
        return Glyph(kind, state, strokes=(Stroke(line, capstyle="butt"),), head=head)
    if kind == "concatenate":
        return Glyph(kind, state, strokes=(
            Stroke(((x, y + size * 0.3), (x + size * 0.5, y), (x + size, y)), joinstyle="miter"),
            Stroke(((x, y - size * 0.3), (x + size * 0.5, y)))))
    if kind == "copy":
        return Glyph(kind, state, strokes=(
            Stroke(((x, y), (x + size * 0.5, y), (x + size, y + size * 0.3)), joinstyle="miter"),
            Stroke(((x + size * 0.5, y), (x + size, y - size * 0.3)))),
            dot=(x + size * 0.5, y), dot_size=metrics.dot_size(state))
    return Glyph(kind, state)


def plan_legend(entries: Sequence[LegendEntry], measure: Measure, width: float,
                metrics: Metrics) -> LegendPlan | None:
    """Rows of legend entries that fit ``width`` inches: the fewest rows, evenly filled.

    Parameters
    ----------
    entries : sequence of LegendEntry
        The spec's legend (empty: no legend).
    measure : callable
        ``measure(text, kind) -> (width, height)`` in inches.
    width : float
        The panel's width, inches.
    metrics : Metrics
        The theme's font sizes and line widths.

    Returns
    -------
    LegendPlan or None
        The rows with each entry's glyph and text placed in a panel ``width`` wide, or
        None without entries.
    """
    if not entries:
        return None
    em = metrics.legend_em
    glyph, gap, spacing = GLYPH_EM * em, GLYPH_GAP_EM * em, ENTRY_SPACING_EM * em
    row_height = ROW_HEIGHT_EM * em
    sized = [(entry, glyph + gap + measure(entry.text, "legend")[0]) for entry in entries]
    available = width - 2 * em

    def split(count: int) -> list[list[tuple[LegendEntry, float]]]:
        per_row = -(-len(sized) // count)
        return [sized[i:i + per_row] for i in range(0, len(sized), per_row)]

    def fits(row: list[tuple[LegendEntry, float]]) -> bool:
        return sum(w for _, w in row) + spacing * (len(row) - 1) <= available

    rows = next((split(n) for n in range(1, len(sized) + 1) if all(map(fits, split(n)))), None)
    if rows is None:
        raise LstmfigsError(f"a legend entry does not fit the {width:.2f} in figure")
    height = row_height * len(rows)
    items = []
    for row_index, row in enumerate(rows):
        total = sum(w for _, w in row) + spacing * (len(row) - 1)
        x = (width - total) / 2
        y = height - row_height * (row_index + 0.5)
        for entry, entry_width in row:
            items.append(LegendItem(entry, legend_glyph(entry.kind, x, y, glyph, metrics),
                                    (x + glyph + gap, y)))
            x += entry_width + spacing
    return LegendPlan(tuple(tuple(row) for row in rows), height, glyph, gap, spacing,
                      row_height, tuple(items))


def plan_equations(lines: Sequence[Equation], measure: Measure, width: float,
                   metrics: Metrics, columns: int | None = None) -> EquationPlan | None:
    """The equations in one or two columns (two where they fit and there are > 3 lines).

    Parameters
    ----------
    lines : sequence of Equation
        The spec's equations (empty: no panel).
    measure : callable
        ``measure(text, kind) -> (width, height)`` in inches.
    width : float
        The width the panel may take, inches.
    metrics : Metrics
        The theme's font sizes.
    columns : int, optional
        Force this many columns.

    Returns
    -------
    EquationPlan or None
        The columns (lines not yet placed: see :func:`place_equations`), or None.
    """
    if not lines:
        return None
    em = metrics.em
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
    return EquationPlan(tuple(lines), columns, per_column, widest, column_gap, line_height,
                        per_column * line_height)


def place_equations(plan: EquationPlan, width: float, bottom: float = 0.0) -> EquationPlan:
    """``plan`` with its lines placed, centred in a panel ``width`` inches wide, the block's
    bottom at ``bottom`` inches.

    Parameters
    ----------
    plan : EquationPlan
        From :func:`plan_equations`.
    width : float
        The panel's width, inches.
    bottom : float
        Where the block's bottom sits in the panel, inches.

    Returns
    -------
    EquationPlan
        The same plan with ``placed`` filled in.
    """
    block = plan.columns * plan.column_width + (plan.columns - 1) * plan.column_gap
    left = (width - block) / 2
    placed = []
    for index, line in enumerate(plan.lines):
        column, row = divmod(index, plan.per_column)
        x = left + column * (plan.column_width + plan.column_gap)
        y = bottom + plan.height - plan.line_height * (row + 0.5)
        placed.append(EquationLine(line, (x, y)))
    return EquationPlan(plan.lines, plan.columns, plan.per_column, plan.column_width,
                        plan.column_gap, plan.line_height, plan.height, tuple(placed))


def plan_page(spec: DiagramSpec, measure: Measure, metrics: Metrics, *, width: float,
              page_height: float, fixed: bool, legend: bool,
              equations: bool) -> PagePlan:
    """Where everything goes: the diagram and its legend and equations panels.

    A fixed page (a 16:9 slide) is wider than a cell diagram: equations go beside it in
    one column, unless long lines (peepholes) would squeeze the diagram so much that it is
    drawn clearly larger (:data:`BELOW_PREFERENCE`) with them below.  On a column-width
    page they go below, in two columns where they fit, and the page is as tall as needed.

    Parameters
    ----------
    spec : DiagramSpec
        A validated spec.
    measure : callable
        ``measure(text, kind) -> (width, height)`` in inches.
    metrics : Metrics
        The theme's font sizes and line widths.
    width, page_height : float
        The page's width and (on a fixed page, its only) height, inches.
    fixed : bool
        A fixed page (slides) rather than one as tall as its content.
    legend, equations : bool
        Whether the page has the notation legend and the equations panel.

    Returns
    -------
    PagePlan
        The figure size, the diagram's layout and every box.
    """
    em = metrics.em
    legend_plan = plan_legend(spec.legend if legend else (), measure, width, metrics)
    equation_lines = spec.equations if equations else ()
    if fixed:
        options = [_fixed_page_plan(spec, measure, metrics, width, page_height, legend_plan,
                                    equation_lines, beside)
                   for beside in ((True, False) if equation_lines else (False,))]
        chosen = options[0]
        if len(options) == 2 and options[1][0].scale > BELOW_PREFERENCE * options[0][0].scale:
            chosen = options[1]
        diagram, equation_plan, beside, side_width = chosen
        height = page_height
    else:
        beside, side_width = False, 0.0
        equation_plan = plan_equations(equation_lines, measure, width, metrics)
        diagram = layout(spec, measure, width, metrics=metrics)
        below_heights = [p.height for p in (legend_plan, equation_plan) if p]
        height = diagram.size[1] + sum(h + PANEL_GAP_EM * em for h in below_heights)
    diagram_width = width - side_width
    diagram_height = diagram.size[1]
    diagram_box = (0, 1 - diagram_height / height, diagram_width / width, diagram_height / height)

    legend_panel = equations_panel = None
    if beside and equation_plan is not None:
        equations_panel = Panel((diagram_width / width, 1 - diagram_height / height,
                                 side_width / width, diagram_height / height),
                                (side_width, diagram_height))
        equation_plan = place_equations(equation_plan, side_width,
                                        (diagram_height - equation_plan.height) / 2)
    # Panels below stack downwards from the diagram.
    cursor = height - diagram_height
    if legend_plan is not None:
        cursor -= PANEL_GAP_EM * em + legend_plan.height
        legend_panel = _panel_below(width, height, cursor, legend_plan.height)
    if not beside and equation_plan is not None:
        cursor -= PANEL_GAP_EM * em + equation_plan.height
        equations_panel = _panel_below(width, height, cursor, equation_plan.height)
        equation_plan = place_equations(equation_plan, width)
    return PagePlan((width, height), diagram, diagram_box, legend_plan, legend_panel,
                    equation_plan, equations_panel)


def _panel_below(width: float, height: float, bottom: float, panel_height: float) -> Panel:
    """A panel across the page, its bottom ``bottom`` inches above the page's."""
    return Panel((0, bottom / height, 1, panel_height / height), (width, panel_height))


def _fixed_page_plan(spec: DiagramSpec, measure: Measure, metrics: Metrics, width: float,
                     page_height: float, legend_plan: LegendPlan | None,
                     equation_lines: Sequence[Equation], beside: bool
                     ) -> tuple[DiagramLayout, EquationPlan | None, bool, float]:
    """The diagram on a fixed page with the equations beside it or below."""
    em = metrics.em
    equation_plan = plan_equations(equation_lines, measure, width, metrics,
                                   columns=1 if beside else None)
    side_width = equation_plan.column_width + 2 * em if beside and equation_plan else 0.0
    below = [p.height for p in (legend_plan, None if beside else equation_plan) if p]
    available = page_height - sum(h + PANEL_GAP_EM * em for h in below)
    if available <= 0.5 or width - side_width <= 0.5:
        raise LstmfigsError(f"a {width:g} x {page_height:g} in page is too small for this "
                            "diagram with its panels")
    diagram = layout(spec, measure, width - side_width, available, metrics=metrics)
    return diagram, equation_plan, beside, side_width
