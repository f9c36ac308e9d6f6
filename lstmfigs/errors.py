"""User-facing errors.

Every error a user can cause by bad input (unknown names, malformed specs, impossible
sizes, unreadable files) is a :class:`LstmfigsError`.  The CLI turns it into one line on
stderr and exit status 2; Python callers can catch it (it is also a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str], n: int = 1) -> str:
    """`` (did you mean 'x'?)`` for the nearest of ``known`` to ``name``, or ``""``.

    Parameters
    ----------
    name : str
        The unknown name (anything else is turned into a string).
    known : iterable of str
        The names that exist.
    n : int, default: 1
        The most suggestions to make.

    Returns
    -------
    str
        ``" (did you mean 'x', 'y'?)"``, to append to a message, or ``""`` when nothing in
        ``known`` is close.
    """
    import difflib

    close = difflib.get_close_matches(str(name), list(known), n=n)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def printable(text: str) -> str:
    """``text`` as one line that is safe to print on a terminal.

    Runs of whitespace (newlines included) become one space; control characters (an ESC
    that starts a terminal escape sequence, BEL, DEL, C1 controls), invisible format
    characters (zero-width spaces, U+FEFF, bidirectional overrides) and the surrogates of
    undecodable file-name bytes are shown as escapes (``\\x1b``, ``\\u202e``), so user data
    quoted in a message cannot rewrite the terminal or hide what it says.

    Parameters
    ----------
    text : str
        Any text (anything else is turned into a string).

    Returns
    -------
    str
        The text on one line, with the characters above escaped.
    """
    import unicodedata

    out = []
    for char in " ".join(str(text).split()):
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(char)
            if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
                out.append(f"\\x{code - 0xDC00:02x}")
            elif code <= 0xFF:
                out.append(f"\\x{code:02x}")
            else:
                out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


class LstmfigsError(ValueError):
    """Bad input from the user; the message is one self-contained line."""


class UnknownNameError(LstmfigsError):
    """An unknown figure, theme, format, highlight step or option."""


class DefinitionError(LstmfigsError):
    """A cell definition that cannot be parsed or checked: the message names the cell, the
    equation and the column (``cell 'lstm', equation 5 (c = f * c_prev + i * g), column 9:
    ...``)."""


class LayoutError(LstmfigsError):
    """A figure that cannot be laid out cleanly: text overlapping text, a node or a wire,
    something clipped, a wire not running from port to port (or into the wrong side of a
    node, or through one), or a width below the diagram's legible minimum.  The message
    names the elements at fault (the first problem, and how many more there are);
    ``allow_layout_problems=True`` (``--allow-layout-problems``) draws such a diagram
    anyway.  ``needed_width`` is the width in inches that would do, when the page was too
    narrow."""

    def __init__(self, message: str, *, needed_width: float | None = None):
        super().__init__(message)
        self.needed_width = needed_width


class SpecError(LstmfigsError):
    """A diagram spec that cannot be loaded, validated or laid out.

    ``path`` is the field path inside the spec (``wires[3].to``), ``source`` the file it
    came from and ``line`` the line number where the TOML parser knows it.
    """

    def __init__(self, message: str, *, path: str = "", source: str = "", line: int | None = None):
        self.message = message
        self.path = path
        self.source = source
        self.line = line
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.source
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        prefix = ": ".join(part for part in (where, self.path) if part)
        return f"{prefix}: {self.message}" if prefix else self.message

    def located(self, source: str, line: int | None = None) -> SpecError:
        """The same error, attributed to a file (and line, when known).

        Parameters
        ----------
        source : str
            The file the spec came from.
        line : int, optional
            The line in ``source``; None keeps the error's own line.

        Returns
        -------
        SpecError
            A new error with the same message and field path.
        """
        return SpecError(self.message, path=self.path, source=source,
                         line=line if line is not None else self.line)
