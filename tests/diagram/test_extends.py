"""``extends``: a TOML spec that edits a built-in diagram or another spec file.

What an extending spec removes, changes and adds reaches the result (and nothing else
changes); the result is an ordinary spec (it prints and reloads as itself, renders from
Python and the command line); it is the same edit mechanism as the built-in variants (a
TOML file reproduces one exactly); and every mistake is a one-line SpecError that names the
file, the line and the nearest of the base's names.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs.cli import main
from lstmfigs.diagram.tomlio import MAX_EXTENDS, dumps_spec, load_spec, loads_spec
from lstmfigs.errors import SpecError
from lstmfigs.figures.diagrams import builtin_spec

PEEPHOLE_EDIT = """\
extends = "lstm-peephole"
name = "my-peephole"
title = "Mine"
remove = ["c-o"]

[change.o]
label = "$\\\\sigma_o$"

[change.c_prev-c_mul]
steps = ["forget"]

[[nodes]]
id = "note"
kind = "terminal"
label = "$n_t$"
label_side = "right"
steps = ["output"]

[[wires]]
from = "h"
to = "note"
role = "hidden_state"
"""


def _write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _wires(spec):
    return {(w.source, w.target) for w in spec.wires}


def test_remove_change_and_add_reach_the_result_and_nothing_else():
    base = builtin_spec("lstm-peephole")
    spec = loads_spec(PEEPHOLE_EDIT, "mine.toml")
    assert (spec.name, spec.title) == ("my-peephole", "Mine")
    assert spec.description == base.description  # not named: the base's
    assert "c-o" not in {w.id for w in spec.wires}
    assert spec.node("o").label == r"$\sigma_o$"
    changed = next(w for w in spec.wires if w.id == "c_prev-c_mul")
    assert changed.steps == ("forget",)
    assert spec.node("note").label == "$n_t$"
    assert ("h", "note") in _wires(spec)
    # Every other element is the base's, in the base's order.
    kept = [n for n in base.nodes]
    assert [n for n in spec.nodes if n.id not in ("o", "note")] == \
        [n for n in kept if n.id != "o"]
    assert _wires(spec) == (_wires(base) - {("c", "o")}) | {("h", "note")}
    assert spec.steps == base.steps and spec.equations == base.equations


def test_the_result_is_an_ordinary_spec():
    spec = loads_spec(PEEPHOLE_EDIT, "mine.toml")
    assert loads_spec(dumps_spec(spec)) == spec


def test_removing_a_node_removes_its_wires():
    spec = loads_spec('extends = "lstm-cell"\nname = "x"\nremove = ["h_tanh"]\n')
    assert not any("h_tanh" in end for w in spec.wires for end in (w.source, w.target))
    assert len(spec.nodes) == len(builtin_spec("lstm-cell").nodes) - 1


def test_it_is_the_edit_the_variants_make():
    """NIAF as TOML: the peephole LSTM with a linear candidate, drawing cell lstm-niaf."""
    niaf = builtin_spec("lstm-niaf")
    text = (f'extends = "lstm-peephole"\nname = "lstm-niaf"\ntitle = "{niaf.title}"\n'
            f'description = "{niaf.description}"\ncell = "lstm-niaf"\n'
            '[change.g]\nlabel = "$\\\\mathrm{linear}$"\n')
    assert loads_spec(text) == niaf


def test_steps_replace_the_list_and_elements_lose_the_others():
    spec = loads_spec('extends = "lstm-cell"\nname = "x"\nsteps = ["forget", "input"]\n')
    assert spec.steps == ("forget", "input")
    for element in (*spec.nodes, *spec.wires, *spec.labels, *spec.equations):
        assert set(element.steps) <= {"forget", "input"}
    assert spec.node("x").steps == ("forget", "input")  # was forget, input, output


def test_top_level_fields_and_own_roles_override(tmp_path):
    spec = loads_spec('extends = "lstm-cell"\nname = "x"\nmin_width = 6.0\n'
                      '[roles]\nnormalizer_state = "cell_state"\n')
    assert spec.min_width == 6.0 and spec.roles == (("normalizer_state", "cell_state"),)
    _write(tmp_path, "base.toml", dumps_spec(spec))
    child = load_spec(_write(tmp_path, "child.toml", 'extends = "base.toml"\nname = "y"\n'
                             '[roles]\nstabilizer_state = "hidden_state"\n'))
    assert child.roles == (("normalizer_state", "cell_state"),
                           ("stabilizer_state", "hidden_state"))


def test_a_path_base_is_found_beside_the_file_and_chains_work(tmp_path, monkeypatch):
    folder = tmp_path / "specs"
    folder.mkdir()
    _write(folder, "mine.toml", PEEPHOLE_EDIT)
    _write(folder, "child.toml", 'extends = "mine.toml"\nname = "child"\n'
                                 '[change.note]\nlabel = "$m_t$"\n')
    monkeypatch.chdir(tmp_path)  # not the files' folder: they are found beside each other
    spec = load_spec(folder / "child.toml")
    assert spec.name == "child" and spec.node("note").label == "$m_t$"
    assert spec.node("o").label == r"$\sigma_o$"


def test_it_renders_from_python_and_the_command_line(tmp_path):
    path = _write(tmp_path, "mine.toml", PEEPHOLE_EDIT)
    fig = lstmfigs.figure(str(path), equations=True)
    assert fig.lstmfigs_diagram.layout.spec.node("o").label == r"$\sigma_o$"
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


# -- mistakes: one line naming the file, the line and the nearest name ----------------------

@pytest.mark.parametrize("text,line,expected", [
    ('extends = "lstm-peephole"\nname = "x"\nremove = ["h_tahn"]\n', 3,
     "nothing called 'h_tahn' in 'lstm-peephole' (did you mean 'h_tanh'?)"),
    ('extends = "lstm-peephole"\nname = "x"\n\n[change.h_tahn]\nlabel = "a"\n', 4,
     "did you mean 'h_tanh'?"),
    ('extends = "lstm-peephole"\nname = "x"\n\n[change.o]\nlable = "a"\n', 5,
     "unknown key 'lable' (did you mean 'label'?)"),
    ('extends = "lstm-peephole"\nname = "x"\n[change."c-h_tahn"]\nsteps = []\n',
     3, "did you mean 'c-h_tanh'?"),
    ('extends = "lstm-peephole"\nname = "x"\nremvoe = ["h_tanh"]\n', 3,
     "unknown key 'remvoe' (did you mean 'remove'?)"),
    ('extends = "lstm-peephol"\nname = "x"\n', 1,
     "no built-in diagram 'lstm-peephol' (did you mean 'lstm-peephole'?)"),
    ('extends = "lstm-cell"\nname = "x"\n\n[[nodes]]\nid = "h_tanh"\nkind = "op"\n', 5,
     "'h_tanh' is already in 'lstm-cell'; change its fields with [change.h_tanh]"),
    ('extends = "lstm-cell"\nname = "x"\n\n[[nodes]]\nid = "new"\nkind = "op"\nlable = "a"\n',
     7, "unknown key 'lable' (did you mean 'label'?)"),
    ('extends = "lstm-cell"\nname = "x"\n\n[[wires]]\nfrom = "f.n"\nto = "nope.s"\n',
     6, "no node named 'nope'"),
    ('extends = "lstm-cell"\nname = "x"\n[change.h_tanh]\nid = "other"\n', 4,
     "an element's id cannot change"),
    ('extends = "lstm-cell"\nname = "x"\n[change.h_tanh]\nlabel = "$\\\\frac{$"\n', 4,
     "change.h_tanh.label"),
    ('extends = "lstm-cell"\n', None, "name: is required"),
    ('extends = 3\nname = "x"\n', 1, "extends: expected the name of a built-in diagram"),
])
def test_mistakes_are_located_spec_errors(text, line, expected):
    with pytest.raises(SpecError) as caught:
        loads_spec(text, "mine.toml")
    message = str(caught.value)
    assert expected in message
    assert message.startswith("mine.toml" + (f":{line}:" if line else ":"))
    assert "\n" not in message


def test_a_cycle_is_an_error(tmp_path):
    _write(tmp_path, "a.toml", 'extends = "b.toml"\nname = "a"\n')
    _write(tmp_path, "b.toml", 'extends = "./a.toml"\nname = "b"\n')
    with pytest.raises(SpecError, match="goes round in a cycle"):
        load_spec(tmp_path / "a.toml")
    _write(tmp_path, "self.toml", 'extends = "self.toml"\nname = "s"\n')
    with pytest.raises(SpecError, match="goes round in a cycle"):
        load_spec(tmp_path / "self.toml")


def test_chains_are_bounded(tmp_path):
    _write(tmp_path, "s0.toml", 'extends = "lstm-cell"\nname = "s0"\n')
    for k in range(1, MAX_EXTENDS + 1):
        _write(tmp_path, f"s{k}.toml", f'extends = "s{k - 1}.toml"\nname = "s{k}"\n')
    assert load_spec(tmp_path / f"s{MAX_EXTENDS - 2}.toml").name == f"s{MAX_EXTENDS - 2}"
    with pytest.raises(SpecError, match=f"more than {MAX_EXTENDS} specs deep"):
        load_spec(tmp_path / f"s{MAX_EXTENDS}.toml")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_base_is_read_with_the_bounded_loader(tmp_path):
    os.mkfifo(tmp_path / "fifo.toml")
    _write(tmp_path, "mine.toml", 'extends = "fifo.toml"\nname = "x"\n')
    with pytest.raises(SpecError, match="FIFO"):
        load_spec(tmp_path / "mine.toml")
    with pytest.raises(SpecError, match="missing.toml"):
        loads_spec('extends = "missing.toml"\nname = "x"\n')


def test_cli_error_is_one_line_exit_2(tmp_path):
    path = _write(tmp_path, "mine.toml", 'extends = "lstm-peephole"\nname = "x"\n'
                                         'remove = ["h_tahn"]\n')
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "did you mean 'h_tanh'" in result.output
    assert "Traceback" not in result.output
