"""The LSTM unrolled over time, generated as data: 1 to 4 layers, 2 to 5 time steps.

:func:`stacked_chain` writes the chain in the TOML shape: every cell a block on the unrolled
grid (one row per layer, one column per step), each layer passing C and h along in time and
h up into the layer above.  Only the grid is pinned: the blocks, the terminals where a
layer's states enter and leave, and the outputs above the top row.  Everything else is laid
out by :func:`lstmfigs.diagram.arrange.arrange` at the theme's text size: the inputs x below
their columns, every wire's sides and route, the labels of the states beside their wires,
and the scale.  The grid is measured in diagram units of ``UNIT_EM`` em, so it has the same
proportions to its text in every theme; a page too small for it (a 16:9 slide with three or
more layers) is a :class:`~lstmfigs.errors.LayoutError` naming the size it needs.

The spec ends in :meth:`DiagramSpec.from_dict`, so a generated chain is validated exactly
like a user's TOML file, and ``lstmfigs spec lstm-chain --layers 3 --steps 4`` prints it.
The steps are centred on t: t-1 and t at 2 steps, t-1, t and t+1 at 3, t-2 ... t+1 at 4,
t-2 ... t+2 at 5.  Nothing here imports matplotlib.
"""

from __future__ import annotations

from typing import Any

from ..diagram.arrange import UNIT_EM
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

#: The recurrence, which is the chain's equations panel.
ONE_LAYER_EQUATION = r"$(h_t, C_t) = \mathrm{LSTM}(x_t, h_{t-1}, C_{t-1})$"
STACKED_EQUATIONS = (r"$(h^{(l)}_t, C^{(l)}_t) = \mathrm{LSTM}^{(l)}"
                     r"(h^{(l-1)}_t, h^{(l)}_{t-1}, C^{(l)}_{t-1})$",
                     r"$h^{{(0)}}_t = x_t, \quad l = 1, \ldots, {layers}$")

# The grid, in diagram units (one unit is UNIT_EM = 3 em of the theme's text at the natural
# scale, so these hold in every theme).  A block holds "LSTM^(4)" with room to spare; the
# gap between two blocks of a layer holds a state's label (C^(4)_{t+1}, about 0.8 units)
# between the arrowhead and the block; the gap between layers holds the label beside the
# riser of h; C enters and leaves PORT_INSET below a block's top, h as far above its bottom.
BLOCK_WIDTH = 2.6
BLOCK_HEIGHT = 2.0
PORT_INSET = 0.45
GAP_ACROSS = 2.2
GAP_UP = 1.7
#: How far the terminals outside the grid stand from the blocks.
STUB = 1.0
#: The largest font of a column theme (9 pt) and the unit at the natural scale in em: the
#: spec's ``min_width`` widens a column figure to the chain's legible minimum, as the
#: layout computes it, in every column theme (a slide cannot widen: see the module text).
COLUMN_FONT_IN = 9 / 72
#: Page margin and terminal labels beyond the grid, inches (kept generous: min_width only
#: has to be at least what the layout needs).
MIN_WIDTH_SLACK_IN = 0.5

Table = dict[str, Any]


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


def _times(steps: int) -> list[str]:
    """The time of each step, centred on t: ``["t-1", "t", "t+1"]``."""
    first = -(steps // 2)
    return [f"t{offset:+d}" if offset else "t" for offset in range(first, first + steps)]


def chain_title(layers: int) -> str:
    """The chain's title (the catalog's line for ``lstm-chain`` is the one-layer one).

    Parameters
    ----------
    layers : int

    Returns
    -------
    str
    """
    if layers == 1:
        return "An LSTM unrolled over time: the same cell at every step, passing C and h on"
    return f"{layers} stacked LSTM layers unrolled over time"


def _block(layer: int, layers: int, k: int, x: float, y: float) -> Table:
    """Cell ``k`` of ``layer``: a block with the ports where C and h enter and leave."""
    c_y, h_y = _state_ys(y)
    label = "LSTM" if layers == 1 else f"LSTM$^{{({layer})}}$"
    return {"id": f"cell_{layer}_{k}", "kind": "block", "at": [x, y],
            "size": [BLOCK_WIDTH, BLOCK_HEIGHT], "label": label,
            "ports": [{"name": name, "side": side, "at": port_y}
                      for name, side, port_y in (("c_in", "w", c_y), ("c_out", "e", c_y),
                                                 ("h_in", "w", h_y), ("h_out", "e", h_y))]}


def _state_ys(y: float) -> tuple[float, float]:
    """The heights of a block's C and h ports, for a block centred at height ``y``."""
    return y + BLOCK_HEIGHT / 2 - PORT_INSET, y - BLOCK_HEIGHT / 2 + PORT_INSET


def _symbol(symbol: str, layer: int, layers: int, time: str) -> str:
    """``C_{t-1}`` in one layer, ``C^{(2)}_{t-1}`` in a stack."""
    sup = "" if layers == 1 else f"^{{({layer})}}"
    return f"${symbol}{sup}_{{{time}}}$"


def stacked_chain(layers: int, steps: int) -> dict[str, Any]:
    """The chain of ``layers`` LSTM layers over ``steps`` time steps, as plain data.

    Parameters
    ----------
    layers : int
        Stacked layers (1 to 4).
    steps : int
        Time steps (2 to 5).

    Returns
    -------
    dict
        A spec in the TOML shape (:meth:`DiagramSpec.from_dict` validates it); only the
        grid is pinned, the rest is arranged at the theme's text size.
    """
    times = _times(steps)
    across, up = BLOCK_WIDTH + GAP_ACROSS, BLOCK_HEIGHT + GAP_UP
    left, right = -BLOCK_WIDTH / 2 - STUB, across * (steps - 1) + BLOCK_WIDTH / 2 + STUB
    nodes: list[Table] = []
    wires: list[Table] = []
    for layer in range(1, layers + 1):
        y = up * (layer - 1)
        c_y, h_y = _state_ys(y)
        nodes += [_block(layer, layers, k, across * k, y) for k in range(steps)]
        nodes += [{"id": f"{state}_{end}_{layer}", "kind": "terminal", "at": [x, state_y],
                   "role": role, "label_side": "left" if end == "in" else "right"}
                  for end, x in (("in", left), ("out", right))
                  for state, state_y, role in (("c", c_y, "cell_state"),
                                               ("h", h_y, "hidden_state"))]
        first, last = f"cell_{layer}_0", f"cell_{layer}_{steps - 1}"
        wires += [{"from": f"c_in_{layer}", "to": f"{first}.c_in", "role": "cell_state"},
                  {"from": f"h_in_{layer}", "to": f"{first}.h_in", "role": "hidden_state"}]
        for k in range(steps - 1):
            wires += [{"from": f"cell_{layer}_{k}.{state}_out",
                       "to": f"cell_{layer}_{k + 1}.{state}_in", "role": role,
                       "label": _symbol(symbol, layer, layers, times[k])}
                      for state, symbol, role in (("c", "C", "cell_state"),
                                                  ("h", "h", "hidden_state"))]
        wires += [{"from": f"{last}.c_out", "to": f"c_out_{layer}", "role": "cell_state"},
                  {"from": f"{last}.h_out", "to": f"h_out_{layer}", "role": "hidden_state"}]
    top = up * (layers - 1) + BLOCK_HEIGHT / 2 + STUB
    for k, time in enumerate(times):
        # x_k is placed (below its column, by its label side); the outputs above the top
        # row are pinned to their columns.
        nodes += [{"id": f"x_{k}", "kind": "terminal", "label": f"$x_{{{time}}}$",
                   "role": "input", "label_side": "below"},
                  {"id": f"h_top_{k}", "kind": "terminal", "at": [across * k, top],
                   "label": _symbol("h", layers, layers, time), "role": "hidden_state",
                   "label_side": "above"}]
        wires.append({"from": f"x_{k}", "to": f"cell_1_{k}.s", "role": "input"})
        wires += [{"from": f"cell_{layer}_{k}.n", "to": f"cell_{layer + 1}_{k}.s",
                   "role": "hidden_state", "label": _symbol("h", layer, layers, time)}
                  for layer in range(1, layers)]
        wires.append({"from": f"cell_{layers}_{k}.n", "to": f"h_top_{k}.s",
                      "role": "hidden_state"})
    equations = ([ONE_LAYER_EQUATION] if layers == 1
                 else [STACKED_EQUATIONS[0], STACKED_EQUATIONS[1].format(layers=layers)])
    flow = ("C and h flow from one step to the next" if layers == 1 else
            "states flow right within a layer, h flows up from each layer into the one above")
    return {
        "name": chain_name(layers, steps),
        "title": chain_title(layers),
        "description": f"{layers} LSTM layer{'s' if layers > 1 else ''} over steps "
                       f"{', '.join(times)}: {flow}.",
        "min_width": round((right - left) * UNIT_EM * COLUMN_FONT_IN + MIN_WIDTH_SLACK_IN, 2),
        "nodes": nodes,
        "wires": wires,
        "regions": [],
        "equations": [{"text": text} for text in equations],
    }
