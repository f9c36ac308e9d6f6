"""The command as a shell sees it: ``python -m lstmfigs``, completion, ``render --help``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs.cli import main
from lstmfigs.export import ANIMATED_FORMATS, EDITABLE_FORMATS, FORMATS
from lstmfigs.sizes import VENUES
from tests.helpers import theme_names


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_python_dash_m_is_the_command():
    result = _run("-m", "lstmfigs", "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"lstmfigs, version {lstmfigs.__version__}"
    bad = _run("-m", "lstmfigs", "render", "no-such-figure")
    assert bad.returncode == 2 and bad.stderr.startswith("lstmfigs: error: unknown figure")


@pytest.mark.parametrize("args", [["--help"], ["list"], ["themes"]])
def test_help_does_not_import_matplotlib(args):
    code = ("import sys\nfrom lstmfigs.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            "print('MPL', 'matplotlib' in sys.modules)")
    result = _run("-c", code)
    assert "MPL False" in result.stdout, result.stdout + result.stderr


def test_render_help_lists_figures_themes_fonts_formats_and_venues():
    text = CliRunner().invoke(main, ["render", "--help"]).output
    formats = list(FORMATS + ANIMATED_FORMATS + EDITABLE_FORMATS)
    for name in lstmfigs.names() + theme_names() + formats + list(VENUES) + ["times", "cm", "sans"]:
        assert name in text, name


def _complete(words: str, shell: str = "bash") -> list[str]:
    """What the shell would offer after ``lstmfigs WORDS`` (the last word is incomplete)."""
    parts = words.split(" ")
    env = {"_LSTMFIGS_COMPLETE": f"{shell}_complete", "COMP_WORDS": " ".join(["lstmfigs", *parts]),
           "COMP_CWORD": str(len(parts))}
    result = _run("-c", "from lstmfigs.cli import main; main()", env=env)
    assert result.returncode == 0, result.stderr
    return [line.split(",", 1)[1] if "," in line else line
            for line in result.stdout.splitlines()]


def test_completes_figure_names():
    offered = _complete("render lstm-c")
    assert {"lstm-cell", "lstm-chain", "lstm-cifg"} <= set(offered)
    assert "gru-cell" not in offered
    assert "all" in _complete("render a")


def test_completes_themes_including_stacked():
    assert _complete("render lstm-cell --theme sl") == sorted(
        theme for theme in theme_names() if theme.startswith("sl"))
    assert _complete("render lstm-cell --theme paper+pr") == ["paper+print"]


def test_completes_comma_separated_formats():
    assert set(_complete("render lstm-cell --format p")) == {"pdf", "png", "pgf", "ps", "pptx"}
    offered = _complete("render lstm-cell --format pdf,")
    assert "pdf,png" in offered and "pdf,pdf" not in offered


def test_completes_the_named_diagrams_steps():
    assert _complete("render lstm-cell --highlight ") == ["forget", "input", "update", "output"]
    assert _complete("render gru-cell --highlight r") == ["reset"]


def test_completes_fonts_and_zsh_works_too():
    assert _complete("render lstm-cell --font ") == ["times", "cm", "sans"]
    assert "lstm-cell" in _complete("render lstm-ce", shell="zsh")
