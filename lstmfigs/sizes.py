"""Physical sizes: lengths with units, and the measured widths of LaTeX venues.

Pure functions and constants (no matplotlib), in the spirit of tueplots: a figure that is
exactly as wide as the ``\\columnwidth`` it is placed in needs no ``width=`` option in
``\\includegraphics`` and raises no Overfull box.

Units.  TeX's ``pt`` is 1/72.27 in, while a PDF's MediaBox is measured in big points
(``bp``, 1/72 in), so "3.5 in" is 252.94 TeX pt: about one point too wide for IEEE's
252 pt column.  Widths here are kept in TeX pt as LaTeX reports them and converted to
inches only at the end.

Every venue width was measured with pdflatex (``\\the\\columnwidth``, ``\\the\\textwidth``)
by ``tools/measure_venue_widths.py``; ``tests/test_latex.py`` measures them again wherever
pdflatex and the class are installed.  NeurIPS and ICML ship their style files outside
TeX Live; their widths come from the settings in those files (see ``Venue.source``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import LstmfigsError, did_you_mean

#: Inches per unit.
TEX_PT_PER_INCH = 72.27
UNITS: dict[str, float] = {
    "in": 1.0,
    "pt": 1.0 / TEX_PT_PER_INCH,  # TeX point
    "bp": 1.0 / 72.0,  # big (PostScript, PDF) point
    "cm": 1.0 / 2.54,
    "mm": 1.0 / 25.4,
}


@dataclass(frozen=True)
class Venue:
    """A width LaTeX reports for one document class: ``points`` TeX pt of ``length``."""

    name: str
    points: float
    length: str  # the LaTeX length measured: \columnwidth or \textwidth
    documentclass: str  # the \documentclass line (or package) it was measured with
    source: str  # class/style file and its version

    @property
    def inches(self) -> float:
        return self.points / TEX_PT_PER_INCH


_IEEE = "IEEEtran.cls 2015/08/26 v1.8b"
_ACM = "acmart.cls 2022/10/24 v1.88"
_LNCS = "llncs.cls 2022/09/05 v2.22"
_ARTICLE = "article.cls 2022/07/02 v1.4n"
_ELS = "elsarticle.cls 2020/11/20 v3.3"
_BEAMER = "beamer.cls 2022/09/13 v3.68"
_NEURIPS = "neurips_2024.sty 2024/03/31 (geometry textwidth=5.5in; not in TeX Live)"
_ICML = "icml2024.sty (textwidth 6.75in, columnsep 0.25in; not in TeX Live)"

#: Venue widths in TeX pt, as pdflatex (TeX Live 2022, LaTeX 2022-11-01) reports them.
VENUES: dict[str, Venue] = {v.name: v for v in (
    Venue("ieee-column", 252.0, r"\columnwidth", r"\documentclass[conference]{IEEEtran}", _IEEE),
    Venue("ieee-text", 516.0, r"\textwidth", r"\documentclass[conference]{IEEEtran}", _IEEE),
    Venue("acm-column", 241.14749, r"\columnwidth", r"\documentclass[sigconf]{acmart}", _ACM),
    Venue("acm-text", 506.295, r"\textwidth", r"\documentclass[sigconf]{acmart}", _ACM),
    Venue("lncs-text", 347.12354, r"\textwidth", r"\documentclass{llncs}", _LNCS),
    Venue("article-text", 345.0, r"\textwidth", r"\documentclass{article}", _ARTICLE),
    Venue("article11-text", 360.0, r"\textwidth", r"\documentclass[11pt]{article}", _ARTICLE),
    Venue("article12-text", 390.0, r"\textwidth", r"\documentclass[12pt]{article}", _ARTICLE),
    Venue("elsarticle-column", 252.0, r"\columnwidth", r"\documentclass[5p]{elsarticle}", _ELS),
    Venue("elsarticle-text", 522.0, r"\textwidth", r"\documentclass[5p]{elsarticle}", _ELS),
    Venue("neurips-text", 397.48499, r"\textwidth", r"\usepackage{neurips_2024}", _NEURIPS),
    Venue("icml-column", 234.8775, r"\columnwidth", r"\usepackage{icml2024}", _ICML),
    Venue("icml-text", 487.8225, r"\textwidth", r"\usepackage{icml2024}", _ICML),
    Venue("beamer-169", 398.3386, r"\textwidth", r"\documentclass[aspectratio=169]{beamer}",
          _BEAMER),
    Venue("beamer-43", 307.28987, r"\textwidth", r"\documentclass{beamer}", _BEAMER),
)}

#: Beamer's 16:9 page (aspectratio=169): 16 cm x 9 cm.
BEAMER_169_PAGE_PT = (455.24408, 256.0748)

_LENGTH = re.compile(r"^\s*([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|nan|infinity|inf))"
                     r"\s*([a-zA-Z]*)\s*$")


def to_inches(value: float, unit: str) -> float:
    """``value`` ``unit`` (in, pt, bp, cm, mm) in inches.

    Parameters
    ----------
    value : float
        A length in ``unit``.
    unit : str
        ``in``, ``pt``, ``bp``, ``cm`` or ``mm``.

    Returns
    -------
    float
        The length in inches.

    Raises
    ------
    LstmfigsError
        If ``unit`` is not one of these.
    """
    try:
        return value * UNITS[unit]
    except KeyError:
        raise LstmfigsError(f"unknown unit '{unit}'; units: {', '.join(UNITS)}") from None


def points(inches: float) -> float:
    """Inches in TeX points.

    Parameters
    ----------
    inches : float

    Returns
    -------
    float
        The length in TeX points (72.27 per inch).
    """
    return inches * TEX_PT_PER_INCH


def venue_width(name: str) -> float:
    """The width of venue ``name`` (``ieee-column``, ``neurips-text``, ...) in inches.

    Parameters
    ----------
    name : str
        A venue in :data:`VENUES`.

    Returns
    -------
    float

    Raises
    ------
    LstmfigsError
        If ``name`` is not a known venue (the message suggests near names).
    """
    try:
        return VENUES[name].inches
    except KeyError:
        raise LstmfigsError(f"unknown venue '{name}'{did_you_mean(name, VENUES, n=2)}; "
                            f"venues: {', '.join(VENUES)}") from None


def parse_width(value: str | float) -> float:
    """A width in inches from a number (inches), a length with a unit (``345pt``,
    ``88.9mm``, ``3.5in``) or a venue name (``ieee-column``).

    Parameters
    ----------
    value : str or float
        Inches, a length such as ``"345pt"`` (a bare number in a string is inches) or a venue.

    Returns
    -------
    float
        The width in inches.

    Raises
    ------
    LstmfigsError
        If ``value`` is a bool, neither a number nor a string, unreadable, or not a positive
        finite length.
    """
    if isinstance(value, bool):
        raise LstmfigsError(f"a width is a length such as 3.5in or 345pt, not {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise LstmfigsError(f"a width is a length such as 3.5in or 345pt, not {value!r}")
    text = value.strip().lower()
    if text in VENUES:
        return venue_width(text)
    match = _LENGTH.match(text)
    if match is None:
        raise LstmfigsError(f"cannot read width '{value}'{did_you_mean(text, VENUES, n=1)}: use "
                            "a length (3.5in, 345pt, 252bp, 8.9cm, 88.9mm) or a venue such as "
                            "ieee-column ('lstmfigs render --help' lists them)")
    number, unit = float(match.group(1)), match.group(2) or "in"
    if not math.isfinite(number) or number <= 0:
        raise LstmfigsError(f"impossible width '{value}': a width is a positive length")
    return to_inches(number, unit)


#: The default height-to-width ratio of a panel: 1 / golden ratio.
GOLDEN_RATIO = (math.sqrt(5) - 1) / 2


def figsize(width: str | float, *, nrows: int = 1, ncols: int = 1,
            ratio: float = GOLDEN_RATIO) -> tuple[float, float]:
    """A figure size in inches for ``nrows`` x ``ncols`` panels across ``width``.

    A pure function, as tueplots' ``figsizes``: the figure is ``width`` wide; each panel is
    ``width / ncols`` wide and ``ratio`` times that tall, so the figure is ``nrows`` panels
    tall.  Use it as ``plt.subplots(2, 3, figsize=figsize("ieee-text", nrows=2, ncols=3))``
    or ``lstmfigs.figure(..., width=...)`` takes the width alone.

    Parameters
    ----------
    width : str or float
        A venue (``"ieee-column"``), a length (``"345pt"``, ``"88.9mm"``) or inches.
    nrows, ncols : int
        Panels down and across.
    ratio : float
        Height over width of one panel (1 / golden ratio by default).

    Returns
    -------
    (float, float)
        Width and height in inches.

    >>> figsize("ieee-column")                    # doctest: +ELLIPSIS
    (3.486..., 2.155...)
    """
    inches = parse_width(width)
    for name, count in (("nrows", nrows), ("ncols", ncols)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise LstmfigsError(f"{name} is a whole number of panels, 1 or more, not {count!r}")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) \
            or not math.isfinite(ratio) or ratio <= 0:
        raise LstmfigsError(f"ratio is a positive height-to-width ratio, not {ratio!r}")
    return inches, inches / ncols * ratio * nrows
