"""Export: figures to files, atomically and reproducibly.

* Atomic: a file is written to a temporary name in the target folder and renamed over the
  target only when complete, so a failed or interrupted render never leaves half a file.
  Inside :func:`batch` (one CLI run) every file waits until all are complete, so a run
  writes all of its files or none of them.  This is the one writer of the package.
* Reproducible: no dates, software versions or random ids (``svg.hashsalt`` is fixed by the
  themes), so rendering twice gives identical bytes.
* Themed: a :class:`ThemedFigure` remembers the rcParams it was made under and re-applies
  them whenever it draws or saves, so ``fig.savefig("x.pdf")`` embeds TrueType fonts even
  outside the theme, and showing a figure first does not change the file it saves.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import signals
from .errors import LstmfigsError
from .limits import check_dpi, check_figure_size, check_pixels

#: Formats a static figure can be written in.  ``pgf`` (data figures) is typeset by the
#: paper's own pdflatex; ``eps`` and ``ps`` embed TrueType (Type 42) fonts.
FORMATS = ("pdf", "png", "svg", "pgf", "eps", "ps")
#: Formats of animated figures (:func:`lstmfigs.animate.save_animation`).
ANIMATED_FORMATS = ("gif", "apng", "webp")
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
        """Draw the figure under the rcParams of its theme, captured when it was made.

        Parameters
        ----------
        renderer : RendererBase
            The renderer to draw with, as for `.Figure.draw`.
        """
        # Fonts, hatch widths and layout engines read rcParams while drawing, so a figure
        # shown in a notebook or checked before it is saved must draw under its theme too,
        # or the saved file would depend on what happened to it first.
        with mpl.rc_context(self._rc):
            super().draw(renderer)

    # -- Jupyter: the figure shows itself, once, without %matplotlib inline -------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """PNG, or SVG when the notebook asks for it (``set_matplotlib_formats("svg")`` or
        ``%config InlineBackend.figure_formats = ["svg"]``; ``"retina"`` gives a PNG at
        twice the resolution, shown at the same size)."""
        import io

        fmt = notebook_format()
        if include and _MIME[fmt] not in include:
            fmt = "svg" if _MIME["svg"] in include else "png"
        buffer = io.BytesIO()
        if fmt == "svg":
            self.savefig(buffer, format="svg")
            return {_MIME["svg"]: buffer.getvalue().decode("utf-8")}
        scale = 2 if fmt == "retina" else 1
        self.savefig(buffer, format="png", dpi=self.dpi * scale)
        width, height = (round(v * self.dpi) for v in self.get_size_inches())
        metadata = {"width": width, "height": height} if scale != 1 else {}
        return {_MIME["png"]: buffer.getvalue()}, {_MIME["png"]: metadata} if metadata else {}

    def show(self, warn: bool = True) -> None:
        """Show the figure: in a notebook, display it (once); elsewhere in a window of
        pyplot's GUI backend if there is one, else warn (as matplotlib does), never raise.

        Parameters
        ----------
        warn : bool, default: True
            Warn when there is no window to show the figure in.
        """
        shell = _kernel_shell()
        if shell is not None:
            from IPython.display import display

            display(self)
            return
        import warnings

        import matplotlib.pyplot as plt

        backend_module = plt._get_backend_mod()
        if getattr(backend_module, "FigureManager", None) is None or \
                mpl.get_backend().lower() in _NON_INTERACTIVE:
            if warn:
                warnings.warn(f"the figure cannot be shown: matplotlib's backend "
                              f"'{mpl.get_backend()}' has no window; save it instead "
                              "(lstmfigs.save(fig, 'figure.pdf'))", UserWarning, stacklevel=2)
            return
        manager = backend_module.new_figure_manager_given_figure(id(self), self)
        manager.show()

    def savefig(self, fname: Any, *args: Any, **kwargs: Any) -> None:
        """`.Figure.savefig` under the figure's theme, with reproducible metadata.

        Parameters
        ----------
        fname : str, path-like or file-like
            Where to save, as for `.Figure.savefig`.
        *args, **kwargs
            Passed on to `.Figure.savefig`; a ``metadata`` dict is merged over the reproducible
            defaults of PDF, SVG and PNG.

        Raises
        ------
        LstmfigsError
            If the figure's size, or a PNG's pixel count at the given ``dpi``, is out of bounds.
        """
        fmt = kwargs.get("format") or _format_of(fname)
        if fmt in _REPRODUCIBLE_METADATA:
            metadata = dict(_REPRODUCIBLE_METADATA[fmt])
            metadata.update(kwargs.get("metadata") or {})
            kwargs["metadata"] = metadata
        dpi = kwargs.get("dpi")
        if isinstance(fmt, str):  # a raster too large for memory fails here, not in Agg
            check_savable(self, fmt.lower(), self.dpi if dpi == "figure" else dpi)
        with mpl.rc_context(self._rc):
            super().savefig(fname, *args, **kwargs)


_MIME = {"png": "image/png", "retina": "image/png", "svg": "image/svg+xml"}
_NON_INTERACTIVE = {"agg", "pdf", "ps", "svg", "pgf", "cairo", "template"}


def _kernel_shell() -> Any:
    """The IPython shell of a Jupyter kernel we run in, or None (never imports IPython)."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if getattr(shell, "kernel", None) is not None else None


def notebook_format() -> str:
    """The figure format the notebook asked for: ``svg``, ``retina`` or ``png`` (default).

    matplotlib-inline's ``set_matplotlib_formats(...)`` registers display printers for
    matplotlib figures, and ``%config InlineBackend.figure_formats`` sets the shell's
    configuration; either is honoured, the printers first.
    """
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return "png"
    formatters = shell.display_formatter.formatters
    for fmt in ("svg", "png"):
        try:
            formatters[_MIME[fmt]].lookup_by_type(Figure)
        except KeyError:
            continue
        return fmt
    config = shell.config.get("InlineBackend", {})
    asked = config.get("figure_formats") or config.get("figure_format") or ()
    asked = {asked} if isinstance(asked, str) else set(asked)
    return "svg" if "svg" in asked else "retina" if "retina" in asked else "png"


def figure_renderer(fig: Figure) -> Any:
    """The figure's renderer, for measuring text.

    A bare ``Figure()`` (no canvas that can measure text) gets an Agg canvas first, since Agg
    measures text like every other backend.

    Parameters
    ----------
    fig : Figure
        The figure to measure.

    Returns
    -------
    RendererBase
        Its canvas's renderer.
    """
    get_renderer = getattr(fig.canvas, "get_renderer", None)
    if get_renderer is None:
        get_renderer = FigureCanvasAgg(fig).get_renderer
    return get_renderer()


def _format_of(fname: Any) -> str | None:
    if isinstance(fname, (str, os.PathLike)):
        suffix = Path(fname).suffix.lower().lstrip(".")
        return suffix or None
    return None


def check_format(fmt: str, allowed: tuple[str, ...] = FORMATS) -> str:
    """``fmt`` as a known format name: lower case, without a leading dot.

    Parameters
    ----------
    fmt : str
        A format or suffix (``"PDF"``, ``".png"``).
    allowed : tuple of str, default: FORMATS
        The formats accepted.

    Returns
    -------
    str
        The normalised name.

    Raises
    ------
    LstmfigsError
        If it is not one of ``allowed``.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in allowed:
        raise LstmfigsError(f"unknown format '{fmt}'; formats: {', '.join(allowed)}")
    return fmt


class _QuietFontTimestamps(logging.Filter):
    """Drop fontTools' warning that a font's 'created'/'modified' timestamp "seems very low".

    The Computer Modern fonts matplotlib ships (BaKoMa's cmr10, ...) carry timestamps from
    before 1970 in their ``head`` table; fontTools warns about them each time a PDF embeds
    a subset, which put lines on stderr on every PDF render.  The timestamps are the
    font's own and harmless, and only this one message is dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "timestamp seems very low" not in record.getMessage()


logging.getLogger("fontTools.ttLib.tables._h_e_a_d").addFilter(_QuietFontTimestamps())


#: Temporary files are ``.lstmfigs-PID-XXXXXXXX.tmp`` in the target folder: short, so any
#: legal target name works (a 240-character name has no room for a longer temporary name),
#: and carrying the writer's process id, so files left by a killed run can be recognised.
_TEMP_PATTERN = re.compile(r"\.lstmfigs-(\d+)-[0-9a-f]{8}\.tmp")
#: A temporary file of a dead process is removed once it is this old (seconds): another
#: machine sharing the folder may be writing it under a process id we do not know.
_STALE_AFTER = 3600.0


def _temporary(folder: Path) -> tuple[Path, BinaryIO]:
    """A new temporary file in ``folder``, created with mode 0666 less the umask (as any
    new file), open for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp = folder / f".lstmfigs-{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            descriptor = os.open(temp, flags, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise LstmfigsError(f"cannot write to '{folder}': {exc.strerror or exc}") from None
        return temp, os.fdopen(descriptor, "wb")
    raise LstmfigsError(f"cannot write to '{folder}': no free temporary name")


def remove_stale_temporaries(folder: Path) -> None:
    """Remove temporary files that a killed lstmfigs process (SIGKILL, power loss) left in
    ``folder``: their process is gone and they are older than an hour.  (POSIX only: on
    Windows, signal 0 is CTRL_C_EVENT, not a probe.)

    Parameters
    ----------
    folder : Path
        The folder to clean; errors (an unreadable folder, a file that vanished) are ignored.
    """
    if os.name != "posix":
        return
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _TEMP_PATTERN.fullmatch(entry.name)
        if not match or int(match.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(match.group(1)), 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except (OSError, OverflowError):
            continue  # not ours to judge (another user's process)
        try:
            if entry.is_file(follow_symlinks=False) and \
                    now - entry.stat(follow_symlinks=False).st_mtime > _STALE_AFTER:
                os.unlink(entry.path)
        except OSError:
            pass


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LstmfigsError(f"cannot create folder '{folder}': {exc.strerror or exc}") from None


def _cannot_write(path: Path, exc: OSError, temp: Path | None = None) -> LstmfigsError:
    """The error for an OSError met while writing ``path`` (through ``temp``)."""
    where = f" ('{exc.filename}')" if exc.filename and str(exc.filename) != str(temp) else ""
    return LstmfigsError(f"cannot write '{path}': {exc.strerror or exc}{where}")


def _folder_of(path: Path) -> Path:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise LstmfigsError(f"cannot write '{path}': folder '{folder}' does not exist")
    if path.is_dir():
        raise LstmfigsError(f"cannot write '{path}': it is a folder")
    return folder


def _write_temporary(path: Path, write: Callable[[BinaryIO], Any], created: set[Path]) -> Path:
    """``write`` into a complete, synced temporary file beside ``path``; its name.

    The name is added to ``created`` the moment the file exists: an interrupt that lands
    after this function returns but before the caller has renamed or recorded the file
    still leaves the caller a name to clean up."""
    folder = _folder_of(path)
    temp = None
    try:
        # An interrupt is delivered before the file exists or after its name is known here,
        # never in between: no temporary file escapes the clean-up below.
        with signals.deferred():
            temp, handle = _temporary(folder)
            created.add(temp)
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as exc:
        if temp is not None:
            handle.close()
            _unlink(temp)
            created.discard(temp)
        if isinstance(exc, OSError):  # a full disk, a lost network folder: not a bug
            raise _cannot_write(path, exc, temp) from None
        raise
    return temp


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class Batch:
    """The files of one run, written under temporary names and renamed into place together
    only when every one is complete: all or nothing.

    Use :func:`batch`; inside it, :func:`atomic_write` (and so :func:`save_figure`,
    :func:`write_data` and the animation writers) stage their files here.
    """

    def __init__(self) -> None:
        self._staged: dict[Path, Path] = {}  # target -> complete temporary file
        self._temporaries: set[Path] = set()  # every temporary file made, staged or not yet
        self._made: list[Path] = []  # folders this batch created, outermost first
        self._cleaned: set[Path] = set()

    @property
    def targets(self) -> list[Path]:
        """The files the batch will write, in the order they were staged."""
        return list(self._staged)

    def make_folder(self, folder: Path) -> Path:
        """Create ``folder`` (and its parents) now; an aborted batch removes it again.

        Parameters
        ----------
        folder : Path
            The folder to create.

        Returns
        -------
        Path
            ``folder``.

        Raises
        ------
        LstmfigsError
            If it cannot be created.
        """
        folder = Path(folder)
        missing = []
        probe = folder
        while not probe.exists() and probe.parent != probe:
            missing.append(probe)
            probe = probe.parent
        _make_folder(folder)
        self._made += reversed(missing)
        return folder

    def stage(self, path: Path, write: Callable[[BinaryIO], Any]) -> Path:
        """Write ``path``'s content to a temporary file now, to be renamed at :meth:`commit`.

        Parameters
        ----------
        path : Path
            The target file; staged twice, the last content counts.
        write : callable
            Called once with the temporary file, open for writing bytes.

        Returns
        -------
        Path
            ``path``.

        Raises
        ------
        LstmfigsError
            If the folder is missing, ``path`` is a folder, or the file cannot be written.
        """
        path = Path(path)
        folder = _folder_of(path)
        if folder not in self._cleaned:
            self._cleaned.add(folder)
            remove_stale_temporaries(folder)
        temp = _write_temporary(path, write, self._temporaries)
        previous = self._staged.pop(path, None)
        if previous is not None:  # written twice in one run: the last one counts
            _unlink(previous)
            self._temporaries.discard(previous)
        self._staged[path] = temp
        return path

    def commit(self) -> None:
        """Rename every staged file into place.  Interrupts are held back while renaming; one
        that arrived before (even one swallowed on the way) aborts the batch instead."""
        with signals.deferred():
            if signals.pending():
                self.abort()
            else:
                for path, temp in self._staged.items():
                    os.replace(temp, path)
                self._staged.clear()
                self._temporaries.clear()
        signals.check()

    def abort(self) -> None:
        """Remove every staged file and the folders this batch created (if empty)."""
        for temp in self._temporaries | set(self._staged.values()):
            _unlink(temp)
        self._staged.clear()
        self._temporaries.clear()
        for folder in reversed(self._made):
            try:
                folder.rmdir()
            except OSError:
                break
        self._made.clear()


_ACTIVE: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("lstmfigs_batch",
                                                                       default=None)


@contextlib.contextmanager
def batch() -> Iterator[Batch]:
    """Stage every file written in the block; rename them all at its end, or, if the block
    raises (or is interrupted), remove them all and leave the targets as they were."""
    staged = Batch()
    token = _ACTIVE.set(staged)
    try:
        yield staged
    except BaseException:
        staged.abort()
        raise
    else:
        try:
            staged.commit()
        except BaseException:
            staged.abort()
            raise
    finally:
        _ACTIVE.reset(token)


def atomic_write(path: Path, write: Callable[[BinaryIO], Any], *,
                 immediate: bool = False, make_folder: bool = False) -> Path:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it.

    The package's one writer: figures, data, animations, editable formats, cached training
    runs and run sets all go through it.  On any failure the temporary file is removed and
    ``path`` is untouched.  New files get mode 0666 less the umask, as any new file does.

    Parameters
    ----------
    path : Path
        The file to write; an existing file is replaced.
    write : callable
        Called once with the temporary file, open for writing bytes.
    immediate : bool, default: False
        Rename at once even inside a :func:`batch`, whose renames otherwise wait for the whole
        batch (a cache entry is worth keeping whether or not the run succeeds).
    make_folder : bool, default: False
        Create the folder of ``path`` (and its parents) first.  Inside a batch, an aborted
        batch removes the folders it created.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    LstmfigsError
        The folder is missing (without ``make_folder``) or cannot be created, ``path`` is a
        folder, or the file cannot be written (permissions, a full disk).
    """
    path = Path(path)
    active = None if immediate else _ACTIVE.get()
    if active is not None:
        if make_folder:
            active.make_folder(path.parent)
        return active.stage(path, write)
    if make_folder:
        _make_folder(path.parent)
    created: set[Path] = set()
    try:
        temp = _write_temporary(path, write, created)
        os.replace(temp, path)
    except BaseException as exc:
        for leftover in created:  # after a rename, the temporary name is gone: a no-op
            _unlink(leftover)
        if isinstance(exc, OSError):  # the rename failed: a full disk, a lost folder
            raise _cannot_write(path, exc, next(iter(created), None)) from None
        raise
    return path


def save_figure(fig: Figure, path: Any, *, format: str | None = None, dpi: float | None = None,
                transparent: bool | None = None) -> Path:
    """Write ``fig`` to ``path`` atomically and reproducibly; the format follows the suffix.

    Parameters
    ----------
    fig : Figure
        The figure.
    path : str or os.PathLike
        The file to write.
    format : str, optional
        One of :data:`FORMATS`; None takes the suffix of ``path`` (PDF when it has none).
    dpi : float, optional
        Resolution of rasters; None for the theme's (or matplotlib's) ``savefig.dpi``.
    transparent : bool, optional
        A transparent background; None leaves it to ``savefig.transparent``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    LstmfigsError
        If an argument is invalid, the format unknown, the figure's size or pixel count out
        of bounds, or the file cannot be written.
    """
    if not isinstance(fig, Figure):
        raise LstmfigsError(f"expected a matplotlib Figure to save, got {type(fig).__name__}")
    path = _output_path(path)
    if format is not None and not isinstance(format, str):
        raise LstmfigsError(f"a format is a name such as 'pdf', not {format!r}")
    fmt = check_format(format or path.suffix or "pdf")
    dpi = check_dpi(dpi)
    if transparent is not None and not isinstance(transparent, bool):
        raise LstmfigsError(f"transparent is true or false, not {transparent!r}")
    if not isinstance(fig, ThemedFigure):  # a ThemedFigure checks itself when it saves
        check_savable(fig, fmt, dpi)
    kwargs: dict[str, Any] = {"format": fmt}
    if dpi is not None:
        kwargs["dpi"] = dpi
    if transparent is not None:
        kwargs["transparent"] = transparent
    if fmt == "pgf":
        return save_pgf(fig, path)
    if fmt in ("eps", "ps"):
        return atomic_write(path, lambda handle: handle.write(_postscript(fig, **kwargs)))
    if not isinstance(fig, ThemedFigure):
        kwargs["metadata"] = dict(_REPRODUCIBLE_METADATA[fmt])
    return atomic_write(path, lambda handle: fig.savefig(handle, **kwargs))


def check_savable(fig: Figure, fmt: str, dpi: float | None = None) -> None:
    """``fig`` has a sane size, and as a raster stays within the pixel limit.

    Parameters
    ----------
    fig : Figure
        The figure.
    fmt : str
        The format, lower case.
    dpi : float, optional
        Resolution of a PNG; None for :func:`raster_dpi`'s default.

    Raises
    ------
    LstmfigsError
        If the figure's size is impossible or a PNG would exceed the pixel limit.
    """
    width, height = (float(v) for v in fig.get_size_inches())
    check_figure_size(width, height)
    if fmt == "png":
        check_pixels(width, height, raster_dpi(fig, dpi))


def raster_dpi(fig: Figure, dpi: float | None = None) -> float:
    """The resolution ``fig`` is rasterised at: ``dpi``, else its theme's ``savefig.dpi``
    (``"figure"`` meaning the figure's own dpi).

    Parameters
    ----------
    fig : Figure
        The figure.
    dpi : float, optional
        An explicit resolution, which wins.

    Returns
    -------
    float
        Dots per inch.
    """
    if dpi is not None:
        return float(dpi)
    rc = fig._rc if isinstance(fig, ThemedFigure) else mpl.rcParams
    value = rc.get("savefig.dpi", "figure")
    return float(fig.dpi if value == "figure" else value)


def _output_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise LstmfigsError(f"expected a file path to write, got {path!r:.60}")
    return Path(path)


def _postscript(fig: Figure, **kwargs: Any) -> bytes:
    """EPS or PS bytes without the date matplotlib writes into ``%%CreationDate``."""
    import io

    buffer = io.BytesIO()
    with mpl.rc_context({"ps.fonttype": 42}):
        fig.savefig(buffer, metadata={"Creator": "lstmfigs"}, **kwargs)
    return re.sub(rb"%%CreationDate:[^\n]*\n", b"", buffer.getvalue(), count=1)


def _bytes_writer(data: bytes) -> Callable[[BinaryIO], Any]:
    return lambda handle: handle.write(data)


#: Defined at the top of every PGF file (inside its group), so that ``\input{x.pgf}``
#: compiles in any paper without preamble tricks.
PGF_PROLOGUE = r"\providecommand{\mathdefault}[1]{#1}"


def save_pgf(fig: Figure, path: Any) -> Path:
    """Write ``fig`` as PGF for ``\\input`` in a pdflatex paper, all or nothing.

    matplotlib measures the text with pdflatex (``pgf.texsystem``), and writes raster
    images (heat maps) as ``STEM-img0.png`` beside the ``.pgf``.  Everything is drawn in a
    private temporary folder first, then written through :func:`atomic_write` as one
    :func:`batch` (or as part of the caller's batch), so a failure leaves nothing and new
    files respect the umask.  The text is typeset in the paper's fonts.

    Parameters
    ----------
    fig : Figure
        The figure to write.
    path : str or os.PathLike
        The ``.pgf`` file; its folder must exist.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    LstmfigsError
        pdflatex is missing or cannot typeset a label, or the files cannot be written.
    """
    import shutil
    import tempfile

    target = Path(path)
    _folder_of(target)
    if shutil.which(str(mpl.rcParams["pgf.texsystem"])) is None and \
            shutil.which("pdflatex") is None:
        raise LstmfigsError("pgf output measures its text with pdflatex, which is not "
                            "installed (TeX Live's texlive-latex-base has it)")
    with tempfile.TemporaryDirectory(prefix="lstmfigs-pgf-") as scratch:
        drawn = Path(scratch) / target.name
        try:
            with mpl.rc_context(getattr(fig, "_rc", {})), \
                    mpl.rc_context({"pgf.texsystem": "pdflatex", "pgf.rcfonts": False}):
                Figure.savefig(fig, drawn, format="pgf")
        except (RuntimeError, OSError) as exc:  # LaTeX could not typeset a label
            raise LstmfigsError(f"pgf: pdflatex failed: {' '.join(str(exc).split())[:300]}") \
                from None
        text = drawn.read_text(encoding="utf-8")
        start = "\n\\begingroup%\n"  # the picture's group, after the header comments
        if start not in text:
            raise LstmfigsError("pgf: unexpected output from matplotlib's PGF backend")
        files = {drawn: text.replace(start, start + PGF_PROLOGUE + "%\n", 1).encode("utf-8")}
        for image in sorted(p for p in Path(scratch).iterdir() if p != drawn):
            files[image] = image.read_bytes()
    outer = contextlib.nullcontext() if _ACTIVE.get() is not None else batch()
    with outer:
        for drawn_path, data in files.items():
            atomic_write(target.with_name(drawn_path.name), _bytes_writer(data))
    return target


def write_data(data: Any, path: Any) -> Path:
    """Write a mapping of arrays (the numbers behind a figure) as ``.npz`` or ``.csv``.

    CSV: when every array is 1-D and of one length, one column per array; otherwise a
    long table with columns ``array``, ``index`` (``i;j;...``) and ``value``.  Written through
    :func:`atomic_write`.

    Parameters
    ----------
    data : Mapping of str to array_like
        The arrays by name.
    path : str or os.PathLike
        A ``.npz`` or ``.csv`` file; its folder must exist.

    Returns
    -------
    Path
        ``path``.
    """
    import csv
    import io

    import numpy as np

    path = _output_path(path)
    if not isinstance(data, Mapping):
        raise LstmfigsError(f"expected a mapping of names to arrays, got {type(data).__name__}")
    # Any: numpy's stubs type savez's **kwds against its own keyword arguments.
    arrays: dict[str, Any] = {str(k): np.asarray(v) for k, v in data.items()}
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
        writer.writerows(zip(*(a.tolist() for a in arrays.values()), strict=True))
    else:
        writer.writerow(["array", "index", "value"])
        for key, array in arrays.items():
            for index, value in np.ndenumerate(array):
                writer.writerow([key, ";".join(map(str, index)), repr(value.item())])
    encoded = buffer.getvalue().encode("utf-8")
    return atomic_write(path, lambda handle: handle.write(encoded))
