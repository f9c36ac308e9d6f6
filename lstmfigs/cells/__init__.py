"""Cells defined once, by their update equations.

A definition (TOML, or :meth:`Cell.from_equations` in Python) is the single source of a
cell: its simulator (:meth:`Cell.model`), equations panel, highlight steps and data
figures all follow from it.

>>> from lstmfigs import cells
>>> cell = cells.builtin("lstm")
>>> cell.gates
('f', 'i', 'o')
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from ..errors import DefinitionError, UnknownNameError, did_you_mean, printable
from .definition import MAX_DEFINITION_BYTES, Cell, Parameter, Size

__all__ = ["Cell", "Parameter", "Size", "builtin", "is_definition_file", "load", "names",
           "resolve"]


def _builtin_folder() -> Path:
    return Path(str(resources.files(__package__) / "builtin"))


def names() -> tuple[str, ...]:
    """The names of the built-in definitions, sorted.

    Returns
    -------
    tuple of str
    """
    return tuple(sorted(path.stem for path in _builtin_folder().glob("*.toml")))


def builtin(name: str) -> Cell:
    """A built-in definition by name (see :func:`names`).

    Parameters
    ----------
    name : str
        E.g. ``"lstm"``, ``"gru"``.

    Returns
    -------
    Cell

    Raises
    ------
    UnknownNameError
        If there is no built-in of that name.
    """
    known = names()
    if name not in known:
        raise UnknownNameError(f"unknown cell {printable(str(name))!r}"
                               f"{did_you_mean(str(name), known)}; the built-in cells are "
                               f"{', '.join(known)}")
    path = _builtin_folder() / f"{name}.toml"
    return Cell.from_toml(path.read_text(encoding="utf-8"), origin=f"{name}.toml")


def load(path: str | os.PathLike[str]) -> Cell:
    """Read a definition from a TOML file (a regular file of bounded size; FIFOs and devices
    are refused unread).

    Parameters
    ----------
    path : str or path-like
        The ``.toml`` file.

    Returns
    -------
    Cell

    Raises
    ------
    DefinitionError
        If the file cannot be read or the definition is not valid.
    """
    from .. import safeio
    from ..errors import LstmfigsError

    try:
        text = safeio.read_text(path, "cell definition", MAX_DEFINITION_BYTES)
    except DefinitionError:
        raise
    except LstmfigsError as error:
        raise DefinitionError(str(error)) from None
    return Cell.from_toml(text, origin=os.fspath(path))


def resolve(cell: str | os.PathLike[str] | Cell) -> Cell:
    """What a ``cell=`` option names: a :class:`Cell`, a built-in name or a TOML path.

    Parameters
    ----------
    cell : Cell, str or path-like
        A definition, the name of a built-in (``"gru"``) or a path ending in ``.toml``.

    Returns
    -------
    Cell

    Raises
    ------
    UnknownNameError
        If a bare name is not a built-in.
    DefinitionError
        If the file cannot be read or is not a valid definition.
    """
    if isinstance(cell, Cell):
        return cell
    text = os.fspath(cell)
    if isinstance(cell, os.PathLike) or text.endswith(".toml") or os.sep in text:
        return load(text)
    return builtin(text)


def is_definition_file(path: str | os.PathLike[str]) -> bool:
    """Whether the TOML file ``path`` holds a cell definition (top-level ``states`` and
    ``equations``) rather than a diagram spec; False for anything unreadable, which the
    spec loader then reports.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    bool
    """
    import re

    from .. import safeio
    from ..errors import LstmfigsError

    try:
        text = safeio.read_text(path, "file", MAX_DEFINITION_BYTES)
    except LstmfigsError:
        return False
    keys = set(re.findall(r"^\s*([A-Za-z_]+)\s*=", text.split("\n[", 1)[0], re.MULTILINE))
    return {"states", "equations"} <= keys
