"""Figures in real LaTeX documents: venue widths measured with pdflatex, an IEEEtran paper and
a Beamer deck built from ``lstmfigs render`` outputs with no Overfull box from a figure.

Every test that runs pdflatex is skipped where pdflatex or the class is not installed
(Debian: texlive-latex-base, texlive-publishers, texlive-latex-recommended).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs.cli import main
from lstmfigs.sizes import TEX_PT_PER_INCH, VENUES, parse_width
from lstmfigs.themes import resolve_theme
from tests.helpers import ROOT, theme_names


def _tool():
    spec = importlib.util.spec_from_file_location(
        "measure_venue_widths", ROOT / "tools" / "measure_venue_widths.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


MEASURE = _tool()


def _needs(class_file: str) -> None:
    if not MEASURE.installed(class_file):
        pytest.skip(f"pdflatex or {class_file} is not installed")


# -- widths ---------------------------------------------------------------------------------

@pytest.mark.parametrize("venue", sorted(VENUES))
@pytest.mark.slow
def test_venue_width_is_what_pdflatex_reports(venue):
    _needs(MEASURE.DOCUMENTS[venue].class_file)
    measured = MEASURE.measure(venue, VENUES[venue].length)
    assert measured == pytest.approx(VENUES[venue].points, abs=1e-4)


@pytest.mark.parametrize("theme", [t for t in theme_names() if resolve_theme(t).venue])
def test_a_theme_that_names_a_venue_is_exactly_that_wide(theme, tmp_path):
    venue = VENUES[resolve_theme(theme).venue]
    fig = lstmfigs.figure("rnn-cell", theme=theme)
    assert fig.get_size_inches()[0] * TEX_PT_PER_INCH == pytest.approx(venue.points, abs=1e-9)
    # The PDF's MediaBox is in big points (1/72 in): 252 TeX pt is 251.06 bp.
    path = lstmfigs.export.save_figure(fig, tmp_path / "f.pdf")
    box = re.search(rb"/MediaBox \[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", path.read_bytes())
    assert float(box.group(1)) == pytest.approx(venue.points * 72 / TEX_PT_PER_INCH, abs=1e-3)


def test_every_venue_theme_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    for name, venue in VENUES.items():
        assert f"| `{name}` |" in readme, name
        assert venue.source in readme, name


@pytest.mark.parametrize("text,inches", [
    ("3.5", 3.5), ("3.5in", 3.5), ("252pt", 252 / 72.27), ("252bp", 3.5), ("8.89cm", 3.5),
    ("88.9mm", 3.5), (" 345 pt ", 345 / 72.27), ("IEEE-column", 252 / 72.27),
    ("beamer-169", 398.3386 / 72.27), (4, 4.0)])
def test_widths_take_units_and_venues(text, inches):
    assert parse_width(text) == pytest.approx(inches, rel=1e-12)


@pytest.mark.parametrize("text", ["3.5px", "ieee-colum", "-3in", "nan", "", "3.5 in in"])
def test_bad_widths_are_one_line_errors(text, tmp_path):
    result = CliRunner().invoke(main, ["render", "rnn-cell", "--width", text, "--format", "pdf",
                                       "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith("lstmfigs: error:") and result.output.count("\n") == 1
    assert not list(tmp_path.iterdir())


# -- documents ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    """A small untrained LSTM, so data figures need no training here."""
    from lstmfigs.sim import LSTM

    path = tmp_path_factory.mktemp("weights") / "model.npz"
    np.savez(path, **LSTM(5, 12, seed=3, forget_bias=1.0).state_dict())
    return path


def _render(folder: Path, *args: str) -> None:
    result = CliRunner().invoke(main, ["render", *args, "-o", str(folder)])
    assert result.exit_code == 0, result.output


def _compile(folder: Path, name: str, source: str) -> str:
    """Compile ``source`` with pdflatex (twice is not needed: no references); the log."""
    (folder / f"{name}.tex").write_text(source)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                          f"{name}.tex"], cwd=folder, capture_output=True, timeout=300, check=False,
                         env={"PATH": "/usr/bin:/bin", "max_print_line": "1000",
                              "HOME": str(folder)})
    log = (folder / f"{name}.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    return log


def _overfull(log: str) -> list[str]:
    return re.findall(r"Overfull \\[hv]box[^\n]*", log)


def _paper(figures: list[str]) -> str:
    # \hfuzz=0pt: report any excess, not only what exceeds LaTeX's default 0.1 pt.
    return "\n".join([r"\documentclass[conference]{IEEEtran}", r"\usepackage{graphicx}",
                      r"\usepackage{pgf}", r"\hfuzz=0pt", r"\begin{document}",
                      r"\title{Figures from lstmfigs}", r"\author{A. Author}", r"\maketitle",
                      "Some text of the paper. " * 40, *figures, "More text. " * 200,
                      r"\end{document}"])


def _figure(body: str, star: bool = False) -> str:
    env = "figure*" if star else "figure"
    return rf"\begin{{{env}}}[t]\centering {body}\caption{{A figure.}}\end{{{env}}}"


@pytest.mark.slow
def test_ieee_paper_from_render_outputs_has_no_overfull_box(tmp_path, weights):
    _needs("IEEEtran.cls")
    _render(tmp_path, "lstm-cell", "--theme", "ieee", "--format", "pdf")
    _render(tmp_path, "gru-cell", "--theme", "ieee", "--format", "pdf", "--equations")
    _render(tmp_path, "lstm-cell", "--theme", "twocolumn", "--format", "pdf", "--equations",
            "--highlight", "forget")
    _render(tmp_path, "lstm-peephole", "--theme", "paper", "--width", "ieee-column",
            "--format", "pdf")
    _render(tmp_path, "gate-heatmaps", "--theme", "ieee", "--format", "pdf,pgf",
            "--weights", str(weights))
    log = _compile(tmp_path, "paper", _paper([
        _figure(r"\includegraphics{lstm-cell.pdf}"),
        _figure(r"\includegraphics{gru-cell.pdf}"),
        _figure(r"\includegraphics{lstm-cell-forget.pdf}", star=True),
        _figure(r"\includegraphics{lstm-peephole.pdf}"),
        _figure(r"\includegraphics{gate-heatmaps.pdf}"),
        _figure(r"\input{gate-heatmaps.pgf}"),
    ]))
    assert _overfull(log) == []
    assert "lstm-cell.pdf" in log and "gate-heatmaps-img0.png" in log


@pytest.mark.slow
def test_the_overfull_check_sees_a_figure_one_point_too_wide(tmp_path):
    """3.5 in is 252.94 pt: the old ieee width.  The same document must then fail."""
    _needs("IEEEtran.cls")
    _render(tmp_path, "rnn-cell", "--theme", "ieee", "--width", "3.5in", "--format", "pdf")
    log = _compile(tmp_path, "paper", _paper([_figure(r"\includegraphics{rnn-cell.pdf}")]))
    assert len(_overfull(log)) == 1 and "0.9" in _overfull(log)[0]


@pytest.mark.slow
def test_beamer_deck_from_render_outputs_has_no_overfull_box(tmp_path, weights):
    _needs("beamer.cls")
    _render(tmp_path, "lstm-cell", "--theme", "beamer", "--format", "pdf")
    _render(tmp_path, "lstm-cell", "--theme", "beamer", "--format", "pdf", "--equations",
            "--highlight", "forget")
    _render(tmp_path, "gate-heatmaps", "--theme", "beamer", "--format", "pdf",
            "--weights", str(weights))
    frames = [rf"\begin{{frame}}{{{title}}}\includegraphics{{{file}}}\end{{frame}}"
              for title, file in [("The LSTM cell", "lstm-cell.pdf"),
                                  ("The forget gate", "lstm-cell-forget.pdf"),
                                  ("What the gates do", "gate-heatmaps.pdf")]]
    log = _compile(tmp_path, "deck", "\n".join([
        r"\documentclass[aspectratio=169]{beamer}", r"\hfuzz=0pt", r"\begin{document}",
        *frames, r"\end{document}"]))
    assert _overfull(log) == []
    assert len(re.findall(r"<(lstm-cell|lstm-cell-forget|gate-heatmaps)\.pdf", log)) == 3


@pytest.mark.slow
def test_pgf_is_for_pdflatex_and_leaves_nothing_on_failure(tmp_path, weights):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    _render(tmp_path, "gate-heatmaps", "--format", "pgf", "--weights", str(weights))
    text = (tmp_path / "gate-heatmaps.pgf").read_text()
    assert r"\providecommand{\mathdefault}[1]{#1}" in text
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".png")) == \
        ["gate-heatmaps.pgf"]
    bad = CliRunner().invoke(main, ["render", "lstm-cell", "--format", "pgf", "-o",
                                    str(tmp_path / "diagram")])
    assert bad.exit_code == 2 and "pgf is for data figures" in bad.output
    assert not (tmp_path / "diagram").exists()


def test_pgf_without_pdflatex_is_a_clear_error_and_no_file(tmp_path, weights, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    result = CliRunner().invoke(main, ["render", "gate-heatmaps", "--format", "pgf",
                                       "--weights", str(weights), "-o", str(tmp_path)])
    assert result.exit_code == 2 and "pdflatex" in result.output
    assert not [p for p in tmp_path.iterdir()]
