"""The LSTM unrolled over time, generated as data: 1 to 4 layers, 2 to 5 time steps.

One layer is drawn as :func:`unrolled_cell`, a :class:`~lstmfigs.diagram.edit.SpecEdit` of
``lstm-cell``: the cell at step t in full between its neighbours, drawn as blocks.  Two or
more layers are :func:`stacked_chain`, plain data in the TOML shape: every cell a block, each
layer passing C and h along in time and h up into the layer above.  Both end in
:meth:`DiagramSpec.from_dict`, so a generated chain is validated exactly like a user's TOML
file, and ``lstmfigs spec lstm-chain --layers 3 --steps 4`` prints it.

The steps are centred on t: t-1 and t at 2 steps, t-1, t and t+1 at 3, t-2 ... t+1 at 4,
t-2 ... t+2 at 5.  A wider chain asks for a wider figure (``min_width``) in a column theme; a
slide cannot widen, so :func:`~.diagrams.builtin_figure` refuses a chain that would be
illegible there.  Nothing here imports matplotlib.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from ..diagram.edit import SpecEdit, Table
from ..errors import UnknownNameError
from ..options import OPTIONS


def _range(option: str) -> tuple[int, int, int]:
    """(smallest, largest, default) of an ``lstm-chain`` option, from the option table."""
    low, high = OPTIONS[option].bounds or (0, 0)
    return low, high, OPTIONS[option].default


#: The options of ``lstm-chain``: (smallest, largest, default), as :mod:`lstmfigs.options`
#: declares them.
LAYERS = _range("layers")
STEPS = _range("steps")

#: The recurrence, which is the chain's equations panel (the cell's own are lstm-cell's).
ONE_LAYER_EQUATION = r"$(h_t, C_t) = \mathrm{LSTM}(x_t, h_{t-1}, C_{t-1})$"

# Diagram units.  Blocks are 2.4 wide; neighbouring blocks are PITCH apart (centre to
# centre), leaving room between them for the labels of the states they pass on.
BLOCK_WIDTH = 2.4
PITCH = 5.0
#: The smallest a diagram unit may be drawn, in inches, where the theme's column is narrower
#: (the spec's ``min_width``; see :class:`~lstmfigs.diagram.spec.DiagramSpec`): at less the
#: labels between cells collide with the cells.  The one-layer chain's is that of its
#: 3-step form at 5 in; the stacked chain's the smallest at which the 2-layer chain's 4 steps
#: fit an IEEE column.
ONE_LAYER_MIN_UNIT = 5.0 / 24.4
STACKED_MIN_UNIT = 0.175


def check_chain_options(layers: Any, steps: Any) -> tuple[int, int]:
    """``layers`` and ``steps`` as ints in their ranges (None: the default).

    Parameters
    ----------
    layers, steps : int or None
        The number of stacked layers (1 to 4) and of time steps (2 to 5).

    Returns
    -------
    tuple of int
        ``(layers, steps)``.

    Raises
    ------
    UnknownNameError
        Either is not a whole number in its range (``True`` is not a number of layers).
    """
    checked = []
    for name, value, (low, high, default) in (("layers", layers, LAYERS),
                                              ("steps", steps, STEPS)):
        if value is None:
            value = default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise UnknownNameError(f"lstm-chain: {name} must be a whole number from {low} "
                                   f"to {high}, got {value!r:.40}")
        checked.append(value)
    return checked[0], checked[1]


def chain_name(layers: int, steps: int) -> str:
    """The spec's name: ``lstm-chain``, ``lstm-chain-2layers``, ``lstm-chain-3layers-4steps``
    (the default of each option left out, as in the file names ``lstmfigs render`` writes).

    Parameters
    ----------
    layers : int
        Stacked layers.
    steps : int
        Time steps.

    Returns
    -------
    str
    """
    parts = ["lstm-chain"] + ([f"{layers}layers"] if layers != LAYERS[2] else []) \
        + ([f"{steps}steps"] if steps != STEPS[2] else [])
    return "-".join(parts)


def _min_width(span: float, min_unit: float, floor: float = 0.0) -> float:
    """The narrowest figure (inches, at least ``floor``) that draws ``span`` diagram units
    at ``min_unit`` inches or more."""
    return round(max(span * min_unit, floor), 2)


def _times(steps: int) -> list[str]:
    """The time of each step, centred on t: ``["t-1", "t", "t+1"]``."""
    first = -(steps // 2)
    return [f"t{offset:+d}" if offset else "t" for offset in range(first, first + steps)]


# -- one layer: the cell at t in full between blocks -------------------------------------------
# The cell (lstm-cell) spans x 0 to 13.2; its C line is at y 6.6, its h line at y 0.9.  The
# nearest block on either side sits 2.0 clear of the cell body, further ones PITCH apart.

_CELL_LEFT_BLOCK, _CELL_RIGHT_BLOCK = -3.2, 16.4
_C_Y, _H_Y = 6.6, 0.9


def _block(node_id: str, x: float, label: str = "LSTM") -> Table:
    """A neighbour cell, as tall as the cell, with the states' ports."""
    ports = [{"name": f"{state}_{end}", "side": side, "at": y}
             for state, y in (("c", _C_Y), ("h", _H_Y))
             for end, side in (("in", "w"), ("out", "e"))]
    return {"id": node_id, "kind": "block", "at": [x, 3.8], "size": [BLOCK_WIDTH, 7.6],
            "label": label, "ports": ports}


def _terminal(node_id: str, x: float, y: float, label: str, role: str, side: str) -> Table:
    table = {"id": node_id, "kind": "terminal", "at": [x, y], "role": role, "label_side": side}
    return {**table, "label": label} if label else table


def _state_label(label_id: str, text: str, x: float, y: float, role: str) -> Table:
    return {"id": label_id, "text": text, "at": [x, y], "role": role, "va": "bottom"}


def _neighbour(node_id: str, x: float, time: str) -> tuple[list[Table], list[Table]]:
    """A block at ``x`` with its input x below and its output h above (``time`` = "t-1")."""
    nodes = [_block(node_id, x),
             _terminal(f"{node_id}_x", x, -1.0, f"$x_{{{time}}}$", "input", "below"),
             _terminal(f"{node_id}_h", x, 8.7, f"$h_{{{time}}}$", "hidden_state", "above")]
    wires: list[Table] = [
        {"from": f"{node_id}_x.n", "to": f"{node_id}.s", "role": "input"},
        {"from": f"{node_id}.n", "to": f"{node_id}_h.s", "role": "hidden_state"}]
    return nodes, wires


def _states(prefix: str, x: float, time: str) -> list[Table]:
    """The labels C and h of the states passed on at ``x`` (between two cells)."""
    sub = time if time == "t" else f"{{{time}}}"
    return [_state_label(f"c_{prefix}_label", f"$C_{sub}$", x, _C_Y + 0.15, "cell_state"),
            _state_label(f"h_{prefix}_label", f"$h_{sub}$", x, _H_Y + 0.15, "hidden_state")]


def _far_ends(first: str, last: str, left: float, right: float) -> tuple[list[Table], list[Table]]:
    """Terminals where the states enter the first block and leave the last one."""
    nodes = [_terminal("c_far_in", left, _C_Y, "", "cell_state", "left"),
             _terminal("h_far_in", left, _H_Y, "", "hidden_state", "left"),
             _terminal("c_far_out", right, _C_Y, "", "cell_state", "right"),
             _terminal("h_far_out", right, _H_Y, "", "hidden_state", "right")]
    wires: list[Table] = [
        {"from": "c_far_in.e", "to": f"{first}.c_in", "role": "cell_state"},
        {"from": "h_far_in.e", "to": f"{first}.h_in", "role": "hidden_state"}]
    return nodes, wires + [
        {"from": f"{last}.c_out", "to": "c_far_out.w", "role": "cell_state"},
        {"from": f"{last}.h_out", "to": "h_far_out.w", "role": "hidden_state"}]


def unrolled_cell(steps: int) -> SpecEdit:
    """The one-layer chain: ``lstm-cell`` at t in full, the other ``steps - 1`` as blocks.

    Parameters
    ----------
    steps : int
        Time steps drawn (2 to 5); the cell at t is the last of 2, the middle of 3.

    Returns
    -------
    SpecEdit
        The edit of ``lstm-cell`` that draws the chain.
    """
    times = _times(steps)
    at_t = times.index("t")
    before, after = times[:at_t], times[at_t + 1:]
    # Blocks nearest the cell first: cell_prev (t-1), cell_prev_2 (t-2); cell_next (t+1), ...
    left = [(f"cell_prev{'' if k == 0 else f'_{k + 1}'}", round(_CELL_LEFT_BLOCK - PITCH * k, 6),
             time)
            for k, time in enumerate(reversed(before))]
    right = [(f"cell_next{'' if k == 0 else f'_{k + 1}'}", round(_CELL_RIGHT_BLOCK + PITCH * k, 6),
              time)
             for k, time in enumerate(after)]
    nodes: list[Table] = []
    wires: list[Table] = []
    for node_id, x, time in left + right:
        block_nodes, block_wires = _neighbour(node_id, x, time)
        nodes += block_nodes
        wires += block_wires
    labels = _states("prev", -1.0, "t-1")
    # Between blocks on the left: the states the further one passes to the nearer one.
    for (near, _, _), (far, x_far, time) in pairwise(left):
        wires += [{"from": f"{far}.c_out", "to": f"{near}.c_in", "role": "cell_state"},
                  {"from": f"{far}.h_out", "to": f"{near}.h_in", "role": "hidden_state"}]
        labels += _states(far.removeprefix("cell_"), round(x_far + PITCH / 2, 6), time)
    remove = ["c_prev", "h_prev"]
    far_left = round(left[-1][1] - BLOCK_WIDTH, 6)
    if right:
        remove += ["c_next", "h_next"]
        labels += _states("next", 14.1, "t")
        for (near, x_near, time), (far, _, _) in pairwise(right):
            wires += [{"from": f"{near}.c_out", "to": f"{far}.c_in", "role": "cell_state"},
                      {"from": f"{near}.h_out", "to": f"{far}.h_in", "role": "hidden_state"}]
            labels += _states(far.removeprefix("cell_"), round(x_near + PITCH / 2, 6), time)
        right_end = round(right[-1][1] + BLOCK_WIDTH, 6)
        end_nodes, end_wires = _far_ends(left[-1][0], right[-1][0], far_left, right_end)
        into_cell = [
            {"from": "cell_prev.c_out", "to": "forget_mul.w", "role": "cell_state"},
            {"from": "cell_prev.h_out", "to": "concat.w", "role": "hidden_state"},
            {"from": "cell_branch.e", "to": "cell_next.c_in", "role": "cell_state"},
            {"from": "hidden_branch.s", "to": "cell_next.h_in", "role": "hidden_state"}]
        end_wires = end_wires[:2] + into_cell + end_wires[2:]
    else:  # the cell at t is the last: its own terminals C_t and h_t stay
        right_end = 14.2
        end_nodes, end_wires = _far_ends(left[-1][0], left[0][0], far_left, 0.0)
        end_nodes, end_wires = end_nodes[:2], end_wires[:2] + [
            {"from": "cell_prev.c_out", "to": "forget_mul.w", "role": "cell_state"},
            {"from": "cell_prev.h_out", "to": "concat.w", "role": "hidden_state"}]
    return SpecEdit(
        name=chain_name(1, steps),
        base="lstm-cell",
        title="An LSTM unrolled over time: the cell at t in full, its neighbours as blocks",
        description=f"The cell at step t in full between its neighbours at "
                    f"{', '.join(before + after)}, drawn as blocks: the same cell, with C and "
                    "h flowing from one step to the next.",
        remove=tuple(remove),
        drop_steps=("forget", "input", "update", "output"),
        cell="",  # the chain's panel is the recurrence, not the cell's equations
        spec_fields={"min_width": _min_width(right_end - far_left, ONE_LAYER_MIN_UNIT,
                                                floor=5.0)},
        equations=({"text": ONE_LAYER_EQUATION},),
        add={"nodes": tuple(nodes + end_nodes), "wires": tuple(wires + end_wires),
             "labels": tuple(labels)},
    )


# -- two or more layers: every cell a block ------------------------------------------------------
# Cell k of layer l is centred at (PITCH k, 2 + PITCH (l - 1)), 2.4 by 3 units; its C port is
# 1 above its centre, its h port 1 below.

def _stacked_block(layer: int, k: int, x: float, y: float, height: float) -> Table:
    half = height / 2 - 0.5  # the C and h ports, 0.5 in from the block's top and bottom
    return {"id": f"cell_{layer}_{k}", "kind": "block", "at": [x, y],
            "size": [BLOCK_WIDTH, height], "label": f"LSTM$^{{({layer})}}$",
            "ports": [{"name": name, "side": side, "at": y + dy}
                      for name, side, dy in (("c_in", "w", half), ("c_out", "e", half),
                                             ("h_in", "w", -half), ("h_out", "e", -half))]}


#: The stacked chain's geometry: (block height, vertical pitch, horizontal pitch).  From 3
#: layers on, the chain is tall enough that a 16:9 slide draws it small; taller blocks
#: and wider gaps keep its labels apart there (2 layers keep the look they have always had).
STACKED_GEOMETRY = {2: (3.0, PITCH, PITCH)}
TALL_STACK_GEOMETRY = (4.0, 6.0, 6.5)


def stacked_chain(layers: int, steps: int) -> dict[str, Any]:
    """The chain of ``layers`` stacked LSTM layers over ``steps`` time steps, as plain data.

    Parameters
    ----------
    layers : int
        Stacked layers (2 to 4).
    steps : int
        Time steps (2 to 5).

    Returns
    -------
    dict
        A spec in the TOML shape (:meth:`DiagramSpec.from_dict` validates it).
    """
    times = _times(steps)
    height, up, across = STACKED_GEOMETRY.get(layers, TALL_STACK_GEOMETRY)
    last_x = across * (steps - 1)
    nodes: list[Table] = []
    wires: list[Table] = []
    labels: list[Table] = []
    for layer in range(1, layers + 1):
        y = 2.0 + up * (layer - 1)
        c_y, h_y = y + height / 2 - 0.5, y - height / 2 + 0.5
        nodes += [_stacked_block(layer, k, across * k, y, height) for k in range(steps)]
        nodes += [{"id": f"{state}_{end}_{layer}", "kind": "terminal", "at": [x, state_y],
                   "role": role}
                  for end, x in (("in", -BLOCK_WIDTH), ("out", last_x + BLOCK_WIDTH))
                  for state, state_y, role in (("c", c_y, "cell_state"),
                                               ("h", h_y, "hidden_state"))]
        first, last = f"cell_{layer}_0", f"cell_{layer}_{steps - 1}"
        wires += [{"from": f"c_in_{layer}.e", "to": f"{first}.c_in", "role": "cell_state"},
                  {"from": f"h_in_{layer}.e", "to": f"{first}.h_in", "role": "hidden_state"}]
        for k in range(steps - 1):
            wires += [{"from": f"cell_{layer}_{k}.{state}_out",
                       "to": f"cell_{layer}_{k + 1}.{state}_in", "role": role}
                      for state, role in (("c", "cell_state"), ("h", "hidden_state"))]
            labels += [{"id": f"{state}{layer}_{k}",
                        "text": f"${symbol}^{{({layer})}}_{{{times[k]}}}$",
                        "at": [across * k + across / 2, state_y + 0.15], "role": role,
                        "va": "bottom"}
                       for state, symbol, state_y, role in (("c", "C", c_y, "cell_state"),
                                                            ("h", "h", h_y, "hidden_state"))]
        wires += [{"from": f"{last}.c_out", "to": f"c_out_{layer}.w", "role": "cell_state"},
                  {"from": f"{last}.h_out", "to": f"h_out_{layer}.w", "role": "hidden_state"}]
    top_y = 2.0 + up * (layers - 1) + height / 2 + 1.3
    for k, time in enumerate(times):
        nodes += [{"id": f"x_{k}", "kind": "terminal", "at": [across * k, 2.0 - height / 2 - 1.3],
                   "label": f"$x_{{{time}}}$", "role": "input", "label_side": "below"},
                  {"id": f"h_top_{k}", "kind": "terminal", "at": [across * k, top_y],
                   "label": f"$h^{{({layers})}}_{{{time}}}$", "role": "hidden_state",
                   "label_side": "above"}]
        wires.append({"from": f"x_{k}.n", "to": f"cell_1_{k}.s", "role": "input"})
        wires += [{"from": f"cell_{layer}_{k}.n", "to": f"cell_{layer + 1}_{k}.s",
                   "role": "hidden_state"} for layer in range(1, layers)]
        wires.append({"from": f"cell_{layers}_{k}.n", "to": f"h_top_{k}.s",
                      "role": "hidden_state"})
    for layer in range(1, layers):  # h going up from one layer into the next
        labels += [{"id": f"h{layer}_up_{k}", "text": f"$h^{{({layer})}}_{{{time}}}$",
                    "at": [across * k + 0.2, 2.0 + up * (layer - 1) + up / 2],
                    "role": "hidden_state", "ha": "left"}
                   for k, time in enumerate(times)]
    return {
        "name": chain_name(layers, steps),
        "title": f"{layers} stacked LSTM layers unrolled over time",
        "description": f"{layers} stacked LSTM layers over steps {', '.join(times)}: states "
                       "flow right within a layer, h flows up from each layer into the one "
                       "above.",
        "max_unit": 2.6,
        "min_width": _min_width(last_x + 2 * BLOCK_WIDTH, STACKED_MIN_UNIT),
        "nodes": nodes,
        "wires": wires,
        "labels": labels,
        "equations": [
            {"text": r"$(h^{(l)}_t, C^{(l)}_t) = \mathrm{LSTM}^{(l)}"
                     r"(h^{(l-1)}_t, h^{(l)}_{t-1}, C^{(l)}_{t-1})$"},
            {"text": rf"$h^{{(0)}}_t = x_t, \quad l = 1, \ldots, {layers}$"},
        ],
    }
