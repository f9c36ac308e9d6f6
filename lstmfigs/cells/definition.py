"""A cell defined once, by its update equations: parsing, name resolution, checks and
shape inference.

A :class:`Cell` is built from data (TOML, or the arguments of :meth:`Cell.from_equations`)
and never from code: the equations are parsed by :mod:`lstmfigs.cells.syntax`, every name
is classified (input, state, previous state ``NAME_prev``, defined quantity, parameter),
the equations are ordered so that each quantity is computed after what it uses, and every
quantity and parameter gets a shape in terms of the named sizes ``H`` (the states), ``I``
(the inputs) and any sizes the definition declares.  Everything else (the simulator, the
equations panel, the highlight steps, the data figures) reads the :class:`Cell`.
"""

from __future__ import annotations

import ast
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DefinitionError, did_you_mean, printable
from .syntax import (
    FUNCTIONS,
    BinOp,
    Call,
    Concat,
    Equation,
    Expr,
    Name,
    Neg,
    Number,
    located,
    names_in,
    parse_equation,
    walk,
)

if TYPE_CHECKING:
    from .simulate import CellModel

#: Bounds on a definition (hostile input must end quickly in one clear error).
MAX_DEFINITION_BYTES = 200_000
MAX_EQUATIONS = 200
MAX_NAME_CHARS = 64
MAX_SYMBOL_CHARS = 200
MAX_SIZE_DEFAULT = 4096
#: The sizes every definition has: H, the size of the states; I, the size of the inputs.
BASE_SIZES = ("H", "I")
#: Keys of a definition's TOML table.
KEYS = ("name", "title", "inputs", "states", "output", "equations", "symbols", "steps",
        "parameters", "shapes", "sizes")
#: Named initialisations a parameter may declare (or a number: a constant).
INITS = ("uniform", "zeros", "ones")
#: Suffix naming a state's value at the previous step.
PREV = "_prev"
#: What the simulator appends to a parameter's name for stacked layer k >= 1.
_LAYER_SUFFIX = re.compile(r"_l[0-9]+$")


@dataclass(frozen=True)
class Size:
    """A size as a linear combination of named sizes plus a constant: ``H+I``, ``2*H``,
    ``N``, ``4``."""

    terms: tuple[tuple[str, int], ...]
    constant: int = 0

    @classmethod
    def named(cls, name: str) -> Size:
        """The size called ``name`` (``H``, ``I`` or a declared size)."""
        return cls(((name, 1),), 0)

    def __add__(self, other: Size) -> Size:
        merged: dict[str, int] = dict(self.terms)
        for name, coefficient in other.terms:
            merged[name] = merged.get(name, 0) + coefficient
        return Size(tuple(sorted((n, c) for n, c in merged.items() if c)),
                    self.constant + other.constant)

    def scaled(self, factor: int) -> Size:
        """This size times the integer ``factor``."""
        return Size(tuple((n, c * factor) for n, c in self.terms), self.constant * factor)

    def resolve(self, sizes: Mapping[str, int]) -> int:
        """The size in numbers, given a value for each named size.

        Parameters
        ----------
        sizes : mapping of str to int
            ``{"H": 16, "I": 5, ...}``.

        Returns
        -------
        int
        """
        return self.constant + sum(coefficient * sizes[name] for name, coefficient in self.terms)

    def __str__(self) -> str:
        parts = [name if coefficient == 1 else f"{coefficient}*{name}"
                 for name, coefficient in self.terms]
        if self.constant or not parts:
            parts.append(str(self.constant))
        return "+".join(parts).replace("+-", "-")


#: A shape: () a scalar, (n,) a vector, (m, n) a matrix.
Shape = tuple[Size, ...]


@dataclass(frozen=True)
class Parameter:
    """A learned parameter: its name, shape and initialisation (None: PyTorch's
    U(-1/sqrt(H), 1/sqrt(H)); ``"uniform"`` the same, said explicitly; ``"zeros"``;
    ``"ones"``; a number: that constant)."""

    name: str
    shape: Shape
    init: str | float | None = None


@dataclass(frozen=True, eq=False)
class Cell:
    """A recurrent cell, defined by its update equations.

    Build one with :meth:`from_toml`, :meth:`from_equations`, :func:`lstmfigs.cells.load`
    or :func:`lstmfigs.cells.builtin`; the constructor takes the checked pieces.

    Attributes
    ----------
    name, title : str
        The cell's short name and its title (usually citing the paper).
    inputs : tuple of str
        The per-step inputs (``("x",)``).
    states : tuple of str
        The states carried from step to step; ``NAME_prev`` is a state's value at t-1.
    output : str
        The quantity the next layer and the readout see.
    equations : tuple of Equation
        The equations in the user's order.
    order : tuple of int
        The equations' indices in an order in which each quantity is computed after the
        quantities it uses.
    parameters : dict of str to Parameter
        The free names, in order of first appearance, with their shapes.
    shapes : dict of str to Shape
        The shape of every input, state and defined quantity.
    sizes : dict of str to int or None
        The named sizes: ``H`` and ``I`` (None: given when a model is made) and the
        definition's own ``[sizes]`` with their defaults.
    symbols : dict of str to str
        How the user wants names typeset (mathtext), from ``[symbols]``.
    steps : dict of str to tuple of str, or None
        The user's highlight steps, from ``[steps]``; None to derive them.
    source : str
        The definition as TOML.
    """

    name: str
    title: str
    inputs: tuple[str, ...]
    states: tuple[str, ...]
    output: str
    equations: tuple[Equation, ...]
    order: tuple[int, ...]
    parameters: dict[str, Parameter]
    shapes: dict[str, Shape]
    sizes: dict[str, int | None]
    symbols: dict[str, str] = field(default_factory=dict)
    steps: dict[str, tuple[str, ...]] | None = None
    source: str = ""

    # -- construction -----------------------------------------------------------------

    @classmethod
    def from_toml(cls, text: str, *, origin: str = "<string>") -> Cell:
        """Parse and check a definition written in TOML.

        Parameters
        ----------
        text : str
            The TOML text (see the README's "Defining a cell").
        origin : str, default: "<string>"
            Where the text came from, for messages.

        Returns
        -------
        Cell

        Raises
        ------
        DefinitionError
            If the text is not TOML, has unknown keys, or the definition is not valid.
        """
        if not isinstance(text, str):
            raise DefinitionError(f"{printable(origin)}: a definition is TOML text, "
                                  f"not {type(text).__name__}")
        if len(text.encode("utf-8", "surrogateescape")) > MAX_DEFINITION_BYTES:
            raise DefinitionError(f"{printable(origin)}: larger than {MAX_DEFINITION_BYTES} "
                                  "bytes; a cell definition is a few lines")
        _check_nesting(text, origin)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc).split(" (at line")[0]
            line = getattr(exc, "lineno", None)
            at = f":{line}" if line else ""
            raise DefinitionError(f"{printable(origin)}{at}: invalid TOML: "
                                  f"{printable(message)}") from None
        return cls._from_data(data, origin=origin, source=text)

    @classmethod
    def from_equations(
        cls,
        equations: Sequence[str],
        *,
        name: str,
        states: Sequence[str],
        output: str,
        inputs: Sequence[str] = ("x",),
        title: str = "",
        symbols: Mapping[str, str] | None = None,
        steps: Mapping[str, Sequence[str]] | None = None,
        parameters: Mapping[str, Any] | None = None,
        shapes: Mapping[str, Sequence[str | int]] | None = None,
        sizes: Mapping[str, int] | None = None,
    ) -> Cell:
        """Build and check a definition from Python values (the same fields as the TOML).

        Parameters
        ----------
        equations : sequence of str
            ``"name = expression"`` lines.
        name : str
            The cell's short name.
        states : sequence of str
            The carried states.
        output : str
            The quantity the next layer sees.
        inputs : sequence of str, default: ("x",)
            The per-step inputs.
        title : str, default: ""
            A title (e.g. citing the paper); defaults to the name.
        symbols : mapping of str to str, optional
            Mathtext for names.
        steps : mapping of str to sequence of str, optional
            Highlight steps: step name to the quantities it lights.
        parameters : mapping, optional
            Declared parameters: ``{"W_f": ["H", "H+I"]}`` or ``{"W_f": {"shape": [...],
            "init": "zeros"}}``; when given, it lists every parameter.
        shapes : mapping of str to sequence, optional
            Shapes of inputs, states or quantities that are not the default vectors
            (``{"C": ["H", "H"]}``).
        sizes : mapping of str to int, optional
            Further named sizes with their default values (``{"N": 16}``).

        Returns
        -------
        Cell

        Raises
        ------
        DefinitionError
            If the definition is not valid.
        """
        data: dict[str, Any] = {"name": name, "title": title or name, "inputs": list(inputs),
                                "states": list(states), "output": output,
                                "equations": list(equations)}
        for key, value in (("symbols", symbols), ("steps", steps), ("parameters", parameters),
                           ("shapes", shapes), ("sizes", sizes)):
            if value is not None:
                data[key] = dict(value)
        return cls._from_data(data, origin=f"cell {name!r}", source=None)

    @classmethod
    def _from_data(cls, data: Mapping[str, Any], *, origin: str, source: str | None) -> Cell:
        unknown = [key for key in data if key not in KEYS]
        if unknown:
            key = str(unknown[0])
            raise DefinitionError(f"{printable(origin)}: unknown key {printable(key)!r}"
                                  f"{did_you_mean(key, KEYS)}; a definition has "
                                  f"{', '.join(KEYS)}")
        for key in ("name", "states", "output", "equations"):
            if key not in data:
                raise DefinitionError(f"{printable(origin)}: missing {key!r} (a definition "
                                      "needs name, states, output and equations)")
        name = _identifier(data["name"], "name", origin, dashes=True)
        checker = _Checker(name, data)
        cell = checker.build()
        text = source if source is not None else to_toml(cell)
        return cell.with_source(text)

    def with_source(self, text: str) -> Cell:
        """The same cell, remembering ``text`` as its TOML source."""
        return Cell(self.name, self.title, self.inputs, self.states, self.output,
                    self.equations, self.order, self.parameters, self.shapes, self.sizes,
                    self.symbols, self.steps, text)

    # -- questions about the graph ----------------------------------------------------

    @property
    def quantities(self) -> tuple[str, ...]:
        """The names defined by the equations, in the user's order."""
        return tuple(equation.target for equation in self.equations)

    def equation(self, name: str) -> Equation:
        """The equation defining ``name``.

        Parameters
        ----------
        name : str
            A defined quantity (a state included).

        Returns
        -------
        Equation

        Raises
        ------
        DefinitionError
            If no equation defines ``name``.
        """
        for equation in self.equations:
            if equation.target == name:
                return equation
        raise DefinitionError(f"cell {self.name!r}: no equation defines {printable(name)!r}"
                              f"{did_you_mean(name, self.quantities)}")

    def dependencies(self, name: str) -> tuple[str, ...]:
        """The names the equation of ``name`` uses directly (quantities, inputs, states,
        ``NAME_prev`` and parameters), in order of appearance.

        Parameters
        ----------
        name : str
            A defined quantity.

        Returns
        -------
        tuple of str
        """
        return names_in(self.equation(name).expr)

    def activation(self, name: str) -> str | None:
        """The outermost function of the equation of ``name`` (``"sigmoid"`` for a gate),
        or None when the equation is not a call.

        Parameters
        ----------
        name : str
            A defined quantity.

        Returns
        -------
        str or None
        """
        expr = self.equation(name).expr
        return expr.func if isinstance(expr, Call) else None

    @property
    def gates(self) -> tuple[str, ...]:
        """The quantities that are gates: those whose values provably lie in [0, 1]
        (outputs of a sigmoid, and such as CIFG's ``f = 1 - i``)."""
        return tuple(q for q in self.quantities if _within_unit(self.value_range(q)))

    def value_range(self, name: str) -> tuple[float, float]:
        """Bounds on the values of ``name`` that hold whatever the parameters and inputs,
        by interval arithmetic over its equation (a state's previous value is taken to lie
        in the range of its equation).

        Parameters
        ----------
        name : str
            A defined quantity, an input, a parameter or a ``NAME_prev``.

        Returns
        -------
        (float, float)
            The lower and upper bound (possibly infinite).
        """
        return _Ranges(self).of(name)

    def is_parameter(self, name: str) -> bool:
        """Whether ``name`` is one of the cell's parameters."""
        return name in self.parameters

    # -- what follows from the definition ----------------------------------------------

    def model(self, input_size: int, hidden_size: int, **options: Any) -> CellModel:
        """A simulator for this cell (see :class:`lstmfigs.cells.simulate.CellModel`).

        Parameters
        ----------
        input_size, hidden_size : int
            The sizes I and H.
        **options
            ``num_layers``, ``seed``, ``dtype``, ``init``, ``forget_bias``, ``chrono``, ...

        Returns
        -------
        CellModel
        """
        from .simulate import CellModel

        return CellModel(self, input_size, hidden_size, **options)

    def from_torch(self, state_dict: Any, **options: Any) -> CellModel:
        """A simulator for this built-in cell with the weights of a ``torch.nn`` model
        (see :func:`lstmfigs.cells.frameworks.from_torch`).

        Parameters
        ----------
        state_dict : mapping or path
            The torch state dict (or a file holding one).
        **options
            Passed to the mapping (e.g. ``dtype``).

        Returns
        -------
        CellModel
        """
        from .frameworks import from_torch

        return from_torch(self, state_dict, **options)


# -- value ranges ----------------------------------------------------------------------

_UNBOUNDED = (-math.inf, math.inf)
#: The image of each one-argument function over the whole real line.
_FUNCTION_RANGES: dict[str, tuple[float, float]] = {
    "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0),
    "exp": (0.0, math.inf), "relu": (0.0, math.inf), "softplus": (0.0, math.inf),
    "sqrt": (0.0, math.inf), "abs": (0.0, math.inf), "log": _UNBOUNDED,
    "silu": (-0.2785, math.inf),
}


def _within_unit(bounds: tuple[float, float]) -> bool:
    return 0.0 <= bounds[0] and bounds[1] <= 1.0 and bounds[0] < bounds[1]


def _product(a: float, b: float) -> float:
    return 0.0 if a == 0.0 or b == 0.0 else a * b


class _Ranges:
    """Interval arithmetic over a cell's equations (for :meth:`Cell.value_range`)."""

    def __init__(self, cell: Cell):
        self.cell = cell
        self.busy: set[str] = set()
        self.known: dict[str, tuple[float, float]] = {}

    def of(self, name: str) -> tuple[float, float]:
        base = name[:-len(PREV)] if name.endswith(PREV) else name
        if base not in self.cell.quantities:
            return _UNBOUNDED
        if base in self.busy:
            return _UNBOUNDED
        if base not in self.known:
            self.busy.add(base)
            self.known[base] = self.expr(self.cell.equation(base).expr)
            self.busy.discard(base)
        return self.known[base]

    def expr(self, expr: Expr) -> tuple[float, float]:
        if isinstance(expr, Number):
            return (expr.value, expr.value)
        if isinstance(expr, Name):
            return self.of(expr.name)
        if isinstance(expr, Neg):
            low, high = self.expr(expr.operand)
            return (-high, -low)
        if isinstance(expr, Call):
            if expr.func in _FUNCTION_RANGES:
                return _FUNCTION_RANGES[expr.func]
            (a_low, a_high), (b_low, b_high) = (self.expr(arg) for arg in expr.args)
            if expr.func == "maximum":
                return (max(a_low, b_low), max(a_high, b_high))
            if expr.func == "minimum":
                return (min(a_low, b_low), min(a_high, b_high))
            return self.times((a_low, a_high), (b_low, b_high))  # outer
        if isinstance(expr, BinOp) and expr.op in "+-*":
            a, b = self.expr(expr.left), self.expr(expr.right)
            if expr.op == "+":
                return (a[0] + b[0], a[1] + b[1])
            if expr.op == "-":
                return (a[0] - b[1], a[1] - b[0])
            return self.times(a, b)
        return _UNBOUNDED

    @staticmethod
    def times(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
        corners = [_product(x, y) for x in a for y in b]
        return (min(corners), max(corners))


# -- checking --------------------------------------------------------------------------


class _Checker:
    """Turns the raw fields of a definition into a checked :class:`Cell`."""

    def __init__(self, name: str, data: Mapping[str, Any]):
        self.name = name
        self.data = data
        self.origin = f"cell {name!r}"

    def fail(self, message: str, equation: Equation | None = None,
             column: int | None = None) -> DefinitionError:
        return DefinitionError(located(self.name, equation, column, message))

    def build(self) -> Cell:
        data = self.data
        title = data.get("title", self.name)
        if not isinstance(title, str) or len(title) > 300:
            raise self.fail("'title' is a string of at most 300 characters")
        inputs = self.names_list(data.get("inputs", ["x"]), "inputs")
        states = self.names_list(data["states"], "states")
        if not states:
            raise self.fail("'states' is empty: a recurrent cell carries at least one state")
        clash = set(inputs) & set(states)
        if clash:
            raise self.fail(f"{sorted(clash)[0]!r} is both an input and a state")
        sizes = self.declared_sizes(data.get("sizes", {}))
        raw = data["equations"]
        if not isinstance(raw, list) or not raw:
            raise self.fail("'equations' is a non-empty list of strings like "
                            "'h = tanh(W @ [h_prev, x] + b)'")
        if len(raw) > MAX_EQUATIONS:
            raise self.fail(f"more than {MAX_EQUATIONS} equations")
        equations = tuple(parse_equation(text, index, self.name) for index, text in enumerate(raw))
        targets = self.check_targets(equations, inputs, states)
        output = data["output"]
        if not isinstance(output, str) or output not in targets:
            raise self.fail(f"output {printable(str(output))!r} is not defined by an equation"
                            f"{did_you_mean(str(output), targets)}")
        declared = data.get("parameters")
        parameter_names = self.classify(equations, inputs, states, targets, declared)
        unused = [name for name in inputs
                  if not any(name in names_in(e.expr) for e in equations)]
        if unused:
            raise self.fail(f"input {unused[0]!r} is never used")
        order = self.evaluation_order(equations, targets)
        shapes_given = self.shapes_table(data.get("shapes", {}), sizes, inputs, states, targets)
        declared_shapes, inits = self.parameters_table(declared, sizes, parameter_names)
        inference = _Inference(self, sizes)
        shapes, parameter_shapes = inference.run(equations, order, inputs, states, targets,
                                                 parameter_names, shapes_given,
                                                 declared_shapes)
        parameters = {name: Parameter(name, parameter_shapes[name], inits.get(name))
                      for name in parameter_names}
        known = (*inputs, *states, *targets, *(f"{s}{PREV}" for s in states), *parameter_names)
        symbols = self.symbols_table(data.get("symbols", {}), known)
        steps = self.steps_table(data.get("steps"), (*inputs, *states, *targets))
        return Cell(self.name, title, inputs, states, output, equations, order, parameters,
                    shapes, {**{s: None for s in BASE_SIZES}, **sizes}, symbols, steps)

    # -- fields ------------------------------------------------------------------------

    def names_list(self, value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, list):
            raise self.fail(f"{key!r} is a list of names, e.g. [\"x\"]")
        names = tuple(_identifier(item, key, self.origin) for item in value)
        if len(set(names)) != len(names):
            raise self.fail(f"{key!r} names something twice")
        for item in names:
            if item.endswith(PREV):
                raise self.fail(f"{key} name {item!r} ends in {PREV!r}, which means "
                                "'the previous value of'")
        return names

    def declared_sizes(self, value: Any) -> dict[str, int]:
        if not isinstance(value, dict):
            raise self.fail("'sizes' is a table of named sizes with defaults, e.g. N = 16")
        sizes: dict[str, int] = {}
        for key, default in value.items():
            _identifier(key, "sizes", self.origin)
            if key in BASE_SIZES:
                raise self.fail(f"size {key!r} is given when a model is made, not declared")
            if isinstance(default, bool) or not isinstance(default, int) \
                    or not 1 <= default <= MAX_SIZE_DEFAULT:
                raise self.fail(f"size {key!r} must default to an integer in "
                                f"1..{MAX_SIZE_DEFAULT}")
            sizes[key] = default
        return sizes

    def check_targets(self, equations: tuple[Equation, ...], inputs: tuple[str, ...],
                      states: tuple[str, ...]) -> tuple[str, ...]:
        targets: list[str] = []
        for equation in equations:
            target = equation.target
            if len(target) > MAX_NAME_CHARS:
                raise self.fail(f"name longer than {MAX_NAME_CHARS} characters", equation, 1)
            if target in targets:
                raise self.fail(f"{target!r} is defined twice", equation, 1)
            if target in inputs:
                raise self.fail(f"{target!r} is an input and cannot be assigned", equation, 1)
            if target.endswith(PREV):
                raise self.fail(f"{target!r} is a previous value and cannot be assigned; "
                                f"assign {target[:-len(PREV)]!r}", equation, 1)
            if target in FUNCTIONS:
                raise self.fail(f"{target!r} is a function name", equation, 1)
            targets.append(target)
        for state in states:
            if state not in targets:
                raise self.fail(f"state {state!r} is never updated (no equation "
                                f"'{state} = ...')")
        return tuple(targets)

    def classify(self, equations: tuple[Equation, ...], inputs: tuple[str, ...],
                 states: tuple[str, ...], targets: tuple[str, ...],
                 declared: Any) -> tuple[str, ...]:
        """The parameters (free names), checking every other name."""
        if declared is not None and not isinstance(declared, dict):
            raise self.fail("'parameters' is a table: W_f = [\"H\", \"H+I\"]")
        declared_names = set(declared or {})
        known = set(inputs) | set(states) | set(targets)
        previous = set(_prevs(states))
        parameters: dict[str, None] = {}
        for equation in equations:
            for node in walk(equation.expr):
                for child, role in _operand_roles(node):
                    if not isinstance(child, Name) or child.name in known \
                            or child.name in previous:
                        continue
                    name = child.name
                    if declared is None and role and name not in parameters:
                        raise self.fail(f"undefined name {printable(name)!r} ({role}: not an "
                                        f"input, state, previous state or defined quantity)"
                                        f"{did_you_mean(name, [*known, *_prevs(states)])}",
                                        equation, child.where.column)
                if not isinstance(node, Name) or node.name in known:
                    continue
                name = node.name
                column = node.where.column
                if len(name) > MAX_NAME_CHARS:
                    raise self.fail(f"name longer than {MAX_NAME_CHARS} characters", equation,
                                    column)
                if name.endswith(PREV):
                    base = name[:-len(PREV)]
                    if base in states:
                        continue
                    raise self.fail(f"undefined name {printable(name)!r}: {printable(base)!r} "
                                    f"is not a state{did_you_mean(name, _prevs(states))}",
                                    equation, column)
                if name in FUNCTIONS:
                    raise self.fail(f"{name!r} is a function; call it: {name}(...)", equation,
                                    column)
                if name in BASE_SIZES:
                    raise self.fail(f"{name!r} names a size, not a value", equation, column)
                if declared is not None and name not in declared_names:
                    raise self.fail(f"undefined name {printable(name)!r} (not an input, state, "
                                    "previous state, defined quantity or declared parameter)"
                                    f"{did_you_mean(name, [*known, *declared_names])}",
                                    equation, column)
                if _LAYER_SUFFIX.search(name):
                    raise self.fail(f"parameter name {name!r} ends like a layer's copy "
                                    "(_l1, _l2, ... name the parameters of stacked layers); "
                                    "rename it", equation, column)
                parameters.setdefault(name, None)
        for name in declared_names - set(parameters):
            raise self.fail(f"parameter {printable(str(name))!r} is declared but never used")
        return tuple(parameters)

    def evaluation_order(self, equations: tuple[Equation, ...],
                         targets: tuple[str, ...]) -> tuple[int, ...]:
        index_of = {equation.target: equation.index for equation in equations}
        uses = {e.target: [n for n in names_in(e.expr) if n in index_of] for e in equations}
        order: list[int] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = [*path[path.index(name):], name]
                equation = equations[index_of[name]]
                column = next(node.where.column for node in walk(equation.expr)
                              if isinstance(node, Name) and node.name == cycle[1])
                raise self.fail("cycle within one step: " + " -> ".join(cycle)
                                + f" (use {cycle[1]}{PREV} for the previous step's value)",
                                equation, column)
            state[name] = 1
            for used in uses[name]:
                visit(used, [*path, name])
            state[name] = 2
            order.append(index_of[name])

        for target in targets:
            visit(target, [])
        return tuple(order)

    def shapes_table(self, value: Any, sizes: Mapping[str, int], inputs: tuple[str, ...],
                     states: tuple[str, ...], targets: tuple[str, ...]) -> dict[str, Shape]:
        if not isinstance(value, dict):
            raise self.fail("'shapes' is a table: C = [\"H\", \"H\"]")
        known = (*inputs, *states, *targets)
        shapes: dict[str, Shape] = {}
        for key, dims in value.items():
            if key not in known:
                raise self.fail(f"shapes: {printable(str(key))!r} is not an input, state or "
                                f"quantity{did_you_mean(str(key), known)}")
            shapes[key] = self.shape(dims, f"shapes.{key}", sizes)
        return shapes

    def parameters_table(self, value: Any, sizes: Mapping[str, int],
                         parameter_names: tuple[str, ...]
                         ) -> tuple[dict[str, Shape], dict[str, str | float]]:
        shapes: dict[str, Shape] = {}
        inits: dict[str, str | float] = {}
        for key, entry in (value or {}).items():
            where = f"parameters.{key}"
            if isinstance(entry, dict):
                extra = set(entry) - {"shape", "init"}
                if extra:
                    raise self.fail(f"{where}: unknown key {sorted(extra)[0]!r} (a parameter "
                                    "has shape and init)")
                if "shape" in entry:
                    shapes[key] = self.shape(entry["shape"], where, sizes)
                if "init" in entry:
                    inits[key] = self.init(entry["init"], where)
            else:
                shapes[key] = self.shape(entry, where, sizes)
        return shapes, inits

    def init(self, value: Any, where: str) -> str | float:
        if isinstance(value, bool):
            raise self.fail(f"{where}.init: {value!r} is not an initialisation")
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise self.fail(f"{where}.init: {value!r} is not finite")
            return float(value)
        if value not in INITS:
            raise self.fail(f"{where}.init: {printable(str(value))!r} is not one of "
                            f"{', '.join(INITS)} or a number{did_you_mean(str(value), INITS)}")
        return str(value)

    def shape(self, dims: Any, where: str, sizes: Mapping[str, int]) -> Shape:
        if isinstance(dims, str) or not isinstance(dims, list) or len(dims) > 2:
            raise self.fail(f"{where}: a shape is a list of at most two sizes, e.g. "
                            "[\"H\", \"H+I\"] ([] for a scalar)")
        return tuple(self.size(dim, where, sizes) for dim in dims)

    def size(self, text: Any, where: str, sizes: Mapping[str, int]) -> Size:
        known = (*BASE_SIZES, *sizes)
        if isinstance(text, bool):
            raise self.fail(f"{where}: {text!r} is not a size")
        if isinstance(text, int):
            if not 1 <= text <= MAX_SIZE_DEFAULT:
                raise self.fail(f"{where}: size {text} is not in 1..{MAX_SIZE_DEFAULT}")
            return Size((), text)
        if not isinstance(text, str) or len(text) > 100:
            raise self.fail(f"{where}: a size is a number or a string like \"H+I\"")
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError:
            raise self.fail(f"{where}: {printable(text)!r} is not a size like \"H+I\" or "
                            "\"2*H\"") from None

        def convert(node: ast.expr) -> Size:
            if isinstance(node, ast.Name):
                if node.id not in known:
                    raise self.fail(f"{where}: unknown size {printable(node.id)!r} (the sizes "
                                    f"are {', '.join(known)}; declare others under [sizes])")
                return Size.named(node.id)
            if isinstance(node, ast.Constant) and type(node.value) is int \
                    and 0 < node.value <= MAX_SIZE_DEFAULT:
                return Size((), node.value)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                return convert(node.left) + convert(node.right)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
                left, right = node.left, node.right
                if isinstance(right, ast.Constant):
                    left, right = right, left
                if isinstance(left, ast.Constant) and type(left.value) is int \
                        and 0 < left.value <= 64:
                    return convert(right).scaled(left.value)
            raise self.fail(f"{where}: {printable(text)!r} is not a size like \"H+I\" or "
                            "\"2*H\"")

        return convert(tree)

    def symbols_table(self, value: Any, known: tuple[str, ...]) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail("'symbols' is a table: g = '\\tilde{C}'")
        symbols: dict[str, str] = {}
        for key, symbol in value.items():
            if key not in known:
                raise self.fail(f"symbols: {printable(str(key))!r} is not a name of this cell"
                                f"{did_you_mean(str(key), known)}")
            if not isinstance(symbol, str) or not symbol or len(symbol) > MAX_SYMBOL_CHARS \
                    or "$" in symbol or not symbol.isprintable():
                raise self.fail(f"symbols.{key}: a non-empty mathtext string without '$' of "
                                f"at most {MAX_SYMBOL_CHARS} characters")
            symbols[key] = symbol
        return symbols

    def steps_table(self, value: Any,
                    known: tuple[str, ...]) -> dict[str, tuple[str, ...]] | None:
        if value is None:
            return None
        if not isinstance(value, dict) or not value:
            raise self.fail("'steps' is a table: forget = [\"f\", \"c\"]")
        steps: dict[str, tuple[str, ...]] = {}
        for key, names in value.items():
            _identifier(key, "steps", self.origin, dashes=True)
            if isinstance(names, str) or not isinstance(names, list) or not names:
                raise self.fail(f"steps.{key}: a non-empty list of quantities")
            for item in names:
                if item not in known:
                    raise self.fail(f"steps.{key}: {printable(str(item))!r} is not a quantity "
                                    f"of this cell{did_you_mean(str(item), known)}")
            steps[key] = tuple(names)
        return steps


def _operand_roles(node: Expr) -> list[tuple[Expr, str]]:
    """The children of ``node`` that must be values rather than parameters, with a word
    for why: the items of a concatenation and the right operand of ``@``."""
    if isinstance(node, Concat):
        return [(item, "concatenated") for item in node.items]
    if isinstance(node, BinOp) and node.op == "@":
        return [(node.right, "right of @")]
    return []


def _prevs(states: Iterable[str]) -> list[str]:
    return [f"{state}{PREV}" for state in states]


def _identifier(value: Any, key: str, origin: str, *, dashes: bool = False) -> str:
    text = value.replace("-", "_") if dashes and isinstance(value, str) else value
    if not isinstance(text, str) or not text.isidentifier() or not text.isascii() \
            or len(text) > MAX_NAME_CHARS:
        raise DefinitionError(f"{printable(origin)}: {key}: {printable(repr(value))} is not a "
                              f"name (letters, digits and _, at most {MAX_NAME_CHARS})")
    return str(value)


def _check_nesting(text: str, origin: str, limit: int = 8) -> None:
    """Refuse TOML nested deeper than a definition needs, before the recursive parser
    sees it (brackets inside strings count too, which only makes the bound stricter for
    equations with many brackets: those are limited per equation anyway)."""
    depth = 0
    quoted: str | None = None
    for char in text:
        if quoted:
            if char == quoted:
                quoted = None
        elif char in "\"'":
            quoted = char
        elif char in "[{":
            depth += 1
            if depth > limit:
                raise DefinitionError(f"{printable(origin)}: nested more than {limit} deep")
        elif char in "]}":
            depth -= 1


# -- shape inference -------------------------------------------------------------------


class _Var:
    """An unknown: a dimension or a whole shape, bound as inference learns."""

    def __init__(self) -> None:
        self.value: Any = None


#: A dimension during inference: known, or a variable.
_Dim = Size | _Var
#: A shape during inference: a tuple of dimensions, or a variable (rank unknown too).
_Type = tuple[_Dim, ...] | _Var


class _Pending(Exception):
    """A concatenation whose sizes are not known yet: retried in the next pass."""


class _Inference:
    """Unification over shapes: a name added to or multiplied with a vector has its shape;
    the left operand of ``@`` is a matrix; ``[a, b]`` is as long as ``a`` and ``b``."""

    def __init__(self, checker: _Checker, sizes: Mapping[str, int]):
        self.checker = checker
        self.sizes = sizes
        self.types: dict[str, _Type] = {}
        self.equation: Equation | None = None

    def fail(self, node: Expr | None, message: str) -> DefinitionError:
        column = node.where.column if node is not None else None
        return self.checker.fail(message, self.equation, column)

    # union-find over variables
    def dim(self, d: _Dim) -> _Dim:
        while isinstance(d, _Var) and d.value is not None:
            d = d.value
        return d

    def type(self, t: _Type) -> _Type:
        while isinstance(t, _Var) and t.value is not None:
            t = t.value
        if isinstance(t, tuple):
            return tuple(self.dim(d) for d in t)
        return t

    def unify_dim(self, a: _Dim, b: _Dim, node: Expr, what: str) -> None:
        a, b = self.dim(a), self.dim(b)
        if a is b:
            return
        if isinstance(a, _Var):
            a.value = b
        elif isinstance(b, _Var):
            b.value = a
        elif a != b:
            raise self.fail(node, f"shape mismatch in {what}: {a} against {b}")

    def unify(self, a: _Type, b: _Type, node: Expr, what: str) -> _Type:
        a, b = self.type(a), self.type(b)
        if a is b:
            return a
        if isinstance(a, _Var):
            a.value = b
            return b
        if isinstance(b, _Var):
            b.value = a
            return a
        if len(a) != len(b):
            # Mixed ranks usually mean a parameter inferred as a matrix (left of @) that
            # was meant to give a scalar, e.g. an mLSTM's per-head gate.
            hint = ("; the left operand of @ is taken to be a matrix unless declared: for a "
                    "scalar gate declare e.g. w_f = [\"I\"] and b_f = [] under [parameters]")
            raise self.fail(node, f"shape mismatch in {what}: {_show(a)} against {_show(b)}"
                                  + hint)
        for left, right in zip(a, b, strict=True):
            self.unify_dim(left, right, node, what)
        return self.type(a)

    def run(self, equations: tuple[Equation, ...], order: tuple[int, ...],
            inputs: tuple[str, ...], states: tuple[str, ...], targets: tuple[str, ...],
            parameters: tuple[str, ...], shapes_given: Mapping[str, Shape],
            declared: Mapping[str, Shape]) -> tuple[dict[str, Shape], dict[str, Shape]]:
        for name in inputs:
            self.types[name] = shapes_given.get(name, (Size.named("I"),))
        for name in states:
            self.types[name] = shapes_given.get(name, (Size.named("H"),))
            self.types[f"{name}{PREV}"] = self.types[name]
        for name in targets:
            if name not in states:
                self.types[name] = shapes_given.get(name, _Var())
        for name in parameters:
            self.types[name] = declared.get(name, _Var())
        pending: list[Equation] = [equations[i] for i in order]
        while pending:
            retry: list[Equation] = []
            for equation in pending:
                self.equation = equation
                try:
                    result = self.infer(equation.expr)
                except _Pending:
                    retry.append(equation)
                    continue
                self.unify(self.types[equation.target], result, equation.expr,
                           f"the value of {equation.target!r}")
            if len(retry) == len(pending):
                self.equation = retry[0]
                self.infer(retry[0].expr, final=True)
            pending = retry
        shapes = {name: self.final(name, f"quantity {name!r}")
                  for name in (*inputs, *states, *targets)}
        parameter_shapes = {name: self.final(name, f"parameter {name!r}") for name in parameters}
        return shapes, parameter_shapes

    def final(self, name: str, what: str) -> Shape:
        t = self.type(self.types[name])
        if isinstance(t, _Var) or any(isinstance(d, _Var) for d in t):
            self.equation = None
            raise self.checker.fail(f"cannot infer the shape of {what}; declare it under "
                                    "[parameters] or [shapes]")
        return tuple(d for d in t if isinstance(d, Size))

    def infer(self, expr: Expr, final: bool = False) -> _Type:
        if isinstance(expr, Name):
            return self.types[expr.name]
        if isinstance(expr, Number):
            return ()
        if isinstance(expr, Neg):
            return self.infer(expr.operand, final)
        if isinstance(expr, Concat):
            total = Size((), 0)
            for item in expr.items:
                t = self.type(self.infer(item, final))
                if isinstance(t, tuple) and len(t) != 1:
                    raise self.fail(item, f"[...] concatenates vectors; this is {_show(t)}")
                if isinstance(t, _Var) or isinstance(t[0], _Var):
                    if final:
                        raise self.fail(item, "cannot infer the size of this item; declare "
                                              "its shape under [shapes] or [parameters]")
                    raise _Pending
                assert isinstance(t[0], Size)
                total = total + t[0]
            return (total,)
        if isinstance(expr, Call):
            args = [self.infer(arg, final) for arg in expr.args]
            if expr.func == "outer":
                for arg, t in zip(expr.args, args, strict=True):
                    t = self.type(t)
                    if isinstance(t, _Var):
                        t = self.unify(t, (_Var(),), arg, "outer()")
                    assert isinstance(t, tuple)
                    if len(t) != 1:
                        raise self.fail(arg, f"outer() takes vectors; this is {_show(t)}")
                a, b = (self.type(t) for t in args)
                assert isinstance(a, tuple) and isinstance(b, tuple)
                return (a[0], b[0])
            if len(args) == 2:
                return self.elementwise(args[0], args[1], expr, f"{expr.func}()")
            return args[0]
        assert isinstance(expr, BinOp)
        left = self.infer(expr.left, final)
        right = self.infer(expr.right, final)
        if expr.op == "@":
            return self.matmul(left, right, expr)
        if expr.op == "**":
            return left
        return self.elementwise(left, right, expr, f"'{expr.op}'")

    def elementwise(self, a: _Type, b: _Type, node: Expr, what: str) -> _Type:
        a, b = self.type(a), self.type(b)
        if a == ():
            return b
        if b == ():
            return a
        return self.unify(a, b, node, what)

    def matmul(self, a: _Type, b: _Type, node: BinOp) -> _Type:
        a, b = self.type(a), self.type(b)
        if isinstance(b, _Var):
            if isinstance(a, _Var) or len(a) == 0:
                raise self.fail(node, "cannot infer the shapes around @; declare them under "
                                      "[parameters] or [shapes]")
            b = self.unify(b, (a[-1],), node.right, "@")
        assert isinstance(b, tuple)
        if len(b) == 0:
            raise self.fail(node.right, "the right operand of @ is a vector or a matrix, "
                                        "not a scalar")
        if isinstance(a, _Var):
            a = self.unify(a, (_Var(), b[0]), node.left, "@")
        assert isinstance(a, tuple)
        if len(a) == 0:
            raise self.fail(node.left, "the left operand of @ is a vector or a matrix, "
                                       "not a scalar")
        self.unify_dim(a[-1], b[0], node, "@ (inner sizes)")
        return (*a[:-1], *b[1:])


def _show(t: _Type) -> str:
    if isinstance(t, _Var):
        return "an unknown shape"
    if not t:
        return "a scalar"
    dims = ", ".join("?" if isinstance(d, _Var) else str(d) for d in t)
    return f"a vector ({dims})" if len(t) == 1 else f"a matrix ({dims})"


# -- writing ---------------------------------------------------------------------------


def to_toml(cell: Cell) -> str:
    """The TOML text of a definition (what :meth:`Cell.from_toml` reads back).

    Parameters
    ----------
    cell : Cell

    Returns
    -------
    str
    """
    def string(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def strings(items: Iterable[str]) -> str:
        return "[" + ", ".join(string(item) for item in items) + "]"

    lines = [f"name = {string(cell.name)}", f"title = {string(cell.title)}",
             f"inputs = {strings(cell.inputs)}", f"states = {strings(cell.states)}",
             f"output = {string(cell.output)}", "equations = ["]
    lines += [f"  {string(equation.text)}," for equation in cell.equations]
    lines.append("]")
    declared_sizes = {k: v for k, v in cell.sizes.items() if k not in BASE_SIZES}
    if declared_sizes:
        lines += ["", "[sizes]"] + [f"{k} = {v}" for k, v in declared_sizes.items()]
    default = {name: (Size.named("I"),) for name in cell.inputs}
    default.update({name: (Size.named("H"),) for name in cell.states})
    shapes = {name: shape for name, shape in cell.shapes.items()
              if name in default and shape != default[name]}
    if shapes:
        lines += ["", "[shapes]"] + [f"{k} = {strings(str(d) for d in v)}"
                                     for k, v in shapes.items()]
    lines += ["", "[parameters]"]
    for parameter in cell.parameters.values():
        shape = strings(str(d) for d in parameter.shape)
        if parameter.init is None:
            lines.append(f"{parameter.name} = {shape}")
        else:
            init = (string(parameter.init) if isinstance(parameter.init, str)
                    else repr(parameter.init))
            lines.append(f"{parameter.name} = {{shape = {shape}, init = {init}}}")
    if cell.symbols:
        lines += ["", "[symbols]"] + [f"{k} = {string(v)}" for k, v in cell.symbols.items()]
    if cell.steps:
        lines += ["", "[steps]"] + [f"{k} = {strings(v)}" for k, v in cell.steps.items()]
    return "\n".join(lines) + "\n"
