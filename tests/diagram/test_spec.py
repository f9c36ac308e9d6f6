"""Specs as the user's format: exact round trips, clean failures, safe file names.

* Every built-in spec survives TOML: ``loads(dumps(spec)) == spec``, and ``lstmfigs spec
  NAME`` rendered as a file gives the same PNG bytes as ``lstmfigs render NAME``.
* ``lstmfigs validate`` names the file, the line and the field path; bad specs exit 2 with
  one line on stderr and write nothing.
* Property tests (hypothesis) feed random bytes, random TOML and mangled built-in specs to
  the loader and the CLI: a SpecError or success, never a traceback, never a partial file.
"""

from __future__ import annotations

import os
import tomllib

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lstmfigs
from lstmfigs.cli import main
from lstmfigs.diagram.tomlio import dumps_spec, loads_spec
from lstmfigs.errors import SpecError
from lstmfigs.figures.diagrams import builtin_names, builtin_spec


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    return result


@pytest.mark.parametrize("name", builtin_names())
def test_toml_round_trip_is_exact(name):
    spec = builtin_spec(name)
    text = dumps_spec(spec)
    assert loads_spec(text) == spec
    assert dumps_spec(loads_spec(text)) == text


@pytest.mark.parametrize("name", ["gru-cell", "lstm-nig", "lstm-chain", "rnn-cell"])
def test_spec_file_renders_like_the_builtin(name, tmp_path):
    printed = run("spec", name)
    assert printed.exit_code == 0
    spec_file = tmp_path / "user.toml"
    spec_file.write_text(printed.output)
    assert run("render", name, "-o", str(tmp_path / "a"), "--format", "png").exit_code == 0
    assert run("render", str(spec_file), "-o", str(tmp_path / "b"),
               "--format", "png").exit_code == 0
    assert (tmp_path / "a" / f"{name}.png").read_bytes() == \
        (tmp_path / "b" / f"{name}.png").read_bytes()


# -- validation errors ---------------------------------------------------------------------------

def _user_spec(tmp_path, old: str, new: str, name: str = "lstm-peephole"):
    text = run("spec", name).output
    assert old in text, old
    path = tmp_path / "user.toml"
    path.write_text(text.replace(old, new, 1))
    return path, text.replace(old, new, 1)


BAD = {  # what to change in the printed lstm-peephole spec -> words the error must contain
    "dangling wire": ("to = 'c_mul'", "to = 'mul_x'", "no node named 'mul_x'"),
    "unknown key": ("kind = 'gate'", "kind = 'gate'\ncolour = 'red'", "unknown key 'colour'"),
    "duplicate id": ("id = 'c_mul2'", "id = 'c_mul'", "duplicate id 'c_mul'"),
    "bad mathtext": ("label = '$\\sigma$'", "label = '$\\sigma_{$'", "bad mathtext"),
    "impossible coordinate": ("kind = 'gate'", "kind = 'gate'\nat = [1.8, 1e300]",
                              "not a usable coordinate"),
    "unknown port": ("to = 'c_mul'", "to = 'c_mul.top'", "has no port 'top'"),
    "unknown step": ("steps = ['forget']", "steps = ['forgot']", "step 'forgot'"),
    "bad name": ("name = 'lstm-peephole'", "name = '../../evil'", "not a valid id"),
    "bad step name": ("steps = ['forget', 'input', 'update', 'output']",
                      "steps = ['forget', 'input', 'update', '../output']", "not a valid name"),
    "not toml": ("name = 'lstm-peephole'", "name = 'lstm-peephole", "invalid TOML"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_validate_reports_file_line_and_path(case, tmp_path):
    old, new, words = BAD[case]
    path, text = _user_spec(tmp_path, old, new)
    result = run("validate", str(path))
    assert result.exit_code == 2
    message = result.output.strip()  # stderr: the CLI prints nothing else
    assert len(message.splitlines()) == 1 and message.startswith("lstmfigs: error: ")
    assert str(path) in message and words in message
    line = message.split(f"{path}:", 1)[1].split(":", 1)[0]
    if case != "not toml" or line.isdigit():
        assert line.isdigit(), message  # the line is known
        changed = new.splitlines()[-1].split("=")[0].strip()
        assert changed in text.splitlines()[int(line) - 1], (line, message)


def test_dangling_wire_error_names_the_field_path(tmp_path):
    path, _ = _user_spec(tmp_path, "to = 'c_mul'", "to = 'mul_x'")
    result = run("validate", str(path))
    wires = tomllib.loads(path.read_text())["wires"]
    index = next(i for i, w in enumerate(wires) if w["to"] == "mul_x")
    assert f"wires[{index}].to: no node named 'mul_x'" in result.output


def test_plumbing_cycle_is_reported(tmp_path):
    path, _ = _user_spec(tmp_path, "kind = 'concat'",
                         "kind = 'concat'\n\n[[nodes]]\nid = 'copy'\nkind = 'dot'\n\n"
                         "[[wires]]\nfrom = 'concat'\nto = 'copy'\n\n[[wires]]\n"
                         "from = 'copy'\nto = 'concat'")
    result = run("validate", str(path))
    assert result.exit_code == 2 and "cycle" in result.output


def test_a_bad_spec_writes_nothing(tmp_path):
    path, _ = _user_spec(tmp_path, "to = 'c_mul'", "to = 'mul_x'")
    out = tmp_path / "out"
    result = run("render", str(path), "-o", str(out), "--format", "pdf,png,svg,gif")
    assert result.exit_code == 2
    assert not out.exists()


def test_a_spec_cannot_write_outside_the_output_folder(tmp_path):
    """File names come from the spec's name and step names, which must be identifiers."""
    for old, new in (("name = 'lstm-peephole'", "name = '../escaped'"),
                     ("steps = ['forget', 'input', 'update', 'output']",
                      "steps = ['forget', 'input', 'update', '../../escaped']")):
        path, _ = _user_spec(tmp_path, old, new)
        out = tmp_path / "deep" / "out"
        result = run("render", str(path), "-o", str(out), "--format", "png",
                     "--highlight", "../../escaped")
        assert result.exit_code == 2
        assert not any(p.name.startswith("escaped") for p in tmp_path.rglob("*"))
        assert not out.exists()


# -- property tests ------------------------------------------------------------------------------

def _assert_clean(text: str) -> None:
    """Loading gives a spec or a one-line SpecError that names the source; nothing else."""
    try:
        spec = loads_spec(text, "fuzz.toml")
    except SpecError as error:
        assert str(error).startswith("fuzz.toml") and "\n" not in str(error).strip()
    else:
        assert loads_spec(dumps_spec(spec)) == spec


_BASE = dumps_spec(builtin_spec("lstm-cifg"))
_LINES = _BASE.splitlines()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_loader(data):
    _assert_clean(data.decode("utf-8", errors="replace"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_LINES) - 1),
                          st.sampled_from(["drop", "dup", "swap", "garble", "number"]),
                          st.text(max_size=12)), max_size=4))
def test_mangled_builtin_specs_fail_cleanly(edits):
    lines = list(_LINES)
    for index, how, junk in edits:
        index %= len(lines)
        if how == "drop":
            del lines[index]
        elif how == "dup":
            lines.insert(index, lines[index])
        elif how == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        elif how == "garble":
            lines[index] = lines[index][: len(lines[index]) // 2] + junk
        elif how == "number" and "=" in lines[index]:
            lines[index] = lines[index].split("=")[0] + "= " + repr(len(junk) * 1e307)
        if not lines:
            break
    _assert_clean("\n".join(lines))


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                               max_size=3),
    max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "steps", "nodes", "wires", "labels", "regions",
                                        "legend", "equations", "max_unit", "min_width",
                                        "title"]), _VALUES, max_size=5))
def test_random_structures_fail_cleanly(data):
    from lstmfigs.diagram.spec import DiagramSpec

    data = {k: v for k, v in data.items() if v is not None}
    try:
        DiagramSpec.from_dict(data)
    except SpecError:
        pass


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200) | st.sampled_from([_BASE.replace("'$\\times$'", "'$\\times'"),
                                                   _BASE.replace("[[nodes]]", "[nodes]", 1)]))
def test_cli_never_tracebacks_nor_half_writes(tmp_path, data):
    path = tmp_path / "fuzz.toml"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    out = tmp_path / "out"
    for args in (["validate", str(path)],
                 ["render", str(path), "-o", str(out), "--format", "png"]):
        result = run(*args)
        assert result.exit_code in (0, 2), result.output
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
    if out.exists():
        assert all(not p.name.endswith(".part") for p in out.iterdir())
        for p in out.iterdir():
            assert p.stat().st_size > 0
            os.remove(p)


def test_every_builtin_spec_validates_from_the_cli(tmp_path):
    for name in builtin_names():
        path = tmp_path / f"{name}.toml"
        path.write_text(run("spec", name).output if name in lstmfigs.names() else
                        dumps_spec(builtin_spec(name)))
        result = run("validate", str(path))
        assert result.exit_code == 0 and "ok" in result.output, (name, result.output)


def test_a_spec_is_checked_once_along_the_build_path(tmp_path, monkeypatch):
    """Parsing, the build request and the page each call validate; the checks run once for
    the spec read and once for the spec arranged from it (whatever tests ran before)."""
    from lstmfigs.diagram import arrange
    from lstmfigs.diagram import spec as spec_module

    path = tmp_path / "gru.toml"
    path.write_text(dumps_spec(builtin_spec("gru-cell")), encoding="utf-8")
    runs = []
    real = spec_module._check_spec

    def counted(spec):
        runs.append(spec.name)
        real(spec)

    monkeypatch.setattr(spec_module, "_check_spec", counted)
    spec_module._VALIDATED.clear()
    arrange._arrange.cache_clear()
    lstmfigs.figure(str(path), theme="paper", highlight="reset")
    assert runs == ["gru-cell", "gru-cell"]
    lstmfigs.figure(str(path), theme="paper", highlight="update")
    assert runs == ["gru-cell", "gru-cell"]
