"""Data figures of a GRU or an RNN (a user's own model), with their own gates and states.

``gate-heatmaps`` shows a GRU's r, z, n, h and an RNN's pre-activation a and h;
``dynamics-dashboard`` a GRU's or RNN's own overview; ``gradient-decay`` a user's model of
any kind (the whole state: h and c for an LSTM, h otherwise).  An LSTM's gate-heatmaps and
dashboard are :mod:`.figures`' own.  Like every builder these draw the numbers they are
given (computed by :mod:`.measure`).  Bidirectional and stacked models are shown through
their last layer's forward direction.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from ..themes import Theme
from . import measure
from .plots import (
    GATE_NAMES,
    QUANTITY_ROLES,
    STEP_LABEL,
    _role_kwargs,
    add_colorbar,
    few_ticks,
    finish_dashboard,
    finish_figure,
    mark_step,
    plot_gate_histograms,
    plot_series,
    plot_unit_heatmap,
    plot_unit_traces,
    symmetric_ticks,
    themed_figure,
    wide_page,
    wrap_words,
)

#: Quantities drawn on a symmetric scale (signed).
SIGNED = {"g", "c", "h", "n", "a"}


def _bound(values: np.ndarray) -> float:
    """The symmetric scale of a signed quantity: [-1, 1] when it stays within (tanh), else
    its largest magnitude (relu, linear)."""
    largest = float(np.abs(values).max())
    return max(1.0, largest)


def gate_heatmaps(
    data: Mapping[str, np.ndarray], *, theme: Theme | None, fig: Figure | None
) -> Figure:
    """Units x time of a GRU's r, z, n, h or an RNN's a, h (an LSTM's figure is
    :func:`lstmfigs.datafigs.figures.gate_heatmaps`).

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`.measure.gate_heatmaps_data` returned for a GRU or an RNN.
    theme : Theme or None
        The active theme.
    fig : Figure or None
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    names = [name for name in ("r", "z", "n", "a", "h") if name in data]
    wide = wide_page(theme)
    rows, columns = ((len(names) + 1) // 2, 2) if wide else (len(names), 1)
    fig = themed_figure(
        theme, height_ratio=0.3 * rows + 0.18 if wide else 0.3 * rows + 0.2, fig=fig
    )
    axes = fig.subplots(rows, columns, sharex=True, squeeze=False)
    symbol = int(data["symbol_step"]) if "symbol_step" in data else None
    marker = None
    order = [axes[row, col] for col in range(columns) for row in range(rows)]
    # A wide page with an odd number of panels has one axes more than names: hidden below.
    for ax, name in zip(order, names, strict=False):
        signed = name in SIGNED
        limit = (
            float(np.abs(data[name]).max())
            if name in ("a",) or (name == "h" and "a" in data)
            else 1.0
        )
        limit = limit if limit > 0 else 1.0
        image = plot_unit_heatmap(data[name], ax=ax, signed=signed, limit=limit, theme=theme)
        add_colorbar(fig, image, ax, symmetric_ticks(limit) if signed else [0.0, 0.5, 1.0])
        ax.set_title(f"{GATE_NAMES[name]} ${name}_t$", loc="left")
        ax.set_ylabel("unit")
        if symbol is not None:
            marker = mark_step(ax, symbol)
    for ax in order[len(names):]:
        ax.set_visible(False)
    for ax in axes[-1, :]:
        ax.set_xlabel(STEP_LABEL)
    if marker is not None:
        fig.legend([marker], ["symbol shown"], loc="outside lower center", handlelength=1.5)
    return finish_figure(fig)


def dynamics_dashboard(data: Mapping[str, np.ndarray], *, theme: Theme | None,
                       fig: Figure | None) -> Figure:
    """An overview of one sequence of a GRU (3 x 3) or an RNN (2 x 3).

    Row 1: the input, and the traces of the four most varying units of the hidden state h
    and of the GRU's candidate n (the RNN's pre-activation a).  GRU, row 2: heatmaps of the
    reset and update gates (one colour bar, [0, 1]) and of the candidate; row 3: histograms
    of the gates' values, their mean over the units at each step, and the norm of h.  RNN,
    row 2: the histogram of the values of h, its norm and its heatmap.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`.measure.dynamics_dashboard_data` returned for a GRU or an RNN.
    theme : Theme or None
        The active theme.
    fig : Figure or None
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    gru = measure.model_kind(data) == "GRU"
    second = "n" if gru else "a"
    fig = themed_figure(theme, height_ratio=0.9 if gru else 0.62, fig=fig)
    axes = fig.subplots(3 if gru else 2, 3)
    time = data["time"]
    symbol = int(data["symbol_step"]) if "symbol_step" in data else None
    last = int(time[-1])

    input_ax = axes[0, 0]
    image = plot_unit_heatmap(data["x"], ax=input_ax, signed=False, limit=None, theme=theme)
    image.set_clim(0, max(1.0, float(np.abs(data["x"]).max())))
    input_ax.set_title("input $x_t$", loc="left")
    input_ax.set_ylabel("channel")
    for ax, name in ((axes[0, 1], "h"), (axes[0, 2], second)):
        plot_unit_traces(data[name], data[f"traced_{name}_units"], role=QUANTITY_ROLES[name], ax=ax)
        ax.set_title(f"{GATE_NAMES[name]} ${name}_t$", loc="left")
    time_axes = [*axes[0]]
    if gru:
        gate_images = [plot_unit_heatmap(data[name], ax=ax, theme=theme)
                       for ax, name in zip(axes[1, :2], ("r", "z"), strict=True)]
        add_colorbar(fig, gate_images[-1], list(axes[1, :2]), [0.0, 0.5, 1.0])
        bound = _bound(data["n"])
        candidate = plot_unit_heatmap(
            data["n"], ax=axes[1, 2], signed=True, limit=bound, theme=theme
        )
        add_colorbar(fig, candidate, axes[1, 2], symmetric_ticks(bound))
        for ax, name in zip(axes[1], ("r", "z", "n"), strict=True):
            ax.set_title(f"{GATE_NAMES[name]} ${name}_t$", loc="left")
        axes[1, 0].set_ylabel("unit")
        axes[1, 1].tick_params(labelleft=False)
        time_axes += [*axes[1]]
        histogram_ax, mean_ax, norm_ax = axes[2]
        drawn = plot_gate_histograms({name: data[name] for name in ("r", "z")}, ax=histogram_ax)
        histogram_ax.set_xlim(-0.05, 1.05)  # keeps the x and y labels at the origin apart
        gate_lines = plot_series(
            time, {name: data[f"{name}_mean"] for name in ("r", "z")}, ax=mean_ax
        )
        mean_ax.set_ylim(0, 1)
        mean_ax.set_title("mean over units", loc="left")
        histogram_ax.set_title("gate values", loc="left")
        time_axes.append(mean_ax)
        handles = list(gate_lines.values())
    else:
        histogram_ax, norm_ax, heatmap_ax = axes[1]  # the colour bar at the right edge
        bound = _bound(data["h"])
        states = plot_unit_heatmap(data["h"], ax=heatmap_ax, signed=True, limit=bound, theme=theme)
        add_colorbar(fig, states, heatmap_ax, symmetric_ticks(bound))
        heatmap_ax.set_title("hidden state $h_t$", loc="left")
        heatmap_ax.set_ylabel("unit")
        heatmap_ax.set_xlabel(STEP_LABEL)
        low = -bound if float(data["h"].min()) < 0 else 0.0
        drawn = plot_gate_histograms({"h": data["h"]}, ax=histogram_ax, value_range=(low, bound))
        margin = 0.05 * (bound - low)
        histogram_ax.set_xlim(low - margin, bound + margin)
        histogram_ax.set_title("values of $h_t$", loc="left")
        time_axes.append(heatmap_ax)
        handles = []
    del drawn
    histogram_ax.set_xlabel("activation")
    histogram_ax.set_ylabel("fraction")
    norm_lines = plot_series(time, {"h": data["h_norm"]}, ax=norm_ax,
                             labels={"h": r"$\Vert h_t \Vert$"})
    norm_ax.set_title("state norm", loc="left")
    norm_ax.set_ylim(bottom=0)
    time_axes.append(norm_ax)
    for ax in (axes[-1, 1], norm_ax) if gru else (norm_ax,):
        ax.set_xlabel(STEP_LABEL)
    return finish_dashboard(fig, time_axes, last=last, symbol=symbol,
                            handles=[*handles, *norm_lines.values()])


def gradient_decay(
    data: Mapping[str, np.ndarray], *, theme: Theme | None, fig: Figure | None
) -> Figure:
    """||dh_T / ds_{T-k}|| against the lag k for a user's model: the median over the
    sequences, their quartiles as a band, and for an LSTM the h-only path.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`.measure.gradient_decay_data` returned for a user's model.
    theme : Theme or None
        The active theme.
    fig : Figure or None
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    has_cell = "via_h" in data  # an LSTM: its state is (h, c)
    role = "cell_state" if has_cell else "hidden_state"
    fig = themed_figure(theme, height_ratio=0.78, fig=fig)
    ax = fig.add_subplot()
    tiny = np.finfo(np.float64).tiny
    lag = data["lag"]
    style = _role_kwargs(role)
    ax.fill_between(lag, np.maximum(data["whole_low"], tiny), np.maximum(data["whole_high"], tiny),
                    color=style["color"], alpha=0.25, linewidth=0)
    lines = ax.semilogy(lag, np.maximum(data["whole"], tiny), **style,
                        label="whole state $s = (h, c)$" if has_cell else "state $s = h$")
    if has_cell:
        lines += ax.semilogy(
            lag,
            np.maximum(data["via_h"], tiny),
            **_role_kwargs("hidden_state", scale=0.7),
            label="$h$ only ($c_{T-k}$ held fixed)",
        )
    ax.set_xlabel("lag $k$ (steps back from the last step $T$)")
    ax.set_ylabel(r"$\Vert \partial h_T / \partial s_{T-k} \Vert_F$")
    few_ticks(ax.xaxis, 6)
    title = (f"your model ({data['model']}); median over {int(data['sequences'])} sequences, "
             "band: quartiles; exact BPTT")
    fig.legend(
        lines,
        [str(line.get_label()) for line in lines],
        loc="outside lower center",
        ncols=2 if wide_page(theme) else 1,
        handlelength=2.2,
        title=wrap_words(title, wide_page(theme)),
    )
    return finish_figure(fig)
