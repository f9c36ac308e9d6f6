"""Panels: where the diagram, the notation legend and the equations go on the page.

Geometry only, like :mod:`lstmfigs.diagram.layout`: from the spec, the theme's
:class:`~lstmfigs.diagram.layout.Metrics` and a ``measure`` function, :func:`plan_page`
decides the figure's size, the diagram's box and each panel's box, and places every
legend glyph, legend text and equation line inside its panel.  Nothing here reads
matplotlib's global state or draws; :mod:`lstmfigs.diagram.paint` paints the plan.

Where the equations go (:func:`plan_page`, ``equations = "beside" | "below" | "auto"``):
beside the diagram in one column, or below it across the page.  ``auto`` puts them beside
unless that would shrink the diagram below its legible minimum (an arranged spec's
``min_unit``, a spec's ``min_width``, else the size below which its geometry has problems:
:func:`lstmfigs.checks.geometry_problems`) or make it clearly smaller than below would: on a
fixed page (a slide) by more than :data:`BELOW_PREFERENCE`, on a column page at all (a
column figure grows downwards, so below costs the diagram nothing).  An equation wider than
its panel is broken before a top-level ``+`` or ``=`` (or after the first ``=``) into
continuation lines (:func:`break_equation`), never shrunk or left overflowing.

Units: a panel's contents are in inches from the panel's lower-left corner; boxes on the
page are figure fractions (left, bottom, width, height), as ``Figure.add_axes`` takes them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..checks import geometry_problems
from ..errors import LayoutError, LstmfigsError
from ..options import equations_place
from .arrange import needs_arrangement
from .geometry import Measure, Metrics, Point
from .layout import DiagramLayout, arrow, layout
from .spec import DiagramSpec, Equation, LegendEntry

#: Vertical gap between the diagram and its panels, in multiples of the font size.
PANEL_GAP_EM = 0.6
#: On a slide, ``auto`` puts the equations below the diagram only if it is then this much
#: larger.
BELOW_PREFERENCE = 1.15
#: The widths, as shares of the page's, that equations beside a diagram are tried at
#: besides their natural width (longer lines broken, :func:`break_equation`): the one that
#: leaves the diagram largest wins, if it is clearly larger (:data:`BREAK_PREFERENCE`)
#: than with fewer broken lines: a broken equation reads worse than a whole one.
BESIDE_SHARES = (0.5, 0.4, 0.3)
BREAK_PREFERENCE = 1.15
#: An arranged diagram that does not fit its page at its natural unit (``min_unit``,
#: :data:`~lstmfigs.diagram.arrange.UNIT_EM` em) may be drawn down to this unit, in em of
#: the theme's text, if it stays clean there (:func:`lstmfigs.checks.geometry_problems`);
#: text keeps the theme's size.  Only below this does a column figure widen (a slide cannot).
MIN_UNIT_EM = 1.5
#: The units tried on the way down, largest first.
SMALLER_UNITS_EM = (1.7, 1.6, MIN_UNIT_EM)
#: A continuation line of a broken equation starts this far in (mathtext spacing).
CONTINUATION_INDENT = r"\qquad"
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
    """One line of the panel and where it starts (left, centred vertically), in panel
    inches: a whole equation, or a part of one broken to fit (``part`` > 0: a continuation
    line, indented; ``source``: the equation's index in the spec)."""

    equation: Equation
    at: Point
    source: int = 0
    part: int = 0


@dataclass(frozen=True)
class EquationPlan:
    """The equations panel's columns, in inches.  ``lines`` are the lines drawn (an
    equation broken to fit is several), ``sources`` and ``parts`` say which equation of
    the spec each comes from and which part of it it is."""

    lines: tuple[Equation, ...]
    columns: int
    per_column: int
    column_width: float
    column_gap: float
    line_height: float
    height: float
    placed: tuple[EquationLine, ...] = ()
    sources: tuple[int, ...] = ()
    parts: tuple[int, ...] = ()


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


def break_equation(text: str, width: float, measure: Measure) -> list[str]:
    """``text`` as lines at most ``width`` inches wide: broken before a ``+`` or an ``=``
    (after the first ``=``) that is outside every group, continuation lines indented.

    Parameters
    ----------
    text : str
        One equation, a mathtext ``$...$``.
    width : float
        The widest a line may be, inches.
    measure : callable
        ``measure(text, kind) -> (width, height)`` in inches.

    Returns
    -------
    list of str
        ``[text]`` when it fits or cannot be broken (plain text, or no break point outside
        a group); else the lines, each a mathtext of its own.  A part still wider than
        ``width`` is left to the caller (:func:`plan_equations` refuses it).
    """
    def fits(line: str) -> bool:
        return measure(line, "label")[0] <= width

    body = text.strip()
    if fits(text) or not (body.startswith("$") and body.endswith("$")) \
            or body.count("$") - body.count(r"\$") != 2:
        return [text]
    math = body[1:-1]
    cuts = _break_points(math)
    lines = [text]
    # Outer breaks first: inside a bracket only where the outer ones are not enough.
    for depth in sorted({d for _, d in cuts}):
        lines = _pack(math, [i for i, d in cuts if d <= depth], fits)
        if all(fits(line) for line in lines):
            break
    return lines


def _pack(math: str, cuts: Sequence[int], fits: Callable[[str], bool]) -> list[str]:
    """``math`` cut at ``cuts`` and packed greedily into as few lines as fit."""
    bounds = [0, *cuts, len(math)]
    pieces = [math[a:b] for a, b in itertools.pairwise(bounds) if math[a:b].strip()]
    lines: list[str] = []
    current = pieces[0]
    for piece in pieces[1:]:
        head = CONTINUATION_INDENT + " " if lines else ""
        if fits(f"${head}{current}{piece}$"):
            current += piece
            continue
        lines.append(f"${head}{current.strip()}$")
        current = piece
    lines.append(f"${CONTINUATION_INDENT + ' ' if lines else ''}{current.strip()}$")
    return lines


def _break_points(math: str) -> list[tuple[int, int]]:
    """Where ``math`` may break, and inside how many brackets ``(``/``[`` each place is:
    before each ``+`` and ``=`` outside braces and ``\\left ... \\right`` (not a sign:
    ``(+1``, ``^+``), and after the first ``=`` instead of before it."""
    cuts: dict[int, int] = {}
    depth = brackets = 0
    first_equals = True
    index = 0
    while index < len(math):
        char = math[index]
        if char == "\\":
            end = index + 1
            while end < len(math) and math[end].isalpha():
                end += 1
            word = math[index + 1:end]
            depth += {"left": 1, "right": -1}.get(word, 0)
            index = max(end, index + 2)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char in "([":
            brackets += 1
        elif char in ")]":
            brackets = max(0, brackets - 1)
        elif char in "+=" and depth == 0:
            before = math[:index].rstrip()
            if before and before[-1] not in "([{,=^_":
                if char == "=" and first_equals:
                    first_equals = False
                    cuts[index + 1] = brackets
                else:
                    cuts[index] = brackets
        index += 1
    return sorted(cuts.items())


def plan_equations(lines: Sequence[Equation], measure: Measure, width: float,
                   metrics: Metrics, columns: int | None = None,
                   max_width: float | None = None) -> EquationPlan | None:
    """The equations in one or two columns (two where they fit and there are > 3 lines),
    each broken into continuation lines where it is wider than the panel.

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
    max_width : float, optional
        The widest a line may be, inches (default: the panel's width less its margins).

    Returns
    -------
    EquationPlan or None
        The columns (lines not yet placed: see :func:`place_equations`), or None.

    Raises
    ------
    LstmfigsError
        If an equation is too wide and cannot be broken to fit.
    """
    if not lines:
        return None
    em = metrics.em
    limit = width - 2 * em if max_width is None else min(max_width, width - 2 * em)
    shown: list[Equation] = []
    sources: list[int] = []
    parts: list[int] = []
    for index, line in enumerate(lines):
        for part, text in enumerate(break_equation(line.text, limit, measure)):
            shown.append(Equation(text, line.steps))
            sources.append(index)
            parts.append(part)
    sizes = [measure(line.text, "label") for line in shown]
    line_height = max(max(h for _, h in sizes), em) + 0.55 * em
    column_gap = 2.5 * em
    widest = max(w for w, _ in sizes)
    if widest > limit * (1 + 1e-9):
        raise LayoutError(f"an equation is {widest:.2f} in wide and cannot be broken to fit "
                            f"the {width:.2f} in figure; choose a wider theme or --width")
    if columns is None:
        columns = 2 if (2 * widest + column_gap <= width - 2 * em and len(shown) > 3
                        and len(shown) == len(lines)) else 1
    per_column = -(-len(shown) // columns)
    return EquationPlan(tuple(shown), columns, per_column, widest, column_gap, line_height,
                        per_column * line_height, sources=tuple(sources), parts=tuple(parts))


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
    sources = plan.sources or tuple(range(len(plan.lines)))
    parts = plan.parts or (0,) * len(plan.lines)
    for index, line in enumerate(plan.lines):
        column, row = divmod(index, plan.per_column)
        x = left + column * (plan.column_width + plan.column_gap)
        y = bottom + plan.height - plan.line_height * (row + 0.5)
        placed.append(EquationLine(line, (x, y), sources[index], parts[index]))
    return replace(plan, placed=tuple(placed))


def plan_page(spec: DiagramSpec, measure: Measure, metrics: Metrics, *, width: float,
              page_height: float, fixed: bool, legend: bool,
              equations: bool | str | None) -> PagePlan:
    """Where everything goes: the diagram and its legend and equations panels.

    A fixed page (a 16:9 slide) keeps its size and the diagram is fitted into what the
    panels leave; a column page is as tall as its content.  The legend goes below the
    diagram; the equations beside it (one column) or below it (two columns where they fit),
    as ``equations`` says (see the module docstring for ``auto``).

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
    legend : bool
        Whether the page has the notation legend.
    equations : bool, str or None
        The equations panel: ``"beside"``, ``"below"`` or ``"auto"`` (also True); None or
        False: none.

    Returns
    -------
    PagePlan
        The figure size, the diagram's layout and every box.

    Raises
    ------
    LayoutError
        ``equations="beside"`` would shrink the diagram below its legible minimum.
    """
    em = metrics.em
    legend_plan = plan_legend(spec.legend if legend else (), measure, width, metrics)
    place = equations_place(equations) if spec.equations else None
    lines = spec.equations if place else ()
    options: dict[str, _Option | LayoutError] = {}
    for where in (("beside", "below") if place == "auto" else (place or "below",)):
        try:
            options[where] = _best_beside(spec, measure, metrics, width, page_height, fixed,
                                          legend_plan, lines) if where == "beside" and lines \
                else _plan_option(spec, measure, metrics, width, page_height, fixed,
                                  legend_plan, lines, False)
        except LayoutError as exc:
            options[where] = exc
    beside, below = options.get("beside"), options.get("below")
    chosen: _Option | None
    if isinstance(beside, _Option) and isinstance(below, _Option):  # auto: the rule
        preference = BELOW_PREFERENCE if fixed else 1.0
        larger = below.diagram.scale > preference * beside.diagram.scale * (1 + 1e-9)
        if beside.clean != below.clean:  # a diagram drawn too small to stay clean loses
            larger = below.clean
        chosen = below if larger else beside
    else:
        chosen = next((o for o in (beside, below) if isinstance(o, _Option)), None)
    if chosen is None:
        failed = below if isinstance(below, LayoutError) else beside
        assert isinstance(failed, LayoutError)
        if place == "beside":
            raise LayoutError(f"with the equations beside it, {failed} (equations='below' or "
                              "'auto' puts them below)")
        raise failed
    return _page(chosen, width, legend_plan, em)


@dataclass(frozen=True)
class _Option:
    """One way to lay out the page: the diagram, the equations and where they go."""

    diagram: DiagramLayout
    equations: EquationPlan | None
    beside: bool
    side_width: float
    height: float
    #: The diagram has no geometry problems at this size (a hand-placed spec declares no
    #: legible minimum: this is where it lies).
    clean: bool


def _best_beside(spec: DiagramSpec, measure: Measure, metrics: Metrics, width: float,
                 page_height: float, fixed: bool, legend_plan: LegendPlan | None,
                 lines: Sequence[Equation]) -> _Option:
    """The equations beside the diagram at the width (their natural one, or a share of the
    page's with lines broken) that leaves the diagram largest.

    Raises
    ------
    LayoutError
        At no width do the equations fit beside a legible diagram.
    """
    natural = max(measure(line.text, "label")[0] for line in lines)
    limits = [natural] + [share * width - 2 * metrics.em for share in BESIDE_SHARES
                          if share * width - 2 * metrics.em < natural]
    best: _Option | None = None
    failure: LayoutError | None = None
    for limit in limits:
        try:
            option = _plan_option(spec, measure, metrics, width, page_height, fixed,
                                  legend_plan, lines, True, limit)
        except LayoutError as exc:
            failure = failure or exc
            continue
        if best is None or (option.clean, option.diagram.scale) > \
                (best.clean, best.diagram.scale * BREAK_PREFERENCE):
            best = option
    if best is None:
        assert failure is not None
        raise failure
    return best


def _plan_option(spec: DiagramSpec, measure: Measure, metrics: Metrics, width: float,
                 page_height: float, fixed: bool, legend_plan: LegendPlan | None,
                 lines: Sequence[Equation], beside: bool,
                 line_width: float | None = None) -> _Option:
    """The page with the equations beside the diagram (lines at most ``line_width`` wide)
    or below it.

    Raises
    ------
    LayoutError
        The diagram would be drawn smaller than its legible minimum, or the equations do
        not fit.
    """
    em = metrics.em
    gap = PANEL_GAP_EM * em
    if beside and lines:
        equation_plan = plan_equations(lines, measure, width, metrics, columns=1,
                                       max_width=line_width)
    else:
        equation_plan = plan_equations(lines, measure, width, metrics)
    side_width = equation_plan.column_width + 2 * em if beside and equation_plan else 0.0
    below = [p.height for p in (legend_plan, None if beside else equation_plan) if p]
    diagram_width = width - side_width
    if fixed:
        available = page_height - sum(h + gap for h in below)
        if available <= 0.5 or diagram_width <= 0.5:
            raise LstmfigsError(f"a {width:g} x {page_height:g} in page is too small for this "
                                "diagram with its panels")
        if beside and equation_plan is not None and equation_plan.height > available:
            raise LayoutError(f"the equations beside '{spec.name}' are "
                              f"{equation_plan.height:.2f} in tall; the page has "
                              f"{available:.2f} in for them")
        diagram = _fitted_layout(spec, measure, diagram_width, available, metrics)
        height = page_height
    else:
        if side_width and diagram_width < spec.min_width:
            raise LayoutError(f"'{spec.name}' needs a width of at least {spec.min_width:.2f} in "
                              f"to stay legible; beside the equations it has "
                              f"{diagram_width:.2f} in")
        diagram = _fitted_layout(spec, measure, diagram_width, None, metrics)
        top = max(diagram.size[1], equation_plan.height if beside and equation_plan else 0.0)
        height = top + sum(h + gap for h in below)
    return _Option(diagram, equation_plan, beside and equation_plan is not None, side_width,
                   height, not geometry_problems(diagram))


def _fitted_layout(spec: DiagramSpec, measure: Measure, width: float, height: float | None,
                   metrics: Metrics) -> DiagramLayout:
    """The diagram in its box (``height`` None: as tall as it needs): at its natural unit if
    it fits, else (a spec to be arranged that sets no ``min_unit``) down to
    :data:`MIN_UNIT_EM` if it is clean there.

    Raises
    ------
    LayoutError
        It fits at neither, or is not clean at the smaller unit (the natural unit's error).
    """
    try:
        return layout(spec, measure, width, height, metrics=metrics)
    except LayoutError as exc:
        if spec.min_unit or not needs_arrangement(spec):  # a stated floor is kept
            raise
        for unit in SMALLER_UNITS_EM:
            try:
                diagram = layout(replace(spec, min_unit=unit), measure, width, height,
                                 metrics=metrics)
            except LayoutError:
                continue
            if not geometry_problems(diagram):
                return diagram
        raise exc from None


def _page(option: _Option, width: float, legend_plan: LegendPlan | None,
          em: float) -> PagePlan:
    """The chosen option's boxes: the diagram top left, the equations beside it (centred
    on it) or below, the legend below."""
    height, diagram, equation_plan = option.height, option.diagram, option.equations
    diagram_width = width - option.side_width
    top = max(diagram.size[1], equation_plan.height if option.beside and equation_plan else 0)
    diagram_height = diagram.size[1]
    # A diagram shorter than the equations beside it is centred on them.
    diagram_bottom = height - top + (top - diagram_height) / 2 if option.beside \
        else height - diagram_height
    diagram_box = (0, diagram_bottom / height, diagram_width / width, diagram_height / height)
    legend_panel = equations_panel = None
    if option.beside and equation_plan is not None:
        equations_panel = Panel((diagram_width / width, (height - top) / height,
                                 option.side_width / width, top / height),
                                (option.side_width, top))
        equation_plan = place_equations(equation_plan, option.side_width,
                                        (top - equation_plan.height) / 2)
    # Panels below stack downwards from the diagram (and the equations beside it).
    cursor = height - top
    if legend_plan is not None:
        cursor -= PANEL_GAP_EM * em + legend_plan.height
        legend_panel = _panel_below(width, height, cursor, legend_plan.height)
    if not option.beside and equation_plan is not None:
        cursor -= PANEL_GAP_EM * em + equation_plan.height
        equations_panel = _panel_below(width, height, cursor, equation_plan.height)
        equation_plan = place_equations(equation_plan, width)
    return PagePlan((width, height), diagram, diagram_box, legend_plan, legend_panel,
                    equation_plan, equations_panel)


def _panel_below(width: float, height: float, bottom: float, panel_height: float) -> Panel:
    """A panel across the page, its bottom ``bottom`` inches above the page's."""
    return Panel((0, bottom / height, 1, panel_height / height), (width, panel_height))
