"""Draw: a laid-out diagram becomes matplotlib artists on an Axes.

Every look comes from the active theme: role looks from ``axes.prop_cycle`` (via
:func:`lstmfigs.themes.role_style`), text from ``font.*``/``text.color``, regions from
``patch.*`` and the background from ``figure.facecolor``.  Highlighting a step dims every
element outside it towards the background (opaque blending, not alpha, so dimmed wires do
not darken where they cross).  An *activity* map (element id -> value in [0, 1], from a
simulation) dims each listed element by how inactive it is: 1 is full colour, 0 is as dim
as a highlighted figure's background elements.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

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
from ..themes import RoleStyle, role_style
from .layout import DiagramLayout, NodeGeometry, WireGeometry
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
        return list(self.node_labels.values()) + list(self.labels.values())


def background_rgb() -> tuple[float, float, float]:
    face = mpl.rcParams["figure.facecolor"]
    return to_rgb(face) if face not in ("none", "auto") else (1.0, 1.0, 1.0)


def blend(color: Any, amount: float) -> tuple[float, float, float]:
    """``color`` moved ``amount`` of the way towards the background."""
    rgb, bg = np.array(to_rgb(color)), np.array(background_rgb())
    return tuple(float(v) for v in rgb + (bg - rgb) * amount)  # type: ignore[return-value]


def font(kind: str = "node") -> FontProperties:
    size = mpl.rcParams["legend.fontsize"] if kind == "legend" else mpl.rcParams["font.size"]
    return FontProperties(size=size)


def text_measurer(fig: Figure):
    """A ``measure(text, kind) -> (width, height)`` in inches, from the figure's renderer."""
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
    """Turns layout elements into artists, applying theme and highlight."""

    def __init__(self, ax: Axes, layout: DiagramLayout, highlight: str | None,
                 activity: Mapping[str, float] | None = None):
        self.ax = ax
        self.layout = layout
        self.highlight = highlight
        self.activity = dict(activity or {})
        self.text_color = mpl.rcParams["text.color"]
        self.out = DiagramArtists(ax)

    def active(self, steps: tuple[str, ...]) -> bool:
        return self.highlight is None or self.highlight in steps

    def color(self, color: Any, steps: tuple[str, ...], tint: float = 0.0,
              key: str = "") -> tuple[float, ...]:
        rgb = blend(color, tint) if tint else to_rgb(color)
        if key in self.activity:
            rgb = blend(rgb, DIM * (1.0 - self.activity[key]))
        return blend(rgb, DIM) if not self.active(steps) else rgb

    # -- elements ---------------------------------------------------------------
    def region(self, region) -> None:
        # The cell body is background: it is never dimmed, so a highlighted step still
        # reads as happening inside the cell.
        x, y, w, h = region.bounds
        patch = FancyBboxPatch(
            (x, y), w, h, boxstyle=f"round,pad=0,rounding_size={min(w, h) * 0.06}",
            facecolor=mpl.rcParams["patch.facecolor"], edgecolor=mpl.rcParams["patch.edgecolor"],
            linewidth=mpl.rcParams["patch.linewidth"], zorder=0)
        patch.set_gid(region.id)
        self.ax.add_patch(patch)
        self.out.regions[region.id] = patch

    def node(self, geom: NodeGeometry) -> None:
        node = geom.node
        style = role_style(node.role)
        steps = node.steps
        (cx, cy), w, h = geom.center, geom.width, geom.height
        patch = None
        key = node.id
        if geom.shape == "box":
            patch = FancyBboxPatch(
                (cx - w / 2, cy - h / 2), w, h,
                boxstyle=f"round,pad=0,rounding_size={min(w, h) * 0.18}",
                facecolor=self.color(style.color, steps, NODE_TINT, key),
                edgecolor=self.color(style.color, steps, key=key), linewidth=style.linewidth,
                linestyle=style.linestyle, zorder=3)
        elif geom.shape == "block":
            # A whole cell seen from outside: it looks like the cell body (region).
            patch = FancyBboxPatch(
                (cx - w / 2, cy - h / 2), w, h,
                boxstyle=f"round,pad=0,rounding_size={min(w, h) * 0.06}",
                facecolor=self.color(mpl.rcParams["patch.facecolor"], steps, key=key),
                edgecolor=self.color(mpl.rcParams["patch.edgecolor"], steps, key=key),
                linewidth=mpl.rcParams["patch.linewidth"], zorder=3)
        elif geom.shape in ("circle", "stadium"):
            facecolor = self.color(style.color, steps, OP_TINT, key)
            edgecolor = self.color(style.color, steps, key=key)
            if geom.shape == "circle":
                patch = Circle((cx, cy), w / 2, facecolor=facecolor, edgecolor=edgecolor,
                               linewidth=style.linewidth, zorder=3)
            else:
                patch = FancyBboxPatch(
                    (cx - w / 2, cy - h / 2), w, h,
                    boxstyle=f"round,pad=0,rounding_size={h / 2}",
                    facecolor=facecolor, edgecolor=edgecolor, linewidth=style.linewidth, zorder=3)
        elif node.kind == "dot":
            self.dot((cx, cy), style, steps, key)
        if patch is not None:
            patch.set_gid(node.id)
            self.ax.add_patch(patch)
        self.out.nodes[node.id] = patch

    def dot(self, point, style: RoleStyle, steps: tuple[str, ...], key: str = "") -> None:
        size = 2.2 * style.linewidth + 2.0  # points: visible at any line width
        (marker,) = self.ax.plot([point[0]], [point[1]], marker="o", markersize=size,
                                 color=self.color(style.color, steps, key=key), linestyle="none",
                                 zorder=4)
        self.out.dots.append(marker)

    def wire(self, geom: WireGeometry) -> None:
        wire = geom.wire
        style = role_style(wire.role)
        color = self.color(style.color, wire.steps, key=self.layout.spec.wire_id(geom.index))
        points = np.array(geom.points, dtype=float)
        artists: list[Any] = []
        head_length = (4.0 + 2.2 * style.linewidth) / 72 / self.layout.scale  # units
        end, before = points[-1], points[-2]
        last_leg = np.linalg.norm(end - before)
        direction = (end - before) / max(last_leg, 1e-12)
        line_points = points
        if geom.arrow:
            # The line stops inside the head, so its butt end cannot poke past the tip.
            line_points = points.copy()
            line_points[-1] = end - direction * min(head_length * 0.5, last_leg)
        (line,) = self.ax.plot(line_points[:, 0], line_points[:, 1], color=color,
                               linewidth=style.linewidth, linestyle=style.linestyle,
                               solid_joinstyle="miter", solid_capstyle="butt",
                               dash_capstyle="butt", zorder=2)
        line.set_gid(self.layout.spec.wire_id(geom.index))
        artists.append(line)
        if geom.arrow:
            normal = np.array([-direction[1], direction[0]])
            half_width = head_length * 0.42
            base = end - direction * head_length
            head = Polygon([end, base + normal * half_width, base - normal * half_width],
                           closed=True, facecolor=color, edgecolor=color, linewidth=0.0,
                           zorder=2.5)
            self.ax.add_patch(head)
            artists.append(head)
        self.out.wires.append(artists)
        self.out.wire_points.append(geom.points)

    def text(self, item, steps: tuple[str, ...]) -> Text:
        x, y = item.anchor
        text = self.ax.annotate(
            item.text, (x, y), xytext=(item.offset[0] * 72, item.offset[1] * 72),
            textcoords="offset points", ha=item.ha, va=item.va,
            color=self.color(self.text_color, steps), fontproperties=font(item.kind),
            zorder=5, annotation_clip=False)
        return text


def draw_diagram(layout: DiagramLayout, ax: Axes, *, highlight: str | None = None,
                 activity: Mapping[str, float] | None = None) -> DiagramArtists:
    """Draw ``layout`` into ``ax`` (whose limits it sets) and return the artists by element.

    ``activity`` maps node and wire ids to values in [0, 1] (see the module docstring)."""
    painter = _Painter(ax, layout, highlight, activity)
    ax.set_xlim(*layout.xlim)
    ax.set_ylim(*layout.ylim)
    ax.set_aspect("equal", adjustable="box", anchor="C")
    ax.set_axis_off()
    spec = layout.spec
    for region in spec.regions:
        painter.region(region)
    for geom in layout.wires:
        painter.wire(geom)
    for point, role in layout.branch_points:
        source_steps = next((w.steps for w in spec.wires if w.role == role), ())
        painter.dot(point, role_style(role), source_steps)
    for geom in layout.nodes.values():
        painter.node(geom)
    node_steps = {n.id: n.steps for n in spec.nodes}
    label_steps = {(l.id or f"labels[{i}]"): l.steps for i, l in enumerate(spec.labels)}
    region_steps = {r.id: r.steps for r in spec.regions}
    for item in layout.texts:
        if item.kind in ("node", "terminal"):
            text = painter.text(item, node_steps.get(item.owner, ()))
            painter.out.node_labels[item.owner] = text
        elif item.kind == "region":
            painter.out.labels[item.owner] = painter.text(item, region_steps.get(item.owner, ()))
        else:
            painter.out.labels[item.owner] = painter.text(item, label_steps.get(item.owner, ()))
    return painter.out


# -- panels: legend of the notation and equations ------------------------------------------

def legend_glyph(ax: Axes, kind: str, x: float, y: float, size: float) -> None:
    """Draw the legend mark for ``kind`` with its left edge at x, centred on y (inches)."""
    op = role_style("operation")
    layer = role_style("candidate")
    state = role_style("hidden_state")
    lw = state.linewidth
    if kind == "layer":
        ax.add_patch(FancyBboxPatch((x, y - size * 0.3), size, size * 0.6,
                                    boxstyle=f"round,pad=0,rounding_size={size * 0.1}",
                                    facecolor=blend(layer.color, NODE_TINT),
                                    edgecolor=layer.color, linewidth=layer.linewidth))
    elif kind == "operation":
        ax.add_patch(Circle((x + size / 2, y), size * 0.28, facecolor=blend(op.color, OP_TINT),
                            edgecolor=op.color, linewidth=op.linewidth))
    elif kind == "transfer":
        head = (4.0 + 2.2 * lw) / 72
        ax.plot([x, x + size - head * 0.5], [y, y], color=state.color, linewidth=lw,
                solid_capstyle="butt")
        ax.add_patch(Polygon([(x + size, y), (x + size - head, y + head * 0.42),
                              (x + size - head, y - head * 0.42)], facecolor=state.color,
                             linewidth=0))
    elif kind == "concatenate":
        ax.plot([x, x + size * 0.5, x + size], [y + size * 0.3, y, y], color=state.color,
                linewidth=lw, solid_joinstyle="miter")
        ax.plot([x, x + size * 0.5], [y - size * 0.3, y], color=state.color, linewidth=lw)
    elif kind == "copy":
        ax.plot([x, x + size * 0.5, x + size], [y, y, y + size * 0.3], color=state.color,
                linewidth=lw, solid_joinstyle="miter")
        ax.plot([x + size * 0.5, x + size], [y, y - size * 0.3], color=state.color, linewidth=lw)
        ax.plot([x + size * 0.5], [y], marker="o", markersize=2.2 * lw + 2.0, color=state.color)


def panel_axes(fig: Figure, bottom: float, height: float) -> Axes:
    """An invisible Axes across the figure whose data units are inches from its corner."""
    fig_w, fig_h = fig.get_size_inches()
    ax = fig.add_axes((0, bottom / fig_h, 1, height / fig_h))
    ax.set_xlim(0, fig_w)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    return ax
