"""TOML: the user's format for diagram specs.

``load_spec(path)`` and ``loads_spec(text)`` read a spec (see :mod:`.tomlread`: parsed as
data, never executed; errors name the file, the line and the field path).  A spec may say
``extends = "lstm-peephole"``, a built-in diagram, or ``extends = "base.toml"``, a spec file
(relative to the extending file), and then edit it (:mod:`lstmfigs.diagram.edit`); chains
of such files are followed at most :data:`MAX_EXTENDS` deep, and a cycle is an error.
``dumps_spec(spec)`` writes the TOML that loads back into an equal spec (a whole spec, never
an edit).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from ..errors import SpecError, did_you_mean
from .spec import DiagramSpec
from .tomlread import read_spec

#: Larger spec files are certainly not diagrams (and would only waste memory).
MAX_SPEC_BYTES = 2_000_000
#: The most specs in a chain of ``extends`` (the spec itself included).
MAX_EXTENDS = 8


def loads_spec(text: str, source: str = "<string>") -> DiagramSpec:
    """Parse and validate spec TOML ``text``.

    Parameters
    ----------
    text : str
        The TOML text.
    source : str, default: "<string>"
        Where the text came from, for error messages; a spec file it ``extends`` is found
        relative to its folder (the working folder for ``"<string>"``).

    Returns
    -------
    DiagramSpec

    Raises
    ------
    SpecError
        If ``text`` is not a string, is not TOML, nests too deeply, is not a valid spec, or
        extends a base that is unknown, unreadable, invalid, too deep or a cycle (located
        by source and line where possible).
    """
    return _loads(text, source, ())


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
        or is not a valid spec (see :func:`loads_spec`).
    """
    return _load(Path(path), ())


def _load(path: Path, chain: tuple[str, ...]) -> DiagramSpec:
    from ..errors import LstmfigsError
    from ..safeio import read_text

    try:
        text = read_text(path, "spec file", MAX_SPEC_BYTES)
    except LstmfigsError as exc:
        raise SpecError(str(exc)) from None
    return _loads(text, str(path), chain)


def _loads(text: str, source: str, chain: tuple[str, ...]) -> DiagramSpec:
    """:func:`loads_spec`, ``chain`` being the specs that extend this one (innermost last)."""
    chain = chain + (_key(source),)

    def load_base(value: str) -> DiagramSpec:
        if len(chain) >= MAX_EXTENDS:
            raise SpecError(f"extends goes more than {MAX_EXTENDS} specs deep",
                            path="extends")
        if not is_spec_file(value):
            return _builtin_base(value)
        folder = Path(source).parent if source != "<string>" else Path()
        path = folder / value
        if _key(str(path)) in chain:
            raise SpecError(f"'{value}' goes round in a cycle: a spec cannot extend "
                            "itself, directly or through others", path="extends")
        return _load(path, chain)

    return read_spec(text, source, load_base)


def is_spec_file(value: str) -> bool:
    """Whether an ``extends`` value names a spec file (``.toml``, or with a folder) rather
    than a built-in diagram.

    Parameters
    ----------
    value : str

    Returns
    -------
    bool
    """
    return value.endswith(".toml") or "/" in value or os.sep in value


def _key(source: str) -> str:
    """One spelling of a file's path, to notice a cycle however it is spelt."""
    return os.path.realpath(source) if source != "<string>" else source


def _builtin_base(name: str) -> DiagramSpec:
    from ..figures.diagrams import builtin_names, builtin_spec

    if name not in builtin_names():
        raise SpecError(f"no built-in diagram '{name}'{did_you_mean(name, builtin_names())} "
                        "(a spec file's path ends in .toml)", path="extends")
    return builtin_spec(name)


# -- writing --------------------------------------------------------------------------------

_ORDER = ("name", "title", "description", "cell", "steps", "max_unit", "min_unit", "min_width")
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
    if data.get("roles"):
        out += ["", "[roles]"]
        out += [f"{role} = {_value(base)}" for role, base in data["roles"].items()]
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
