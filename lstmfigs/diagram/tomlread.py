"""Reading spec TOML: bounded parsing, strict validation, and ``extends``.

:func:`read_spec` parses with :mod:`tomllib` (data only, nothing is ever executed), refuses
nesting deep enough to exhaust the parser's stack, and validates; errors name the source,
the line (where TOML knows it, or where the offending table starts) and the field path.  A
spec with ``extends`` is an edit of another spec (:mod:`lstmfigs.diagram.edit`), which the
caller's ``load_base`` finds: :mod:`lstmfigs.diagram.tomlio` resolves built-in diagram names
and spec files, the built-in specs resolve each other.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from typing import Any

from ..errors import SpecError
from .edit import apply_edit, edit_from_table
from .spec import DiagramSpec

#: Arrays and tables nested deeper than this are refused before parsing: a spec needs 3
#: (``ports = [{...}]`` in a ``[[nodes]]`` table), and the parser recurses (500 levels of
#: ``[`` in a 1 kB file exhaust Python's stack).
MAX_NESTING = 8

#: ``load_base(extends) -> DiagramSpec``: the spec an ``extends`` value names.
BaseLoader = Callable[[str], DiagramSpec]


def read_spec(text: str, source: str = "<string>",
              load_base: BaseLoader | None = None) -> DiagramSpec:
    """Parse and validate spec TOML ``text``, applying it to its base if it ``extends`` one.

    Parameters
    ----------
    text : str
        The TOML text.
    source : str, default: "<string>"
        Where the text came from, for error messages.
    load_base : callable, optional
        ``load_base(value)``: the spec that ``extends = value`` names.  None: a spec that
        extends another is an error.

    Returns
    -------
    DiagramSpec

    Raises
    ------
    SpecError
        If ``text`` is not a string, is not TOML, nests too deeply, is not a valid spec or
        not a valid edit of its base (located by source and line where possible).
    """
    if not isinstance(text, str):
        raise SpecError(f"a spec is TOML text, not {type(text).__name__}", source=source)
    _check_bracket_depth(text, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        message = str(exc).split(" (at line")[0]
        raise SpecError(f"invalid TOML: {message}", source=source, line=line) from None
    _check_data_depth(data, source)
    if "states" in data and isinstance(data.get("equations"), list) \
            and all(isinstance(e, str) for e in data["equations"]):
        # A cell definition: its diagram is generated from its equations.
        from ..cells import Cell
        from .cellgraph import cell_spec

        return cell_spec(Cell.from_toml(text, origin=source))
    base: DiagramSpec | None = None
    if "extends" in data:
        extends = data["extends"]
        if not isinstance(extends, str) or not extends:
            raise SpecError("expected the name of a built-in diagram or a spec file's path",
                            path="extends", source=source, line=_line_of(text, "extends"))
        if load_base is None:
            raise SpecError("this reader resolves no bases; load the file with "
                            "lstmfigs.diagram.tomlio.load_spec", path="extends",
                            source=source, line=_line_of(text, "extends"))
        try:
            base = load_base(extends)
        except SpecError as exc:
            if exc.source:  # an error inside the base file: where it is
                raise
            raise exc.located(source, _line_of(text, "extends")) from None
    if base is None and data.get("cell") and "nodes" not in data:
        data = _drawn_from_cell(data, source, text)
    try:
        if base is None:
            return DiagramSpec.from_dict(data)
        return apply_edit(base, edit_from_table(data, base, data["extends"]))
    except SpecError as exc:
        raise exc.located(source, _line_of(text, exc.path)) from None


def _drawn_from_cell(data: dict[str, Any], source: str, text: str) -> dict[str, Any]:
    """A spec that names a built-in cell and lists no nodes: the cell's generated diagram
    (:func:`lstmfigs.diagram.cellgraph.cell_spec`), with the spec's own name, title, steps,
    equations, labels, legend, roles and sizes where it gives them."""
    from .. import cells
    from ..errors import LstmfigsError
    from .cellgraph import cell_spec

    if "wires" in data:
        raise SpecError("wires without nodes: list the nodes too, or neither (the cell's "
                        "diagram is then generated)", path="wires", source=source,
                        line=_line_of(text, "wires"))
    try:
        definition = cells.builtin(str(data["cell"]))
    except LstmfigsError as exc:
        raise SpecError(str(exc), path="cell", source=source,
                        line=_line_of(text, "cell")) from None
    generated = cell_spec(definition).to_dict()
    merged = {**generated, **data}
    own = data.get("roles")
    if isinstance(own, dict):  # anything else is reported by the spec's reader
        merged["roles"] = {**generated.get("roles", {}), **own}
    return merged


def _check_bracket_depth(text: str, source: str) -> None:
    """Refuse arrays and inline tables nested deeper than :data:`MAX_NESTING`, scanning
    the text (outside strings and comments) before the recursive parser sees it."""
    depth, line, index, length = 0, 1, 0, len(text)
    while index < length:
        char = text[index]
        if char == "\n":
            line += 1
        elif char == "#":
            end = text.find("\n", index)
            index = length if end < 0 else end
            continue
        elif char in "\"'":
            quote = text[index:index + 3] if text[index:index + 3] in ('"""', "'''") else char
            end = index + len(quote)
            while True:
                end = text.find(quote, end)
                if end < 0:
                    return  # unterminated: the parser reports it
                if quote[0] == '"' and _escaped(text, end):
                    end += 1
                    continue
                break
            line += text.count("\n", index, end)
            index = end + len(quote)
            continue
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise SpecError(f"arrays or tables nested more than {MAX_NESTING} deep",
                                source=source, line=line)
        elif char in "]}":
            depth = max(0, depth - 1)
        index += 1


def _escaped(text: str, index: int) -> bool:
    """The quote at ``index`` follows an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _check_data_depth(data: Any, source: str) -> None:
    """The same bound on the parsed data (dotted keys nest tables without brackets),
    walked with a stack, not recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_NESTING:
            raise SpecError(f"keys, arrays or tables nested more than {MAX_NESTING} deep",
                            source=source)
        children = value.values() if isinstance(value, dict) else \
            value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))


def _line_of(text: str, path: str) -> int | None:
    """Best-effort line of a field path such as ``wires[3].to`` in the TOML text."""
    if (path or "").startswith("change."):
        return _change_line(text, path[len("change."):])
    match = re.match(r"(\w+)\[(\d+)\](?:\.(\w+))?", path or "")
    if match and not re.search(rf"^\s*\[\[\s*{re.escape(match.group(1))}\s*\]\]", text,
                               re.MULTILINE):
        match = None  # an item of a top-level list (steps[1]): the line of the key
    if not match:
        key = (path or "").split(".")[0].split("[")[0]
        for number, line in enumerate(text.splitlines(), 1):
            if key and re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
        return None
    table, index, key = match.group(1), int(match.group(2)), match.group(3)
    count, start = -1, None
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if re.match(rf"\s*\[\[\s*{re.escape(table)}\s*\]\]", line):
            count += 1
            if count == index:
                start = number
                continue
        if start is not None:
            if re.match(r"\s*\[", line):
                break
            if key and re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
    return start


_CHANGE_HEADER = re.compile(r"""\s*\[\s*change\s*\.\s*(?:"([^"]*)"|'([^']*)'|([\w-]+))\s*\]""")


def _change_line(text: str, rest: str) -> int | None:
    """The line of ``[change.NAME]`` (or of KEY in it, for ``NAME.KEY``) in the TOML text."""
    start = key = None
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        header = _CHANGE_HEADER.match(line)
        if start is None and header:
            name = next(group for group in header.groups() if group is not None)
            if rest == name or rest.startswith(name + "."):
                start, key = number, rest[len(name) + 1:]
            continue
        if start is not None:
            if re.match(r"\s*\[", line):
                break
            if key and re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
    return start
