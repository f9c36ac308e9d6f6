"""Catalog builders for the data figures: ``fn(*, theme, **options) -> Figure``.

Called inside the theme's style context (``lstmfigs.figure(name, theme=...)``).  Each
accepts ``fig=`` to draw into a figure of the caller's (then the caller's size rules);
without it the figure is the theme's width (see :func:`.plots.themed_figure` for heights).
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FixedLocator, NullLocator

from ..loader import InputsSource, WeightsSource
from ..themes import Theme
from . import measure, usermodel
from .plots import (
    GATE_NAMES,
    few_ticks,
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
    themed_figure,
)
from .runs import RunsSource, resolve
from .scenario import Scenario

STEP_LABEL = "step $t$"


def _wide(theme: Theme | None) -> bool:
    """Whether there is room for panels side by side (a slide, or a page wider than 5 in)."""
    return (theme is not None and theme.page == "fixed") or mpl.rcParams["figure.figsize"][0] >= 5.0


def _colorbar(fig: Figure, image: Any, ax: Any, ticks: list[float]) -> Any:
    bar = fig.colorbar(image, ax=ax, ticks=ticks, fraction=0.05, pad=0.02, aspect=12)
    bar.ax.set_yticklabels([f"{t:.3g}" for t in ticks])
    bar.outline.set_linewidth(mpl.rcParams["axes.linewidth"] * 0.5)
    return bar


def _space_panels(fig: Figure, *, wspace: float | None = None, hspace: float | None = None) -> None:
    """More room between panels (when the figure uses constrained layout)."""
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(**{k: v for k, v in (("wspace", wspace), ("hspace", hspace)) if v is not None})


def _symmetric_ticks(limit: float) -> list[float]:
    rounded = float(f"{limit:.2g}")
    rounded = rounded if rounded <= limit else float(f"{limit * 0.95:.2g}")
    return [-rounded, 0.0, rounded]


def gate_heatmaps(*, theme: Theme | None = None, weights: WeightsSource | None = None,
                  runs: RunsSource = None,
                  inputs: InputsSource | None = None, fig: Figure | None = None) -> Figure:
    """Units x time of f, i, g, o, c and h for one sequence on a shared time axis.

    Gates on the fixed scale [0, 1]; g, c and h on symmetric scales (g and h are bounded
    by 1, c by its largest magnitude).  The step where the symbol to remember was shown is
    dashed (built-in inputs).
    """
    data = measure.gate_heatmaps_data(weights=weights, inputs=inputs, runs=runs)
    if "f" not in data:  # a user's GRU or RNN
        return usermodel.gate_heatmaps(data, theme=theme, fig=fig)
    wide = _wide(theme)
    fig = themed_figure(theme, height_ratio=0.78 if wide else 1.45, fig=fig)
    rows, columns = (3, 2) if wide else (6, 1)
    # With proj_size, h has fewer units than the gates and c: then no shared unit axis.
    same_units = data["h"].shape[-1] == data["c"].shape[-1]
    axes = fig.subplots(rows, columns, sharex=True, sharey=same_units, squeeze=False)
    # Column-major so each column reads top-down in the order f, i, g | o, c, h.
    order = [axes[row, col] for col in range(columns) for row in range(rows)]
    symbol = int(data["symbol_step"]) if "symbol_step" in data else None
    marker = None
    for ax, name in zip(order, ("f", "i", "g", "o", "c", "h")):
        signed = name in ("g", "c", "h")
        limit = float(np.abs(data[name]).max()) if name == "c" else 1.0
        image = plot_unit_heatmap(data[name], ax=ax, signed=signed, limit=limit, theme=theme)
        ticks = _symmetric_ticks(limit) if signed else [0.0, 0.5, 1.0]
        _colorbar(fig, image, ax, ticks)
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


def dynamics_dashboard(*, theme: Theme | None = None, weights: WeightsSource | None = None,
                       runs: RunsSource = None,
                       inputs: InputsSource | None = None, fig: Figure | None = None) -> Figure:
    """A 3x3 overview of one sequence.

    Row 1: the input, and the hidden- and cell-state traces of the four units that vary
    most.  Row 2: heatmaps of the forget, input and output gates (one colour bar, [0, 1]).
    Row 3: histograms of the gates' activations, their mean over the units at each step,
    and the norms of c and h.  The summary statistics are
    :func:`lstmfigs.datafigs.measure.dynamics_dashboard_summary`.
    """
    data = measure.dynamics_dashboard_data(weights=weights, inputs=inputs, runs=runs)
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
        plot_unit_traces(data[name], data[f"traced_{name}_units"], role=measure_role(name), ax=ax)
        ax.set_title(f"{GATE_NAMES[name]} ${name}_t$", loc="left")
    gate_images = []
    for ax, name in zip(axes[1], ("f", "i", "o")):
        gate_images.append(plot_unit_heatmap(data[name], ax=ax, theme=theme))
        ax.set_title(f"{GATE_NAMES[name]} ${name}_t$", loc="left")
    axes[1, 0].set_ylabel("unit")
    for ax in axes[1, 1:]:
        ax.tick_params(labelleft=False)
    _colorbar(fig, gate_images[-1], list(axes[1]), [0.0, 0.5, 1.0])

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
    for ax in (*axes[:2].ravel(), *axes[2, 1:]):
        ax.set_xlim(-0.5, last + 0.5)
        few_ticks(ax.xaxis, 3)
        if symbol is not None:
            marker = mark_step(ax, symbol)
    # One legend for the bottom row, outside the data: gates share their colours across
    # the histogram and the means.
    handles = [*gate_lines.values(), *norm_lines.values()]
    labels = [line.get_label() for line in handles]
    if symbol is not None:
        handles.append(marker)
        labels.append("symbol")
    fig.legend(handles, labels, loc="outside lower center", ncols=len(handles),
               handlelength=1.5, columnspacing=1.0)
    _space_panels(fig, hspace=0.06)  # titles clear of the tick labels of the row above
    return finish_figure(fig)


def measure_role(name: str) -> str:
    from .plots import QUANTITY_ROLES

    return QUANTITY_ROLES[name]


def rnn_vs_lstm(*, theme: Theme | None = None, inputs: InputsSource | None = None,
                runs: RunsSource = None, fig: Figure | None = None) -> Figure:
    """Hidden states (units x time) of the representative trained RNN and LSTM (each the
    seed whose final loss is the median of its seeds, named in the title) on the same
    sequence, side by side on one colour scale [-1, 1] (both are bounded by 1).  With
    built-in inputs the titles say which symbol each model's readout picks at the end."""
    data = measure.rnn_vs_lstm_data(inputs=inputs, runs=runs)
    fig = themed_figure(theme, height_ratio=0.5, fig=fig)
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    symbol = int(data["symbol_step"]) if "symbol_step" in data else None
    names = {"rnn": "vanilla RNN (tanh)", "lstm": "LSTM"}
    image = None
    for ax, kind in zip(axes, ("rnn", "lstm")):
        image = plot_unit_heatmap(data[f"{kind}_h"], ax=ax, signed=True, limit=1.0, theme=theme)
        # Narrow pages get one fact a line, so the two panels' titles stay apart.
        wide = _wide(theme)
        title = (f"{names[kind]}, seed {int(data[f'{kind}_seed'])}\nmedian run" if wide
                 else f"{names[kind]}\nseed {int(data[f'{kind}_seed'])}, the median run")
        if "target" in data:
            verdict = "right" if int(data[f"{kind}_prediction"]) == int(data["target"]) else "wrong"
            title += (", " if wide else "\n") + f"recalls {int(data[f'{kind}_prediction'])} ({verdict})"
        ax.set_title(title, loc="left")
        ax.set_xlabel(STEP_LABEL)
        if symbol is not None:
            marker = mark_step(ax, symbol)
    axes[0].set_ylabel("unit")
    bar = _colorbar(fig, image, list(axes), [-1.0, 0.0, 1.0])
    bar.set_label("hidden state $h_t$")
    if symbol is not None:
        fig.legend([marker], [f"symbol {int(data['target'])} shown"], loc="outside lower center",
                   handlelength=1.5)
    return finish_figure(fig)


def gate_saturation(*, theme: Theme | None = None, weights: WeightsSource | None = None,
                    runs: RunsSource = None,
                    inputs: InputsSource | None = None, fig: Figure | None = None) -> Figure:
    """Per unit, the fraction of steps its gate is below 0.1 (left-saturated) against the
    fraction above 0.9 (right-saturated), one panel per gate, as in Karpathy, Johnson and
    Fei-Fei (2015), over every step of every sequence."""
    data = measure.gate_saturation_data(weights=weights, inputs=inputs, runs=runs)
    fig = themed_figure(theme, height_ratio=0.42, fig=fig)
    axes = fig.subplots(1, 3, sharex=True, sharey=True)
    low, high = float(data["low"]), float(data["high"])
    for ax, gate in zip(axes, ("i", "f", "o")):
        plot_saturation(data[f"{gate}_low"], data[f"{gate}_high"], gate=gate, ax=ax,
                        low_threshold=low, high_threshold=high)
        ax.set_title(f"{GATE_NAMES[gate]} ${gate}_t$", loc="left")
    axes[0].set_ylabel(f"fraction $> {high:g}$")
    axes[1].set_xlabel(f"fraction of steps $< {low:g}$")
    _space_panels(fig, wspace=0.08)  # the "1" of one panel must not run into the "0" of the next
    return finish_figure(fig)


def gradient_decay(*, theme: Theme | None = None, runs: RunsSource = None,
                   fig: Figure | None = None, weights: WeightsSource | None = None,
                   inputs: InputsSource | None = None) -> Figure:
    """Gradient norm against the lag k on a log axis, measured by exact BPTT, for trained
    and untrained RNNs and LSTMs (untrained with forget-gate bias 0, 1 and 3).

    For an LSTM the norm is over its whole state, ||dh_T / d(h_{T-k}, c_{T-k})||_F (Pascanu
    et al. 2013); for an RNN, whose state is h, ||dh_T / dh_{T-k}||_F.  The trained LSTM's
    h-only path (c_{T-k} held fixed) is drawn too, thin.  Lines are medians over seeds,
    every seed faint behind.  With ``weights``: the user's model
    (:func:`.usermodel.gradient_decay`).
    """
    if weights is not None:
        return usermodel.gradient_decay(weights=weights, inputs=inputs, theme=theme, fig=fig)
    run_set = resolve(runs)
    data = measure.gradient_decay_data(runs=run_set)
    curves = measure.decay_curves(run_set.scenario)
    fig = themed_figure(theme, height_ratio=0.78, fig=fig)
    ax = fig.add_subplot()
    lines = plot_gradient_decay(data, curves, ax=ax)
    low, high = _decade_range(data, curves)
    ax.set_ylim(10.0 ** low, 10.0 ** high)
    # A label every few decades (the curves span dozens), at round multiples.
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if (high - low) / s <= 6)
    exponents = np.arange(np.ceil(low / step) * step, high + 1, step)
    ax.yaxis.set_major_locator(FixedLocator(10.0 ** exponents))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("lag $k$ (steps back from the last step $T$)")
    ax.set_ylabel(r"$\Vert \partial h_T / \partial s_{T-k} \Vert_F$")
    few_ticks(ax.xaxis, 6)
    seeds = len(data["seed"])
    wide = _wide(theme)
    parts = [r"state $s = (h, c)$ for the LSTM ($h$ only: $c_{T-k}$ held fixed),",
             r"$s = h$ for the RNN;", f"median of {seeds} seeds (faint: each seed);",
             f"exact BPTT; trained LSTM: {run_set.scenario.lstm_label}"]
    title = (" ".join(parts[:2]) + "\n" + " ".join(parts[2:]) if wide
             else "\n".join([parts[0], " ".join(parts[1:3]), parts[3]]))
    fig.legend(list(lines.values()), [str(line.get_label()) for line in lines.values()],
               loc="outside lower center", ncols=3 if wide else 2, handlelength=2.2,
               title=title)
    return finish_figure(fig)


def _decade_range(data: dict[str, np.ndarray], curves: list[Any]) -> tuple[int, int]:
    """Whole decades around what matters: from a decade below the smallest median drawn (a
    faint seed may run off the bottom: one outlier must not squash every curve) to just
    above the largest value drawn."""
    keys = [curve.key for curve in curves] + ["lstm_via_h"]
    medians = np.concatenate([data[key].ravel() for key in keys])
    seeds = np.concatenate([data[f"{key}_seeds"].ravel() for key in keys])
    low = medians[medians > 0].min() / 10
    return int(np.floor(np.log10(low))), int(np.ceil(np.log10(seeds.max())))


def lag_accuracy(*, theme: Theme | None = None, runs: RunsSource = None,
                 fig: Figure | None = None) -> Figure:
    """Final accuracy against lag for the RNN and LSTM of the scenario (the same size and
    training budget at every lag): every seed faint, the median bold, chance drawn in."""
    run_set = resolve(runs)
    data = measure.lag_accuracy_data(runs=run_set)
    fig = themed_figure(theme, height_ratio=0.62, fig=fig)
    ax = fig.add_subplot()
    lines = []
    # Where both models are perfect their lines coincide: distinct markers (the RNN's
    # smaller, on top) keep both visible.
    for kind, marker in (("lstm", "o"), ("rnn", "s")):
        lines.append(plot_seed_curves(data["lag"], data[f"{kind}_seeds"], data[kind], model=kind,
                                      label=_model_label(kind, run_set.scenario), ax=ax,
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
              title=_budget_note(run_set.scenario, len(data["seed"])))
    return finish_figure(fig)


def _model_label(kind: str, scenario: Scenario) -> str:
    if kind == "lstm":
        return f"LSTM, {scenario.hidden_size} units ({scenario.lstm_label})"
    return f"RNN, {scenario.hidden_size} units"


def _budget_note(scenario: Scenario, seeds: int) -> str:
    return f"{scenario.steps} updates; median of {seeds} seeds\n(faint: each seed)"


def learning_curves(*, theme: Theme | None = None, runs: RunsSource = None,
                    fig: Figure | None = None) -> Figure:
    """Loss and accuracy on fresh sequences during training at the main lag, for the RNN
    and LSTM of the scenario (every seed faint, their median bold), with the loss of the
    best input-blind guess (ln K) and the chance level."""
    run_set = resolve(runs)
    data = measure.learning_curves_data(runs=run_set)
    fig = themed_figure(theme, height_ratio=0.5 if _wide(theme) else 0.9, fig=fig)
    loss_ax, accuracy_ax = fig.subplots(1, 2, sharex=True)
    lines = []
    for kind in ("lstm", "rnn"):
        plot_seed_curves(data["step"], data[f"{kind}_loss_seeds"], data[f"{kind}_loss"],
                         model=kind, ax=loss_ax)
        lines.append(plot_seed_curves(data["step"], data[f"{kind}_accuracy_seeds"],
                                      data[f"{kind}_accuracy"], model=kind,
                                      label=_model_label(kind, run_set.scenario), ax=accuracy_ax))
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
    fig.legend([*lines, reference], [*(str(line.get_label()) for line in lines), "blind guess"],
               loc="outside lower center", ncols=3 if _wide(theme) else 1, handlelength=2.0,
               title=f"lag {int(data['lag'])}; median of {len(data['seed'])} seeds (faint: each seed)")
    return finish_figure(fig)
