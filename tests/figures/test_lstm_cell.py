"""The headline figure: image baselines in every theme and highlight step, and its layout.

Baselines live in tests/baseline/lstm-cell-*.png (PNG at 100 dpi, RMS tolerance 0.3; see
conftest.py for why).  Regenerate only after looking at the difference:
    python -m pytest tests/figures/test_lstm_cell.py --mpl-generate-path=tests/baseline
"""

from __future__ import annotations

import pytest

import lstmfigs
from lstmfigs.checks import layout_problems
from tests.helpers import image_compare, reaches, theme_names

THEMES = theme_names()
STEPS = [None, "forget", "input", "update", "output"]


def _stem(theme: str, step: str | None, equations: bool = False) -> str:
    return "-".join(["lstm-cell", theme] + ([step] if step else []) + (["eq"] if equations else []))


@pytest.mark.parametrize("theme,step", [
    pytest.param(theme, step, marks=image_compare(f"{_stem(theme, step)}.png"),
                 id=_stem(theme, step))
    for theme in THEMES for step in STEPS
])
def test_lstm_cell_image(theme, step):
    return lstmfigs.figure("lstm-cell", theme=theme, highlight=step)


@pytest.mark.parametrize("theme,step", [
    pytest.param(theme, step, marks=image_compare(f"{_stem(theme, step, True)}.png"),
                 id=_stem(theme, step, True))
    for theme, step in [("paper", None), ("ieee", None), ("slides", None), ("slides", "update"),
                        ("print", "output")]
])
def test_lstm_cell_with_equations_image(theme, step):
    return lstmfigs.figure("lstm-cell", theme=theme, highlight=step, equations=True)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("panels", [(True, False), (False, False), (True, True)],
                         ids=["legend", "bare", "legend+equations"])
def test_lstm_cell_layout_is_clean(theme, step, panels):
    """No text over text or nodes or wires, nothing cut off, every wire port to port."""
    legend, equations = panels
    fig = lstmfigs.figure("lstm-cell", theme=theme, highlight=step, legend=legend,
                          equations=equations)
    assert layout_problems(fig) == []


def test_lstm_cell_is_complete_and_correct():
    """The structure the issue names: what feeds what, in the diagram as drawn (generated
    from the definition, then placed and routed, copy dots included)."""
    spec = lstmfigs.figure("lstm-cell").lstmfigs_diagram.layout.spec
    kinds = {n.id: n.kind for n in spec.nodes}

    def plumbing(node: str) -> bool:
        return kinds[node] in ("dot", "concat")

    def feeds(source: str, target: str) -> bool:
        return reaches(spec, source, target, through=plumbing)

    # C_{t-1} -> x(forget) -> +(input) -> C_t along the top.
    assert feeds("c_prev", "c_mul") and feeds("c_mul", "c") and feeds("c", "c_next")
    # h_{t-1} and x_t are concatenated, and the concatenation reaches all four gates.
    assert feeds("h_prev", "concat") and feeds("x", "concat")
    gates = ["f", "i", "g", "o"]
    assert all(feeds("concat", gate) for gate in gates)
    labels = {n.id: n.label for n in spec.nodes}
    assert [labels[g] for g in gates] == [r"$\sigma$", r"$\sigma$", r"$\tanh$", r"$\sigma$"]
    # Candidate times input gate, into the sum; tanh(C_t) times output gate gives h_t.
    assert feeds("i", "c_mul2") and feeds("g", "c_mul2") and feeds("c_mul2", "c")
    assert feeds("f", "c_mul")
    assert feeds("c", "h_tanh") and feeds("h_tanh", "h") and feeds("o", "h")
    assert feeds("h", "h_next") and feeds("h", "h_up")
    # Every gate output and state is labelled.
    texts = {label.text for label in spec.labels} | {n.label for n in spec.nodes}
    for symbol in ["$f_t$", "$i_t$", r"$\tilde{C}_t$", "$o_t$", "$C_{t-1}$", "$C_t$",
                   "$h_{t-1}$", "$h_t$", "$x_t$"]:
        assert symbol in texts


def test_highlight_dims_everything_outside_the_step():
    from matplotlib.colors import to_rgb

    full = lstmfigs.figure("lstm-cell").lstmfigs_diagram.artists
    forget = lstmfigs.figure("lstm-cell", highlight="forget").lstmfigs_diagram.artists
    # On the forget path: unchanged.  Off it (the output gate): dimmed.
    assert to_rgb(forget.nodes["f"].get_edgecolor()) == to_rgb(full.nodes["f"].get_edgecolor())
    assert to_rgb(forget.nodes["o"].get_edgecolor()) != to_rgb(full.nodes["o"].get_edgecolor())


def test_unknown_highlight_is_a_clear_error():
    with pytest.raises(lstmfigs.UnknownNameError, match="unknown highlight step 'nope'"):
        lstmfigs.figure("lstm-cell", highlight="nope")


def test_the_themes_module_is_not_shadowed_by_a_function():
    """``lstmfigs.themes`` is the module (a function of that name once hid it)."""
    import lstmfigs.themes

    assert lstmfigs.themes.theme_names() == lstmfigs.theme_names()
    assert "paper" in lstmfigs.theme_names()
