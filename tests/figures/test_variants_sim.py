"""Spec and simulator agree on each variant's structure.

The structure is read from the spec's *graph* (which gates exist, where peepholes go,
whether f is 1 - i, which activations are drawn) and turned into simulator flags; the
simulator is then run with those flags and must behave as the drawing says: a missing
gate is 1, a coupled forget gate is 1 - i, a gate sees the old cell state exactly when a
wire carries it there, h = o * tanh(C) or its variant.  Greff et al.'s named variants must
also map to the simulator's own table of them.  FGR (full gate recurrence) has no
simulator flag yet and is skipped, as is any flag the simulator does not offer.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from lstmfigs.figures.diagrams import builtin_spec
from tests.helpers import reaches

sim = pytest.importorskip("lstmfigs.sim")

LSTM_SPECS = ["lstm-cell", "lstm-peephole", "lstm-cifg", "lstm-nig", "lstm-nfg", "lstm-nog",
              "lstm-niaf", "lstm-noaf", "lstm-np", "lstm-fgr"]
GREFF_CODES = {"lstm-peephole": "V", "lstm-nig": "NIG", "lstm-nfg": "NFG", "lstm-nog": "NOG",
               "lstm-niaf": "NIAF", "lstm-noaf": "NOAF", "lstm-np": "NP", "lstm-cifg": "CIFG"}


def structure(spec) -> dict[str, bool]:
    """The simulator flags the drawing of an LSTM variant stands for (the generated ids:
    layers and the operations computing a quantity are named after it)."""
    nodes = {n.id: n for n in spec.nodes}
    gates = [g for g in ("i", "f", "o") if g in nodes and nodes[g].kind == "gate"]
    return {
        "peephole": any(w.target.partition(".")[0] in gates
                        and w.source.partition(".")[0] in ("c_prev", "c") for w in spec.wires),
        "coupled": "f" in nodes and nodes["f"].kind == "op"
        and reaches(spec, "f", "i", backwards=True),
        "input_gate": "i" in nodes,
        "forget_gate": "f" in nodes,
        "output_gate": "o" in nodes,
        "input_activation": "tanh" in nodes["g"].label,
        "output_activation": "h_tanh" in nodes or "tanh" in nodes["h"].label,
    }


def _model(flags: dict[str, bool]):
    accepted = inspect.signature(sim.LSTM).parameters
    missing = [k for k, v in flags.items() if k not in accepted and v != _DEFAULTS[k]]
    if missing:
        pytest.skip(f"the simulator has no flag {', '.join(missing)} yet")
    return sim.LSTM(3, 5, seed=1, dtype="float64", **{k: v for k, v in flags.items()
                                                       if k in accepted})


_DEFAULTS = {"peephole": False, "coupled": False, "input_gate": True, "forget_gate": True,
             "output_gate": True, "input_activation": True, "output_activation": True}


@pytest.mark.parametrize("name", LSTM_SPECS)
def test_spec_and_simulator_agree(name):
    spec = builtin_spec(name)
    if any(n.id == "i_prev" for n in spec.nodes):
        pytest.skip("FGR: the simulator has no full gate recurrence")
    flags = structure(spec)
    model = _model(flags)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 2, 3))
    c0 = rng.normal(size=(2, 5))
    trace = model.forward(x, c0=c0)
    i, f, g, o, c, h = (np.asarray(getattr(trace, k)) for k in "ifgoch")

    if not flags["input_gate"]:
        assert np.all(i == 1)
    if not flags["forget_gate"]:
        assert np.all(f == 1)
    if flags["coupled"]:
        np.testing.assert_allclose(f, 1 - i)
    if not flags["output_gate"]:
        assert np.all(o == 1)
    if not flags["input_activation"]:
        assert np.abs(g).max() > 1  # a linear candidate leaves [-1, 1] on this input
    else:
        assert np.abs(g).max() < 1
    # The cell-state update reads what the drawing shows: f * C_{t-1} + i * candidate.
    previous = np.concatenate([c0[None], c[:-1]])
    np.testing.assert_allclose(c, f * previous + i * g, rtol=1e-10, atol=1e-12)
    cell_out = np.tanh(c) if flags["output_activation"] else c
    np.testing.assert_allclose(h, o * cell_out, rtol=1e-10, atol=1e-12)

    # A gate sees the old cell state exactly when a wire brings C_{t-1} (or C_t) to it.
    other = model.forward(x, c0=c0 + 1.0)
    for gate, node in (("i", "i"), ("f", "f"), ("o", "o")):
        if node not in {n.id for n in spec.nodes}:
            continue
        drawn = reaches(spec, node, "c_prev", backwards=True)
        moved = not np.allclose(getattr(trace, gate)[0], getattr(other, gate)[0])
        assert drawn == moved, f"{gate}: spec says {drawn}, simulator {moved}"


@pytest.mark.parametrize("name,code", sorted(GREFF_CODES.items()))
def test_greff_names_match_the_simulator(name, code):
    table = getattr(sim, "GREFF_VARIANTS", None)
    if table is None or code not in table:
        pytest.skip(f"the simulator has no Greff variant {code}")
    expected = {**_DEFAULTS, **table[code]}
    assert structure(builtin_spec(name)) == expected


def test_gru_spec_and_simulator_agree():
    """r_t enters the candidate layer (it scales W_hn h + b_hn, after the product) and
    h_t = (1 - z_t) n_t + z_t h_{t-1}, as the spec's wires say."""
    spec = builtin_spec("gru-cell")
    edges = set(spec.edges())
    assert ("r", "n") in edges                           # r into the layer, not onto h
    assert ("z", "h_mul2") in edges and ("h_prev", "h_mul2") in edges
    assert ("h_sub", "h_mul") in edges and ("n", "h_mul") in edges
    model = sim.GRU(3, 4, seed=2, dtype="float64")
    rng = np.random.default_rng(1)
    x, h0 = rng.normal(size=(3, 1, 3)), rng.normal(size=(1, 4))
    trace = model.forward(x, h0=h0)
    layer = trace.layers[0]
    r, z, n = layer.r, layer.z, layer.n
    previous = np.concatenate([h0[None], trace.h[:-1]])
    np.testing.assert_allclose(trace.h, (1 - z) * n + z * previous, rtol=1e-10)
    # r multiplies the recurrent part after the product: a_n = W_in x + b_in + r (W_hn h + b_hn)
    weights, rows = model.state_dict(), slice(8, 12)  # the n block of 3 x 4 rows
    input_part = x @ weights["weight_ih_l0"][rows].T + weights["bias_ih_l0"][rows]
    recurrent = previous @ weights["weight_hh_l0"][rows].T + weights["bias_hh_l0"][rows]
    np.testing.assert_allclose(n, np.tanh(input_part + r * recurrent), rtol=1e-10)


def test_rnn_spec_and_simulator_agree():
    spec = builtin_spec("rnn-cell")
    assert set(spec.edges()) >= {("h_prev", "concat"), ("x", "concat"), ("concat", "h"),
                                 ("h", "h_next")}
    model = sim.RNN(2, 3, seed=0, dtype="float64")
    x = np.random.default_rng(2).normal(size=(3, 1, 2))
    trace = model.forward(x)
    assert np.abs(trace.h).max() < 1  # one tanh layer
