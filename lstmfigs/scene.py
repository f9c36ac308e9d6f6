"""Scene: a rendered diagram as plain elements, for the editable outputs (TikZ, PowerPoint).

The editable writers do not translate matplotlib artists: they read the diagram's one
layout (:class:`lstmfigs.diagram.layout.DiagramLayout`, in diagram units) and the theme's
looks, so a TikZ picture or a slide deck has exactly the geometry of the PDF.  The legend
and equations panels are placed where the renderer planned them (their anchor points,
read back once, in the same units).  Colours follow :mod:`lstmfigs.diagram.paint`: role
colour for lines, the role colour tinted towards the background for fills, and every
element outside a highlighted step blended :data:`~lstmfigs.diagram.paint.DIM` of the way
to the background.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
from matplotlib.colors import to_hex, to_rgb
from matplotlib.lines import Line2D

from .diagram.crossings import Run, layout_runs
from .diagram.geometry import Metrics, NodeGeometry
from .diagram.layout import DiagramLayout, TextItem, WireGeometry
from .diagram.paint import DIM, NODE_TINT, OP_TINT, background_rgb, blend, text_measurer
from .diagram.panels import LEGEND_ROLES as LEGEND_ROLES  # tikz and pptx import it here
from .diagram.panels import EquationLine
from .errors import LstmfigsError
from .themes import Theme, active_theme, role_style

if TYPE_CHECKING:  # pragma: no cover
    from .build import Request

Point = tuple[float, float]


@dataclass(frozen=True)
class Look:
    """How one role is drawn: colours as ``RRGGBB`` hex, widths in points (1/72 in)."""

    line: str
    fill: str       # a gate box: the role colour tinted towards the background
    op_fill: str    # a pointwise operation: tinted further
    linewidth: float
    dashes: tuple[float, ...] | None  # on/off lengths in points, None when solid
    dot_radius: float  # a copy dot, points (as paint.py's marker, with its edge)
    head_length: float = 0.0  # an arrowhead's length, points (its half-width: 0.42 of that)


@dataclass(frozen=True)
class LegendEntry:
    kind: str
    text: str
    glyph_x: float   # left edge of the glyph, diagram units
    y: float         # centre line, diagram units
    glyph: float     # glyph width, diagram units
    gap: float       # glyph to text, diagram units


@dataclass(frozen=True)
class Equation:
    text: str
    x: float  # left edge, diagram units
    y: float  # centre line, diagram units
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Scene:
    """Everything an editable writer draws, in diagram units (x right, y up)."""

    layout: DiagramLayout
    figure_size: tuple[float, float]        # inches
    origin: Point                            # the figure's lower-left corner, diagram units
    steps: tuple[str, ...]
    nodes: tuple[tuple[NodeGeometry, tuple[str, ...]], ...]
    wires: tuple[tuple[WireGeometry, tuple[str, ...]], ...]
    dots: tuple[tuple[Point, str, tuple[str, ...]], ...]   # branch dots: where, role, steps
    texts: tuple[tuple[TextItem, tuple[str, ...]], ...]
    legend: tuple[LegendEntry, ...]
    equations: tuple[Equation, ...]
    looks: dict[str, Look]
    text_color: str
    background: str
    region_fill: str
    region_edge: str
    region_linewidth: float
    font_size: float         # points
    legend_font_size: float  # points
    transparent: bool
    #: (text, kind) -> (width, height) in inches, as the renderer measured it.
    text_sizes: dict[tuple[str, str], tuple[float, float]]
    #: The theme's generic font family: "serif", "sans-serif" or "monospace".
    font_family: str
    #: How crossing wires are shown (the theme's ``crossing``), and each wire's routed
    #: polyline with its hops or gaps (:func:`lstmfigs.diagram.crossings.wire_runs`).
    crossing: str = "none"
    wire_runs: tuple[tuple[Run, ...], ...] = ()

    @property
    def scale(self) -> float:
        """Inches per diagram unit."""
        return self.layout.scale

    @property
    def top_right(self) -> Point:
        return (self.origin[0] + self.figure_size[0] / self.scale,
                self.origin[1] + self.figure_size[1] / self.scale)

    def active(self, steps: tuple[str, ...], highlight: str | None) -> bool:
        """Whether a part in ``steps`` is drawn at full strength under ``highlight``.

        Parameters
        ----------
        steps : tuple of str
            The steps a part belongs to.
        highlight : str or None
            The highlighted step, or None (nothing dimmed).

        Returns
        -------
        bool
            True if ``highlight`` is None or is one of ``steps``.
        """
        return highlight is None or highlight in steps

    def dim(self, color: str, steps: tuple[str, ...], highlight: str | None) -> str:
        """``color``, or dimmed towards the background when outside ``highlight``.

        Parameters
        ----------
        color : str
            A six-digit hex colour without ``#``.
        steps : tuple of str
            The steps the part belongs to.
        highlight : str or None
            The highlighted step, or None.

        Returns
        -------
        str
            ``color`` itself when the part is active, else :meth:`dimmed`'s hex colour.
        """
        return color if self.active(steps, highlight) else self.dimmed(color)

    def dimmed(self, color: str) -> str:
        """``color`` blended :data:`DIM` of the way to the background (opaquely).

        Parameters
        ----------
        color : str
            A six-digit hex colour without ``#``.

        Returns
        -------
        str
            A six-digit upper-case hex colour without ``#``.
        """
        rgb, bg = _rgb(color), _rgb(self.background)
        return hex_color(tuple(c + (b - c) * DIM for c, b in zip(rgb, bg, strict=True)))


def hex_color(color: Any) -> str:
    """A Matplotlib colour as six upper-case hex digits without ``#`` (``"1F77B4"``).

    Parameters
    ----------
    color : color
        Anything :func:`matplotlib.colors.to_hex` reads.

    Returns
    -------
    str
    """
    return to_hex(color).lstrip("#").upper()


def _rgb(hex6: str) -> tuple[float, float, float]:
    return to_rgb("#" + hex6)


def _look(role: str, metrics: Metrics, theme: Theme | None,
          own_roles: tuple[tuple[str, str], ...]) -> Look:
    style = role_style(role, theme, own_roles)
    # matplotlib's own dash lengths for this style at this width (scaled as it draws them).
    line = Line2D([], [], linestyle=style.linestyle, linewidth=style.linewidth)
    _offset, dashes = line._dash_pattern  # type: ignore[attr-defined]
    return Look(line=hex_color(style.color), fill=hex_color(blend(style.color, NODE_TINT)),
                op_fill=hex_color(blend(style.color, OP_TINT)), linewidth=style.linewidth,
                dashes=tuple(float(d) for d in dashes) if dashes else None,
                dot_radius=metrics.dot_radius(role),
                head_length=metrics.head_length(role) * 72)


def build_scene(req: Request) -> Scene:
    """Build diagram ``req`` once (the layout of its PDF) and return it as a scene.

    Parameters
    ----------
    req : Request
        A diagram drawn from a spec (:func:`lstmfigs.build.request`), without a highlight:
        editable outputs carry every step.

    Returns
    -------
    Scene
        The diagram's shapes, texts and steps in the theme's looks.
    """
    from .build import build

    if req.spec is None:
        raise LstmfigsError(f"figure '{req.name}' is not a diagram drawn from a spec; TikZ "
                            "and editable shapes are for diagrams (a data figure goes into "
                            "PowerPoint as a picture)")
    if req.options.get("highlight"):
        raise LstmfigsError("editable outputs carry every highlight step (Beamer overlays, "
                            "one slide a step); leave out --highlight")
    fig = build(req)
    try:
        return scene_of(fig)
    finally:
        fig.clear()


def scene_of(fig: Any) -> Scene:
    """The scene of a figure made by :func:`lstmfigs.diagram.page.diagram_figure`.

    Parameters
    ----------
    fig : `~matplotlib.figure.Figure`
        A figure with a ``lstmfigs_diagram`` attribute.

    Returns
    -------
    Scene
        What the figure draws, in the terms the TikZ and PowerPoint writers use.

    Raises
    ------
    LstmfigsError
        If ``fig`` is not a rendered diagram.
    """
    rendered = getattr(fig, "lstmfigs_diagram", None)
    if rendered is None:
        raise LstmfigsError("this figure is not a rendered diagram")
    layout: DiagramLayout = rendered.layout
    spec = layout.spec
    with mpl.rc_context(getattr(fig, "_rc", {})):
        theme = getattr(fig, "theme", None)  # outside its theme_context now: say which
        crossing = (theme or active_theme()).crossing
        looks = {role: _look(role, layout.metrics, theme, spec.roles)
                 for role in _roles_used(layout)}
        text_color = hex_color(mpl.rcParams["text.color"])
        background = hex_color(background_rgb())
        region_fill = hex_color(mpl.rcParams["patch.facecolor"])
        region_edge = hex_color(mpl.rcParams["patch.edgecolor"])
        region_linewidth = float(mpl.rcParams["patch.linewidth"])
        font_size = layout.metrics.font_size
        legend_font_size = layout.metrics.legend_font_size
        transparent = bool(mpl.rcParams["savefig.transparent"])
        families = list(mpl.rcParams["font.family"])
        font_family = next((f for f in families if f in ("serif", "sans-serif", "monospace")),
                           "sans-serif")
        measure = text_measurer(fig)
        wanted = {(item.text, item.kind) for item in layout.texts}
        wanted |= {(entry.text, "legend") for entry in spec.legend}
        wanted |= {(line.equation.text, "label") for line in _equation_lines(rendered)}
        text_sizes = {key: measure(*key) for key in sorted(wanted)}
    fig_w, fig_h = (float(v) for v in fig.get_size_inches())
    ax = rendered.artists.ax
    box = ax.get_position()
    scale = layout.scale

    def units(x_in: float, y_in: float) -> Point:
        return (float(layout.xlim[0] + (x_in - box.x0 * fig_w) / scale),
                float(layout.ylim[0] + (y_in - box.y0 * fig_h) / scale))

    def anchor_units(text: Any) -> Point:
        x_px, y_px = text.get_transform().transform(text.get_position())
        return units(x_px / fig.dpi, y_px / fig.dpi)

    legend_entries = []
    legend_plan = rendered.page.legend if rendered.page is not None else None
    if rendered.legend_texts and legend_plan is not None:
        glyph, gap = legend_plan.glyph / scale, legend_plan.gap / scale
        for entry, text in zip(spec.legend, rendered.legend_texts, strict=True):
            x, y = anchor_units(text)
            legend_entries.append(LegendEntry(entry.kind, entry.text, x - glyph - gap, y,
                                              glyph, gap))
    equation_items = []
    # The lines drawn (an equation broken to fit is several); none without a panel.
    for line, text in zip(_equation_lines(rendered), rendered.equation_texts, strict=True):
        x, y = anchor_units(text)
        equation_items.append(Equation(line.equation.text, x, y, line.equation.steps))

    texts = [(item, item.steps) for item in layout.texts]
    # Branch dots take the steps of the wires that leave them, as in every output.
    dots = tuple((dot.point, dot.role, dot.steps) for dot in layout.dots)
    return Scene(
        layout=layout, figure_size=(fig_w, fig_h),
        origin=units(0.0, 0.0), steps=tuple(spec.steps),
        nodes=tuple((g, g.node.steps) for g in layout.nodes.values()),
        wires=tuple((w, w.wire.steps) for w in layout.wires),
        dots=dots, texts=tuple(texts), legend=tuple(legend_entries),
        equations=tuple(equation_items), looks=looks, text_color=text_color,
        background=background, region_fill=region_fill, region_edge=region_edge,
        region_linewidth=region_linewidth, font_size=font_size,
        legend_font_size=legend_font_size, transparent=transparent, text_sizes=text_sizes,
        font_family=font_family, crossing=crossing,
        wire_runs=layout_runs(layout, crossing, stroked=False))


def _equation_lines(rendered: Any) -> tuple[EquationLine, ...]:
    """The equations panel's lines as drawn, in order (none without a panel)."""
    page = rendered.page
    return page.equations.placed if page is not None and page.equations is not None else ()


def _roles_used(layout: DiagramLayout) -> list[str]:
    roles = [n.role for n in layout.spec.nodes] + [w.role for w in layout.spec.wires]
    roles += [dot.role for dot in layout.dots] + list(LEGEND_ROLES)
    return list(dict.fromkeys(roles))
