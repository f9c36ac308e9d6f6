"""Fuzzing the command line: generated spec files, option lists and weights/inputs
files.  Whatever the input, a run either succeeds and writes every file it names, or exits
with status 2, one ``lstmfigs: error:`` line on stderr, no "internal error" (the CLI's name
for an unexpected exception) and no file at all; and ``validate`` passes exactly the specs
that ``render`` can draw.

The examples are derandomised so CI is reproducible and stays within a minute; set
``LSTMFIGS_FUZZ_EXAMPLES`` to run more, randomly, when hunting.
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmfigs.cli import main

# Slow: every example runs the CLI or the loader on generated input.
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), pytest.mark.slow]

_HUNT = int(os.environ.get("LSTMFIGS_FUZZ_EXAMPLES", "0"))


def fuzz_settings(examples: int):
    return settings(max_examples=_HUNT or examples, derandomize=not _HUNT, deadline=None,
                    database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def check_outcome(result, out: Path | None = None) -> None:
    """Success, or exactly one clean error line and nothing written."""
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("lstmfigs: error: "), result.stderr
        assert "internal error" not in lines[0], lines[0]
        assert not any(ord(c) < 32 or c == "\x7f" for c in lines[0]), lines[0]
        if out is not None:
            assert not out.exists() or not any(out.iterdir()), sorted(out.iterdir())
    elif out is not None:
        listed = [Path(line) for line in result.stdout.splitlines() if not line.startswith(" ")]
        assert listed and all(p.is_file() and p.stat().st_size > 0 for p in listed)
        assert sorted(listed) == sorted(out.iterdir())  # no temporary file is left
    assert "Traceback" not in result.output


# -- spec files -----------------------------------------------------------------------------

_MATH_PIECES = ["$", "x", "_t", "^{2}", r"\frac{a}{b}", "{", "}", r"\$", r"\sigma", r"\tanh",
                r"\left(", r"\right)", r"\hat", "\\", " ", "é", "中", "\u200b", "\ufeff",
                "\u202e", "\x1b", "\n", r"\sqrt{", r"\mathrm{W}", "_", "^", "%", "#", "'"]
_GOOD_TEXT = st.sampled_from(["$x_t$", "$h_{t-1}$", r"$\sigma$", "tanh", "", r"a$b\$",
                              r"$\frac{1}{2}$", "$c_t$ and $x$", "é", r"costs \$5"])
_BAD_TEXT = (st.sampled_from(["中", "\U0001F600"])
             | st.lists(st.sampled_from(_MATH_PIECES), min_size=1, max_size=12).map("".join)
             | st.text(min_size=1, max_size=10))
_GOOD_NUMBER = st.floats(-6, 6, allow_nan=False).map(lambda v: round(v, 2))
_BAD_NUMBER = st.sampled_from([0.0, 1e-9, -3.0, 60.0, 999.0, 1000.0, 1001.0, -1000.0, 1e300,
                               math.inf, math.nan])
_PORTS = ["n", "s", "e", "w", "in", "out"]
#: At most one fault an example, so that most examples are drawn and each fault is probed
#: on its own.
_FAULTS = [None] * 8 + ["name", "step", "kind", "at", "size", "label", "port", "no-nodes",
                        "far", "duplicate", "min_width", "max_unit", "via", "text", "wire-end"]


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return {math.inf: "inf", -math.inf: "-inf"}.get(value, "nan" if math.isnan(value)
                                                       else repr(value))
    if isinstance(value, str):  # a basic string with every control character escaped
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + "".join(c if c >= " " and c != "\x7f" else f"\\u{ord(c):04x}"
                             for c in escaped) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(value)


@st.composite
def spec_texts(draw) -> str:
    fault = draw(st.sampled_from(_FAULTS))

    def number(what: str) -> float:
        return draw(_BAD_NUMBER if fault == what else _GOOD_NUMBER)

    name = draw(st.sampled_from(["9bad", "a b", "../x", ""]) if fault == "name"
                else st.sampled_from(["fuzz", "fuzz-2", "x" * 230]))
    lines = [f"name = {_toml(name)}"]
    steps = ["one", "two"] if fault != "step" else ["one", draw(st.sampled_from(["b c", "../x"]))]
    lines.append(f"steps = {_toml(steps)}")
    if fault in ("min_width", "max_unit") or draw(st.booleans()):
        key = fault if fault in ("min_width", "max_unit") else "max_unit"
        lines.append(f"{key} = {_toml(abs(number(key)) if fault != key else number(key))}")
    ids = [] if fault == "no-nodes" else draw(st.lists(st.sampled_from("abcde"), min_size=1,
                                                        max_size=4, unique=True))
    if fault == "duplicate" and ids:
        ids.append(ids[0])
    for index, node_id in enumerate(ids):
        kind = draw(st.sampled_from(["gate", "op", "dot", "concat", "terminal"]))
        at = [number("at"), number("far") * (170 if fault == "far" and index else 1)]
        lines += ["", "[[nodes]]", f"id = {_toml(node_id)}",
                  f"kind = {_toml('x' if fault == 'kind' else kind)}", f"at = {_toml(at)}"]
        if fault == "label" or draw(st.booleans()):
            lines.append(f"label = {_toml(draw(_BAD_TEXT if fault == 'label' else _GOOD_TEXT))}")
        if fault == "size":
            lines.append(f"size = {_toml([number('size'), 1.0])}")
        if draw(st.booleans()):
            lines.append(f"steps = {_toml([draw(st.sampled_from(steps))])}")
    for _ in range(draw(st.integers(0, 3)) if len(ids) > 1 else 0):
        source, target = draw(st.lists(st.sampled_from(sorted(set(ids))), min_size=2,
                                       max_size=2, unique=True))
        if fault == "wire-end":
            target = "zz"
        port = draw(st.sampled_from(["top", ""] if fault == "port" else _PORTS))
        lines += ["", "[[wires]]", f"from = {_toml(source + '.' + draw(st.sampled_from(_PORTS)))}",
                  f"to = {_toml(target + '.' + port)}"]
        if fault == "via" or draw(st.integers(0, 3)) == 0:
            lines.append(f"via = {_toml([[number('via'), number('via')]])}")
    for table in ("labels", "equations", "legend"):
        if fault == "text" or draw(st.integers(0, 2)) == 0:
            text = draw(_BAD_TEXT if fault == "text" else _GOOD_TEXT)
            lines += ["", f"[[{table}]]", f"text = {_toml(text)}"]
            if table == "labels":
                lines.append(f"at = {_toml([number('at'), number('at')])}")
            if table == "legend":
                lines.append("kind = 'layer'")
    return "\n".join(lines) + "\n"


@fuzz_settings(25)
@given(text=spec_texts())
def test_spec_files_validate_exactly_when_they_render(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("spec")
    path = folder / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    validated = run("validate", str(path))
    check_outcome(validated)
    out = folder / "out"
    rendered = run("render", str(path), "-o", str(out), "--format", "svg,png,pdf",
                   "--dpi", "20")
    check_outcome(rendered, out)
    assert validated.exit_code == rendered.exit_code, (validated.output, rendered.output)


# -- command-line options ----------------------------------------------------------------------

_OPTIONS = {
    "--format": st.sampled_from(["svg", "png", "pdf,svg", "gif", ",", "bmp", "SVG", ".png",
                                 "png,png", "\x1b[2J"]),
    "--dpi": st.sampled_from(["20", "0", "-5", "nan", "inf", "1e308", "lots", "9", "2401",
                              "30.5"]),
    "--width": st.sampled_from(["3", "0", "1", "0.999", "50", "50.01", "nan", "-inf", "huge",
                                "1e-300"]),
    "--theme": st.sampled_from(["paper", "ieee", "slides", "neon", "", "paper+print",
                                "paper+", "+", "missing.mplstyle", "/dev/null.mplstyle",
                                "slides+slides-dark"]),
    "--highlight": st.sampled_from(["forget", "reset", "", "../x", "remember"]),
    "--layers": st.sampled_from(["1", "2", "3", "0", "two"]),
    "--legend": st.none(), "--no-legend": st.none(), "--equations": st.none(),
    "--transparent": st.none(), "--storyboard": st.none(), "--data": st.none(),
    "--weights": st.sampled_from(["missing.npz"]),
}


@st.composite
def option_lists(draw) -> list[str]:
    names = draw(st.lists(st.sampled_from(["rnn-cell", "gru-cell", "lstm-chain", "nope",
                                           "lstm-cel", "rnn-cell"]), min_size=1, max_size=2))
    args = list(names)
    for flag in draw(st.lists(st.sampled_from(sorted(_OPTIONS)), max_size=4, unique=True)):
        value = draw(_OPTIONS[flag])
        args += [flag] if value is None else [flag, value]
    return args


@fuzz_settings(30)
@given(args=option_lists())
def test_cli_options_succeed_fully_or_fail_cleanly(tmp_path_factory, args):
    out = tmp_path_factory.mktemp("cli") / "out"
    check_outcome(run("render", *args, "-o", str(out)), out)


# -- weights and inputs files (through the one loader) -------------------------------------------

def _npz(path: Path, **arrays) -> None:
    import numpy as np

    np.savez(path, **arrays)


def _lstm_arrays(hidden: int, inputs: int, *, nan: bool = False, rows: int | None = None):
    import numpy as np

    rng = np.random.default_rng(hidden * 7 + inputs)
    arrays = {"weight_ih_l0": rng.standard_normal((rows or 4 * hidden, inputs)),
              "weight_hh_l0": rng.standard_normal((4 * hidden, hidden)),
              "bias_ih_l0": rng.standard_normal(4 * hidden),
              "bias_hh_l0": rng.standard_normal(4 * hidden)}
    if nan:
        arrays["weight_hh_l0"][0, 0] = np.nan
    return arrays


def _huge_npy_header(rows: int = 2**40) -> bytes:
    import numpy as np

    header = {"descr": "<f8", "fortran_order": False, "shape": (rows, 1)}
    buffer = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + b"\0" * 64


@functools.lru_cache(maxsize=1)
def _zip_bomb() -> bytes:
    """An .npz of about 1 MB whose one array inflates to 300 MiB of zeros."""
    import io
    import zipfile

    import numpy as np

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open("weight_ih_l0.npy", "w", force_zip64=True) as member:
        header = {"descr": "<f8", "fortran_order": False, "shape": (300 * 2**17,)}
        np.lib.format.write_array_header_1_0(member, header)
        chunk = bytes(2**20)
        for _ in range(300):
            member.write(chunk)
    return buffer.getvalue()


def write_weights(path: Path, kind: str) -> Path:
    import zipfile

    import numpy as np

    path = path.with_suffix(".npz")
    if kind == "good":
        _npz(path, **_lstm_arrays(3, 2))
    elif kind == "keras":
        a = _lstm_arrays(3, 2)
        _npz(path, **{"lstm/kernel:0": a["weight_ih_l0"].T, "lstm/recurrent_kernel:0":
                      a["weight_hh_l0"].T, "lstm/bias:0": a["bias_ih_l0"] + a["bias_hh_l0"]})
    elif kind == "nan":
        _npz(path, **_lstm_arrays(3, 2, nan=True))
    elif kind == "gru-shaped":
        _npz(path, **_lstm_arrays(3, 2, rows=9))
    elif kind == "wrong-keys":
        _npz(path, w=np.zeros(3))
    elif kind == "pickle":
        np.save(path.with_suffix(".npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
        with zipfile.ZipFile(path, "w") as archive:
            archive.write(path.with_suffix(".npy"), "weight_ih_l0.npy")
    elif kind == "huge-header":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("weight_ih_l0.npy", _huge_npy_header())
    elif kind == "bomb":
        path.write_bytes(_zip_bomb())
    elif kind == "truncated":
        _npz(path, **_lstm_arrays(3, 2))
        path.write_bytes(path.read_bytes()[:200])
    elif kind == "text":
        path.write_text("weight_ih_l0 = [1, 2, 3]\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    return path


def write_inputs(path: Path, kind: str) -> Path:
    import numpy as np

    suffix = ".csv" if kind.startswith("csv") else ".npy"
    path = path.with_suffix(suffix)
    if kind == "good":
        np.save(path, np.sin(np.arange(10.0)).reshape(5, 2))
    elif kind == "long":
        np.save(path, np.sin(np.arange(600.0)).reshape(300, 2))
    elif kind == "batch":
        np.save(path, np.zeros((4, 3, 2)))
    elif kind == "wrong-features":
        np.save(path, np.zeros((4, 5)))
    elif kind == "nan":
        np.save(path, np.full((4, 2), np.nan))
    elif kind == "object":
        np.save(path, np.array([[None, 1]], dtype=object), allow_pickle=True)
    elif kind == "huge-header":
        path.write_bytes(_huge_npy_header())
    elif kind == "csv-good":
        path.write_text("a,b\n0.1,0.2\n0.3,0.4\n")
    elif kind == "csv-garbage":
        path.write_text("1,2\nthree,four\n\x1b[2J\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "fifo":
        os.mkfifo(path)
    return path


_WEIGHTS = [None, "good", "good", "good", "keras", "nan", "gru-shaped", "wrong-keys", "pickle",
            "huge-header", "bomb", "truncated", "text", "empty", "folder"] \
    + (["fifo"] if hasattr(os, "mkfifo") else [])
_INPUTS = [None, "good", "good", "good", "long", "batch", "wrong-features", "nan", "object",
           "huge-header", "csv-good", "csv-garbage", "empty"] \
    + (["fifo"] if hasattr(os, "mkfifo") else [])


@fuzz_settings(20)
@given(weights=st.sampled_from(_WEIGHTS), inputs=st.sampled_from(_INPUTS),
       figure=st.sampled_from(["lstm-activity", "lstm-activity", "lstm-cell"]))
def test_weights_and_inputs_files_load_fully_or_fail_cleanly(tmp_path_factory, weights, inputs,
                                                             figure):
    folder = tmp_path_factory.mktemp("model")
    args = ["render", figure, "--format", "svg", "-o", str(folder / "out")]
    if weights:
        args += ["--weights", str(write_weights(folder / "w", weights))]
    if inputs:
        args += ["--input", str(write_inputs(folder / "x", inputs))]
    check_outcome(run(*args), folder / "out")
