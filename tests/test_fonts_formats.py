"""Fonts that match the paper, and the PostScript formats."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs.cli import main
from lstmfigs.errors import UnknownNameError
from lstmfigs.export import save_figure
from lstmfigs.sizes import figsize, venue_width


def _pdf_fonts(data: bytes) -> set[str]:
    return {name.decode() for name in re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([\w-]+)", data)}


@pytest.mark.parametrize("theme,font,expected", [
    ("paper", None, "CMR10"),            # LaTeX's article: Computer Modern
    ("ieee", None, "STIXGeneral"),       # IEEE: Times
    ("twocolumn", None, "STIXGeneral"),
    ("beamer", None, "DejaVuSans"),      # Beamer: sans-serif
    ("ieee", "cm", "CMR10"),
    ("paper", "times", "STIXGeneral"),
    ("paper", "sans", "DejaVuSans"),
])
def test_text_font_follows_the_venue_or_the_font_option(theme, font, expected, tmp_path):
    fig = lstmfigs.figure("rnn-cell", theme=theme, font=font, equations=True)
    fonts = _pdf_fonts(save_figure(fig, tmp_path / "f.pdf").read_bytes())
    assert any(name.upper().startswith(expected.upper()) for name in fonts), fonts
    others = {"CMR10", "STIXGENERAL", "DEJAVUSANS"} - {expected.upper()}
    assert not any(name.upper() in others for name in fonts), fonts


@pytest.mark.parametrize("font,mathtext", [("times", "stix"), ("cm", "cm"),
                                           ("sans", "dejavusans")])
def test_font_sets_text_and_maths_together(font, mathtext):
    fig = lstmfigs.figure("rnn-cell", theme="slides", font=font)
    assert fig._rc["mathtext.fontset"] == mathtext
    assert fig._rc["font.size"] == 22  # the theme's sizes stay


def test_unknown_font_is_an_error_with_a_hint(tmp_path):
    with pytest.raises(UnknownNameError, match="did you mean 'cm'"):
        lstmfigs.figure("rnn-cell", font="cmr")
    result = CliRunner().invoke(main, ["render", "rnn-cell", "--font", "comic", "-o",
                                       str(tmp_path)])
    assert result.exit_code == 2 and not list(tmp_path.iterdir())


def test_font_sheets_are_not_themes():
    assert not [t for t in lstmfigs.theme_names() if t.startswith("font-")]


@pytest.mark.parametrize("fmt", ["eps", "ps"])
def test_postscript_has_truetype_fonts_and_identical_bytes(fmt, tmp_path):
    result = CliRunner().invoke(main, ["render", "lstm-cell", "--theme", "ieee", "--format",
                                       fmt, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = (tmp_path / f"lstm-cell.{fmt}").read_bytes()
    assert data.startswith(b"%!PS-Adobe-3.0" + (b" EPSF-3.0" if fmt == "eps" else b""))
    assert b"/FontType 42" in data and b"/FontType 3" not in data
    assert b"%%CreationDate" not in data
    again = save_figure(lstmfigs.figure("lstm-cell", theme="ieee"), tmp_path / f"again.{fmt}")
    assert again.read_bytes() == data


def test_eps_bounding_box_is_the_figure_size(tmp_path):
    path = save_figure(lstmfigs.figure("rnn-cell", theme="ieee"), tmp_path / "f.eps")
    box = re.search(rb"%%BoundingBox: (\d+) (\d+) (\d+) (\d+)", path.read_bytes())
    width_bp = int(box.group(3)) - int(box.group(1))
    assert abs(width_bp - venue_width("ieee-column") * 72) <= 1


def test_figsize_is_a_pure_function_of_venue_and_ratio():
    width, height = figsize("ieee-column", ratio=0.5)
    assert width == venue_width("ieee-column") and height == width / 2
    assert figsize("345pt", ratio=0.5, nrows=2, ncols=2) == figsize("345pt", ratio=0.5)
