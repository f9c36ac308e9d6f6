"""The variant diagrams: images, layout in every theme, and graph == equations.

Images are compared with pytest-mpl (``image_compare``, RMS tolerance 0.3): every variant in
``paper``, a few in ``slides`` and ``print``.  Layout checks run on every variant in every
theme, and on every highlight step in ``paper`` (a highlight only recolours:
``test_highlight_keeps_geometry`` proves the geometry is the same, so the other themes'
steps would add nothing but time).
"""

from __future__ import annotations

import re

import pytest

import lstmfigs
from lstmfigs.checks import layout_problems
from lstmfigs.figures.diagrams import builtin_names, builtin_spec
from tests.helpers import image_compare, theme_names

#: (figure name, options) of every variant diagram; lstm-cell has its own tests.
VARIANTS: list[tuple[str, dict]] = [
    (name, {}) for name in lstmfigs.names("diagram") if name not in ("lstm-cell", "lstm-activity")
] + [("lstm-chain", {"layers": 2, "equations": False})]  # its baseline is from before it
# had equations (test_chain_image has them)


def _id(name: str, options: dict) -> str:
    return name + ("-stacked" if options.get("layers") == 2 else "")


def _figure(name: str, theme: str, options: dict, **extra):
    return lstmfigs.figure(name, theme=theme, **{"equations": True, **options, **extra})


IMAGES = ([(name, options, "paper") for name, options in VARIANTS]
          + [(name, {}, "slides") for name in ("gru-cell", "lstm-peephole", "lstm-chain")]
          + [(name, {}, "print") for name in ("gru-cell", "lstm-cifg", "lstm-fgr")])


@pytest.mark.parametrize("name,options,theme", [
    pytest.param(name, options, theme, id=f"{_id(name, options)}-{theme}",
                 marks=image_compare(f"variant-{_id(name, options)}-{theme}.png"))
    for name, options, theme in IMAGES])
def test_variant_image(name, options, theme):
    return _figure(name, theme, options)


@pytest.mark.parametrize("name,options,theme", [
    pytest.param(n, o, theme, id=f"{_id(n, o)}-{theme}")
    for n, o in [*VARIANTS, ("lstm-activity", {})] for theme in theme_names()])
def test_layout_in_every_theme(name, options, theme):
    extra = {} if name == "lstm-activity" else {"equations": True}
    fig = lstmfigs.figure(name, theme=theme, **{**options, **extra})
    assert layout_problems(fig) == []


STEPPED = [(name, step) for name, _ in VARIANTS if not _
           for step in builtin_spec(name).steps]


@pytest.mark.parametrize("name,step", STEPPED, ids=[f"{n}-{s}" for n, s in STEPPED])
def test_layout_of_every_step(name, step):
    assert layout_problems(_figure(name, "paper", {}, highlight=step)) == []


@pytest.mark.parametrize("theme", ["ieee", "slides"])
def test_highlight_keeps_geometry(theme):
    plain = _figure("lstm-peephole", theme, {})
    lit = _figure("lstm-peephole", theme, {}, highlight="input")
    assert plain.lstmfigs_diagram.layout == lit.lstmfigs_diagram.layout
    assert plain.get_size_inches().tolist() == lit.get_size_inches().tolist()


def test_every_variant_is_in_the_catalog():
    assert {"rnn-cell", "gru-cell", "lstm-peephole", "lstm-cifg", "lstm-nig", "lstm-nfg",
            "lstm-nog", "lstm-niaf", "lstm-noaf", "lstm-np", "lstm-fgr", "lstm-chain",
            "lstm-activity"} <= set(lstmfigs.names("diagram"))


# -- the graph is the equations ------------------------------------------------------------------
# Each equation "lhs = rhs" names states and gates.  Walking the wires backwards from the
# node that produces lhs, through pointwise operations, copy points and concatenations,
# must reach exactly the nodes that produce the symbols on its right-hand side.

SYMBOLS: dict[str, tuple[str, ...]] = {  # symbol -> nodes that may produce it, first found
    r"\tilde{C}_t": ("candidate",),
    "C_{t-1}": ("c_prev", "cell_prev"),
    "h_{t-1}": ("h_prev", "cell_prev"),
    "C_t": ("cell_add",),
    "h_t": ("hidden_branch",),
    "x_t": ("x_in",),
    "f_t": ("forget_gate", "one_minus"),
    "i_t": ("input_gate",),
    "o_t": ("output_gate",),
    "r_t": ("reset_gate",),
    "z_t": ("update_gate",),
    "n_t": ("candidate",),
    "i_{t-1}": ("gates_prev",),
    "f_{t-1}": ("gates_prev",),
    "o_{t-1}": ("gates_prev",),
}
_TOKEN = re.compile("|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
                    + r"|\bu_t\b")


def test_stacked_chain_structure():
    spec = builtin_spec("lstm-chain", layers=2)
    edges = set(spec.edges())
    for k in range(3):
        assert (f"cell_1_{k}", f"cell_2_{k}") in edges  # h of layer 1 is layer 2's input
        assert (f"x_{k}", f"cell_1_{k}") in edges
    for layer in (1, 2):
        wires = [(w.source, w.target) for w in spec.wires]
        for k in range(2):
            assert (f"cell_{layer}_{k}.c_out", f"cell_{layer}_{k + 1}.c_in") in wires
            assert (f"cell_{layer}_{k}.h_out", f"cell_{layer}_{k + 1}.h_in") in wires


# -- a SpecEdit with a typo is an error, never silently a different diagram -----------------------

@pytest.mark.parametrize("typo,where", [
    ({"remove": ("h_tanx",)}, "remove"),                          # was a KeyError
    ({"change": {"h_tanx": {"label": "x"}}}, "change"),            # was silently ignored
    ({"change": {"c_prev-c_mull": {"role": "input"}}}, "change"),
    ({"drop_steps": ("forgett",)}, "drop_steps"),                  # was silently ignored
    ({"change": {"h_tanh": {"lable": "x"}}}, "change"),           # a misspelt field
    ({"spec_fields": {"min_widht": 4.0}}, "min_widht"),
])
def test_spec_edit_typos_are_spec_errors(typo, where):
    from lstmfigs.diagram.edit import SpecEdit, apply_edit
    from lstmfigs.errors import SpecError

    edit = SpecEdit(name="typo", base="lstm-cell", title="t", description="d", **typo)
    with pytest.raises(SpecError) as caught:
        apply_edit(builtin_spec("lstm-cell"), edit)
    assert where in str(caught.value) and "typo" in str(caught.value)


def test_spec_edit_error_suggests_the_name():
    from lstmfigs.diagram.edit import SpecEdit, apply_edit
    from lstmfigs.errors import SpecError

    edit = SpecEdit(name="typo", base="lstm-cell", title="t", description="d",
                    remove=("h_tanx",))
    with pytest.raises(SpecError, match="did you mean 'h_tanh'"):
        apply_edit(builtin_spec("lstm-cell"), edit)


# -- the generated chain: layers 1-4, steps 2-5 ------------------------------------------

CHAINS = [(layers, steps) for layers in (1, 2, 3, 4) for steps in (2, 3, 4, 5)]


@pytest.mark.parametrize("layers,steps", CHAINS)
def test_chain_spec_is_a_valid_toml_spec(layers, steps):
    from lstmfigs.diagram.tomlio import dumps_spec, loads_spec
    from lstmfigs.figures.chain import chain_name

    spec = builtin_spec("lstm-chain", layers=layers, steps=steps)
    assert spec.name == chain_name(layers, steps)
    assert loads_spec(dumps_spec(spec), source="printed") == spec
    edges = set(spec.edges())
    wires = {(w.source, w.target) for w in spec.wires}
    for k in range(steps):
        assert (f"x_{k}", "cell_1_" + str(k)) in edges
        for layer in range(1, layers):  # h of layer l is the input of layer l + 1
            assert (f"cell_{layer}_{k}", f"cell_{layer + 1}_{k}") in edges
        assert (f"cell_{layers}_{k}", f"h_top_{k}") in edges
    for layer in range(1, layers + 1):
        for k in range(steps - 1):
            assert (f"cell_{layer}_{k}.c_out", f"cell_{layer}_{k + 1}.c_in") in wires
            assert (f"cell_{layer}_{k}.h_out", f"cell_{layer}_{k + 1}.h_in") in wires
    assert spec.equations
    # Only the grid is pinned: the inputs below it are placed, every wire routed.
    assert all(n.at is None for n in spec.nodes if n.id.startswith("x_"))
    assert all(n.at is not None for n in spec.nodes if n.kind == "block")


def test_chain_defaults_are_the_old_chains():
    assert builtin_spec("lstm-chain", layers=1, steps=3) == builtin_spec("lstm-chain")
    assert builtin_spec("lstm-chain", layers=2).name == "lstm-chain-2layers"


@pytest.mark.parametrize("options", [{"layers": 0}, {"layers": 5}, {"layers": True},
                                     {"layers": 2.0}, {"steps": 1}, {"steps": 6},
                                     {"steps": "3"}])
def test_chain_options_out_of_range_are_errors(options):
    with pytest.raises(lstmfigs.LstmfigsError, match="(layers|steps) must be"):
        lstmfigs.figure("lstm-chain", **options)


def test_only_the_chain_takes_layers_and_steps():
    with pytest.raises(lstmfigs.LstmfigsError, match="no option"):
        lstmfigs.figure("lstm-cell", layers=2)
    with pytest.raises(lstmfigs.LstmfigsError, match="no option 'steps'"):
        builtin_spec("gru-cell", steps=4)


@pytest.mark.parametrize("theme", ["paper", "ieee"])
@pytest.mark.parametrize("layers,steps", CHAINS)
def test_chain_layout_in_column_themes(layers, steps, theme):
    fig = lstmfigs.figure("lstm-chain", theme=theme, layers=layers, steps=steps, equations=True)
    assert layout_problems(fig) == []


@pytest.mark.parametrize("layers,steps", CHAINS)
def test_chain_on_a_slide_fits_or_says_so(layers, steps):
    """A slide cannot widen: a chain that would be illegible on it is an error, never
    an illegible figure; the common ones fit."""
    try:
        fig = lstmfigs.figure("lstm-chain", theme="slides", layers=layers, steps=steps,
                              equations=True)
    except lstmfigs.LstmfigsError as exc:
        assert re.search(r"needs a (width|height) of at least \d", str(exc)), str(exc)
        assert (layers, steps) not in {(1, 2), (1, 3), (1, 4), (2, 2), (2, 3), (2, 4),
                                       (3, 2), (3, 3)}
    else:
        assert layout_problems(fig) == []


CHAIN_IMAGES = [({"layers": 3, "steps": 4}, "paper"), ({"steps": 5}, "ieee")]


@pytest.mark.parametrize("options,theme", [
    pytest.param(options, theme, id=f"{name}-{theme}",
                 marks=image_compare(f"variant-{name}-{theme}.png"))
    for options, theme in CHAIN_IMAGES
    for name in [builtin_spec("lstm-chain", **options).name]])
def test_chain_image(options, theme):
    return lstmfigs.figure("lstm-chain", theme=theme, equations=True, **options)


# -- one registry --------------------------------------------------------------------------

def test_every_builtin_spec_is_a_catalog_entry_described_by_its_spec():
    from lstmfigs import catalog

    for name in builtin_names():
        entry, spec = catalog.get(name), builtin_spec(name)
        assert entry.kind == "diagram"
        assert entry.summary == spec.title  # the title is declared once, in the spec
        assert entry.animated == bool(spec.steps)
    spec_diagrams = {e.name for e in catalog.entries()
                     if e.target == "lstmfigs.figures.diagrams:builtin_figure"}
    assert spec_diagrams == set(builtin_names())


def test_builders_are_functions_in_the_source():
    import inspect

    from lstmfigs import catalog
    from lstmfigs.figures import diagrams

    assert not hasattr(diagrams, "__getattr__") and not hasattr(diagrams, "rnn_cell")
    for name in builtin_names():
        module_name, _, function = catalog.get(name).target.partition(":")
        builder = getattr(__import__(module_name, fromlist=[function]), function)
        assert inspect.isfunction(builder) and inspect.getsourcefile(builder)
