"""The equations of a cell definition, parsed into a small expression tree.

An equation is one line of Python expression syntax, ``"c = f * c_prev + i * g"``.  It is
parsed with :mod:`ast` and translated node by node into the frozen dataclasses below;
nothing is ever evaluated, and any syntax outside the small language (attributes,
subscripts, comparisons, keyword arguments, strings, lambdas, ...) is an error naming the
equation and the column.

The language: names; numbers; ``+ - * / @``; unary minus; parentheses; ``**`` with a
constant exponent; ``[a, b, ...]`` for the concatenation of vectors; calls to the fixed
functions in :data:`FUNCTIONS`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import DefinitionError, did_you_mean, printable

#: The functions an equation may call, with their number of arguments.  ``hard_sigmoid``
#: is Keras 3's ``relu6(x + 3) / 6``; ``silu(x) = x * sigmoid(x)``; ``softplus(x) =
#: log(1 + exp(x))``; ``outer(a, b)`` is the matrix ``a bᵀ`` (for matrix-valued states).
FUNCTIONS: dict[str, int] = {
    "sigmoid": 1, "tanh": 1, "exp": 1, "log": 1, "relu": 1, "softplus": 1, "sqrt": 1,
    "abs": 1, "hard_sigmoid": 1, "silu": 1, "maximum": 2, "minimum": 2, "outer": 2,
}
#: Longest equation accepted, in characters, and deepest expression, in nested nodes: a
#: cell's equation is a line; these bound the parser's time and recursion on hostile input.
MAX_EQUATION_CHARS = 1000
MAX_DEPTH = 40
#: Deepest expression tree (a long flat sum is a deep tree: ast nests ``a + b + c`` left).
MAX_TREE_DEPTH = 200
#: Longest stretch of an equation quoted in an error message (the column locates the rest).
MAX_SHOWN_CHARS = 100
#: Largest magnitude of a numeric constant: larger ones are certainly mistakes, and beyond
#: float64's range they would silently become inf.
MAX_CONSTANT = 1e15

_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.Pow: "**",
}


@dataclass(frozen=True)
class Where:
    """A place in a definition: the equation (0-based index) and the column (1-based)."""

    equation: int
    column: int


@dataclass(frozen=True)
class Name:
    """A name: an input, a state, a state's previous value (``c_prev``), a quantity
    defined by another equation, or a parameter."""

    name: str
    where: Where


@dataclass(frozen=True)
class Number:
    """A numeric constant."""

    value: float
    where: Where


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Expr
    where: Where


@dataclass(frozen=True)
class BinOp:
    """A binary operation: ``op`` is one of ``+ - * / @ **`` (the right operand of ``**``
    is a :class:`Number`)."""

    op: str
    left: Expr
    right: Expr
    where: Where


@dataclass(frozen=True)
class Concat:
    """``[a, b, ...]``: the vectors stacked in that order."""

    items: tuple[Expr, ...]
    where: Where


@dataclass(frozen=True)
class Call:
    """A call to one of :data:`FUNCTIONS`."""

    func: str
    args: tuple[Expr, ...]
    where: Where


Expr = Name | Number | Neg | BinOp | Concat | Call


@dataclass(frozen=True)
class Equation:
    """One equation: ``target = expr`` as the user wrote it (``text``), the ``index``-th of
    its definition."""

    index: int
    target: str
    expr: Expr
    text: str


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of ``expr``, parents before children, left to right.

    Parameters
    ----------
    expr : Expr
        An expression tree.

    Yields
    ------
    Expr
        ``expr`` and each of its sub-expressions.
    """
    yield expr
    for child in children(expr):
        yield from walk(child)


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``expr``, left to right.

    Parameters
    ----------
    expr : Expr
        An expression node.

    Returns
    -------
    tuple of Expr
        Empty for names and numbers.
    """
    if isinstance(expr, Neg):
        return (expr.operand,)
    if isinstance(expr, BinOp):
        return (expr.left, expr.right)
    if isinstance(expr, Concat):
        return expr.items
    if isinstance(expr, Call):
        return expr.args
    return ()


def names_in(expr: Expr) -> tuple[str, ...]:
    """Every name used in ``expr``, once each, in order of first appearance.

    Parameters
    ----------
    expr : Expr
        An expression tree.

    Returns
    -------
    tuple of str
    """
    seen: dict[str, None] = {}
    for node in walk(expr):
        if isinstance(node, Name):
            seen.setdefault(node.name, None)
    return tuple(seen)


def located(cell: str, equation: Equation | None, column: int | None, message: str) -> str:
    """The one-line message ``cell 'NAME', equation K (TEXT), column C: MESSAGE``.

    Parameters
    ----------
    cell : str
        The cell's name.
    equation : Equation, optional
        The equation at fault (None for an error about the whole definition).
    column : int, optional
        The 1-based column in the equation's text.
    message : str
        What is wrong.

    Returns
    -------
    str
    """
    parts = [f"cell {printable(cell)!r}"]
    if equation is not None:
        text = equation.text if len(equation.text) <= MAX_SHOWN_CHARS \
            else equation.text[:MAX_SHOWN_CHARS - 3] + "..."
        parts.append(f"equation {equation.index + 1} ({printable(text)})")
        if column is not None:
            parts[-1] += f", column {column}"
    return ", ".join(parts) + f": {message}"


def parse_equation(text: object, index: int, cell: str = "?") -> Equation:
    """Parse one equation ``"name = expression"``.

    Parameters
    ----------
    text : str
        The equation as the user wrote it.
    index : int
        Its 0-based position in the definition (for messages and :class:`Where`).
    cell : str, default: "?"
        The cell's name (for messages).

    Returns
    -------
    Equation

    Raises
    ------
    DefinitionError
        If ``text`` is not a string of the form ``name = expression`` in the language above.
    """
    if not isinstance(text, str):
        raise DefinitionError(f"cell {printable(cell)!r}, equation {index + 1}: an equation "
                              f"is a string like 'h = tanh(W @ [h_prev, x] + b)', not "
                              f"{type(text).__name__}")
    shown = Equation(index, "", Number(0.0, Where(index, 1)), text)
    if len(text) > MAX_EQUATION_CHARS:
        raise DefinitionError(located(cell, shown, None, f"longer than {MAX_EQUATION_CHARS} "
                                                         "characters"))
    if "\n" in text or "\r" in text:
        raise DefinitionError(located(cell, shown, None, "an equation is one line"))
    foreign = next((k for k, char in enumerate(text) if not char.isascii()), None)
    if foreign is not None:
        raise DefinitionError(located(cell, shown, foreign + 1,
                                      f"{printable(text[foreign])!r} is not ASCII: names are "
                                      "ASCII letters, digits and _ (typeset them with "
                                      "[symbols])"))
    if text.count("(") + text.count("[") > MAX_DEPTH:
        raise DefinitionError(located(cell, shown, None, f"more than {MAX_DEPTH} brackets"))
    try:
        module = ast.parse(text.strip(), mode="exec")
    except SyntaxError as exc:
        column = (exc.offset or 1) + len(text) - len(text.lstrip())
        raise DefinitionError(located(cell, shown, column,
                                      f"not an equation ({exc.msg})")) from None
    offset = len(text) - len(text.lstrip())
    if (len(module.body) != 1 or not isinstance(module.body[0], ast.Assign)
            or len(module.body[0].targets) != 1
            or not isinstance(module.body[0].targets[0], ast.Name)):
        raise DefinitionError(located(cell, shown, 1, "an equation is 'name = expression' "
                                                      "(one name on the left)"))
    statement = module.body[0]
    target = statement.targets[0]
    assert isinstance(target, ast.Name)
    translator = _Translator(cell, shown, index, offset)
    expr = translator.expr(statement.value, 0)
    return Equation(index, target.id, expr, text)


class _Translator:
    """Turns an :mod:`ast` expression into :data:`Expr`, refusing everything else."""

    def __init__(self, cell: str, equation: Equation, index: int, offset: int):
        self.cell = cell
        self.equation = equation
        self.index = index
        self.offset = offset

    def fail(self, node: ast.AST, message: str) -> DefinitionError:
        column = getattr(node, "col_offset", 0) + 1 + self.offset
        return DefinitionError(located(self.cell, self.equation, column, message))

    def where(self, node: ast.AST) -> Where:
        return Where(self.index, getattr(node, "col_offset", 0) + 1 + self.offset)

    def expr(self, node: ast.expr, depth: int) -> Expr:
        if depth > MAX_TREE_DEPTH:
            raise self.fail(node, f"nested more than {MAX_TREE_DEPTH} deep")
        where = self.where(node)
        if isinstance(node, ast.Name):
            return Name(node.id, where)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self.fail(node, f"{printable(repr(node.value))} is not a number")
            if not abs(node.value) <= MAX_CONSTANT:  # also catches nan and huge integers
                raise self.fail(node, f"constant {printable(str(node.value))[:40]} is not a "
                                      f"finite number of magnitude at most {MAX_CONSTANT:g}")
            return Number(float(node.value), where)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                operand = self.expr(node.operand, depth + 1)
                if isinstance(operand, Number):
                    return Number(-operand.value, where)
                return Neg(operand, where)
            if isinstance(node.op, ast.UAdd):
                return self.expr(node.operand, depth + 1)
            raise self.fail(node, "only unary minus is allowed")
        if isinstance(node, ast.BinOp):
            op = _OPERATORS.get(type(node.op))
            if op is None:
                raise self.fail(node, f"operator {type(node.op).__name__} is not allowed "
                                      "(use + - * / @ **)")
            left = self.expr(node.left, depth + 1)
            right = self.expr(node.right, depth + 1)
            if op == "**" and not isinstance(right, Number):
                raise self.fail(node.right, "the exponent of ** must be a constant")
            return BinOp(op, left, right, where)
        if isinstance(node, ast.List):
            if not node.elts:
                raise self.fail(node, "[] concatenates nothing")
            return Concat(tuple(self.expr(item, depth + 1) for item in node.elts), where)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise self.fail(node, "only the built-in functions can be called "
                                      f"({', '.join(FUNCTIONS)})")
            func = node.func.id
            if func not in FUNCTIONS:
                raise self.fail(node, f"unknown function {printable(func)!r}"
                                      f"{did_you_mean(func, FUNCTIONS)}; the functions are "
                                      f"{', '.join(FUNCTIONS)}")
            if node.keywords:
                raise self.fail(node, f"{func}() takes no keyword arguments")
            if any(isinstance(arg, ast.Starred) for arg in node.args):
                raise self.fail(node, f"{func}() takes no *arguments")
            if len(node.args) != FUNCTIONS[func]:
                raise self.fail(node, f"{func}() takes {FUNCTIONS[func]} argument"
                                      f"{'s' if FUNCTIONS[func] > 1 else ''}, "
                                      f"not {len(node.args)}")
            return Call(func, tuple(self.expr(arg, depth + 1) for arg in node.args), where)
        raise self.fail(node, f"{type(node).__name__} syntax is not allowed in an equation "
                              "(names, numbers, + - * / @ **, [a, b], and the built-in "
                              "functions)")
