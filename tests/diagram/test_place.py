"""The placer (diagram/place.py): Olah's convention for specs without coordinates.

Specs here are written without coordinates, the way a user (or the cell-definition
translator) writes them: nodes, and wires between bare node ids.  The tests check the
convention's geometry (rails, bus, layer row, stacking, terminals on their borders), the
copy dots and the rewired wires, pins, sizes pushing neighbours, and determinism.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from lstmfigs.diagram.place import place
from lstmfigs.diagram.spec import DiagramSpec, Node, Wire, validate

GATE = (1.2, 0.72)
OP = (0.62, 0.62)


def _spec(nodes: list[Node], links: list[tuple[str, str] | tuple[str, str, str]],
          name: str = "test") -> DiagramSpec:
    wires = tuple(Wire(link[0], link[1], label=link[2] if len(link) == 3 else "")
                  for link in links)
    return validate(DiagramSpec(name, nodes=tuple(nodes), wires=wires))


def _sizes(spec: DiagramSpec, **overrides: tuple[float, float]) -> dict[str, tuple[float, float]]:
    sizes = {n.id: {"gate": GATE, "op": OP}.get(n.kind, (0.0, 0.0)) for n in spec.nodes}
    sizes.update(overrides)
    return sizes


def _lstm() -> DiagramSpec:
    """The LSTM, written as a user would: no coordinates, no ports, no dots."""
    t = "terminal"
    nodes = [
        Node("x", t, label="$x_t$", label_side="below", role="input"),
        Node("c_prev", t, label="$C_{t-1}$", role="cell_state"),
        Node("h_prev", t, label="$h_{t-1}$"),
        Node("concat", "concat", role="input"),
        Node("f", "gate", label=r"$\sigma$", role="forget_gate"),
        Node("i", "gate", label=r"$\sigma$", role="input_gate"),
        Node("g", "gate", label=r"$\tanh$", role="candidate"),
        Node("o", "gate", label=r"$\sigma$", role="output_gate"),
        Node("c_mul", "op", label=r"$\times$"),
        Node("c_mul2", "op", label=r"$\times$"),
        Node("c", "op", label="$+$"),
        Node("h_tanh", "op", label=r"$\tanh$"),
        Node("h", "op", label=r"$\times$"),
        Node("c_next", t, label="$C_t$", label_side="right", role="cell_state"),
        Node("h_next", t, label="$h_t$", label_side="right"),
        Node("h_up", t, label="$h_t$", label_side="above"),
    ]
    links = [("h_prev", "concat"), ("x", "concat"), ("concat", "f"), ("concat", "i"),
             ("concat", "g"), ("concat", "o"), ("f", "c_mul", "$f_t$"), ("c_prev", "c_mul"),
             ("i", "c_mul2", "$i_t$"), ("g", "c_mul2"), ("c_mul", "c"), ("c_mul2", "c"),
             ("c", "h_tanh"), ("o", "h", "$o_t$"), ("h_tanh", "h"), ("c", "c_next"),
             ("h", "h_next"), ("h", "h_up")]
    return _spec(nodes, links, "lstm")


def _gru() -> DiagramSpec:
    """The GRU: h_{t-1} is used pointwise in its own update, so it is a rail."""
    t = "terminal"
    nodes = [
        Node("x", t, label="$x_t$", label_side="below", role="input"),
        Node("h_prev", t, label="$h_{t-1}$"),
        Node("concat", "concat", role="input"),
        Node("r", "gate", label=r"$\sigma$"), Node("z", "gate", label=r"$\sigma$"),
        Node("n", "gate", label=r"$\tanh$"),
        Node("h_sub", "op", label="$1-$"), Node("h_mul", "op", label=r"$\times$"),
        Node("h_mul2", "op", label=r"$\times$"), Node("h", "op", label="$+$"),
        Node("h_next", t, label="$h_t$", label_side="right"),
        Node("h_up", t, label="$h_t$", label_side="above"),
    ]
    links = [("h_prev", "concat"), ("x", "concat"), ("concat", "r"), ("concat", "z"),
             ("concat", "n"), ("r", "n"), ("z", "h_sub"), ("h_sub", "h_mul"), ("n", "h_mul"),
             ("z", "h_mul2"), ("h_prev", "h_mul2"), ("h_mul", "h"), ("h_mul2", "h"),
             ("h", "h_next"), ("h", "h_up")]
    return _spec(nodes, links, "gru")


def _at(spec: DiagramSpec) -> dict[str, tuple[float, float]]:
    positions = {}
    for node in spec.nodes:
        assert node.at is not None, node.id
        positions[node.id] = node.at
    return positions


def _boxes_apart(spec: DiagramSpec, gap: float) -> None:
    """No two nodes with an outline come closer than ``gap``."""
    boxed = [n for n in spec.nodes if n.kind in ("gate", "op")]
    for a, b in itertools.combinations(boxed, 2):
        assert a.at is not None and b.at is not None and a.size and b.size
        dx = abs(a.at[0] - b.at[0]) - (a.size[0] + b.size[0]) / 2
        dy = abs(a.at[1] - b.at[1]) - (a.size[1] + b.size[1]) / 2
        assert max(dx, dy) >= gap - 1e-9, f"{a.id} and {b.id} are {max(dx, dy):.2f} apart"


def _left_to_right(spec: DiagramSpec) -> None:
    """Signals flow left to right: no wire between layers and operations runs back."""
    kinds = {n.id: n.kind for n in spec.nodes}
    at = _at(spec)
    for source, target in spec.edges():
        if kinds[source] in ("gate", "op") and kinds[target] in ("gate", "op"):
            assert at[source][0] <= at[target][0] + 1e-9, f"{source} -> {target} runs back"


# -- the convention --------------------------------------------------------------------

def test_lstm_in_olahs_convention() -> None:
    spec = _lstm()
    placed = place(spec, _sizes(spec), {})
    at = _at(placed)
    # The cell state is a rail along the top: its terminals and nodes share one height,
    # above every other node, left to right.
    rail = ["c_prev", "c_mul", "c", "c_next"]
    assert len({at[n][1] for n in rail}) == 1
    assert [at[n][0] for n in rail] == sorted(at[n][0] for n in rail)
    inner = [n.id for n in placed.nodes if n.kind != "terminal"]
    assert at["c"][1] == max(at[n][1] for n in inner)
    # The layers stand in one row above the bus, in the order their results are used.
    gates = ["f", "i", "g", "o"]
    assert len({at[n][1] for n in gates}) == 1
    assert [at[n][0] for n in gates] == sorted(at[n][0] for n in gates)
    assert at["concat"][1] < at["f"][1]
    # [h_{t-1}, x_t] enters bottom left: the concatenation is the leftmost node, h_{t-1}
    # comes from the left at its height, x_t from below it.
    assert at["concat"][0] == min(at[n][0] for n in inner)
    assert at["h_prev"][1] == at["concat"][1] and at["h_prev"][0] < at["concat"][0]
    assert at["x"][0] == at["concat"][0] and at["x"][1] < at["concat"][1]
    # Pointwise nodes stack on the layer that feeds them from below ...
    assert at["f"][0] == at["c_mul"][0]
    assert at["g"][0] == at["c_mul2"][0] == at["c"][0]
    # ... or hang below the rail: tanh(C_t) above the output product, o left of them.
    assert at["h_tanh"][0] == at["h"][0] > at["o"][0]
    assert at["c"][1] > at["h_tanh"][1] > at["h"][1] > at["o"][1]
    # h_t leaves to the right at the bottom and upwards.
    assert at["h_next"][0] > max(at[n][0] for n in inner)
    assert at["h_next"][1] == at["concat"][1]
    assert at["h_up"][1] > max(at[n][1] for n in inner)
    _boxes_apart(placed, 0.5)


def test_shared_operands_flow_left_to_right() -> None:
    """minLSTM's f' = f / (f + i) and i' = i / (f + i): nothing stacks where one of its
    operands would come back from the right."""
    nodes = [Node("x", "terminal", label_side="below"), Node("f", "gate"), Node("i", "gate"),
             Node("s1", "op"), Node("d1", "op"), Node("s2", "op"), Node("d2", "op"),
             Node("out", "terminal", label_side="right")]
    spec = _spec(nodes, [("x", "f"), ("x", "i"), ("f", "s1"), ("i", "s1"), ("f", "d1"),
                         ("s1", "d1"), ("f", "s2"), ("i", "s2"), ("i", "d2"), ("s2", "d2"),
                         ("d1", "out"), ("d2", "out")])
    placed = place(spec, _sizes(spec), {})
    _left_to_right(placed)
    _boxes_apart(placed, 0.5)


def test_gru_hidden_state_is_a_rail_on_top() -> None:
    spec = _gru()
    at = _at(place(spec, _sizes(spec), {}))
    assert at["h_prev"][1] == at["h_mul2"][1] == at["h"][1] == at["h_next"][1]
    assert at["h"][1] > max(at[n][1] for n in ("h_sub", "h_mul", "r", "z", "n"))
    # The update gate stands under the product on the rail it feeds; the reset gate is
    # left of the candidate layer it feeds (dependency order in the row).
    assert at["z"][0] == at["h_mul2"][0]
    assert at["r"][0] < at["n"][0] == at["h_mul"][0] == at["h"][0]
    # 1 - z sits level with the product it feeds from the side.
    assert at["h_sub"][1] == at["h_mul"][1]


def test_a_side_feed_rises_to_the_row_of_what_it_feeds() -> None:
    """``(1 - a) * tanh(b)`` stacked on the b layer: 1 - a comes across at the product's
    row, not up from a lower one."""
    nodes = [Node("a", "gate"), Node("b", "gate"), Node("sub", "op", label="$1-$"),
             Node("tanh", "op", label=r"$\tanh$"), Node("mul", "op", label=r"$\times$"),
             Node("in", "terminal", label_side="below"),
             Node("out", "terminal", label_side="right")]
    spec = _spec(nodes, [("in", "a"), ("in", "b"), ("a", "sub"), ("b", "tanh"),
                         ("sub", "mul"), ("tanh", "mul"), ("mul", "out")])
    at = _at(place(spec, _sizes(spec), {}))
    assert at["b"][0] == at["tanh"][0] == at["mul"][0]
    assert at["mul"][1] > at["tanh"][1]
    assert at["sub"][1] == at["mul"][1] and at["sub"][0] < at["mul"][0]


# -- copy dots and rewired wires ------------------------------------------------------------

def test_copy_dots_on_the_bus_and_the_rail() -> None:
    spec = _lstm()
    placed = place(spec, _sizes(spec), {})
    at = _at(placed)
    dots = {n.id: n for n in placed.nodes if n.kind == "dot"}
    bus = sorted((d for d in dots if d.startswith("concat-split")), key=lambda d: at[d][0])
    # A dot under every layer but the last, which the bus runs into.
    assert [at[d] for d in bus] == [(at[g][0], at["concat"][1]) for g in ("f", "i", "g")]
    chain = [(w.source, w.target) for w in placed.wires]
    assert ("concat", bus[0]) in chain and (bus[0], bus[1]) in chain
    assert (bus[2], "o") in chain and ("concat", "o") not in chain
    # C_t leaves the rail for tanh through a dot straight above it.
    (rail_dot,) = [d for d in dots if d.startswith("c-split")]
    assert at[rail_dot] == (at["h_tanh"][0], at["c"][1])
    assert (rail_dot, "h_tanh") in chain and (rail_dot, "c_next") in chain
    # The output branches right of the product: up and to the right.
    (out,) = [d for d in dots if d.startswith("h-split")]
    assert at[out][1] == at["h"][1] and at[out][0] == at["h_up"][0] > at["h"][0]
    assert {(out, "h_next"), (out, "h_up"), ("h", out)} <= set(chain)
    # Every wire keeps its index, so its label's measured size still applies; new
    # segments come after the original wires, and every dot inherits the steps below it.
    for index, wire in enumerate(spec.wires):
        assert placed.wires[index].target == wire.target
        assert placed.wires[index].label == wire.label
    assert len(placed.wires) == len(spec.wires) + len(dots)
    validate(placed)


def test_an_input_feeding_layers_and_more_runs_on_along_its_bus() -> None:
    """x feeds two layers and, past them, a product (RG-LRU's i * x): one wire leaves x,
    the bus has a dot under each layer, and the product is fed from the last of them."""
    t = "terminal"
    nodes = [Node("x", t, label="$x_t$", label_side="below", role="input"),
             Node("h_prev", t, label="$h_{t-1}$"),
             Node("r", "gate", label=r"$\sigma$"), Node("i", "gate", label=r"$\sigma$"),
             Node("a", "op", label=r"$\times$"), Node("m", "op", label=r"$\times$"),
             Node("h", "op", label="$+$"),
             Node("h_next", t, label="$h_t$", label_side="right")]
    spec = _spec(nodes, [("x", "r"), ("x", "i"), ("x", "m"), ("h_prev", "a"), ("r", "a"),
                         ("i", "m"), ("a", "h"), ("m", "h"), ("h", "h_next")])
    placed = place(spec, _sizes(spec), {})
    at = _at(placed)
    chain = [(w.source, w.target) for w in placed.wires]
    assert [target for source, target in chain if source == "x"] == ["x-split1"]
    bus = sorted((n.id for n in placed.nodes if n.id.startswith("x-split")),
                 key=lambda d: at[d][0])
    assert [at[d][0] for d in bus] == [at["r"][0], at["i"][0]]
    assert {(bus[0], "r"), (bus[0], bus[1]), (bus[1], "i"), (bus[1], "m")} <= set(chain)
    validate(placed)


def test_peepholes_drop_from_one_rail_dot_to_one_above_the_layers() -> None:
    """C_{t-1} feeds the forget and input gates: one dot on the rail before the forget
    product, a second above the layers from which both peepholes leave."""
    spec = _lstm()
    spec = validate(replace(spec, wires=spec.wires + (Wire("c_prev", "f"), Wire("c_prev", "i"))))
    placed = place(spec, _sizes(spec), {})
    at = _at(placed)
    rail, drop = sorted((n.id for n in placed.nodes if n.id.startswith("c_prev-split")),
                        key=lambda d: -at[d][1])
    assert at[rail][1] == at["c_prev"][1] and at["c_prev"][0] < at[rail][0] < at["c_mul"][0]
    assert at[drop][0] == at[rail][0] < at["f"][0] - GATE[0] / 2
    assert at["f"][1] + GATE[1] / 2 < at[drop][1] < at["c_mul2"][1]
    chain = {(w.source, w.target) for w in placed.wires}
    assert {("c_prev", rail), (rail, "c_mul"), (rail, drop), (drop, "f"), (drop, "i")} <= chain
    validate(placed)


def test_a_node_fed_by_two_rails() -> None:
    """h~ = c / n hangs under the lower rail, whose dot is straight above it; the upper
    rail's value comes down beside it, not through the lower rail's dot."""
    t = "terminal"
    nodes = [Node("c_prev", t, role="cell_state"), Node("n_prev", t),
             Node("f", "gate"), Node("in", t, label_side="below"),
             Node("c_mul", "op"), Node("n_mul", "op"), Node("div", "op"),
             Node("c_next", t, label_side="right", role="cell_state"),
             Node("n_next", t, label_side="right"), Node("h_next", t, label_side="right")]
    spec = _spec(nodes, [("in", "f"), ("c_prev", "c_mul"), ("f", "c_mul"), ("n_prev", "n_mul"),
                         ("f", "n_mul"), ("c_mul", "c_next"), ("n_mul", "n_next"),
                         ("c_mul", "div"), ("n_mul", "div"), ("div", "h_next")])
    at = _at(place(spec, _sizes(spec), {}))
    assert at["c_mul"][1] > at["n_mul"][1] > at["div"][1]
    (c_dot,) = [n for n in at if n.startswith("c_mul-split")]
    (n_dot,) = [n for n in at if n.startswith("n_mul-split")]
    assert at[n_dot] == (at["div"][0], at["n_mul"][1])
    assert at[c_dot][1] == at["c_mul"][1] and at[c_dot][0] < at["div"][0] - OP[0] / 2


def test_riser_dot_where_a_gate_feeds_sideways_on_its_way_up() -> None:
    spec = _gru()
    placed = place(spec, _sizes(spec), {})
    at = _at(placed)
    (dot,) = [n.id for n in placed.nodes if n.id.startswith("z-split")]
    assert at[dot] == (at["z"][0], at["h_sub"][1])
    chain = {(w.source, w.target) for w in placed.wires}
    assert {("z", dot), (dot, "h_sub"), (dot, "h_mul2")} <= chain


def test_the_specs_own_dots_go_where_the_placers_would() -> None:
    """A hand-written spec with its own copy dots (and ports) but no coordinates."""
    t = "terminal"
    nodes = [Node("h_prev", t), Node("x", t, label_side="below"), Node("concat", "concat"),
             Node("to_f", "dot"), Node("to_i", "dot"), Node("f", "gate"), Node("i", "gate"),
             Node("g", "gate"), Node("mul", "op"), Node("mul2", "op"), Node("add", "op"),
             Node("out", t, label_side="right"), Node("branch", "dot"),
             Node("up", t, label_side="above")]
    spec = _spec(nodes, [("h_prev", "concat"), ("x", "concat.s"), ("concat", "to_f"),
                         ("to_f", "f"), ("to_f.e", "to_i"), ("to_i", "i"), ("to_i", "g"),
                         ("f", "mul"), ("i", "mul2"), ("g", "mul2"), ("mul", "add"),
                         ("mul2", "add"), ("add", "branch"), ("branch", "out"),
                         ("branch", "up")])
    placed = place(spec, _sizes(spec), {})
    at = _at(placed)
    assert at["to_f"] == (at["f"][0], at["concat"][1])
    assert at["to_i"] == (at["i"][0], at["concat"][1])
    assert at["branch"][1] == at["add"][1] and at["branch"][0] > at["add"][0]
    assert at["up"][0] == at["branch"][0]
    assert [n.id for n in placed.nodes] == [n.id for n in spec.nodes]  # no dots added
    assert [(w.source, w.target) for w in placed.wires] == \
        [(w.source, w.target) for w in spec.wires]


def test_dot_steps_are_the_union_of_what_they_feed() -> None:
    spec = _lstm()
    wires = tuple(replace(w, steps=(w.target,)) if w.source == "concat" else w
                  for w in spec.wires)
    spec = validate(replace(spec, wires=wires, steps=("f", "i", "g", "o")))
    placed = place(spec, _sizes(spec), {})
    at = _at(placed)
    bus = sorted((n for n in placed.nodes if n.id.startswith("concat-split")),
                 key=lambda n: at[n.id][0])
    assert [n.steps for n in bus] == [("f", "i", "g", "o"), ("i", "g", "o"), ("g", "o")]


# -- pins, sizes and labels --------------------------------------------------------------------

def test_one_pin_is_kept_and_everything_moves_with_it() -> None:
    spec = _lstm()
    free = _at(place(spec, _sizes(spec), {}))
    pinned_spec = replace(spec, nodes=tuple(replace(n, at=(10.0, 20.0)) if n.id == "g" else n
                                            for n in spec.nodes))
    pinned = _at(place(pinned_spec, _sizes(spec), {}))
    assert pinned["g"] == (10.0, 20.0)
    shift = (10.0 - free["g"][0], 20.0 - free["g"][1])
    for node_id, (x, y) in free.items():
        assert pinned[node_id] == pytest.approx((x + shift[0], y + shift[1])), node_id


def test_two_pins_stretch_what_lies_between() -> None:
    spec = _lstm()
    pins = {"f": (0.0, 0.0), "o": (12.0, 0.0)}
    pinned_spec = replace(spec, nodes=tuple(replace(n, at=pins.get(n.id)) for n in spec.nodes))
    at = _at(place(pinned_spec, _sizes(spec), {}))
    assert at["f"] == (0.0, 0.0) and at["o"] == (12.0, 0.0)
    assert 0.0 < at["i"][0] < at["g"][0] < 12.0 and at["i"][1] == at["g"][1] == 0.0
    _boxes_apart(replace(spec, nodes=tuple(replace(n, at=at[n.id], size=_sizes(spec)[n.id])
                                           for n in spec.nodes)), 0.5)


def test_pinned_terminals_pull_their_rail_and_bus_along() -> None:
    """Pinned terminals take part in the maps: the cell-state rail runs level with a
    pinned C_{t-1}, the bus with a pinned h_{t-1}."""
    spec = _lstm()
    pins = {"c_prev": (-3.0, 10.0), "h_prev": (-3.0, 0.0)}
    pinned_spec = replace(spec, nodes=tuple(replace(n, at=pins.get(n.id)) for n in spec.nodes))
    at = _at(place(pinned_spec, _sizes(spec), {}))
    assert at["c_prev"] == (-3.0, 10.0) and at["h_prev"] == (-3.0, 0.0)
    assert at["c_mul"][1] == at["c"][1] == pytest.approx(10.0)
    assert at["concat"][1] == pytest.approx(0.0)
    assert 0.0 < at["f"][1] < at["h"][1] < at["h_tanh"][1] < 10.0


def test_a_fully_pinned_spec_is_left_as_it_is() -> None:
    spec = _lstm()
    pins = {n.id: (float(index), float(index % 3)) for index, n in enumerate(spec.nodes)}
    pinned_spec = replace(spec, nodes=tuple(replace(n, at=pins[n.id]) for n in spec.nodes))
    placed = place(pinned_spec, _sizes(spec), {})
    assert _at(placed) == pins
    assert placed.wires == pinned_spec.wires  # no dots where the user placed everything
    assert [n.size for n in placed.nodes] == [_sizes(spec)[n.id] for n in spec.nodes]


def test_a_grown_node_pushes_its_neighbours() -> None:
    spec = _lstm()
    normal = place(spec, _sizes(spec), {})
    grown = place(spec, _sizes(spec, i=(3.0, 1.6)), {})
    a, b = _at(normal), _at(grown)
    assert b["g"][0] - b["i"][0] > a["g"][0] - a["i"][0]
    assert b["c"][1] - b["f"][1] >= a["c"][1] - a["f"][1]
    _boxes_apart(grown, 0.5)
    assert grown.node("i").size == (3.0, 1.6)


def test_room_for_a_wide_wire_label() -> None:
    spec = _lstm()
    index = next(i for i, w in enumerate(spec.wires) if w.source == "i")
    narrow = _at(place(spec, _sizes(spec), {str(index): (0.3, 0.3)}))
    wide = _at(place(spec, _sizes(spec), {str(index): (2.5, 0.3)}))
    assert wide["g"][0] - wide["i"][0] > narrow["g"][0] - narrow["i"][0] + 1.0


def test_terminals_on_one_border_keep_their_labels_apart() -> None:
    t = "terminal"
    nodes = [Node(name, t, label=name, label_side="left") for name in ("a", "b", "c")]
    nodes += [Node("concat", "concat"), Node("f", "gate"), Node("g", "gate"),
              Node("out", t, label_side="right")]
    spec = _spec(nodes, [("a", "concat"), ("b", "concat"), ("c", "concat"), ("concat", "f"),
                         ("concat", "g"), ("f", "out"), ("g", "out")])
    texts = {name: (0.5, 0.4) for name in ("a", "b", "c")}
    at = _at(place(spec, _sizes(spec), texts))
    heights = sorted(at[n][1] for n in ("a", "b", "c"))
    assert all(b - a >= 0.4 for a, b in itertools.pairwise(heights))
    assert len({at[n][0] for n in ("a", "b", "c")}) == 1


# -- any graph ----------------------------------------------------------------------------------

def test_deterministic() -> None:
    spec = _lstm()
    assert place(spec, _sizes(spec), {}) == place(spec, _sizes(spec), {})


def test_loops_and_lone_nodes_are_placed() -> None:
    nodes = [Node("a", "gate"), Node("b", "op"), Node("c", "gate"), Node("lone", "op"),
             Node("in", "terminal", label_side="below")]
    spec = _spec(nodes, [("in", "a"), ("a", "b"), ("b", "c"), ("c", "a")])
    placed = place(spec, _sizes(spec), {})
    _at(placed)
    _boxes_apart(placed, 0.3)


def test_a_loop_of_pointwise_nodes_and_a_rail_of_a_thousand() -> None:
    """Rails are found without recursion, and a loop on a rail is not followed round."""
    t = "terminal"
    ops = [Node(f"m{k}", "op") for k in range(900)]
    nodes = [Node("c_prev", t), Node("c_next", t, label_side="right"), *ops]
    links: list[tuple[str, str] | tuple[str, str, str]] = [("c_prev", "m0")]
    links += [(f"m{k}", f"m{k + 1}") for k in range(899)]
    links += [("m899", "c_next"), ("m5", "m3")]  # a loop back along the rail
    placed = place(_spec(nodes, links), _sizes(_spec(nodes, links)), {})
    at = _at(placed)
    assert len({at[f"m{k}"][1] for k in range(900)}) == 1
    assert at["m0"][0] < at["m1"][0] < at["m899"][0] < at["c_next"][0]


CELLS = ["lstm", "gru", "rnn", "rnn-relu", "lstm-peephole", "lstm-cifg", "lstm-fgr", "lstm-nfg",
         "lstm-niaf", "lstm-nig", "lstm-noaf", "lstm-nog", "lstm-np"]


@pytest.mark.parametrize("name", CELLS)
def test_built_in_cells(name: str) -> None:
    """Every built-in cell's diagram is placed in the convention, without overlaps."""
    cellgraph = pytest.importorskip("lstmfigs.diagram.cellgraph")
    from lstmfigs import cells

    spec = cellgraph.cell_spec(cells.builtin(name))
    placed = place(spec, _sizes(spec), {})
    validate(placed)
    at = _at(placed)
    _boxes_apart(placed, 0.5)
    gates = [n.id for n in placed.nodes if n.kind == "gate"]
    assert len({at[g][1] for g in gates}) == 1
    _left_to_right(placed)
    inner = [n for n in placed.nodes if n.kind != "terminal"]
    for node in placed.nodes:
        if node.kind != "terminal":
            continue
        side, (x, y) = node.label_side, at[node.id]
        if side == "left":
            assert x < min(at[n.id][0] for n in inner)
        elif side == "right":
            assert x > max(at[n.id][0] for n in inner)
        elif side == "below":
            assert y < min(at[n.id][1] for n in inner)
        else:
            assert y > max(at[n.id][1] for n in inner)


HAND_WRITTEN = """
name = "my-gated-cell"
[[regions]]
id = "cell"
[[nodes]]
id = "c_prev"
kind = "terminal"
label = '$c_{t-1}$'
role = "cell_state"
[[nodes]]
id = "h_prev"
kind = "terminal"
label = '$h_{t-1}$'
[[nodes]]
id = "x"
kind = "terminal"
label = '$x_t$'
label_side = "below"
[[nodes]]
id = "concat"
kind = "concat"
[[nodes]]
id = "f"
kind = "gate"
label = '$\\sigma$'
[[nodes]]
id = "g"
kind = "gate"
label = '$\\tanh$'
[[nodes]]
id = "keep"
kind = "op"
label = '$\\times$'
[[nodes]]
id = "one_minus"
kind = "op"
label = '$1-$'
[[nodes]]
id = "admit"
kind = "op"
label = '$\\times$'
[[nodes]]
id = "add"
kind = "op"
label = '$+$'
[[nodes]]
id = "out"
kind = "op"
label = '$\\tanh$'
[[nodes]]
id = "c_next"
kind = "terminal"
label = '$c_t$'
label_side = "right"
role = "cell_state"
[[nodes]]
id = "h_next"
kind = "terminal"
label = '$h_t$'
label_side = "right"
[[nodes]]
id = "h_up"
kind = "terminal"
label = '$h_t$'
label_side = "above"
""" + "".join(f"[[wires]]\nfrom = '{a}'\nto = '{b}'\n{extra}\n" for a, b, extra in [
    ("h_prev", "concat", ""), ("x", "concat", ""), ("concat", "f", ""), ("concat", "g", ""),
    ("c_prev", "keep", "role = 'cell_state'"), ("f", "keep", "label = '$f_t$'"),
    ("f", "one_minus", ""), ("one_minus", "admit", ""), ("g", "admit", "label = '$g_t$'"),
    ("keep", "add", "role = 'cell_state'"), ("admit", "add", ""),
    ("add", "c_next", "role = 'cell_state'"), ("add", "out", "role = 'cell_state'"),
    ("out", "h_next", ""), ("out", "h_up", "")])


@pytest.mark.parametrize("theme", ["paper", "slides"])
def test_a_hand_written_spec_without_coordinates_renders_cleanly(theme: str) -> None:
    """What a user writes by hand, with no coordinate at all, through the whole pipeline
    (arrange: this placer, the router, the label placer) to a figure the checker passes."""
    import matplotlib.pyplot as plt

    import lstmfigs
    from lstmfigs.checks import layout_problems
    from lstmfigs.diagram.tomlio import loads_spec

    fig = lstmfigs.figure(loads_spec(HAND_WRITTEN), theme=theme)
    try:
        assert layout_problems(fig) == []
    finally:
        plt.close(fig)



def test_a_node_on_a_layer_feeding_sideways_stands_above_what_it_feeds() -> None:
    """CIFG: the input gate feeds 1 - i stacked on it and i * C~ to its right.  1 - i
    stands above i * C~, so a dot on the gate's riser feeds the product straight from the
    side (one bend fewer than going round 1 - i)."""
    t = "terminal"
    nodes = [Node("x", t, label="$x_t$", label_side="below", role="input"),
             Node("c_prev", t, label="$C_{t-1}$", role="cell_state"),
             Node("h_prev", t, label="$h_{t-1}$"), Node("concat", "concat", role="input"),
             Node("i", "gate", label=r"$\sigma$"), Node("g", "gate", label=r"$\tanh$"),
             Node("f", "op", label="$1-$"), Node("c_mul", "op", label=r"$\times$"),
             Node("c_mul2", "op", label=r"$\times$"), Node("c", "op", label="$+$"),
             Node("c_next", t, label="$C_t$", label_side="right", role="cell_state")]
    links = [("h_prev", "concat"), ("x", "concat"), ("concat", "i"), ("concat", "g"),
             ("i", "f"), ("f", "c_mul"), ("c_prev", "c_mul"), ("i", "c_mul2"),
             ("g", "c_mul2"), ("c_mul", "c"), ("c_mul2", "c"), ("c", "c_next")]
    spec = _spec(nodes, links, "cifg")
    placed = place(spec, _sizes(spec), {})
    at = _at(placed)
    assert at["f"][0] == at["i"][0] and at["f"][1] > at["c_mul2"][1] > at["i"][1]
    (dot,) = [n.id for n in placed.nodes if n.id.startswith("i-split")]
    assert at[dot] == (at["i"][0], at["c_mul2"][1])
    assert {("i", dot), (dot, "f"), (dot, "c_mul2")} <= set(placed.edges())


def test_a_bus_into_layers_fed_already_runs_below_and_feeds_their_sides() -> None:
    """FGR's [i, f, o]_{t-1} feeds the gates the [h_prev, x] bus feeds from below: it runs
    below that bus from its terminal under the last gate's right, with a copy dot right
    of each gate but the first, and enters every gate from the right."""
    import lstmfigs

    spec = lstmfigs.figure("lstm-fgr").lstmfigs_diagram.layout.spec
    at = {n.id: n.at for n in spec.nodes}
    size = {n.id: n.size for n in spec.nodes}
    bundle = "i-f-o_prev"
    dots = sorted((n for n in at if n.startswith(f"{bundle}-split")), key=lambda n: at[n][0])
    assert len(dots) == 2
    bus_y = at[dots[0]][1]
    main_bus = {at[n][1] for n in at if n.startswith("concat") and "split" in n}
    assert {at[d][1] for d in dots} == {bus_y} and bus_y < min(main_bus)
    for dot, gate in zip(dots, ("i", "o"), strict=True):  # just right of its gate
        right = at[gate][0] + size[gate][0] / 2
        assert right < at[dot][0] < right + 1.0
    assert at[bundle][0] == at[dots[-1]][0] and at[bundle][1] < bus_y
    into = {w.target for w in spec.wires if w.source.partition(".")[0].startswith(bundle)}
    assert {"f.e", "i.e", "o.e"} <= into


def test_a_concatenation_of_something_computed_stands_beside_the_layer_it_feeds() -> None:
    """MGU's candidate reads [f * h_{t-1}, x_t]: that concatenation stands just left of its
    tanh, where f * h comes down to meet x, not at the start of the [h_{t-1}, x_t] bus
    (from where f * h ran back across the cell and x looped under it)."""
    from pathlib import Path

    from lstmfigs import cells
    from lstmfigs.diagram.cellgraph import cell_spec

    spec = cell_spec(cells.load(Path(__file__).parent / "cells" / "mgu.toml"))
    placed = place(spec, _sizes(spec), {})
    at = _at(placed)
    (candidate,) = [w.target for w in placed.wires if w.source == "concat2"]
    assert at["concat"][0] < at["f"][0] < at["concat2"][0] < at[candidate][0]
    assert at["h_tilde_mul"][0] < at["concat2"][0]


def test_a_second_side_bus_gets_its_own_slots_beside_each_layer() -> None:
    """Review finding: columns compared by value, so every empty slot was 'equal' and a
    second side bus (here p_t, beside FGR's [i, f, o]_{t-1}) had its slots inserted next to
    the first layer instead of next to i and o."""
    from lstmfigs import cells
    from lstmfigs.diagram.cellgraph import cell_spec

    spec = cell_spec(cells.builtin("lstm-fgr"))
    extra = Node("p", "terminal", label="$p_t$", role="input", label_side="below")
    spec = validate(replace(spec, nodes=spec.nodes + (extra,), wires=spec.wires + tuple(
        Wire("p", gate, role="input") for gate in ("f", "i", "o"))))
    placed = place(spec, _sizes(spec), {})
    at = _at(placed)
    dots = sorted((n for n in at if n.startswith("p-split")), key=lambda n: at[n][0])
    assert len(dots) == 2
    for dot, gate in zip(dots, ("i", "o"), strict=True):
        right = at[gate][0] + GATE[0] / 2
        assert right < at[dot][0] < right + 1.0, (dot, gate)
