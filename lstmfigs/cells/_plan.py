"""The per-step loops of :mod:`lstmfigs.cells.simulate`: the step nodes of a compiled
:class:`~lstmfigs.cells._graph.Graph` turned into short lists of NumPy calls on buffers
allocated once per call.

The time of a small recurrent network goes into Python and NumPy call overhead, so the
loops are planned ahead, once per graph:

* every node's value has a fixed place: a slot of a sequence ``(T, B, ...)`` when
  backward reads it (a state's values and previous values share one ``(T + 1, B, ...)``
  array, offset by a step, so ``h_prev`` is a view and never a copy), a view of its fused
  product for a slice, or one scratch buffer reused at every step;
* every operation writes into its place with ``out=``;
* gradients have places too: a node whose only consumer is a sum shares its consumer's
  gradient buffer (no copy); the first contribution to a gradient writes it, later ones
  add; gradients w.r.t. parameters are never formed per step: the nodes that read a
  parameter keep their gradient at every step and the parameter's gradient is taken once,
  over all steps, after the loop.

Each operation is a closure over slot numbers; a *frame* (one array per node) is updated
at every step with the current views of the sequences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _graph
from ._graph import Array, Graph

#: Elementwise functions with a NumPy ufunc taking ``out=``.
UFUNCS: dict[str, Any] = {"neg": np.negative, "tanh": np.tanh, "exp": np.exp, "log": np.log,
                          "sqrt": np.sqrt, "abs": np.abs}
BINARY_UFUNCS: dict[str, Any] = {"add": np.add, "sub": np.subtract, "mul": np.multiply,
                                 "div": np.divide, "maximum": np.maximum,
                                 "minimum": np.minimum}
Frame = list[Any]
Op = Callable[[Frame], object]
#: Elements per chunk of precomputed local derivatives: small enough to stay in cache.
CHUNK_ELEMENTS = 1 << 16


def sparse(steps: int, value: Array) -> list[Array]:
    """A sequence that is ``value`` at the last step and zero before (a probe, or the
    gradient of a final state): a list, so that a step's entry costs no call."""
    zero = np.zeros_like(value)
    return [zero] * (steps - 1) + [value]


def alternate(pair: tuple[Array, Array], steps: int, shift: int) -> list[Array]:
    """Two buffers used in turn: step t gets ``pair[(t + shift) % 2]``."""
    return [pair[(t + shift) % 2] for t in range(steps)]


class Factors:
    """The local derivative of an activation at each step, computed from its values
    (T, B, ...) for a chunk of steps at a time (backward walks time downwards): y (1 - y)
    for a sigmoid, 1 - y^2 for tanh.  Two whole-chunk calls replace two calls per step."""

    def __init__(self, values: Array, op: str) -> None:
        self.values, self.logistic = values, op == "sigmoid"
        per_step = max(1, int(np.prod(values.shape[1:])))
        self.chunk = max(1, min(values.shape[0], CHUNK_ELEMENTS // per_step))
        self.buffer = np.empty((self.chunk, *values.shape[1:]), values.dtype)
        self.start = self.stop = 0

    def __getitem__(self, t: int) -> Array:
        if not self.start <= t < self.stop:
            self.stop = t + 1
            self.start = max(0, self.stop - self.chunk)
            y = self.values[self.start:self.stop]
            out = self.buffer[:self.stop - self.start]
            unit = y.dtype.type(1)
            if self.logistic:
                np.subtract(unit, y, out=out)
                out *= y
            else:
                np.multiply(y, y, out=out)
                np.subtract(unit, out, out=out)
        return np.asarray(self.buffer[t - self.start])


@dataclass
class Frames:
    """Slots of one loop: ``constant[i]`` arrays fixed for the whole loop, ``sequences``
    ``(slot, array)`` pairs whose step-t view ``array[t]`` fills the slot at step t."""

    size: int
    constant: dict[int, Any] = field(default_factory=dict)
    sequences: list[tuple[int, Any]] = field(default_factory=list)
    #: Every value sequence by node, also those the loop does not refresh.
    full: dict[int, Any] = field(default_factory=dict)

    def base(self) -> Frame:
        frame: Frame = [None] * self.size
        for slot, value in self.constant.items():
            frame[slot] = value
        return frame


class Structure:
    """What is planned once per graph: the places of values (forward) and gradients
    (backward), and the order of gradient contributions.

    Parameters
    ----------
    graph : Graph
        The compiled cell.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        nodes = graph.nodes
        cell = graph.cell
        self.state_nodes = {s: graph.targets[s] for s in cell.states}
        self.prev_nodes = {nodes[i].ref: i for i in graph.step_nodes if nodes[i].op == "prev"}
        # A state's own node writes straight into the state's sequence when it is a step
        # operation computing only that state.
        owners: dict[int, str] = {}
        for state, index in self.state_nodes.items():
            node = nodes[index]
            if graph.phase[index] == "step" and node.op not in ("prev", "slice") \
                    and index not in owners:
                owners[index] = state
        self.owners = owners
        self.forward_steps = [i for i in graph.step_nodes if nodes[i].op not in ("prev", "slice")]
        # Nodes whose gradient matters: ancestors of the output and of the states.
        seeds = {graph.targets[cell.output], *self.state_nodes.values()}
        needed: set[int] = set()
        stack = list(seeds)
        while stack:
            index = stack.pop()
            if index in needed:
                continue
            needed.add(index)
            stack.extend(nodes[index].args)
        self.needed = needed
        self.consumers: dict[int, list[int]] = {i: [] for i in needed}
        for index in needed:
            for arg in nodes[index].args:
                self.consumers[arg].append(index)
        self.backward_steps = [i for i in reversed(graph.step_nodes) if i in needed
                               and nodes[i].op not in ("prev",)]
        self.alias = self._aliases(seeds)
        #: Sums computed before the loop in place of their first operand: an intermediate
        #: (not an input, a view or a quantity) used only there, whose value backward does
        #: not read (e.g. the input projection, to which the biases are added).
        targets = set(graph.targets.values())
        live_users: dict[int, int] = {}
        for index in graph.live:
            for arg in nodes[index].args:
                live_users[arg] = live_users.get(arg, 0) + 1
        self.in_place: set[int] = set()
        for index in graph.hoisted_nodes:
            node = nodes[index]
            if node.op not in ("add", "sub"):
                continue
            first = node.args[0]
            operand = nodes[first]
            if graph.phase[first] == "hoisted" and operand.op not in ("input", "slice") \
                    and operand.op not in _graph.READS_OUTPUT and first not in targets \
                    and live_users.get(first) == 1 and operand.shape == node.shape:
                self.in_place.add(index)
        #: States whose previous value matters: their gradient is carried between steps.
        self.carried = {state for state, prev in self.prev_nodes.items() if prev in needed}
        # The values each loop reads: forward, the operations' operands and results (and
        # the states' nodes, copied into their sequences); backward, what the rules read.
        self.forward_reads = {*self.state_nodes.values()}
        for index in self.forward_steps:
            self.forward_reads.update((index, *nodes[index].args))
        self.backward_reads: set[int] = set()
        for index in self.backward_steps:
            node = nodes[index]
            if node.op in _graph.READS_OPERANDS:
                self.backward_reads.update(node.args)
            if node.op in _graph.READS_OUTPUT:
                self.backward_reads.add(index)

    def _aliases(self, seeds: set[int]) -> dict[int, int]:
        """Node -> the node whose gradient buffer it shares: a node used once, by a sum,
        has the sum's gradient."""
        graph, nodes = self.graph, self.graph.nodes
        alias: dict[int, int] = {}
        for index in self.needed:
            node = nodes[index]
            users = self.consumers[index]
            if len(users) != 1 or index in seeds or node.op in ("prev", "slice") \
                    or graph.phase[index] == "static":
                continue
            user = nodes[users[0]]
            if user.op not in ("add", "sub") or user.args.count(index) != 1 \
                    or (user.op == "sub" and user.args[1] == index) \
                    or node.shape != user.shape or node.batched != user.batched:
                continue
            alias[index] = users[0]
        return alias

    def root(self, index: int) -> int:
        """The node owning the gradient buffer of ``index`` (after aliases)."""
        while index in self.alias:
            index = self.alias[index]
        return index


def sigmoid_into(x: Array, out: Array) -> None:
    """The logistic function of ``x`` into ``out`` (as ``sim._activations.sigmoid``)."""
    half = out.dtype.type(0.5)
    np.multiply(x, half, out=out)
    np.tanh(out, out=out)
    out *= half
    out += half


def forward_op(graph: Graph, index: int, weights_t: dict[int, Array],
               dtype: np.dtype[Any]) -> Op:
    """The closure computing node ``index`` into its slot."""
    nodes = graph.nodes
    node = nodes[index]
    op, args, o = node.op, node.args, index
    if op == "fused":
        w = weights_t[index]
        a = args[0]
        return lambda f: np.matmul(f[a], w, out=f[o])
    if op in BINARY_UFUNCS and all(_broadcasts(nodes[i], node) for i in args):
        fn, a, b = BINARY_UFUNCS[op], args[0], args[1]
        return lambda f: fn(f[a], f[b], out=f[o])
    if op == "sigmoid":
        a = args[0]
        return lambda f: sigmoid_into(f[a], f[o])
    if op in UFUNCS:
        fn, a = UFUNCS[op], args[0]
        return lambda f: fn(f[a], out=f[o])
    arg_nodes = tuple(args)

    def generic(f: Frame) -> None:
        f[o][...] = _graph.apply(node, nodes, [f[i] for i in arg_nodes], dtype)
    return generic


@dataclass
class Backward:
    """One backward loop: its operations and frame slots, ``grad_slot[i]`` the slot of
    node i's gradient, ``sequences`` the gradients kept over all steps (root node -> (T,
    ...) array) and ``carry`` each state's pair of carried-gradient buffers (see
    :func:`alternate`)."""

    ops: list[Op]
    frames: Frames
    grad_slot: dict[int, int]
    sequences: dict[int, Array]
    carry: dict[str, tuple[Array, Array]]


def backward_plan(structure: Structure, frames: Frames, steps: int, lead: tuple[int, ...],
                  dtype: np.dtype[Any], weights: dict[int, Array], *, train: bool,
                  seeds: list[tuple[int, Any]]) -> Backward:
    """The backward loop's operations, in order, and its gradient places.

    ``frames`` already holds the forward values' slots (0..N-1); gradient slots are added
    after them.  ``seeds`` pairs a node with a sequence of seeds (its step-t view is added
    to the node's gradient at step t); the states' carries are seeded too.  ``train``:
    gradients reach the hoisted nodes (kept per step), the parameters (through the
    gradients of the nodes reading them, kept per step) and the states' totals.
    """
    graph, nodes = structure.graph, structure.graph.nodes
    needed, consumers = structure.needed, structure.consumers
    size = len(nodes)
    grad_slot: dict[int, int] = {}
    sequences: dict[int, Array] = {}

    def wants_sequence(index: int) -> bool:
        phase = graph.phase[index]
        if phase == "hoisted":
            return True
        if not train:
            return False
        node = nodes[index]
        if node.op == "fused" or index in structure.state_nodes.values():
            return True
        return any(graph.phase[a] == "static" for a in node.args)

    # Buffers per root (after aliases), views for slices.
    roots: dict[int, list[int]] = {}
    sequences_of_prev: dict[int, list[Array]] = {}
    for index in needed:
        if graph.phase[index] == "static" or nodes[index].op == "slice":
            continue
        if graph.phase[index] == "hoisted" and not train:
            continue
        roots.setdefault(structure.root(index), []).append(index)
    carry: dict[str, tuple[Array, Array]] = {}
    buffers: dict[int, Any] = {}
    for root, members in roots.items():
        shape = nodes[root].shape
        if nodes[root].op == "prev":
            # Two buffers used in turn: step t writes the gradient of the state it was given
            # into one while its seed (what step t + 1 wrote) is read from the other.
            pair = (np.zeros((*lead, *shape), dtype), np.zeros((*lead, *shape), dtype))
            carry[nodes[root].ref] = pair
            buffers[root] = alternate(pair, steps, 0)
            sequences_of_prev[root] = buffers[root]
        elif any(wants_sequence(m) for m in members):
            buffers[root] = sequences[root] = np.zeros((steps, *lead, *shape), dtype)
        else:
            buffers[root] = np.zeros((*lead, *shape), dtype)
    slot = size

    def place(index: int, value: Any, sequence: bool) -> None:
        nonlocal slot
        grad_slot[index] = slot
        if sequence:
            frames.sequences.append((slot, value))
        else:
            frames.constant[slot] = value
        slot += 1

    for root, members in roots.items():
        # One slot per buffer: the nodes sharing it share the slot.
        place(root, buffers[root], root in sequences or root in sequences_of_prev)
        for member in members:
            grad_slot[member] = grad_slot[root]
    # Slices: views of their parent's gradient (a parent, maybe itself a slice, precedes
    # its slices in the graph).
    views: dict[int, tuple[Any, bool]] = {root: (buffers[root], root in sequences)
                                          for root in buffers}
    for index in sorted(i for i in needed if nodes[i].op == "slice"
                        and (train or graph.phase[i] == "step")):
        parent = nodes[index].args[0]
        rows = nodes[index].rows
        assert rows is not None
        base, sequence = views[parent if nodes[parent].op == "slice"
                               else structure.root(parent)]
        views[index] = (base[..., rows[0]:rows[1]], sequence)
        place(index, *views[index])
    frames.size = slot

    # Contributions, in processing order: seeds, then each node's rule for its operands.
    written: set[int] = set()  # regions already holding a contribution this step

    def holders(index: int) -> list[int]:
        return roots[index] if index in roots else [index]

    def users(index: int, slices: bool) -> bool:
        return any((nodes[c].op == "slice") == slices and structure.alias.get(m) != c
                   for m in holders(index) for c in consumers.get(m, []))
    # A gradient written both through slices and as a whole is zeroed at each step, and
    # then only added to.
    mixed = {index for index in views if users(index, True) and users(index, False)}
    ops: list[Op] = []
    for index in mixed:
        ops.append(_zero_op(grad_slot[index]))
        written.add(index)

    def region(index: int) -> int:
        """What a contribution to ``index`` writes: its buffer, or for a slice the slice
        itself unless an enclosing gradient is zeroed at each step."""
        if nodes[index].op != "slice":
            return structure.root(index)
        enclosing = index
        while nodes[enclosing].op == "slice":
            parent = nodes[enclosing].args[0]
            enclosing = parent if nodes[parent].op == "slice" else structure.root(parent)
            if enclosing in mixed:
                return enclosing
        return index

    def contribute(index: int, make: Callable[[int, bool], Op]) -> None:
        """Add the operation writing (first) or adding (later) a contribution to
        ``index``'s gradient."""
        if index not in grad_slot:
            return
        key = region(index)
        first = key not in written
        written.add(key)
        ops.append(make(grad_slot[index], first))

    factor_slots: dict[int, int] = {}

    def factor(index: int) -> int:
        """The slot of the local derivative of activation ``index`` at each step."""
        nonlocal slot
        if index not in factor_slots:
            factor_slots[index] = slot
            frames.sequences.append((slot, Factors(frames.full[index], nodes[index].op)))
            slot += 1
        return factor_slots[index]

    tmp_cache: dict[tuple[int, ...], Array] = {}

    def temporary(shape: tuple[int, ...]) -> Array:
        if shape not in tmp_cache:
            tmp_cache[shape] = np.empty(shape, dtype)
        return tmp_cache[shape]

    # Seeds (dL/d output, the carried state gradients) enter a node's gradient just before
    # its own rules run, after the contributions of its consumers: the first of those then
    # writes, and two seeds of an untouched gradient are added in one call.
    pending: dict[int, list[int]] = {}

    def seed(index: int, source: Any) -> None:
        nonlocal slot
        frames.sequences.append((slot, source))
        pending.setdefault(index, []).append(slot)
        slot += 1

    for node_index, sequence in seeds:
        seed(node_index, sequence)
    for state, index in structure.state_nodes.items():
        prev = structure.prev_nodes.get(state)
        if prev is not None and prev in grad_slot:
            seed(index, alternate(carry[state], steps, 1))

    def release(index: int) -> None:
        sources = pending.pop(index, [])
        if len(sources) >= 2 and index in grad_slot and region(index) not in written:
            written.add(region(index))
            ops.append(_sum_op(sources[0], sources[1], grad_slot[index]))
            sources = sources[2:]
        for source in sources:
            contribute(index, _copy_rule(source))

    for index in structure.backward_steps:
        release(index)
        node = nodes[index]
        if index not in grad_slot or node.op == "slice":
            continue
        g = grad_slot[index]
        for position, arg in enumerate(node.args):
            if arg not in grad_slot or structure.alias.get(arg) == index:
                continue
            contribute(arg, _rule(index, nodes, position, g, weights, temporary, factor))
    for index in list(pending):
        release(index)
    frames.size = slot
    return Backward(ops, frames, grad_slot, sequences, carry)


def _rule(index: int, nodes: Sequence[_graph.Node], position: int, g: int,
          weights: dict[int, Array], temporary: Callable[[tuple[int, ...]], Array],
          factor: Callable[[int], int]) -> Callable[[int, bool], Op]:
    """How the gradient (slot ``g``) of node ``index`` reaches its operand at
    ``position``: a maker of the operation writing (first) or adding (later) into the
    operand's gradient slot.  Values are read from the slots of the nodes' indices."""
    node = nodes[index]
    op, args = node.op, node.args
    # The fast rules need the operand to have the result's shape (no reduction) and the
    # other operand to broadcast as it is.
    target = nodes[args[position]]
    simple = target.batched and len(target.shape) == len(node.shape) \
        and all(_broadcasts(nodes[a], node) for a in args)
    if op in ("add", "sub", "neg") and simple:
        return _copy_rule(g, negate=op == "neg" or (op == "sub" and position == 1))
    if op in ("sigmoid", "tanh"):
        # The local derivative comes precomputed for a chunk of steps (see Factors).
        return _product_rule(g, factor(index), temporary)
    if op == "mul" and simple:
        return _product_rule(g, args[1 - position], temporary)
    if op == "fused":
        w = weights[index]

        def make_fused(slot: int, first: bool) -> Op:
            if first:
                return lambda f: np.matmul(f[g], w, out=f[slot])

            def add(f: Frame) -> None:
                tmp = temporary(f[slot].shape)
                np.matmul(f[g], w, out=tmp)
                np.add(f[slot], tmp, out=f[slot])
            return add
        return make_fused
    need = [i == position for i in range(len(args))]

    def make_generic(slot: int, first: bool) -> Op:
        # Any other rule: the graph's (allocating) one, then written or added.
        def run(f: Frame) -> None:
            value = _graph.gradients(node, nodes, f[g], [f[a] for a in args], f[index],
                                     need)[position]
            assert value is not None
            if first:
                f[slot][...] = value
            else:
                f[slot] += value
        return run
    return make_generic


def _product_rule(g: int, other: int,
                  temporary: Callable[[tuple[int, ...]], Array]) -> Callable[[int, bool], Op]:
    """Write or add ``f[g] * f[other]``."""
    def make(slot: int, first: bool) -> Op:
        if first:
            return lambda f: np.multiply(f[g], f[other], out=f[slot])

        def add(f: Frame) -> None:
            tmp = temporary(f[slot].shape)
            np.multiply(f[g], f[other], out=tmp)
            np.add(f[slot], tmp, out=f[slot])
        return add
    return make


def _sum_op(a: int, b: int, target: int) -> Op:
    """Write ``f[a] + f[b]``."""
    return lambda f: np.add(f[a], f[b], out=f[target])


def _broadcasts(operand: _graph.Node, result: _graph.Node) -> bool:
    """Whether ``operand``'s array broadcasts against ``result``'s without reshaping: the
    same rank, or an unbatched scalar."""
    return len(operand.shape) == len(result.shape) or (not operand.batched
                                                       and not operand.shape)


def _zero_op(slot: int) -> Op:
    """Zero slot ``slot``."""
    return lambda f: f[slot].fill(0)


def copy_op(source: int, target: int) -> Op:
    """Copy slot ``source`` into slot ``target``."""
    return lambda f: np.copyto(f[target], f[source])


def _copy_rule(source: int, negate: bool = False) -> Callable[[int, bool], Op]:
    """Write or add (the negative of) slot ``source``."""
    def make(slot: int, first: bool) -> Op:
        if first:
            if negate:
                return lambda f: np.negative(f[source], out=f[slot])
            return lambda f: np.copyto(f[slot], f[source])
        fn = np.subtract if negate else np.add
        return lambda f: fn(f[slot], f[source], out=f[slot])
    return make
