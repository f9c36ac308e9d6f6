"""Shared test settings: the Agg backend for every test.  Shared helpers (image comparison
settings, paths, catalog names, graph walks) are in :mod:`tests.helpers`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
