"""What several test modules share: image comparison settings, repository paths, names
read from the catalog, and walks over a diagram's wires.

Fixtures stay in ``tests/conftest.py``; plain functions and constants live here and are
imported explicitly (``from tests.helpers import image_compare``).
"""

from tests.helpers.graph import predecessors, reaches, successors, walk
from tests.helpers.images import IMAGE_DPI, IMAGE_TOLERANCE, image_compare
from tests.helpers.names import figure_names, theme_names
from tests.helpers.paths import BASELINE, FIXTURES, ROOT
from tests.helpers.specs import hand_spec

__all__ = ["BASELINE", "FIXTURES", "IMAGE_DPI", "IMAGE_TOLERANCE", "ROOT", "figure_names",
           "hand_spec", "image_compare", "predecessors", "reaches", "successors", "theme_names",
           "walk"]
