"""The README's set-up is two commands, and CI runs exactly its test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Set-up\s+```bash\n(.*?)```", readme, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_setup_is_two_commands():
    commands = _setup_commands()
    assert len(commands) == 2
    assert "lstmfigs render all" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _setup_commands()[1] in ci


def test_readme_spec_example_validates_and_renders_cleanly(tmp_path):
    from lstmfigs.checks import layout_problems
    from lstmfigs.diagram.render import render
    from lstmfigs.diagram.tomlio import load_spec

    readme = (ROOT / "README.md").read_text()
    example = re.search(r"### A short complete example\s+```toml\n(.*?)```", readme, re.S).group(1)
    path = tmp_path / "tiny.toml"
    path.write_text(example)
    spec = load_spec(path)
    assert spec.name == "tiny-rnn"
    fig = render(spec, "paper", legend=True, equations=True)
    assert layout_problems(fig) == []
