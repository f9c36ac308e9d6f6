"""Roles: what an element of a figure *is*, never how it looks.

A theme gives each role its look through the order of ``axes.prop_cycle`` in its style
sheet: entry ``ROLES.index(role)`` of the cycle holds the role's ``color``, ``linestyle``
and ``linewidth``.  Aliases let other cells reuse a look with their own name
(a GRU's reset gate looks like an LSTM's forget gate).  No matplotlib import here: specs
are validated without it.
"""

from __future__ import annotations

#: Role order = index into the theme's ``axes.prop_cycle``.  Append only: reordering
#: would silently recolour every user's figures.
ROLES: tuple[str, ...] = (
    "cell_state",     # C_t and its wires
    "hidden_state",   # h_t and its wires
    "input",          # x_t
    "forget_gate",    # f_t
    "input_gate",     # i_t
    "candidate",      # candidate cell state C~_t (tanh layer)
    "output_gate",    # o_t
    "operation",      # pointwise operations (x, +, tanh, 1-)
)

#: Other names for the same looks.
ROLE_ALIASES: dict[str, str] = {
    "reset_gate": "forget_gate",
    "update_gate": "input_gate",
    "layer": "candidate",
    "peephole": "cell_state",
    "gate_recurrence": "operation",
    "output": "hidden_state",
}

ALL_ROLES: tuple[str, ...] = ROLES + tuple(ROLE_ALIASES)


def role_index(role: str) -> int:
    """Index of ``role`` (or its alias) in the theme's property cycle."""
    return ROLES.index(ROLE_ALIASES.get(role, role))
