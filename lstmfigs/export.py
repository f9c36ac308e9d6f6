"""Export: figures to files, atomically and reproducibly.

* Atomic: a file is written to a temporary name in the target folder and renamed over the
  target only when complete, so a failed or interrupted render never leaves half a file.
* Reproducible: no dates, software versions or random ids (``svg.hashsalt`` is fixed by the
  themes), so rendering twice gives identical bytes.
* Themed: a :class:`ThemedFigure` remembers the rcParams it was made under and re-applies
  them whenever it draws or saves, so ``fig.savefig("x.pdf")`` embeds TrueType fonts even
  outside the theme, and showing a figure first does not change the file it saves.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .errors import LstmfigsError

#: Formats a static figure can be written in.
FORMATS = ("pdf", "png", "svg")
#: Editable formats, written from a diagram's layout rather than by savefig: TikZ
#: (lstmfigs.tikz, a standalone .tex) and PowerPoint (lstmfigs.powerpoint, native shapes).
EDITABLE_FORMATS = ("tikz", "pptx")
#: File suffixes that differ from the format's name.
SUFFIXES = {"tikz": "tex"}

#: Metadata that would make files differ between runs (dates, versions).
_REPRODUCIBLE_METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
    "svg": {"Date": None, "Creator": None},
    "png": {"Software": None},
}


class ThemedFigure(Figure):
    """A Figure that saves itself under the theme (rcParams) it was created in."""

    def __init__(self, *args: Any, theme: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # An Agg canvas (not pyplot): text can be measured, and no GUI or global figure
        # manager is involved.  savefig switches canvases for PDF and SVG as usual.
        FigureCanvasAgg(self)
        self.theme = theme
        # Everything draw-time code may read (hatch widths, font types, savefig.*).
        self._rc = {key: value for key, value in mpl.rcParams.items()
                    if not key.startswith(("backend", "interactive", "webagg", "tk.",
                                           "macosx", "toolbar", "timezone"))}

    def draw(self, renderer: Any) -> None:
        # Fonts, hatch widths and layout engines read rcParams while drawing, so a figure
        # shown in a notebook or checked before it is saved must draw under its theme too,
        # or the saved file would depend on what happened to it first.
        with mpl.rc_context(self._rc):
            super().draw(renderer)

    def savefig(self, fname: Any, *args: Any, **kwargs: Any) -> None:
        fmt = kwargs.get("format") or _format_of(fname)
        if fmt in _REPRODUCIBLE_METADATA:
            metadata = dict(_REPRODUCIBLE_METADATA[fmt])
            metadata.update(kwargs.get("metadata") or {})
            kwargs["metadata"] = metadata
        with mpl.rc_context(self._rc):
            super().savefig(fname, *args, **kwargs)


def figure_renderer(fig: Figure) -> Any:
    """The figure's renderer; a bare ``Figure()`` (no canvas that can measure text) gets an
    Agg canvas first, since Agg measures text like every other backend."""
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def _format_of(fname: Any) -> str | None:
    if isinstance(fname, (str, os.PathLike)):
        suffix = Path(fname).suffix.lower().lstrip(".")
        return suffix or None
    return None


def check_format(fmt: str, allowed: tuple[str, ...] = FORMATS) -> str:
    fmt = fmt.lower().lstrip(".")
    if fmt not in allowed:
        raise LstmfigsError(f"unknown format '{fmt}'; formats: {', '.join(allowed)}")
    return fmt


def atomic_write(path: Path, write) -> Path:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it.

    Unwritable folders raise :class:`LstmfigsError`; on any failure the temporary file is
    removed and ``path`` is untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise LstmfigsError(f"cannot write '{path}': folder '{folder}' does not exist")
    try:
        handle = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".part",
                                             delete=False)
    except OSError as exc:
        raise LstmfigsError(f"cannot write to '{folder}': {exc.strerror or exc}") from None
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except BaseException:
        try:
            os.unlink(handle.name)
        except FileNotFoundError:
            pass
        raise
    return path


def save_figure(fig: Figure, path: Any, *, format: str | None = None, dpi: float | None = None,
                transparent: bool | None = None) -> Path:
    """Write ``fig`` to ``path`` atomically and reproducibly; the format follows the suffix."""
    path = Path(path)
    fmt = check_format(format or path.suffix or "pdf")
    kwargs: dict[str, Any] = {"format": fmt}
    if dpi is not None:
        kwargs["dpi"] = dpi
    if transparent is not None:
        kwargs["transparent"] = transparent
    if not isinstance(fig, ThemedFigure):
        kwargs["metadata"] = dict(_REPRODUCIBLE_METADATA[fmt])
    return atomic_write(path, lambda handle: fig.savefig(handle, **kwargs))


def write_data(data: Any, path: Any) -> Path:
    """Write a mapping of arrays (the numbers behind a figure) as ``.npz`` or ``.csv``.

    CSV: when every array is 1-D and of one length, one column per array; otherwise a
    long table with columns ``array``, ``index`` (``i;j;...``) and ``value``.
    """
    import csv
    import io

    import numpy as np

    path = Path(path)
    arrays = {str(k): np.asarray(v) for k, v in dict(data).items()}
    fmt = path.suffix.lower().lstrip(".")
    if fmt == "npz":
        return atomic_write(path, lambda handle: np.savez_compressed(handle, **arrays))
    if fmt != "csv":
        raise LstmfigsError(f"unknown data format '{fmt}'; formats: npz, csv")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    lengths = {a.shape for a in arrays.values()}
    if all(a.ndim == 1 for a in arrays.values()) and len(lengths) == 1:
        writer.writerow(arrays)
        writer.writerows(zip(*(a.tolist() for a in arrays.values())))
    else:
        writer.writerow(["array", "index", "value"])
        for key, array in arrays.items():
            for index, value in np.ndenumerate(array):
                writer.writerow([key, ";".join(map(str, index)), repr(value.item())])
    encoded = buffer.getvalue().encode("utf-8")
    return atomic_write(path, lambda handle: handle.write(encoded))
