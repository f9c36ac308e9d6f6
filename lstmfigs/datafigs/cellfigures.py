"""Data figures of a cell defined by its equations (``cell=``): whatever gates and states
it has, named and typeset from its definition.

Gates (sigmoid outputs) are drawn on the fixed scale [0, 1]; everything else on a
symmetric scale ([-1, 1] for a tanh output, else its largest magnitude).  Known gate
names take their usual look (``f`` the forget gate's, ``z`` the update gate's, ...), other
gates the gate looks in turn, the output state the hidden state's, other states the cell
state's.  Like every builder these draw the numbers they are given
(:mod:`.cellmeasure`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..cells.equations import with_time
from ..themes import Theme
from .plots import (
    DISTINCT_DASHES,
    MODEL_ROLES,
    STEP_LABEL,
    UNTRAINED_LSTM_DASHES,
    UNTRAINED_LSTM_MARKERS,
    _role_kwargs,
    add_colorbar,
    decade_axis,
    few_ticks,
    finish_dashboard,
    finish_figure,
    mark_step,
    plot_gate_histograms,
    plot_saturation,
    plot_seed_curves,
    plot_series,
    plot_unit_heatmap,
    plot_unit_traces,
    space_panels,
    symmetric_ticks,
    themed_figure,
    wide_page,
    wrap_words,
)

Data = Mapping[str, np.ndarray]

#: Gate names with a usual look (an LSTM's and a GRU's).
NAMED_GATES = {"f": "forget_gate", "i": "input_gate", "o": "output_gate", "r": "reset_gate",
               "z": "update_gate"}
#: The looks other gates take in turn.
GATE_LOOKS = ("forget_gate", "input_gate", "output_gate")


def roles(data: Data) -> dict[str, str]:
    """The role (look) of each quantity of a cell's figure.

    Parameters
    ----------
    data : mapping of str to ndarray
        A cell's numbers (``quantities``, ``kinds``, ``output``).

    Returns
    -------
    dict of str to str
    """
    looks: dict[str, str] = {}
    others = 0
    for name, kind in zip(map(str, data["quantities"]), map(str, data["kinds"]), strict=True):
        if name == str(data["output"]):
            looks[name] = "hidden_state"
        elif kind == "state":
            looks[name] = "cell_state"
        elif kind == "gate":
            looks[name] = NAMED_GATES.get(name) or GATE_LOOKS[others % len(GATE_LOOKS)]
            others += name not in NAMED_GATES
        else:
            looks[name] = "candidate"
    return looks


def _title(kind: str, symbol_text: str) -> str:
    math_text = f"${with_time(symbol_text, 't')}$"
    return f"{kind} {math_text}" if kind in ("gate", "state") else math_text


def _rows(data: Data) -> list[tuple[str, str, str, str, float]]:
    """(name, symbol, kind, scale, limit) of each quantity shown."""
    return list(zip(map(str, data["quantities"]), map(str, data["symbols"]),
                    map(str, data["kinds"]), map(str, data["scales"]),
                    map(float, data["limits"]), strict=True))


def _heatmap(fig: Figure, ax: Any, data: Data, row: tuple[str, str, str, str, float],
             theme: Theme | None, colorbar: bool = True, short: bool = False) -> Any:
    name, _, _, scale, limit = row
    signed = scale != "gate"
    image = plot_unit_heatmap(data[f"cell/{name}"], ax=ax, signed=signed, limit=limit,
                              theme=theme)
    if np.shape(data[f"cell/{name}"])[-1] == 1:  # a scalar per step (a head's gate)
        ax.set_yticks([0])
        ax.set_yticklabels(["0"])
    elif short:
        few_ticks(ax.yaxis, 1)  # a short panel: the first and the last unit only
    if colorbar:
        ticks = symmetric_ticks(limit) if signed else [0.0, 0.5, 1.0]
        add_colorbar(fig, image, ax, [ticks[0], ticks[-1]] if short else ticks)
    return image


def gate_heatmaps(data: Data, *, theme: Theme | None, fig: Figure | None) -> Figure:
    """Units x time of every quantity of a cell, in the order of its equations.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`.cellmeasure.gate_heatmaps_data` returned.
    theme : Theme or None
        The active theme.
    fig : Figure or None
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    rows = _rows(data)
    wide = wide_page(theme)
    columns = 2 if wide and len(rows) > 1 else 1
    if theme is not None and theme.page == "fixed":  # a slide's height is fixed: 3 rows at most
        columns = max(columns, math.ceil(len(rows) / 3))
    count = math.ceil(len(rows) / columns)
    ratio = 0.26 * count + 0.2 if wide else 0.3 * count + 0.22
    fig = themed_figure(theme, height_ratio=ratio, fig=fig)
    axes = fig.subplots(count, columns, sharex=True, squeeze=False)
    order = list(axes.ravel())  # reading order: the equations' order, row by row
    symbol = int(data["symbol_step"]) if "symbol_step" in data else None
    marker = None
    functions = dict(zip(map(str, data["quantities"]), map(str, data["functions"]),
                         strict=True))
    short = theme is not None and theme.page == "fixed" and count >= 3  # a slide's short rows
    for ax, row in zip(order, rows, strict=False):
        _heatmap(fig, ax, data, row, theme, short=short)
        function = functions[row[0]]
        title = _title(row[2], row[1])
        ax.set_title(f"{title} ({function})" if row[2] == "quantity" and function else title,
                     loc="left")
        ax.set_ylabel("unit")
        if symbol is not None:
            marker = mark_step(ax, symbol)
    for ax in order[len(rows):]:
        ax.set_visible(False)
    for column in range(columns):  # the lowest panel of each column carries the time axis
        last = max(r for r in range(count) if axes[r, column].get_visible())
        axes[last, column].set_xlabel(STEP_LABEL)
        axes[last, column].tick_params(labelbottom=True)
    handles, labels = ([marker], ["symbol shown"]) if marker is not None else ([], [])
    caption = str(data["cell_title"])
    if "skipped" in data:  # matrix-valued quantities have no unit-by-step heatmap
        caption += "; not shown (a matrix per step): " + ", ".join(map(str, data["skipped"]))
    fig.legend(handles, labels, loc="outside lower center", handlelength=1.5,
               title=wrap_words(caption, wide))
    return finish_figure(fig)


def dynamics_dashboard(data: Data, *, theme: Theme | None, fig: Figure | None) -> Figure:
    """An overview of one sequence of a cell, three panels a row, in reading order: the
    input; the traces of the four most varying units of the output and of one other state
    (or quantity); heatmaps of up to three quantities, gates first; the histograms of the
    gates' values (the output's when the cell has no gate) and their mean over the units at
    each step; the norms of the states.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`.cellmeasure.dynamics_dashboard_data` returned.
    theme : Theme or None
        The active theme.
    fig : Figure or None
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    looks = roles(data)
    rows = {row[0]: row for row in _rows(data)}
    gates = [name for name, row in rows.items() if row[2] == "gate"]
    states = [str(s) for s in data["states"] if f"cell/{s}/norm" in data]
    traced = [str(name) for name in data["traced"]]
    shown = (gates + [n for n in rows if n not in gates and n not in states] + states)[:3]
    labels = {name: f"${with_time(rows[name][1], 't')}$" for name in rows}
    time = data["time"]
    handles: list[Any] = []
    time_axes: list[Any] = []
    count = math.ceil((3 + len(traced[:2]) + len(shown) + bool(gates)) / 3)
    page = themed_figure(theme, height_ratio=0.28 * count + 0.14, fig=fig)

    def draw_input(ax: Any) -> None:
        image = plot_unit_heatmap(data["x"], ax=ax, signed=False, limit=None, theme=theme)
        image.set_clim(0, max(1.0, float(np.abs(data["x"]).max())))
        ax.set_title("input $x_t$", loc="left")
        ax.set_ylabel("channel")
        time_axes.append(ax)

    def draw_traces(name: str) -> Any:
        def draw(ax: Any) -> None:
            plot_unit_traces(data[f"cell/{name}"], data[f"cell/{name}/traced"],
                             role=looks[name], ax=ax)
            ax.set_title(_title(rows[name][2], rows[name][1]), loc="left")
            time_axes.append(ax)
        return draw

    gate_images: list[tuple[Any, Any]] = []

    def draw_heatmap(name: str) -> Any:
        def draw(ax: Any) -> None:
            image = _heatmap(page, ax, data, rows[name], theme, colorbar=name not in gates)
            if name in gates:  # the gates share one scale, [0, 1]: one colour bar after them
                gate_images.append((ax, image))
            ax.set_title(_title(rows[name][2], rows[name][1]), loc="left")
            ax.set_ylabel("unit")
            time_axes.append(ax)
        return draw

    def draw_histogram(ax: Any) -> None:
        if gates:
            plot_gate_histograms({n: data[f"cell/{n}"] for n in gates[:4]}, ax=ax,
                                 roles=looks, labels=labels)
            ax.set_xlim(-0.05, 1.05)
            ax.set_title("gate values", loc="left")
        else:
            output = str(data["output"])
            bound = float(rows[output][4])
            low = -bound if float(data[f"cell/{output}"].min()) < 0 else 0.0
            plot_gate_histograms({output: data[f"cell/{output}"]}, ax=ax,
                                 value_range=(low, bound), roles=looks, labels=labels)
            margin = 0.1 * (bound - low)  # keeps the x and y labels at the origin apart
            ax.set_xlim(low - margin, bound + margin)
            ax.set_title(f"values of {labels[output]}", loc="left")
        ax.set_xlabel("activation")
        ax.set_ylabel("fraction")

    def draw_means(ax: Any) -> None:
        lines = plot_series(time, {n: data[f"cell/{n}/mean"] for n in gates[:4]}, ax=ax,
                            roles=looks, labels=labels)
        ax.set_ylim(0, 1)
        ax.set_title("mean over units", loc="left")
        ax.set_xlabel(STEP_LABEL)
        time_axes.append(ax)
        handles.extend(lines.values())

    def draw_norms(ax: Any) -> None:
        norm_labels = {name: rf"$\Vert {with_time(rows[name][1], 't')} \Vert$" for name in states}
        lines = plot_series(time, {n: data[f"cell/{n}/norm"] for n in states}, ax=ax,
                            roles=looks, labels=norm_labels)
        seen: dict[str, int] = {}
        for name, line in lines.items():  # states of one look told apart by their dashes
            count = seen[looks[name]] = seen.get(looks[name], -1) + 1
            line.set_linestyle(DISTINCT_DASHES[count % len(DISTINCT_DASHES)])
        ax.set_title("state norms" if len(states) > 1 else "state norm", loc="left")
        ax.set_ylim(bottom=0)
        ax.set_xlabel(STEP_LABEL)
        time_axes.append(ax)
        handles.extend(lines.values())

    panels = [draw_input, *map(draw_traces, traced[:2]), *map(draw_heatmap, shown),
              draw_histogram, *([draw_means] if gates else []), draw_norms]
    # A grid of its own for each row: a colour bar narrows its own panel, not the column.
    # (The last row also holds the x labels: more room, so its panels are as tall.)
    outer = page.add_gridspec(count, 1, height_ratios=[1.0] * (count - 1) + [1.3])
    grids = [outer[row].subgridspec(1, 3) for row in range(count)]
    for index, draw in enumerate(panels):  # no axes where no panel is (no empty frames)
        draw(page.add_subplot(grids[index // 3][0, index % 3]))
    if gate_images:
        add_colorbar(page, gate_images[-1][1], [ax for ax, _ in gate_images], [0.0, 0.5, 1.0])
    symbol = int(data["symbol_step"]) if "symbol_step" in data else None
    return finish_dashboard(page, time_axes, last=int(time[-1]), symbol=symbol,
                            handles=handles)


def gate_saturation(data: Data, *, theme: Theme | None, fig: Figure | None) -> Figure:
    """Per unit, the fraction of steps below the low threshold against the fraction above
    the high one (Karpathy, Johnson & Fei-Fei 2015), one panel per quantity of the cell
    that saturates.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`.cellmeasure.gate_saturation_data` returned.
    theme : Theme or None
        The active theme.
    fig : Figure or None
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    panels = [str(name) for name in data["panels"]]
    symbols = [str(text) for text in data["symbols"]]
    signed = [bool(value) for value in data["signed"]]
    functions = [str(text) for text in data["functions"]]
    fig = themed_figure(theme, height_ratio=0.42 if len(panels) <= 3 else 0.34, fig=fig)
    axes = fig.subplots(1, len(panels), sharex=True, sharey=True, squeeze=False)[0]
    high = float(data["high"])
    gate_looks = iter(GATE_LOOKS * len(panels))
    for ax, name, text, is_signed, function in zip(axes, panels, symbols, signed, functions,
                                                   strict=True):
        role = "candidate" if is_signed else NAMED_GATES.get(name) or next(gate_looks)
        plot_saturation(data[f"cell/{name}/low"], data[f"cell/{name}/high"], gate=name, ax=ax,
                        role=role)
        ax.set_title(f"${with_time(text, 't')}$ ({function})" if is_signed else
                     f"gate ${with_time(text, 't')}$", loc="left")
    axes[0].set_ylabel(f"fraction $> {high:g}$")
    lows = sorted({-high if s else float(data["low"]) for s in signed})
    if len(lows) == 1:
        axes[len(axes) // 2].set_xlabel(f"fraction of steps $< {lows[0]:g}$")
    else:
        for ax, is_signed in zip(axes, signed, strict=True):
            ax.set_xlabel(f"fraction $< {-high if is_signed else float(data['low']):g}$")
    space_panels(fig, wspace=0.08)  # the "1" of one panel must not run into the "0" of the next
    return finish_figure(fig)


def _decades(data: Data, keys: Sequence[str]) -> tuple[int, int]:
    """Whole decades from one below the smallest median drawn to above the largest value."""
    medians = np.concatenate([np.ravel(data[key]) for key in keys])
    seeds = np.concatenate([np.ravel(data[f"{key}_seeds"]) for key in keys
                            if f"{key}_seeds" in data])
    positive = medians[np.isfinite(medians) & (medians > 0)]
    if not positive.size:
        return -1, 1
    low = positive.min() / 10
    top = seeds[np.isfinite(seeds)].max() if seeds.size else positive.max()
    return int(np.floor(np.log10(low))), max(int(np.ceil(np.log10(top))),
                                             int(np.floor(np.log10(low))) + 1)


def gradient_decay(data: Data, *, theme: Theme | None, fig: Figure | None) -> Figure:
    """Gradient norm against lag over the cell's whole state, trained (on request) and
    untrained, its states one at a time (thin), and the run set's trained LSTM and RNN.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`.cellmeasure.gradient_decay_data` returned.
    theme : Theme or None
        The active theme.
    fig : Figure or None
        Draw into this figure instead of a new one of the theme's size.

    Returns
    -------
    Figure
    """
    fig = themed_figure(theme, height_ratio=0.78, fig=fig)
    ax = fig.add_subplot()
    lag = data["lag"]
    lines = []
    curves = [str(key) for key in data["curves"]]
    every = max(1, len(lag) // 10)
    for key, label, kind in zip(curves, map(str, data["labels"]), map(str, data["kinds"]),
                                strict=True):
        model = "cell" if kind.startswith("cell") else kind
        x = lag[:len(data[key])]
        per_seed = np.where(data[f"{key}_seeds"] > 0, data[f"{key}_seeds"], np.nan)
        center = np.where(data[key] > 0, data[key], np.nan)
        untrained = kind == "cell-untrained"
        lines.append(plot_seed_curves(
            x, per_seed, center, model=model, label=label, ax=ax,
            linestyle=UNTRAINED_LSTM_DASHES if untrained else None,
            marker=UNTRAINED_LSTM_MARKERS[0] if untrained else None, markevery=every,
            role=MODEL_ROLES[model], markersize=0.6))
    states = [str(s) for s in data["states"]]
    symbols = dict(zip(states, map(str, data["symbols"]), strict=True))
    main = curves[0]
    for index, state in enumerate(s for s in states if f"{main}/{s}" in data):
        lines += ax.plot(lag, np.where(data[f"{main}/{state}"] > 0, data[f"{main}/{state}"],
                                       np.nan),
                         label=f"only ${with_time(symbols[state], 'T-k')}$ perturbed",
                         **{**_role_kwargs(MODEL_ROLES["cell"], scale=0.6),
                            "linestyle": DISTINCT_DASHES[1 + index % 3]})
    ax.set_yscale("log")
    ax.set_xlim(0, lag[-1])
    decade_axis(ax, *_decades(data, curves))
    ax.set_xlabel("lag $k$ (steps back from the last step $T$)")
    output = with_time(str(data["output_symbol"]), "T")
    ax.set_ylabel(rf"$\Vert \partial {output} / \partial s_{{T-k}} \Vert_F$")
    few_ticks(ax.xaxis, 6)
    state_text = ", ".join(symbols[s] for s in states)
    seeds = len(data["seed"])
    wide = wide_page(theme)
    parts = [f"cell {data['cell']}: state $s = ({state_text})$,",
             f"median of {seeds} seed{'s' if seeds > 1 else ''} (faint: each seed); exact BPTT"]
    fig.legend(lines, [str(line.get_label()) for line in lines], loc="outside lower center",
               ncols=2 if wide else 1, handlelength=2.2,
               title=" ".join(parts) if wide else "\n".join(parts))
    return finish_figure(fig)
