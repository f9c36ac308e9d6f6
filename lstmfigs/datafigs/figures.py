"""Catalog builders for the data figures: ``fn(*, theme, data, fig=None) -> Figure``.

Each draws the numbers it is given (``data``, what the figure's ``data_target`` in
:mod:`.measure` returned) and computes none: the build path computes them once per render
and hands the same mapping to the figure, its summary and ``--data``.  Called inside the
theme's style context (``lstmfigs.figure(name, theme=...)``).  Each accepts ``fig=`` to draw
into a figure of the caller's (then the caller's size rules); without it the figure is the
theme's width (see :func:`.plots.themed_figure` for heights).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from ..themes import Theme
from . import cellfigures, measure, usermodel
from .plots import (
    GATE_NAMES,
    QUANTITY_ROLES,
    STEP_LABEL,
    add_colorbar,
    decade_axis,
    few_ticks,
    finish_dashboard,
    finish_figure,
    mark_step,
    plot_gate_histograms,
    plot_gradient_decay,
    plot_saturation,
    plot_seed_curves,
    plot_series,
    plot_unit_heatmap,
    plot_unit_traces,
    reference_line_kwargs,
    space_panels,
    symmetric_ticks,
    themed_figure,
    wide_page,
)

Data = Mapping[str, np.ndarray]

def gate_heatmaps(*, theme: Theme | None = None, data: Data, fig: Figure | None = None) -> Figure:
    """Units x time of f, i, g, o, c and h for one sequence on a shared time axis.

    Gates on the fixed scale [0, 1]; g, c and h on symmetric scales (g and h are bounded
    by 1, c by its largest magnitude).  The step where the symbol to remember was shown is
    dashed (built-in inputs).  A GRU's or RNN's own panels: :func:`.usermodel.gate_heatmaps`.

    Parameters
    ----------
    theme : Theme, optional
        The active theme (its page kind and colour maps).
    data : mapping of str to ndarray
        What :func:`.measure.gate_heatmaps_data` returned.
    fig : Figure, optional
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    if "cell" in data:  # a cell from its definition
        return cellfigures.gate_heatmaps(data, theme=theme, fig=fig)
    if "f" not in data:  # a user's GRU or RNN
        return usermodel.gate_heatmaps(data, theme=theme, fig=fig)
    wide = wide_page(theme)
    fig = themed_figure(theme, height_ratio=0.78 if wide else 1.45, fig=fig)
    rows, columns = (3, 2) if wide else (6, 1)
    # With proj_size, h has fewer units than the gates and c: then no shared unit axis.
    same_units = data["h"].shape[-1] == data["c"].shape[-1]
    axes = fig.subplots(rows, columns, sharex=True, sharey=same_units, squeeze=False)
    # Column-major so each column reads top-down in the order f, i, g | o, c, h.
    order = [axes[row, col] for col in range(columns) for row in range(rows)]
    symbol = int(data["symbol_step"]) if "symbol_step" in data else None
    marker = None
    for ax, name in zip(order, ("f", "i", "g", "o", "c", "h"), strict=True):
        signed = name in ("g", "c", "h")
        limit = float(np.abs(data[name]).max()) if name == "c" else 1.0
        image = plot_unit_heatmap(data[name], ax=ax, signed=signed, limit=limit, theme=theme)
        ticks = symmetric_ticks(limit) if signed else [0.0, 0.5, 1.0]
        add_colorbar(fig, image, ax, ticks)
        ax.set_title(f"{GATE_NAMES[name]} ${name}_t$", loc="left")
        if symbol is not None:
            marker = mark_step(ax, symbol)
    for ax in axes[:, 0]:
        ax.set_ylabel("unit")
    for ax in axes[-1, :]:
        ax.set_xlabel(STEP_LABEL)
    if marker is not None:
        fig.legend([marker], ["symbol shown"], loc="outside lower center", handlelength=1.5)
    return finish_figure(fig)


def dynamics_dashboard(*, theme: Theme | None = None, data: Data,
                       fig: Figure | None = None) -> Figure:
    """A 3x3 overview of one sequence of an LSTM (a GRU's or an RNN's:
    :func:`.usermodel.dynamics_dashboard`).

    Row 1: the input, and the hidden- and cell-state traces of the four units that vary
    most.  Row 2: heatmaps of the forget, input and output gates (one colour bar, [0, 1]).
    Row 3: histograms of the gates' activations, their mean over the units at each step,
    and the norms of c and h.  The summary statistics are
    :func:`lstmfigs.datafigs.measure.dynamics_dashboard_summary`.

    Parameters
    ----------
    theme : Theme, optional
        The active theme.
    data : mapping of str to ndarray
        What :func:`.measure.dynamics_dashboard_data` returned.
    fig : Figure, optional
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    if "cell" in data:  # a cell from its definition
        return cellfigures.dynamics_dashboard(data, theme=theme, fig=fig)
    if measure.model_kind(data) != "LSTM":
        return usermodel.dynamics_dashboard(data, theme=theme, fig=fig)
    fig = themed_figure(theme, height_ratio=0.9, fig=fig)
    axes = fig.subplots(3, 3)
    time = data["time"]
    symbol = int(data["symbol_step"]) if "symbol_step" in data else None
    last = int(time[-1])

    input_ax = axes[0, 0]
    image = plot_unit_heatmap(data["x"], ax=input_ax, signed=False,
                              limit=None, theme=theme)
    image.set_clim(0, max(1.0, float(np.abs(data["x"]).max())))
    input_ax.set_title("input $x_t$", loc="left")
    input_ax.set_ylabel("channel")
    for ax, name in ((axes[0, 1], "h"), (axes[0, 2], "c")):
        plot_unit_traces(data[name], data[f"traced_{name}_units"], role=QUANTITY_ROLES[name], ax=ax)
        ax.set_title(f"{GATE_NAMES[name]} ${name}_t$", loc="left")
    gate_images = []
    for ax, name in zip(axes[1], ("f", "i", "o"), strict=True):
        gate_images.append(plot_unit_heatmap(data[name], ax=ax, theme=theme))
        ax.set_title(f"{GATE_NAMES[name]} ${name}_t$", loc="left")
    axes[1, 0].set_ylabel("unit")
    for ax in axes[1, 1:]:
        ax.tick_params(labelleft=False)
    add_colorbar(fig, gate_images[-1], list(axes[1]), [0.0, 0.5, 1.0])

    plot_gate_histograms({name: data[name] for name in ("f", "i", "o")}, ax=axes[2, 0])
    axes[2, 0].set_xlim(-0.05, 1.05)  # keeps the x and y labels at the origin apart
    axes[2, 0].set_title("gate values", loc="left")
    axes[2, 0].set_xlabel("activation")
    axes[2, 0].set_ylabel("fraction")
    gate_lines = plot_series(time, {name: data[f"{name}_mean"] for name in ("f", "i", "o")},
                             ax=axes[2, 1])
    axes[2, 1].set_ylim(0, 1)
    axes[2, 1].set_title("mean over units", loc="left")
    norm_lines = plot_series(time, {"c": data["c_norm"], "h": data["h_norm"]}, ax=axes[2, 2],
                             labels={"c": r"$\Vert c_t \Vert$", "h": r"$\Vert h_t \Vert$"})
    axes[2, 2].set_title("state norms", loc="left")
    axes[2, 2].set_ylim(bottom=0)
    for ax in axes[2, 1:]:
        ax.set_xlabel(STEP_LABEL)
    # Gates share their colours across the histogram and the means.
    return finish_dashboard(fig, [*axes[:2].ravel(), *axes[2, 1:]], last=last, symbol=symbol,
                            handles=[*gate_lines.values(), *norm_lines.values()])


def rnn_vs_lstm(*, theme: Theme | None = None, data: Data, fig: Figure | None = None) -> Figure:
    """Hidden states (units x time) of the representative trained RNN and LSTM (each the
    seed whose final loss is the median of its seeds, named in the title) on the same
    sequence, side by side on one colour scale [-1, 1] (both are bounded by 1).  With
    built-in inputs the titles say which symbol each model's readout picks at the end.

    Parameters
    ----------
    theme : Theme, optional
        The active theme.
    data : mapping of str to ndarray
        What :func:`.measure.rnn_vs_lstm_data` returned.
    fig : Figure, optional
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    fig = themed_figure(theme, height_ratio=0.5, fig=fig)
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    symbol = int(data["symbol_step"]) if "symbol_step" in data else None
    names = {"rnn": "vanilla RNN (tanh)", "lstm": "LSTM"}
    image = None
    for ax, kind in zip(axes, ("rnn", "lstm"), strict=True):
        image = plot_unit_heatmap(data[f"{kind}_h"], ax=ax, signed=True, limit=1.0, theme=theme)
        # Narrow pages get one fact a line, so the two panels' titles stay apart.
        wide = wide_page(theme)
        title = (f"{names[kind]}, seed {int(data[f'{kind}_seed'])}\nmedian run" if wide
                 else f"{names[kind]}\nseed {int(data[f'{kind}_seed'])}, the median run")
        if "target" in data:
            verdict = "right" if int(data[f"{kind}_prediction"]) == int(data["target"]) else "wrong"
            separator = ", " if wide else "\n"
            title += separator + f"recalls {int(data[f'{kind}_prediction'])} ({verdict})"
        ax.set_title(title, loc="left")
        ax.set_xlabel(STEP_LABEL)
        if symbol is not None:
            marker = mark_step(ax, symbol)
    axes[0].set_ylabel("unit")
    bar = add_colorbar(fig, image, list(axes), [-1.0, 0.0, 1.0])
    bar.set_label("hidden state $h_t$")
    if symbol is not None:
        fig.legend([marker], [f"symbol {int(data['target'])} shown"], loc="outside lower center",
                   handlelength=1.5)
    return finish_figure(fig)


def gate_saturation(*, theme: Theme | None = None, data: Data, fig: Figure | None = None) -> Figure:
    """Per unit, the fraction of steps its gate is below 0.1 (left-saturated) against the
    fraction above 0.9 (right-saturated), one panel per gate, as in Karpathy, Johnson and
    Fei-Fei (2015), over every step of every sequence.  An LSTM's panels are i, f, o; a
    GRU's r, z and its candidate n; an RNN's its state h.  A tanh quantity (on [-1, 1])
    is saturated below -0.9 or above 0.9.

    Parameters
    ----------
    theme : Theme, optional
        The active theme.
    data : mapping of str to ndarray
        What :func:`.measure.gate_saturation_data` returned.
    fig : Figure, optional
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    if "cell" in data:  # a cell from its definition
        return cellfigures.gate_saturation(data, theme=theme, fig=fig)
    panels = measure.saturation_panels(data)
    fig = themed_figure(theme, height_ratio=0.42, fig=fig)
    axes = fig.subplots(1, len(panels), sharex=True, sharey=True, squeeze=False)[0]
    thresholds = {name: measure.saturation_thresholds(data, name) for name in panels}
    for ax, name in zip(axes, panels, strict=True):
        low, high = thresholds[name]
        plot_saturation(data[f"{name}_low"], data[f"{name}_high"], gate=name, ax=ax)
        ax.set_title(f"{GATE_NAMES[name]} ${name}_t$", loc="left")
    axes[0].set_ylabel(f"fraction $> {high:g}$")  # every panel's high threshold is 0.9
    lows = sorted({low for low, _ in thresholds.values()})
    if len(lows) == 1:
        axes[len(axes) // 2].set_xlabel(f"fraction of steps $< {lows[0]:g}$")
    else:  # gates and a tanh layer (a GRU's candidate): each panel says its own
        for ax, name in zip(axes, panels, strict=True):
            ax.set_xlabel(f"fraction $< {thresholds[name][0]:g}$")
    space_panels(fig, wspace=0.08)  # the "1" of one panel must not run into the "0" of the next
    return finish_figure(fig)


def gradient_decay(*, theme: Theme | None = None, data: Data, fig: Figure | None = None) -> Figure:
    """Gradient norm against the lag k on a log axis, measured by exact BPTT, for trained
    and untrained RNNs and LSTMs (untrained with forget-gate bias 0, 1 and 3).

    For an LSTM the norm is over its whole state, ||dh_T / d(h_{T-k}, c_{T-k})||_F (Pascanu
    et al. 2013); for an RNN, whose state is h, ||dh_T / dh_{T-k}||_F.  The trained LSTM's
    h-only path (c_{T-k} held fixed) is drawn too, thin.  Lines are medians over seeds,
    every seed faint behind.  A user's model: :func:`.usermodel.gradient_decay`.

    Parameters
    ----------
    theme : Theme, optional
        The active theme.
    data : mapping of str to ndarray
        What :func:`.measure.gradient_decay_data` returned.
    fig : Figure, optional
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    if "curves" in data:  # a cell from its definition
        return cellfigures.gradient_decay(data, theme=theme, fig=fig)
    if "whole" in data:
        return usermodel.gradient_decay(data, theme=theme, fig=fig)
    curves = measure.decay_curves_of(data)
    fig = themed_figure(theme, height_ratio=0.78, fig=fig)
    ax = fig.add_subplot()
    lines = plot_gradient_decay(data, curves, ax=ax)
    decade_axis(ax, *_decade_range(data, curves))
    ax.set_xlabel("lag $k$ (steps back from the last step $T$)")
    ax.set_ylabel(r"$\Vert \partial h_T / \partial s_{T-k} \Vert_F$")
    few_ticks(ax.xaxis, 6)
    seeds = len(data["seed"])
    wide = wide_page(theme)
    parts = [r"state $s = (h, c)$ for the LSTM ($h$ only: $c_{T-k}$ held fixed),",
             r"$s = h$ for the RNN;", f"median of {seeds} seeds (faint: each seed);",
             f"exact BPTT; trained LSTM: {data['lstm_label']}"]
    title = (" ".join(parts[:2]) + "\n" + " ".join(parts[2:]) if wide
             else "\n".join([parts[0], " ".join(parts[1:3]), parts[3]]))
    fig.legend(list(lines.values()), [str(line.get_label()) for line in lines.values()],
               loc="outside lower center", ncols=3 if wide else 2, handlelength=2.2,
               title=title)
    return finish_figure(fig)


def _decade_range(data: Data, curves: list[Any]) -> tuple[int, int]:
    """Whole decades around what matters: from a decade below the smallest median drawn (a
    faint seed may run off the bottom: one outlier must not squash every curve) to just
    above the largest value drawn."""
    keys = [curve.key for curve in curves] + ["lstm_via_h"]
    medians = np.concatenate([data[key].ravel() for key in keys])
    seeds = np.concatenate([data[f"{key}_seeds"].ravel() for key in keys])
    low = medians[medians > 0].min() / 10
    return int(np.floor(np.log10(low))), int(np.ceil(np.log10(seeds.max())))


def lag_accuracy(*, theme: Theme | None = None, data: Data, fig: Figure | None = None) -> Figure:
    """Final accuracy against lag for the RNN and LSTM of the scenario (the same size and
    training budget at every lag): every seed faint, the median bold, chance drawn in.

    Parameters
    ----------
    theme : Theme, optional
        The active theme.
    data : mapping of str to ndarray
        What :func:`.measure.lag_accuracy_data` returned.
    fig : Figure, optional
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    fig = themed_figure(theme, height_ratio=0.62, fig=fig)
    ax = fig.add_subplot()
    lines = []
    # Where both models are perfect their lines coincide: distinct markers (the RNN's
    # smaller, on top) keep both visible.
    kinds = (("lstm", "o"), ("rnn", "s")) + ((("cell", "^"),) if "cell_seeds" in data else ())
    for kind, marker in kinds:
        lines.append(plot_seed_curves(data["lag"], data[f"{kind}_seeds"], data[kind], model=kind,
                                      label=_model_label(kind, data), ax=ax,
                                      marker=marker, markersize=1.0 if kind == "lstm" else 0.6))
    chance = float(data["chance"])
    ax.axhline(chance, **reference_line_kwargs())
    ax.text(1, chance, f"chance {chance:g}", ha="left", va="bottom",
            fontsize=mpl.rcParams["legend.fontsize"], color=reference_line_kwargs()["color"])
    ax.set_ylim(0, 1.05)
    ax.set_xlim(0, data["lag"][-1] * 1.03)
    ax.set_xticks(data["lag"])
    ax.set_xlabel("lag (steps between the symbol and the answer)")
    ax.set_ylabel("final accuracy")
    ax.legend(handles=lines, loc="center left",
              title=_budget_note(data))
    return finish_figure(fig)


def _model_label(kind: str, data: Data) -> str:
    if kind == "cell":
        return str(data["cell_label"])
    if kind == "lstm":
        return f"LSTM, {int(data['hidden_size'])} units ({data['lstm_label']})"
    return f"RNN, {int(data['hidden_size'])} units"


def _budget_note(data: Data) -> str:
    return (
        f"{int(data['updates'])} updates; median of {len(data['seed'])} seeds\n(faint: each seed)"
    )


def learning_curves(*, theme: Theme | None = None, data: Data, fig: Figure | None = None) -> Figure:
    """Loss and accuracy on fresh sequences during training at the main lag, for the RNN
    and LSTM of the scenario (every seed faint, their median bold), with the loss of the
    best input-blind guess (ln K) and the chance level.

    Parameters
    ----------
    theme : Theme, optional
        The active theme.
    data : mapping of str to ndarray
        What :func:`.measure.learning_curves_data` returned.
    fig : Figure, optional
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    fig = themed_figure(theme, height_ratio=0.5 if wide_page(theme) else 0.9, fig=fig)
    loss_ax, accuracy_ax = fig.subplots(1, 2, sharex=True)
    lines = []
    for kind in ("lstm", "rnn", "cell") if "cell_loss" in data else ("lstm", "rnn"):
        plot_seed_curves(data["step"], data[f"{kind}_loss_seeds"], data[f"{kind}_loss"],
                         model=kind, ax=loss_ax)
        lines.append(plot_seed_curves(data["step"], data[f"{kind}_accuracy_seeds"],
                                      data[f"{kind}_accuracy"], model=kind,
                                      label=_model_label(kind, data), ax=accuracy_ax))
    loss_ax.axhline(float(data["baseline_loss"]), **reference_line_kwargs())
    accuracy_ax.axhline(float(data["chance"]), **reference_line_kwargs())
    loss_ax.set_yscale("log")
    loss_ax.set_ylabel("cross-entropy loss")
    accuracy_ax.set_ylabel("accuracy")
    accuracy_ax.set_ylim(0, 1.05)
    for ax in (loss_ax, accuracy_ax):
        ax.set_xlabel("training step")
        ax.set_xlim(0, data["step"][-1])
        few_ticks(ax.xaxis, 4)
    reference = mpl.lines.Line2D([], [], **reference_line_kwargs())
    fig.legend(
        [*lines, reference],
        [*(str(line.get_label()) for line in lines), "blind guess"],
        loc="outside lower center",
        ncols=3 if wide_page(theme) else 1,
        handlelength=2.0,
        title=f"lag {int(data['lag'])}; median of {len(data['seed'])} seeds (faint: each seed)",
    )
    return finish_figure(fig)
