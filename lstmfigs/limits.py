"""Bounds on everything a user can make lstmfigs allocate or compute.

Hostile or mistaken input (a width of 350 in, a spec with far-apart nodes, a theme with
``figure.figsize: 0, 0`` or ``font.size: 1e5``, a 10,000-step animation) must end in one clear
error, not in minutes of work or a MemoryError.  Every size, from any source (command line,
Python arguments, theme sheet, spec), is checked against these numbers, which the README
lists.  No heavy imports here.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import LstmfigsError

#: Figure width and height in inches (the widest poster column is well inside this).
MIN_WIDTH, MAX_WIDTH = 1.0, 50.0
MIN_HEIGHT, MAX_HEIGHT = 0.1, 50.0
#: Longer side over shorter side: the unrolled chain is about 3:1 and a one-row diagram
#: can be 20:1, but a 1:2000 sliver (a tiny spec with two far-apart nodes) is a mistake.
MAX_ASPECT = 50.0
#: Raster resolution in dots per inch.
MIN_DPI, MAX_DPI = 10.0, 2400.0
#: Pixels in one raster image (width x height): 100 Mpx is 400 MB of RGBA.  A slide at 600
#: dpi (36 Mpx) or an IEEE column at 2400 dpi fits; 50 in at 2400 dpi does not.
MAX_PIXELS = 100_000_000
#: Pixels in one frame of an animation, and frames in one animation.
MAX_FRAME_PIXELS = 4_000_000
MAX_FRAMES = 100
#: How long one animation frame shows, in milliseconds (50 fps to a minute).
MIN_FRAME_MS, MAX_FRAME_MS = 20, 60_000
#: Time steps the activity diagram simulates (about 5 s of simulation; its animation shows
#: at most MAX_FRAMES of them).
MAX_ACTIVITY_STEPS = 100_000
#: Font sizes in points a theme may set (below 4 pt nothing is legible; above 72 pt a
#: label no longer fits any figure, and FreeType fails near 1e5).
MIN_FONT_PT, MAX_FONT_PT = 4.0, 72.0
#: Line widths in points a theme may set.
MAX_LINEWIDTH_PT = 20.0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def check_width(width: Any, what: str = "width") -> float | None:
    """``width`` in inches, or None: a number (inches), a length with a unit (``345pt``,
    ``88.9mm``) or a venue name (``ieee-column``; see :mod:`lstmfigs.sizes`); anything else
    is a :class:`LstmfigsError`.

    Parameters
    ----------
    width : str, float or None
        The width to check.
    what : str
        What the width is, for the error message.

    Returns
    -------
    float or None
        The width in inches (None if ``width`` is None).

    Raises
    ------
    LstmfigsError
        If ``width`` cannot be read or is outside ``MIN_WIDTH`` to ``MAX_WIDTH`` inches.
    """
    if width is None:
        return None
    if isinstance(width, str):
        from .sizes import parse_width

        width = parse_width(width)
    number = _number(width)
    if number is None or not MIN_WIDTH <= number <= MAX_WIDTH:
        raise LstmfigsError(f"impossible {what} {width!r} in: use {MIN_WIDTH:g} to "
                            f"{MAX_WIDTH:g} inches")
    return number


def check_dpi(dpi: Any, what: str = "dpi") -> float | None:
    """``dpi`` (dots per inch), or None; anything else is a :class:`LstmfigsError`.

    Parameters
    ----------
    dpi : float or None
        The resolution to check.
    what : str
        What the resolution is, for the error message.

    Returns
    -------
    float or None
        ``dpi`` as a float (None if ``dpi`` is None).

    Raises
    ------
    LstmfigsError
        If ``dpi`` is not a finite number from ``MIN_DPI`` to ``MAX_DPI``.
    """
    if dpi is None:
        return None
    number = _number(dpi)
    if number is None or not MIN_DPI <= number <= MAX_DPI:
        raise LstmfigsError(f"impossible {what} {dpi!r}: use {MIN_DPI:g} to {MAX_DPI:g}")
    return number


def check_figure_size(width: float, height: float, what: str = "the figure") -> None:
    """A figure's physical size: both sides in bounds and a sane aspect ratio.

    Parameters
    ----------
    width, height : float
        The figure's size in inches.
    what : str
        What is checked, for the error message.

    Raises
    ------
    LstmfigsError
        If a side is not finite and positive, is out of bounds, or the aspect ratio exceeds
        ``MAX_ASPECT``.
    """
    if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
        raise LstmfigsError(f"impossible size for {what}: {width:g} x {height:g} in")
    if not MIN_WIDTH <= width <= MAX_WIDTH or not MIN_HEIGHT <= height <= MAX_HEIGHT:
        raise LstmfigsError(
            f"{what} would be {width:.3g} x {height:.3g} in; figures are {MIN_WIDTH:g} to "
            f"{MAX_WIDTH:g} in wide and {MIN_HEIGHT:g} to {MAX_HEIGHT:g} in tall")
    aspect = max(width / height, height / width)
    if aspect > MAX_ASPECT:
        raise LstmfigsError(
            f"{what} would be {width:.3g} x {height:.3g} in, an aspect ratio of "
            f"{aspect:.0f}:1; at most {MAX_ASPECT:g}:1 is allowed (are the spec's "
            "coordinates far apart by mistake?)")


def check_pixels(width: float, height: float, dpi: float, *, limit: int = MAX_PIXELS,
                 what: str = "the image") -> None:
    """A raster of ``width`` x ``height`` inches at ``dpi`` stays under ``limit`` pixels.

    Parameters
    ----------
    width, height : float
        The size in inches.
    dpi : float
        Dots per inch.
    limit : int, default: MAX_PIXELS
        The most pixels allowed.
    what : str
        What is checked, for the error message.

    Raises
    ------
    LstmfigsError
        If the image would have more than ``limit`` pixels (the message gives the largest dpi
        that fits).
    """
    pixels = (width * dpi) * (height * dpi)
    if not math.isfinite(pixels) or pixels > limit:
        most = math.sqrt(limit / (width * height)) if width > 0 and height > 0 else 0
        raise LstmfigsError(
            f"{what} would be {width * dpi:,.0f} x {height * dpi:,.0f} pixels at {dpi:g} dpi; "
            f"the limit is {limit / 1e6:g} megapixels (at most {math.floor(most)} dpi at "
            f"{width:.3g} x {height:.3g} in)")
