"""Editable outputs: TikZ (compiled with pdflatex where installed), editable SVG and
PowerPoint (read back with python-pptx, converted with LibreOffice where installed).

Structure is always checked; the real clients (pdflatex, LibreOffice) are run where they
are installed and the tests that need them skip cleanly otherwise.  "Looks like the PDF"
is measured: both files are rendered with pdftoppm at the same resolution, and each role's
colour must cover about as many pixels in one as in the other.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import lstmfigs
from lstmfigs.cli import main
from lstmfigs.tikz import latex_text

PDFLATEX = shutil.which("pdflatex")
PDFTOPPM = shutil.which("pdftoppm")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_pdflatex = pytest.mark.skipif(not (PDFLATEX and PDFTOPPM),
                                    reason="pdflatex and pdftoppm are not installed")
needs_libreoffice = pytest.mark.skipif(not (SOFFICE and PDFTOPPM),
                                       reason="LibreOffice and pdftoppm are not installed")
SVG = "{http://www.w3.org/2000/svg}"
#: Okabe-Ito colours of the paper theme: forget gate, cell state, hidden state, candidate.
ROLE_COLOURS = {"forget_gate": (0xE6, 0x9F, 0x00), "cell_state": (0x00, 0x72, 0xB2),
                "hidden_state": (0xD5, 0x5E, 0x00), "candidate": (0x00, 0x9E, 0x73)}


@pytest.fixture(scope="module")
def cell_tikz() -> str:
    return lstmfigs.to_tikz("lstm-cell")


def _pdflatex(tex: Path) -> Path:
    result = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                            cwd=tex.parent, capture_output=True, text=True, timeout=240,
                            check=False)  # the log says why, below
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert result.returncode == 0, log[-3000:]
    return tex.with_suffix(".pdf")


def _page_image(pdf: Path, page: int = 1, dpi: int = 60) -> np.ndarray:
    stem = pdf.parent / f"{pdf.stem}-p{page}"
    subprocess.run([PDFTOPPM, "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l",
                    str(page), str(pdf), str(stem)], check=True, timeout=120)
    return np.asarray(Image.open(f"{stem}.png").convert("RGB")).astype(int)


def _coverage(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    """Pixels within ``tolerance`` (per channel) of ``rgb``."""
    return int((np.abs(image - np.array(rgb)).max(axis=2) <= tolerance).sum())


def _page_size_bp(pdf: Path) -> tuple[float, float]:
    info = subprocess.run([shutil.which("pdfinfo") or "pdfinfo", str(pdf)], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    width, height = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return float(width), float(height)


# -- TikZ ------------------------------------------------------------------------------------

def test_tikz_has_a_style_per_role_from_the_theme(cell_tikz):
    assert "\\definecolor{forget_gate}{HTML}{E69F00}" in cell_tikz  # the paper theme's orange
    assert "\\definecolor{cell_state}{HTML}{0072B2}" in cell_tikz
    for role in ("cell_state", "hidden_state", "input", "forget_gate", "input_gate",
                 "candidate", "output_gate", "operation"):
        assert re.search(rf"^  {role}/\.style=\{{draw={role}, line width=[\d.]+bp", cell_tikz,
                         re.MULTILINE), role
    # Styles come before anything is drawn.
    assert cell_tikz.index("\\tikzset{") < cell_tikz.index("\\node[")
    # A theme with dashes carries them into the role's style.
    assert "dash pattern=on" in lstmfigs.to_tikz("lstm-cell", theme="print")
    assert "dash pattern=on" not in cell_tikz


def test_tikz_names_every_node_and_draws_every_wire(cell_tikz):
    spec = lstmfigs.figure("lstm-cell").lstmfigs_diagram.layout.spec  # as drawn: dots too
    for node in spec.nodes:
        assert f"({node.id})" in cell_tikz, node.id
    assert "\\node[gate=forget_gate" in cell_tikz
    # A pointwise operation is a circle, whatever the font (Computer Modern's x is flat).
    assert re.search(r"\\node\[op=operation, circle, minimum size=[\d.]+in.*"
                     r"\(c_mul\)", cell_tikz)
    wires = [line for line in cell_tikz.splitlines()
             if line.startswith("\\draw[wire=") and "solid" not in line]  # not the legend
    assert len(wires) == len(spec.wires)
    # Wires run from node anchor to node anchor, orthogonally, with arrowheads where the
    # layout has them.
    assert "\\draw[wire=forget_gate, ->, lit on={<1,2,4>{wire dim=forget_gate}}] " \
           "(f.north) -- (c_mul.south);" in cell_tikz
    kinds = {node.id: node.kind for node in spec.nodes}
    assert sum("->" in w for w in wires) == sum(
        1 for w in spec.wires if kinds[w.target.split(".")[0]] not in ("dot", "concat"))
    # Copy points are dots.
    assert re.search(r"\\fill\[dot=input[^\]]*\] \(concat-split1\) circle\[radius=[\d.]+bp\]",
                     cell_tikz)


def test_tikz_labels_are_latex_math(cell_tikz):
    assert "{$C_{t-1}$}" in cell_tikz
    assert "{$\\tilde{C}_t$}" in cell_tikz
    assert "{$\\sigma$}" in cell_tikz


def test_tikz_highlight_steps_are_beamer_overlays(cell_tikz):
    # Overlay 1 is the whole cell, then forget, input, update, output.
    assert "1 the whole diagram, 2 forget, 3 input, 4 update, 5 output" in cell_tikz
    assert "(f) at" in cell_tikz
    forget_gate = next(line for line in cell_tikz.splitlines() if "(f) at" in line)
    assert "lit on={<1,2>{gate dim=forget_gate}}" in forget_gate
    output_gate = next(line for line in cell_tikz.splitlines() if "(o) at" in line)
    assert "lit on={<1,5>{gate dim=output_gate}}" in output_gate
    # The cell body is never dimmed, and outside Beamer nothing is.
    region = next(line for line in cell_tikz.splitlines() if line.endswith("% cell"))
    assert "lit on" not in region
    assert "\\ifdefined\\alt\\alt<#1>{}{\\pgfkeysalso{#2}}\\fi" in cell_tikz


def test_tikz_is_reproducible_and_has_the_figure_size(cell_tikz):
    assert lstmfigs.to_tikz("lstm-cell") == cell_tikz
    fig = lstmfigs.figure("lstm-cell")
    width, height = fig.get_size_inches()
    scale = float(re.search(r"x=([\d.]+)in", cell_tikz).group(1))
    box = re.search(r"\\useasboundingbox \(([-\d.]+),([-\d.]+)\) rectangle \(([-\d.]+),([-\d.]+)\)",
                    cell_tikz)
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    assert (x1 - x0) * scale == pytest.approx(width, abs=1e-3)
    assert (y1 - y0) * scale == pytest.approx(height, abs=1e-3)


@pytest.mark.parametrize("text, expected", [
    ("$C_{t-1}$", "$C_{t-1}$"),
    ("LSTM$^{(1)}$", "LSTM$^{(1)}$"),
    ("50% & #1_x {y} ~ ^", r"50\% \& \#1\_x \{y\} \textasciitilde{} \textasciicircum{}"),
    (r"\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
    ("costs $5", r"costs \$5"),
    # mathtext takes \text{...} as raw text and % & # as symbols: LaTeX must not run them.
    (r"$\text{\input{/etc/passwd}}$", r"$\text{\textbackslash{}input\{/etc/passwd\}}$"),
    (r"$a&b \% 1#$", r"$a\&b \% 1\#$"),
    ("a\x07b$x\x1b$", "a?b$x?$"),  # control characters: TeX would reject or obey them
])
def test_latex_text_escapes_everything_outside_math(text, expected):
    assert latex_text(text) == expected


def test_tikz_of_a_data_figure_is_one_line_error(tmp_path):
    with pytest.raises(lstmfigs.LstmfigsError, match="not a diagram drawn from a spec"):
        lstmfigs.to_tikz("gate-heatmaps")
    result = CliRunner().invoke(main, ["render", "gate-heatmaps", "--format", "tikz", "-o",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


def _unlike(ours: np.ndarray, theirs: np.ndarray) -> list[str]:
    """How two page images of one figure differ: each role's colour must cover about the
    same area (so boxes, wires and arrowheads are there, in the theme's colours), and the
    pictures must agree pixel by pixel apart from the fonts' shapes."""
    # TeX's arithmetic may make the page a few thousandths of a bp wider: one more pixel.
    if abs(ours.shape[0] - theirs.shape[0]) > 1 or abs(ours.shape[1] - theirs.shape[1]) > 1:
        return [f"sizes {ours.shape} and {theirs.shape}"]
    rows, columns = min(ours.shape[0], theirs.shape[0]), min(ours.shape[1], theirs.shape[1])
    ours, theirs = ours[:rows, :columns], theirs[:rows, :columns]
    problems = []
    for role, rgb in ROLE_COLOURS.items():
        a, b = _coverage(ours, rgb), _coverage(theirs, rgb)
        if b < 50 or abs(a - b) > 0.25 * b:
            problems.append(f"{role}: {a} against {b} pixels")
    difference = np.abs(ours - theirs).mean()
    if difference >= 6:
        problems.append(f"mean difference {difference:.1f}")
    return problems


@needs_pdflatex
@pytest.mark.slow
def test_tikz_compiles_and_looks_like_the_pdf(tmp_path):
    result = CliRunner().invoke(main, ["render", "lstm-cell", "--format", "tikz,pdf", "-o",
                                       str(tmp_path)])
    assert result.exit_code == 0, result.output
    (tmp_path / "tikz").mkdir()
    tex = Path(shutil.move(tmp_path / "lstm-cell.tex", tmp_path / "tikz" / "lstm-cell.tex"))
    compiled = _pdflatex(tex)
    reference = tmp_path / "lstm-cell.pdf"
    # The same page: the figure's size in bp.
    assert _page_size_bp(compiled) == pytest.approx(_page_size_bp(reference), abs=0.5)
    assert _unlike(_page_image(compiled), _page_image(reference)) == []
    # The comparison sees a missing wire (the forget gate's output).
    (tmp_path / "broken").mkdir()
    broken = tmp_path / "broken" / "lstm-cell.tex"
    broken.write_text("\n".join(line for line in tex.read_text().splitlines()
                                 if not line.startswith("\\draw[wire=forget_gate")))
    problems = _unlike(_page_image(_pdflatex(broken)), _page_image(reference))
    assert any(p.startswith("forget_gate") for p in problems), problems


@needs_pdflatex
@pytest.mark.slow
def test_tikz_of_hostile_labels_compiles_and_runs_nothing(tmp_path):
    spec = tmp_path / "hostile.toml"
    spec.write_text(
        "name = 'hostile'\n[[nodes]]\nid = 'a'\nkind = 'gate'\nat = [0.0, 0.0]\n"
        "label = '$\\text{\\input{/etc/hostname}}$'\nrole = 'candidate'\n"
        "[[nodes]]\nid = 'b'\nkind = 'terminal'\nat = [4.0, 0.0]\n"
        "label = '50% & #1 \\jobname'\nlabel_side = 'right'\n"
        "[[wires]]\nfrom = 'a.e'\nto = 'b.w'\n")
    lstmfigs.save_tikz(str(spec), tmp_path / "hostile.tex")
    pdf = _pdflatex(tmp_path / "hostile.tex")
    text = subprocess.run([shutil.which("pdftotext") or "pdftotext", str(pdf), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    # Typeset as written: nothing was read, and \jobname did not expand to "hostile".
    assert "\\input{/etc/hostname}" in text and "50% & #1 \\job" in text
    assert "hostile" not in text


@needs_pdflatex
@pytest.mark.slow
def test_tikz_steps_are_overlays_in_a_beamer_frame(tmp_path):
    lstmfigs.save_tikz("lstm-cell", tmp_path / "lstm-cell.tex", width=3.8)
    (tmp_path / "deck.tex").write_text(
        "\\documentclass[aspectratio=169]{beamer}\n\\usepackage{standalone}\n"
        "\\usepackage{tikz}\n\\usetikzlibrary{arrows.meta}\n"
        "\\usepackage{amsmath}\n\\usepackage{amssymb}\n\\begin{document}\n"
        "\\begin{frame}\\centering\\input{lstm-cell.tex}\\end{frame}\n\\end{document}\n")
    deck = _pdflatex(tmp_path / "deck.tex")
    pages = [_page_image(deck, page) for page in range(1, 6)]
    with pytest.raises(subprocess.CalledProcessError):
        _page_image(deck, 6)  # five overlays: the whole cell and four steps
    orange = [_coverage(page, ROLE_COLOURS["forget_gate"], 30) for page in pages]
    # The forget gate is lit on overlay 1 (all) and 2 (forget) and on 4 (update: its
    # output feeds the forget product), and dimmed on input (3) and output (5).
    assert orange[0] > 0 and orange[1] == pytest.approx(orange[0], rel=0.1)
    assert orange[2] < orange[0] / 4 and orange[4] < orange[0] / 4


# -- editable SVG ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def editable(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("svg") / "lstm-cell.svg"
    lstmfigs.save(lstmfigs.figure("lstm-cell", equations=True), path, editable=True)
    return path


def test_editable_svg_keeps_text_and_names_the_font(editable, tmp_path):
    root = ET.parse(editable).getroot()
    texts = list(root.iter(f"{SVG}text"))
    assert len(texts) >= 20
    styles = " ".join(t.get("style", "") for t in root.iter(f"{SVG}tspan"))
    assert "font-family: 'cmr10', serif" in styles  # paper: Computer Modern, as LaTeX's article
    default = tmp_path / "default.svg"
    lstmfigs.save(lstmfigs.figure("lstm-cell"), default)
    assert b"<text" not in default.read_bytes()  # the default SVG stays paths


def test_editable_svg_groups_by_node_role_and_step(editable):
    root = ET.parse(editable).getroot()
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    gate = groups["f"]
    assert gate.get("class") == "node role-forget_gate step-forget"
    # The box and its label are one group.
    assert any(child.get("id") == "f-label" for child in gate.iter(f"{SVG}g"))
    assert next(gate.iter(f"{SVG}text"), None) is not None
    wire = groups["f-c_mul"]
    assert wire.get("class") == "wire role-forget_gate step-forget step-update"
    assert any(c.get("id", "").endswith("-head1") for c in wire.iter(f"{SVG}g"))
    assert groups["c_prev"].get("class") == "node role-cell_state step-update"
    assert groups["equation-1"].get("class") == "equation step-forget"
    for node in lstmfigs.figure("lstm-cell").lstmfigs_diagram.layout.spec.nodes:
        if node.kind != "concat":  # a concatenation point draws nothing
            assert node.id in groups, node.id


def test_editable_svg_is_reproducible(editable, tmp_path):
    again = tmp_path / "again.svg"
    lstmfigs.save(lstmfigs.figure("lstm-cell", equations=True), again, editable=True)
    assert again.read_bytes() == editable.read_bytes()


def test_editable_svg_from_the_cli(tmp_path):
    result = CliRunner().invoke(main, ["render", "lstm-cell", "--format", "svg",
                                       "--editable-svg", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert b'class="node role-forget_gate step-forget"' in (tmp_path / "lstm-cell.svg").read_bytes()


@pytest.mark.parametrize("args", [["--format", "pdf"], ["--storyboard", "--format", "svg"]])
def test_editable_svg_without_svg_is_one_line(args, tmp_path):
    result = CliRunner().invoke(main, ["render", "lstm-cell", "--editable-svg", *args, "-o",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--editable-svg applies to --format svg" in result.output
    assert not (tmp_path / "out").exists()


@needs_libreoffice
@pytest.mark.slow
def test_editable_svg_renders_in_libreoffice(editable, tmp_path):
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(editable)],
                   capture_output=True, timeout=240, check=True)
    image = _page_image(tmp_path / "lstm-cell.pdf")
    assert _coverage(image, ROLE_COLOURS["forget_gate"]) > 50
    assert _coverage(image, (0, 0, 0), 60) > 200  # text and the input wires


# -- PowerPoint ------------------------------------------------------------------------------

try:
    import pptx
except ImportError:  # the test extra installs it; the CLI's message is tested without it
    pptx = None
needs_pptx = pytest.mark.skipif(pptx is None, reason="python-pptx is not installed")


@pytest.fixture(scope="module")
def deck(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pptx") / "lstm-cell.pptx"
    lstmfigs.save_pptx("lstm-cell", path, equations=True)
    return path


def _shapes(slide) -> dict[str, object]:
    return {shape.name: shape for shape in slide.shapes}


@needs_pptx
def test_pptx_diagram_is_native_shapes_one_slide_a_step(deck):
    from pptx.enum.shapes import MSO_SHAPE, MSO_SHAPE_TYPE

    prs = pptx.Presentation(str(deck))
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # 13.333 x 7.5 in
    assert len(prs.slides) == 5  # the whole cell, forget, input, update, output
    shapes = _shapes(prs.slides[0])
    gate = shapes["f"]
    assert gate.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE
    assert gate.auto_shape_type == MSO_SHAPE.ROUNDED_RECTANGLE
    assert gate.text_frame.text == "σ"
    assert str(gate.line.color.rgb) == "E69F00"
    assert shapes["c_mul"].auto_shape_type == MSO_SHAPE.OVAL
    assert shapes["c_mul"].text_frame.text == "×"
    # Wires: straight ones are connectors glued to their boxes, with arrowheads.
    wire = shapes["f-c_mul"]
    assert wire.shape_type == MSO_SHAPE_TYPE.LINE
    xml = ET.tostring(wire._element).decode()
    assert 'tailEnd type="triangle"' in xml
    assert f'id="{gate.shape_id}" idx="0"' in xml  # glued to the top of the forget gate
    # Bent wires are open freeforms.
    bent = shapes["i-c_mul2"]
    assert bent.shape_type == MSO_SHAPE_TYPE.FREEFORM
    # Math is Unicode with real subscripts.
    label = shapes["c_prev label"].text_frame.paragraphs[0]
    assert [(r.text, r.font.italic) for r in label.runs] == [("C", True), ("t", True),
                                                             ("−1", False)]
    assert 'baseline="-25000"' in ET.tostring(label.runs[2]._r).decode()
    equation = shapes["equation 1"].text_frame.text
    assert equation == "ft = σ(Wf [ht−1, xt] + bf)".replace(" [", "\u2009[")


@needs_pptx
def test_pptx_steps_dim_everything_else(deck):
    prs = pptx.Presentation(str(deck))
    forget, output = _shapes(prs.slides[1]), _shapes(prs.slides[4])
    assert str(forget["f"].line.color.rgb) == "E69F00"
    assert str(output["f"].line.color.rgb) != "E69F00"  # dimmed
    assert str(output["o"].line.color.rgb) == "CC79A7"
    assert str(forget["cell"].fill.fore_color.rgb) == "F4F4F4"  # the cell body never dims
    assert prs.slides[1].notes_slide.notes_text_frame.text == "step: forget"


@needs_pptx
def test_pptx_is_reproducible(deck, tmp_path):
    again = tmp_path / "again.pptx"
    lstmfigs.save_pptx("lstm-cell", again, equations=True)
    assert again.read_bytes() == deck.read_bytes()
    with zipfile.ZipFile(deck) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core


@needs_pptx
def test_pptx_of_a_data_figure_is_a_picture_on_a_16_9_slide(tmp_path):
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    from lstmfigs.sim import LSTM

    # A small model and sequence of our own: the figure needs no training.
    np.savez(tmp_path / "model.npz", **LSTM(3, 8, seed=0).state_dict())
    np.save(tmp_path / "seq.npy", np.random.default_rng(0).standard_normal((20, 3)))
    result = CliRunner().invoke(main, ["render", "gate-heatmaps", "--format", "pptx", "--theme",
                                       "slides", "--weights", str(tmp_path / "model.npz"),
                                       "--input", str(tmp_path / "seq.npy"), "-o",
                                       str(tmp_path)])
    assert result.exit_code == 0, result.output
    prs = pptx.Presentation(str(tmp_path / "gate-heatmaps.pptx"))
    (slide,) = prs.slides
    (picture,) = slide.shapes
    assert picture.shape_type == MSO_SHAPE_TYPE.PICTURE
    assert picture.width == pytest.approx(prs.slide_width, rel=1e-3)  # 16:9 fills the slide
    assert Image.open(io.BytesIO(picture.image.blob)).width == pytest.approx(3840, abs=2)


def test_pptx_without_python_pptx_is_one_line(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "pptx", None)  # import pptx now raises ImportError
    result = CliRunner().invoke(main, ["render", "lstm-cell", "--format", "pdf,pptx", "-o",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "pip install 'lstmfigs[pptx]'" in result.output
    assert not (tmp_path / "out").exists()  # checked before anything was written


@needs_pptx
def test_math_that_unicode_cannot_say_becomes_a_picture(tmp_path):
    from lstmfigs.powerpoint import math_runs

    assert math_runs(r"$\sqrt{x}$") is None
    assert math_runs("$h_t = (1 - z_t) \\odot n_t$") is not None
    spec = tmp_path / "root.toml"
    spec.write_text(
        "name = 'root'\n[[nodes]]\nid = 'a'\nkind = 'gate'\nat = [0.0, 0.0]\n"
        "label = '$\\sqrt{x}$'\nrole = 'candidate'\n"
        "[[nodes]]\nid = 'b'\nkind = 'terminal'\nat = [3.0, 0.0]\nlabel = '$y$'\n"
        "label_side = 'right'\n[[wires]]\nfrom = 'a.e'\nto = 'b.w'\n")
    lstmfigs.save_pptx(str(spec), tmp_path / "root.pptx")
    shapes = _shapes(pptx.Presentation(str(tmp_path / "root.pptx")).slides[0])
    assert shapes["a"].text_frame.text == ""
    assert shapes["a label"].shape_type == pptx.enum.shapes.MSO_SHAPE_TYPE.PICTURE


@needs_pptx
@needs_libreoffice
@pytest.mark.slow
def test_pptx_opens_in_libreoffice(deck, tmp_path):
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(deck)],
                   capture_output=True, timeout=240, check=True)
    pdf = tmp_path / "lstm-cell.pdf"
    assert _page_size_bp(pdf) == pytest.approx((960, 540), abs=1)
    whole, forget = _page_image(pdf, 1), _page_image(pdf, 2)
    for role, rgb in ROLE_COLOURS.items():
        assert _coverage(whole, rgb) > 200, role
    # On the forget slide the forget gate stays lit and the input gate (not in the
    # legend, which never dims) is dimmed.
    assert _coverage(forget, ROLE_COLOURS["forget_gate"]) > 0.7 * _coverage(
        whole, ROLE_COLOURS["forget_gate"])
    input_gate = (0x56, 0xB4, 0xE9)
    assert _coverage(whole, input_gate, 30) > 100
    assert _coverage(forget, input_gate, 30) < 0.1 * _coverage(whole, input_gate, 30)


@pytest.mark.parametrize("font", ["times", "cm", "sans"])
def test_a_one_symbol_pointwise_operation_stays_a_circle_in_every_theme_and_font(font):
    # Olah's notation draws x and + in circles; only a long label (tanh) becomes a pill.
    # Computer Modern's x is wider than tall, which once turned every x into a pill.
    from lstmfigs.themes import theme_names, with_font

    for theme in theme_names():
        tikz = lstmfigs.to_tikz("lstm-cell", with_font(theme, font))
        ops = {node: line for line in tikz.splitlines() for node in
               ("c_mul", "c_mul2", "h", "c", "h_tanh")
               if line.startswith("\\node[op=") and f"({node})" in line}
        assert len(ops) == 5, (theme, sorted(ops))
        for node in ("c_mul", "c_mul2", "h", "c"):
            assert "circle, minimum size" in ops[node], (theme, font, ops[node])
        assert "circle" not in ops["h_tanh"], (theme, font)
