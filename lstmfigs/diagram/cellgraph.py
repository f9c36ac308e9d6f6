"""A cell definition as a diagram: its equations become nodes and wires, without coordinates.

:func:`cell_spec` reads a :class:`~lstmfigs.cells.Cell` and writes the spec of its diagram in
Olah's notation; :mod:`lstmfigs.diagram.arrange` then places and routes it at the theme's
text size.  How an equation becomes elements:

- A *layer* (a box) is an affine map of signals through weight matrices (``W @ [h_prev, x]
  + b``), with the activation around it as its label (σ, tanh, exp; ``linear`` when there
  is none).  Signals a weight matrix multiplies enter it from the input bus: two or more
  (``h_prev`` and ``x``) through one concatenation point shared by every layer that sees
  the same ones.  Any other signal in the layer's argument (a peephole's ``c_prev``, a
  GRU's reset gate) enters it directly.  A concatenation holding all of another's signals
  and more (FGR's ``u = [h_prev, x, i_prev, f_prev, o_prev]`` around ``[h_prev, x]``) is
  drawn as the smaller one's bus and the rest entering beside it.
- States a layer computes whose previous values only enter concatenations (FGR's gates,
  carried to the next step) enter as one bundled terminal, ``[i, f, o]_{t-1}`` with the
  id ``i-f-o_prev`` (:data:`BUNDLE_JOIN`), and leave as their layers' labelled wires, as
  in Greff et al.'s figure: three more terminals and their wires across the cell would
  say nothing the bundle does not.
- Everything else is *pointwise*: a product, sum, difference or quotient of signals is a
  circle (``×``, ``+``, ``−``, ``÷``; chains of ``+`` or ``×`` are one circle); a function
  of a signal is a circle or pill with the function's name; a constant or a parameter
  combined with one signal folds into a one-input operation (``1−``, ``×8``, ``−β``).
- Inputs enter from below, each state's previous value from the left; each state leaves to
  the right, and the output also upward.
- Wires leaving a layer are labelled with its quantity (``f_t``); each element carries the
  highlight steps (:func:`lstmfigs.cells.steps.derive_steps`) that compute it.

Roles come from names where a name is conventional (``f`` is a forget gate, ``c`` the cell
state) and otherwise from what a quantity is: the output state is the hidden state, the
first other state the cell state, further states get roles of their own (``n_state``, drawn
like the cell state's with the theme's derived look); sigmoid layers take the gate roles in
turn, other layers the candidate's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..cells.definition import PREV, Cell
from ..cells.equations import (
    BEFORE,
    FUNCTION_NAMES,
    FUNCTION_TEMPLATES,
    NOW,
    base_symbol,
    panel,
    typeset,
    with_time,
)
from ..cells.steps import derive_steps
from ..cells.syntax import BinOp, Call, Concat, Expr, Name, Neg, walk
from ..errors import DefinitionError
from .spec import DiagramSpec, Equation, LegendEntry, Node, Region, Wire, validate

#: Conventional names and the roles they take (when the quantity is a layer's output).
NAME_ROLES = {"f": "forget_gate", "i": "input_gate", "o": "output_gate", "r": "reset_gate",
              "z": "update_gate", "g": "candidate"}
#: Roles of carried states (a layer computing one is drawn with the layer look).
STATE_ROLES = ("cell_state", "hidden_state")
#: The roles sigmoid layers without a conventional name take, in turn.
GATE_ROLES = ("forget_gate", "input_gate", "output_gate")
#: Labels of pointwise operations.
OPERATOR_LABELS = {"*": r"$\times$", "+": "$+$", "-": "$-$", "/": r"$\div$", "@": r"$\cdot$"}
FUNCTION_LABELS = {**{name: f"${text}$" for name, text in FUNCTION_NAMES.items()},
                   "sqrt": r"$\sqrt{\cdot}$", "abs": r"$|\cdot|$", "outer": r"$\otimes$"}
#: How an operation is named in element ids (``c_mul1``).
OPERATOR_WORDS = {"*": "mul", "+": "add", "-": "sub", "/": "div", "@": "dot", "**": "pow"}
LEGEND = (("layer", "Neural network layer"), ("operation", "Pointwise operation"),
          ("transfer", "Vector transfer"), ("concatenate", "Concatenate"), ("copy", "Copy"))


@dataclass
class _Element:
    """A node being built: what it is and which equations own it."""

    node: Node
    owners: set[str] = field(default_factory=set)


@dataclass
class _Link:
    """A wire being built, with the equations that own it (lit when one of them is)."""

    source: str
    target: str
    role: str
    owners: set[str]
    label: str = ""


class _Builder:
    """Translates a cell's equations into elements, one equation at a time."""

    def __init__(self, cell: Cell):
        self.cell = cell
        self.elements: dict[str, _Element] = {}
        self.links: list[_Link] = []
        #: Signal name (``x``, ``c_prev``, ``f``) -> the id of the node whose output it is.
        self.source: dict[str, str] = {}
        #: Node id -> the role of what leaves it.
        self.out_role: dict[str, str] = {}
        self.roles = self._roles()
        self.concats: dict[tuple[str, ...], str] = {}
        self.counts: dict[str, int] = {}
        #: States drawn as one bundle (FGR's gates): their terminal's id -> the states.
        self.bundles: dict[str, tuple[str, ...]] = {}

    # -- roles ---------------------------------------------------------------------------
    def _roles(self) -> dict[str, str]:
        cell = self.cell
        roles = {name: "input" for name in cell.inputs}
        # A state computed by a layer (FGR's gates, carried to the next step) is a gate.
        others = [s for s in cell.states
                  if s != cell.output and not _is_layer(cell, cell.equation(s).expr)]
        roles[cell.output] = "hidden_state"
        for index, state in enumerate(others):
            roles[state] = "cell_state" if index == 0 else own_role(state)
        free_gates = [r for r in GATE_ROLES]
        for name in cell.quantities:
            if name in roles:
                continue
            expr = cell.equation(name).expr
            if not _is_layer(cell, expr):
                continue
            activation = expr.func if isinstance(expr, Call) else None
            if name in NAME_ROLES:
                roles[name] = NAME_ROLES[name]
            elif activation in ("sigmoid", "hard_sigmoid") and free_gates:
                roles[name] = free_gates.pop(0)
            else:
                roles[name] = "candidate"
            if roles[name] in free_gates:
                free_gates.remove(roles[name])
        return roles

    def role_of(self, name: str) -> str:
        """The role of signal ``name`` (``c_prev`` is ``c``'s)."""
        base = name[:-len(PREV)] if name.endswith(PREV) else name
        return self.roles.get(base, self.out_role.get(self.source.get(name, ""), "operation"))

    # -- elements ------------------------------------------------------------------------
    def add(self, node: Node, owner: str | None) -> str:
        element = self.elements.setdefault(node.id, _Element(node))
        if owner is not None:
            element.owners.add(owner)
        return node.id

    def fresh(self, stem: str) -> str:
        """A new id ``stem``, ``stem2``, ... not yet used."""
        count = self.counts.get(stem, 0)
        while True:
            count += 1
            candidate = stem if count == 1 else f"{stem}{count}"
            if candidate not in self.elements and candidate not in self.cell.shapes:
                self.counts[stem] = count
                return candidate

    def link(self, signal_node: str, target: str, owners: set[str], role: str,
             label: str = "") -> None:
        self.links.append(_Link(signal_node, target, role, set(owners), label))

    # -- terminals -----------------------------------------------------------------------
    def terminals(self) -> None:
        cell = self.cell
        used = {name for eq in cell.equations for name in _names(eq.expr)}
        for name in cell.inputs:
            self.add(Node(id=name, kind="terminal", label=f"${symbol(cell, name)}$",
                          role=self.roles[name], label_side="below"), None)
            self.source[name] = name
            self.out_role[name] = self.roles[name]
        carried = _carried_gates(cell)
        if len(carried) > 1:
            node_id = BUNDLE_JOIN.join(carried) + PREV
            parts = ", ".join(base_symbol(cell, state) for state in carried)
            self.add(Node(id=node_id, kind="terminal",
                          label=f"${with_time(f'[{parts}]', BEFORE)}$", role="input",
                          label_side="below"), None)
            self.bundles[node_id] = carried
            self.out_role[node_id] = "input"
            for state in carried:
                self.source[state + PREV] = node_id
        for state in cell.states:
            previous = state + PREV
            if previous in used and previous not in self.source:
                self.add(Node(id=previous, kind="terminal", label=f"${symbol(cell, previous)}$",
                              role=self.roles[state], label_side="left"), None)
                self.source[previous] = previous
                self.out_role[previous] = self.roles[state]

    def outputs(self) -> None:
        cell = self.cell
        bundled = {state for states in self.bundles.values() for state in states}
        # A bundled state's new value is its layer's output, labelled on its wire: it
        # leaves with the bundle that enters the next step, as in Greff et al.'s figure.
        leaving = [s for s in cell.states if s not in bundled] + \
            ([] if cell.output in cell.states else [cell.output])
        for name in leaving:
            # A state leaves to the next step; an output that is not a state (S6's y) leaves
            # to the right as well, and the output also upward.
            ends = [(f"{name}_next" if name in cell.states else f"{name}_out", "right")]
            if name == cell.output:
                ends.append((f"{name}_up", "above"))
            for node_id, side in ends:
                self.add(Node(id=node_id, kind="terminal", label=f"${symbol(cell, name)}$",
                              role=self.roles[name], label_side=side), name)
                self.link(self.source[name], node_id, {name}, self.roles[name])

    # -- equations -----------------------------------------------------------------------
    def equation(self, target: str) -> None:
        expr = self.cell.equation(target).expr
        if isinstance(expr, Name):  # an alias (JANET's h = c): the same signal
            self.source[target] = self.source[expr.name]
            return
        node_id = self.build(expr, target, top=True)
        self.source[target] = node_id
        self.out_role[node_id] = self.role_of(target) if target in self.roles \
            else self.out_role.get(node_id, "operation")

    def build(self, expr: Expr, target: str, top: bool = False) -> str:
        """The node computing ``expr`` (part of ``target``'s equation); its inputs wired."""
        cell = self.cell
        if isinstance(expr, Name):
            return self.source[expr.name]
        if _is_layer(cell, expr):
            return self.layer(expr, target, top)
        if isinstance(expr, Concat):
            return self.concat(tuple(self.build(item, target) for item in expr.items
                                     if _signals(cell, item)), target)
        operands: list[Expr]
        if isinstance(expr, Neg):
            label, word, operands = "$-$", "neg", [expr.operand]
        elif isinstance(expr, Call):
            label, word, operands = FUNCTION_LABELS[expr.func], expr.func, list(expr.args)
            constants = [a for a in operands if not _signals(cell, a)]
            if constants:  # maximum(n, 1): the constant is part of the operation
                shown = [typeset(cell, a) if a in constants else r"\cdot" for a in operands]
                label = "$" + (FUNCTION_TEMPLATES[expr.func].format(*shown)
                               if expr.func in FUNCTION_TEMPLATES else
                               FUNCTION_NAMES[expr.func] + "(" + ", ".join(shown) + ")") + "$"
                operands = [a for a in operands if a not in constants]
        elif not isinstance(expr, BinOp):
            raise DefinitionError(f"cell '{cell.name}': {target}'s equation has a constant "
                                  "term that no signal flows through; it cannot be drawn")
        elif expr.op in "+*" and any(not _signals(cell, a) for a in _chain(expr)) \
                and sum(bool(_signals(cell, a)) for a in _chain(expr)) > 1:
            # 8 * a * h_prev: the product of the signals, then the constant factor.
            factors = list(_chain(expr))
            constant = _rebuild(expr.op, [a for a in factors if not _signals(cell, a)])
            inner = self.build(_rebuild(expr.op, [a for a in factors if _signals(cell, a)]),
                               target)
            text = typeset(cell, constant)
            label = rf"${text}\,\times$" if expr.op == "*" else f"$+{text}$"
            return self.operation(label, OPERATOR_WORDS[expr.op], [inner], target, top)
        else:
            folded = self.folded(expr)
            if folded is not None:
                label, operand = folded
                word, operands = OPERATOR_WORDS[expr.op], [operand]
            else:
                label, word = OPERATOR_LABELS[expr.op], OPERATOR_WORDS[expr.op]
                operands = list(_chain(expr)) if expr.op in "+*" else [expr.left, expr.right]
        return self.operation(label, word, [self.build(operand, target) for operand in operands],
                              target, top)

    def operation(self, label: str, word: str, inputs: list[str], target: str,
                  top: bool) -> str:
        """A pointwise operation on the outputs of ``inputs``, wired; its id."""
        node_id = target if top and target not in self.elements else self.fresh(
            f"{target}_{word}")
        role = _result_role([self.out_role.get(i, "operation") for i in inputs],
                            [self._is_state_signal(i) for i in inputs])
        self.add(Node(id=node_id, kind="op", label=label, role="operation"), target)
        self.out_role[node_id] = self.roles.get(target, role) if top else role
        for source in inputs:
            self.link(source, node_id, {target}, self.out_role.get(source, "operation"))
        return node_id

    def folded(self, expr: BinOp) -> tuple[str, Expr] | None:
        """A constant or parameter combined with one signal: (label, the signal's expr)."""
        cell = self.cell
        left_const = not _signals(cell, expr.left)
        right_const = not _signals(cell, expr.right)
        if expr.op == "**":
            return rf"$(\cdot)^{{{typeset(cell, expr.right)}}}$", expr.left
        if left_const and not right_const:
            text = typeset(cell, expr.left)
            symbol_ = {"*": r"\times", "+": "+", "-": "-", "/": "/", "@": r"\,"}[expr.op]
            return f"${text}{symbol_}$" if expr.op != "*" else rf"${text}\,\times$", expr.right
        if right_const and not left_const:
            text = typeset(cell, expr.right)
            symbol_ = {"*": r"\times ", "+": "+", "-": "-", "/": "/", "@": r"\,"}[expr.op]
            return f"${symbol_}{text}$", expr.left
        return None

    def layer(self, expr: Expr, target: str, top: bool) -> str:
        cell = self.cell
        activation = expr.func if isinstance(expr, Call) else None
        argument = expr.args[0] if isinstance(expr, Call) else expr
        label = f"${FUNCTION_NAMES[activation]}$" if activation else r"$\mathrm{linear}$"
        node_id = target if top else self.fresh(f"{target}_layer")
        role = self.roles.get(target, "candidate") if top else "candidate"
        # A layer computing a state (the RNN's h) looks like a layer; its output wire
        # carries the state's look.
        look = "candidate" if target in cell.states and role in STATE_ROLES else role
        self.add(Node(id=node_id, kind="gate", label=label, role=look), target)
        self.out_role[node_id] = role
        parts = _multiplied(cell, argument)
        # What a weight matrix multiplies: a signal, or a pointwise expression of signals
        # (MGU's f * h_prev, drawn as its own operation before the layer).
        members = tuple(dict.fromkeys(
            self.source[part.name] if isinstance(part, Name) else self.build(part, target)
            for part in parts))
        multiplied = {n for part in parts for n in _signals(cell, part)}
        side = [n for n in _names(argument)
                if not cell.is_parameter(n) and n not in multiplied]
        if len(members) > 1:
            bus = self.concat(members, target)
            self.link(bus, node_id, {target}, "input")
        for member in members if len(members) == 1 else ():
            self.link(member, node_id, {target}, self.out_role.get(member, "operation"))
        for name in side:
            self.link(self.source[name], node_id, {target}, self.role_of(name))
        return node_id

    def concat(self, members: tuple[str, ...], owner: str) -> str:
        """The concatenation point of the outputs of nodes ``members`` (one per set,
        shared by every layer that multiplies the same ones)."""
        order: dict[str, int] = {}
        for k, n in enumerate(self._signal_order()):
            order.setdefault(self.source.get(n, n), k)
        key = tuple(sorted(dict.fromkeys(members), key=lambda n: order.get(n, len(order))))
        if key not in self.concats:
            node_id = self.fresh("concat")
            self.concats[key] = node_id
            self.add(Node(id=node_id, kind="concat", role="input"), None)
            self.out_role[node_id] = "input"
            for member in key:
                self.link(member, node_id, set(), self.out_role.get(member, "operation"))
        node_id = self.concats[key]
        self.elements[node_id].owners.add(owner)
        for link in self.links:
            if link.target == node_id:
                link.owners.add(owner)
        return node_id

    def nest_concats(self) -> None:
        """A concatenation holding all of another's signals and more (FGR's
        ``[h_prev, x, [i, f, o]_prev]`` around ``[h_prev, x]``) is not drawn: the layers it
        fed take the smaller one's bus and, beside it, the rest of the signals (their own
        concatenation if several).  Two points fed by the same signals would fork each."""
        members = {node_id: key for key, node_id in self.concats.items()}
        for outer in sorted(members, key=lambda n: (-len(members[n]), n)):
            inner = max((m for m in members if m in self.elements and m != outer
                         and len(members[m]) < len(members[outer])
                         and set(members[m]) <= set(members[outer])),
                        key=lambda m: len(members[m]), default=None)
            if inner is None or outer not in self.elements:
                continue
            rest = tuple(m for m in members[outer] if m not in members[inner])
            owners = sorted(self.elements[outer].owners)
            rest_node = rest[0] if len(rest) == 1 else self.concat(rest, owners[0])
            fed = [link for link in self.links if link.source == outer]
            self.links = [link for link in self.links if outer not in (link.source, link.target)]
            for link in fed:
                for source in (inner, rest_node):
                    self.link(source, link.target, link.owners,
                              self.out_role.get(source, link.role))
            for owner in owners:
                self.concat(members[inner], owner)
                if len(rest) > 1:
                    self.concat(rest, owner)
            del self.elements[outer], self.concats[members[outer]]
            self.source = {name: node for name, node in self.source.items() if node != outer}

    def _signal_order(self) -> list[str]:
        cell = self.cell
        return [s + PREV for s in cell.states] + list(cell.inputs) + list(cell.quantities)

    def _is_state_signal(self, node_id: str) -> bool:
        cell = self.cell
        return any(self.source.get(s + PREV) == node_id or self.source.get(s) == node_id
                   for s in cell.states)


#: Joins the states of a bundle in its terminal's id (``i-f-o_prev``): a definition's
#: names never hold it.
BUNDLE_JOIN = "-"


def _carried_gates(cell: Cell) -> tuple[str, ...]:
    """The states a layer computes (FGR's gates, carried to the next step) whose previous
    values are used only as items of concatenations, always all of them together, and
    whose values feed something within the step (that is where their labels are drawn):
    drawn as one bundle.  None, unless at least two qualify."""
    in_concats: set[str] = set()
    elsewhere: set[str] = set()
    used: set[str] = set()
    concats: list[set[str]] = []
    for equation in cell.equations:
        items = [item for e in walk(equation.expr) if isinstance(e, Concat)
                 for item in e.items if isinstance(item, Name)]
        concats += [{item.name for item in e.items if isinstance(item, Name)}
                    for e in walk(equation.expr) if isinstance(e, Concat)]
        # Each use on its own: f_{t-1} both in [h, x, f_{t-1}] and outside it is a use
        # elsewhere.
        for e in walk(equation.expr):
            if isinstance(e, Name):
                (in_concats if any(e is item for item in items) else elsewhere).add(e.name)
                if e.name != equation.target:
                    used.add(e.name)
    bundle = {s for s in cell.states
              if s != cell.output and _is_layer(cell, cell.equation(s).expr)
              and s + PREV in in_concats and s + PREV not in elsewhere and s in used}
    prevs = {s + PREV for s in bundle}
    if len(bundle) < 2 or any(prevs & names and not prevs <= names for names in concats):
        return ()
    return tuple(s for s in cell.states if s in bundle)


def own_role(state: str) -> str:
    """The role of a further state ``state`` (a normaliser ``n``): ``n_state``."""
    return f"{state}_state"


def symbol(cell: Cell, name: str) -> str:
    """``name`` typeset with its time index (``C_{t-1}``, ``x_t``)."""
    if name.endswith(PREV):
        return with_time(base_symbol(cell, name[:-len(PREV)]), BEFORE)
    return with_time(base_symbol(cell, name), NOW)


def _names(expr: Expr) -> list[str]:
    return list(dict.fromkeys(e.name for e in walk(expr) if isinstance(e, Name)))


def _signals(cell: Cell, expr: Expr) -> list[str]:
    return [n for n in _names(expr) if not cell.is_parameter(n)]


def _chain(expr: BinOp) -> Iterator[Expr]:
    """The operands of a chain of the same associative operation: a + b + c."""
    for side in (expr.left, expr.right):
        if isinstance(side, BinOp) and side.op == expr.op:
            yield from _chain(side)
        else:
            yield side


def _rebuild(op: str, operands: list[Expr]) -> Expr:
    """``operands`` joined by ``op`` (left to right), as the parser would build them."""
    joined = operands[0]
    for operand in operands[1:]:
        joined = BinOp(op, joined, operand, operand.where)
    return joined


def _matmuls(expr: Expr) -> Iterator[BinOp]:
    for item in walk(expr):
        if isinstance(item, BinOp) and item.op == "@":
            yield item


def _multiplied(cell: Cell, expr: Expr) -> list[Expr]:
    """What the weight matrices in ``expr`` multiply, in order: the items of a concatenation
    (``[h_prev, x]``) or the whole right operand, leaving out constants."""
    found: list[Expr] = []
    for product in _matmuls(expr):
        if _signals(cell, product.left):
            continue
        items = product.right.items if isinstance(product.right, Concat) else (product.right,)
        found += [item for item in items if _signals(cell, item) and item not in found]
    return found


def _is_layer(cell: Cell, expr: Expr) -> bool:
    """An affine map through a weight matrix, bare or inside one activation."""
    if isinstance(expr, Call) and len(expr.args) == 1 and expr.func in FUNCTION_NAMES:
        expr = expr.args[0]
    if isinstance(expr, BinOp) and expr.op == "@":
        return not _signals(cell, expr.left)
    if isinstance(expr, BinOp) and expr.op in "+-":
        return any(not _signals(cell, product.left) for product in _direct_matmuls(expr))
    return False


def _direct_matmuls(expr: BinOp) -> Iterator[BinOp]:
    """The weight products among the terms of a sum: ``W @ x`` in ``W @ x + b``."""
    for term in _chain(expr) if expr.op == "+" else (expr.left, expr.right):
        if isinstance(term, BinOp) and term.op == "@":
            yield term
        elif isinstance(term, BinOp) and term.op in "+-":
            yield from _direct_matmuls(term)


def _result_role(roles: list[str], states: list[bool]) -> str:
    """What an operation's result looks like: the state it updates (``f * c_prev`` is on
    the cell state's rail), else its last operand (``i * g`` is the candidate's)."""
    for role, is_state in zip(roles, states, strict=True):
        if is_state:
            return role
    return roles[-1] if roles else "operation"


def cell_spec(cell: Cell, *, name: str = "", title: str = "") -> DiagramSpec:
    """The diagram of ``cell`` in Olah's notation, without coordinates.

    Parameters
    ----------
    cell : Cell
        The definition.
    name : str, optional
        The spec's name; by default ``CELL-cell``.
    title : str, optional
        The spec's title; by default the definition's.

    Returns
    -------
    DiagramSpec
        Nodes, wires, labels, the cell body, the legend, the equations panel and the
        highlight steps: everything but positions, which
        :func:`lstmfigs.diagram.arrange.arrange` adds at the theme's text size.
    """
    builder = _Builder(cell)
    builder.terminals()
    for index in cell.order:
        builder.equation(cell.equations[index].target)
    builder.nest_concats()
    builder.outputs()

    steps = derive_steps(cell)
    produced = {step.name: set(step.produced) for step in steps}
    lit_names = {step.name: set(step.lit) for step in steps}

    def lit(owners: set[str]) -> tuple[str, ...]:
        return tuple(s.name for s in steps if owners & produced[s.name])

    nodes = []
    for element in builder.elements.values():
        node = element.node
        if node.kind == "terminal" and node.id in builder.source.values() \
                and not element.owners:
            signals = {state + PREV for state in builder.bundles.get(node.id, ())} or {node.id}
            node_steps = tuple(s.name for s in steps if signals & lit_names[s.name])
        else:
            node_steps = lit(element.owners)
        nodes.append(_with_steps(node, node_steps))
    wires: list[Wire] = []
    labelled: set[str] = set()
    # The node computing each named quantity: wires leaving it carry the quantity's name.
    named = {node_id: q for q, node_id in builder.source.items() if q in cell.quantities
             and builder.elements[node_id].node.kind in ("gate", "op")}
    for link in builder.links:
        label = ""
        source = builder.elements[link.source].node
        quantity = named.get(link.source, "")
        drawn_leaving = quantity in cell.states and not any(
            quantity in states for states in builder.bundles.values())
        if quantity and not drawn_leaving and link.source not in labelled:
            label = f"${symbol(cell, quantity)}$"
            labelled.add(link.source)
        # A wire is lit with what it feeds and with what computes it (a gate's output).
        owners = link.owners or builder.elements[link.target].owners
        if source.kind == "gate":
            owners = owners | builder.elements[link.source].owners
        # Ids that survive arrangement (which adds ports to the ends a wire id is made of).
        wire_id = f"{link.source}-{link.target}"
        wire_id += str(sum(w.id.startswith(wire_id) for w in wires) or "")
        wires.append(Wire(source=link.source, target=link.target, role=link.role,
                          steps=lit(owners), label=label, id=wire_id))
    fan_out = any(sum(w.source == n.id for w in wires) > 1 for n in nodes)
    shown = {"layer": any(n.kind == "gate" for n in nodes),
             "operation": any(n.kind == "op" for n in nodes), "transfer": True,
             "concatenate": any(n.kind == "concat" for n in nodes), "copy": fan_out}
    legend = tuple(LegendEntry(kind, text) for kind, text in LEGEND if shown[kind])
    roles = tuple((own_role(s), "cell_state") for s in cell.states
                  if builder.roles[s] == own_role(s))
    spec = DiagramSpec(
        name=name or f"{cell.name}-cell", title=title or cell.title,
        cell=cell.name if _is_builtin(cell) else "", nodes=tuple(nodes), wires=tuple(wires),
        regions=(Region(id="cell"),), legend=legend,
        equations=tuple(Equation(text, tuple(steps_)) for text, steps_ in panel(cell)),
        steps=tuple(step.name for step in steps), roles=roles)
    return validate(spec)


def _is_builtin(cell: Cell) -> bool:
    """Whether ``cell`` is the built-in definition of its name (a spec may name those)."""
    from .. import cells

    return cell.name in cells.names() and cells.builtin(cell.name).source == cell.source


def _with_steps(node: Node, steps: tuple[str, ...]) -> Node:
    from dataclasses import replace

    return replace(node, steps=steps)


__all__ = ["BUNDLE_JOIN", "cell_spec", "own_role"]
