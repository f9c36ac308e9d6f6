"""Themes as tables: styles/NAME.toml is the only source of looks; the sheets made from them
are current and self-contained; roles take their looks from the table by name."""

from __future__ import annotations

import inspect
import io
import math
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import matplotlib.style
import numpy as np
import pytest
from cycler import cycler
from matplotlib.colors import to_rgb

import lstmfigs
from lstmfigs.errors import LstmfigsError
from lstmfigs.roles import ALL_ROLES, ROLE_ALIASES, ROLES
from lstmfigs.themes import (
    active_theme,
    new_figure,
    resolve_theme,
    role_style,
    sheet_text,
    table_names,
    theme_context,
)
from tests.helpers import ROOT, theme_names

THEMES = theme_names()


# -- the tables and the sheets generated from them -----------------------------------------

@pytest.mark.parametrize("name", table_names())
def test_every_sheet_is_what_its_table_says(name):
    """Run ``python tools/make_styles.py`` after editing a table."""
    sheet = (ROOT / "styles" / f"{name}.mplstyle").read_text(encoding="utf-8")
    assert sheet == sheet_text(name), f"styles/{name}.mplstyle is stale: run tools/make_styles.py"


def test_the_generator_finds_a_stale_sheet(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_styles
    finally:
        sys.path.remove(str(ROOT / "tools"))
    monkeypatch.setattr(make_styles, "STYLES", tmp_path)
    for name in table_names():
        (tmp_path / f"{name}.mplstyle").write_text(sheet_text(name), encoding="utf-8")
    assert make_styles.main(["--check"]) == 0
    (tmp_path / "ieee.mplstyle").write_text(sheet_text("ieee").replace("600", "601"))
    assert make_styles.main(["--check"]) == 1
    assert make_styles.main([]) == 0  # rewrites it
    assert (tmp_path / "ieee.mplstyle").read_text() == sheet_text("ieee")


@pytest.mark.parametrize("name", table_names())
def test_built_in_tables_pass_the_checks_a_users_table_gets(name):
    from lstmfigs.themes import _builtin_table, check_table_values

    check_table_values(_builtin_table(name), name)


def test_only_the_tables_hold_looks():
    """No theme colour is spelt out in the code (themes.py, the tables' reader, shows the
    format in its documentation): every look comes from styles/."""
    import re

    colours = set()
    for path in (ROOT / "styles").glob("*.toml"):
        colours |= {c.upper() for c in re.findall(r"#([0-9A-Fa-f]{6})", path.read_text())}
    colours -= {"000000", "FFFFFF"}  # black and white are no theme's own
    assert len(colours) > 20
    for path in (ROOT / "lstmfigs").rglob("*.py"):
        if path.name == "themes.py":
            continue
        text = path.read_text(encoding="utf-8").upper()
        assert not [c for c in colours if c in text], path


# -- each sheet alone is the whole theme --------------------------------------------------------

def _user_plot() -> tuple[plt.Figure, plt.Axes]:
    fig, ax = plt.subplots()
    t = np.linspace(0, 10, 200)
    for k in range(3):
        ax.plot(t, 1000 * np.sin(t + k), label=f"unit {k}")
    ax.set_xlabel("time step $t$")
    ax.set_ylabel("hidden state $h_t$ (a.u.)")
    ax.legend()
    return fig, ax


def _inside_figure(fig, ax) -> bool:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    label = ax.yaxis.label.get_window_extent(renderer)
    whole = ax.get_tightbbox(renderer)
    return (label.x0 >= 0 and whole.x0 >= 0 and whole.y0 >= 0
            and whole.x1 <= fig.bbox.x1 and whole.y1 <= fig.bbox.y1)


@pytest.mark.parametrize("theme", THEMES)
def test_a_users_plot_under_the_sheet_alone_is_camera_ready(theme):
    """plt.style.use("lstmfigs.THEME") on matplotlib's defaults, nothing else: TrueType fonts
    in the PDF (no Type 3), the theme's font and size, and the y label inside the figure."""
    with mpl.rc_context():
        mpl.rcdefaults()
        plt.style.use(f"lstmfigs.{theme}")
        fig, ax = _user_plot()
        try:
            assert _inside_figure(fig, ax)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="pdf")
        finally:
            plt.close(fig)
        expected = resolve_theme(theme)
        assert list(fig.get_size_inches()) == pytest.approx(expected.params["figure.figsize"])
        assert ax.yaxis.label.get_fontsize() == pytest.approx(
            mpl.font_manager.FontProperties(size=expected.params["axes.labelsize"])
            .get_size_in_points())
    pdf = buffer.getvalue()
    assert b"/Type3" not in pdf
    assert b"/FontFile2" in pdf  # embedded TrueType
    assert b"DejaVuSans" not in pdf or "DejaVu Sans" in str(expected.params.get("font.sans-serif"))


def test_without_constrained_layout_a_users_label_is_clipped():
    """The check above can fail: the same plot in the ieee column without the layout engine
    puts its y label outside the figure."""
    with mpl.rc_context():
        mpl.rcdefaults()
        plt.style.use("lstmfigs.ieee")
        mpl.rcParams["figure.constrained_layout.use"] = False
        fig, ax = _user_plot()
        try:
            assert not _inside_figure(fig, ax)
        finally:
            plt.close(fig)


def test_lstmfigs_own_figures_keep_their_own_layout():
    """The sheets turn constrained layout on for users; a diagram places its axes itself,
    also in the second and later formats it is saved in (matplotlib puts the engine back
    after each save, from the theme's rcParams if the figure had none)."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    fig = lstmfigs.figure("lstm-cell", theme="ieee")
    boxes = [ax.get_position().bounds for ax in fig.axes]
    for fmt in ("pdf", "png", "svg"):
        fig.savefig(io.BytesIO(), format=fmt)
        assert not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine), fmt
        assert [ax.get_position().bounds for ax in fig.axes] == boxes, fmt
    with theme_context("paper"):
        assert mpl.rcParams["figure.constrained_layout.use"] is True
        assert not isinstance(new_figure().get_layout_engine(), ConstrainedLayoutEngine)


def test_the_colour_cycle_is_the_roles_in_order():
    for theme in THEMES:
        with theme_context(theme):
            cycle = list(mpl.rcParams["axes.prop_cycle"])
            assert len(cycle) == len(ROLES)
            for entry, role in zip(cycle, ROLES, strict=True):
                style = role_style(role)
                assert to_rgb(entry["color"]) == to_rgb(style.color)
                assert entry["linestyle"] == style.linestyle
                assert entry["linewidth"] == style.linewidth


# -- roles read the table ---------------------------------------------------------------------

def test_role_style_reads_the_table_not_the_cycle():
    with theme_context("print"):
        before = {role: role_style(role) for role in ALL_ROLES}
        mpl.rcParams["axes.prop_cycle"] = cycler(color=["red"])
        assert {role: role_style(role) for role in ALL_ROLES} == before
    assert before["output_gate"].linestyle == (0, (6, 2, 1, 2, 1, 2))
    assert before["forget_gate"].linestyle == "--"


def test_aliases_take_their_roles_look_and_unknown_roles_are_errors():
    with theme_context("paper"):
        for alias, role in ROLE_ALIASES.items():
            assert role_style(alias) == role_style(role)
        with pytest.raises(LstmfigsError, match="unknown role 'forgot_gate'.*forget_gate"):
            role_style("forgot_gate")


def test_the_active_theme_is_the_innermost_context_and_paper_outside():
    with matplotlib.style.context("default"):
        assert active_theme().name == "paper"
    with theme_context("slides-dark"):
        dark = role_style("input")
        with theme_context("print"):
            assert role_style("input").color == "#000000"
        assert role_style("input") == dark
    assert role_style("input").color == "#000000"
    assert dark.color == "#F2F2F2"


def test_outside_a_context_the_sheet_in_use_is_recognised():
    """A user's own Axes under a sheet (plt.style.use) get that theme's roles; under any
    other style, the default theme's."""
    for theme in THEMES:
        with matplotlib.style.context(f"lstmfigs.{theme}"):
            assert active_theme().roles == resolve_theme(theme).roles
    with matplotlib.style.context("lstmfigs.slides-dark"):
        assert role_style("input").color == "#F2F2F2"
    with matplotlib.style.context("ggplot"):
        assert active_theme().roles == resolve_theme("paper").roles


def test_a_table_that_extends_changes_only_what_it_names():
    paper, ieee, dark = (resolve_theme(n) for n in ("paper", "ieee", "slides-dark"))
    for role in ROLES:
        assert ieee.role(role).color == paper.role(role).color
        assert ieee.role(role).linewidth < paper.role(role).linewidth
        assert dark.role(role).linewidth == resolve_theme("slides").role(role).linewidth
    assert ieee.params["pdf.fonttype"] == 42 and ieee.venue == "ieee-column"


def test_a_stacked_theme_keeps_the_venue_of_its_size():
    """ieee+print: the ieee column's width with print's looks (the venue was paper's before)."""
    stacked = resolve_theme("ieee+print")
    assert stacked.venue == "ieee-column"
    assert stacked.params["figure.figsize"] == resolve_theme("ieee").params["figure.figsize"]
    assert stacked.role("forget_gate") == resolve_theme("print").role("forget_gate")


# -- a user's own table -----------------------------------------------------------------------

def test_a_users_table_restyles_one_role(tmp_path):
    table = tmp_path / "mine.toml"
    table.write_text('[theme]\nextends = "ieee"\n\n[roles]\n'
                     'forget_gate = { color = "#009E73", linestyle = [0, [4, 2]] }\n')
    with theme_context(str(table)) as theme:
        style = role_style("reset_gate")
        assert style.color == "#009E73" and style.linestyle == (0, (4, 2))
        assert style.linewidth == resolve_theme("ieee").role("forget_gate").linewidth
        assert theme.venue == "ieee-column"
    fig = lstmfigs.figure("lstm-cell", theme=str(table))
    assert fig.get_size_inches()[0] == pytest.approx(252 / 72.27)


@pytest.mark.parametrize("text,words", [
    ("[roles]\nforgot_gate = { color = 'red' }\n", "unknown role 'forgot_gate'"),
    ("[roles]\ninput = { colour = 'red' }\n", "unknown field of role 'input' 'colour'"),
    ("[roles]\ninput = { color = 'nope' }\n", "not a colour"),
    ("[roles]\ninput = { linewidth = 1e9 }\n", "line width"),
    ("[roles]\ninput = { linewidth = nan }\n", "line width"),
    ("[roles]\ninput = { linestyle = 'wavy' }\n", "linestyle"),
    ("[roles]\ninput = { linestyle = [0, []] }\n", "linestyle"),
    ("[role]\n", "unknown section 'role'"),
    ("[theme]\nextends = 'papr'\n", "extends unknown theme 'papr'"),
    ("[theme]\npage = 'wobbly'\n", "page"),
    ("[theme]\ndiverging-cmap = 'nope'\n", "colour map"),
    ("[size]\nwidth = 'ieee-colum'\nheight = 3\n", "[size]: cannot read width"),
    ("[size]\nwidth = 3\n", "either a height"),
    ("[size]\nwidth = 3\nheight = 2\nratio = 1\n", "either a height"),
    ("[size]\nwidth = 3\nratio = 0\n", "ratio"),
    ("[size]\nwidth = 3\nheight = -1\n", "height"),
    ("[region]\nfill = 'nope'\n", "not a colour"),
    ("[rc]\n'font.colour' = 'red'\n", "font.colour"),
    ("[rc]\n'axes.prop_cycle' = 'x'\n", "[roles]"),
    ("[rc]\n'font.size' = 'big'\n", "bad value"),
    ("[rc\n", "not a TOML table"),
])
def test_bad_user_tables_are_one_clear_error(tmp_path, text, words):
    table = tmp_path / "mine.toml"
    table.write_text(text)
    with pytest.raises(LstmfigsError) as error:
        resolve_theme(str(table))
    assert words in str(error.value) and str(table) in str(error.value)


def test_a_users_sheet_says_how_to_extend_a_theme(tmp_path):
    sheet = tmp_path / "mine.mplstyle"
    sheet.write_text("# lstmfigs-extends: ieee\nfont.size: 9\n")
    with pytest.raises(LstmfigsError, match=r"'ieee\+mine.mplstyle'.*extends = \"ieee\""):
        resolve_theme(str(sheet))
    sheet.write_text("font.size: 9\n")
    assert resolve_theme(f"ieee+{sheet}").params["font.size"] == 9.0


def test_a_users_sheet_cannot_style_roles_through_the_cycle(tmp_path):
    sheet = tmp_path / "mine.mplstyle"
    sheet.write_text("axes.prop_cycle: cycler(color=['r', 'g'])\n")
    with pytest.raises(LstmfigsError, match=r"mine.mplstyle', line 1: axes.prop_cycle .*\[roles\]"):
        resolve_theme(str(sheet))


# -- palettes ---------------------------------------------------------------------------------

def _lightness(colour) -> float:
    """CIE L* (0 black to 100 white): what a grayscale printout keeps of a colour."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in to_rgb(colour))
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else y * 24389 / 27


def test_print_roles_are_told_apart_in_grayscale():
    """Any two roles of the print theme differ in line style, in line width (by 0.3 pt or
    more) or in lightness (by 20 L* or more): no pair depends on hue."""
    theme = resolve_theme("print")
    for i, first in enumerate(ROLES):
        for second in ROLES[i + 1:]:
            a, b = theme.role(first), theme.role(second)
            assert (a.linestyle != b.linestyle or abs(a.linewidth - b.linewidth) >= 0.3 - 1e-9
                    or abs(_lightness(a.color) - _lightness(b.color)) >= 20), (first, second)
    assert theme.setting("diverging-cmap", "") == "cividis"


@pytest.mark.parametrize("theme", [t for t in THEMES if t not in ("print", "slides-dark")])
def test_light_themes_use_okabe_ito_and_grey(theme):
    okabe_ito = {tuple(c) for c in mpl.color_sequences["okabe_ito"]}
    for role in ROLES:
        rgb = to_rgb(resolve_theme(theme).role(role).color)
        assert rgb in okabe_ito or len(set(rgb)) == 1, (theme, role, rgb)


# -- sizes and the context --------------------------------------------------------------------

def test_theme_context_takes_only_a_theme_and_a_width():
    assert list(inspect.signature(theme_context).parameters) == ["theme", "width"]


@pytest.mark.parametrize("theme", THEMES)
def test_a_venue_theme_is_exactly_the_venue_wide(theme):
    from lstmfigs.sizes import venue_width

    resolved = resolve_theme(theme)
    if resolved.venue is not None:
        assert resolved.params["figure.figsize"][0] == venue_width(resolved.venue)


def test_figsize_is_pure_and_divides_the_width_into_panels():
    from lstmfigs.sizes import GOLDEN_RATIO, figsize

    width, height = figsize("ieee-column")
    assert width == pytest.approx(252 / 72.27) and height == pytest.approx(width * GOLDEN_RATIO)
    assert figsize("345pt", nrows=2, ncols=3, ratio=0.5) == pytest.approx(
        (345 / 72.27, 2 * 0.5 * 345 / 72.27 / 3))
    assert figsize(4.0, ratio=1.0) == (4.0, 4.0)
    for bad in ({"nrows": 0}, {"ncols": 1.5}, {"ratio": -1}, {"ratio": math.nan}):
        with pytest.raises(LstmfigsError):
            figsize(4.0, **bad)


def test_the_readme_table_example_is_a_theme(tmp_path):
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"### Theme tables.*?```toml\n(.*?)```", readme, re.DOTALL).group(1)
    table = tmp_path / "example.toml"
    table.write_text(example)
    theme, ieee = resolve_theme(str(table)), resolve_theme("ieee")
    assert theme.venue == "ieee-column" and theme.params["figure.figsize"] == \
        ieee.params["figure.figsize"]
    assert theme.role("cell_state") == ieee.role("cell_state")
    assert theme.params["font.size"] == 8 and theme.params["patch.linewidth"] == 0.6


def test_a_figure_with_its_theme_still_pickles():
    import pickle

    fig = lstmfigs.figure("rnn-cell", theme="print")
    assert pickle.loads(pickle.dumps(fig)).theme == fig.theme
