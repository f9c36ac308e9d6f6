"""The build path: one request, checked once, for the Python API and the command line."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from click.testing import CliRunner

import lstmfigs
from lstmfigs import catalog, themes
from lstmfigs.build import request
from lstmfigs.cli import main
from lstmfigs.diagram import tomlio
from lstmfigs.figures.diagrams import builtin_spec
from lstmfigs.options import DATA_OPTIONS, OPTIONS


def _render(*args: str):
    return CliRunner().invoke(main, ["render", *args])


def _one_line_error(result, text: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lstmfigs: error:"), result.output
    assert text in lines[0], lines[0]


# -- bug: --width 3.33 on lstm-chain silently became 5 in ---------------------------------

def test_an_explicit_width_below_a_diagrams_minimum_is_an_error(tmp_path):
    minimum = builtin_spec("lstm-chain").min_width
    assert minimum > 3.33
    with pytest.raises(lstmfigs.LstmfigsError,
                       match=f"at least {minimum:g} in; 3.33 in is too narrow"):
        lstmfigs.figure("lstm-chain", width=3.33)
    _one_line_error(_render("lstm-chain", "--width", "3.33", "-o", str(tmp_path / "o")),
                    f"'lstm-chain' needs a width of at least {minimum:g} in")
    assert not (tmp_path / "o").exists()


def test_a_wide_enough_width_is_kept_and_a_themes_own_width_still_widens():
    assert lstmfigs.figure("lstm-chain", width=5.5).get_size_inches()[0] == pytest.approx(5.5)
    # The ieee column (3.5 in) is the theme's width, not the user's: the chain widens.
    minimum = builtin_spec("lstm-chain").min_width
    assert minimum > 3.5
    fig = lstmfigs.figure("lstm-chain", theme="ieee")
    assert fig.get_size_inches()[0] == pytest.approx(minimum)


def test_a_cell_a_little_too_wide_for_a_column_is_drawn_at_a_smaller_unit():
    """The peephole LSTM in paper's 9 pt text needs 254.88 bp at 1.8 em a unit; asked for
    the IEEE column (252 TeX pt, 251.06 bp), it is drawn at a smaller unit (down to 1.5 em)
    and keeps the column's width exactly, rather than widening past it (an overfull box in
    LaTeX)."""
    from lstmfigs.diagram.panels import MIN_UNIT_EM

    fig = lstmfigs.figure("lstm-peephole", theme="paper", width="ieee-column")
    assert fig.get_size_inches()[0] == pytest.approx(252 / 72.27)
    diagram = fig.lstmfigs_diagram.layout
    unit_em = diagram.scale / diagram.metrics.em
    assert MIN_UNIT_EM <= unit_em < 1.8 - 1e-6, unit_em
    assert lstmfigs.checks.layout_problems(fig) == []


def test_the_minimum_is_that_of_the_spec_the_options_choose():
    """Two stacked layers over two steps are narrower than the default chain: 3.33 in is
    fine for them."""
    assert builtin_spec("lstm-chain", layers=2, steps=2).min_width < 3.33
    fig = lstmfigs.figure("lstm-chain", layers=2, steps=2, width=3.33)
    assert fig.get_size_inches()[0] == pytest.approx(3.33)


# -- one request, checked once ------------------------------------------------------------------

def _count_calls(monkeypatch, target, attribute: str, counts: Counter, key: str,
                 also=()) -> None:
    real = getattr(target, attribute)

    def counted(*args, **kwargs):
        counts[key] += 1
        return real(*args, **kwargs)

    for module in (target, *also):
        monkeypatch.setattr(module, attribute, counted)


def test_a_render_looks_up_the_catalog_and_resolves_the_theme_once(tmp_path, monkeypatch):
    from lstmfigs import build

    counts: Counter = Counter()
    _count_calls(monkeypatch, catalog, "get", counts, "catalog")
    _count_calls(monkeypatch, themes, "resolve_theme", counts, "theme", also=(build,))
    result = _render("lstm-cell", "--theme", "ieee", "--format", "pdf", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert counts == Counter(catalog=1, theme=1)


def test_a_storyboard_parses_its_spec_file_once(tmp_path, monkeypatch):
    spec = tmp_path / "gru.toml"
    spec.write_text(CliRunner().invoke(main, ["spec", "gru-cell"]).output)
    counts: Counter = Counter()
    _count_calls(monkeypatch, tomlio, "load_spec", counts, "parsed")
    result = _render(str(spec), "--storyboard", "--format", "pdf", "-o", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    pages = (tmp_path / "o" / "gru-cell-storyboard.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", pages)) == 5
    assert counts == Counter(parsed=1)


def test_api_and_cli_share_one_request():
    req = request("lstm-cell", "ieee", width="3.5in", highlight="forget")
    assert (req.entry.name, req.theme.name, req.width, req.options) == \
        ("lstm-cell", "ieee", 3.5, {"highlight": "forget"})
    assert req.spec is not None and "forget" in req.spec.steps
    with pytest.raises(lstmfigs.UnknownNameError, match="unknown highlight step 'nope'"):
        request("lstm-cell", highlight="nope")
    with pytest.raises(lstmfigs.UnknownNameError, match="has no option 'highlight'"):
        request("lstm-activity").with_options(highlight="forget")
    with pytest.raises(lstmfigs.UnknownNameError, match="'lstm-chain' .steps: none"):
        request("lstm-chain", highlight="forget")


def test_a_spec_object_renders_like_its_file(tmp_path):
    from lstmfigs.figures.diagrams import builtin_spec

    spec = builtin_spec("rnn-cell")
    path = tmp_path / "rnn-cell.toml"
    path.write_text(tomlio.dumps_spec(spec))
    by_object = lstmfigs.figure(spec, "print").get_size_inches()
    by_file = lstmfigs.figure(path, "print").get_size_inches()
    by_name = lstmfigs.figure("rnn-cell", "print").get_size_inches()
    assert list(by_object) == list(by_file) == list(by_name)


def test_dpi_belongs_to_the_file_not_the_figure():
    with pytest.raises(lstmfigs.LstmfigsError, match="lstmfigs.save"):
        lstmfigs.figure("lstm-cell", dpi=300)


# -- options in one place ----------------------------------------------------------------------

def test_every_figures_options_are_in_the_option_table():
    for entry in catalog.entries():
        assert set(entry.options) - {"width"} <= set(OPTIONS), entry.name
    assert lstmfigs.DATA_OPTIONS == DATA_OPTIONS == ("weights", "inputs", "runs", "cell", "train")


def test_the_command_line_offers_every_option_of_the_table():
    result = CliRunner().invoke(main, ["render", "--help"])
    for option in OPTIONS.values():
        if option.cli_flag is not None:
            assert option.cli_flag in result.output, option.name


def test_a_catalog_entry_with_an_undeclared_option_is_refused():
    with pytest.raises(ValueError, match="colour"):
        catalog.register(catalog.FigureEntry(name="x-test", kind="diagram", summary="",
                                             target="m:f", options=("colour",)))


@pytest.mark.parametrize("value,message", [(True, "must be int"), (2.5, "must be int"),
                                           (9, "must be 1 to 4")])
def test_option_types_and_bounds_come_from_the_table(value, message):
    with pytest.raises(lstmfigs.LstmfigsError, match=message):
        lstmfigs.figure("lstm-chain", layers=value)


def test_spec_prints_the_stacked_chain():
    result = CliRunner().invoke(main, ["spec", "lstm-chain", "--layers", "2"])
    assert result.exit_code == 0, result.output
    spec = tomlio.loads_spec(result.output, source="printed")
    assert spec.name == "lstm-chain-2layers"
    assert spec == builtin_spec("lstm-chain", layers=2)


# -- bug: lstm-activity was listed as a diagram but had no storyboard --------------------------

def test_lstm_activity_storyboard_is_its_time_steps(tmp_path):
    result = _render("lstm-activity", "--storyboard", "--format", "pdf,png", "--dpi", "30",
                     "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    pages = (tmp_path / "lstm-activity-storyboard.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", pages)) == 12  # the default run's steps
    frames = sorted(p.name for p in tmp_path.glob("lstm-activity-*.png"))
    assert frames[0] == "lstm-activity-01-t001.png" and frames[-1] == "lstm-activity-12-t012.png"


def test_lstm_activity_numbers_are_its_data(tmp_path):
    numbers = lstmfigs.data("lstm-activity")
    assert set(numbers) == {"f", "i", "g", "o", "c", "h"}
    assert all(values.shape == (12,) for values in numbers.values())
    result = _render("lstm-activity", "--data", "--format", "png", "--dpi", "30",
                     "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "lstm-activity.npz") as written:
        assert all(np.array_equal(written[k], numbers[k]) for k in numbers)


# -- a data figure's numbers, once --------------------------------------------------------------

def test_a_data_figures_numbers_are_computed_once_for_figure_summary_and_data(
        tmp_path, monkeypatch):
    from lstmfigs.datafigs import measure

    counts: Counter = Counter()
    _count_calls(monkeypatch, measure, "lag_accuracy_data", counts, "computed")
    result = _render("lag-accuracy", "--data", "--format", "pdf,png", "--dpi", "30",
                     "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert counts == Counter(computed=1)
    with np.load(tmp_path / "lag-accuracy.npz") as written:
        expected = lstmfigs.data("lag-accuracy")
        assert set(written) == set(expected)
        assert all(np.array_equal(written[k], expected[k]) for k in expected)


# -- bug: --legend on a diagram without a notation legend was silently ignored ----------------

def test_a_panel_asked_for_on_a_diagram_without_one_is_an_error(tmp_path):
    with pytest.raises(lstmfigs.LstmfigsError, match="has no notation legend to show"):
        lstmfigs.figure("lstm-chain", layers=2, legend=True)
    result = CliRunner().invoke(main, ["render", "lstm-chain", "--layers", "2", "--legend",
                                       "-o", str(tmp_path)])
    assert result.exit_code == 2 and "has no notation legend" in result.output
    assert list(tmp_path.iterdir()) == []
    lstmfigs.figure("lstm-chain", layers=2, equations=True)  # it has equations
