"""Plotting functions behind the data figures, usable on their own.

Each draws into ``ax`` (or a new themed figure when ``ax`` is None) with matplotlib's
conventions and returns what it drew.  Looks come only from the active theme:

* gates and states: their role's colour, line style and width (:func:`lstmfigs.themes.role_style`);
  the LSTM's curves take the ``cell_state`` look (its memory) and the RNN's the
  ``hidden_state`` look (its only state); reference lines (chance, loss of a blind guess,
  the feasible region) take the ``operation`` look.
* heatmaps of gates (values in [0, 1]): the theme's ``image.cmap`` on the fixed scale [0, 1].
* heatmaps of signed states (g, c, h): a diverging map on a symmetric scale, see
  :func:`symmetric_cmap`.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, Locator, MaxNLocator, NullLocator

from ..sizes import figsize
from ..themes import Theme, active_theme, new_figure, role_style

#: Role of each traced quantity (see :mod:`lstmfigs.roles`).
QUANTITY_ROLES = {"f": "forget_gate", "i": "input_gate", "g": "candidate", "o": "output_gate",
                  "c": "cell_state", "h": "hidden_state", "x": "input",
                  "r": "reset_gate", "z": "update_gate", "n": "candidate", "a": "layer"}
#: How each model's curves look (see the module docstring); ``cell``: a cell trained from
#: its definition, drawn beside them.
MODEL_ROLES = {"lstm": "cell_state", "rnn": "hidden_state", "cell": "output_gate"}
#: What each quantity is called in titles: an LSTM's, a GRU's (r, z, n) and an RNN's (a).
GATE_NAMES = {"f": "forget gate", "i": "input gate", "g": "candidate", "o": "output gate",
              "c": "cell state", "h": "hidden state", "r": "reset gate", "z": "update gate",
              "n": "candidate", "a": "pre-activation"}
#: Line styles that tell apart several curves of one role (units, seeds, forget biases);
#: they keep curves apart in grayscale too.
DISTINCT_DASHES: tuple[Any, ...] = ("-", (0, (5, 2)), (0, (1, 1.5)), (0, (5, 2, 1, 2)))
#: Untrained models in the gradient-decay figure: one dash pattern per forget bias, and
#: dots for the RNN (no two cases share colour and pattern).
UNTRAINED_LSTM_DASHES: Any = (0, (5, 2))
#: ... and a marker per forget bias, every few lags (unambiguous in grayscale too).
UNTRAINED_LSTM_MARKERS: tuple[str, ...] = ("o", "s", "^", "D")
UNTRAINED_RNN_DASHES: Any = (0, (1, 1.5))
#: The trained LSTM's h-only gradient path (thin, dash-dot).
TRAINED_VIA_H_DASHES: Any = (0, (6, 2, 1, 2))
#: Faint drawing of individual seeds behind their mean.
SEED_ALPHA = 0.35


# ------------------------------------------------------------------------------ theme helpers
def symmetric_cmap(theme: Theme | None = None) -> Colormap:
    """The colour map for signed values on a symmetric scale: the theme's
    ``diverging-cmap`` (``RdBu_r`` in paper, ``berlin`` on dark slides, ``cividis``
    in print, where no diverging map survives grayscale).

    Parameters
    ----------
    theme : Theme, optional
        The theme whose setting is read; None: the active one
        (:func:`lstmfigs.themes.active_theme`, which also recognises a sheet in use).

    Returns
    -------
    Colormap
    """
    name = (theme or active_theme()).setting("diverging-cmap", "RdBu_r")
    return mpl.colormaps[name]


def sequential_cmap() -> Colormap:
    """The colour map for values on a fixed scale such as gates in [0, 1].

    Returns
    -------
    Colormap
        The active style's ``image.cmap``.
    """
    return mpl.colormaps[mpl.rcParams["image.cmap"]]


#: The figures :func:`themed_figure` made: their layout is frozen by :func:`finish_figure`.
_OWN_LAYOUT: weakref.WeakSet[Figure] = weakref.WeakSet()


def themed_figure(theme: Theme | None, *, height_ratio: float | None = None,
                  fig: Figure | None = None) -> Figure:
    """``fig``, or a new themed figure with constrained layout.

    Its width is always the theme's; on a ``fit-height`` theme its height is
    ``height_ratio`` times the width (panels need the room), on a ``fixed`` page (slides)
    the theme's height.

    Parameters
    ----------
    theme : Theme or None
        The active theme (None: matplotlib's current rcParams).
    height_ratio : float, optional
        Height over width on a page that fits its height to the figure.
    fig : Figure, optional
        The caller's figure, returned as it is.

    Returns
    -------
    Figure
    """
    if fig is not None:
        return fig
    width, height = mpl.rcParams["figure.figsize"]
    if height_ratio is not None and (theme is None or theme.page != "fixed"):
        width, height = figsize(width, ratio=height_ratio)
    fig = new_figure(figsize=(width, height), theme=theme)
    fig.set_layout_engine("constrained")
    _OWN_LAYOUT.add(fig)  # see finish_figure
    return fig


def finish_figure(fig: Figure) -> Figure:
    """Last step of every builder: ticks inside the limits, and a frozen layout.

    Constrained layout runs at every draw and, with fixed-aspect panels, does not settle in
    one pass, so a figure drawn once (shown, or checked) and then saved would come out
    laid out differently from one saved straight away.  A figure this module created is
    therefore laid out once, here, inside its theme (so with the theme's fonts), and then
    keeps those positions: every later draw and every saved file is the same.  (Call
    ``fig.set_layout_engine("constrained")`` to lay it out again after adding to it.)

    Parameters
    ----------
    fig : Figure
        The figure a builder drew.

    Returns
    -------
    Figure
        ``fig``.
    """
    keep_ticks_in_view(fig)
    if fig in _OWN_LAYOUT:
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    return fig


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    return themed_figure(None).add_subplot()


def _role_kwargs(role: str, *, scale: float = 1.0) -> dict[str, Any]:
    style = role_style(role)
    return {"color": style.color, "linestyle": style.linestyle,
            "linewidth": style.linewidth * scale}


def reference_line_kwargs() -> dict[str, Any]:
    """Chance levels and other reference lines: the operation role, thin and dashed.

    Returns
    -------
    dict of str to Any
        ``color``, ``linestyle`` and ``linewidth`` for ``Axes.plot`` and ``Line2D``.
    """
    style = role_style("operation")
    return {"color": style.color, "linestyle": (0, (4, 2)), "linewidth": style.linewidth * 0.8}


class InViewLocator(Locator):
    """Wraps a locator and keeps only the ticks inside the view interval.

    Locators such as MaxNLocator also return ticks just beyond the limits; matplotlib does
    not draw them, but their (undrawn) labels would still be reported by text-overlap checks.
    """

    def __init__(self, base: Locator):
        self.base = base

    def set_axis(self, axis: Any) -> None:
        """Attach this locator, and the wrapped one, to ``axis``.

        Parameters
        ----------
        axis : matplotlib.axis.Axis
            The axis whose ticks are located.
        """
        super().set_axis(axis)
        self.base.set_axis(axis)

    def __call__(self) -> Sequence[float]:
        assert self.axis is not None, "set_axis comes first"
        low, high = sorted(self.axis.get_view_interval())
        ticks = np.asarray(self.base())
        slack = (high - low) * 1e-9
        return [float(tick) for tick in ticks[(ticks >= low - slack) & (ticks <= high + slack)]]

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        """The wrapped locator's ticks for ``vmin`` to ``vmax``, keeping those inside the range.

        Parameters
        ----------
        vmin, vmax : float
            The ends of the range, in either order.

        Returns
        -------
        list of float
            The ticks between ``vmin`` and ``vmax``, ends included.
        """
        low, high = sorted((vmin, vmax))
        ticks = np.asarray(self.base.tick_values(vmin, vmax))
        return [float(tick) for tick in ticks[(ticks >= low) & (ticks <= high)]]


def keep_ticks_in_view(fig: Figure) -> Figure:
    """Wrap every axis locator of ``fig`` in :class:`InViewLocator` (call when done drawing).

    Parameters
    ----------
    fig : Figure
        The finished figure; its major and minor locators are wrapped once.

    Returns
    -------
    Figure
        ``fig``.
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for getter, setter in ((axis.get_major_locator, axis.set_major_locator),
                                   (axis.get_minor_locator, axis.set_minor_locator)):
                locator = getter()
                if not isinstance(locator, InViewLocator):
                    setter(InViewLocator(locator))
    return fig


def few_ticks(axis: Any, count: int = 4, integer: bool = True) -> None:
    """At most ``count`` ticks, all inside the limits: small panels must not crowd their labels.

    Parameters
    ----------
    axis : Axis
        The x or y axis whose major locator is replaced.
    count : int, default: 4
        The most intervals between ticks (MaxNLocator's ``nbins``); at least 2 ticks.
    integer : bool, default: True
        Ticks at integers only.
    """
    axis.set_major_locator(InViewLocator(MaxNLocator(nbins=count, integer=integer, min_n_ticks=2)))


# ------------------------------------------------------------------------------ figure helpers
#: The x label of every panel over time.
STEP_LABEL = "step $t$"


def wide_page(theme: Theme | None) -> bool:
    """Whether there is room for panels side by side.

    Parameters
    ----------
    theme : Theme or None
        The active theme.

    Returns
    -------
    bool
        True on a slide (a fixed page) or a page at least 5 in wide.
    """
    return (theme is not None and theme.page == "fixed") or mpl.rcParams["figure.figsize"][0] >= 5.0


def add_colorbar(fig: Figure, image: Any, ax: Any, ticks: list[float]) -> Any:
    """A slim colour bar for ``image`` beside ``ax`` (an Axes or a list of them).

    Parameters
    ----------
    fig : Figure
        The figure drawn into.
    image : AxesImage
        What the bar explains.
    ax : Axes or list of Axes
        The panels it stands beside.
    ticks : list of float
        Its ticks (labelled with three significant digits).

    Returns
    -------
    Colorbar
    """
    bar = fig.colorbar(image, ax=ax, ticks=ticks, fraction=0.05, pad=0.02, aspect=12)
    bar.ax.set_yticklabels([f"{t:.3g}" for t in ticks])
    bar.outline.set_linewidth(mpl.rcParams["axes.linewidth"] * 0.5)
    return bar


def space_panels(fig: Figure, *, wspace: float | None = None, hspace: float | None = None) -> None:
    """More room between panels (when the figure uses constrained layout).

    Parameters
    ----------
    fig : Figure
        The figure.
    wspace, hspace : float, optional
        Constrained layout's spaces between columns and between rows.
    """
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        if wspace is not None:
            engine.set(wspace=wspace)
        if hspace is not None:
            engine.set(hspace=hspace)


def wrap_words(text: str, wide: bool) -> str:
    """``text`` in lines of at most 70 characters on a wide page, 45 on a narrow one
    (legend titles do not wrap themselves; a long one would run off the page).

    Parameters
    ----------
    text : str
        Words separated by spaces.
    wide : bool
        Whether the page is wide (:func:`wide_page`).

    Returns
    -------
    str
        The words, lines joined by newlines.
    """
    lines: list[str] = []
    line = ""
    width = 70 if wide else 45
    for word in text.split(" "):
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


def decade_axis(ax: Axes, low: int, high: int) -> None:
    """A log y axis from 10**low to 10**high labelled every few decades (curves that span
    dozens of decades get a label every 2, 5, 10, ... of them), at round multiples.

    Parameters
    ----------
    ax : Axes
        The panel (its y scale already logarithmic).
    low, high : int
        The exponents of the ends.
    """
    ax.set_ylim(10.0 ** low, 10.0 ** high)
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if (high - low) / s <= 6)
    exponents = np.arange(np.ceil(low / step) * step, high + 1, step)
    ax.yaxis.set_major_locator(FixedLocator((10.0 ** exponents).tolist()))
    ax.yaxis.set_minor_locator(NullLocator())


def symmetric_ticks(limit: float) -> list[float]:
    """Ticks -a, 0, a for a symmetric scale [-limit, limit], a rounded to two digits inside it.

    Parameters
    ----------
    limit : float
        The end of the scale.

    Returns
    -------
    list of float
    """
    rounded = float(f"{limit:.2g}")
    rounded = rounded if rounded <= limit else float(f"{limit * 0.95:.2g}")
    return [-rounded, 0.0, rounded]


def finish_dashboard(fig: Figure, time_axes: Sequence[Axes], *, last: int, symbol: int | None,
                     handles: Sequence[Artist]) -> Figure:
    """Last step of a dashboard: the panels over time share their limits (0 to ``last``)
    and mark the ``symbol`` step; one legend of ``handles`` (and the marker) below the
    data; titles clear of the row above.

    Parameters
    ----------
    fig : Figure
        The dashboard.
    time_axes : sequence of Axes
        The panels whose x axis is the step.
    last : int
        The last step.
    symbol : int or None
        The step where the symbol to remember was shown (built-in inputs).
    handles : sequence of Artist
        What the legend explains (each with its label).

    Returns
    -------
    Figure
    """
    marker = None
    for ax in time_axes:
        ax.set_xlim(-0.5, last + 0.5)
        few_ticks(ax.xaxis, 3)
        if symbol is not None:
            marker = mark_step(ax, symbol)
    handles = list(handles)
    labels = [str(handle.get_label()) for handle in handles]
    if marker is not None:
        handles.append(marker)
        labels.append("symbol")
    fig.legend(handles, labels, loc="outside lower center", ncols=len(handles),
               handlelength=1.5, columnspacing=1.0)
    space_panels(fig, hspace=0.06)  # titles clear of the tick labels of the row above
    return finish_figure(fig)


# ------------------------------------------------------------------------------ heatmaps
def plot_unit_heatmap(values: np.ndarray, *, ax: Axes | None = None, signed: bool = False,
                      limit: float | None = None, cmap: Colormap | None = None,
                      theme: Theme | None = None) -> AxesImage:
    """Units x time image of ``values`` (T, H): time along x, unit along y.

    ``signed=False``: gates on the fixed scale [0, 1] with the sequential map.
    ``signed=True``: a symmetric scale [-limit, limit] (default: the largest |value|)
    with :func:`symmetric_cmap`.

    Parameters
    ----------
    values : ndarray
        One sequence's values (T, H).
    ax : Axes, optional
        Where to draw (a new themed figure's axes by default).
    signed : bool, default: False
        A symmetric scale around 0 instead of the fixed [0, 1] of a gate.
    limit : float, optional
        With ``signed=True``, the colour scale's half-width (default: the largest
        ``|value|``; a zero limit becomes 1).  Ignored with ``signed=False``.
    cmap : Colormap, optional
        The colour map (default: :func:`symmetric_cmap` of ``theme`` when signed, else
        :func:`sequential_cmap`).
    theme : Theme, optional
        The theme whose symmetric colour map is used (the active one by default).

    Returns
    -------
    AxesImage
        The image, for a colour bar.
    """
    ax = _axes(ax)
    values = np.asarray(values)
    steps, units = values.shape
    if signed:
        limit = float(np.abs(values).max()) if limit is None else float(limit)
        limit = limit if limit > 0 else 1.0
        vmin, vmax = -limit, limit
        cmap = cmap or symmetric_cmap(theme)
    else:
        vmin, vmax = 0.0, 1.0
        cmap = cmap or sequential_cmap()
    image = ax.imshow(values.T, aspect="auto", origin="lower", cmap=cmap, vmin=vmin, vmax=vmax,
                      extent=(-0.5, steps - 0.5, -0.5, units - 0.5), interpolation="nearest")
    few_ticks(ax.yaxis, 3)
    few_ticks(ax.xaxis, 5)
    return image


def mark_step(ax: Axes, step: int) -> Line2D:
    """A dashed line at ``step`` (where the symbol to remember was shown), in the input's
    colour (black or white: it stands out on every colour map of the theme).

    Parameters
    ----------
    ax : Axes
        Where to draw.
    step : int
        The time step marked (x position).

    Returns
    -------
    Line2D
        The vertical line, for a legend.
    """
    style = role_style("input")
    return ax.axvline(step, color=style.color, linestyle=(0, (2, 1.5)),
                      linewidth=max(style.linewidth, 1.0) * 1.2)


def plot_unit_traces(values: np.ndarray, units: Sequence[int] | np.ndarray, *, role: str,
                     ax: Axes | None = None) -> list[Line2D]:
    """Traces over time of a few ``units`` of ``values`` (T, H), in ``role``'s colour,
    told apart by line style.

    Parameters
    ----------
    values : ndarray
        One sequence's values (T, H).
    units : sequence of int
        The units traced.
    role : str
        The role whose look the lines take.
    ax : Axes, optional
        Where to draw (a new themed figure's axes by default).

    Returns
    -------
    list of Line2D
        One line per unit, labelled ``unit N``.
    """
    ax = _axes(ax)
    kwargs = _role_kwargs(role, scale=0.8)
    lines = []
    for index, unit in enumerate(units):
        kwargs["linestyle"] = DISTINCT_DASHES[index % len(DISTINCT_DASHES)]
        (line,) = ax.plot(np.arange(len(values)), values[:, unit], label=f"unit {unit}", **kwargs)
        lines.append(line)
    few_ticks(ax.yaxis, 3, integer=False)
    few_ticks(ax.xaxis, 5)
    return lines


# ------------------------------------------------------------------------------ summaries
def plot_gate_histograms(
    gates: Mapping[str, np.ndarray],
    *,
    ax: Axes | None = None,
    bins: int = 20,
    value_range: tuple[float, float] = (0.0, 1.0),
    roles: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Distribution of each gate's activations (all units, all steps) on ``value_range``.

    Parameters
    ----------
    gates : mapping of str to ndarray
        Each quantity's values, named by their quantity (its role gives the look).
    ax : Axes, optional
        Where to draw (a new themed figure's axes by default).
    bins : int
        Bins across ``value_range``.
    value_range : (float, float)
        The range shown: [0, 1] for gates, [-1, 1] for a tanh layer.
    roles : mapping of str to str, optional
        The role of each key (default: its entry in ``QUANTITY_ROLES``).
    labels : mapping of str to str, optional
        Legend labels by key (default: ``$name_t$``).

    Returns
    -------
    dict of str to list of Patch
        The histogram drawn for each quantity.
    """
    ax = _axes(ax)
    drawn = {}
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    for name, values in gates.items():
        weights = np.full(np.size(values), 1.0 / np.size(values))
        _, _, patches = ax.hist(
            np.ravel(values),
            bins=edges.tolist(),
            weights=weights,
            histtype="step",
            label=(labels or {}).get(name, f"${name}_t$"),
            **_role_kwargs((roles or QUANTITY_ROLES)[name], scale=0.8),
        )
        drawn[name] = patches
    ax.set_xlim(*value_range)
    few_ticks(ax.xaxis, 3, integer=False)
    few_ticks(ax.yaxis, 3, integer=False)
    return drawn


def plot_series(time: np.ndarray, series: Mapping[str, np.ndarray], *, ax: Axes | None = None,
                labels: Mapping[str, str] | None = None,
                roles: Mapping[str, str] | None = None) -> dict[str, Line2D]:
    """One line per entry of ``series`` against ``time``, in the role of its key.

    Parameters
    ----------
    time : ndarray
        The x values (T,).
    series : mapping of str to ndarray
        Each quantity's values (T,), named by their quantity (a key of
        ``QUANTITY_ROLES``: its role gives the look).
    ax : Axes, optional
        Where to draw (a new themed figure's axes by default).
    labels : mapping of str to str, optional
        Legend labels by key (default: ``$name_t$``).
    roles : mapping of str to str, optional
        The role of each key (default: its entry in ``QUANTITY_ROLES``).

    Returns
    -------
    dict of str to Line2D
        The line drawn for each key of ``series``.
    """
    ax = _axes(ax)
    lines = {}
    for name, values in series.items():
        (lines[name],) = ax.plot(time, values, label=(labels or {}).get(name, f"${name}_t$"),
                                 **_role_kwargs((roles or QUANTITY_ROLES)[name], scale=0.8))
    few_ticks(ax.xaxis, 5)
    few_ticks(ax.yaxis, 3, integer=False)
    return lines


# ------------------------------------------------------------------------------ saturation
def plot_saturation(low: np.ndarray, high: np.ndarray, *, gate: str, ax: Axes | None = None,
                    role: str | None = None) -> Any:
    """Karpathy, Johnson & Fei-Fei (2015): per unit, the fraction of steps its gate is
    below a low threshold (x) against the fraction above a high one (y).

    Units on the dashed diagonal x + y = 1 are always saturated; near the origin, never.

    Parameters
    ----------
    low, high : ndarray
        Per unit, the fraction of steps below the low threshold and above the high one
        (H,), both in [0, 1] (``lstmfigs.datafigs.measure`` computes them; the axis
        labels, which name the thresholds, are the caller's).
    gate : str
        The quantity plotted (a key of ``QUANTITY_ROLES``: its role gives the colour).
    ax : Axes, optional
        Where to draw (a new themed figure's axes by default).
    role : str, optional
        The role whose colour the points take, instead of ``gate``'s.

    Returns
    -------
    PathCollection
        The points, one per unit.
    """
    ax = _axes(ax)
    ax.plot([0, 1], [1, 0], **reference_line_kwargs())
    style = role_style(role or QUANTITY_ROLES[gate])
    # Marker area follows the text size, so points stay visible on a slide.
    points = ax.scatter(low, high, s=(0.55 * mpl.rcParams["font.size"]) ** 2,
                        color=style.color, alpha=0.8, linewidths=0, clip_on=False, zorder=3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_ticks([0, 0.5, 1])
        axis.set_ticklabels(["0", "0.5", "1"])
    return points


# ------------------------------------------------------------------------------ model curves
def plot_seed_curves(x: np.ndarray, per_seed: np.ndarray, center: np.ndarray, *, model: str,
                     label: str | None = None, ax: Axes | None = None,
                     linestyle: Any | None = None, marker: str | None = None,
                     markevery: int | None = None, role: str | None = None,
                     markersize: float = 0.8) -> Line2D:
    """A model's curve ``center`` over ``x`` (bold, in the model's look or ``role``'s) with
    its seeds ``per_seed`` (S, N) as faint lines behind it.

    Parameters
    ----------
    x : ndarray
        The x values (N,).
    per_seed : ndarray
        One row per seed (S, N), drawn faint and thin.
    center : ndarray
        The summary curve (N,), e.g. the median over seeds.
    model : str
        ``"lstm"`` or ``"rnn"``: the look (a key of ``MODEL_ROLES``) unless ``role`` is
        given.
    label : str, optional
        The bold line's legend label.
    ax : Axes, optional
        Where to draw (a new themed figure's axes by default).
    linestyle : optional
        Overrides the role's line style of the bold line (the seeds stay solid).
    marker : str, optional
        Marker of the bold line (and of the seeds' lines when ``markevery`` is None).
    markevery : int, optional
        Marks every ``markevery``-th point of the bold line only.
    role : str, optional
        The role whose look the lines take, instead of the model's.
    markersize : float, default: 0.8
        The bold line's marker size relative to the theme's ``lines.markersize``.

    Returns
    -------
    Line2D
        The bold line.
    """
    ax = _axes(ax)
    kwargs = _role_kwargs(role or MODEL_ROLES[model])
    if linestyle is not None:
        kwargs["linestyle"] = linestyle
    size = mpl.rcParams["lines.markersize"]
    for row in per_seed:
        ax.plot(x, row, color=kwargs["color"], linestyle="-", alpha=SEED_ALPHA,
                linewidth=kwargs["linewidth"] * 0.5, marker=None if markevery else marker,
                markersize=size * 0.5)
    (line,) = ax.plot(x, center, label=label, marker=marker, markevery=markevery,
                      markersize=size * markersize, **kwargs)
    return line


def plot_gradient_decay(data: Mapping[str, np.ndarray], curves: Sequence[Any], *,
                        ax: Axes | None = None) -> dict[str, Line2D]:
    """Gradient norm against lag on a log axis, one curve per case with its seed spread.

    ``curves``: :class:`lstmfigs.datafigs.measure.DecayCurve` entries.  Trained models are
    solid in their model's look; a trained LSTM's h-only path (``{key}_via_h``, when the data
    has it) thin and dash-dot in the same colour; untrained LSTMs take the forget gate's
    colour (the forget bias is what differs) and a line style per bias; the untrained RNN
    is dotted.  Norms that are not positive are left out (a log axis).

    Parameters
    ----------
    data : mapping of str to ndarray
        ``"lag"`` (L,), and for each curve ``data[key]`` (L,) and ``data[f"{key}_seeds"]``
        (S, L); optionally ``data[f"{key}_via_h"]`` (L,).
    curves : sequence of DecayCurve
        The cases drawn, in order.
    ax : Axes, optional
        Where to draw (a new themed figure's axes by default).

    Returns
    -------
    dict of str to Line2D
        The bold line of each curve by its key, and the h-only lines by ``{key}_via_h``.
    """
    ax = _axes(ax)
    lines = {}
    untrained_lstm = 0
    for curve in curves:
        role = MODEL_ROLES[curve.model] if curve.trained or curve.model == "rnn" else "forget_gate"
        marker = None
        if curve.trained:
            linestyle = None
        elif curve.model == "rnn":
            linestyle = UNTRAINED_RNN_DASHES
        else:
            linestyle = UNTRAINED_LSTM_DASHES
            marker = UNTRAINED_LSTM_MARKERS[untrained_lstm % len(UNTRAINED_LSTM_MARKERS)]
            untrained_lstm += 1
        per_seed = np.where(data[f"{curve.key}_seeds"] > 0, data[f"{curve.key}_seeds"], np.nan)
        center = np.where(data[curve.key] > 0, data[curve.key], np.nan)
        lines[curve.key] = plot_seed_curves(data["lag"], per_seed, center, model=curve.model,
                                            label=curve.label, ax=ax, linestyle=linestyle,
                                            role=role, marker=marker,
                                            markevery=max(1, len(data["lag"]) // 10))
        via_h = f"{curve.key}_via_h"
        if curve.trained and via_h in data:
            lines[via_h] = ax.plot(data["lag"], np.where(data[via_h] > 0, data[via_h], np.nan),
                                   label="LSTM trained, via $h$ only",
                                   **{**_role_kwargs(role, scale=0.6),
                                      "linestyle": TRAINED_VIA_H_DASHES})[0]
    ax.set_yscale("log")
    ax.set_xlim(0, data["lag"][-1])
    return lines
