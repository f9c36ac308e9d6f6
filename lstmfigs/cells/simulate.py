"""The simulator of any cell definition: forward recording every named quantity, exact
backpropagation through time, Jacobian norms.

A :class:`CellModel` runs the equations of a :class:`~lstmfigs.cells.definition.Cell`
over a time-major sequence, for stacked layers, in float32 or float64 (nothing is ever
upcast).  Gradients are exact: reverse mode over the compiled equation graph, step by step
(:mod:`lstmfigs.cells._graph`).  The conventions follow :mod:`lstmfigs.sim`:

>>> from lstmfigs import cells
>>> m = cells.builtin("lstm").model(input_size=5, hidden_size=16, seed=0)
>>> sorted(m.params)[:2]
['W_f', 'W_g']
>>> import numpy as np
>>> x = np.zeros((7, 3, 5))
>>> tr = m.forward(x)                  # tr["f"], tr["c"], ...: (T, B, H)
>>> g = m.backward(tr, np.ones_like(tr.output))
>>> g.params["W_f"].shape
(16, 21)

Layer 0's parameters have the definition's names (``W_f``); layer k >= 1 adds ``_l{k}``
(``W_f_l1``) and reads the output of the layer below as its input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import LstmfigsError
from ..sim import _checks
from . import _graph, _plan
from ._graph import Array, Graph
from .syntax import BinOp, Call, Expr, Name, Neg

if TYPE_CHECKING:
    from .definition import Cell

__all__ = ["CellGradients", "CellModel", "CellTrace", "JacobianNorms", "LayerGradients",
           "LayerTrace"]

#: Most parameter values a model may hold (all layers): 2**28 is 1 GiB in float32.  Sizes
#: beyond it are a mistake, refused with a clear error rather than a MemoryError.
MAX_PARAMETERS = 1 << 28


@dataclass
class LayerTrace(Mapping[str, Array]):
    """Every named quantity of one layer at every step.

    ``lt[name]`` (or ``quantities[name]``) is (T, B, *shape) for every quantity the equations
    define (states included); ``x`` the layer's input (T, B, *input shape); ``initial``
    and ``final`` the states entering the first step and leaving the last, ``{state: (B,
    *shape)}``.
    """

    x: Array
    initial: dict[str, Array]
    final: dict[str, Array]
    quantities: dict[str, Array]
    work: _Work = field(repr=False)

    def __getitem__(self, name: str) -> Array:
        return self.quantities[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.quantities)

    def __len__(self) -> int:
        return len(self.quantities)


@dataclass
class CellTrace(Mapping[str, Array]):
    """What :meth:`CellModel.forward` returns.

    ``tr[name]`` is the last layer's quantity ``name`` (T, B, *shape); ``layers[k]`` the
    :class:`LayerTrace` of layer k; ``output`` the last layer's output (T, B, H);
    ``final`` ``{state: (num_layers, B, *shape)}``.
    """

    layers: list[LayerTrace]
    final: dict[str, Array]
    output_name: str

    def __getitem__(self, name: str) -> Array:
        return self.layers[-1][name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.layers[-1])

    def __len__(self) -> int:
        return len(self.layers[-1])

    @property
    def output(self) -> Array:
        """The last layer's output quantity, (T, B, *shape)."""
        return self.layers[-1][self.output_name]


@dataclass
class LayerGradients:
    """Gradients of one layer: w.r.t. its input ``x`` (T, B, *input shape), its initial
    states ``initial`` ``{state: (B, *shape)}``, its parameters ``params`` (the model's
    names), and ``states`` ``{state: (T, B, *shape)}``: the total gradient dL/ds_t reaching
    each state at each step (the direct term plus all that flows back from later steps)."""

    x: Array
    initial: dict[str, Array]
    params: dict[str, Array]
    states: dict[str, Array]


@dataclass
class CellGradients:
    """What :meth:`CellModel.backward` returns: exact BPTT gradients.

    ``x`` (T, B, I); ``initial`` ``{state: (num_layers, B, *shape)}``; ``params`` keyed
    like :attr:`CellModel.params`; ``states`` the last layer's total state gradients (see
    :class:`LayerGradients`); ``layers[k]`` layer k's.
    """

    x: Array
    initial: dict[str, Array]
    params: dict[str, Array]
    states: dict[str, Array]
    layers: list[LayerGradients]


@dataclass
class JacobianNorms:
    """What :meth:`CellModel.jacobian_norms` returns.

    ``lags`` (n,) = 0, 1, ...; ``norms`` (n, B): the Frobenius norm of d output_{t_end} /
    d state_{t_end - lag} over the whole state (every state perturbed); ``states``
    ``{state: (n, B)}`` the same for each state alone (the others held fixed), so that
    ``norms**2`` is the sum of the ``states[s]**2``.
    """

    lags: Array
    norms: Array
    states: dict[str, Array]


@dataclass
class _Work:
    """What a layer's forward pass keeps for backward: the compiled graph, the parameters
    it ran with, and the values of its nodes (static ones, hoisted ones over all steps,
    stored step ones (T, B, ...))."""

    graph: Graph
    params: dict[str, Array]
    static: dict[int, Array]
    hoisted: dict[int, Array]
    stored: dict[int, Array]
    weights: dict[int, Array]  # fused node -> stacked weights (rows, m)
    #: state -> (T + 1, B, *shape): the initial state, then the state after each step.
    states: dict[str, Array] = field(default_factory=dict)


class CellModel:
    """A simulator for a cell definition (see the module docstring).

    Parameters
    ----------
    cell : Cell
        The definition.
    input_size, hidden_size : int
        The sizes I (of the inputs) and H (of the states) of layer 0.
    num_layers : int, default: 1
        Stacked layers; layer k > 0 reads the output of layer k - 1 (which must be a
        vector).
    seed : int, default: 0
        Seed of the initialisation.
    dtype : {"float32", "float64"}, default: "float64"
        The dtype of the parameters, of the inputs ``forward`` accepts and of everything
        it computes.
    init : {"pytorch"}, default: "pytorch"
        Parameters without an ``init`` of their own are drawn from U(-1/sqrt(H),
        1/sqrt(H)) as PyTorch does; declared inits (``zeros``, ``ones``, a constant,
        ``uniform``) are honoured.
    forget_bias : float, optional
        Sets the effective bias of the forget gate (the vector parameter added in the
        gate's pre-activation; with several, as in PyTorch's ``b_ih + b_hh``, the first
        holds the value and the others are zero) to exactly this value, as
        ``lstmfigs.sim.LSTM(forget_bias=...)`` and Keras' ``unit_forget_bias`` do.
    chrono : float, optional
        Chrono initialisation (Tallec & Ollivier 2018) for dependencies up to ``chrono``
        steps: effective forget bias log U(1, chrono - 1), input bias its negative.
    forget_gate, input_gate : str, default: "f", "i"
        The names of the gates ``forget_bias`` and ``chrono`` set.
    sizes : mapping of str to int, optional
        Values of the definition's declared sizes (defaults from its ``[sizes]``).

    Raises
    ------
    LstmfigsError
        For sizes, dtype, seed or options out of range, or an init option the cell cannot
        take (no such gate, no bias found).
    """

    def __init__(self, cell: Cell, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 seed: int = 0, dtype: Any = "float64", init: str = "pytorch",
                 forget_bias: float | None = None, chrono: float | None = None,
                 forget_gate: str = "f", input_gate: str = "i",
                 sizes: Mapping[str, int] | None = None) -> None:
        self.cell = cell
        self.input_size = _checks.positive_int(input_size, "input_size")
        self.hidden_size = _checks.positive_int(hidden_size, "hidden_size")
        self.num_layers = _checks.positive_int(num_layers, "num_layers")
        self.dtype = _checks.resolve_dtype(dtype)
        seed = _checks.seed(seed)
        if len(cell.inputs) != 1:
            raise LstmfigsError(f"cell {cell.name!r}: the simulator takes cells with one "
                                f"input; this one has {', '.join(cell.inputs)}")
        self.sizes = self._declared_sizes(sizes)
        self._structures: dict[int, _plan.Structure] = {}
        self._graphs: list[Graph] = []
        for layer in range(self.num_layers):
            self._graphs.append(self._graph(self._layer_sizes(layer)))
        count = sum(int(np.prod(shape, dtype=np.float64))
                    for shape in self.param_shapes().values())
        if count > MAX_PARAMETERS:
            raise LstmfigsError(f"cell {cell.name!r}: {count:.3g} parameters at these sizes "
                                f"(the most is {MAX_PARAMETERS:.3g}); choose smaller sizes")
        if init != "pytorch":
            raise LstmfigsError(f"init: expected 'pytorch', got {init!r}")
        self.params = self._initial_params(np.random.default_rng(seed))
        rng = np.random.default_rng([seed, 1])  # init options never shift the weights
        if chrono is not None:
            self._chrono(rng, chrono, forget_gate, input_gate)
        if forget_bias is not None:
            if isinstance(forget_bias, bool) or not isinstance(
                    forget_bias, (int, float, np.floating)) or not np.isfinite(forget_bias):
                raise LstmfigsError(f"forget_bias: expected a finite number, got "
                                    f"{forget_bias!r}")
            for layer in range(self.num_layers):
                self._set_bias(forget_gate, "forget_bias", layer, float(forget_bias))

    # -- sizes and parameters ----------------------------------------------------------

    def _declared_sizes(self, sizes: Mapping[str, int] | None) -> dict[str, int]:
        declared = {name: value for name, value in self.cell.sizes.items() if value is not None}
        for name, value in (sizes or {}).items():
            if name not in declared:
                raise LstmfigsError(f"sizes: {name!r} is not a declared size of cell "
                                    f"{self.cell.name!r}"
                                    + (f" (declared: {', '.join(declared)})" if declared
                                       else " (it declares none)"))
            declared[name] = _checks.positive_int(value, f"sizes[{name!r}]")
        return declared

    def _layer_sizes(self, layer: int) -> dict[str, int]:
        sizes = {**self.sizes, "H": self.hidden_size, "I": self.input_size}
        if layer == 0:
            return sizes
        below = self._graphs[0].nodes[self._graphs[0].targets[self.cell.output]].shape
        if len(below) != 1:
            raise LstmfigsError(f"num_layers: stacking needs a vector output, but "
                                f"{self.cell.output!r} has shape {below}")
        input_shape = self.cell.shapes[self.cell.inputs[0]]
        if len(input_shape) != 1 or input_shape[0].terms != (("I", 1),) \
                or input_shape[0].constant:
            raise LstmfigsError("num_layers: stacking needs the input to be a vector of "
                                "size I")
        return {**sizes, "I": below[0]}

    def _graph(self, sizes: dict[str, int]) -> Graph:
        for graph in self._graphs:
            if graph.sizes == sizes:
                return graph
        shapes = {name: tuple(size.resolve(sizes) for size in parameter.shape)
                  for name, parameter in self.cell.parameters.items()}
        return Graph(self.cell, sizes, shapes)

    def param_name(self, name: str, layer: int) -> str:
        """The model's name of parameter ``name`` of layer ``layer`` (``W_f``, ``W_f_l1``).

        Parameters
        ----------
        name : str
            A parameter of the definition.
        layer : int
            The layer.

        Returns
        -------
        str
        """
        return name if layer == 0 else f"{name}_l{layer}"

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter, layer by layer in the definition's order.

        Returns
        -------
        dict of str to tuple of int
        """
        return {self.param_name(name, layer): graph.param_shapes[name]
                for layer, graph in enumerate(self._graphs) for name in self.cell.parameters}

    def _initial_params(self, rng: np.random.Generator) -> dict[str, Array]:
        bound = 1.0 / np.sqrt(self.hidden_size)
        params: dict[str, Array] = {}
        for layer, graph in enumerate(self._graphs):
            for name, parameter in self.cell.parameters.items():
                shape = graph.param_shapes[name]
                init = parameter.init
                if init is None or init == "uniform":
                    # Drawn in float64 and rounded: one seed, one model in both dtypes.
                    value = rng.uniform(-bound, bound, size=shape)
                elif init == "zeros":
                    value = np.zeros(shape)
                elif init == "ones":
                    value = np.ones(shape)
                else:
                    value = np.full(shape, float(init))
                params[self.param_name(name, layer)] = value.astype(self.dtype)
        return params

    def gate_biases(self, gate: str, option: str = "gate") -> tuple[str, ...]:
        """The biases of ``gate``: the vector parameters added in its pre-activation (one,
        or several as in PyTorch's layout with ``b_ih`` and ``b_hh``).

        Parameters
        ----------
        gate : str
            A quantity of the cell computed by a sigmoid.
        option : str, default: "gate"
            The option asking (for messages).

        Returns
        -------
        tuple of str
            The parameters' names in the definition, in order of appearance.

        Raises
        ------
        LstmfigsError
            If the cell has no such gate, or its pre-activation adds no vector parameter.
        """
        cell = self.cell
        if gate not in cell.gates:
            raise LstmfigsError(f"{option}: cell {cell.name!r} has no gate {gate!r} (its gates: "
                                f"{', '.join(cell.gates) or 'none'}); name it with "
                                "forget_gate=/input_gate=")
        expr = cell.equation(gate).expr
        biases = tuple(name for sign, name in _sum_names(expr.args[0], 1)
                       if sign > 0 and name in cell.parameters
                       and len(cell.parameters[name].shape) == 1) \
            if isinstance(expr, Call) and len(expr.args) == 1 else ()
        if not biases:
            raise LstmfigsError(f"{option}: gate {gate!r} has no bias of its own (a vector "
                                f"parameter added inside the activation of "
                                f"{cell.equation(gate).text!r})")
        return biases

    def _set_bias(self, gate: str, option: str, layer: int, value: Array | float) -> None:
        """Make the effective bias of ``gate`` in ``layer`` exactly ``value``: the first
        bias holds it, any others are zero."""
        first, *others = self.gate_biases(gate, option)
        self.params[self.param_name(first, layer)][...] = value
        for name in others:
            self.params[self.param_name(name, layer)][...] = 0

    def _chrono(self, rng: np.random.Generator, t_max: float, forget: str, input_: str) -> None:
        if isinstance(t_max, bool) or not isinstance(t_max, (int, float, np.floating)) \
                or not np.isfinite(t_max) or t_max <= 2:
            raise LstmfigsError(f"chrono: expected a number > 2 (the longest dependency in "
                                f"steps), got {t_max!r}")
        self.gate_biases(input_, "chrono")
        for layer in range(self.num_layers):
            shape = self.params[self.param_name(self.gate_biases(forget)[0], layer)].shape
            value = np.log(rng.uniform(1.0, float(t_max) - 1.0, size=shape))
            self._set_bias(forget, "chrono", layer, value)
            self._set_bias(input_, "chrono", layer, -value)

    def load_params(self, params: Mapping[str, Any]) -> None:
        """Replace the parameters (exactly the names and shapes of :attr:`params`, of the
        model's dtype); the arrays are copied.

        Parameters
        ----------
        params : mapping of str to array_like
            Every parameter.

        Raises
        ------
        LstmfigsError
            For a missing or unexpected name, a wrong shape or dtype, or NaN or infinite
            values; the model is then unchanged.
        """
        if not isinstance(params, Mapping):
            raise LstmfigsError("params: expected a mapping of names to arrays")
        new: dict[str, Array] = {}
        for name, shape in self.param_shapes().items():
            value = _checks.mapping_entry(params, name, "params")
            new[name] = _checks.array(_checks.plain_array(value, f"params[{name!r}]"),
                                      f"params[{name!r}]", shape, self.dtype).copy()
        unknown = sorted(str(key) for key in set(params) - set(new))
        if unknown:
            raise LstmfigsError(f"params: unexpected key {unknown[0]!r} (expected "
                                f"{', '.join(new)})")
        self.params = new

    def _layer_params(self, layer: int) -> dict[str, Array]:
        return {name: self.params[self.param_name(name, layer)] for name in self.cell.parameters}

    # -- checks ------------------------------------------------------------------------

    def _state_shape(self, state: str, layer: int = 0) -> tuple[int, ...]:
        graph = self._graphs[layer]
        return tuple(size.resolve(graph.sizes) for size in self.cell.shapes[state])

    def _check_x(self, x: Any) -> Array:
        sizes = self._graphs[0].sizes
        shape = tuple(size.resolve(sizes) for size in self.cell.shapes[self.cell.inputs[0]])
        arr = _checks.array(_checks.plain_array(x, "x"), "x", ("T", "B", *shape), self.dtype)
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            raise LstmfigsError(f"x: expected at least one step and one sequence, got shape "
                                f"{arr.shape}")
        return arr

    def _check_states(self, value: Any, name: str, batch: int) -> dict[str, Array]:
        """``{state: (num_layers, B, *shape)}``: given states checked, others zero."""
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise LstmfigsError(f"{name}: expected a mapping of state names to arrays")
        unknown = sorted(str(key) for key in set(value) - set(self.cell.states))
        if unknown:
            raise LstmfigsError(f"{name}: {unknown[0]!r} is not a state of cell "
                                f"{self.cell.name!r} (its states: "
                                f"{', '.join(self.cell.states)})")
        states: dict[str, Array] = {}
        for state in self.cell.states:
            shapes = {self._state_shape(state, layer) for layer in range(self.num_layers)}
            if len(shapes) != 1:  # a state whose size depends on I: only layer 0 differs
                raise LstmfigsError(f"{name}: state {state!r} has different shapes in the "
                                    "layers; stacked runs need states of size H")
            shape = shapes.pop()
            if state in value:
                states[state] = _checks.array(
                    _checks.plain_array(value[state], f"{name}[{state!r}]"),
                    f"{name}[{state!r}]", (self.num_layers, batch, *shape), self.dtype)
            else:
                states[state] = np.zeros((self.num_layers, batch, *shape), self.dtype)
        return states

    # -- forward -----------------------------------------------------------------------

    def forward(self, x: Any, initial: Mapping[str, Any] | None = None) -> CellTrace:
        """Run the cell over the sequence ``x``, recording every named quantity.

        Parameters
        ----------
        x : array_like
            (T, B, I), time-major, of the model's dtype, finite.
        initial : mapping of str to array_like, optional
            Initial states ``{state: (num_layers, B, *shape)}``; missing states are zero.

        Returns
        -------
        CellTrace
            ``tr[name]`` (T, B, *shape) for every quantity of the last layer, ``layers``,
            ``output``, ``final``.

        Raises
        ------
        LstmfigsError
            For an input or state of the wrong shape or dtype, or not finite.
        """
        x = self._check_x(x)
        states = self._check_states(initial, "initial", x.shape[1])
        layers: list[LayerTrace] = []
        layer_input = x
        for layer in range(self.num_layers):
            trace = self._layer_forward(layer, layer_input,
                                        {s: v[layer] for s, v in states.items()})
            layers.append(trace)
            layer_input = trace[self.cell.output]
        final = {s: np.stack([lt.final[s] for lt in layers]) for s in self.cell.states}
        return CellTrace(layers, final, self.cell.output)

    def _structure(self, graph: Graph) -> _plan.Structure:
        structure = self._structures.get(id(graph))
        if structure is None:
            structure = self._structures[id(graph)] = _plan.Structure(graph)
        return structure

    def _layer_forward(self, layer: int, x: Array, initial: dict[str, Array]) -> LayerTrace:
        graph, params, dtype = self._graphs[layer], self._layer_params(layer), self.dtype
        structure = self._structure(graph)
        nodes = graph.nodes
        steps, batch = x.shape[0], x.shape[1]
        work = _Work(graph, params, {}, {}, {}, {})
        for index, spec in graph.fused.items():
            work.weights[index] = np.concatenate(
                [_param_part(params[ref], rows, cols) for ref, rows, cols in spec.members])
        static, hoisted = work.static, work.hoisted
        for index in graph.static_nodes:
            node = nodes[index]
            if node.op == "param":
                static[index] = _param_part(params[node.ref], node.rows, node.cols)
            elif node.op == "const":
                static[index] = np.asarray(node.number, dtype)
            else:
                static[index] = _graph.apply(node, nodes, [static[a] for a in node.args], dtype)
        flat = x.reshape(steps * batch, *x.shape[2:])
        for index in graph.hoisted_nodes:
            node = nodes[index]
            if node.op == "input":
                hoisted[index] = flat
                continue
            args = [static[a] if a in static else hoisted[a] for a in node.args]
            if node.op == "fused":
                hoisted[index] = args[0] @ work.weights[index].T
            elif index in structure.in_place:
                hoisted[index] = _plan.BINARY_UFUNCS[node.op](*args, out=args[0])
            else:
                hoisted[index] = _graph.apply(node, nodes, args, dtype)
        for index, value in list(hoisted.items()):
            hoisted[index] = value.reshape(steps, batch, *value.shape[1:])
        for state in self.cell.states:
            shape = nodes[structure.state_nodes[state]].shape
            work.states[state] = np.empty((steps + 1, batch, *shape), dtype)
            work.states[state][0] = initial[state]
        frames = self._value_frames(work, structure, steps, batch, forward=True)
        weights_t = {index: np.ascontiguousarray(w.T) for index, w in work.weights.items()}
        ops = [_plan.forward_op(graph, index, weights_t, dtype)
               for index in structure.forward_steps]
        # States whose node is not theirs alone are copied into their sequence.
        for state, index in structure.state_nodes.items():
            if structure.owners.get(index) != state:
                slot = frames.size
                frames.size += 1
                frames.sequences.append((slot, work.states[state][1:]))
                ops.append(_plan.copy_op(index, slot))
        _run(frames, ops, range(steps))
        named: dict[str, Array] = {}
        for name, index in graph.targets.items():
            sequence = _sequence(work, index, steps, batch, _state_of(graph, index))
            assert sequence is not None  # every target is kept
            named[name] = sequence
        for state in self.cell.states:
            named[state] = work.states[state][1:]
        final = {state: named[state][-1] for state in self.cell.states}
        return LayerTrace(x, initial, final, named, work)

    def _value_frames(self, work: _Work, structure: _plan.Structure, steps: int, batch: int,
                      *, forward: bool) -> _plan.Frames:
        """Slots 0..N-1 of the loops: every node's value (see :mod:`_plan`).  The forward
        pass allocates the stored sequences and the scratch buffers; backward reads the
        stored sequences (other step values are not needed there)."""
        graph = work.graph
        nodes = graph.nodes
        frames = _plan.Frames(len(nodes))
        frames.constant.update(work.static)
        # Only what the loop reads is refreshed at every step.
        reads = structure.forward_reads if forward else structure.backward_reads
        frames.sequences.extend((i, v) for i, v in work.hoisted.items() if i in reads)
        sequence_of: dict[int, Array] = {}
        for index in graph.step_nodes:
            node = nodes[index]
            value: Array | None = None
            if node.op == "prev":
                sequence_of[index] = work.states[node.ref][:-1]
            elif index in structure.owners:
                sequence_of[index] = work.states[structure.owners[index]][1:]
            elif node.op == "slice":
                parent = node.args[0]
                assert node.rows is not None
                rows = slice(node.rows[0], node.rows[1])
                if parent in sequence_of:
                    sequence_of[index] = sequence_of[parent][..., rows]
                elif frames.constant.get(parent) is not None:
                    value = frames.constant[parent][..., rows]
            elif index in graph.stored:
                if forward:
                    work.stored[index] = np.empty((steps, batch, *node.shape), self.dtype)
                sequence_of[index] = work.stored[index]
            elif forward:
                value = np.empty((batch, *node.shape), self.dtype)
            if index in sequence_of:
                frames.full[index] = sequence_of[index]
                if forward and index not in work.stored and node.op != "prev":
                    work.stored[index] = sequence_of[index]
                if index in reads:
                    frames.sequences.append((index, sequence_of[index]))
            else:
                frames.constant[index] = value
        return frames

    # -- backward ----------------------------------------------------------------------

    def backward(self, tr: CellTrace, dh: Any,
                 d_final: Mapping[str, Any] | None = None) -> CellGradients:
        """Exact backpropagation through time through the trace ``tr`` of :meth:`forward`.

        Parameters
        ----------
        tr : CellTrace
            What ``forward`` of this model returned.
        dh : array_like
            dL/d(output), shaped like ``tr.output``, of the model's dtype.
        d_final : mapping of str to array_like, optional
            dL/d(final state) ``{state: (num_layers, B, *shape)}``; missing states zero.

        Returns
        -------
        CellGradients
            dL/dx, dL/d(initial states), the parameters' gradients and the last layer's
            total state gradients.

        Raises
        ------
        LstmfigsError
            For a trace of another model or gradients of the wrong shape or dtype.
        """
        self._check_trace(tr)
        output = tr.output
        upstream = _checks.array(_checks.plain_array(dh, "dh"), "dh", output.shape, self.dtype)
        finals = self._check_states(d_final, "d_final", output.shape[1])
        layer_grads: list[LayerGradients] = [None] * self.num_layers  # type: ignore[list-item]
        for layer in reversed(range(self.num_layers)):
            grads = self._layer_backward(tr.layers[layer], upstream,
                                         {s: v[layer] for s, v in finals.items()})
            layer_grads[layer] = grads
            upstream = grads.x
        params = {self.param_name(name, layer): grads.params[name]
                  for layer, grads in enumerate(layer_grads) for name in self.cell.parameters}
        initial = {s: np.stack([g.initial[s] for g in layer_grads]) for s in self.cell.states}
        return CellGradients(upstream, initial, params, layer_grads[-1].states, layer_grads)

    def _check_trace(self, tr: Any) -> None:
        if not isinstance(tr, CellTrace) or len(tr.layers) != self.num_layers or any(
                lt.work.graph is not graph for lt, graph in zip(tr.layers, self._graphs,
                                                                strict=True)):
            raise LstmfigsError("tr: expected a trace of this model (what its forward "
                                "returned)")

    def _layer_backward(self, trace: LayerTrace, upstream: Array | None,
                        d_final: dict[str, Array], *, stop: int | None = None,
                        probe: Array | None = None,
                        norms: dict[str, Array] | None = None) -> LayerGradients:
        """BPTT through one layer over its first ``stop`` steps.

        ``upstream`` (T, B, *out) is dL/d(output); ``d_final`` seeds the states leaving
        the last step.  With ``probe`` (S, B, *out) instead, the output of step ``stop -
        1`` is seeded with leading probe axes (Jacobian norms): only the state gradients
        are propagated and ``norms[state][t]`` receives the per-sample norm of
        d output / d state_t (the other states at t held fixed).
        """
        work, cell, dtype = trace.work, self.cell, self.dtype
        graph, nodes = work.graph, work.graph.nodes
        structure = self._structure(graph)
        steps = trace.x.shape[0] if stop is None else stop
        batch = trace.x.shape[1]
        train = probe is None
        lead = (batch,) if train else probe.shape[:2]  # type: ignore[union-attr]
        frames = self._value_frames(work, structure, steps, batch, forward=False)
        output_node = graph.targets[cell.output]
        seeds: list[tuple[int, Any]] = []
        if train:
            assert upstream is not None
            seeds.append((output_node, upstream))
        else:
            assert probe is not None
            seeds.append((output_node, _plan.sparse(steps, probe)))
        for state, index in structure.state_nodes.items():
            # A state read at the next step gets d_final through its carry (below).
            if state in d_final and state not in structure.carried:
                final = d_final[state]
                seeds.append((index, _plan.sparse(steps, final)))
        plan = _plan.backward_plan(structure, frames, steps, lead, dtype, work.weights,
                                   train=train, seeds=seeds)
        for state, pair in plan.carry.items():
            if state in d_final:
                pair[steps % 2][...] = d_final[state]  # read by the last step
        after = None
        if norms is not None:
            def after(t: int) -> None:
                if t > 0:
                    for state in cell.states:
                        if state in plan.carry:
                            norms[state][t - 1] = _norm(plan.carry[state][t % 2], 1)
        _run(frames, plan.ops, range(steps - 1, -1, -1), after)
        if not train:
            return LayerGradients(trace.x, {}, {}, {})
        initial = {s: plan.carry[s][0].copy() if s in plan.carry
                   else np.zeros_like(trace.initial[s]) for s in cell.states}
        states = {}
        for state, index in structure.state_nodes.items():
            root = structure.root(index)
            states[state] = plan.sequences[root] if root in plan.sequences \
                else np.zeros((steps, batch, *nodes[index].shape), dtype)
        gradient_of = {index: plan.sequences[structure.root(index)]
                       for index in plan.grad_slot
                       if structure.root(index) in plan.sequences
                       and nodes[index].op != "slice"}
        params = self._parameter_gradients(work, structure, gradient_of, steps, batch)
        input_node = next((i for i in graph.hoisted_nodes if nodes[i].op == "input"), None)
        dx = gradient_of.get(input_node) if input_node is not None else None
        if dx is None:
            dx = np.zeros_like(trace.x)
        return LayerGradients(dx, initial, params, states)

    def _parameter_gradients(self, work: _Work, structure: _plan.Structure,
                             gradient_of: dict[int, Array], steps: int,
                             batch: int) -> dict[str, Array]:
        """The parameters' gradients, each taken once over all steps: from the gradients
        ``gradient_of`` (T, B, ...) of the step nodes reading parameters (one product
        per fused group), then backward through the hoisted nodes (all steps at once) and
        the static nodes."""
        graph, nodes, dtype = work.graph, work.graph.nodes, self.dtype
        params = {name: np.zeros_like(value) for name, value in work.params.items()}
        static_grads: dict[int, Array] = {}

        def add_static(index: int, grad: Array) -> None:
            static_grads[index] = static_grads[index] + grad if index in static_grads else grad

        def add_member_grads(index: int, grad_weights: Array) -> None:
            spec = graph.fused[index]
            for k, (ref, rows, cols) in enumerate(spec.members):
                part = grad_weights[spec.offsets[k]:spec.offsets[k + 1]]
                _param_part(params[ref], rows, cols)[...] += part

        def values(index: int) -> Array | None:
            sequence = _sequence(work, index, steps, batch, _state_of(graph, index))
            if sequence is None or index in work.static:
                return sequence if sequence is None else work.static[index]
            return sequence.reshape(steps * batch, *sequence.shape[2:])

        for index in graph.step_nodes:
            node = nodes[index]
            if index not in gradient_of:
                continue
            grad = gradient_of[index].reshape(steps * batch, *node.shape)
            if node.op == "fused":
                operand = values(node.args[0])
                assert operand is not None
                add_member_grads(index, grad.T @ operand)
                continue
            need = [graph.phase[a] == "static" for a in node.args]
            if not any(need):
                continue
            arg_grads = _graph.gradients(node, nodes, grad,
                                         [values(a) for a in node.args],  # type: ignore[misc]
                                         values(index), need)
            for arg, arg_grad in zip(node.args, arg_grads, strict=True):
                if arg_grad is not None:
                    add_static(arg, arg_grad)
        # What the loop left at the hoisted nodes it reached (a hoisted node sharing the
        # buffer of another hoisted node gets its gradient below, not from the loop).
        flat = {index: grad.reshape(steps * batch, *grad.shape[2:])
                for index, grad in gradient_of.items() if graph.phase[index] == "hoisted"
                and graph.phase[structure.alias.get(index, index)] != "hoisted"
                or graph.phase[index] == "hoisted" and index not in structure.alias}
        owned: set[int] = set()  # gradients this pass made (the others are shared)
        hoisted_values = {index: value.reshape(steps * batch, *value.shape[2:])
                          for index, value in work.hoisted.items()}
        for index in reversed(graph.hoisted_nodes):
            hoisted_grad = flat.get(index)
            node = nodes[index]
            if hoisted_grad is None or node.op == "input":
                continue
            if node.op == "slice":
                fused = node.args[0]
                if fused in flat and fused not in owned:
                    flat[fused] = flat[fused].copy()
                owned.add(fused)
                _slice_backward(flat, node, nodes, hoisted_grad)
                continue
            if node.op == "fused":
                operand = hoisted_values[node.args[0]]
                add_member_grads(index, hoisted_grad.T @ operand)
                flat[node.args[0]] = flat[node.args[0]] + hoisted_grad @ work.weights[index] \
                    if node.args[0] in flat else hoisted_grad @ work.weights[index]
                continue
            arg_values = [work.static[a] if a in work.static else hoisted_values[a]
                          for a in node.args]
            arg_grads = _graph.gradients(node, nodes, hoisted_grad, arg_values,
                                         hoisted_values.get(index), [True] * len(node.args))
            for arg, arg_grad in zip(node.args, arg_grads, strict=True):
                assert arg_grad is not None
                if graph.phase[arg] == "static":
                    add_static(arg, arg_grad)
                else:
                    flat[arg] = flat[arg] + arg_grad if arg in flat else arg_grad
        for index, grad in flat.items():
            gradient_of[index] = grad.reshape(steps, batch, *grad.shape[1:])
        for index in reversed(graph.static_nodes):
            static_grad = static_grads.get(index)
            node = nodes[index]
            if static_grad is None or node.op == "const":
                continue
            if node.op == "param":
                _param_part(params[node.ref], node.rows, node.cols)[...] += static_grad
                continue
            arg_values = [work.static[a] for a in node.args]
            arg_grads = _graph.gradients(node, nodes, static_grad, arg_values, work.static[index],
                                         [True] * len(node.args))
            for arg, arg_grad in zip(node.args, arg_grads, strict=True):
                assert arg_grad is not None
                add_static(arg, arg_grad)
        return {name: value.astype(dtype, copy=False) for name, value in params.items()}

    # -- Jacobian norms ----------------------------------------------------------------

    def jacobian_norms(self, x: Any, t_end: int | None = None, *,
                       initial: Mapping[str, Any] | None = None) -> JacobianNorms:
        """Frobenius norms of d output_{t_end} / d state_{t_end - lag} of the last layer,
        per sample, over the whole state and per state.

        The derivative is the one BPTT propagates: a state at step t perturbed with the
        other states at step t held fixed; the whole-state norm perturbs all of them
        (Pascanu et al. 2013).  At lag 0 the derivative is taken w.r.t. the states of step
        t_end themselves (for an output that is a state: the identity, norm sqrt(H)).

        Parameters
        ----------
        x : array_like or CellTrace
            The input (T, B, I), or a trace of this model's ``forward``.
        t_end : int, optional
            The step probed, 0 <= t_end < T (default: the last).
        initial : mapping, optional
            Initial states, as for :meth:`forward` (only with an input ``x``).

        Returns
        -------
        JacobianNorms
            ``lags`` (t_end + 1,), ``norms`` (t_end + 1, B) and ``states`` per state.

        Raises
        ------
        LstmfigsError
            For a bad input, trace or step.
        """
        if isinstance(x, CellTrace):
            if initial is not None:
                raise LstmfigsError("initial: give it to forward, not with a trace")
            self._check_trace(x)
            tr = x
        else:
            tr = self.forward(x, initial)
        trace = tr.layers[-1]
        steps, batch = trace.x.shape[0], trace.x.shape[1]
        if t_end is None:
            t_end = steps - 1
        if isinstance(t_end, bool) or not isinstance(t_end, (int, np.integer)) \
                or not 0 <= t_end < steps:
            raise LstmfigsError(f"t_end: expected an integer step 0 <= t_end < {steps}, got "
                                f"{t_end!r}")
        t_end = int(t_end)
        graph, cell = trace.work.graph, self.cell
        out_shape = graph.nodes[graph.targets[cell.output]].shape
        width = int(np.prod(out_shape))
        # One probe per output coordinate: their adjoints are the Jacobian's rows.
        eye = np.eye(width, dtype=self.dtype).reshape(width, 1, *out_shape)
        seeds = np.ascontiguousarray(np.broadcast_to(eye, (width, batch, *out_shape)))
        norms = {s: np.zeros((t_end + 1, batch), self.dtype) for s in cell.states}
        self._layer_backward(trace, None, {}, stop=t_end + 1,
                             probe=seeds, norms=norms)
        lag0 = self._lag_zero(trace, t_end, seeds)
        for state in cell.states:
            norms[state][t_end] = lag0[state]
        whole = np.sqrt(sum(np.square(n) for n in norms.values()))
        reverse = {s: n[::-1].copy() for s, n in norms.items()}
        return JacobianNorms(np.arange(t_end + 1), np.asarray(whole)[::-1].copy(), reverse)

    def _lag_zero(self, trace: LayerTrace, t: int, seeds: Array) -> dict[str, Array]:
        """Norms of d output_t / d state_t: backward through step t that stops at the
        states (identity for an output that is a state)."""
        graph, cell = trace.work.graph, self.cell
        nodes = graph.nodes
        state_nodes = {graph.targets[s]: s for s in cell.states}
        output_node = graph.targets[cell.output]
        result = {s: np.zeros(seeds.shape[1], self.dtype) for s in cell.states}
        if output_node in state_nodes:
            result[state_nodes[output_node]] = _norm(seeds, 1)
            return result
        work = trace.work
        values: dict[int, Array] = dict(work.static)
        for index in work.hoisted:
            values[index] = work.hoisted[index][t]
        for index in work.stored:
            values[index] = work.stored[index][t]
        for index in graph.step_nodes:
            if nodes[index].op == "prev":
                values[index] = work.states[nodes[index].ref][t]
        grads: dict[int, Array] = {output_node: seeds}
        for index in reversed(graph.step_nodes):
            grad = grads.get(index)
            node = nodes[index]
            if grad is None or node.op == "prev":
                continue
            if index in state_nodes:
                result[state_nodes[index]] = _norm(grad, 1)
                continue
            if node.op == "slice":
                _slice_backward(grads, node, nodes, grad)
                continue
            reached = [graph.phase[a] == "step" or a in state_nodes for a in node.args]
            if node.op == "fused":
                args_grads: list[Array | None] = [grad @ work.weights[index]]
            else:
                args_grads = _graph.gradients(node, nodes, grad,
                                              [values.get(a) for a in node.args],  # type: ignore[misc]
                                              values.get(index), reached)
            for arg, arg_grad, wanted in zip(node.args, args_grads, reached, strict=True):
                if arg_grad is not None and wanted:
                    grads[arg] = grads[arg] + arg_grad if arg in grads else arg_grad
        for index, state in state_nodes.items():  # states computed before the loop
            if graph.phase[index] != "step" and index in grads:
                result[state] = _norm(grads[index], 1)
        return result


# -- helpers ---------------------------------------------------------------------------


def _param_part(value: Array, rows: tuple[int, int] | None,
                cols: tuple[int, int] | None) -> Array:
    """The view of a parameter a leaf reads: ``value[rows][:, cols]``."""
    if rows is not None:
        value = value[rows[0]:rows[1]]
    if cols is not None:
        value = value[..., cols[0]:cols[1]]
    return value


def _slice_backward(grads: dict[int, Array], node: _graph.Node, nodes: list[_graph.Node],
                    grad: Array) -> None:
    """Add the gradient of a slice of a fused product into the product's gradient."""
    fused = node.args[0]
    if fused not in grads:
        grads[fused] = np.zeros(grad.shape[:-1] + nodes[fused].shape, grad.dtype)
    assert node.rows is not None
    grads[fused][..., node.rows[0]:node.rows[1]] += grad


def _state_of(graph: Graph, index: int) -> str | None:
    node = graph.nodes[index]
    return node.ref if node.op == "prev" else None


def _sequence(work: _Work, index: int, steps: int, batch: int,
              state: str | None) -> Array | None:
    """The values of node ``index`` at every step, (T, B, *shape) (None for a step node
    whose values are not kept)."""
    node = work.graph.nodes[index]
    if index in work.stored:
        return work.stored[index]
    if index in work.hoisted:
        return work.hoisted[index]
    if index in work.static:
        return np.broadcast_to(work.static[index], (steps, batch, *node.shape))
    if state is not None:
        return work.states[state][:-1]
    return None


def _run(frames: _plan.Frames, ops: list[_plan.Op], times: range,
         after: Callable[[int], None] | None = None) -> None:
    """The loop over time: fill each step's views into the frame, run the operations."""
    frame = frames.base()
    sequences = frames.sequences
    for t in times:
        for slot, sequence in sequences:
            frame[slot] = sequence[t]
        for op in ops:
            op(frame)
        if after is not None:
            after(t)


def _norm(values: Array, probe_axes: int) -> Array:
    """Per-sample Frobenius norm of ``values`` (probes, B, *shape)."""
    axes = (*range(probe_axes), *range(probe_axes + 1, values.ndim))
    return np.asarray(np.sqrt(np.square(values).sum(axis=axes)))


def _sum_names(expr: Expr, sign: int) -> list[tuple[int, str]]:
    """The names that are direct terms of a sum, with their signs."""
    if isinstance(expr, Neg):
        return _sum_names(expr.operand, -sign)
    if isinstance(expr, BinOp) and expr.op in "+-":
        return _sum_names(expr.left, sign) + _sum_names(
            expr.right, -sign if expr.op == "-" else sign)
    if isinstance(expr, Name):
        return [(sign, expr.name)]
    return []
