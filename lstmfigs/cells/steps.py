"""A cell's highlight steps, derived from its definition.

A step explains some quantities: it lights their equations and the paths that produce them.
By default there is one step per gate and one per state update, in the definition's order,
each named after its quantity (the LSTM's ``f``, ``i``, ``o``, ``c``, ``h``).  A definition's
``[steps]`` table overrides that: the LSTM's four classic steps are

.. code-block:: toml

    [steps]
    forget = ["f"]
    input = ["i", "g"]
    update = ["c"]
    output = ["o", "h"]

A step lights its quantities and walks back along what they use, through quantities no
earlier step has explained, to the inputs and the states' previous values; a quantity an
earlier step explained is lit as an operand (where it enters), not produced again.  So the
LSTM's ``update`` lights ``c`` from ``f``, ``c_prev``, ``i`` and ``g`` without the gates'
layers, which ``forget`` and ``input`` showed.

A single derived step would light the whole cell (the vanilla RNN's ``h``): such a cell has
no steps, since a build of one step shows nothing the full figure does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from .definition import PREV, Cell


@dataclass(frozen=True)
class Step:
    """One highlight step of a cell.

    Attributes
    ----------
    name : str
        The step's name (``"forget"``; a derived step is named after its quantity).
    quantities : tuple of str
        The quantities it explains (its ``[steps]`` entry).
    produced : tuple of str
        The quantities it computes: its own and those on their paths that no earlier step
        explained.  Their equations are lit in the equations panel.
    lit : tuple of str
        Every name lit, in the order found: the quantities, the quantities, inputs and
        previous states (``h_prev``) on the paths producing them, and the operands that
        earlier steps explained.  Parameters are never lit (they are not signals).
    edges : tuple of (str, str)
        The dependencies lit, as ``(used, quantity)``: the wires of the step.
    """

    name: str
    quantities: tuple[str, ...]
    produced: tuple[str, ...]
    lit: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]


def default_steps(cell: Cell) -> dict[str, tuple[str, ...]]:
    """The steps a definition without ``[steps]`` gets: one per gate and per state update,
    in the definition's order, or none when that makes fewer than two.

    Parameters
    ----------
    cell : Cell
        The definition.

    Returns
    -------
    dict of str to tuple of str
        Step name (the quantity's name) to the quantity it explains.
    """
    chosen = [q for q in cell.quantities if q in cell.gates or q in cell.states]
    return {q: (q,) for q in chosen} if len(chosen) > 1 else {}


def derive_steps(cell: Cell) -> tuple[Step, ...]:
    """The highlight steps of ``cell``: its ``[steps]``, or :func:`default_steps`.

    Parameters
    ----------
    cell : Cell
        The definition.

    Returns
    -------
    tuple of Step
        In order; empty when the cell has no steps.
    """
    table = _table(cell)
    explained: set[str] = set()
    steps = []
    for name, quantities in table.items():
        steps.append(_step(cell, name, quantities, frozenset(explained)))
        explained.update(quantities)
    return tuple(steps)


def _table(cell: Cell) -> dict[str, tuple[str, ...]]:
    """The user's ``[steps]`` or the default ones."""
    return cell.steps if cell.steps is not None else default_steps(cell)


def _step(cell: Cell, name: str, quantities: tuple[str, ...], earlier: frozenset[str]) -> Step:
    defined = set(cell.quantities)
    own = tuple(dict.fromkeys(quantities))
    lit, produced = list(own), list(own)
    edges: list[tuple[str, str]] = []
    todo = list(own)
    while todo:
        quantity = todo.pop(0)
        for used in cell.dependencies(quantity):
            if cell.is_parameter(used):
                continue
            edges.append((used, quantity))
            if used in lit:
                continue
            lit.append(used)
            if used in defined and used not in earlier:
                produced.append(used)
                todo.append(used)
    return Step(name, own, tuple(produced), tuple(lit), tuple(dict.fromkeys(edges)))


def step_names(cell: Cell) -> tuple[str, ...]:
    """The names of ``cell``'s highlight steps, in order.

    Parameters
    ----------
    cell : Cell
        The definition.

    Returns
    -------
    tuple of str
    """
    return tuple(_table(cell))


def equation_steps(cell: Cell) -> dict[str, tuple[str, ...]]:
    """The steps in which each equation is lit: those that explain its quantity, or, for a
    quantity no step explains (the LSTM's candidate ``g`` by default, FGR's ``u``), those
    that produce it (see :attr:`Step.produced`).

    Parameters
    ----------
    cell : Cell
        The definition.

    Returns
    -------
    dict of str to tuple of str
        Every quantity (in the definition's order) to its steps, in step order (empty for
        a quantity no step computes).
    """
    steps = derive_steps(cell)
    explained = {q for step in steps for q in step.quantities}
    return {q: tuple(step.name for step in steps
                     if q in (step.quantities if q in explained else step.produced))
            for q in cell.quantities}


def is_previous(cell: Cell, name: str) -> bool:
    """Whether ``name`` is a state's value at t-1 (``c_prev``).

    Parameters
    ----------
    cell : Cell
        The definition.
    name : str
        A name its equations use.

    Returns
    -------
    bool
    """
    return name.endswith(PREV) and name[:-len(PREV)] in cell.states


__all__ = ["Step", "default_steps", "derive_steps", "equation_steps", "is_previous",
           "step_names"]
