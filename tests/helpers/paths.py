"""Where things are in the repository, wherever the test module using them sits."""

from __future__ import annotations

from pathlib import Path

#: The repository (or unpacked sdist) root.
ROOT = Path(__file__).resolve().parents[2]
#: Committed inputs: weight files, PyTorch reference runs.
FIXTURES = ROOT / "tests" / "fixtures"
#: pytest-mpl's baseline images (``--mpl-baseline-path`` in pyproject.toml).
BASELINE = ROOT / "tests" / "baseline"
