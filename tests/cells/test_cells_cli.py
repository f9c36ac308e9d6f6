"""`lstmfigs cells` lists and prints the built-in definitions; `lstmfigs validate` checks a
definition file as well as diagram specs."""

from __future__ import annotations

from click.testing import CliRunner

from lstmfigs import cells
from lstmfigs.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cells_lists_every_builtin_with_its_title():
    result = run("cells")
    assert result.exit_code == 0
    for name in cells.names():
        assert f"{name} " in result.output or result.output.startswith(name)
    assert "Hochreiter" in result.output


def test_cells_name_prints_a_definition_that_loads_back(tmp_path):
    result = run("cells", "lstm")
    assert result.exit_code == 0
    path = tmp_path / "mine.toml"
    path.write_text(result.output)
    assert cells.load(path).equations == cells.builtin("lstm").equations
    validated = run("validate", str(path))
    assert validated.exit_code == 0 and "ok (cell 'lstm': 6 equations, 8 parameters)" in \
        validated.output


def test_unknown_cell_and_bad_definition_are_one_line_and_exit_2(tmp_path):
    result = run("cells", "lsmt")
    assert result.exit_code == 2 and "did you mean 'lstm'" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nstates = ["h"]\noutput = "h"\n'
                   'equations = ["h = tanh(W @ [h_prev, x]) + foo(x)"]\n')
    result = run("validate", str(bad))
    assert result.exit_code == 2
    assert "equation 1 (h = tanh(W @ [h_prev, x]) + foo(x)), column 29: unknown function " \
        "'foo'" in result.output
    assert "Traceback" not in result.output
