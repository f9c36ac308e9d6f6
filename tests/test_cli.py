"""The command line: outputs, options, and every error path (one line, exit 2, no files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import lstmfigs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lstmfigs.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_help_does_not_import_matplotlib():
    code = ("import sys; from lstmfigs.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('matplotlib' in sys.modules, 'numpy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False False"


def test_list_and_themes_do_not_import_matplotlib():
    code = ("import sys; from lstmfigs.cli import main\n"
            "for args in (['list'], ['themes'], ['--version']):\n"
            "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
            "print('MPL', 'matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "MPL False"


def test_list_names_every_figure():
    result = run("list")
    assert result.returncode == 0
    for name in lstmfigs.names():
        assert name in result.stdout


def test_version():
    result = run("--version")
    assert result.returncode == 0 and lstmfigs.__version__ in result.stdout


def test_render_writes_pdf_png_svg_named_after_the_figure(tmp_path):
    result = run("render", "lstm-cell", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lstm-cell.pdf", "lstm-cell.png", "lstm-cell.svg"]


def test_render_defaults_to_output_folder(tmp_path):
    result = run("render", "lstm-cell", "--format", "png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "output" / "lstm-cell.png").is_file()


def test_render_options(tmp_path):
    from PIL import Image

    result = run("render", "lstm-cell", "-o", str(tmp_path), "--format", "png", "--theme", "ieee",
                 "--dpi", "50", "--width", "4", "--transparent", "--highlight", "forget")
    assert result.returncode == 0, result.stderr
    image = Image.open(tmp_path / "lstm-cell-forget.png")
    assert image.size[0] == 200
    assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0  # transparent corner


def test_render_spec_file(tmp_path):
    spec = tmp_path / "mine.toml"
    spec.write_text(run("spec", "lstm-cell").stdout.replace("name = 'lstm-cell'", "name = 'mine'"))
    result = run("render", str(spec), "-o", str(tmp_path / "out"), "--format", "png")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "mine.png").is_file()


def test_rerender_is_byte_identical(tmp_path):
    for folder in ("a", "b"):
        assert run("render", "lstm-cell", "-o", str(tmp_path / folder)).returncode == 0
    for fmt in ("pdf", "png", "svg"):
        assert (tmp_path / "a" / f"lstm-cell.{fmt}").read_bytes() == \
            (tmp_path / "b" / f"lstm-cell.{fmt}").read_bytes()


ERRORS = {
    "unknown figure": (["render", "no-such-figure"], "unknown figure 'no-such-figure'"),
    "unknown theme": (["render", "lstm-cell", "--theme", "neon"], "unknown theme 'neon'"),
    "unknown format": (["render", "lstm-cell", "--format", "pdf,bmp"], "unknown format 'bmp'"),
    "empty format": (["render", "lstm-cell", "--format", ","], "--format needs"),
    "zero dpi": (["render", "lstm-cell", "--dpi", "0"], "impossible dpi"),
    "huge dpi": (["render", "lstm-cell", "--dpi", "1e6"], "impossible dpi"),
    "not a number": (["render", "lstm-cell", "--dpi", "lots"], "'lots' is not a valid float"),
    "negative width": (["render", "lstm-cell", "--width", "-3"], "impossible width"),
    "nan width": (["render", "lstm-cell", "--width", "nan"], "impossible width"),
    "huge width": (["render", "lstm-cell", "--width", "500"], "impossible width"),
    "unknown step": (["render", "lstm-cell", "--highlight", "remember"], "unknown highlight step"),
    "option not for figure": (["render", "lstm-cell", "--weights", "w.npz"],
                              "has no option --weights"),
    "gif of a static figure": (["render", "rnn-cell", "--format", "gif"], "is not animated"),
    "missing spec": (["render", "missing.toml"], "spec file 'missing.toml' does not exist"),
    "unknown command": (["paint"], "No such command 'paint'"),
    "unknown option": (["render", "lstm-cell", "--colour", "red"], "No such option"),
    "no names": (["render"], "Missing argument"),
    "validate missing": (["validate", "missing.toml"], "does not exist"),
    "spec of unknown": (["spec", "no-such-figure"], "unknown figure"),
}


@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_bad_input_is_one_line_and_exit_2_and_writes_nothing(case, tmp_path):
    args, message = ERRORS[case]
    out = tmp_path / "out"
    result = run(*args, "-o", str(out)) if args[0] == "render" and len(args) > 1 else run(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lstmfigs: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_unwritable_folder(tmp_path):
    if os.geteuid() == 0:
        target = "/proc/lstmfigs-out"  # even root cannot create folders in /proc
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = str(locked / "out")
    result = run("render", "lstm-cell", "-o", target)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "lstmfigs: error:" in result.stderr


def test_output_path_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    result = run("render", "lstm-cell", "-o", str(tmp_path / "file" / "sub"))
    assert result.returncode == 2
    assert "is a file" in result.stderr


def test_invalid_spec_is_reported_with_file_line_and_field(tmp_path):
    spec = tmp_path / "bad.toml"
    text = run("spec", "lstm-cell").stdout.replace("to = 'concat'", "to = 'mul_x'", 1)
    spec.write_text(text)
    result = run("render", str(spec), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    line = result.stderr.strip()
    assert str(spec) in line and "wires[0].to: no node named 'mul_x'" in line
    lineno = int(line.split(f"{spec}:")[1].split(":")[0])
    assert "mul_x" in text.splitlines()[lineno - 1]
    assert not (tmp_path / "out").exists()
    validate = run("validate", str(spec))
    assert validate.returncode == 2 and "no node named 'mul_x'" in validate.stderr


def test_validate_accepts_a_good_spec(tmp_path):
    spec = tmp_path / "good.toml"
    spec.write_text(run("spec", "lstm-cell").stdout)
    result = run("validate", str(spec))
    assert result.returncode == 0 and "ok" in result.stdout


def test_options_that_change_the_figure_change_the_file_name(tmp_path):
    result = run("render", "lstm-chain", "--layers", "2", "--format", "png", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["lstm-chain-2layers.png"]
    result = run("render", "lstm-chain", "--layers", "3", "--steps", "4", "--format", "png",
                 "-o", str(tmp_path / "more"))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "more").iterdir()] == ["lstm-chain-3layers-4steps.png"]


def test_spec_prints_the_configured_chain_and_the_file_renders_alike(tmp_path):
    from lstmfigs.figures.diagrams import builtin_spec

    printed = run("spec", "lstm-chain", "--layers", "3", "--steps", "2")
    assert printed.returncode == 0, printed.stderr
    path = tmp_path / "chain.toml"
    path.write_text(printed.stdout)
    spec = builtin_spec("lstm-chain", layers=3, steps=2)
    assert lstmfigs.figure(path).lstmfigs_diagram.layout \
        == lstmfigs.figure("lstm-chain", layers=3, steps=2).lstmfigs_diagram.layout
    assert "name = 'lstm-chain-3layers-2steps'" in printed.stdout and spec.equations
    for bad in (["--layers", "5"], ["--steps", "1"]):
        result = run("spec", "lstm-chain", *bad)
        assert result.returncode == 2 and result.stderr.startswith("lstmfigs: error:")
    result = run("spec", "lstm-cell", "--layers", "2")
    assert result.returncode == 2 and "no option 'layers'" in result.stderr


@pytest.mark.parametrize("name", lstmfigs.names())
def test_spec_prints_what_every_built_in_is_drawn_from(name):
    """Diagrams print their spec (lstm-activity: lstm-cell's), data figures the definition
    of the cell they simulate (lstm, or --cell); each reads back as what it claims."""
    import tomllib

    from click.testing import CliRunner

    from lstmfigs.build import request
    from lstmfigs.cells import Cell
    from lstmfigs.cli import main
    from lstmfigs.diagram.tomlio import loads_spec

    result = CliRunner().invoke(main, ["spec", name])
    assert result.exit_code == 0, result.output
    tomllib.loads(result.output)  # the notes are TOML comments
    req = request(name)
    if req.kind == "data":
        cell = Cell.from_toml(result.output)
        assert cell.name == "lstm"
        assert result.output.startswith(f"# {name} simulates this cell, 'lstm'")
        if "cell" in req.accepted:
            gru = CliRunner().invoke(main, ["spec", name, "--cell", "gru"])
            assert gru.exit_code == 0, gru.output
            assert Cell.from_toml(gru.output).name == "gru"
            assert f"lstmfigs render {name} --cell FILE.toml" in gru.output
    else:
        spec = loads_spec(result.output)
        assert spec == (req.spec if req.spec is not None else request("lstm-cell").spec)
        if req.spec is None:
            assert result.output.startswith(f"# {name} is lstm-cell coloured by a simulation")


def test_spec_cell_of_a_diagram_is_an_error():
    result = run("spec", "lstm-cell", "--cell", "gru")
    assert result.returncode == 2 and "has no option 'cell'" in result.stderr
