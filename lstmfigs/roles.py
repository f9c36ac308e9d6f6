"""Roles: what an element of a figure *is*, never how it looks.

A theme's table (``styles/NAME.toml``, see :mod:`lstmfigs.themes`) gives each role of
:data:`ROLES` its ``color``, ``linestyle`` and ``linewidth``; :func:`lstmfigs.themes.role_style`
reads them by name.  Aliases let other cells reuse a look with their own name (a GRU's reset
gate looks like an LSTM's forget gate).  No matplotlib import here: specs are validated
without it.
"""

from __future__ import annotations

#: Every role a theme styles.  The order is that of the colour cycle the style sheets
#: generate from the tables (``axes.prop_cycle``), so a user's plot under a sheet draws its
#: first line in the cell state's colour: append only.
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


def canonical_role(role: str) -> str:
    """The role of :data:`ROLES` whose look ``role`` (a role or an alias) takes.

    Parameters
    ----------
    role : str

    Returns
    -------
    str
    """
    name = ROLE_ALIASES.get(role, role)
    if name not in ROLES:
        from .errors import UnknownNameError, did_you_mean

        raise UnknownNameError(f"unknown role '{role}'{did_you_mean(role, ALL_ROLES)}; "
                               f"roles: {', '.join(ALL_ROLES)}")
    return name
