"""The built-in definitions: which exist, how they are titled and typeset, and how
``Cell.from_torch`` decides and refuses (numbers: test_builtin_torch/_sim/_variants)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lstmfigs import cells
from lstmfigs.cells import frameworks
from lstmfigs.errors import LstmfigsError

GREFF = ("lstm-nig", "lstm-nfg", "lstm-nog", "lstm-niaf", "lstm-noaf", "lstm-np", "lstm-cifg",
         "lstm-fgr")
BUILTINS = ("lstm", "gru", "rnn", "rnn-relu", "lstm-peephole") + GREFF
FOLDER = Path(cells.__file__).resolve().parent / "builtin"


def test_every_builtin_is_there() -> None:
    assert set(BUILTINS) <= set(cells.names())


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_is_titled_and_named_after_its_file(name: str) -> None:
    cell = cells.builtin(name)
    assert cell.name == name
    assert re.search(r"\(.*(19|20)\d\d", cell.title), "the title cites a paper with its year"
    assert cell.output == "h" and cell.inputs == ("x",)
    assert (FOLDER / f"{name}.toml").read_text(encoding="utf-8") == cell.source


@pytest.mark.parametrize("name", ("lstm-peephole",) + GREFF)
def test_lstm_variants_are_typeset_like_the_diagrams(name: str) -> None:
    """The panels of lstm-cell and the variants write C, \\tilde{C}, W_C, b_C."""
    cell = cells.builtin(name)
    assert cell.symbols == {"c": "C", "g": r"\tilde{C}", "W_g": "W_C", "b_g": "b_C"}


def test_the_gru_is_torchs() -> None:
    """r multiplies (W_hn h_prev + b_hn), after the product: torch.nn.GRU, not Cho et al."""
    cell = cells.builtin("gru")
    assert cell.equation("n").text.replace(" ", "").endswith("r*(W_hn@h_prev+b_hn))")
    assert cell.gates == ("r", "z")


def test_fgr_keeps_the_gates_as_states() -> None:
    cell = cells.builtin("lstm-fgr")
    assert set(cell.states) == {"c", "h", "i", "f", "o"}
    for gate in ("i", "f", "o"):
        assert set(cell.dependencies(gate)) >= {"u"}
    assert {"i_prev", "f_prev", "o_prev"} <= set(cell.dependencies("u"))


# -- which layout -------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in BUILTINS if n != "lstm-fgr"])
def test_mapped_builtins_have_a_layout(name: str) -> None:
    assert frameworks.layout_of(cells.builtin(name))[0] == name


def test_a_renamed_copy_keeps_the_layout_and_an_edited_one_loses_it() -> None:
    source = cells.builtin("gru").source
    renamed = cells.Cell.from_toml(source.replace('name = "gru"', 'name = "my-gru"'))
    assert frameworks.layout_of(renamed)[0] == "gru"
    spaced = cells.Cell.from_toml(source.replace('name = "gru"', 'name = "x"')
                                  .replace("r * (W_hn @ h_prev + b_hn)",
                                           "r*(( W_hn@h_prev ) + b_hn)"))
    assert frameworks.layout_of(spaced)[0] == "gru"
    # Cho et al.'s convention (z weighs the candidate) is another cell.
    edited = cells.Cell.from_toml(source.replace("(1 - z) * n + z * h_prev",
                                                 "(1 - z) * h_prev + z * n"))
    with pytest.raises(LstmfigsError, match="no PyTorch layout"):
        frameworks.layout_of(edited)


def test_fgr_has_no_layout() -> None:
    with pytest.raises(LstmfigsError, match="cell 'lstm-fgr': no PyTorch layout"):
        cells.builtin("lstm-fgr").from_torch({})


# -- refusals (before any model is made) -----------------------------------------------------


def _lstm_state_dict(hidden: int = 3, inputs: int = 2,
                     **extra: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    state = {"weight_ih_l0": rng.standard_normal((4 * hidden, inputs)),
             "weight_hh_l0": rng.standard_normal((4 * hidden, hidden)),
             "bias_ih_l0": rng.standard_normal(4 * hidden),
             "bias_hh_l0": rng.standard_normal(4 * hidden)}
    return {**state, **extra}


@pytest.mark.parametrize(("extra", "message"), [
    ({"weight_ih_l0_reverse": np.zeros((12, 2))}, "bidirectional"),
    ({"weight_hr_l0": np.zeros((2, 3))}, "proj_size"),
    ({"weight_ci_l0": np.ones(3)}, "peephole"),
    ({"something": np.ones(3)}, "unexpected key 'something'"),
])
def test_from_torch_refuses_what_the_definition_cannot_hold(
        extra: dict[str, np.ndarray], message: str) -> None:
    with pytest.raises(LstmfigsError, match=message):
        cells.builtin("lstm").from_torch(_lstm_state_dict(**extra))


def test_from_torch_refuses_weights_of_a_gate_the_variant_lacks() -> None:
    """A plain LSTM's state dict is not an NIG's: its i rows are not zero."""
    with pytest.raises(LstmfigsError, match=r"block 'i' \(rows 0:3\) is not zero.*lstm-nig"):
        cells.builtin("lstm-nig").from_torch(_lstm_state_dict(
            weight_cf_l0=np.ones(3), weight_co_l0=np.ones(3)))


@pytest.mark.parametrize(("state", "message"), [
    ({"weight_ih_l0": np.zeros((10, 2)), "weight_hh_l0": np.zeros((10, 2))},
     r"expected weight_ih \(4\*H, I\)"),
    ({"weight_hh_l0": np.zeros((12, 3))}, "missing key 'weight_ih_l0'"),
    # A GRU of 4 units: 12 rows would pass as an LSTM of 3, but weight_hh has 4 columns.
    ({"weight_ih_l0": np.zeros((12, 2)), "weight_hh_l0": np.zeros((12, 4))},
     r"got \(12, 2\) and \(12, 4\); weights of another module"),
    (42, "expected a mapping"),
    ("no-such-file.npz", "state_dict: weights file 'no-such-file.npz' does not exist"),
])
def test_from_torch_refuses_malformed_state_dicts(state: object, message: str) -> None:
    with pytest.raises(LstmfigsError, match=message):
        cells.builtin("lstm").from_torch(state)


def test_from_torch_refuses_mixed_dtypes_unless_asked_to_convert() -> None:
    state = _lstm_state_dict()
    state["bias_hh_l0"] = state["bias_hh_l0"].astype(np.float32)
    with pytest.raises(LstmfigsError, match=r"bias_hh_l0.*float64.*float32"):
        cells.builtin("lstm").from_torch(state)


def test_from_torch_refuses_a_missing_peephole() -> None:
    with pytest.raises(LstmfigsError, match="missing key 'weight_ci_l0'"):
        cells.builtin("lstm-peephole").from_torch(_lstm_state_dict())


def test_from_torch_refuses_options_it_would_ignore() -> None:
    with pytest.raises(LstmfigsError, match="unexpected option 'forget_bias'"):
        cells.builtin("lstm").from_torch(_lstm_state_dict(), forget_bias=1.0)
