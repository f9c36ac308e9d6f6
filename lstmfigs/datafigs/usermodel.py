"""Data figures of a user's own recurrent model of any kind: LSTM, GRU or RNN.

``gate-heatmaps`` shows each model's own gates and states (GRU: r, z, n, h; RNN: the
pre-activation a and h; an LSTM keeps its f, i, g, o, c, h figure); ``gradient-decay``
shows how the gradient of the last hidden state reaches back through the whole state
(h and c for an LSTM, h otherwise), measured by exact BPTT on the model's own weights.
Bidirectional and stacked models are shown through their last layer's forward direction.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..errors import LstmfigsError
from ..loader import InputsSource, WeightsSource, load_inputs, load_model
from ..sim import GRU, LSTM, RNN, tasks
from ..sim._base import RecurrentModel
from ..themes import Theme
from .plots import (
    _role_kwargs,
    few_ticks,
    finish_figure,
    mark_step,
    plot_unit_heatmap,
    themed_figure,
)

#: The panels of gate-heatmaps for each kind, and whether each is signed.
PANELS = {"LSTM": ("f", "i", "g", "o", "c", "h"), "GRU": ("r", "z", "n", "h"), "RNN": ("a", "h")}
SIGNED = {"g", "c", "h", "n", "a"}
NAMES = {"r": "reset gate", "z": "update gate", "n": "candidate", "a": "pre-activation",
         "f": "forget gate", "i": "input gate", "g": "candidate", "o": "output gate",
         "c": "cell state", "h": "hidden state"}
#: Remember-the-first-symbol sequences for a model given without inputs.
DEFAULT_LAG, DEFAULT_BATCH, DEFAULT_SEED = 50, 64, 0


def is_lstm(weights: WeightsSource) -> bool:
    """Whether ``weights`` hold an LSTM (whose gate-heatmaps figure is the LSTM one)."""
    return isinstance(load_model(weights), LSTM)


def kind_of(model: RecurrentModel) -> str:
    for kind, model_class in (("LSTM", LSTM), ("GRU", GRU), ("RNN", RNN)):
        if isinstance(model, model_class):
            return kind
    raise LstmfigsError(f"weights: a {type(model).__name__} has no data figures")  # pragma: no cover


def record(weights: WeightsSource, inputs: InputsSource | None) -> tuple[Any, np.ndarray, int | None, Any]:
    """(model, x (T, B, I), step of the symbol to remember or None, trace)."""
    model: Any = load_model(weights)
    if inputs is not None:
        x, symbol = load_inputs(inputs, model.input_size, model.dtype), None
    elif model.input_size >= 3:
        task = tasks.FirstSymbol(lag=DEFAULT_LAG, n_symbols=model.input_size - 1, seed=DEFAULT_SEED)
        x, symbol = task.sample(DEFAULT_BATCH)[0].astype(model.dtype), 0
    else:
        raise LstmfigsError(f"weights: the model takes {model.input_size} input feature(s), too few "
                            "for the built-in task; give an input sequence (--input / inputs=)")
    if model.batch_first:
        model.batch_first = False  # x is time-major here, whatever the model was built with
    return model, x, symbol, model.forward(x)


def gate_heatmaps_data(*, weights: WeightsSource, inputs: InputsSource | None = None) -> dict[str, np.ndarray]:
    """``time`` (T,), ``x`` (T, I) and each panel's values (T, width) for the first sequence:
    f, i, g, o, c, h (LSTM), r, z, n, h (GRU), a, h (RNN); ``symbol_step`` for built-in inputs."""
    model, x, symbol, trace = record(weights, inputs)
    values = {"a": trace.preact} if kind_of(model) == "RNN" else {}
    data = {"time": np.arange(x.shape[0]), "x": x[:, 0]}
    for name in PANELS[kind_of(model)]:
        data[name] = np.asarray(values.get(name, getattr(trace, name, None)))[:, 0]
    if symbol is not None:
        data["symbol_step"] = np.asarray(symbol)
    return data


def gate_heatmaps(data: dict[str, np.ndarray], *, theme: Theme | None, fig: Figure | None) -> Figure:
    """Units x time of a GRU's r, z, n, h or an RNN's a, h (an LSTM's figure is
    :func:`lstmfigs.datafigs.figures.gate_heatmaps`)."""
    from .figures import STEP_LABEL, _colorbar, _symmetric_ticks, _wide

    names = [name for name in ("r", "z", "n", "a", "h") if name in data]
    wide = _wide(theme)
    rows, columns = ((len(names) + 1) // 2, 2) if wide else (len(names), 1)
    fig = themed_figure(theme, height_ratio=0.3 * rows + 0.18 if wide else 0.3 * rows + 0.2, fig=fig)
    axes = fig.subplots(rows, columns, sharex=True, squeeze=False)
    symbol = int(data["symbol_step"]) if "symbol_step" in data else None
    marker = None
    order = [axes[row, col] for col in range(columns) for row in range(rows)]
    for ax, name in zip(order, names):
        signed = name in SIGNED
        limit = float(np.abs(data[name]).max()) if name in ("a",) or (name == "h" and "a" in data) else 1.0
        limit = limit if limit > 0 else 1.0
        image = plot_unit_heatmap(data[name], ax=ax, signed=signed, limit=limit, theme=theme)
        _colorbar(fig, image, ax, _symmetric_ticks(limit) if signed else [0.0, 0.5, 1.0])
        ax.set_title(f"{NAMES[name]} ${name}_t$", loc="left")
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


def gradient_decay_data(*, weights: WeightsSource, inputs: InputsSource | None = None) -> dict[str, np.ndarray]:
    """Gradient norm against lag for a user's model, by exact BPTT in float64.

    ``lag`` (T,); ``whole`` (T,) the median over the sequences of ||dh_T / ds_{T-k}||_F over
    the whole state s (h, c for an LSTM; h otherwise), ``whole_low``/``whole_high`` their
    quartiles; for an LSTM also ``via_h`` (c held fixed).  Last layer, forward direction.
    """
    model, x, _, _ = record(weights, inputs)
    model = model.astype("float64")
    trace = model.forward(x.astype(np.float64))
    lags, whole = model.jacobian_norms(trace, whole_state=True)
    data = {"lag": lags, "whole": np.median(whole, axis=1),
            "whole_low": np.quantile(whole, 0.25, axis=1), "whole_high": np.quantile(whole, 0.75, axis=1),
            "sequences": np.asarray(whole.shape[1])}
    if model.has_cell:
        data["via_h"] = np.median(model.jacobian_norms(trace)[1], axis=1)
    return data


def gradient_decay_summary(*, weights: WeightsSource, inputs: InputsSource | None = None) -> dict[str, float]:
    data = gradient_decay_data(weights=weights, inputs=inputs)
    last = int(data["lag"][-1])
    summary = {f"whole_state_at_lag{lag}": float(f"{data['whole'][lag]:.4g}")
               for lag in sorted({min(10, last), last})}
    if "via_h" in data:
        summary[f"h_only_at_lag{last}"] = float(f"{data['via_h'][last]:.4g}")
    return summary


def describe(model: RecurrentModel) -> str:
    """``LSTM, 5 units, ...``: the kind, size, activations other than the defaults, and
    which unit of a stacked or bidirectional model is shown."""
    text = f"{kind_of(model)}, {model.hidden_size} units"
    if isinstance(model, RNN):
        text += f", {model.nonlinearity}"
    elif (model.activation, model.recurrent_activation) != ("tanh", "sigmoid"):  # type: ignore[attr-defined]
        text += f", {model.activation}/{model.recurrent_activation}"  # type: ignore[attr-defined]
    if model.num_layers > 1 or model.bidirectional:
        text += ", last layer" + (", forward direction" if model.bidirectional else "")
    return text


def gradient_decay(*, weights: WeightsSource, inputs: InputsSource | None, theme: Theme | None,
                   fig: Figure | None) -> Figure:
    """||dh_T / ds_{T-k}|| against the lag k for a user's model: the median over the
    sequences, their quartiles as a band, and for an LSTM the h-only path."""
    from .figures import _wide

    data = gradient_decay_data(weights=weights, inputs=inputs)
    model: Any = load_model(weights)
    role = "cell_state" if model.has_cell else "hidden_state"
    fig = themed_figure(theme, height_ratio=0.78, fig=fig)
    ax = fig.add_subplot()
    tiny = np.finfo(np.float64).tiny
    lag = data["lag"]
    style = _role_kwargs(role)
    ax.fill_between(lag, np.maximum(data["whole_low"], tiny), np.maximum(data["whole_high"], tiny),
                    color=style["color"], alpha=0.25, linewidth=0)
    lines = ax.semilogy(lag, np.maximum(data["whole"], tiny), **style,
                        label="whole state $s = (h, c)$" if model.has_cell else "state $s = h$")
    if "via_h" in data:
        lines += ax.semilogy(lag, np.maximum(data["via_h"], tiny), **_role_kwargs("hidden_state", scale=0.7),
                             label="$h$ only ($c_{T-k}$ held fixed)")
    ax.set_xlabel("lag $k$ (steps back from the last step $T$)")
    ax.set_ylabel(r"$\Vert \partial h_T / \partial s_{T-k} \Vert_F$")
    few_ticks(ax.xaxis, 6)
    title = (f"your model ({describe(model)}); median over {int(data['sequences'])} sequences, "
             "band: quartiles; exact BPTT")
    fig.legend(lines, [str(line.get_label()) for line in lines], loc="outside lower center",
               ncols=2 if _wide(theme) else 1, handlelength=2.2, title=_wrap(title, _wide(theme)))
    return finish_figure(fig)


def _wrap(text: str, wide: bool) -> str:
    words, lines, line = text.split(" "), [], ""
    width = 70 if wide else 45
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])
