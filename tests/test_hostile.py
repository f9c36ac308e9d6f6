"""Hostile and broken input, interrupted work: every case ends with exit status 2,
one line on stderr, no traceback, nothing left behind, in bounded time and memory.

One section per class of fault.  The CLI runs in-process (click's CliRunner) except where a
real signal or the process's umask is the point.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs import limits
from lstmfigs.cli import main
from lstmfigs.errors import LstmfigsError, SpecError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TINY_SPEC = """name = 'tiny'
steps = ['only']

[[nodes]]
id = 'a'
kind = 'gate'
at = [0.0, 0.0]
label = '{label}'
steps = ['only']

[[nodes]]
id = 'b'
kind = 'op'
at = [{bx}, {by}]
label = '$+$'

[[wires]]
from = 'a.e'
to = 'b.w'
"""


def spec_file(tmp_path: Path, name: str = "tiny.toml", *, label: str = "$x$", bx: float = 2.0,
              by: float = 0.0, text: str | None = None) -> Path:
    path = tmp_path / name
    path.write_text(text if text is not None else TINY_SPEC.format(label=label, bx=bx, by=by),
                    encoding="utf-8")
    return path


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(result, *words: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lstmfigs: error: "), lines
    assert "Traceback" not in result.output and "internal error" not in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (hidden temporary files included)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()} if folder.exists() else {}


# -- 1. geometry bounds ------------------------------------------------------------------------

def test_far_apart_nodes_are_refused_before_a_canvas_is_allocated(tmp_path):
    path = spec_file(tmp_path, bx=0.0, by=1000.0)
    out = tmp_path / "out"
    for args in (["validate", str(path)], ["render", str(path), "-o", str(out)]):
        assert_one_line_error(cli(*args), "diagram 'tiny'", "in tall")
    assert not out.exists()
    with pytest.raises(LstmfigsError, match="in tall"):
        lstmfigs.figure(str(path))


@pytest.mark.parametrize("width,height,words", [
    (20.0, 0.3, "aspect ratio"), (1.0, 0.01, "tall"), (5.5, 0.05, "tall"), (5.5, 4000.0, "tall"),
    (0.0, 3.0, "impossible"), (float("nan"), 3.0, "impossible"), (60.0, 30.0, "wide")])
def test_figure_size_bounds(width, height, words):
    with pytest.raises(LstmfigsError, match=words):
        limits.check_figure_size(width, height)


def test_documented_limits_that_would_exhaust_memory_are_refused(tmp_path):
    out = tmp_path / "out"
    result = cli("render", "lstm-cell", "--width", "50", "--dpi", "2400", "--format", "png",
                 "-o", str(out))
    assert_one_line_error(result, "megapixels", "dpi")
    assert not out.exists()


def test_pixel_cap_applies_to_the_python_api(tmp_path):
    fig = lstmfigs.figure("lstm-cell", width=40)
    with pytest.raises(LstmfigsError, match="megapixels"):
        lstmfigs.save(fig, tmp_path / "big.png", dpi=2400)
    lstmfigs.save(fig, tmp_path / "big.pdf", dpi=2400)  # a vector file has no pixels to cap
    assert [p.name for p in tmp_path.iterdir()] == ["big.pdf"]


@pytest.mark.parametrize("line,words", [
    ("figure.figsize: 200, 4", "figure.figsize"),
    ("figure.figsize: 0, 0", "figure.figsize"),
    ("figure.figsize: 5, 0.01", "figure.figsize"),
])
def test_a_theme_cannot_bypass_the_size_bounds(tmp_path, line, words):
    theme = tmp_path / "mine.mplstyle"
    theme.write_text(line + "\n")
    result = cli("render", "lstm-cell", "--theme", str(theme), "-o", str(tmp_path / "out"))
    assert_one_line_error(result, words)
    assert not (tmp_path / "out").exists()


def test_a_spec_min_width_is_bounded(tmp_path):
    path = spec_file(tmp_path, text=TINY_SPEC.format(label="x", bx=2, by=0)
                     .replace("steps = ['only']\n", "steps = ['only']\nmin_width = 500.0\n", 1))
    assert_one_line_error(cli("validate", str(path)), "min_width")


# -- 2. spec and theme files that are not regular files ------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("command", ["validate", "render"])
def test_a_fifo_spec_is_refused_without_hanging(tmp_path, command):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    started = time.monotonic()
    args = [command, str(fifo)] + (["-o", str(tmp_path / "out")] if command == "render" else [])
    assert_one_line_error(cli(*args), "FIFO")
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_spec_or_theme_is_refused(tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    spec = tmp_path / "device.toml"
    spec.symlink_to(device)
    assert_one_line_error(cli("validate", str(spec)), "device")
    theme = tmp_path / "device.mplstyle"
    theme.symlink_to(device)
    assert_one_line_error(cli("render", "lstm-cell", "--theme", str(theme), "-o",
                              str(tmp_path / "out")), "device")
    assert not (tmp_path / "out").exists()


def test_a_missing_theme_file_and_a_folder_have_their_own_messages(tmp_path):
    assert_one_line_error(cli("render", "lstm-cell", "--theme",
                              str(tmp_path / "none.mplstyle")), "does not exist")
    folder = tmp_path / "dir.mplstyle"
    folder.mkdir()
    assert_one_line_error(cli("render", "lstm-cell", "--theme", str(folder)), "folder")


def test_a_huge_spec_is_refused_after_reading_at_most_the_limit(tmp_path):
    from lstmfigs.diagram.tomlio import MAX_SPEC_BYTES

    path = tmp_path / "huge.toml"
    with open(path, "wb") as handle:
        handle.write(b"#" * (MAX_SPEC_BYTES + 10))
    assert_one_line_error(cli("validate", str(path)), "larger than")


# -- 4. recursion: iterative algorithms, nesting limits --------------------------------------------

def test_deeply_nested_toml_arrays_are_a_clear_error(tmp_path):
    path = spec_file(tmp_path, text="name = 'x'\nbad = " + "[" * 500 + "]" * 500 + "\n")
    assert path.stat().st_size < 1100
    assert_one_line_error(cli("validate", str(path)), "nested more than", ":2:")


def test_deep_dotted_keys_are_a_clear_error(tmp_path):
    path = spec_file(tmp_path, text="name = 'x'\n" + "a." * 3000 + "b = 1\n")
    assert_one_line_error(cli("validate", str(path)), "nested more than")


def test_a_long_valid_chain_of_dots_validates():
    """The copy-point cycle check walks a chain of thousands of dots without recursion."""
    from lstmfigs.diagram.spec import DiagramSpec, Node, Wire, validate

    count = 5000
    nodes = tuple(Node(id=f"d{i}", kind="dot", at=(float(i % 100), float(i // 100)))
                  for i in range(count))
    wires = tuple(Wire(source=f"d{i}.e", target=f"d{i + 1}.w") for i in range(count - 1))
    validate(DiagramSpec(name="chain", nodes=nodes, wires=wires))
    looped = wires + (Wire(source=f"d{count - 1}.e", target="d0.w"),)
    with pytest.raises(SpecError, match="cycle"):
        validate(DiagramSpec(name="chain", nodes=nodes, wires=looped))


def test_a_chain_of_1000_dots_in_a_file_validates(tmp_path):
    lines = ["name = 'chain'"]
    for i in range(1000):
        lines += ["[[nodes]]", f"id = 'd{i}'", "kind = 'dot'", f"at = [{i % 50}.0, {i // 50}.0]"]
    for i in range(999):
        lines += ["[[wires]]", f"from = 'd{i}.e'", f"to = 'd{i + 1}.w'"]
    path = spec_file(tmp_path, text="\n".join(lines) + "\n")
    from lstmfigs.diagram.tomlio import load_spec

    assert len(load_spec(path).nodes) == 1000


@pytest.mark.parametrize("label", [
    "$" + "{" * 40 + "x" + "}" * 40 + "$",
    "$" + r"\frac{1}{" * 12 + "x" + "}" * 12 + "$",
    "$x" + "^{x" * 30 + "}" * 30 + "$",
    "$" + r"\hat" * 80 + "x$",
    "$" + r"\left(" * 20 + "x" + r"\right)" * 20 + "$",
])
def test_deeply_nested_mathtext_is_a_clear_error(tmp_path, label):
    path = spec_file(tmp_path, label=label)
    assert_one_line_error(cli("validate", str(path)), "nests")


def test_reasonable_mathtext_nesting_is_allowed(tmp_path):
    label = "$" + r"\frac{1}{" * 3 + "x_{t-1}^{2}" + "}" * 3 + "$"
    assert cli("validate", str(spec_file(tmp_path, label=label))).exit_code == 0


# -- 5. validate runs the same checks as render --------------------------------------------------

@pytest.mark.parametrize("label", [r"a$b\$", r"costs \$5", "$x$ and $y$"])
def test_text_that_validates_renders_in_every_format(tmp_path, label):
    path = spec_file(tmp_path, label=label)
    assert cli("validate", str(path)).exit_code == 0
    result = cli("render", str(path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "tiny.pdf", "tiny.png", "tiny.svg"]


@pytest.mark.parametrize("char", ["\ufeff", "\u200b", "\u200d", "\u202e", "\x07", "\x1b"])
def test_invisible_and_control_characters_are_refused_by_validate(tmp_path, char):
    # As a TOML escape: TOML itself refuses raw control characters.
    path = spec_file(tmp_path, text=TINY_SPEC.format(label="", bx=2, by=0).replace(
        "label = ''", f'label = "$x$\\u{ord(char):04x}"', 1))
    message = assert_one_line_error(cli("validate", str(path)), f"U+{ord(char):04X}",
                                    "nodes[0].label")
    assert char not in message
    assert_one_line_error(cli("render", str(path), "-o", str(tmp_path / "out")))
    assert not (tmp_path / "out").exists()


def test_a_spec_without_nodes_is_refused_by_validate(tmp_path):
    path = spec_file(tmp_path, text="name = 'empty'\n")
    assert_one_line_error(cli("validate", str(path)), "at least one node")


def test_validate_checks_the_figure_render_draws_not_only_the_one_with_panels(tmp_path):
    """Found by the fuzz test: one dot and an equation. With the equations panel the figure
    is tall enough; as render draws it by default (no equations) it is 0.08 in tall."""
    path = spec_file(tmp_path, text="name = 'fuzz'\n\n[[nodes]]\nid = 'a'\nkind = 'dot'\n"
                                    "at = [0.0, 0.0]\n\n[[equations]]\ntext = '$x_t$'\n")
    validated = cli("validate", str(path))
    rendered = cli("render", str(path), "-o", str(tmp_path / "out"))
    assert validated.exit_code == rendered.exit_code == 2
    assert_one_line_error(validated, "in tall")


def test_validate_draws_in_the_theme_it_is_given(tmp_path):
    """A label that fits the paper figure but not a narrow one: validate says so."""
    path = spec_file(tmp_path, label="$" + r"\mathrm{x}" * 60 + "$")
    wide = tmp_path / "wide.mplstyle"
    wide.write_text("figure.figsize: 1.0, 1.0\n")
    result = cli("validate", str(path), "--theme", str(wide))
    render = cli("render", str(path), "--theme", str(wide), "-o", str(tmp_path / "out"))
    assert result.exit_code == render.exit_code


# -- 6. batches are all or nothing -----------------------------------------------------------------

def _old_files(folder: Path, *names: str) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"old " + name.encode())
    return tree(folder)


@pytest.mark.parametrize("args", [
    ["lstm-cell", "{bad}"],
    ["lstm-cell", "gru-cell", "--highlight", "forget"],
    ["all", "--width", "1.2"],
    ["lstm-cell", "{good}", "{good2}"],  # two specs that would write the same files
    ["all", "--weights", "{weights}"],  # read before the first figure is drawn
])
def test_a_failing_batch_writes_nothing_and_keeps_old_files(tmp_path, args):
    bad = spec_file(tmp_path, "bad.toml", text="name = 'bad'\n[[nodes]]\nid = 'a'\n")
    good = spec_file(tmp_path, "good.toml")
    good2 = spec_file(tmp_path, "good2.toml")
    out = tmp_path / "out"
    before = _old_files(out, "lstm-cell.pdf", "lstm-cell.png", "tiny.svg")
    weights = tmp_path / "bad.npz"
    weights.write_bytes(b"PK\x03\x04 not really a zip")
    args = [a.format(bad=bad, good=good, good2=good2, weights=weights) for a in args]
    assert_one_line_error(cli("render", *args, "-o", str(out)))
    assert tree(out) == before


def test_a_spec_that_fails_at_its_png_leaves_the_old_pdf_png_and_svg(tmp_path):
    """The PDF is drawn before the PNG fails the pixel cap: it must not replace the old one."""
    path = spec_file(tmp_path)
    out = tmp_path / "out"
    before = _old_files(out, "tiny.pdf", "tiny.png", "tiny.svg")
    result = cli("render", str(path), "-o", str(out), "--format", "pdf,png,svg",
                 "--width", "45", "--dpi", "2400")
    assert_one_line_error(result, "megapixels")
    assert tree(out) == before


def test_a_failure_after_some_files_are_staged_removes_them(tmp_path, monkeypatch):
    from lstmfigs import export

    calls = []
    real = export.ThemedFigure.savefig

    def fail_third(self, fname, *args, **kwargs):
        calls.append(kwargs.get("format"))
        if len(calls) == 3:
            raise LstmfigsError("disk full (simulated)")
        return real(self, fname, *args, **kwargs)

    monkeypatch.setattr(export.ThemedFigure, "savefig", fail_third)
    out = tmp_path / "out"
    assert_one_line_error(cli("render", "lstm-cell", "rnn-cell", "-o", str(out),
                              "--format", "pdf,png"), "simulated")
    assert not out.exists()  # the folder the run created is gone too


def test_nothing_is_written_until_every_target_is_checked(tmp_path, monkeypatch):
    """Options are checked for every target before the first figure is drawn."""
    from lstmfigs import build

    drawn = []
    monkeypatch.setattr(build, "build",
                        lambda *a, **k: drawn.append(a) or pytest.fail("drew"))
    assert_one_line_error(cli("render", "lstm-cell", "rnn-cell", "--highlight", "forget",
                              "-o", str(tmp_path / "out")), "rnn-cell")
    assert drawn == []


def test_a_successful_batch_prints_paths_after_writing_them_all(tmp_path):
    out = tmp_path / "out"
    result = cli("render", "lstm-cell", "rnn-cell", "-o", str(out), "--format", "svg")
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [str(out / "lstm-cell.svg"), str(out / "rnn-cell.svg")]
    assert sorted(tree(out)) == ["lstm-cell.svg", "rnn-cell.svg"]


# -- 7. interrupts ---------------------------------------------------------------------------------

def _start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lstmfigs.cli", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def _wait_for(predicate, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
@pytest.mark.slow
def test_a_signal_mid_batch_removes_temporary_files_and_exits_2(tmp_path, signum):
    out = tmp_path / "out"
    before = _old_files(out, "lstm-cell.pdf")
    process = _start(["render", "all", "-o", str(out), "--format", "pdf,png,svg"], tmp_path)
    # Wait until the batch has staged at least one temporary file, then interrupt it.
    staged = _wait_for(lambda: any(p.name.startswith(".lstmfigs-") for p in out.iterdir()))
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=120)
    assert staged, "the render never staged a file"
    assert process.returncode == 2, stderr
    assert stderr.splitlines() == [
        (f"lstmfigs: error: interrupted by {signal.Signals(signum).name}; "
         "nothing was left half-written")]
    assert tree(out) == before
    assert stdout == ""


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.slow
def test_a_terminated_training_leaves_no_workers_and_writes_nothing(tmp_path):
    # Renders never train (the built-in runs ship with the package); `lstmfigs train` does.
    cache = tmp_path / "cold-cache"
    process = _start(["train", "--lags", "400", "--seeds", "2", "--workers", "2",
                      "-o", str(tmp_path / "out")], tmp_path,
                     env={"LSTMFIGS_CACHE_DIR": str(cache)})
    # The workers inherit the environment: the cache path marks them.
    assert _wait_for(lambda: len(_processes_with(str(cache))) > 1, timeout=120)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2 and "interrupted by SIGTERM" in stderr
    assert stderr.splitlines()[-1] == ("lstmfigs: error: interrupted by SIGTERM; "
                                       "nothing was left half-written")
    assert "Traceback" not in stderr
    assert _wait_for(lambda: not _processes_with(str(cache)), timeout=5), \
        "training workers outlived the interrupted training"
    assert not (tmp_path / "out").exists()


def test_an_interrupt_swallowed_in_a_weakref_callback_still_fails_the_batch(tmp_path):
    """Python drops exceptions raised in weakref callbacks; the recorded signal is not."""
    import gc
    import weakref

    from lstmfigs import signals
    from lstmfigs.export import atomic_write, batch

    class Thing:
        pass

    out = tmp_path / "out.bin"
    with pytest.raises(signals.Interrupted), signals.handled(), batch():
        atomic_write(out, lambda handle: handle.write(b"data"))
        thing = Thing()
        weakref.finalize(thing, lambda: signals._handler(signal.SIGINT, None))
        del thing
        gc.collect()
    assert list(tmp_path.iterdir()) == []
    assert signals.received() is None  # nothing carries over to the next command


def test_signals_are_restored_after_a_command():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    cli("list")
    assert {s: signal.getsignal(s) for s in before} == before


# -- 9. animations: a frame limit, a stated sampling rule, streamed frames -------------------------

def test_frame_steps_rule():
    from lstmfigs.animate import frame_steps

    assert frame_steps(12) == list(range(12))
    assert frame_steps(limits.MAX_FRAMES) == list(range(limits.MAX_FRAMES))
    steps = frame_steps(10_000)
    assert len(steps) <= limits.MAX_FRAMES
    assert steps[0] == 0 and steps[-1] == 9_999 and steps[1] == 100
    for total in range(1, 3000, 7):
        chosen = frame_steps(total)
        assert len(chosen) <= limits.MAX_FRAMES and chosen[-1] == total - 1
        assert chosen == sorted(set(chosen))


def test_a_long_activity_run_is_subsampled_not_drawn_whole(monkeypatch, tmp_path):
    from PIL import Image

    from lstmfigs import animate
    from lstmfigs.build import request

    monkeypatch.setattr(limits, "MAX_FRAMES", 4)
    drawn = []
    real = animate._raster
    monkeypatch.setattr(animate, "_raster",
                        lambda fig, *args: drawn.append(1) or real(fig, *args))
    inputs = np.sin(np.arange(10_000, dtype=np.float64) / 50).reshape(-1, 1)
    path = animate.save_animation(request("lstm-activity", inputs=inputs, dpi=30),
                                  tmp_path / "a.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 4
    assert len(drawn) == 4


def test_gif_frames_are_capped_and_consumed_one_at_a_time(monkeypatch):
    from PIL import Image

    from lstmfigs.animate import gif_bytes

    monkeypatch.setattr(limits, "MAX_FRAMES", 3)
    made = []

    def frames():
        for i in range(10):
            made.append(i)
            yield Image.new("RGB", (8, 8), (i * 20, 0, 0))

    with pytest.raises(LstmfigsError, match="at most 3 frames"):
        gif_bytes(frames(), 100)
    assert made == [0, 1, 2, 3]  # stopped at the first frame too many


def test_animation_frames_are_pixel_capped(tmp_path):
    result = cli("render", "lstm-cell", "--format", "gif", "--dpi", "1200", "-o",
                 str(tmp_path / "out"))
    assert_one_line_error(result, "animation frame", "megapixels")
    assert not (tmp_path / "out").exists()


# -- 10. user themes are validated like any input ------------------------------------------------

@pytest.mark.parametrize("content,words", [
    ("text.usetex: True\n", "text.usetex"),
    ("font.size: 1e5\n", "font.size"),
    ("font.size: 0.5\n", "font.size"),
    ("savefig.dpi: 0\n", "savefig.dpi"),
    ("figure.dpi: 1e9\n", "figure.dpi"),
    ("lines.linewidth: 1e6\n", "lines.linewidth"),
    ("not a setting\n", "line 1"),
    ("font.colour: red\n", "font.colour"),
    ("backend: agg\n", "not a style setting"),
    ("font.size: big-ish\n", "bad value"),
    ("axes.prop_cycle: cycler(color=['r'])\n", "prop_cycle"),
    ("# lstmfigs-page: wobbly\n", "lstmfigs-page"),
    ("# lstmfigs-diverging-cmap: nope\n", "colour map"),
    ("\x00\x01garbage\xff\n" * 50, "theme file"),
])
def test_bad_theme_files_are_one_line_errors(tmp_path, content, words):
    theme = tmp_path / "mine.mplstyle"
    theme.write_bytes(content.encode("utf-8", "surrogateescape") if isinstance(content, str)
                      else content)
    code = ("import sys; from lstmfigs.cli import main\n"
            f"main(['render', 'lstm-cell', '--theme', {str(theme)!r}, '-o', "
            f"{str(tmp_path / 'out')!r}])")
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no matplotlib warning per line
    assert words in lines[0] and str(theme) in lines[0] or "theme" in lines[0], lines[0]
    assert words in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_a_good_user_theme_still_works(tmp_path):
    theme = tmp_path / "mine.mplstyle"
    theme.write_text("# my colours\nfont.size: 11\nfigure.figsize: 4, 3\n"
                     "# lstmfigs-page: fit-height\n")
    fig = lstmfigs.figure("lstm-cell", theme=f"paper+{theme}")
    assert fig.get_size_inches()[0] == pytest.approx(4)


def test_theme_values_are_checked_through_the_python_api(tmp_path):
    theme = tmp_path / "mine.mplstyle"
    theme.write_text("savefig.dpi: 0\n")
    with pytest.raises(LstmfigsError, match="savefig.dpi"):
        lstmfigs.figure("lstm-cell", theme=str(theme))


# -- 12. messages and files ------------------------------------------------------------------------

def test_control_characters_in_messages_are_escaped(tmp_path):
    evil = "x\x1b]0;pwned\x07\x1b[2J\u202eevil"
    for args in (["render", evil], ["render", "lstm-cell", "--theme", evil],
                 ["render", "lstm-cell", "--highlight", evil], ["spec", evil]):
        line = assert_one_line_error(cli(*args, *(["-o", str(tmp_path)] if args[0] == "render"
                                                  else [])))
        assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
        assert "\\x1b" in line and "\\u202e" in line


def test_undecodable_file_names_are_shown_not_crashed_on(tmp_path):
    name = os.fsdecode(b"caf\xe9.toml")
    result = cli("validate", str(tmp_path / name))
    line = assert_one_line_error(result, "does not exist")
    assert "\\xe9" in line


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_outputs_respect_the_umask(tmp_path, umask):
    out = tmp_path / "out"
    code = (f"import os; os.umask({umask}); from lstmfigs.cli import main\n"
            f"main(['render', 'rnn-cell', '--format', 'svg', '-o', {str(out)!r}])")
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    mode = stat.S_IMODE((out / "rnn-cell.svg").stat().st_mode)
    assert mode == 0o666 & ~umask


def test_a_legal_long_file_name_works(tmp_path):
    name = "n" + "x" * 238  # 239 characters + ".svg": legal on every common file system
    path = spec_file(tmp_path, text=TINY_SPEC.format(label="x", bx=2, by=0)
                     .replace("name = 'tiny'", f"name = '{name}'"))
    result = cli("render", str(path), "-o", str(tmp_path / "out"), "--format", "svg")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / f"{name}.svg").is_file()


def test_temporary_names_are_short(tmp_path):
    from lstmfigs.export import _temporary

    temp, handle = _temporary(tmp_path)
    handle.close()
    assert len(temp.name) <= 32 and temp.name.startswith(".lstmfigs-")


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    from lstmfigs.export import atomic_write, batch

    # A process id above the system's maximum is never running (a finished process's id
    # could be reused by the time the batch looks).
    pid_max = Path("/proc/sys/kernel/pid_max")
    dead = int(pid_max.read_text()) + 1 if pid_max.exists() else 2**22 + 1
    stale = tmp_path / f".lstmfigs-{dead}-0123abcd.tmp"
    fresh = tmp_path / f".lstmfigs-{dead}-4567abcd.tmp"
    alive = tmp_path / ".lstmfigs-1-89abcdef.tmp"  # process 1 never dies
    for path in (stale, fresh, alive):
        path.write_bytes(b"half")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    os.utime(alive, (old, old))
    with batch():
        atomic_write(tmp_path / "new.txt", lambda handle: handle.write(b"x"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert stale.name not in names
    assert fresh.name in names and alive.name in names and "new.txt" in names


# -- 13. Python API types --------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda: lstmfigs.figure(["lstm-cell"]),
    lambda: lstmfigs.figure(None),
    lambda: lstmfigs.figure(42),
    lambda: lstmfigs.figure("lstm-cell", theme=["paper"]),
    lambda: lstmfigs.figure("lstm-cell", width=True),
    lambda: lstmfigs.figure("lstm-cell", width="3 furlongs"),  # a bare "3" is 3 in
    lambda: lstmfigs.figure("lstm-cell", width=float("inf")),
    lambda: lstmfigs.figure("lstm-cell", highlight=3),
    lambda: lstmfigs.figure("lstm-cell", legend="no"),
    lambda: lstmfigs.figure("lstm-chain", layers=2.5),
    lambda: lstmfigs.figure("lstm-chain", layers=True),
    lambda: lstmfigs.data(["gradient-decay"]),
    lambda: lstmfigs.save(None, "x.pdf"),
    lambda: lstmfigs.save("lstm-cell", "x.pdf"),
])
def test_wrong_types_raise_lstmfigs_errors(call):
    with pytest.raises(LstmfigsError):
        call()


def test_save_refuses_bad_paths_and_values(tmp_path):
    fig = lstmfigs.figure("rnn-cell")
    for path, kwargs in ((tmp_path, {}), (None, {}), (42, {}),
                         (tmp_path / "a.png", {"dpi": "high"}), (tmp_path / "a.png", {"dpi": 0}),
                         (tmp_path / "a.png", {"dpi": True}),
                         (tmp_path / "a.png", {"transparent": "yes"}),
                         (tmp_path / "a.png", {"format": 3})):
        with pytest.raises(LstmfigsError):
            lstmfigs.save(fig, path, **kwargs)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("label", ["中文", "\U0001F600"])
def test_characters_no_theme_font_has_are_errors_not_warnings(tmp_path, label):
    path = spec_file(tmp_path, label=label)
    code = ("import sys; from lstmfigs.cli import main\n"
            f"main(['validate', {str(path)!r}])")
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "cannot draw" in lines[0], result.stderr


def test_the_activity_diagram_refuses_an_endless_sequence(monkeypatch):
    from lstmfigs import animate

    monkeypatch.setattr(limits, "MAX_ACTIVITY_STEPS", 50)
    with pytest.raises(LstmfigsError, match="at most 50"):
        animate.run_activity(inputs=np.zeros((51, 1)))
    assert animate.run_activity(inputs=np.zeros((50, 1))).steps == 50


def test_a_name_too_long_for_the_file_system_fails_before_drawing(tmp_path):
    name = "n" + "x" * 245  # fits a .svg (250 bytes) but not '-storyboard.pdf'
    path = spec_file(tmp_path, text=TINY_SPEC.format(label="x", bx=2, by=0)
                     .replace("name = 'tiny'", f"name = '{name}'"))
    out = tmp_path / "out"
    assert_one_line_error(cli("render", str(path), "-o", str(out), "--storyboard",
                              "--format", "pdf"), "bytes long")
    assert not out.exists()


def test_names_up_to_the_file_system_limit_still_render(tmp_path):
    name = "n" + "x" * 250  # 251 + ".svg" = 255 bytes
    path = spec_file(tmp_path, text=TINY_SPEC.format(label="x", bx=2, by=0)
                     .replace("name = 'tiny'", f"name = '{name}'"))
    result = cli("render", str(path), "-o", str(tmp_path / "out"), "--format", "svg")
    assert result.exit_code == 0, result.output
    assert_one_line_error(cli("render", str(path), "--highlight", "only", "-o",
                              str(tmp_path / "out2")), "bytes long")
