"""TOML: the user's format for diagram specs.

``load_spec(path)`` parses with :mod:`tomllib` (data only, nothing is ever executed) and
validates; errors name the file, the line (where TOML knows it, or where the offending
``[[table]]`` starts) and the field path.  ``dumps_spec(spec)`` writes the TOML that
loads back into an equal spec.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .spec import DiagramSpec

#: Larger spec files are certainly not diagrams (and would only waste memory).
MAX_SPEC_BYTES = 2_000_000
#: Arrays and tables nested deeper than this are refused before parsing: a spec needs 3
#: (``ports = [{...}]`` in a ``[[nodes]]`` table), and the parser recurses (500 levels of
#: ``[`` in a 1 kB file exhaust Python's stack).
MAX_NESTING = 8


def loads_spec(text: str, source: str = "<string>") -> DiagramSpec:
    """Parse and validate spec TOML ``text``.

    Parameters
    ----------
    text : str
        The TOML text.
    source : str, default: "<string>"
        Where the text came from, for error messages.

    Returns
    -------
    DiagramSpec

    Raises
    ------
    SpecError
        If ``text`` is not a string, is not TOML, nests too deeply, or is not a valid spec
        (located by source and line where possible).
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
    try:
        return DiagramSpec.from_dict(data)
    except SpecError as exc:
        raise exc.located(source, _line_of(text, exc.path)) from None


def load_spec(path: str | Path) -> DiagramSpec:
    """Read and validate the spec file ``path``: a regular file of at most
    :data:`MAX_SPEC_BYTES` bytes of UTF-8 TOML (FIFOs and devices are refused unread).

    Parameters
    ----------
    path : str or Path
        The spec file.

    Returns
    -------
    DiagramSpec

    Raises
    ------
    SpecError
        If the file cannot be read (missing, not a regular file, too large, not UTF-8)
        or is not a valid spec.
    """
    from ..errors import LstmfigsError
    from ..safeio import read_text

    try:
        text = read_text(path, "spec file", MAX_SPEC_BYTES)
    except LstmfigsError as exc:
        raise SpecError(str(exc)) from None
    return loads_spec(text, str(path))


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


# -- writing --------------------------------------------------------------------------------

_ORDER = ("name", "title", "description", "cell", "steps", "max_unit", "min_width")
_TABLES = ("regions", "nodes", "wires", "labels", "legend", "equations")


def dumps_spec(spec: DiagramSpec) -> str:
    """The spec as TOML text; ``loads_spec(dumps_spec(s)) == s``.

    Parameters
    ----------
    spec : DiagramSpec

    Returns
    -------
    str
        TOML text, ending in a newline.
    """
    data = spec.to_dict()
    out = [f"# lstmfigs diagram spec '{spec.name}'. Render: lstmfigs render FILE.toml",
           ""]
    for key in _ORDER:
        if key in data:
            out.append(f"{key} = {_value(data[key])}")
    for table in _TABLES:
        for item in data.get(table, []):
            out += ["", f"[[{table}]]"]
            out += [f"{key} = {_value(value)}" for key, value in item.items()]
    return "\n".join(out) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SpecError(f"cannot write {value} to TOML")
        return repr(value)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            # A block's ports: one inline table a line, so a user can edit them.
            return "[\n" + "".join(f"    {_value(v)},\n" for v in value) + "]"
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {_value(v)}" for key, v in value.items()) + "}"
    raise SpecError(f"cannot write {type(value).__name__} to TOML")


def _string(text: str) -> str:
    # Literal strings keep mathtext backslashes readable; fall back to escaped basic strings.
    if "'" not in text and "\n" not in text and all(c >= " " or c == "\t" for c in text):
        return f"'{text}'"
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\t", "\\t"))
    escaped = "".join(c if c >= " " else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'
