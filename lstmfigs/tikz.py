"""TikZ: a diagram as a standalone-ready, hand-editable TikZ picture.

The picture is written from the diagram's layout (:mod:`lstmfigs.scene`), not from
matplotlib artists, so it has the PDF's geometry: coordinates are the spec's diagram
units (``x``/``y`` of the picture are set to the layout's scale), line widths are in bp
(1/72 in, matplotlib's points), and the picture's bounding box is the figure's page.

* One colour and one style per role, defined at the top from the theme
  (``forget_gate wire``, ``forget_gate gate``, ``forget_gate dim``, ...): recolour a role
  in one place.
* Nodes are TikZ nodes named by their spec id (``(forget_gate)``); wires are orthogonal
  paths from node anchor to node anchor (``(forget_gate.north) -- (forget_mul.south)``)
  with arrowheads; copy points are dots.  Where wires cross, the theme's hop is an ``arc``
  in the path and its gap a break between two subpaths.
* Labels are LaTeX math (``$C_{t-1}$``), so the document's fonts apply.
* Highlight steps are Beamer overlays: in a frame, overlay 1 shows the whole diagram and
  overlay k + 1 lights step k, everything outside it dimmed (``lit on=<...>`` uses
  Beamer's ``\\alt``).  Outside Beamer nothing is dimmed.

The file is a ``standalone`` document: ``pdflatex lstm-cell.tex`` makes a PDF of the
figure's size, and a paper or a Beamer deck that loads the ``standalone`` package (and
``tikz`` with the ``arrows.meta`` library, ``amsmath``, ``amssymb``) takes it with
``\\input{lstm-cell.tex}``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagram.crossings import Arc
from .diagram.geometry import HEAD_HALF_WIDTH
from .export import atomic_write
from .scene import LEGEND_ROLES, Scene, build_scene

if TYPE_CHECKING:  # pragma: no cover
    from .build import Request

#: The packages the picture needs; a document that ``\input``s it loads them too.
PREAMBLE = ("\\usepackage{tikz}\n\\usetikzlibrary{arrows.meta}\n"
            "\\usepackage{amsmath}\n\\usepackage{amssymb}\n")

_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
                   "#": r"\#", "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%",
                   "~": r"\textasciitilde{}"}
_ANCHOR_H = {"left": "west", "right": "east", "center": ""}
_ANCHOR_V = {"top": "north", "bottom": "south", "center": "", "baseline": "base"}


def latex_text(text: str) -> str:
    """Mathtext as LaTeX: ``$...$`` parts pass through (mathtext is LaTeX's math syntax,
    and a validated spec holds only math that mathtext parses), the rest is escaped.

    Parameters
    ----------
    text : str
        Mathtext; without balanced ``$`` pairs it is all plain text.

    Returns
    -------
    str
        LaTeX source.
    """
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            current += char
            escaped = True
        elif char == "$":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    if len(parts) < 3 or len(parts) % 2 == 0:  # no (balanced) math: all plain text
        parts = [text]
    out = []
    for index, part in enumerate(parts):
        out.append(f"${_latex_math(part)}$" if index % 2 else _escape(part))
    return "".join(out)


def _escape(text: str) -> str:
    return "".join(_LATEX_SPECIALS.get(c, c) for c in _printable(text))


def _printable(text: str) -> str:
    """Control characters (which TeX rejects or treats as markup) as ``?``."""
    return "".join("?" if ord(c) < 32 or ord(c) == 127 else c for c in text)


def _latex_math(math: str) -> str:
    """Mathtext math as LaTeX math.  Mathtext rejects unknown commands, but it takes the
    argument of ``\\text{...}`` as raw text and ``%``, ``&``, ``#`` as symbols: LaTeX
    would run or misread those, so they are escaped (a label is data, never code)."""
    math = _printable(math)
    out, index = [], 0
    while index < len(math):
        match = re.match(r"\\text\s*\{", math[index:])
        if match:
            depth, end = 1, index + match.end()
            while end < len(math) and depth:
                depth += {"{": 1, "}": -1}.get(math[end], 0)
                end += 1
            out.append("\\text{" + _escape(math[index + match.end():end - 1]) + "}")
            index = end
        elif math[index] == "\\":
            out.append(math[index:index + 2])  # a command or an escaped character
            index += 2
        else:
            out.append("\\" + math[index] if math[index] in "%&#" else math[index])
            index += 1
    return "".join(out)


def _n(value: float) -> str:
    """A coordinate, rounded to 1e-4 units (well below a micrometre at any scale)."""
    text = f"{round(float(value), 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pt(value: float) -> str:
    return f"{_n(value)}bp"


def _xy(point: tuple[float, float]) -> str:
    return f"({_n(point[0])},{_n(point[1])})"


def _anchor(ha: str, va: str) -> str:
    vertical, horizontal = _ANCHOR_V[va], _ANCHOR_H[ha]
    if vertical == "base":
        return f"base {horizontal}".strip()
    return f"{vertical} {horizontal}".strip() or "center"


class _Writer:
    def __init__(self, scene: Scene, name: str):
        self.scene = scene
        self.name = name
        self.lines: list[str] = []
        # Beamer overlay of each step: 1 is the whole diagram.
        self.overlay = {step: index + 2 for index, step in enumerate(scene.steps)}

    def emit(self, line: str = "") -> None:
        self.lines.append(line)

    def lit(self, steps: tuple[str, ...], dim_style: str) -> str:
        """``, lit on=<1,3>{dim style}``: dimmed on the overlays of other steps."""
        if not self.scene.steps or all(step in steps for step in self.scene.steps):
            return ""
        slides = ",".join(["1"] + [str(self.overlay[s]) for s in self.scene.steps if s in steps])
        return f", lit on={{<{slides}>{{{dim_style}}}}}"  # braced: the list has commas

    # -- the top: colours and styles -------------------------------------------------------
    def header(self, theme: str) -> None:
        scene = self.scene
        width, height = scene.figure_size
        self.emit(f"% {self.name}: drawn by lstmfigs in theme '{theme}', "
                  f"{width:.3f} x {height:.3f} in.")
        self.emit("% Compile alone: pdflatex FILE.tex.  In a paper or a Beamer deck: load the")
        self.emit("% packages below and the standalone package, then \\input{FILE.tex}.")
        if scene.steps:
            steps = ", ".join(f"{self.overlay[s]} {s}" for s in scene.steps)
            self.emit(f"% Beamer overlays: 1 the whole diagram, {steps} (the rest dimmed);")
            self.emit("% outside Beamer nothing is dimmed.")
        self.emit("% Coordinates are the spec's diagram units; line widths in bp (1/72 in).")
        self.emit("\\documentclass[border=0pt]{standalone}")
        for line in PREAMBLE.splitlines():
            self.emit(line)
        self.emit("\\begin{document}")
        self.emit(f"\\begin{{tikzpicture}}[x={scene.scale:.6f}in, y={scene.scale:.6f}in]")
        self.emit("\\tikzset{")
        self.emit(f"  lstmfigs text/.style={{font=\\fontsize{{{_pt(scene.font_size)}}}"
                  f"{{{_pt(scene.font_size * 1.2)}}}\\selectfont, text=text, inner sep=0pt, "
                  "outer sep=0pt},")
        self.emit(f"  lstmfigs legend/.style={{lstmfigs text, font=\\fontsize"
                  f"{{{_pt(scene.legend_font_size)}}}{{{_pt(scene.legend_font_size * 1.2)}}}"
                  "\\selectfont},")
        self.emit("  % One style per role: its colour, line width, dashes and arrowhead.")
        for role, look in scene.looks.items():
            dash = ""
            if look.dashes:
                dash = ", dash pattern=" + " ".join(
                    f"{'on' if i % 2 == 0 else 'off'} {_pt(d)}" for i, d in enumerate(look.dashes))
            head = look.head_length  # points, as the layout draws it
            self.emit(f"  {role}/.style={{draw={role}, line width={_pt(look.linewidth)}{dash}, "
                      f">={{Triangle[length={_pt(head)}, width={_pt(2 * HEAD_HALF_WIDTH * head)}, "
                      "line width=0pt]}},")
        self.emit("  % Elements of a role, and their dimmed looks (outside a highlighted step).")
        self.emit("  wire/.style={#1, line join=miter}, wire dim/.style={draw=#1_dim},")
        self.emit("  gate/.style={lstmfigs text, #1, fill=#1_fill},")
        self.emit("  gate dim/.style={draw=#1_dim, fill=#1_fill_dim, text=text_dim},")
        self.emit("  op/.style={lstmfigs text, #1, fill=#1_opfill},")
        self.emit("  op dim/.style={draw=#1_dim, fill=#1_opfill_dim, text=text_dim},")
        self.emit("  dot/.style={fill=#1}, dot dim/.style={fill=#1_dim},")
        self.emit("  text dim/.style={text=text_dim},")
        self.emit(f"  region/.style={{draw=region_edge, fill=region_fill, "
                  f"line width={_pt(scene.region_linewidth)}}},")
        self.emit("  block/.style={region, lstmfigs text},")
        self.emit("  block dim/.style={draw=region_edge_dim, fill=region_fill_dim, text=text_dim},")
        self.emit("  % Beamer: lit on=<overlays>{style}: the element takes {style} (dimmed) on")
        self.emit("  % every other overlay.  Outside Beamer \\alt is undefined: never dimmed.")
        self.emit("  lit on/.code args={<#1>#2}"
                  "{\\ifdefined\\alt\\alt<#1>{}{\\pgfkeysalso{#2}}\\fi},")
        self.emit("}")
        colours = [("text", scene.text_color), ("background", scene.background),
                   ("region_fill", scene.region_fill), ("region_edge", scene.region_edge)]
        for role, look in scene.looks.items():
            colours += [(role, look.line), (f"{role}_fill", look.fill),
                        (f"{role}_opfill", look.op_fill)]
        for name, value in list(colours):
            if name != "background":
                colours.append((f"{name}_dim", scene.dimmed(value)))
        for name, value in colours:
            self.emit(f"\\definecolor{{{name}}}{{HTML}}{{{value}}}")

    # -- the picture ---------------------------------------------------------------------------
    def body(self) -> None:
        scene = self.scene
        spec = scene.layout.spec
        lower, upper = scene.origin, scene.top_right
        self.emit("% The page: the figure's size.")
        self.emit(f"\\useasboundingbox {_xy(lower)} rectangle {_xy(upper)};")
        if not scene.transparent and scene.background != "FFFFFF":
            self.emit(f"\\fill[background] {_xy(lower)} rectangle {_xy(upper)};")
        if spec.regions:
            self.emit("% Regions (the cell body).")
        for region_geom in scene.layout.regions:
            region = region_geom.region
            x, y, w, h = region_geom.bounds
            self.emit(f"\\draw[region, rounded corners={_n(min(w, h) * 0.06 * scene.scale)}in] "
                      f"{_xy((x, y))} rectangle {_xy((x + w, y + h))}; % {region.id}")
        self.emit("% Nodes, named by their spec id.")
        for node_geom, steps in scene.nodes:
            self.node(node_geom, steps)
        self.emit("% Wires, from port to port.")
        for wire_geom, steps in scene.wires:
            self.wire(wire_geom, steps)
        for point, role, steps in scene.dots:
            radius = scene.looks[role].dot_radius
            self.emit(f"\\fill[dot={role}{self.lit(steps, f'dot dim={role}')}] {_xy(point)} "
                      f"circle[radius={_pt(radius)}]; % branch")
        texts = [(item, steps) for item, steps in scene.texts if item.kind != "node"]
        if texts:
            self.emit("% Labels.")
        for item, steps in texts:
            shift = "".join(f", {axis}shift={_pt(value * 72)}"
                            for axis, value in zip("xy", item.offset, strict=True) if value)
            # A terminal's label hangs on the terminal's coordinate: move one, both move.
            where = f"({item.owner})" if item.kind == "terminal" else _xy(item.anchor)
            self.emit(f"\\node[lstmfigs text, anchor={_anchor(item.ha, item.va)}{shift}"
                      f"{self.lit(steps, 'text dim')}] at {where} {{{latex_text(item.text)}}};")
        if scene.legend:
            self.emit("% Legend of the notation.")
            for entry in scene.legend:
                self.legend_entry(entry)
        if scene.equations:
            self.equations()
        self.emit("\\end{tikzpicture}")
        self.emit("\\end{document}")

    def equations(self) -> None:
        """The equations as a matrix, in the renderer's columns and line spacing: the
        document's math font may be wider than mathtext's, so columns are spaced by TikZ
        from the widest line, not placed at fixed x."""
        scene = self.scene
        columns = sorted({round(e.x, 6) for e in scene.equations})
        by_column = [[e for e in scene.equations if round(e.x, 6) == x] for x in columns]
        rows = max(len(column) for column in by_column)
        first = by_column[0][0]
        width = {e.text: scene.text_sizes[(e.text, "label")][0] / scene.scale
                 for e in scene.equations}  # diagram units, as mathtext measured them
        spacing = (abs(by_column[0][0].y - by_column[0][1].y) * scene.scale
                   if len(by_column[0]) > 1 else scene.font_size / 72 * 1.55)
        widest = max(width.values())  # the renderer's columns are all this wide
        gap = (columns[1] - columns[0] - widest) * scene.scale if len(columns) > 1 else 0.0
        # The block is centred where the renderer centred it, so a wider math font grows it
        # equally to both sides; its top is the top of the first line.
        centre = (columns[0] + columns[-1] + widest) / 2
        top = first.y + max(scene.text_sizes[(column[0].text, "label")][1]
                            for column in by_column) / 2 / scene.scale
        self.emit("% Equations: a matrix whose columns TikZ spaces by the widest line.")
        self.emit(f"\\matrix[anchor=north, inner sep=0pt, column sep={_n(max(gap, 0.0))}in, "
                  f"row sep={{{_n(spacing)}in,between origins}}, "
                  "nodes={lstmfigs text, anchor=base west}] at "
                  f"{_xy((centre, top))} {{")
        number = {id(e): i for i, e in enumerate(scene.equations, 1)}
        for row in range(rows):
            cells = []
            for column in by_column:
                if row < len(column):
                    equation = column[row]
                    cells.append(f"\\node{self.lit_options(equation.steps)} "
                                 f"(eq{number[id(equation)]}) {{{latex_text(equation.text)}}};")
                else:
                    cells.append("")
            self.emit("  " + " & ".join(cells) + " \\\\")
        self.emit("};")

    def lit_options(self, steps: tuple[str, ...]) -> str:
        option = self.lit(steps, "text dim")
        return f"[{option[2:]}]" if option else ""

    def node(self, geom: Any, steps: tuple[str, ...]) -> None:
        node = geom.node
        scale = self.scene.scale
        label = latex_text(node.label) if node.label else ""
        where = _xy(geom.center)
        size = (f"minimum width={_n(geom.width * scale)}in, "
                f"minimum height={_n(geom.height * scale)}in")
        if geom.shape == "box":
            rounding = min(geom.width, geom.height) * 0.18 * scale
            self.emit(f"\\node[gate={node.role}, {size}, rounded corners={_n(rounding)}in"
                      f"{self.lit(steps, f'gate dim={node.role}')}] ({node.id}) at {where} "
                      f"{{{label}}};")
        elif geom.shape == "block":
            rounding = min(geom.width, geom.height) * 0.06 * scale
            self.emit(f"\\node[block, {size}, rounded corners={_n(rounding)}in"
                      f"{self.lit(steps, 'block dim')}] ({node.id}) at {where} {{{label}}};")
        elif geom.shape == "circle":
            self.emit(f"\\node[op={node.role}, circle, minimum size={_n(geom.width * scale)}in"
                      f"{self.lit(steps, f'op dim={node.role}')}] ({node.id}) at {where} "
                      f"{{{label}}};")
        elif geom.shape == "stadium":
            self.emit(f"\\node[op={node.role}, {size}, rounded corners="
                      f"{_n(geom.height / 2 * scale)}in{self.lit(steps, f'op dim={node.role}')}] "
                      f"({node.id}) at {where} {{{label}}};")
        else:
            self.emit(f"\\coordinate ({node.id}) at {where};")
            if node.kind == "dot":
                radius = self.scene.looks[node.role].dot_radius
                self.emit(f"\\fill[dot={node.role}{self.lit(steps, f'dot dim={node.role}')}] "
                          f"({node.id}) circle[radius={_pt(radius)}];")

    def end(self, ref: str, point: tuple[float, float]) -> str:
        """A wire end as TikZ sees it: a node anchor, a coordinate's name, or a point."""
        from .diagram.spec import parse_port, resolve_port

        node_id, port = parse_port(ref)
        geom = self.scene.layout.nodes[node_id]
        if geom.shape == "point":
            return f"({node_id})"
        side = resolve_port(geom.node, port)
        anchor = {"n": "north", "s": "south", "e": "east", "w": "west"}.get(side)
        return f"({node_id}.{anchor})" if anchor else _xy(point)

    def wire(self, geom: Any, steps: tuple[str, ...]) -> None:
        wire = geom.wire
        runs = self.scene.wire_runs[geom.index] if self.scene.wire_runs else (geom.points,)
        # Every run is one subpath (a gap lifts the pen: the next run starts with a bare
        # coordinate); a hop is an arc from the point before it.  The path starts and ends
        # at the nodes' anchors.
        parts = []
        for number, run in enumerate(runs):
            pieces = []
            for index, item in enumerate(run):
                if isinstance(item, Arc):
                    pieces.append(f" arc[start angle={_n(item.start)}, end angle={_n(item.end)}, "
                                  f"radius={_pt(item.radius * self.scene.scale * 72)}]")
                    continue
                if number == 0 and index == 0:
                    where = self.end(wire.source, item)
                elif number == len(runs) - 1 and index == len(run) - 1:
                    where = self.end(wire.target, item)
                else:
                    where = _xy(item)
                pieces.append(where if index == 0 else f" -- {where}")
            parts.append("".join(pieces))
        arrow = ", ->" if geom.arrow else ""
        self.emit(f"\\draw[wire={wire.role}{arrow}{self.lit(steps, f'wire dim={wire.role}')}] "
                  + " ".join(parts) + ";")

    def legend_entry(self, entry: Any) -> None:
        x, y, s = entry.glyph_x, entry.y, entry.glyph
        op, layer, state = LEGEND_ROLES
        if entry.kind == "layer":
            rounding = s * 0.1 * self.scene.scale
            self.emit(f"\\draw[gate={layer}, solid, rounded corners={_n(rounding)}in] "
                      f"{_xy((x, y - 0.3 * s))} rectangle {_xy((x + s, y + 0.3 * s))};")
        elif entry.kind == "operation":
            self.emit(f"\\draw[op={op}, solid] {_xy((x + s / 2, y))} "
                      f"circle[radius={_n(0.28 * s)}];")
        elif entry.kind == "transfer":
            self.emit(f"\\draw[wire={state}, solid, ->] {_xy((x, y))} -- {_xy((x + s, y))};")
        elif entry.kind == "concatenate":
            self.emit(f"\\draw[wire={state}, solid] {_xy((x, y + 0.3 * s))} -- "
                      f"{_xy((x + s / 2, y))} -- {_xy((x + s, y))} {_xy((x, y - 0.3 * s))} -- "
                      f"{_xy((x + s / 2, y))};")
        elif entry.kind == "copy":
            radius = self.scene.looks[state].dot_radius
            self.emit(f"\\draw[wire={state}, solid] {_xy((x, y))} -- {_xy((x + s / 2, y))} -- "
                      f"{_xy((x + s, y + 0.3 * s))} {_xy((x + s / 2, y))} -- "
                      f"{_xy((x + s, y - 0.3 * s))};")
            self.emit(f"\\fill[dot={state}] {_xy((x + s / 2, y))} circle[radius={_pt(radius)}];")
        self.emit(f"\\node[lstmfigs legend, anchor=west] at {_xy((x + s + entry.gap, y))} "
                  f"{{{latex_text(entry.text)}}};")


def scene_tikz(scene: Scene, name: str, theme: str = "paper") -> str:
    """The TikZ source of a scene (see the module docstring).

    Parameters
    ----------
    scene : Scene
        From :func:`lstmfigs.scene.scene_of`.
    name : str
        The figure's name, for the header.
    theme : str, default: "paper"
        The theme's name, for the header.

    Returns
    -------
    str
        The TikZ source, ending in a newline.
    """
    writer = _Writer(scene, name)
    writer.header(theme)
    writer.body()
    return "\n".join(writer.lines) + "\n"


def to_tikz(req: Request) -> str:
    """The TikZ picture of diagram ``req`` (a built-in diagram or a spec).

    Parameters
    ----------
    req : Request
        The diagram, its theme, width and options (``legend``, ``equations``, ...); every
        highlight step is in the picture as a Beamer overlay.

    Returns
    -------
    str
        A standalone LaTeX document (``\\input`` it into a paper or a deck).
    """
    title = req.spec.name if req.entry is None and req.spec is not None else req.name
    return scene_tikz(build_scene(req), title, req.theme.name)


def save_tikz(req: Request, path: Any) -> Path:
    """Write :func:`to_tikz` to ``path`` (usually ``NAME.tex``), atomically.

    Parameters
    ----------
    req : Request
        The diagram (see :func:`to_tikz`).
    path : path-like
        The ``.tex`` file to write.

    Returns
    -------
    Path
        The file written.
    """
    encoded = to_tikz(req).encode("utf-8")
    return atomic_write(Path(path), lambda handle: handle.write(encoded))
