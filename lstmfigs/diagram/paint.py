"""Paint: laid-out primitives become matplotlib artists.

Geometry is decided elsewhere (:mod:`lstmfigs.diagram.layout` for the diagram,
:mod:`lstmfigs.diagram.panels` for the page); this module only makes artists from it, and
:func:`theme_metrics` reads the sizes the geometry needs from the theme, once.

Every look comes from the active theme: role looks from its role table (via
:func:`lstmfigs.themes.role_style`), text from ``font.*``/``text.color``, regions from
``patch.*``, the background from ``figure.facecolor`` and how crossing wires are shown
from its ``crossing`` setting (:mod:`lstmfigs.diagram.crossings`).  Highlighting a step dims every
element outside it towards the background (opaque blending, not alpha, so dimmed wires do
not darken where they cross).  An *activity* map (element id -> value in [0, 1], from a
simulation) dims each listed element by how inactive it is: 1 is full colour, 0 is as dim
as a highlighted figure's background elements.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyBboxPatch, Polygon
from matplotlib.text import Text

from ..errors import SpecError
from ..export import figure_renderer
from ..roles import ALL_ROLES
from ..themes import RoleStyle, active_theme, role_style
from .crossings import Run, layout_runs, run_points
from .geometry import Metrics, NodeGeometry, Point
from .layout import (
    BranchDot,
    DiagramLayout,
    RegionGeometry,
    TextItem,
    WireGeometry,
)
from .panels import EquationPlan, Glyph, LegendPlan, PagePlan, Panel
from .spec import is_math_text

#: How far a dimmed element moves towards the background (0 = unchanged, 1 = invisible).
DIM = 0.78
#: Node fill: the role colour this far towards the background, so labels stay readable.
NODE_TINT = 0.80
OP_TINT = 0.88


@dataclass
class DiagramArtists:
    """What :func:`draw_diagram` drew, by element, for callers and tests."""

    ax: Axes
    nodes: dict[str, Any] = field(default_factory=dict)        # id -> patch (None for points)
    node_labels: dict[str, Text] = field(default_factory=dict)  # id -> text inside/beside
    wires: list[list[Any]] = field(default_factory=list)       # per wire: line (+ head)
    wire_points: list[tuple[tuple[float, float], ...]] = field(default_factory=list)
    labels: dict[str, Text] = field(default_factory=dict)
    regions: dict[str, Any] = field(default_factory=dict)
    dots: list[Line2D] = field(default_factory=list)

    def texts(self) -> list[Text]:
        """The diagram's text artists: node labels, then free and region labels."""
        return list(self.node_labels.values()) + list(self.labels.values())


def background_rgb() -> tuple[float, float, float]:
    """The active theme's figure background.

    Returns
    -------
    tuple of float
        RGB in [0, 1]; white when the theme's background is ``none`` or ``auto``.
    """
    face = mpl.rcParams["figure.facecolor"]
    return to_rgb(face) if face not in ("none", "auto") else (1.0, 1.0, 1.0)


def blend(color: Any, amount: float) -> tuple[float, float, float]:
    """``color`` moved ``amount`` of the way towards the active theme's background.

    Parameters
    ----------
    color : color
        Any matplotlib colour.
    amount : float
        0 keeps ``color``, 1 gives the background.

    Returns
    -------
    tuple of float
        The blended RGB (opaque: dimmed wires do not darken where they cross).
    """
    rgb, bg = np.array(to_rgb(color)), np.array(background_rgb())
    return tuple(float(v) for v in rgb + (bg - rgb) * amount)  # type: ignore[return-value]


def font(kind: str = "node") -> FontProperties:
    """The active theme's font for text of ``kind``.

    Parameters
    ----------
    kind : str
        "legend" for the legend's size; anything else ("node", "label", ...) for the
        theme's font size.

    Returns
    -------
    FontProperties
        The font at that size (family and style from the theme).
    """
    size = mpl.rcParams["legend.fontsize"] if kind == "legend" else mpl.rcParams["font.size"]
    return FontProperties(size=size)


def theme_metrics(own_roles: Iterable[tuple[str, str]] = ()) -> Metrics:
    """The sizes the geometry needs, read once from the theme active now.

    Parameters
    ----------
    own_roles : iterable of (str, str), optional
        A spec's own roles and their base roles (``spec.roles``), whose line widths the
        metrics then hold too.

    Returns
    -------
    Metrics
        Font sizes (points), every role's line width and the marker edge width.
    """
    own = tuple(own_roles)
    roles = ALL_ROLES + tuple(name for name, _ in own)
    return Metrics(font_size=float(font("node").get_size_in_points()),
                   legend_font_size=float(font("legend").get_size_in_points()),
                   linewidths={role: role_style(role, own_roles=own).linewidth
                               for role in roles},
                   marker_edge_width=float(mpl.rcParams["lines.markeredgewidth"]))


def text_measurer(fig: Figure) -> Callable[[str, str], tuple[float, float]]:
    """A ``measure(text, kind) -> (width, height)`` in inches, from the figure's renderer.

    Parameters
    ----------
    fig : Figure
        The figure whose renderer (and dpi) measures.

    Returns
    -------
    callable
        ``measure(text, kind)``; a glyph the theme's fonts lack raises :class:`SpecError`.
    """
    renderer = figure_renderer(fig)

    def measure(text: str, kind: str) -> tuple[float, float]:
        # The rule matplotlib's Text applies when drawing (Text._preprocess_math), so what is
        # measured is what every backend draws: 'a$b\$' is plain text with a dollar.
        ismath = is_math_text(text)
        shown = text if ismath else text.replace(r"\$", "$")
        with warnings.catch_warnings():
            # A glyph the theme's fonts lack would be drawn as an empty box: an error
            # (found here, while laying out), not a warning on stderr after the fact.
            warnings.filterwarnings("error", message="Glyph .* missing from font",
                                    category=UserWarning)
            try:
                width, height, _ = renderer.get_text_width_height_descent(shown, font(kind),
                                                                          ismath=ismath)
            except UserWarning as warning:
                raise SpecError(f"text {text[:40]!r} has a character the theme's fonts "
                                f"cannot draw ({str(warning).split(' missing')[0]})") from None
        return width / fig.dpi, height / fig.dpi

    return measure


class _Painter:
    """Turns primitives into artists, applying the theme's looks and the highlight."""

    def __init__(self, ax: Axes, layout: DiagramLayout, highlight: str | None,
                 activity: Mapping[str, float] | None = None):
        self.ax = ax
        self.layout = layout
        self.highlight = highlight
        self.activity = dict(activity or {})
        self.text_color = mpl.rcParams["text.color"]
        self.out = DiagramArtists(ax)

    def style(self, role: str) -> RoleStyle:
        """The look of ``role``: the theme's, or derived for one of the spec's own roles."""
        return role_style(role, own_roles=self.layout.spec.roles)

    def active(self, steps: tuple[str, ...]) -> bool:
        return self.highlight is None or self.highlight in steps

    def color(self, color: Any, steps: tuple[str, ...], tint: float = 0.0,
              key: str = "") -> tuple[float, ...]:
        rgb = blend(color, tint) if tint else to_rgb(color)
        if key in self.activity:
            rgb = blend(rgb, DIM * (1.0 - self.activity[key]))
        return blend(rgb, DIM) if not self.active(steps) else rgb

    # -- elements ---------------------------------------------------------------
    def region(self, geom: RegionGeometry) -> None:
        # The cell body is background: it is never dimmed, so a highlighted step still
        # reads as happening inside the cell.
        x, y, w, h = geom.bounds
        patch = FancyBboxPatch(
            (x, y), w, h, boxstyle=f"round,pad=0,rounding_size={geom.rounding}",
            facecolor=mpl.rcParams["patch.facecolor"], edgecolor=mpl.rcParams["patch.edgecolor"],
            linewidth=mpl.rcParams["patch.linewidth"], zorder=0)
        patch.set_gid(geom.region.id)
        self.ax.add_patch(patch)
        self.out.regions[geom.region.id] = patch

    def node(self, geom: NodeGeometry) -> None:
        node = geom.node
        style = self.style(node.role)
        steps = node.steps
        (cx, cy), w, h = geom.center, geom.width, geom.height
        patch: Any = None
        key = node.id
        if geom.shape == "box":
            patch = FancyBboxPatch(
                (cx - w / 2, cy - h / 2), w, h,
                boxstyle=f"round,pad=0,rounding_size={geom.rounding}",
                facecolor=self.color(style.color, steps, NODE_TINT, key),
                edgecolor=self.color(style.color, steps, key=key), linewidth=style.linewidth,
                linestyle=style.linestyle, zorder=3)
        elif geom.shape == "block":
            # A whole cell seen from outside: it looks like the cell body (region).
            patch = FancyBboxPatch(
                (cx - w / 2, cy - h / 2), w, h,
                boxstyle=f"round,pad=0,rounding_size={geom.rounding}",
                facecolor=self.color(mpl.rcParams["patch.facecolor"], steps, key=key),
                edgecolor=self.color(mpl.rcParams["patch.edgecolor"], steps, key=key),
                linewidth=mpl.rcParams["patch.linewidth"], zorder=3)
        elif geom.shape in ("circle", "stadium"):
            facecolor = self.color(style.color, steps, OP_TINT, key)
            edgecolor = self.color(style.color, steps, key=key)
            if geom.shape == "circle":
                patch = Circle((cx, cy), geom.rounding, facecolor=facecolor, edgecolor=edgecolor,
                               linewidth=style.linewidth, zorder=3)
            else:
                patch = FancyBboxPatch(
                    (cx - w / 2, cy - h / 2), w, h,
                    boxstyle=f"round,pad=0,rounding_size={geom.rounding}",
                    facecolor=facecolor, edgecolor=edgecolor, linewidth=style.linewidth, zorder=3)
        elif node.kind == "dot":
            self.dot((cx, cy), node.role, steps, key)
        if patch is not None:
            patch.set_gid(node.id)
            self.ax.add_patch(patch)
        self.out.nodes[node.id] = patch

    def dot(self, point: Point, role: str, steps: tuple[str, ...], key: str = "") -> None:
        (marker,) = self.ax.plot([point[0]], [point[1]], marker="o",
                                 markersize=self.layout.metrics.dot_size(role),
                                 color=self.color(self.style(role).color, steps, key=key),
                                 linestyle="none", zorder=4)
        self.out.dots.append(marker)

    def wire(self, geom: WireGeometry, runs: tuple[Run, ...]) -> None:
        wire = geom.wire
        style = self.style(wire.role)
        color = self.color(style.color, wire.steps, key=self.layout.spec.wire_id(geom.index))
        # One line for the whole wire: its runs (split at gaps, hops drawn as arcs) joined
        # by NaN rows, where matplotlib lifts the pen.
        pieces = [np.array(run_points(run), dtype=float) for run in runs]
        gap = np.full((1, 2), np.nan)
        line_points = np.concatenate([part for piece in pieces for part in (gap, piece)][1:])
        artists: list[Any] = []
        (line,) = self.ax.plot(line_points[:, 0], line_points[:, 1], color=color,
                               linewidth=style.linewidth, linestyle=style.linestyle,
                               solid_joinstyle="miter", solid_capstyle="butt",
                               dash_capstyle="butt", zorder=2)
        line.set_gid(self.layout.spec.wire_id(geom.index))
        artists.append(line)
        if geom.head is not None:
            head = Polygon(np.array(geom.head, dtype=float), closed=True, facecolor=color,
                           edgecolor=color, linewidth=0.0, zorder=2.5)
            self.ax.add_patch(head)
            artists.append(head)
        self.out.wires.append(artists)
        self.out.wire_points.append(geom.points)

    def text(self, item: TextItem) -> Text:
        x, y = item.anchor
        return self.ax.annotate(
            item.text, (x, y), xytext=(item.offset[0] * 72, item.offset[1] * 72),
            textcoords="offset points", ha=item.ha, va=item.va,
            color=self.color(self.text_color, item.steps), fontproperties=font(item.kind),
            zorder=5, annotation_clip=False)


def draw_diagram(layout: DiagramLayout, ax: Axes, *, highlight: str | None = None,
                 activity: Mapping[str, float] | None = None) -> DiagramArtists:
    """Paint ``layout`` into ``ax`` (whose limits it sets) in the active theme.

    Parameters
    ----------
    layout : DiagramLayout
        The diagram's primitives.
    ax : Axes
        Where to paint; its limits and aspect are set to the layout's.
    highlight : str, optional
        A step: everything outside it is dimmed.
    activity : mapping of str to float, optional
        Node and wire ids -> values in [0, 1] (see the module docstring).

    Returns
    -------
    DiagramArtists
        The artists, by element.
    """
    painter = _Painter(ax, layout, highlight, spread_activity(layout, activity))
    ax.set_xlim(*layout.xlim)
    ax.set_ylim(*layout.ylim)
    ax.set_aspect("equal", adjustable="box", anchor="C")
    ax.set_axis_off()
    for region in layout.regions:
        painter.region(region)
    runs = layout_runs(layout, active_theme().crossing, stroked=True)
    for geom, wire_runs in zip(layout.wires, runs, strict=True):
        painter.wire(geom, wire_runs)
    dot: BranchDot
    for dot in layout.dots:
        painter.dot(dot.point, dot.role, dot.steps)
    for geom_node in layout.nodes.values():
        painter.node(geom_node)
    for item in layout.texts:
        text = painter.text(item)
        if item.kind in ("node", "terminal"):
            painter.out.node_labels[item.owner] = text
        else:
            painter.out.labels[item.owner] = text
    return painter.out


def spread_activity(layout: DiagramLayout, activity: Mapping[str, float] | None
                    ) -> dict[str, float]:
    """``activity`` with every wire and copy dot that is not listed given the value of the
    node it comes from, followed back through copy dots (a placer splits wires at them).

    Parameters
    ----------
    layout : DiagramLayout
        The laid-out diagram.
    activity : mapping of str to float, or None
        Node and wire ids -> values in [0, 1].

    Returns
    -------
    dict of str to float
    """
    spread = dict(activity or {})
    if not spread:
        return spread
    spec = layout.spec
    feeding = {w.target.partition(".")[0]: w.source.partition(".")[0] for w in spec.wires}
    kinds = {node.id: node.kind for node in spec.nodes}

    def origin(node_id: str) -> str:
        seen: set[str] = set()
        while kinds.get(node_id) == "dot" and node_id in feeding and node_id not in seen:
            seen.add(node_id)
            node_id = feeding[node_id]
        return node_id

    unlisted = [(spec.wire_id(i), w.source.partition(".")[0]) for i, w in enumerate(spec.wires)]
    unlisted += [(node.id, node.id) for node in spec.nodes if node.kind == "dot"]
    for key, source in unlisted:
        if key not in spread and origin(source) in spread:
            spread[key] = spread[origin(source)]
    return spread


# -- panels: legend of the notation and equations ------------------------------------------

def paint_glyph(ax: Axes, glyph: Glyph) -> list[Any]:
    """Paint a legend glyph (its geometry in ``ax``'s data units) in its role's look.

    Parameters
    ----------
    ax : Axes
        A panel Axes whose data units are inches.
    glyph : Glyph
        From :func:`lstmfigs.diagram.panels.legend_glyph`.

    Returns
    -------
    list
        The artists painted.
    """
    style = role_style(glyph.role)
    artists: list[Any] = []
    if glyph.box is not None:
        x, y, w, h = glyph.box
        artists.append(ax.add_patch(FancyBboxPatch(
            (x, y), w, h, boxstyle=f"round,pad=0,rounding_size={glyph.rounding}",
            facecolor=blend(style.color, NODE_TINT), edgecolor=style.color,
            linewidth=style.linewidth)))
    if glyph.disc is not None:
        center, radius = glyph.disc
        artists.append(ax.add_patch(Circle(center, radius, facecolor=blend(style.color, OP_TINT),
                                           edgecolor=style.color, linewidth=style.linewidth)))
    for stroke in glyph.strokes:
        kwargs: dict[str, Any] = {}
        if stroke.capstyle:
            kwargs["solid_capstyle"] = stroke.capstyle
        if stroke.joinstyle:
            kwargs["solid_joinstyle"] = stroke.joinstyle
        xs, ys = zip(*stroke.points, strict=True)
        artists += ax.plot(list(xs), list(ys), color=style.color, linewidth=style.linewidth,
                           **kwargs)
    if glyph.head is not None:
        artists.append(ax.add_patch(Polygon(list(glyph.head), facecolor=style.color,
                                            linewidth=0)))
    if glyph.dot is not None:
        artists += ax.plot([glyph.dot[0]], [glyph.dot[1]], marker="o",
                           markersize=glyph.dot_size, color=style.color)
    return artists


def paint_legend(ax: Axes, plan: LegendPlan) -> list[Text]:
    """Paint the legend's glyphs and texts; returns the texts.

    Parameters
    ----------
    ax : Axes
        The legend's panel (data units: inches).
    plan : LegendPlan
        The placed legend.

    Returns
    -------
    list of Text
        One text per entry, in the spec's order.
    """
    texts = []
    for item in plan.items:
        paint_glyph(ax, item.glyph)
        texts.append(ax.text(item.text_at[0], item.text_at[1], item.entry.text, ha="left",
                             va="center", fontproperties=font("legend"),
                             color=mpl.rcParams["text.color"]))
    return texts


def paint_equations(ax: Axes, plan: EquationPlan, highlight: str | None) -> list[Text]:
    """Paint the placed equations, dimming those outside ``highlight``; returns the texts.

    Parameters
    ----------
    ax : Axes
        The equations' panel (data units: inches).
    plan : EquationPlan
        The placed equations.
    highlight : str, optional
        The step shown: equations outside it are dimmed.

    Returns
    -------
    list of Text
        One text per equation, in the spec's order.
    """
    color = mpl.rcParams["text.color"]
    texts = []
    for line in plan.placed:
        dimmed = highlight is not None and highlight not in line.equation.steps
        texts.append(ax.text(line.at[0], line.at[1], line.equation.text, ha="left",
                             va="center", fontproperties=font("label"),
                             color=blend(color, DIM) if dimmed else color))
    return texts


def panel_axes(fig: Figure, panel: Panel) -> Axes:
    """An invisible Axes on ``panel``'s box whose data units are inches from its corner.

    Parameters
    ----------
    fig : Figure
        The page.
    panel : Panel
        The panel's box (figure fractions) and size (inches).

    Returns
    -------
    Axes
        The panel's Axes, axis off.
    """
    ax = fig.add_axes(panel.box)
    ax.set_xlim(0, panel.size[0])
    ax.set_ylim(0, panel.size[1])
    ax.set_axis_off()
    return ax


def paint_page(fig: Figure, plan: PagePlan, *, highlight: str | None = None,
               activity: Mapping[str, float] | None = None
               ) -> tuple[DiagramArtists, list[Text], list[Text], list[Axes]]:
    """Paint a planned page: the diagram and its panels.

    Parameters
    ----------
    fig : Figure
        The page, already of ``plan.size``.
    plan : PagePlan
        From :func:`lstmfigs.diagram.panels.plan_page`.
    highlight : str, optional
        A step: everything outside it is dimmed.
    activity : mapping of str to float, optional
        Node and wire ids -> values in [0, 1].

    Returns
    -------
    artists : DiagramArtists
        The diagram's artists.
    legend_texts, equation_texts : list of Text
        The panels' texts.
    panels : list of Axes
        The panels' Axes: an equations panel beside the diagram first, then those below.
    """
    ax = fig.add_axes(plan.diagram_box)
    artists = draw_diagram(plan.diagram, ax, highlight=highlight, activity=activity)
    legend_texts: list[Text] = []
    equation_texts: list[Text] = []
    beside = plan.equations_panel is not None and plan.equations_panel.box[0] > 0
    ordered: list[tuple[str, Panel | None]] = [("equations", plan.equations_panel)] if beside \
        else []
    ordered += [("legend", plan.legend_panel)]
    if not beside:
        ordered.append(("equations", plan.equations_panel))
    panels = []
    for kind, panel in ordered:
        if panel is None:
            continue
        panel_ax = panel_axes(fig, panel)
        if kind == "legend" and plan.legend is not None:
            legend_texts += paint_legend(panel_ax, plan.legend)
        elif plan.equations is not None:
            equation_texts += paint_equations(panel_ax, plan.equations, highlight)
        panels.append(panel_ax)
    return artists, legend_texts, equation_texts, panels
