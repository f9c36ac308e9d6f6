"""Storyboards and animations of diagrams, for slides.

* A *storyboard* walks through a diagram's highlight steps: the whole cell first, then one
  frame a step (forget, input, update, output for the LSTM), each with its equations lit.
  It is written as one multi-page PDF (:func:`save_storyboard_pdf`), as numbered frames
  (:func:`save_storyboard_frames`) or as an animated GIF (:func:`save_animation`).
* The *activity* diagram (``lstm-activity``) colours the LSTM cell by a simulation: each
  gate and its output wire as bright as the gate's mean activation at step t, the state
  wires by the mean magnitude of the state.  Its GIF plays t = 1, ..., T.

Every file is written atomically (:func:`lstmfigs.export.atomic_write`) and reproducibly:
the same call gives the same bytes (no dates in the PDF, one fixed GIF palette).
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import LstmfigsError, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    from .build import Request

#: How long each GIF frame stays, in milliseconds (a storyboard is read, so it is slow).
STORYBOARD_FRAME_MS = 1600
ACTIVITY_FRAME_MS = 500


@dataclass(frozen=True)
class Frame:
    """One frame: a short name (``forget``, ``t03``) and its figure."""

    name: str
    figure: Any


# -- storyboards --------------------------------------------------------------------------------

def storyboard_steps(req: Request) -> list[str | None]:
    """The frames of a diagram's storyboard: None (the whole diagram), then each step.

    Parameters
    ----------
    req : Request
        A diagram (:func:`lstmfigs.build.request`).

    Returns
    -------
    list of str or None
        The highlight steps in order after None.  ``lstm-activity`` has no highlight
        steps: its storyboard is its time steps (:func:`storyboard`), known once its
        simulation has run, so the list is empty.
    """
    if req.name == ACTIVITY and req.entry is not None:
        return []
    if req.spec is None:
        raise LstmfigsError(f"figure '{req.name}' has no storyboard (only diagrams do)")
    if not req.spec.steps:
        raise LstmfigsError(f"diagram '{req.name}' has no highlight steps to make a "
                            "storyboard of")
    from .limits import MAX_FRAMES

    if len(req.spec.steps) + 1 > MAX_FRAMES:
        raise LstmfigsError(f"diagram '{req.name}' has {len(req.spec.steps)} steps; a "
                            f"storyboard has at most {MAX_FRAMES} frames")
    return [None, *req.spec.steps]


def storyboard(req: Request, *, data: Mapping[str, np.ndarray] | None = None
               ) -> Iterator[Frame]:
    """The storyboard of diagram ``req``, frame by frame, each drawn when asked for.

    Parameters
    ----------
    req : Request
        A diagram with highlight steps (a built-in or any spec): the whole diagram, then one
        frame a step, with the equations panel on if the spec has equations, unless
        ``equations=False`` (it is what the highlight explains).
        ``lstm-activity``: one frame a time step (a long run: the steps chosen by
        :func:`frame_steps`), from one simulation.
    data : mapping of str to ndarray, optional
        ``lstm-activity``'s numbers, if its simulation has run already.

    Returns
    -------
    iterator of Frame
        The frames, each named (``all``, ``forget``, ``t003``) with its figure.
    """
    from .build import build, compute_data

    if req.options.get("highlight") or req.options.get("step"):
        raise LstmfigsError("a storyboard shows every step; leave out --highlight (and step)")
    steps = storyboard_steps(req)
    # Frames share their layout (a highlight or an activity only recolours), so the layout
    # checks of the build path run once, on the first frame (and on the last time step,
    # whose caption has the most digits), not on every frame.
    unchecked = replace(req, allow_layout_problems=True)
    if req.name == ACTIVITY and req.entry is not None:
        numbers = dict(data) if data is not None else compute_data(req)  # one run, all frames
        indices = frame_steps(len(numbers["f"]))
        for index in indices:
            checked = index in (indices[0], indices[-1])
            yield Frame(f"t{index + 1:03d}",
                        build((req if checked else unchecked).with_options(step=index + 1),
                              data=numbers))
        return
    if "equations" not in req.options and req.spec is not None and req.spec.equations:
        req = req.with_options(equations=True)  # what the highlights explain
        unchecked = replace(req, allow_layout_problems=True)
    for number, step in enumerate(steps):
        yield Frame(step or "all",
                    build((unchecked if number else req).with_options(highlight=step)))


def save_storyboard_pdf(req: Request, path: Path, *,
                        data: Mapping[str, np.ndarray] | None = None) -> Path:
    """The storyboard as one PDF, a page a frame (TrueType fonts, no dates), atomically.

    Parameters
    ----------
    req : Request
        The diagram (see :func:`storyboard`).
    path : Path
        The PDF to write.
    data : mapping of str to ndarray, optional
        ``lstm-activity``'s numbers, if computed already.

    Returns
    -------
    Path
        The file written.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    frames = list(storyboard(req, data=data))

    def write(handle: Any) -> None:
        import matplotlib as mpl

        # The theme's rcParams (TrueType fonts) as the figures were made under them.
        with mpl.rc_context(getattr(frames[0].figure, "_rc", {})), \
                PdfPages(handle, metadata={"CreationDate": None, "ModDate": None,
                                           "Producer": None, "Creator": None}) as pdf:
            for frame in frames:
                pdf.savefig(frame.figure)

    from .export import atomic_write

    return atomic_write(Path(path), write)


def save_storyboard_frames(req: Request, folder: Path, stem: str, fmt: str = "png", *,
                           transparent: bool | None = None,
                           data: Mapping[str, np.ndarray] | None = None) -> list[Path]:
    """Numbered files ``{stem}-01-all.png``, ``{stem}-02-forget.png``, ... in ``folder``.

    Parameters
    ----------
    req : Request
        The diagram (see :func:`storyboard`); its dpi sets the raster resolution.
    folder : Path
        Where to write.
    stem : str
        The start of every file name.
    fmt : str
        ``png``, ``svg`` or another static format.
    transparent : bool, optional
        A transparent background (default: the theme's).
    data : mapping of str to ndarray, optional
        ``lstm-activity``'s numbers, if computed already.

    Returns
    -------
    list of Path
        The files written, in frame order.
    """
    from .export import save_figure

    paths = []
    for number, frame in enumerate(storyboard(req, data=data), 1):
        path = Path(folder) / f"{stem}-{number:02d}-{frame.name}.{fmt}"
        paths.append(save_figure(frame.figure, path, dpi=req.dpi, transparent=transparent))
    return paths


# -- animations: GIF, APNG, WebP ------------------------------------------------------------------

#: Raster resolution of animation frames unless ``dpi`` is given: a screen's 96 dpi, at
#: which a 16:9 slide is exactly 1280 x 720 px (144 dpi: 1920 x 1080).
ANIMATION_DPI = 96
#: How many of the most frequent colours a GIF palette keeps exactly (the background first),
#: so a white page stays (255, 255, 255) rather than a median-cut average such as 252.
EXACT_COLOURS = 16


def save_animation(req: Request, path: Path, *, transparent: bool = False,
                   frame_ms: int | None = None, format: str | None = None,
                   data: Mapping[str, np.ndarray] | None = None) -> Path:
    """An animation of ``req``: its storyboard (``lstm-activity``: its time steps).

    Parameters
    ----------
    req : Request
        An animated figure; frames are rasterised at its dpi (default
        :data:`ANIMATION_DPI`).
    path : Path
        The file to write, atomically.
    transparent : bool
        Drop the background (GIF: one transparent colour, so edges are not blended; APNG
        and WebP keep full alpha).
    frame_ms : int, optional
        How long each frame shows (default: 1600 ms for a storyboard, 500 for time steps).
    format : str, optional
        ``gif``, ``apng`` or ``webp`` (default: the suffix of ``path``).
    data : mapping of str to ndarray, optional
        ``lstm-activity``'s numbers, if computed already.

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    Frames are drawn one at a time and each figure is dropped once rasterised; at most
    :data:`~lstmfigs.limits.MAX_FRAMES` frames of at most
    :data:`~lstmfigs.limits.MAX_FRAME_PIXELS` pixels each (see :func:`frame_steps`).
    """
    from .export import ANIMATED_FORMATS, check_format

    fmt = check_format(format or Path(path).suffix or "gif", ANIMATED_FORMATS)
    dpi = req.dpi or ANIMATION_DPI
    from .limits import MAX_FRAME_MS, MIN_FRAME_MS

    if frame_ms is not None and (isinstance(frame_ms, bool) or not isinstance(frame_ms, int)
                                 or not MIN_FRAME_MS <= frame_ms <= MAX_FRAME_MS):
        raise LstmfigsError(f"frame duration must be {MIN_FRAME_MS} to {MAX_FRAME_MS} ms, "
                            f"got {frame_ms!r}")
    if not req.animated:
        raise LstmfigsError(f"figure '{req.name}' is not animated (only diagrams with "
                            "highlight steps are)")
    duration = ACTIVITY_FRAME_MS if req.name == ACTIVITY else STORYBOARD_FRAME_MS
    if frame_ms is not None:
        duration = frame_ms
    images = (_raster(frame.figure, dpi, transparent) for frame in storyboard(req, data=data))
    encoded = animation_bytes(images, duration, fmt, transparent=transparent)

    from .export import atomic_write

    return atomic_write(Path(path), lambda handle: handle.write(encoded))


def _raster(fig: Any, dpi: float, transparent: bool = False) -> Any:
    from PIL import Image

    from .limits import MAX_FRAME_PIXELS, check_pixels

    width, height = fig.get_size_inches()
    check_pixels(width, height, dpi, limit=MAX_FRAME_PIXELS, what="an animation frame")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, transparent=transparent)
    fig.clear()  # the frame is a picture now; free its artists before the next is drawn
    buffer.seek(0)
    with Image.open(buffer) as image:
        return image.convert("RGBA" if transparent else "RGB")


def _packed_frames(images: Iterable[Any], mode: str,
                   each: Callable[[np.ndarray], None] | None = None) -> tuple[Any, list[bytes]]:
    """Frames (PIL images of one size, any iterable) taken one at a time and kept
    zlib-compressed in ``mode``, so memory holds one frame in full colour; ``each`` sees
    every frame's pixels as an array.  Their size and the compressed frames."""
    from .limits import MAX_FRAMES

    packed: list[bytes] = []
    size = None
    for image in images:
        if size is None:
            size = image.size
        elif image.size != size:
            raise LstmfigsError("animation frames differ in size")
        if len(packed) == MAX_FRAMES:
            raise LstmfigsError(f"an animation has at most {MAX_FRAMES} frames")
        pixels = image.convert(mode)
        if each is not None:
            each(np.asarray(pixels))
        packed.append(zlib.compress(pixels.tobytes(), 1))
    if size is None:
        raise LstmfigsError("an animation needs at least one frame")
    return size, packed


def animation_bytes(images: Iterable[Any], duration_ms: int, fmt: str = "gif", *,
                    transparent: bool = False) -> bytes:
    """Frames (PIL images of one size, any iterable) as a looping ``gif``, ``apng`` or
    ``webp``.

    Parameters
    ----------
    images : iterable of PIL.Image.Image
        The frames, all the same size.
    duration_ms : int
        How long each frame is shown, in milliseconds.
    fmt : {"gif", "apng", "webp"}, default: "gif"
        The file format (``gif`` goes through :func:`gif_bytes`).
    transparent : bool, default: False
        Keep the frames' alpha (RGBA) rather than flattening them to RGB.

    Returns
    -------
    bytes
        The encoded animation, looping forever.

    Raises
    ------
    LstmfigsError
        If ``fmt`` is unknown, Pillow lacks WebP support for ``webp``, or the frames are
        none, too many or of different sizes.
    """
    from PIL import Image

    if fmt == "gif":
        return gif_bytes(images, duration_ms, transparent=transparent)
    if fmt not in ("apng", "webp"):
        raise LstmfigsError(f"unknown animation format '{fmt}'")
    if fmt == "webp":
        from PIL import features

        if not features.check("webp"):
            raise LstmfigsError("this Pillow was built without WebP support; use gif or apng")
    mode = "RGBA" if transparent else "RGB"
    size, packed = _packed_frames(images, mode)
    # Pillow's APNG and WebP writers go over the frames more than once: they need a list.
    frames = [Image.frombytes(mode, size, zlib.decompress(data)) for data in packed]
    del packed
    first, rest = frames[0], frames[1:]
    buffer = io.BytesIO()
    if fmt == "apng":
        first.save(buffer, format="PNG", save_all=True, append_images=rest,
                   duration=duration_ms, loop=0, disposal=0, blend=0)
    else:
        first.save(buffer, format="WEBP", save_all=True, append_images=rest,
                   duration=duration_ms, loop=0, lossless=True, quality=100, method=4,
                   background=(0, 0, 0, 0) if transparent else (255, 255, 255, 255))
    return buffer.getvalue()


def gif_bytes(images: Iterable[Any], duration_ms: int, *, transparent: bool = False) -> bytes:
    """Frames (PIL RGB, or RGBA with ``transparent``; any iterable) as a looping GIF with
    one palette.

    Frames are taken one at a time and kept zlib-compressed, so memory holds one frame in
    full colour.  The palette is exact when all frames together have at most 256 colours;
    otherwise it is a median cut (no dithering) of a sample of at most
    :data:`_PALETTE_SAMPLE` pixels a frame, with the :data:`EXACT_COLOURS` most frequent
    colours of all frames (the background first) kept exact.  A colour keeps its index
    from frame to frame, so nothing flickers, and the result is deterministic.  With
    ``transparent``, pixels less than half opaque become the one transparent index and the
    rest keep their own colour (GIF has no partial transparency).

    Parameters
    ----------
    images : iterable of PIL.Image.Image
        The frames, all the same size.
    duration_ms : int
        How long each frame is shown, in milliseconds.
    transparent : bool, default: False
        Read the frames as RGBA and keep a transparent index.

    Returns
    -------
    bytes
        The GIF file.

    Raises
    ------
    LstmfigsError
        If there are no frames, too many, or they differ in size.
    """
    from PIL import Image

    keys: list[np.ndarray] = []  # per frame: its distinct opaque colours (packed) ...
    counts: list[np.ndarray] = []  # ... and how often each occurs
    samples: list[np.ndarray] = []

    def tally(frame: np.ndarray) -> None:
        mask = frame[..., 3] >= 128 if transparent else np.ones(frame.shape[:2], bool)
        frame_keys, frame_counts = np.unique(_packed(frame[..., :3][mask]), return_counts=True)
        keys.append(frame_keys)
        counts.append(frame_counts)
        step = max(1, math.ceil(math.sqrt(mask.size / _PALETTE_SAMPLE)))
        samples.append(frame[::step, ::step, :3][mask[::step, ::step]])

    mode = "RGBA" if transparent else "RGB"
    size, packed = _packed_frames(images, mode, tally)
    all_keys, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    all_counts = np.bincount(inverse.reshape(-1), weights=np.concatenate(counts))
    palette = _gif_palette(all_keys, all_counts, np.concatenate(samples),
                           255 if transparent else 256)
    flat = np.zeros((256, 3), np.uint8)
    flat[:len(palette)] = palette
    flat_palette = flat.reshape(-1).tolist()

    def indexed(data: bytes) -> Any:
        frame = np.frombuffer(zlib.decompress(data), np.uint8).reshape(
            size[1], size[0], len(mode))
        index = _nearest(frame[..., :3].reshape(-1, 3), palette).reshape(frame.shape[:2])
        if transparent:
            index[frame[..., 3] < 128] = 255
        image = Image.fromarray(index.astype(np.uint8), mode="P")
        image.putpalette(flat_palette)
        return image

    extra: dict[str, Any] = {"transparency": 255, "disposal": 2} if transparent \
        else {"disposal": 1}
    first, rest = indexed(packed[0]), (indexed(data) for data in packed[1:])
    buffer = io.BytesIO()
    first.save(buffer, format="GIF", save_all=True, append_images=rest,
               duration=duration_ms, loop=0, optimize=False, **extra)
    return buffer.getvalue()


#: Pixels of each frame that go into the sample a GIF's median-cut palette is made from.
_PALETTE_SAMPLE = 65_536


def frame_steps(steps: int, limit: int | None = None) -> list[int]:
    """The time indices (0-based) an animation of ``steps`` steps shows.

    Every step, up to ``limit`` (:data:`~lstmfigs.limits.MAX_FRAMES`) of them.  A longer
    run shows every k-th step from the first, k = ceil(steps / limit), and always its last
    step (in place of the last sampled one when the limit is reached): a 10,000-step run
    shows steps 1, 101, 201, ..., 9901 and 10000.

    Parameters
    ----------
    steps : int
        The number of time steps in the run.
    limit : int, optional
        The most frames to show; default :data:`~lstmfigs.limits.MAX_FRAMES`.

    Returns
    -------
    list of int
        Increasing 0-based time indices, at most ``limit`` of them.
    """
    from .limits import MAX_FRAMES

    limit = MAX_FRAMES if limit is None else limit
    if steps <= limit:
        return list(range(steps))
    chosen = list(range(0, steps, math.ceil(steps / limit)))
    if chosen[-1] != steps - 1:
        if len(chosen) < limit:
            chosen.append(steps - 1)
        else:
            chosen[-1] = steps - 1
    return chosen


def _gif_palette(keys: np.ndarray, counts: np.ndarray, sample: np.ndarray,
                 size: int) -> np.ndarray:
    """At most ``size`` colours for frames whose distinct colours are ``keys`` (packed,
    sorted) occurring ``counts`` times: exactly those when there are that few, else a
    median cut of ``sample`` (N, 3) with the :data:`EXACT_COLOURS` most frequent colours
    pinned exactly."""
    from PIL import Image

    unique = _unpacked(keys)
    if len(unique) <= size:
        return unique if len(unique) else np.zeros((1, 3), np.uint8)
    # Median cut over the sampled pixels (each colour weighted by how often it was sampled).
    strip = Image.fromarray(sample.reshape(1, -1, 3).astype(np.uint8), mode="RGB")
    quantized = strip.quantize(colors=size, method=Image.Quantize.MEDIANCUT,
                               dither=Image.Dither.NONE)
    used = len(quantized.getcolors(size) or [])
    palette = np.array((quantized.getpalette() or [])[:3 * size], np.uint8).reshape(-1, 3)
    palette = palette[:max(used, 1)].copy()
    pinned: set[int] = set()
    # Most frequent first; a stable sort so ties keep np.unique's order.
    for colour in unique[np.argsort(-counts, kind="stable")[:EXACT_COLOURS]]:
        distance = ((palette.astype(np.int64) - colour) ** 2).sum(axis=1)
        if distance.min() == 0:
            pinned.add(int(distance.argmin()))
            continue
        distance[list(pinned)] = np.iinfo(np.int64).max
        slot = int(distance.argmin())
        palette[slot] = colour
        pinned.add(slot)
    return palette


def _packed(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.reshape(-1, 3).astype(np.uint32)
    packed: np.ndarray = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    return packed


def _unpacked(keys: np.ndarray) -> np.ndarray:
    return np.stack([(keys >> 16) & 255, (keys >> 8) & 255, keys & 255], axis=1).astype(np.uint8)


def _nearest(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """The index of the nearest palette colour for each pixel (ties: the lowest index)."""
    keys, inverse = np.unique(_packed(pixels), return_inverse=True)
    unique = _unpacked(keys).astype(np.int64)
    table = palette.astype(np.int64)
    best = np.empty(len(unique), np.int64)
    for start in range(0, len(unique), 4096):  # bounded memory: 4096 x 256 distances
        chunk = unique[start:start + 4096]
        best[start:start + 4096] = ((chunk[:, None, :] - table[None]) ** 2).sum(-1).argmin(1)
    return best[inverse.reshape(-1)]


# -- the data-driven diagram ----------------------------------------------------------------------

ACTIVITY = "lstm-activity"
#: The default run: an untrained LSTM (seeded, forget bias 1) reading a sine wave.
DEFAULT_HIDDEN, DEFAULT_STEPS = 8, 12


@dataclass(frozen=True)
class ActivityRun:
    """Per-step mean activations of one sequence (batch element 0): each (T,)."""

    f: np.ndarray
    i: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    h: np.ndarray

    @property
    def steps(self) -> int:
        return int(self.f.shape[0])


def default_model_and_input() -> tuple[Any, np.ndarray]:
    """The run shown without ``weights``/``inputs``: reproducible, no training needed."""
    from .sim import LSTM

    model = LSTM(1, DEFAULT_HIDDEN, seed=0, forget_bias=1.0, dtype="float64")
    t = np.arange(DEFAULT_STEPS, dtype=np.float64)
    x = np.sin(2 * np.pi * t / DEFAULT_STEPS).reshape(DEFAULT_STEPS, 1, 1)
    return model, x


def run_activity(weights: Any = None, inputs: Any = None, model: Any = None) -> ActivityRun:
    """Run an LSTM (a model, ``weights`` as the data figures take them, or the default) on
    ``inputs`` (an array or a .npy/.csv file, time-major) and average each gate and state
    over the hidden units at every step.  Weights and inputs go through the one loader,
    :mod:`lstmfigs.loader`.

    Parameters
    ----------
    weights : optional
        A weights file or mapping for :func:`lstmfigs.loader.load_lstm`; ignored when
        ``model`` is given.  Default: the seeded untrained LSTM.
    inputs : array-like or path, optional
        The input sequence, time-major; default: the default run's sine wave.
    model : `~lstmfigs.sim.LSTM`, optional
        The model to run, in place of ``weights``.

    Returns
    -------
    ActivityRun
        Mean gate values (f, i, o) and mean magnitudes (g, tanh(c), h) at every step, for
        batch element 0.

    Raises
    ------
    LstmfigsError
        If the inputs have more than :data:`~lstmfigs.limits.MAX_ACTIVITY_STEPS` steps, or
        the weights or inputs cannot be loaded.
    """
    from .loader import load_inputs, load_lstm

    default_model, default_x = default_model_and_input()
    if model is None:
        model = load_lstm(weights) if weights is not None else default_model
    from .limits import MAX_ACTIVITY_STEPS

    x = load_inputs(default_x if inputs is None else inputs, model.input_size, model.dtype)
    if x.shape[0] > MAX_ACTIVITY_STEPS:
        raise LstmfigsError(f"inputs: {x.shape[0]:,} time steps; the activity diagram "
                            f"simulates at most {MAX_ACTIVITY_STEPS:,}")
    trace = model.forward(x)

    def mean(values: Any, magnitude: bool = False) -> np.ndarray:
        values = np.asarray(values)[:, 0, :]
        means: np.ndarray = np.mean(np.abs(values) if magnitude else values, axis=-1)
        return means

    return ActivityRun(f=mean(trace.f), i=mean(trace.i), g=mean(trace.g, True),
                       o=mean(trace.o), c=mean(np.tanh(trace.c), True), h=mean(trace.h, True))


#: Which elements of ``lstm-cell`` (generated from the definition ``lstm``) show which
#: quantity.  A wire not listed takes the value of the node it leaves (through copy dots).
_GATE_ELEMENTS: Mapping[str, tuple[str, ...]] = {
    "f": ("f",), "i": ("i",), "g": ("g", "c_mul2"), "o": ("o",),
    "c": ("c", "c_mul", "h_tanh"), "h": ("h",),
}


def activity_at(run: ActivityRun, step: int) -> dict[str, float]:
    """Element id -> brightness in [0, 1] at time index ``step`` (0-based).

    Parameters
    ----------
    run : ActivityRun
        From :func:`run_activity`.
    step : int
        A 0-based time index.

    Returns
    -------
    dict of str to float
        Each gate's and state's diagram elements and its mean value, clipped to [0, 1].
    """
    values = {name: float(getattr(run, name)[step]) for name in _GATE_ELEMENTS}
    return {element: min(1.0, max(0.0, values[name]))
            for name, elements in _GATE_ELEMENTS.items() for element in elements}


def activity_spec(step: int, steps: int, equations: bool = False) -> Any:
    """lstm-cell with a caption below it: the step, and what colour strength means.

    Parameters
    ----------
    step : int
        The 0-based time index shown (the caption says ``step + 1``).
    steps : int
        The number of steps in the run.
    equations : bool
        Keep the equations panel (the caption follows them).

    Returns
    -------
    DiagramSpec
        The ``lstm-activity`` spec, without highlight steps; the caption is the last line
        of its equations panel, which the figure always shows.
    """
    from .diagram.spec import Equation, replace_spec
    from .figures.diagrams import builtin_spec

    plain = _no_steps(builtin_spec("lstm-cell"))
    # Say what the colour means: without it a reader sees only paler and stronger boxes.
    caption = Equation(text=f"$t = {step + 1}$ of ${steps}$; stronger colour = larger mean "
                            "value")
    return replace_spec(plain, name=ACTIVITY,
                        equations=(plain.equations if equations else ()) + (caption,))


def _no_steps(spec: Any) -> Any:
    """``spec`` without highlight steps: an activity frame is not a highlight."""
    return replace(spec, steps=(), **{
        group: tuple(replace(item, steps=()) for item in getattr(spec, group))
        for group in ("nodes", "wires", "labels", "regions", "equations")})


def activity_data(weights: Any = None, inputs: Any = None) -> dict[str, np.ndarray]:
    """The numbers behind ``lstm-activity`` (its catalog ``data_target``).

    Parameters
    ----------
    weights : optional
        An LSTM's weights as the data figures take them (default: the reproducible
        untrained model of :func:`default_model_and_input`).
    inputs : optional
        Its input sequence, time-major (default: one period of a sine wave).

    Returns
    -------
    dict of str to ndarray
        ``f``, ``i``, ``g``, ``o`` (mean gate activations) and ``c``, ``h`` (mean state
        magnitudes) at every step, each (T,) (see :func:`run_activity`).
    """
    run = run_activity(weights, inputs)
    return {name: getattr(run, name) for name in ("f", "i", "g", "o", "c", "h")}


def lstm_activity(*, theme: Any, data: Mapping[str, np.ndarray], step: int | None = None,
                  legend: bool = False, equations: bool | str = False) -> Any:
    """Catalog builder: the LSTM cell coloured by a run's activations at one step.

    Parameters
    ----------
    theme : Theme
        The resolved theme, active now.
    data : mapping of str to ndarray
        The run's numbers (:func:`activity_data`); nothing is simulated here.
    step : int, optional
        The time step shown, 1-based (default: the last).
    legend : bool
        The notation legend (off: the caption says what colour strength means).
    equations : bool or str
        The equations panel: "beside", "below" or "auto" (also True).

    Returns
    -------
    Figure
        See :func:`lstmfigs.diagram.page.diagram_figure`.
    """
    from .diagram.page import diagram_figure

    run = ActivityRun(**{name: np.asarray(data[name]) for name in _GATE_ELEMENTS})
    index = run.steps - 1 if step is None else _check_step(step, run.steps)
    return diagram_figure(activity_spec(index, run.steps, bool(equations)), theme=theme,
                          legend=legend, equations=equations or True,
                          activity=activity_at(run, index))


def _check_step(step: Any, steps: int) -> int:
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= steps:
        raise UnknownNameError(f"step must be a whole number from 1 to {steps}, got {step!r}")
    return step - 1
