"""PowerPoint: diagrams as native, editable shapes on 16:9 slides (python-pptx).

Needs the optional extra ``pip install "lstmfigs[pptx]"`` (python-pptx); without it the
format fails with one line saying so.

* A diagram drawn from a spec becomes shapes from its layout (:mod:`lstmfigs.scene`):
  rounded boxes for gates, circles and pills for pointwise operations, dots for copies,
  lines with arrowheads for wires (straight wires are connectors glued to the boxes they
  join, so they follow a box that is moved; a wire broken by the theme's crossing gaps is
  a group of its pieces, named by the wire), text boxes for labels and equations with the
  math written in Unicode (subscripts as subscript runs); math the converter does not know
  goes in as a small picture.  Every shape is named by its spec id (PowerPoint's
  selection pane lists them).  The diagram is scaled to fit the slide, text with it.
* A diagram with highlight steps gets one slide for the whole diagram, then one slide a
  step with everything else dimmed, as the PDF storyboard.
* Any other figure (data figures, the activity diagram) goes in as a picture, centred on
  the slide at twice the slide's 1920 px width.

The file is reproducible: fixed core-properties dates and zip timestamps.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LstmfigsError
from .export import atomic_write
from .scene import LEGEND_ROLES, Look, Scene, build_scene

if TYPE_CHECKING:  # pragma: no cover
    from .build import Request

EMU_PER_INCH = 914400
#: PowerPoint's widescreen slide: 12192000 x 6858000 EMU, 13.333 x 7.5 in.
SLIDE_EMU = (12192000, 6858000)
SLIDE_WIDTH, SLIDE_HEIGHT = SLIDE_EMU[0] / EMU_PER_INCH, SLIDE_EMU[1] / EMU_PER_INCH
#: The share of the slide a diagram may fill.
SLIDE_FILL = 0.97
#: A picture's pixels across the slide (twice 1920: sharp on a 4K projector).
PICTURE_PIXELS = 3840
#: One fixed date for the core properties, so two renders give identical bytes.
FIXED_DATE = _dt.datetime(2000, 1, 1)
_FONT = {"serif": "Times New Roman", "sans-serif": "Arial", "monospace": "Courier New"}


def _require_pptx() -> Any:
    try:
        import pptx
    except ImportError:
        raise LstmfigsError("--format pptx needs python-pptx: "
                            "pip install 'lstmfigs[pptx]'") from None
    return pptx


# -- mathtext -> Unicode runs ----------------------------------------------------------------

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "chi": "χ",
    "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "times": "×", "odot": "⊙",
    "otimes": "⊗", "oplus": "⊕", "cdot": "·", "circ": "∘", "pm": "±", "leq": "≤",
    "geq": "≥", "neq": "≠", "approx": "≈", "to": "→", "rightarrow": "→",
    "leftarrow": "←",
    "infty": "∞", "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏", "in": "∈",
    "ldots": "…", "dots": "…", "prime": "′",
}
_UPRIGHT_WORDS = {"tanh", "sinh", "cosh", "exp", "log", "ln", "max", "min", "sin", "cos",
                  "softmax", "sigmoid"}
_SPACES = {",": "\u2009", ";": "\u2005", ":": "\u2005", "!": "", " ": " ", "quad": "\u2003"}
_ACCENTS = {"tilde": "\u0303", "hat": "\u0302", "bar": "\u0304", "dot": "\u0307",
            "vec": "\u20d7"}
_BINARY = "+\u2212×⊙⊗⊕·∘±"
_RELATIONS = "=<>≤≥≠≈→←∈"
#: A run: text, italic, and its baseline (0, "sub" or "sup").
Run = tuple[str, bool, str]


class _Unsupported(Exception):
    pass


def math_runs(text: str) -> list[Run] | None:
    """``text`` (mathtext) as runs of Unicode, or None where the converter cannot say it.

    Parameters
    ----------
    text : str
        Mathtext; without balanced ``$`` pairs it is one plain run.

    Returns
    -------
    list of (str, bool, str) or None
        Runs of (text, italic, baseline: ``""``, ``"sub"`` or ``"sup"``), neighbours
        alike merged; None if the math uses something the converter does not know.
    """
    parts = re.split(r"(?<!\\)\$", text)
    if len(parts) < 3 or len(parts) % 2 == 0:
        return [(text.replace("\\$", "$"), False, "")]
    runs: list[Run] = []
    try:
        for index, part in enumerate(parts):
            if index % 2:
                runs += _parse_math(_tokens(part), "")
            elif part:
                runs.append((part.replace("\\$", "$"), False, ""))
    except _Unsupported:
        return None
    if runs:  # no space before the first character or after the last
        runs[0] = (runs[0][0].lstrip(),) + runs[0][1:]
        runs[-1] = (runs[-1][0].rstrip(),) + runs[-1][1:]
    merged: list[Run] = []
    for run in runs:
        if merged and merged[-1][1:] == run[1:]:
            merged[-1] = (merged[-1][0] + run[0],) + run[1:]
        elif run[0]:
            merged.append(run)
    return merged


def _tokens(math: str) -> list[str]:
    return re.findall(r"\\[A-Za-z]+|\\.|.", math)


def _group(tokens: list[str]) -> list[str]:
    """Take one argument (a ``{...}`` group or one token) off the front of ``tokens``."""
    if not tokens:
        raise _Unsupported
    first = tokens.pop(0)
    if first != "{":
        return [first]
    depth = 1
    taken: list[str] = []
    while tokens:
        token = tokens.pop(0)
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth == 0:
            return taken
        taken.append(token)
    raise _Unsupported


def _parse_math(tokens: list[str], baseline: str) -> list[Run]:
    runs: list[Run] = []
    tokens = list(tokens)

    def operator(symbol: str) -> None:
        """Binary operators and relations get spaces, as TeX gives them, except in scripts
        and where an operator is unary (after an opening bracket, another operator or at
        the start)."""
        previous = runs[-1][0].rstrip() if runs else ""
        unary = symbol in _BINARY and (not previous or previous[-1] in "([{,"
                                        or previous[-1] in _BINARY + _RELATIONS)
        spaced = not baseline and not unary
        runs.append((f" {symbol} " if spaced else symbol, False, baseline))

    while tokens:
        token = tokens.pop(0)
        symbol = _SYMBOLS.get(token[1:], "") if token.startswith("\\") else token
        if token == "-":
            symbol = "\u2212"
        if symbol and (symbol in _BINARY or symbol in _RELATIONS):
            operator(symbol)
        elif token in ("_", "^"):
            if baseline:
                raise _Unsupported  # nested scripts: a picture says it better
            runs += _parse_math(_group(tokens), "sub" if token == "_" else "sup")
        elif token == "{":
            tokens.insert(0, "{")
            runs += _parse_math(_group(tokens), baseline)
        elif token.startswith("\\"):
            name = token[1:]
            if name in _SYMBOLS:
                glyph = _SYMBOLS[name]
                runs.append((glyph, name.islower() and glyph.isalpha(), baseline))
            elif name in _UPRIGHT_WORDS:
                runs.append((name, False, baseline))
            elif name in _SPACES:
                runs.append((_SPACES[name], False, baseline))
            elif name in ("mathrm", "operatorname", "text", "mathregular"):
                runs.append(("".join(_group(tokens)), False, baseline))
            elif name in _ACCENTS:
                inner = _parse_math(_group(tokens), baseline)
                if len(inner) != 1 or len(inner[0][0]) != 1:
                    raise _Unsupported
                runs.append((inner[0][0] + _ACCENTS[name], inner[0][1], baseline))
            elif name in ("left", "right"):
                continue
            elif len(name) == 1 and not name.isalpha():
                runs.append((name, False, baseline))  # \{ \} \% ...
            else:
                raise _Unsupported
        elif token == " ":
            continue  # spaces in math are not typeset
        elif token == ",":
            runs.append((", " if not baseline else ",", False, baseline))
        else:
            runs.append((token, token.isalpha(), baseline))
    return runs


# -- geometry ------------------------------------------------------------------------------------

class _Placer:
    """Diagram units -> slide EMU, the figure scaled to fit the slide and centred."""

    def __init__(self, scene: Scene):
        width, height = scene.figure_size
        self.scene = scene
        # A small margin: the slide font's text may reach a little further than mathtext's.
        self.zoom = min(SLIDE_WIDTH / width, SLIDE_HEIGHT / height) * SLIDE_FILL
        self.left = (SLIDE_WIDTH - width * self.zoom) / 2
        self.top = (SLIDE_HEIGHT - height * self.zoom) / 2

    def x(self, units: float) -> int:
        inches = (units - self.scene.origin[0]) * self.scene.scale
        return round((self.left + inches * self.zoom) * EMU_PER_INCH)

    def y(self, units: float) -> int:
        inches = (units - self.scene.origin[1]) * self.scene.scale
        return round((self.top + (self.scene.figure_size[1] - inches) * self.zoom) * EMU_PER_INCH)

    def length(self, units: float) -> int:
        return round(units * self.scene.scale * self.zoom * EMU_PER_INCH)

    def inches(self, inches: float) -> int:
        return round(inches * self.zoom * EMU_PER_INCH)

    def points(self, points: float) -> float:
        return points * self.zoom


# -- writing -------------------------------------------------------------------------------------

class _SlideWriter:
    def __init__(self, slide: Any, scene: Scene, highlight: str | None):
        from pptx.util import Emu, Pt

        self.slide = slide
        self.scene = scene
        self.highlight = highlight
        self.place = _Placer(scene)
        self.Emu, self.Pt = Emu, Pt
        self.shapes = slide.shapes
        self.by_id: dict[str, Any] = {}
        #: Steps of elements that are never dimmed (the cell body, the legend).
        self.always: tuple[str, ...] = scene.steps

    def colour(self, hex6: str, steps: tuple[str, ...], dims: bool = True) -> Any:
        from pptx.dml.color import RGBColor

        return RGBColor.from_string(self.scene.dim(hex6, steps, self.highlight) if dims else hex6)

    def line(self, shape: Any, role: str | None, steps: tuple[str, ...], *,
             colour: str | None = None, width: float | None = None) -> None:
        from pptx.enum.dml import MSO_LINE_DASH_STYLE

        look = self.scene.looks[role] if role else None
        shape.line.color.rgb = self.colour(colour or (look.line if look else "000000"), steps)
        shape.line.width = self.Pt(self.place.points(width if width is not None
                                                     else look.linewidth if look else 1.0))
        if look and look.dashes:
            dashes = look.dashes
            if len(dashes) >= 6:
                style = MSO_LINE_DASH_STYLE.DASH_DOT_DOT
            elif len(dashes) >= 4:
                style = MSO_LINE_DASH_STYLE.DASH_DOT
            elif dashes[0] <= 1.5 * look.linewidth:
                style = MSO_LINE_DASH_STYLE.ROUND_DOT
            else:
                style = MSO_LINE_DASH_STYLE.DASH
            shape.line.dash_style = style

    def fill(self, shape: Any, hex6: str | None, steps: tuple[str, ...]) -> None:
        if hex6 is None:
            shape.fill.background()
        else:
            shape.fill.solid()
            shape.fill.fore_color.rgb = self.colour(hex6, steps)

    def text(self, shape: Any, text: str, size_points: float, steps: tuple[str, ...],
             align: str = "center", anchor: str = "middle") -> bool:
        """Write ``text`` into ``shape``'s frame; False if it must be a picture instead."""
        from pptx.enum.text import MSO_ANCHOR, PP_ALIGN

        runs = math_runs(text)
        if runs is None:
            return False
        from pptx.enum.text import MSO_AUTO_SIZE

        frame = shape.text_frame
        frame.word_wrap = False
        frame.auto_size = MSO_AUTO_SIZE.NONE  # the box stays where the layout put it
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
        frame.vertical_anchor = {"top": MSO_ANCHOR.TOP, "bottom": MSO_ANCHOR.BOTTOM}.get(
            anchor, MSO_ANCHOR.MIDDLE)
        paragraph = frame.paragraphs[0]
        paragraph.alignment = {"left": PP_ALIGN.LEFT, "right": PP_ALIGN.RIGHT}.get(
            align, PP_ALIGN.CENTER)
        for content, italic, baseline in runs:
            run = paragraph.add_run()
            run.text = content
            font = run.font
            font.size = self.Pt(round(self.place.points(size_points), 1))
            font.italic = italic
            font.name = _FONT.get(self.scene.font_family, "Arial")
            font.color.rgb = self.colour(self.scene.text_color, steps)
            if baseline:
                run._r.get_or_add_rPr().set("baseline", "-25000" if baseline == "sub" else "30000")
        return True

    def text_box(self, text: str, anchor: tuple[float, float], offset: tuple[float, float],
                 ha: str, va: str, size_points: float, kind: str, steps: tuple[str, ...],
                 name: str) -> None:
        width, height = self.scene.text_sizes.get((text, kind), (1.0, size_points / 72))
        width, height = width * 1.15 + 0.04, height * 1.3  # room for the slide font's metrics
        x = self.place.x(anchor[0]) + self.place.inches(offset[0])
        y = self.place.y(anchor[1]) - self.place.inches(offset[1])
        box_w, box_h = self.place.inches(width), self.place.inches(height)
        left = {"left": x, "right": x - box_w}.get(ha, x - box_w // 2)
        top = {"top": y, "bottom": y - box_h, "baseline": y - box_h}.get(va, y - box_h // 2)
        shape = self.shapes.add_textbox(self.Emu(left), self.Emu(top), self.Emu(box_w),
                                        self.Emu(box_h))
        shape.name = name
        if not self.text(shape, text, size_points, steps, align=ha,
                         anchor={"top": "top", "bottom": "bottom",
                                 "baseline": "bottom"}.get(va, "middle")):
            shape._element.getparent().remove(shape._element)
            self.picture(text, x, y, ha, va, size_points, steps, name)

    def picture(self, text: str, x: int, y: int, ha: str, va: str, size_points: float,
                steps: tuple[str, ...], name: str) -> None:
        """Math the Unicode converter cannot say, rendered by mathtext as a picture whose
        anchor point is (x, y) EMU, aligned as the text would be."""
        import matplotlib as mpl
        from matplotlib.font_manager import FontProperties
        from matplotlib.mathtext import math_to_image
        from PIL import Image

        dpi = 600
        buffer = io.BytesIO()
        colour = "#" + self.scene.dim(self.scene.text_color, steps, self.highlight)
        with mpl.rc_context({"savefig.transparent": True}):
            math_to_image(text, buffer, prop=FontProperties(size=size_points), dpi=dpi,
                          format="png", color=colour)
        pixels_w, pixels_h = Image.open(io.BytesIO(buffer.getvalue())).size
        box_w = self.place.inches(pixels_w / dpi)
        box_h = self.place.inches(pixels_h / dpi)
        left = {"left": x, "right": x - box_w}.get(ha, x - box_w // 2)
        top = {"top": y, "bottom": y - box_h, "baseline": y - box_h}.get(va, y - box_h // 2)
        buffer.seek(0)
        picture = self.shapes.add_picture(buffer, self.Emu(left), self.Emu(top),
                                          self.Emu(box_w), self.Emu(box_h))
        picture.name = name

    # -- diagram elements ----------------------------------------------------------------------
    def region(self, bounds: tuple[float, float, float, float], name: str) -> None:
        from pptx.enum.shapes import MSO_SHAPE

        x, y, w, h = bounds
        shape = self.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, self.Emu(self.place.x(x)),
                                      self.Emu(self.place.y(y + h)),
                                      self.Emu(self.place.length(w)),
                                      self.Emu(self.place.length(h)))
        shape.adjustments[0] = 0.06
        shape.name = name
        # The cell body is background, never dimmed (as paint.py): lit in every step.
        self.fill(shape, self.scene.region_fill, self.always)
        self.line(shape, None, self.always, colour=self.scene.region_edge,
                  width=self.scene.region_linewidth)
        shape.shadow.inherit = False

    def node(self, geom: Any, steps: tuple[str, ...]) -> None:
        from pptx.enum.shapes import MSO_SHAPE

        node = geom.node
        look = self.scene.looks[node.role]
        (cx, cy), w, h = geom.center, geom.width, geom.height
        if geom.shape == "point":
            if node.kind == "dot":
                self.dot((cx, cy), node.role, steps, node.id)
            return
        kind = {"circle": MSO_SHAPE.OVAL}.get(geom.shape, MSO_SHAPE.ROUNDED_RECTANGLE)
        shape = self.shapes.add_shape(kind, self.Emu(self.place.x(cx - w / 2)),
                                      self.Emu(self.place.y(cy + h / 2)),
                                      self.Emu(self.place.length(w)),
                                      self.Emu(self.place.length(h)))
        shape.name = node.id
        shape.shadow.inherit = False
        if geom.shape == "box":
            shape.adjustments[0] = 0.18
            self.fill(shape, look.fill, steps)
            self.line(shape, node.role, steps)
        elif geom.shape == "stadium":
            shape.adjustments[0] = 0.5
            self.fill(shape, look.op_fill, steps)
            self.line(shape, node.role, steps)
        elif geom.shape == "circle":
            self.fill(shape, look.op_fill, steps)
            self.line(shape, node.role, steps)
        else:  # a block: a whole cell seen from outside, in the region's look
            shape.adjustments[0] = 0.06
            self.fill(shape, self.scene.region_fill, steps)
            self.line(shape, None, steps, colour=self.scene.region_edge,
                      width=self.scene.region_linewidth)
        if node.label and not self.text(shape, node.label, self.scene.font_size, steps):
            self.text_box(node.label, (cx, cy), (0.0, 0.0), "center", "center",
                          self.scene.font_size, "node", steps, f"{node.id} label")
        self.by_id[node.id] = (shape, geom)

    def dot(self, point: tuple[float, float], role: str, steps: tuple[str, ...],
            name: str) -> None:
        from pptx.enum.shapes import MSO_SHAPE

        radius = self.place.inches(self.scene.looks[role].dot_radius / 72)
        shape = self.shapes.add_shape(MSO_SHAPE.OVAL, self.Emu(self.place.x(point[0]) - radius),
                                      self.Emu(self.place.y(point[1]) - radius),
                                      self.Emu(2 * radius), self.Emu(2 * radius))
        shape.name = name
        shape.shadow.inherit = False
        self.fill(shape, self.scene.looks[role].line, steps)
        shape.line.fill.background()

    def wire(self, geom: Any, steps: tuple[str, ...], name: str) -> None:
        from pptx.enum.shapes import MSO_CONNECTOR

        from .diagram.crossings import run_points

        runs = self.scene.wire_runs[geom.index] if self.scene.wire_runs else (geom.points,)
        if len(runs) > 1:  # broken at a crossing: one group, a freeform a run
            group = self.shapes.add_group_shape()
            group.name = name
            for number, run in enumerate(runs, 1):
                self._freeform(group.shapes, run_points(run), geom, steps, f"{name} {number}",
                               arrow=geom.arrow and number == len(runs))
            return
        points = [(self.place.x(x), self.place.y(y)) for x, y in run_points(runs[0])]
        if len(points) == 2:
            (x0, y0), (x1, y1) = points
            shape = self.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, self.Emu(x0),
                                              self.Emu(y0), self.Emu(x1), self.Emu(y1))
            self._glue(shape, geom)
            shape.name = name
            shape.shadow.inherit = False
            self.line(shape, geom.wire.role, steps)
            if geom.arrow:
                self._arrowhead(shape, self.scene.looks[geom.wire.role])
        else:  # bent, or with a hop
            self._freeform(self.shapes, run_points(runs[0]), geom, steps, name, arrow=geom.arrow)

    def _freeform(self, shapes: Any, run: Any, geom: Any, steps: tuple[str, ...], name: str,
                  *, arrow: bool) -> None:
        """An open polyline of diagram points in the wire's look."""
        points = [(self.place.x(x), self.place.y(y)) for x, y in run]
        builder = shapes.build_freeform(points[0][0], points[0][1])
        builder.add_line_segments(points[1:], close=False)
        shape = builder.convert_to_shape()
        shape.fill.background()
        shape.name = name
        shape.shadow.inherit = False
        self.line(shape, geom.wire.role, steps)
        if arrow:
            self._arrowhead(shape, self.scene.looks[geom.wire.role])

    def _glue(self, connector: Any, geom: Any) -> None:
        """Glue a straight connector's ends to the side midpoints of the shapes it joins."""
        from pptx.oxml.ns import qn

        from .diagram.spec import parse_port, resolve_port

        sites = {"box": {"n": 0, "w": 1, "s": 2, "e": 3},
                 "stadium": {"n": 0, "w": 1, "s": 2, "e": 3},
                 "block": {"n": 0, "w": 1, "s": 2, "e": 3},
                 "circle": {"n": 0, "w": 2, "s": 4, "e": 6}}
        properties = connector._element.find(qn("p:nvCxnSpPr")).find(qn("p:cNvCxnSpPr"))
        for tag, ref in (("a:stCxn", geom.wire.source), ("a:endCxn", geom.wire.target)):
            node_id, port = parse_port(ref)
            if node_id not in self.by_id:
                continue
            shape, node_geom = self.by_id[node_id]
            site = sites.get(node_geom.shape, {}).get(resolve_port(node_geom.node, port))
            if site is None:
                continue
            element = properties.makeelement(qn(tag), {"id": str(shape.shape_id),
                                                       "idx": str(site)})
            properties.append(element)

    def _arrowhead(self, shape: Any, look: Look) -> None:
        from pptx.oxml.ns import qn

        # PowerPoint sizes heads in multiples of the line width: sm 2, med 3, lg 5.
        ratio = look.head_length / max(look.linewidth, 0.1)
        size = "lg" if ratio >= 4.5 else "med" if ratio >= 2.5 else "sm"
        ln = shape.line._get_or_add_ln()
        tail = ln.makeelement(qn("a:tailEnd"), {"type": "triangle", "w": size, "len": size})
        ln.append(tail)

    def legend_entry(self, entry: Any) -> None:
        from pptx.enum.shapes import MSO_SHAPE

        op, layer, state = LEGEND_ROLES
        x, y, s = entry.glyph_x, entry.y, entry.glyph
        name = f"legend {entry.kind}"
        if entry.kind == "layer":
            shape = self.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE,
                                          self.Emu(self.place.x(x)),
                                          self.Emu(self.place.y(y + 0.3 * s)),
                                          self.Emu(self.place.length(s)),
                                          self.Emu(self.place.length(0.6 * s)))
            shape.adjustments[0] = 0.17
            self.fill(shape, self.scene.looks[layer].fill, self.always)
            self.line(shape, layer, self.always)
            shape.name, shape.shadow.inherit = name, False
        elif entry.kind == "operation":
            r = 0.28 * s
            shape = self.shapes.add_shape(MSO_SHAPE.OVAL, self.Emu(self.place.x(x + s / 2 - r)),
                                          self.Emu(self.place.y(y + r)),
                                          self.Emu(self.place.length(2 * r)),
                                          self.Emu(self.place.length(2 * r)))
            self.fill(shape, self.scene.looks[op].op_fill, self.always)
            self.line(shape, op, self.always)
            shape.name, shape.shadow.inherit = name, False
        else:
            strokes = {"transfer": [[(x, y), (x + s, y)]],
                       "concatenate": [[(x, y + 0.3 * s), (x + s / 2, y), (x + s, y)],
                                       [(x, y - 0.3 * s), (x + s / 2, y)]],
                       "copy": [[(x, y), (x + s / 2, y), (x + s, y + 0.3 * s)],
                                [(x + s / 2, y), (x + s, y - 0.3 * s)]]}.get(entry.kind, [])
            for stroke in strokes:
                points = [(self.place.x(px), self.place.y(py)) for px, py in stroke]
                builder = self.shapes.build_freeform(points[0][0], points[0][1])
                builder.add_line_segments(points[1:], close=False)
                shape = builder.convert_to_shape()
                shape.fill.background()
                self.line(shape, state, self.always)
                shape.line.dash_style = None
                shape.name, shape.shadow.inherit = name, False
                if entry.kind == "transfer":
                    self._arrowhead(shape, self.scene.looks[state])
            if entry.kind == "copy":
                self.dot((x + s / 2, y), state, self.always, name)
        self.text_box(entry.text, (x + s + entry.gap, y), (0.0, 0.0), "left", "center",
                      self.scene.legend_font_size, "legend", self.always, f"{name} text")


def _diagram_slide(prs: Any, scene: Scene, highlight: str | None) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank
    background = slide.background.fill
    background.solid()
    from pptx.dml.color import RGBColor

    background.fore_color.rgb = RGBColor.from_string(scene.background)
    writer = _SlideWriter(slide, scene, highlight)
    spec = scene.layout.spec
    for region in scene.layout.regions:
        writer.region(region.bounds, region.region.id)
    for node_geom, steps in scene.nodes:
        writer.node(node_geom, steps)
    for index, (wire_geom, steps) in enumerate(scene.wires):
        writer.wire(wire_geom, steps, spec.wire_id(index))
    for number, (point, role, steps) in enumerate(scene.dots, 1):
        writer.dot(point, role, steps, f"branch {number}")
    for item, steps in scene.texts:
        if item.kind == "node":
            continue
        writer.text_box(item.text, item.anchor, item.offset, item.ha, item.va,
                        scene.font_size, item.kind, steps, f"{item.owner} label")
    for entry in scene.legend:
        writer.legend_entry(entry)
    for number, equation in enumerate(scene.equations, 1):
        writer.text_box(equation.text, (equation.x, equation.y), (0.0, 0.0), "left", "center",
                        scene.font_size, "label", equation.steps, f"equation {number}")
    if highlight is not None:
        _notes(slide, f"step: {highlight}")


def _notes(slide: Any, text: str) -> None:
    slide.notes_slide.notes_text_frame.text = text


def _picture_slide(prs: Any, fig: Any, dpi: float | None) -> None:
    from pptx.util import Emu

    width, height = (float(v) for v in fig.get_size_inches())
    zoom = min(SLIDE_WIDTH / width, SLIDE_HEIGHT / height)
    resolution = dpi or PICTURE_PIXELS / SLIDE_WIDTH * zoom
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=resolution, metadata={"Software": None})
    buffer.seek(0)
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box_w, box_h = width * zoom, height * zoom
    slide.shapes.add_picture(buffer, Emu(round((SLIDE_WIDTH - box_w) / 2 * EMU_PER_INCH)),
                             Emu(round((SLIDE_HEIGHT - box_h) / 2 * EMU_PER_INCH)),
                             Emu(round(box_w * EMU_PER_INCH)), Emu(round(box_h * EMU_PER_INCH)))


def _new_presentation(title: str) -> Any:
    pptx = _require_pptx()
    from pptx.util import Emu

    prs = pptx.Presentation()
    prs.slide_width, prs.slide_height = Emu(SLIDE_EMU[0]), Emu(SLIDE_EMU[1])
    core = prs.core_properties
    core.title = title
    core.author = "lstmfigs"
    core.last_modified_by = "lstmfigs"
    core.revision = 1
    core.created = core.modified = core.last_printed = FIXED_DATE
    return prs


def _reproducible_zip(data: bytes) -> bytes:
    """The same zip with every entry dated 1980-01-01 (python-pptx stamps the save time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def pptx_bytes(req: Request, *, data: dict[str, Any] | None = None) -> bytes:
    """The slide deck of figure ``req``: a diagram drawn from a spec as native shapes, one
    slide a highlight step; any other figure as a picture at the request's dpi.

    Parameters
    ----------
    req : Request
        The figure, its theme, width, dpi and options.
    data : dict, optional
        A data figure's numbers, if they are computed already.

    Returns
    -------
    bytes
        A reproducible ``.pptx`` file.
    """
    _require_pptx()
    from .build import build

    title = req.spec.name if req.entry is None and req.spec is not None else req.name
    prs = _new_presentation(title)
    if req.spec is not None:
        scene = build_scene(req)
        for step in (None, *scene.steps):
            _diagram_slide(prs, scene, step)
    else:
        fig = build(req, data=data)
        try:
            _picture_slide(prs, fig, req.dpi)
        finally:
            fig.clear()
    buffer = io.BytesIO()
    prs.save(buffer)
    return _reproducible_zip(buffer.getvalue())


def save_pptx(req: Request, path: Any, *, data: dict[str, Any] | None = None) -> Path:
    """Write :func:`pptx_bytes` to ``path`` atomically.

    Parameters
    ----------
    req : Request
        The figure (see :func:`pptx_bytes`).
    path : path-like
        The ``.pptx`` file to write.
    data : dict, optional
        A data figure's numbers, if computed already.

    Returns
    -------
    Path
        The file written.
    """
    deck = pptx_bytes(req, data=data)
    return atomic_write(Path(path), lambda handle: handle.write(deck))
