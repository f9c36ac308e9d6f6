"""LSTM variants as *edits* of a built-in spec: data, never drawing code.

Each variant is a :class:`~lstmfigs.diagram.edit.SpecEdit`: which elements of a base spec to
remove, which fields to change, what to add, and which cell definition the variant draws
(its equations panel and highlight steps come from that definition).  It is the same edit
a user's TOML spec makes with ``extends`` (:mod:`lstmfigs.diagram.edit` applies both).
``lstmfigs spec lstm-nig`` prints the full, edited spec: a user never sees edits.

The peephole LSTM (Gers & Schmidhuber 2000: the input and forget gates see ``c_{t-1}``, the
output gate sees ``c_t``) edits ``lstm-cell``.  The eight variants of Greff et al. (2017, "LSTM:
A Search Space Odyssey") edit the peephole LSTM, each with one change: NIG (no input gate,
i = 1), NFG (no forget gate, f = 1), NOG (no output gate, o = 1), NIAF (no input activation,
g is the identity), NOAF (no output activation, h = o * c), NP (no peepholes), CIFG (coupled
gates, f = 1 - i) and FGR (full gate recurrence: every gate also receives all gates' previous
activations).
"""

from __future__ import annotations

from typing import Any

from ..diagram.edit import SpecEdit

#: FGR's terminal for the gates' previous activations (the definition's u_t collects them).
PREVIOUS_GATES = "[i, f, o]_{t-1}"


# -- the peephole LSTM: lstm-cell plus three peephole connections -----------------------------
# C_{t-1} branches at peep_prev (before the forget product) down to the forget and input
# gates; C_t branches at peep_next (after the sum) down to the output gate, which moves
# right to make room for that wire beside the candidate's label.

PEEPHOLE = SpecEdit(
    name="lstm-peephole",
    base="lstm-cell",
    title="LSTM with peephole connections (Gers & Schmidhuber 2000)",
    description="Gers & Schmidhuber (2000): the input and forget gates also see C_{t-1}, "
                "the output gate sees C_t, through diagonal (elementwise) weights.",
    remove=("c_prev.e->forget_mul.w", "cell_add.e->cell_branch.w"),
    change={
        "c_prev": {"steps": ["forget", "input", "update"]},
        "output_gate": {"at": [9.4, 2.5]},
        # Labels a little clear of the nodes beside them: the longer equations panel
        # leaves the diagram less room on a slide, and nodes grow relative to it.
        "output_label": {"at": [9.15, 3.4], "ha": "right"},
        "input_mul": {"at": [6.8, 4.8]},
        "candidate_label": {"at": [7.05, 3.7]},
    },
    add={
        "nodes": (
            {"id": "peep_prev", "kind": "dot", "at": [1.8, 6.6], "role": "cell_state",
             "steps": ["forget", "input", "update"]},
            {"id": "peep_split", "kind": "dot", "at": [1.8, 3.4], "role": "peephole",
             "steps": ["forget", "input"]},
            {"id": "peep_next", "kind": "dot", "at": [8.3, 6.6], "role": "cell_state",
             "steps": ["update", "output"]},
        ),
        "wires": (
            {"from": "c_prev.e", "to": "peep_prev.w", "role": "cell_state",
             "steps": ["forget", "input", "update"]},
            {"from": "peep_prev.e", "to": "forget_mul.w", "role": "cell_state",
             "steps": ["forget", "update"]},
            {"id": "peephole_down", "from": "peep_prev.s", "to": "peep_split.n",
             "role": "peephole", "steps": ["forget", "input"]},
            {"id": "peephole_f", "from": "peep_split.s", "to": "forget_gate.w",
             "role": "peephole", "steps": ["forget"]},
            {"id": "peephole_i", "from": "peep_split.e", "to": "input_gate.w",
             "role": "peephole", "via": [[3.9, 3.4]], "steps": ["input"]},
            {"from": "cell_add.e", "to": "peep_next.w", "role": "cell_state",
             "steps": ["update", "output"]},
            {"from": "peep_next.e", "to": "cell_branch.w", "role": "cell_state",
             "steps": ["update", "output"]},
            {"id": "peephole_o", "from": "peep_next.s", "to": "output_gate.w",
             "role": "peephole", "steps": ["output"]},
        ),
    },
    cell="lstm-peephole",
)


def _greff(code: str, summary: str, **edit: Any) -> SpecEdit:
    return SpecEdit(name=f"lstm-{code.lower()}", base="lstm-peephole",
                    cell=f"lstm-{code.lower()}",
                    title=f"LSTM variant {code} (Greff et al. 2017): {summary.split(':')[0]}",
                    description=f"{code}: the peephole LSTM with {summary}.", **edit)


VARIANTS: tuple[SpecEdit, ...] = (
    PEEPHOLE,
    _greff(
        "NIG", "no input gate (i_t = 1): the candidate is added to the cell state unscaled",
        remove=("input_gate", "input_mul", "to_input", "input_label", "peep_split"),
        change={"c_prev": {"steps": ["forget", "update"]},
                "peep_prev": {"steps": ["forget", "update"]},
                "c_prev.e->peep_prev.w": {"steps": ["forget", "update"]}},
        add={"wires": (
            {"from": "to_forget.e", "to": "to_candidate.w", "role": "input",
             "steps": ["input", "output"]},
            {"from": "candidate.n", "to": "cell_add.s", "role": "candidate",
             "steps": ["input", "update"]},
            {"id": "peephole_f", "from": "peep_prev.s", "to": "forget_gate.w",
             "role": "peephole", "steps": ["forget"]},
        )},
    ),
    _greff(
        "NFG", "no forget gate (f_t = 1): the old cell state is kept whole",
        remove=("forget_gate", "forget_mul", "to_forget", "forget_label", "peep_split"),
        add={"wires": (
            {"from": "peep_prev.e", "to": "cell_add.w", "role": "cell_state",
             "steps": ["update"]},
            {"from": "concat.e", "to": "to_input.w", "role": "input",
             "steps": ["input", "output"]},
            {"id": "peephole_i", "from": "peep_prev.s", "to": "input_gate.w",
             "role": "peephole", "steps": ["input"]},
        )},
        drop_steps=("forget",),
    ),
    _greff(
        "NOG", "no output gate (o_t = 1): h_t = tanh(C_t)",
        remove=("output_gate", "output_mul", "output_label", "to_candidate", "peep_next"),
        add={"wires": (
            {"from": "to_input.e", "to": "candidate.s", "role": "input", "steps": ["input"]},
            {"from": "cell_add.e", "to": "cell_branch.w", "role": "cell_state",
             "steps": ["update", "output"]},
            {"from": "cell_tanh.s", "to": "hidden_branch.w", "role": "hidden_state",
             "steps": ["output"]},
        )},
    ),
    _greff(
        "NIAF", "no input activation function: the candidate is a linear layer",
        change={"candidate": {"label": "linear"}},
    ),
    _greff(
        "NOAF", "no output activation function: h_t = o_t * C_t",
        remove=("cell_tanh",),
        add={"wires": (
            {"from": "cell_branch.s", "to": "output_mul.n", "role": "cell_state",
             "steps": ["output"]},
        )},
    ),
    SpecEdit(
        name="lstm-np", base="lstm-cell",
        title="LSTM variant NP (Greff et al. 2017): no peepholes, the standard LSTM",
        description="NP: the peephole LSTM without peepholes, which is the standard LSTM "
                    "of lstm-cell (and of PyTorch).",
        cell="lstm-np",
    ),
    _greff(
        "CIFG", "coupled input and forget gates: f_t = 1 - i_t",
        remove=("forget_gate", "to_forget", "peep_split", "input_gate.n->input_mul.w"),
        change={
            "input_gate": {"steps": ["forget", "input"]},
            "to_input.n->input_gate.s": {"steps": ["forget", "input"]},
            # The 1- pill is wide at slide sizes: keep the peephole line clear of it, and
            # f_t above it.
            "peep_prev": {"at": [1.3, 6.6]},
            "forget_label": {"at": [3.05, 5.2]},
        },
        add={
            "nodes": (
                {"id": "one_minus", "kind": "op", "at": [2.8, 3.85], "label": "$1-$",
                 "steps": ["forget", "update"]},
                {"id": "input_branch", "kind": "dot", "at": [4.8, 3.85], "role": "input_gate",
                 "steps": ["forget", "input"]},
            ),
            "wires": (
                {"from": "concat.e", "to": "to_input.w", "role": "input",
                 "steps": ["forget", "input", "output"]},
                {"from": "input_gate.n", "to": "input_branch.s", "role": "input_gate",
                 "steps": ["forget", "input"]},
                {"from": "input_branch.n", "to": "input_mul.w", "role": "input_gate",
                 "steps": ["input"]},
                {"from": "input_branch.w", "to": "one_minus.e", "role": "input_gate",
                 "steps": ["forget"]},
                {"from": "one_minus.n", "to": "forget_mul.s", "role": "forget_gate",
                 "steps": ["forget", "update"]},
                {"id": "peephole_i", "from": "peep_prev.s", "to": "input_gate.w",
                 "role": "peephole", "steps": ["input"]},
            ),
        },
    ),
)

# FGR: the gates' previous activations enter from below right, on a bus under the gates
# that feeds each gate's east side.  It has to cross the three wires that carry
# [h_{t-1}, x_t] up into the gates: every gate sees every gate, so no planar drawing exists.
VARIANTS += (
    _greff(
        "FGR", "full gate recurrence: every gate also sees all gates' activations at t-1",
        add={
            "nodes": (
                {"id": "gates_prev", "kind": "terminal", "at": [11.2, -1.0],
                 "label": f"${PREVIOUS_GATES}$", "role": "gate_recurrence",
                 "label_side": "below", "steps": ["forget", "input", "output"]},
                {"id": "to_output_r", "kind": "dot", "at": [10.3, 1.7],
                 "role": "gate_recurrence", "steps": ["forget", "input", "output"]},
                {"id": "to_input_r", "kind": "dot", "at": [5.75, 1.7],
                 "role": "gate_recurrence", "steps": ["forget", "input"]},
            ),
            "wires": (
                {"from": "gates_prev.n", "to": "to_output_r.e", "role": "gate_recurrence",
                 "steps": ["forget", "input", "output"]},
                {"from": "to_output_r.n", "to": "output_gate.e", "role": "gate_recurrence",
                 "steps": ["output"]},
                {"from": "to_output_r.w", "to": "to_input_r.e", "role": "gate_recurrence",
                 "steps": ["forget", "input"]},
                {"from": "to_input_r.n", "to": "input_gate.e", "role": "gate_recurrence",
                 "steps": ["input"]},
                {"from": "to_input_r.w", "to": "forget_gate.e", "role": "gate_recurrence",
                 "via": [[3.75, 1.7]], "steps": ["forget"]},
            ),
        },
    ),
)
