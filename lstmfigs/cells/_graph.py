"""A cell's equations compiled into a graph of array operations, with exact local
derivatives: the engine of :mod:`lstmfigs.cells.simulate`.

Every equation of a :class:`~lstmfigs.cells.definition.Cell` becomes nodes of one graph
(shared sub-expressions once).  A node's value is *batched* when it depends on the step's
input or on a previous state: its array then has leading batch axes (``(B,)`` in a step,
``(T, B)`` for the whole sequence, ``(S, B)`` for Jacobian probes), followed by the node's
own shape (``()`` scalar, ``(n,)`` vector, ``(n, m)`` matrix).  Parameters and constants
are unbatched.

Each node belongs to one *phase*: ``static`` (parameters and what depends on them only:
computed once per call), ``hoisted`` (depends on the inputs but on no state: computed for
all steps at once, before the loop over time) or ``step`` (depends on a previous state:
computed step by step).  Three rewrites make the per-step work small, as in the
hand-fused LSTM:

* ``W @ [h_prev, x]`` with a parameter ``W`` is split by columns into ``W[:, :H] @ h_prev
  + W[:, H:] @ x``, and sums are reordered so that every term without a state is added
  first, in the hoisted phase: the input projection and the bias of all steps are one
  product before the loop.
* Products of parameters with the same operand (``W_f[:, :H] @ h_prev``, ``W_i[:, :H] @
  h_prev``, ...) are *fused*: one product with the stacked weights, whose rows the
  members read as views.  The gradient w.r.t. the operand is then one product too.
* Operations applied alike to adjacent rows of a fused product are *merged*: the four
  sums ``slice_k + bias_k`` become one sum with the stacked biases (a concatenation made
  before the loop), the three gates' sigmoids one sigmoid.  The members of a fused
  product are ordered so that those followed by the same operations are adjacent.
* Gradients w.r.t. parameters of step nodes are taken once over all steps after the loop
  (one product for a fused group), from the per-step gradients of those nodes.

All rules keep the dtype of their operands (numbers are cast to it), so float32 stays
float32.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..sim import _activations
from .syntax import BinOp, Call, Concat, Expr, Name, Neg, Number

if TYPE_CHECKING:
    from .definition import Cell

#: Binary operators of the syntax and their node operations.
BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul", "**": "pow"}
#: Operations whose backward rule reads their own output value.
READS_OUTPUT = ("sigmoid", "tanh", "exp", "sqrt", "div")
#: Operations whose backward rule reads their operands' values.
READS_OPERANDS = ("mul", "div", "maximum", "minimum", "pow", "matmul", "outer", "log", "relu",
                  "softplus", "abs", "hard_sigmoid", "silu")

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Node:
    """One operation (or leaf) of the graph.

    ``op`` is a leaf kind (``input``, ``prev``, ``param``, ``const``) or an operation;
    ``args`` the indices of its operands; ``shape`` its own shape (without batch axes);
    ``batched`` whether it carries batch axes.  Leaves name what they read (``ref``: the
    input, state or parameter); ``number`` is a constant's value or the exponent of
    ``pow``; ``rows`` a row range: a ``param`` leaf reading ``W[rows]`` (after ``cols``),
    a ``slice`` node reading ``value[..., rows]`` of a fused product; ``cols`` a column
    range of a ``param`` leaf.
    """

    op: str
    args: tuple[int, ...] = ()
    shape: tuple[int, ...] = ()
    batched: bool = False
    ref: str = ""
    number: float = 0.0
    rows: tuple[int, int] | None = None
    cols: tuple[int, int] | None = None


@dataclass(frozen=True)
class Fused:
    """A fused product ``operand @ stacked.T``: members ``(param, rows, cols)`` stacked in
    row order; member k fills rows ``offsets[k]:offsets[k+1]`` of the result."""

    operand: int
    members: tuple[tuple[str, tuple[int, int] | None, tuple[int, int] | None], ...]
    offsets: tuple[int, ...]


class Graph:
    """The compiled graph of one cell at given sizes (see the module docstring).

    Parameters
    ----------
    cell : Cell
        The definition.
    sizes : mapping of str to int
        A value for every named size (``H``, ``I`` and the declared ones).
    param_shapes : mapping of str to tuple of int
        The resolved shape of every parameter.
    """

    def __init__(self, cell: Cell, sizes: Mapping[str, int],
                 param_shapes: Mapping[str, tuple[int, ...]]) -> None:
        self.cell = cell
        self.sizes = dict(sizes)
        self.param_shapes = dict(param_shapes)
        self.nodes: list[Node] = []
        self._index: dict[Node, int] = {}
        self.varying: list[bool] = []  # depends on a previous state
        self.targets: dict[str, int] = {}
        self.fused: dict[int, Fused] = {}
        for position in cell.order:
            equation = cell.equations[position]
            self.targets[equation.target] = self._expr(equation.expr)
        self._fuse()
        for _ in range(4 * len(self.nodes)):
            if not self._merge():
                break
        self.phase = [self._phase(index) for index in range(len(self.nodes))]
        self.consumers: list[list[int]] = [[] for _ in self.nodes]
        for index, node in enumerate(self.nodes):
            for arg in node.args:
                self.consumers[arg].append(index)
        self.live = self._live()
        self.step_nodes = [i for i in range(len(self.nodes))
                           if self.phase[i] == "step" and i in self.live]
        self.hoisted_nodes = [i for i in range(len(self.nodes))
                              if self.phase[i] == "hoisted" and i in self.live]
        self.static_nodes = [i for i in range(len(self.nodes))
                             if self.phase[i] == "static" and i in self.live]
        self.stored = self._stored()

    # -- building ----------------------------------------------------------------------

    def add(self, node: Node) -> int:
        """The index of ``node``, added unless an identical node exists."""
        known = self._index.get(node)
        if known is not None:
            return known
        self.nodes.append(node)
        self._index[node] = len(self.nodes) - 1
        self.varying.append(node.op == "prev" or any(self.varying[a] for a in node.args))
        return len(self.nodes) - 1

    def _leaf(self, name: str) -> int:
        cell = self.cell
        if name in cell.inputs:
            return self.add(Node("input", shape=self._shape(cell.shapes[name]), batched=True,
                                 ref=name))
        if name.endswith("_prev") and name[:-5] in cell.states:
            state = name[:-5]
            return self.add(Node("prev", shape=self._shape(cell.shapes[state]), batched=True,
                                 ref=state))
        if name in cell.parameters:
            return self.add(Node("param", shape=self.param_shapes[name], ref=name))
        return self.targets[name]

    def _shape(self, shape: Sequence[Any]) -> tuple[int, ...]:
        return tuple(size.resolve(self.sizes) for size in shape)

    def _const(self, value: float) -> int:
        return self.add(Node("const", number=float(value)))

    def _expr(self, expr: Expr) -> int:
        if isinstance(expr, Name):
            return self._leaf(expr.name)
        if isinstance(expr, Number):
            return self._const(expr.value)
        if isinstance(expr, Neg) or (isinstance(expr, BinOp) and expr.op in "+-"):
            return self._sum(self._terms(expr, 1))
        if isinstance(expr, Concat):
            items = tuple(self._expr(item) for item in expr.items)
            width = sum(self.nodes[i].shape[0] if self.nodes[i].shape else 1 for i in items)
            return self.add(Node("concat", items, (width,),
                                 any(self.nodes[i].batched for i in items)))
        if isinstance(expr, Call):
            args = tuple(self._expr(arg) for arg in expr.args)
            return self._operation(expr.func, args)
        assert isinstance(expr, BinOp)
        if expr.op == "@":
            return self._sum(self._terms(expr, 1))
        left = self._expr(expr.left)
        if expr.op == "**":
            assert isinstance(expr.right, Number)
            node = self.nodes[left]
            return self.add(Node("pow", (left,), node.shape, node.batched,
                                 number=expr.right.value))
        return self._operation(BINARY[expr.op], (left, self._expr(expr.right)))

    def _operation(self, op: str, args: tuple[int, ...]) -> int:
        operands = [self.nodes[a] for a in args]
        batched = any(n.batched for n in operands)
        shape: tuple[int, ...]
        if op == "outer":
            shape = (operands[0].shape[0], operands[1].shape[0])
        elif op == "matmul":
            left, right = operands
            shape = (*left.shape[:-1], *right.shape[1:])
        else:
            shape = max((n.shape for n in operands), key=len)
        return self.add(Node(op, args, shape, batched))

    def _terms(self, expr: Expr, sign: int) -> list[tuple[int, int]]:
        """The terms of a sum as ``(sign, node)``; a parameter times a concatenation is
        split into one product per item."""
        if isinstance(expr, Neg):
            return self._terms(expr.operand, -sign)
        if isinstance(expr, BinOp) and expr.op in "+-":
            right = -sign if expr.op == "-" else sign
            return self._terms(expr.left, sign) + self._terms(expr.right, right)
        if isinstance(expr, BinOp) and expr.op == "@" and isinstance(expr.right, Concat) \
                and isinstance(expr.left, Name) and expr.left.name in self.cell.parameters \
                and len(self.param_shapes[expr.left.name]) == 2:
            items = [self._expr(item) for item in expr.right.items]
            kinds = {self.varying[i] for i in items}
            if len(kinds) == 2 and all(len(self.nodes[i].shape) == 1 for i in items):
                terms, start = [], 0
                rows = self.param_shapes[expr.left.name][0]
                for item in items:
                    width = self.nodes[item].shape[0]
                    weight = self.add(Node("param", shape=(rows, width), ref=expr.left.name,
                                           cols=(start, start + width)))
                    terms.append((sign, self._operation("matmul", (weight, item))))
                    start += width
                return terms
        if isinstance(expr, BinOp) and expr.op == "@":
            node = self._operation("matmul", (self._expr(expr.left), self._expr(expr.right)))
            return [(sign, node)]
        return [(sign, self._expr(expr))]

    def _sum(self, terms: list[tuple[int, int]]) -> int:
        """A sum of signed terms: those without a state first (so they can be added before
        the loop over time), in their order, then the others."""
        early = [t for t in terms if not self.varying[t[1]]]
        late = [t for t in terms if self.varying[t[1]]]
        total: int | None = None
        total_sign = 1
        for sign, node in early + late:
            if total is None:
                total, total_sign = node, sign
            elif sign == total_sign:
                total = self._operation("add", (total, node))
            else:
                total = self._operation("sub", (total, node))
        assert total is not None
        if total_sign < 0:
            total = self._operation("neg", (total,))
        return total

    def _consumers(self) -> dict[int, list[int]]:
        """The consumers of every node some target depends on (a node using another twice
        is listed twice)."""
        consumers: dict[int, list[int]] = {}
        for index in sorted(self._live()):
            consumers.setdefault(index, [])
            for arg in self.nodes[index].args:
                consumers.setdefault(arg, []).append(index)
        return consumers

    def _signature(self, index: int, consumers: dict[int, list[int]]) -> tuple[str, ...]:
        """The operations a value flows through while it has one consumer, sums with
        state-free terms left out: members of a fused product with equal signatures get
        adjacent rows, so that the operations after the product can be merged too."""
        signature: list[str] = []
        for _ in range(8):
            users = consumers.get(index, [])
            if len(users) != 1:
                break
            user = self.nodes[users[0]]
            others = [a for a in user.args if a != index]
            if not (user.op in ("add", "sub") and others
                    and not any(self.varying[a] for a in others)):
                signature.append(user.op)
            index = users[0]
        return tuple(signature)

    def _fuse(self) -> None:
        """Replace products of parameters with one operand by slices of one fused product
        (see the module docstring)."""
        groups: dict[int, list[int]] = {}
        for index, node in enumerate(self.nodes):
            if node.op != "matmul":
                continue
            left, right = (self.nodes[a] for a in node.args)
            if left.op == "param" and len(left.shape) == 2 and right.batched \
                    and len(right.shape) == 1:
                groups.setdefault(node.args[1], []).append(index)
        consumers = self._consumers()
        replace: dict[int, int] = {}
        for operand, unordered in groups.items():
            members = sorted(unordered, key=lambda m: self._signature(m, consumers))
            offsets = [0]
            for member in members:
                offsets.append(offsets[-1] + self.nodes[member].shape[0])
            spec = Fused(operand, tuple((self.nodes[self.nodes[m].args[0]].ref,
                                         self.nodes[self.nodes[m].args[0]].rows,
                                         self.nodes[self.nodes[m].args[0]].cols)
                                        for m in members), tuple(offsets))
            fused = self.add(Node("fused", (operand,), (offsets[-1],), True,
                                  number=float(len(self.fused))))
            self.fused[fused] = spec
            for k, member in enumerate(members):
                replace[member] = fused if len(members) == 1 else self.add(Node(
                    "slice", (fused,), self.nodes[member].shape, True,
                    rows=(offsets[k], offsets[k + 1])))
        self._rebuild(replace)

    def _merge(self) -> bool:
        """Merge the operations applied alike to adjacent rows of one product: e.g. the
        sums ``slice_k + bias_k`` of all gates become one sum with the stacked biases, and
        the sigmoids of the gates one sigmoid over their rows.  True if anything merged."""
        consumers = self._consumers()
        slices: dict[int, list[int]] = {}
        for index in consumers:
            node = self.nodes[index]
            if node.op == "slice":
                slices.setdefault(node.args[0], []).append(index)
        replace: dict[int, int] = {}
        for parent, members in slices.items():
            members.sort(key=lambda m: self.nodes[m].rows or (0, 0))
            run: list[int] = []
            for member in [*members, -1]:
                if member >= 0 and run and self._mergeable(run[-1], member, consumers):
                    run.append(member)
                    continue
                if len(run) > 1 and not any(consumers[m][0] in replace for m in run):
                    self._merge_run(parent, run, consumers, replace)
                run = [member]
            if replace:
                break  # one group per pass: the graph changes under the others
        self._rebuild(replace)
        return bool(replace)

    def _mergeable(self, a: int, b: int, consumers: dict[int, list[int]]) -> bool:
        """Whether slices ``a`` and ``b`` (adjacent rows) feed operations that merge."""
        rows_a, rows_b = self.nodes[a].rows, self.nodes[b].rows
        if rows_a is None or rows_b is None or rows_a[1] != rows_b[0]:
            return False
        if len(consumers[a]) != 1 or len(consumers[b]) != 1:
            return False
        ua, ub = self.nodes[consumers[a][0]], self.nodes[consumers[b][0]]
        if ua.op != ub.op or ua.args.count(a) != 1 or ub.args.count(b) != 1 \
                or ua.args.index(a) != ub.args.index(b) or ua.number != ub.number:
            return False
        if ua.op in FUNCTIONS or ua.op == "pow":
            return True
        if ua.op not in BINARY_FUNCTIONS:
            return False
        other_a = ua.args[1 - ua.args.index(a)]
        other_b = ub.args[1 - ub.args.index(b)]
        na, nb = self.nodes[other_a], self.nodes[other_b]
        if other_a == other_b:
            return na.shape == ()
        if na.shape != self.nodes[a].shape or nb.shape != self.nodes[b].shape:
            return False
        if na.op == "slice" and nb.op == "slice" and na.args == nb.args:
            return True  # rows of one node (contiguity checked when stacking)
        return not self.varying[other_a] and not self.varying[other_b] \
            and na.batched == nb.batched

    def _merge_run(self, parent: int, run: list[int], consumers: dict[int, list[int]],
                   replace: dict[int, int]) -> None:
        first, last = self.nodes[run[0]].rows, self.nodes[run[-1]].rows
        assert first is not None and last is not None
        start, stop = first[0], last[1]
        width = stop - start
        operand = parent if (start, stop) == (0, self.nodes[parent].shape[0]) else self.add(
            Node("slice", (parent,), (width,), True, rows=(start, stop)))
        users = [consumers[m][0] for m in run]
        template = self.nodes[users[0]]
        position = template.args.index(run[0])
        if len(template.args) == 1:
            args: tuple[int, ...] = (operand,)
        else:
            others = [self.nodes[u].args[1 - position] for u in users]
            other = self._stack(others)
            args = (operand, other) if position == 0 else (other, operand)
        merged = self.add(Node(template.op, args, (width,), True, number=template.number))
        for member, user in zip(run, users, strict=True):
            rows = self.nodes[member].rows
            assert rows is not None
            replace[user] = self.add(Node("slice", (merged,), self.nodes[user].shape, True,
                                          rows=(rows[0] - start, rows[1] - start)))

    def _stack(self, items: list[int]) -> int:
        """One node holding ``items`` one after the other: the items themselves if they
        are the same scalar, a slice if they are adjacent rows of one node, else a
        concatenation (computed before the loop: the items hold no state)."""
        if len(set(items)) == 1:
            return items[0]
        nodes = [self.nodes[i] for i in items]
        if all(n.op == "slice" and n.args == nodes[0].args for n in nodes) and all(
                a.rows is not None and b.rows is not None and a.rows[1] == b.rows[0]
                for a, b in zip(nodes, nodes[1:], strict=False)):
            parent = nodes[0].args[0]
            first, last = nodes[0].rows, nodes[-1].rows
            assert first is not None and last is not None
            if (first[0], last[1]) == (0, self.nodes[parent].shape[0]):
                return parent
            return self.add(Node("slice", (parent,), (last[1] - first[0],), True,
                                 rows=(first[0], last[1])))
        width = sum(n.shape[0] for n in nodes)
        return self.add(Node("concat", tuple(items), (width,), nodes[0].batched))

    def _rebuild(self, replace: dict[int, int]) -> None:
        """Rebuild the graph from the targets with nodes replaced, operands first (an
        iterative post-order walk: definitions may nest deeply)."""
        if not replace:
            return
        old_nodes, old_fused = self.nodes, self.fused
        self.nodes, self._index, self.varying, self.fused = [], {}, [], {}
        mapping: dict[int, int] = {}
        for root in self.targets.values():
            stack = [(root, False)]
            while stack:
                index, ready = stack.pop()
                index = replace.get(index, index)
                if index in mapping:
                    continue
                node = old_nodes[index]
                if not ready:
                    stack.append((index, True))
                    stack.extend((arg, False) for arg in reversed(node.args))
                    continue
                args = tuple(mapping[replace.get(a, a)] for a in node.args)
                mapping[index] = self.add(Node(node.op, args, node.shape, node.batched,
                                               node.ref, node.number, node.rows, node.cols))
                if index in old_fused:
                    spec = old_fused[index]
                    self.fused[mapping[index]] = Fused(mapping[spec.operand], spec.members,
                                                       spec.offsets)
        self.targets = {name: mapping[replace.get(node, node)]
                        for name, node in self.targets.items()}

    # -- analysis ----------------------------------------------------------------------

    def _phase(self, index: int) -> str:
        node = self.nodes[index]
        if self.varying[index]:
            return "step"
        return "hoisted" if node.batched else "static"

    def _live(self) -> set[int]:
        """Nodes some target depends on."""
        live: set[int] = set()
        stack = list(self.targets.values())
        while stack:
            index = stack.pop()
            if index in live:
                continue
            live.add(index)
            stack.extend(self.nodes[index].args)
        return live

    def _stored(self) -> set[int]:
        """Step nodes whose value per step is kept: the targets, what backward rules read,
        and the operands of fused products (their weight gradients need every step)."""
        stored = {i for i in self.targets.values() if self.phase[i] == "step"}
        for index in self.step_nodes:
            node = self.nodes[index]
            if node.op in READS_OUTPUT:
                stored.add(index)
            if node.op in READS_OPERANDS or node.op == "fused":
                stored.update(a for a in node.args if self.phase[a] == "step")
        # A slice is a view of its product: keeping the slice means keeping the product.
        kept: set[int] = set()
        for index in stored:
            while self.nodes[index].op == "slice":
                index = self.nodes[index].args[0]
            kept.add(index)
        return {i for i in kept if self.nodes[i].op != "prev"}


# -- forward rules ---------------------------------------------------------------------


def expand(value: Array, rank: int, out_rank: int) -> Array:
    """A scalar operand's value with trailing axes for broadcasting against ``out_rank``."""
    if rank == out_rank:
        return value
    return value.reshape(value.shape + (1,) * (out_rank - rank))


def sigmoid(x: Array) -> Array:
    return _activations.sigmoid(x)


def _silu(x: Array) -> Array:
    return x * sigmoid(x)


def _softplus(x: Array) -> Array:
    return np.asarray(np.logaddexp(x.dtype.type(0), x))


def _relu(x: Array) -> Array:
    return np.asarray(np.maximum(x, x.dtype.type(0)))


FUNCTIONS: dict[str, Callable[[Array], Array]] = {
    "neg": np.negative, "sigmoid": sigmoid, "tanh": np.tanh, "exp": np.exp, "log": np.log,
    "relu": _relu, "softplus": _softplus, "sqrt": np.sqrt, "abs": np.abs,
    "hard_sigmoid": _activations.hard_sigmoid, "silu": _silu,
}
BINARY_FUNCTIONS: dict[str, Callable[[Array, Array], Array]] = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "maximum": np.maximum, "minimum": np.minimum,
}


def apply(node: Node, nodes: Sequence[Node], values: Sequence[Array], dtype: np.dtype[Any]
          ) -> Array:
    """The value of ``node`` from its operands' ``values``."""
    op = node.op
    if op in BINARY_FUNCTIONS:
        a, b = (expand(v, len(nodes[i].shape), len(node.shape))
                for v, i in zip(values, node.args, strict=True))
        return np.asarray(BINARY_FUNCTIONS[op](a, b))
    if op == "pow":
        return np.asarray(np.power(values[0], dtype.type(node.number)))
    if op in FUNCTIONS:
        return FUNCTIONS[op](values[0])
    if op == "matmul":
        return _matmul(nodes[node.args[0]], nodes[node.args[1]], values[0], values[1])
    if op == "concat":
        return _concat(node, nodes, values)
    if op == "outer":
        return np.asarray(values[0][..., :, None] * values[1][..., None, :])
    if op == "slice":
        assert node.rows is not None
        return values[0][..., node.rows[0]:node.rows[1]]
    raise AssertionError(op)


def _matmul(left: Node, right: Node, a: Array, b: Array) -> Array:
    if not left.batched and len(left.shape) == 2 and len(right.shape) == 1:
        return np.asarray(np.matmul(b, a.T))
    a2 = a if len(left.shape) == 2 else a[..., None, :]
    b2 = b if len(right.shape) == 2 else b[..., :, None]
    out = np.matmul(a2, b2)
    if len(right.shape) == 1:
        out = out[..., 0]
    if len(left.shape) == 1:
        out = out[..., 0, :] if len(right.shape) == 2 else out[..., 0]
    return np.asarray(out)


def _concat(node: Node, nodes: Sequence[Node], values: Sequence[Array]) -> Array:
    lead: tuple[int, ...] = ()
    for value, index in zip(values, node.args, strict=True):
        if nodes[index].batched:
            lead = value.shape[:value.ndim - len(nodes[index].shape)]
            break
    parts = []
    for value, index in zip(values, node.args, strict=True):
        item = value if nodes[index].shape else value[..., None]
        parts.append(np.broadcast_to(item, lead + item.shape[-1:]))
    return np.concatenate(parts, axis=-1)


# -- backward rules --------------------------------------------------------------------


def reduce(grad: Array, out: Node, arg: Node) -> Array:
    """``grad`` (batch axes + ``out.shape``) summed to the shape of operand ``arg``: over
    the broadcast axes of a scalar, and over the batch axes of an unbatched operand."""
    if len(arg.shape) < len(out.shape):
        grad = grad.sum(axis=tuple(range(grad.ndim - len(out.shape), grad.ndim)))
    if not arg.batched:
        axes = tuple(range(grad.ndim - len(arg.shape)))
        if axes:
            grad = grad.sum(axis=axes)
    return grad


def gradients(node: Node, nodes: Sequence[Node], grad: Array, values: Sequence[Array],
              out: Array | None, need: Sequence[bool]) -> list[Array | None]:
    """The gradients w.r.t. ``node``'s operands (``None`` where ``need`` is False), each
    reduced to its operand's shape, from ``grad`` w.r.t. its value.

    ``values`` are the operands' values (only those the rule reads need be real arrays)
    and ``out`` the node's value (for rules that read it).
    """
    op = node.op
    args = [nodes[i] for i in node.args]
    one = grad.dtype.type(1)
    if op in ("add", "sub", "neg"):
        signs = {"add": (1, 1), "sub": (1, -1), "neg": (-1,)}[op]
        return [None if not n else reduce(grad if s > 0 else -grad, node, a)
                for s, n, a in zip(signs, need, args, strict=False)]
    if op in ("mul", "div", "maximum", "minimum"):
        rank = len(node.shape)
        a, b = (expand(v, len(n.shape), rank) for v, n in zip(values, args, strict=True))
        if op == "mul":
            local: tuple[Any, Any] = (b, a)
        elif op == "div":
            assert out is not None
            local = (one / b, -out / b)
        else:
            # Ties split the gradient evenly, as torch does.
            wins = ((a > b) if op == "maximum" else (a < b)).astype(grad.dtype)
            ties = (a == b).astype(grad.dtype) * grad.dtype.type(0.5)
            local = (wins + ties, one - wins - ties)
        return [None if not n else reduce(grad * factor, node, arg)
                for factor, n, arg in zip(local, need, args, strict=True)]
    if op in FUNCTIONS or op == "pow":
        return [reduce(grad * local_derivative(node, values[0], out, grad.dtype), node, args[0])
                if need[0] else None]
    if op == "matmul":
        return _matmul_gradients(args[0], args[1], values[0], values[1], grad, need)
    if op == "concat":
        grads: list[Array | None] = []
        start = 0
        for arg, needed in zip(args, need, strict=True):
            width = arg.shape[0] if arg.shape else 1
            part = grad[..., start:start + width]
            start += width
            if not needed:
                grads.append(None)
                continue
            if not arg.shape:
                part = part[..., 0]
            grads.append(reduce_lead(part, arg))
        return grads
    if op == "outer":
        a, b = values
        result: list[Array | None] = [None, None]
        if need[0]:
            result[0] = reduce_lead((grad * b[..., None, :]).sum(axis=-1), args[0])
        if need[1]:
            result[1] = reduce_lead((grad * a[..., :, None]).sum(axis=-2), args[1])
        return result
    raise AssertionError(op)


def reduce_lead(grad: Array, arg: Node) -> Array:
    """``grad`` summed over its batch axes when ``arg`` is unbatched."""
    if arg.batched:
        return grad
    axes = tuple(range(grad.ndim - len(arg.shape)))
    return grad.sum(axis=axes) if axes else grad


def local_derivative(node: Node, x: Array, y: Array | None, dtype: np.dtype[Any]) -> Array:
    """The derivative of the elementwise function of ``node`` at ``x`` (value ``y``; each
    rule reads only what :data:`READS_OUTPUT` and :data:`READS_OPERANDS` say)."""
    op = node.op
    one = dtype.type(1)
    if op == "neg":
        return np.asarray(-one)
    if op == "sigmoid":
        assert y is not None
        return np.asarray(y * (one - y))
    if op == "tanh":
        assert y is not None
        return np.asarray(one - y * y)
    if op == "exp":
        assert y is not None
        return y
    if op == "sqrt":
        assert y is not None
        return np.asarray(dtype.type(0.5) / y)
    if op == "log":
        return np.asarray(one / x)
    if op == "relu":
        return np.asarray((x > 0).astype(dtype))
    if op == "softplus":
        return sigmoid(x)
    if op == "abs":
        return np.asarray(np.sign(x))
    if op == "hard_sigmoid":
        return np.asarray(((x > -3) & (x < 3)).astype(dtype) * dtype.type(1 / 6))
    if op == "silu":
        s = sigmoid(x)
        return np.asarray(s * (one + x * (one - s)))
    if op == "pow":
        c = dtype.type(node.number)
        return np.asarray(c * np.power(x, dtype.type(node.number - 1)))
    raise AssertionError(op)


def _matmul_gradients(left: Node, right: Node, a: Array, b: Array, grad: Array,
                      need: Sequence[bool]) -> list[Array | None]:
    result: list[Array | None] = [None, None]
    if not left.batched and len(left.shape) == 2 and len(right.shape) == 1:
        # The common case W @ v: two plain matrix products.
        if need[0]:
            result[0] = grad.reshape(-1, grad.shape[-1]).T @ b.reshape(-1, b.shape[-1])
        if need[1]:
            result[1] = reduce_lead(np.asarray(grad @ a), right)
        return result
    a2 = a if len(left.shape) == 2 else a[..., None, :]
    b2 = b if len(right.shape) == 2 else b[..., :, None]
    g2 = grad
    if len(right.shape) == 1:
        g2 = g2[..., None]
    if len(left.shape) == 1:
        g2 = np.expand_dims(g2, -2)
    if need[0]:
        da = np.matmul(g2, np.swapaxes(b2, -1, -2))
        if len(left.shape) == 1:
            da = da[..., 0, :]
        result[0] = reduce_lead(np.asarray(da), left)
    if need[1]:
        db = np.matmul(np.swapaxes(a2, -1, -2), g2)
        if len(right.shape) == 1:
            db = db[..., 0]
        result[1] = reduce_lead(np.asarray(db), right)
    return result
