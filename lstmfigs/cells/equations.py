"""A cell's equations panel, typeset in mathtext from its definition.

Every line is generated from the parsed equation, never from the text the user typed:

- a quantity, an input and a state's new value carry ``_t``, a state's previous value
  (``c_prev``) carries ``_{t-1}``, a parameter carries no time;
- ``sigmoid`` is :math:`\\sigma`, ``tanh`` :math:`\\tanh`, ``*`` (elementwise) :math:`\\odot`,
  ``@`` a thin space (``W_f\\,[h_{t-1}, x_t]``), ``[a, b]`` stays a bracket;
- a name is typeset from ``[symbols]`` when the definition gives it a symbol there
  (``c = 'C'`` gives ``C_t`` and ``C_{t-1}``), otherwise from the name itself: ``W_f`` is
  ``W_f``, ``w_cf`` is ``w_{cf}``, a Greek letter's name (``alpha``) its letter, a longer
  name upright (``\\mathrm{gate}``).

>>> from lstmfigs import cells
>>> from lstmfigs.cells.equations import equation_text
>>> equation_text(cells.builtin("lstm"), "c")
'$C_t = f_t \\\\odot C_{t-1} + i_t \\\\odot \\\\tilde{C}_t$'

No matplotlib here: the diagram's spec validation parses the lines as mathtext.
"""

from __future__ import annotations

import re

from ..errors import DefinitionError, printable
from .definition import PREV, Cell
from .steps import equation_steps, is_previous, step_names
from .syntax import BinOp, Call, Concat, Expr, Name, Neg, Number

#: Time indices: the step being computed and the one before.
NOW, BEFORE = "t", "t-1"

#: How each function of :data:`~lstmfigs.cells.syntax.FUNCTIONS` is written: a prefix put
#: before the parenthesised arguments (``\\sigma(...)``), or a template for the others.
FUNCTION_NAMES: dict[str, str] = {
    "sigmoid": r"\sigma", "tanh": r"\tanh", "exp": r"\exp", "log": r"\log",
    "relu": r"\mathrm{ReLU}", "softplus": r"\mathrm{softplus}",
    "hard_sigmoid": r"\sigma_{\mathrm{hard}}", "silu": r"\mathrm{SiLU}",
    "maximum": r"\max", "minimum": r"\min",
}
FUNCTION_TEMPLATES: dict[str, str] = {
    "sqrt": r"\sqrt{{{0}}}", "abs": r"|{0}|", "outer": r"{0}\,{1}^{{\top}}",
}

#: Greek letters written by name (``alpha`` is typeset as its letter).
GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
    "tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi "
    "Omega".split())

#: Binding strength of each operation (Python's): a child binding more loosely than its
#: parent is parenthesised.
_ATOM = 5
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "**": 4}
_NEG = 3
#: Operations whose right operand may drop its parentheses when it is the same operation.
_ASSOCIATIVE = frozenset("+*@")

#: A symbol ending in a subscript: ``W_f`` or ``w_{cf}`` (the time joins that subscript).
_SUBSCRIPTED = re.compile(r"^(?P<base>.*?)_(?:\{(?P<braced>[^{}]*)\}|(?P<single>[A-Za-z0-9]))$")


def base_symbol(cell: Cell, name: str) -> str:
    """How ``name`` is typeset without a time index (mathtext, no dollars).

    Parameters
    ----------
    cell : Cell
        The definition (its ``[symbols]`` come first).
    name : str
        A name of the cell: input, state, quantity or parameter (not ``NAME_prev``).

    Returns
    -------
    str
        ``cell.symbols[name]``, or the name's default: ``W_f``, ``w_{cf}``, ``\\alpha``,
        ``\\mathrm{gate}``.
    """
    if name in cell.symbols:
        return cell.symbols[name]
    head, _, tail = name.partition("_")
    if len(head) == 1:
        base = head
    elif head in GREEK:
        base = "\\" + head
    else:
        base = rf"\mathrm{{{head}}}"
    if not tail:
        return base
    tail = tail.replace("_", ",")
    return f"{base}_{tail}" if len(tail) == 1 else f"{base}_{{{tail}}}"


def with_time(symbol: str, time: str) -> str:
    """``symbol`` at ``time``: ``C`` at ``t-1`` is ``C_{t-1}``, ``w_{c}`` at ``t`` is
    ``w_{c,t}`` (a subscript the symbol already has takes the time after a comma).

    Parameters
    ----------
    symbol : str
        Mathtext without dollars.
    time : str
        ``"t"`` or ``"t-1"``.

    Returns
    -------
    str
    """
    match = _SUBSCRIPTED.match(symbol)
    if match:
        inner = match["braced"] if match["braced"] is not None else match["single"]
        return f"{match['base']}_{{{inner},{time}}}"
    return f"{symbol}_{time}" if len(time) == 1 else f"{symbol}_{{{time}}}"


def symbol(cell: Cell, name: str) -> str:
    """How ``name`` is typeset where an equation uses it (mathtext, no dollars).

    Parameters
    ----------
    cell : Cell
        The definition.
    name : str
        Any name an equation may use: a parameter (no time index), an input, a state or a
        quantity (``_t``), or a state's previous value ``NAME_prev`` (``_{t-1}``).

    Returns
    -------
    str
    """
    if name in cell.parameters:
        return base_symbol(cell, name)
    if is_previous(cell, name):
        return with_time(base_symbol(cell, name[:-len(PREV)]), BEFORE)
    return with_time(base_symbol(cell, name), NOW)


def typeset(cell: Cell, expr: Expr) -> str:
    """``expr`` in mathtext (no dollars), with only the parentheses its structure needs.

    Parameters
    ----------
    cell : Cell
        The definition whose names ``expr`` uses.
    expr : Expr
        A parsed expression (an equation's right-hand side).

    Returns
    -------
    str
    """
    return _typeset(cell, expr)[0]


def _typeset(cell: Cell, expr: Expr) -> tuple[str, int]:
    """The text of ``expr`` and how strongly it binds."""
    if isinstance(expr, Name):
        return symbol(cell, expr.name), _ATOM
    if isinstance(expr, Number):
        return _number(expr.value), _ATOM
    if isinstance(expr, Neg):
        return "-" + _operand(cell, expr.operand, _NEG), _NEG
    if isinstance(expr, Concat):
        return "[" + ", ".join(typeset(cell, item) for item in expr.items) + "]", _ATOM
    if isinstance(expr, Call):
        args = [typeset(cell, arg) for arg in expr.args]
        if expr.func in FUNCTION_TEMPLATES:
            if expr.func == "outer":  # a product of two factors: each parenthesised if a sum
                args = [_operand(cell, arg, _PRECEDENCE["*"]) for arg in expr.args]
            return FUNCTION_TEMPLATES[expr.func].format(*args), _ATOM
        return f"{FUNCTION_NAMES[expr.func]}({', '.join(args)})", _ATOM
    return _binop(cell, expr)


def _binop(cell: Cell, expr: BinOp) -> tuple[str, int]:
    strength = _PRECEDENCE[expr.op]
    if expr.op == "**":  # the base is parenthesised unless it is an atom; exponent raised
        return f"{_operand(cell, expr.left, _ATOM)}^{{{typeset(cell, expr.right)}}}", strength
    left = _operand(cell, expr.left, strength)
    same = isinstance(expr.right, BinOp) and expr.right.op == expr.op and expr.op in _ASSOCIATIVE
    right = _operand(cell, expr.right, strength if same else strength + 1)
    if expr.op == "@":
        return rf"{left}\,{right}", strength
    if expr.op == "*":
        # A scalar factor is written before its vector; only vectors multiply with odot.
        scalar = isinstance(expr.left, Number) or isinstance(expr.right, Number)
        return (rf"{left}\,{right}" if scalar else rf"{left} \odot {right}"), strength
    return f"{left} {expr.op} {right}", strength


def _operand(cell: Cell, expr: Expr, needed: int) -> str:
    """``expr`` as an operand that must bind at least ``needed``: parenthesised if not."""
    text, strength = _typeset(cell, expr)
    return text if strength >= needed else f"({text})"


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    mantissa, _, exponent = f"{value:g}".partition("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}" if exponent else mantissa


def equation_text(cell: Cell, name: str) -> str:
    """The equations panel's line for quantity ``name``: ``$lhs = rhs$`` in mathtext.

    Parameters
    ----------
    cell : Cell
        The definition.
    name : str
        A quantity the cell defines (a state included).

    Returns
    -------
    str
        E.g. ``'$f_t = \\sigma(W_f\\,[h_{t-1}, x_t] + b_f)$'``.

    Raises
    ------
    DefinitionError
        If ``cell`` defines no quantity ``name``.
    """
    equation = cell.equation(name)
    return f"${symbol(cell, name)} = {typeset(cell, equation.expr)}$"


def equation_lines(cell: Cell) -> tuple[str, ...]:
    """Every line of ``cell``'s equations panel, in the definition's order.

    Parameters
    ----------
    cell : Cell
        The definition.

    Returns
    -------
    tuple of str
        One mathtext line per equation.
    """
    return tuple(equation_text(cell, equation.target) for equation in cell.equations)


def panel(cell: Cell) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The equations panel of ``cell``: each line with the highlight steps that light it,
    in the order of the steps.

    A step-by-step build then lights the panel from the top down: the LSTM's ``c`` (step
    ``update``) comes before ``o`` (step ``output``) even where the definition lists ``o``
    first.  Lines are stable within a step, and a line no step lights stays after the line
    that precedes it in the definition.

    Parameters
    ----------
    cell : Cell
        The definition.

    Returns
    -------
    tuple of (str, tuple of str)
        ``(mathtext line, steps)`` per equation; the steps are those of
        :func:`lstmfigs.cells.steps.equation_steps`.
    """
    lit = equation_steps(cell)
    order = {name: index for index, name in enumerate(step_names(cell))}
    keys: list[int] = []
    for equation in cell.equations:
        steps = lit[equation.target]
        keys.append(order[steps[0]] if steps else (keys[-1] if keys else -1))
    lines = zip(keys, equation_lines(cell), cell.equations, strict=True)
    return tuple((line, lit[equation.target])
                 for _, line, equation in sorted(lines, key=lambda item: item[0]))


__all__ = ["FUNCTION_NAMES", "FUNCTION_TEMPLATES", "base_symbol", "equation_lines",
           "equation_text", "panel", "symbol", "typeset", "with_time"]


def check_typesetting(cell: Cell) -> None:
    """Parse every symbol the definition's ``[symbols]`` gives, as the figures typeset it,
    with matplotlib's mathtext parser, so that a bad one (``\\frac{``) is one clear error
    when the cell is loaded for a figure rather than a failure in the middle of drawing.

    Parameters
    ----------
    cell : Cell

    Raises
    ------
    DefinitionError
        Naming the first symbol that is not valid mathtext.
    """
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    for name, given in cell.symbols.items():
        for text in (given, with_time(given, NOW), with_time(given, BEFORE)):
            try:
                parser.parse(f"${text}$")
            except ValueError as error:
                reason = printable(str(error).splitlines()[-1] if str(error) else "")
                raise DefinitionError(f"cell {printable(cell.name)!r}: symbols.{name}: "
                                      f"{printable(given)!r} is not valid mathtext "
                                      f"({reason[:80]})") from None
