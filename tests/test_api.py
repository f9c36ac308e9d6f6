"""The Python API other parts and users rely on."""

from __future__ import annotations

import pytest

import lstmfigs
from lstmfigs.checks import layout_problems


def test_names_themes_and_figure():
    assert "lstm-cell" in lstmfigs.names()
    assert lstmfigs.names("diagram")[0] == "lstm-cell" or "lstm-cell" in lstmfigs.names("diagram")
    assert lstmfigs.theme_names()[0] == "paper"
    fig = lstmfigs.figure("lstm-cell", theme="print", highlight="update")
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)


def test_unknown_option_is_a_clear_error():
    with pytest.raises(lstmfigs.UnknownNameError, match="has no option 'colour'"):
        lstmfigs.figure("lstm-cell", colour="red")


def test_unknown_names_suggest_the_nearest():
    with pytest.raises(lstmfigs.UnknownNameError, match="did you mean 'lstm-cell'"):
        lstmfigs.figure("lstm-cel")
    with pytest.raises(lstmfigs.UnknownNameError, match="did you mean 'paper'"):
        lstmfigs.figure("lstm-cell", theme="papr")


def test_draw_into_a_users_axes():
    import matplotlib.style
    from matplotlib.figure import Figure

    from lstmfigs.diagram.page import draw
    from lstmfigs.figures.diagrams import builtin_spec
    with matplotlib.style.context("lstmfigs.paper"):
        fig = Figure(figsize=(10, 4))  # the cell needs 3.2 in at 9 pt: half of 10 in
        left, right = fig.subplots(1, 2)
        right.set_axis_off()  # the other half of the user's figure
        artists = draw(builtin_spec("lstm-cell"), ax=left, highlight="output")
    assert artists.ax is left
    assert set(artists.nodes) >= {"f", "i", "g", "o"}
    # Nothing of the diagram is cut off or overlapping inside the user's figure.
    assert layout_problems(fig) == []


def test_spec_shows_itself_in_jupyter():
    from lstmfigs import _spec_mimebundle
    from lstmfigs.figures.diagrams import builtin_spec

    # (Registered with IPython by class name when lstmfigs is imported in a kernel; the
    # notebook test checks that a fresh notebook shows a spec.)
    bundle = _spec_mimebundle(builtin_spec("lstm-cell"))
    png = (bundle[0] if isinstance(bundle, tuple) else bundle)["image/png"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_spec_round_trips_through_plain_data_and_toml():
    from lstmfigs.diagram.spec import DiagramSpec
    from lstmfigs.diagram.tomlio import dumps_spec, loads_spec
    from lstmfigs.figures.diagrams import builtin_spec

    spec = builtin_spec("lstm-cell")
    assert DiagramSpec.from_dict(spec.to_dict()) == spec
    assert loads_spec(dumps_spec(spec)) == spec


def test_user_style_sheet_stacks_on_a_theme(tmp_path):
    sheet = tmp_path / "mine.mplstyle"
    sheet.write_text("font.size: 7\n")
    fig = lstmfigs.figure("lstm-cell", theme=f"ieee+{sheet}")
    assert fig.get_size_inches()[0] == pytest.approx(252 / 72.27)  # IEEEtran columnwidth
    assert {t.get_fontsize() for t in fig.lstmfigs_diagram.artists.texts()} == {7.0}
    # Larger text than the column can hold: the figure widens to what the cell needs.
    sheet.write_text("font.size: 12\n")
    wide = lstmfigs.figure("lstm-cell", theme=f"ieee+{sheet}")
    assert wide.get_size_inches()[0] > 252 / 72.27
