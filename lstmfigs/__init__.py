"""lstmfigs: publication-quality figures about LSTM networks.

>>> import lstmfigs
>>> lstmfigs.names()                      # every built-in figure
>>> fig = lstmfigs.figure("lstm-cell", theme="ieee", highlight="forget")
>>> lstmfigs.save(fig, "lstm-cell.pdf")   # TrueType fonts, reproducible bytes

Importing this package is cheap: matplotlib is loaded only when a figure is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import catalog
from .errors import LayoutError, LstmfigsError, SpecError, UnknownNameError
from .options import DATA_OPTIONS
from .themes import theme_names

if TYPE_CHECKING:  # pragma: no cover
    import numpy
    from matplotlib.figure import Figure

    from .diagram.spec import DiagramSpec

__version__ = "0.1.0"


__all__ = [
    "LayoutError", "LstmfigsError", "SpecError", "UnknownNameError",
    "names", "theme_names", "figure", "data", "save", "__version__",
    "to_tikz", "save_tikz", "save_pptx",
]


def names(kind: str | None = None) -> list[str]:
    """Every built-in figure name, diagrams first.

    Parameters
    ----------
    kind : {"diagram", "data"}, optional
        Only the figures of this kind.

    Returns
    -------
    list of str
        The names, as ``lstmfigs.figure`` and ``lstmfigs render`` take them.
    """
    return [e.name for e in catalog.entries() if kind is None or e.kind == kind]


def figure(name: str | DiagramSpec, theme: str = "paper", **options: Any) -> Figure:
    """Build figure ``name`` in ``theme`` and return the matplotlib Figure.

    Parameters
    ----------
    name : str, path or DiagramSpec
        A built-in figure (``lstmfigs.names()``), a ``.toml`` diagram spec file or a
        :class:`~lstmfigs.diagram.spec.DiagramSpec`.
    theme : str
        A theme (``lstmfigs.theme_names()``), ``NAME+NAME``, or a ``.mplstyle`` path.
    **options
        ``width`` (inches, ``"345pt"`` or a venue) and ``font`` (``times``, ``cm``,
        ``sans``), ``allow_layout_problems`` (draw a diagram even if its layout has
        problems), and the figure's own options (``lstmfigs list``): ``highlight``,
        ``legend``, ``equations`` for diagrams, ``weights``, ``inputs``, ``runs`` for data
        figures, ...

    Returns
    -------
    Figure
        A figure that saves itself in its theme (``lstmfigs.save`` or ``fig.savefig``).

    Raises
    ------
    LayoutError
        A diagram whose layout has problems (text over text or a wire, a wire through a
        node, ...), unless ``allow_layout_problems=True``.
    LstmfigsError
        Any other bad input: an unknown name, theme or option, an impossible size.
    """
    from .build import build, request

    if "dpi" in options:
        raise LstmfigsError("dpi belongs to the file: lstmfigs.save(fig, path, dpi=...)")
    return build(request(name, theme, **options))


def data(name: str, **options: Any) -> dict[str, numpy.ndarray]:
    """The numbers behind the data figure ``name``: what its figure draws.

    Parameters
    ----------
    name : str
        A data figure (``lstmfigs.names("data")``).
    **options
        Its data options only: ``weights``, ``inputs``, ``runs``, ``cell`` (a built-in
        definition, a ``.toml`` path or a :class:`lstmfigs.cells.Cell`) and ``train``.

    Returns
    -------
    dict of str to ndarray
        The figure's numbers (``lstmfigs render --data`` writes the same).
    """
    from .build import compute_data, request

    req = request(name, **options)  # unknown names and options first
    looks = sorted(set(options) - set(DATA_OPTIONS))
    if looks:
        raise UnknownNameError(f"{', '.join(map(repr, looks))} changes how '{name}' looks, "
                               "not its numbers; data() takes only "
                               f"{', '.join(DATA_OPTIONS)}")
    return compute_data(req)


def save(fig: Figure, path: Any, *, editable: bool = False, **kwargs: Any) -> None:
    """Write ``fig`` to ``path`` atomically and reproducibly in the figure's theme.

    Parameters
    ----------
    fig : Figure
        What :func:`figure` returned (any matplotlib Figure is accepted).
    path : str or path
        The file; its suffix gives the format (``.pdf``, ``.png``, ``.svg``, ``.eps``, ...).
        The folder must exist.
    editable : bool, default: False
        SVG only: text kept as ``<text>`` with its font named, a diagram's elements
        grouped by id, role and step (:mod:`lstmfigs.svgedit`).
    **kwargs
        ``format``, ``dpi`` (raster resolution, default the theme's) and ``transparent``.

    Raises
    ------
    LstmfigsError
        For an unknown format, an impossible size or resolution, or a file that cannot be
        written (nothing is left behind).
    """
    if editable:
        from .svgedit import save_editable_svg

        if kwargs:
            raise LstmfigsError(f"an editable SVG takes no {', '.join(sorted(kwargs))} option")
        save_editable_svg(fig, path)
        return
    from .export import save_figure

    save_figure(fig, path, **kwargs)


def to_tikz(name: str, theme: str = "paper", **options: Any) -> str:
    """The diagram ``name`` as a standalone-ready TikZ picture.

    One style per role, nodes named by spec id, math labels in the document's fonts and
    each highlight step a Beamer overlay (:mod:`lstmfigs.tikz`).

    Parameters
    ----------
    name : str or path
        A built-in diagram or a ``.toml`` spec file.
    theme : str
        The theme whose looks the styles take.
    **options
        As for :func:`figure`.

    Returns
    -------
    str
        The ``tikzpicture`` with its style definitions.
    """
    from .build import request
    from .tikz import to_tikz as _to_tikz

    return _to_tikz(request(name, theme, **options))


def save_tikz(name: str, path: Any, theme: str = "paper", **options: Any) -> None:
    """Write :func:`to_tikz` to ``path`` atomically.

    Parameters
    ----------
    name : str or path
        A built-in diagram or a ``.toml`` spec file.
    path : str or path
        The ``.tex`` file to write.
    theme : str
        The theme whose looks the styles take.
    **options
        As for :func:`figure`.
    """
    from .build import request
    from .tikz import save_tikz as _save_tikz

    _save_tikz(request(name, theme, **options), path)


def save_pptx(name: str, path: Any, theme: str = "slides", **options: Any) -> None:
    """Write figure ``name`` as a 16:9 PowerPoint deck.

    A diagram becomes native, editable shapes, one slide per highlight step; any other
    figure a picture.  Needs the ``pptx`` extra (python-pptx); see
    :mod:`lstmfigs.powerpoint`.

    Parameters
    ----------
    name : str or path
        A built-in figure or a ``.toml`` spec file.
    path : str or path
        The ``.pptx`` file to write.
    theme : str, default: "slides"
        The theme of the slides.
    **options
        As for :func:`figure`, and ``dpi`` for pictures.
    """
    from .build import request
    from .powerpoint import save_pptx as _save_pptx

    _save_pptx(request(name, theme, **options), path)


def _spec_mimebundle(spec: DiagramSpec) -> Any:
    """A spec as Jupyter shows it: its diagram in the default theme (a ThemedFigure's
    picture, PNG or SVG as the notebook asks)."""
    shown: Any = figure(spec)
    return shown._repr_mimebundle_()


def _show_specs_in_jupyter() -> None:
    """In IPython, a :class:`~lstmfigs.diagram.spec.DiagramSpec` shows as its diagram.

    Registered by class name, so neither IPython nor the drawing code is imported: the spec
    module stays plain data with no path back to the drawing code.
    """
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and hasattr(shell, "display_formatter"):
        shell.display_formatter.mimebundle_formatter.for_type_by_name(
            "lstmfigs.diagram.spec", "DiagramSpec", _spec_mimebundle)


_show_specs_in_jupyter()
