"""Image comparisons (pytest-mpl, always on through ``addopts = "--mpl"``).

* ``IMAGE_TOLERANCE`` is an RMS over 0-255 pixel values.  Renders are bit-identical run to
  run (RMS 0.0) with matplotlib pinned to one minor version, while a removed arrowhead on the
  LSTM cell measures RMS 1.3 to 3.1 and a changed gate label 1.6 to 3.4 (depending on the
  theme), so pytest-mpl's default of 2 would let both through.
  ``tests/test_image_tests_fail.py`` proves that this tolerance catches both.
* Baselines are PNG at ``IMAGE_DPI``; PDF/SVG comparisons would need Ghostscript/Inkscape and
  are otherwise silently skipped, so PDFs are checked structurally instead (fonts, bytes).
"""

from __future__ import annotations

from typing import Any

import pytest

IMAGE_TOLERANCE = 0.3
IMAGE_DPI = 100


def image_compare(filename: str, **kwargs: Any) -> pytest.MarkDecorator:
    """``pytest.mark.mpl_image_compare`` with our tolerance, dpi and an explicit file name."""
    return pytest.mark.mpl_image_compare(
        filename=filename, tolerance=IMAGE_TOLERANCE,
        savefig_kwargs={"dpi": IMAGE_DPI}, **kwargs)
