"""The numbers behind the data figures, all computed by :mod:`lstmfigs.sim`.

Each ``*_data`` function is a catalog ``data_target`` (``lstmfigs.data(name)``): it
returns a mapping of NumPy arrays, time-major like the simulator ((T, H) for one
sequence).  The ``*_summary`` functions are ``summary_target``s (printed by the CLI).
Trained runs come from the shipped run set (:mod:`.runs`) or, with ``runs=``, from one
``lstmfigs train`` made; ``weights``/``inputs`` bring a user's own model and sequences.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..errors import LstmfigsError
from ..loader import InputsSource, WeightsSource, load_inputs, load_lstm
from ..sim import LSTM, RNN, tasks
from ..sim.lstm import LSTMVariant
from . import usermodel
from .runs import RunSet, RunsSource, resolve
from .scenario import MODEL_KINDS, SOLVED, Scenario

#: Gate blocks in the order the figures show them (the issue's order: f, i, g, o).
GATES = ("f", "i", "g", "o")
#: The logistic gates (in [0, 1]); ``g`` is a tanh layer in [-1, 1].
SIGMOID_GATES = ("i", "f", "o")
#: Saturation thresholds of Karpathy, Johnson & Fei-Fei (2015).
LOW, HIGH = 0.1, 0.9


def _round(value: float) -> float:
    """Four significant digits: summaries are for reading, the data for computing."""
    return float(f"{float(value):.4g}")


# ---------------------------------------------------------------------------- one LSTM
@dataclass
class LSTMRecording:
    """One LSTM run over a batch of sequences: ``x`` (T, B, I) and every gate and state
    (T, B, H), plus where the symbol to remember was shown (None for a user's inputs)."""

    x: np.ndarray
    states: dict[str, np.ndarray]
    symbol_step: int | None
    source: str
    seed: int | None = None

    @property
    def steps(self) -> int:
        return int(self.x.shape[0])

    @property
    def units(self) -> int:
        return int(self.states["h"].shape[-1])

    def sequence(self, index: int = 0) -> dict[str, np.ndarray]:
        """Sequence ``index``: ``x`` (T, I) and each of f, i, g, o, c, h as (T, H)."""
        return {"x": self.x[:, index], **{k: v[:, index] for k, v in self.states.items()}}


def _default_inputs(model: LSTM | RNN, scenario: Scenario) -> tuple[np.ndarray, int | None]:
    """The scenario's evaluation sequences, or remember-the-first-symbol sequences with as
    many symbols as the user's model has inputs (minus the marker channel)."""
    if model.input_size == scenario.input_size:
        return scenario.sample()[0], 0
    if model.input_size >= 3:
        task = tasks.FirstSymbol(lag=scenario.main_lag, n_symbols=model.input_size - 1,
                                 seed=scenario.sample_seed)
        return task.sample(scenario.sample_batch)[0], 0
    raise LstmfigsError(f"weights: the model takes {model.input_size} input feature(s), too few "
                        "for the built-in task; give an input sequence (--input / inputs=)")


def record_lstm(weights: WeightsSource | None = None, inputs: InputsSource | None = None,
                runs: RunsSource = None) -> LSTMRecording:
    """Run the representative trained LSTM (or ``weights``) over the scenario's (or
    ``inputs``) sequences."""
    run_set = resolve(runs)
    scenario = run_set.scenario
    seed: int | None = None
    if weights is None:
        seed = run_set.representative_seed("lstm")
        model = run_set.run("lstm", seed=seed).model()
        source = (f"LSTM ({scenario.hidden_size} units) trained on remember-the-first-symbol, "
                  f"lag {scenario.main_lag}, seed {seed} (the median of {len(scenario.seeds)} "
                  f"seeds' final loss), from {run_set.origin}")
    else:
        model = load_lstm(weights)
        source = "weights given"
    if inputs is None:
        x, symbol_step = _default_inputs(model, scenario)
    else:
        x, symbol_step = load_inputs(inputs, model.input_size, model.dtype), None
    trace = model.forward(x.astype(model.dtype, copy=False))
    states = {name: np.asarray(getattr(trace, name)) for name in (*GATES, "c", "h")}
    return LSTMRecording(x=x, states=states, symbol_step=symbol_step, source=source, seed=seed)


def _with_symbol(data: dict[str, np.ndarray], recording: LSTMRecording) -> dict[str, np.ndarray]:
    if recording.symbol_step is not None:
        data["symbol_step"] = np.asarray(recording.symbol_step)
    if recording.seed is not None:
        data["seed"] = np.asarray(recording.seed)
    return data


def gate_heatmaps_data(*, weights: WeightsSource | None = None, inputs: InputsSource | None = None,
                       width: float | None = None, runs: RunsSource = None) -> dict[str, np.ndarray]:
    """``time`` (T,), ``x`` (T, I) and f, i, g, o, c, h (T, H) of the sequence shown (the
    first), plus ``symbol_step`` for built-in inputs and ``seed`` for the built-in model.
    ``width`` (a render option) is ignored."""
    if weights is not None and not usermodel.is_lstm(weights):  # a GRU or an RNN: its own panels
        return usermodel.gate_heatmaps_data(weights=weights, inputs=inputs)
    recording = record_lstm(weights, inputs, runs)
    return _with_symbol({"time": np.arange(recording.steps), **recording.sequence(0)}, recording)


def traced_units(states: np.ndarray, count: int = 4) -> np.ndarray:
    """The ``count`` units whose state varies most over the sequence (T, H), in unit order."""
    spread = states.std(axis=0)
    return np.sort(np.argsort(-spread, kind="stable")[:count])


def dynamics_dashboard_data(*, weights: WeightsSource | None = None,
                            inputs: InputsSource | None = None,
                            width: float | None = None, runs: RunsSource = None) -> dict[str, np.ndarray]:
    """Everything on the dashboard for the first sequence: ``time``, ``x``, f, i, g, o, c, h
    (T, H); ``traced_h_units``/``traced_c_units``; ``{gate}_mean`` (T,) the mean over units;
    ``c_norm``/``h_norm`` (T,) the Euclidean norms of the states."""
    recording = record_lstm(weights, inputs, runs)
    seq = recording.sequence(0)
    data = {"time": np.arange(recording.steps), **seq,
            "traced_h_units": traced_units(seq["h"]), "traced_c_units": traced_units(seq["c"])}
    for gate in GATES:
        data[f"{gate}_mean"] = seq[gate].mean(axis=1)
    data["c_norm"] = np.linalg.norm(seq["c"], axis=1)
    data["h_norm"] = np.linalg.norm(seq["h"], axis=1)
    return _with_symbol(data, recording)


def dynamics_dashboard_summary(*, weights: WeightsSource | None = None,
                               inputs: InputsSource | None = None,
                               width: float | None = None, runs: RunsSource = None) -> dict[str, float | str]:
    """Mean and spread of each gate over the sequence shown, and the final state ranges."""
    recording = record_lstm(weights, inputs, runs)
    seq = recording.sequence(0)
    summary: dict[str, float | str] = {"source": recording.source, "steps": recording.steps,
                                       "units": recording.units}
    for gate in GATES:
        summary[f"{gate}_mean"] = _round(seq[gate].mean())
        summary[f"{gate}_std"] = _round(seq[gate].std())
    for state in ("c", "h"):
        summary[f"{state}_final_min"] = _round(seq[state][-1].min())
        summary[f"{state}_final_max"] = _round(seq[state][-1].max())
    return summary


def gate_saturation_data(*, weights: WeightsSource | None = None, inputs: InputsSource | None = None,
                         width: float | None = None, runs: RunsSource = None) -> dict[str, np.ndarray]:
    """Per unit (H,), over every step of every sequence: ``{gate}_low`` the fraction of
    steps the gate is below ``low`` (0.1), ``{gate}_high`` the fraction above ``high`` (0.9),
    for the logistic gates i, f, o."""
    recording = record_lstm(weights, inputs, runs)
    data = {"low": np.asarray(LOW), "high": np.asarray(HIGH)}
    for gate in SIGMOID_GATES:
        values = recording.states[gate].reshape(-1, recording.units)
        data[f"{gate}_low"] = (values < LOW).mean(axis=0)
        data[f"{gate}_high"] = (values > HIGH).mean(axis=0)
    return data


def gate_saturation_summary(*, weights: WeightsSource | None = None,
                            inputs: InputsSource | None = None,
                            width: float | None = None, runs: RunsSource = None) -> dict[str, float | str]:
    """How many units of each gate spend most of their time saturated either way."""
    data = gate_saturation_data(weights=weights, inputs=inputs, runs=runs)
    summary: dict[str, float | str] = {}
    for gate in SIGMOID_GATES:
        low, high = data[f"{gate}_low"], data[f"{gate}_high"]
        summary[f"{gate}_units_mostly_below_{LOW:g}"] = int((low > 0.5).sum())
        summary[f"{gate}_units_mostly_above_{HIGH:g}"] = int((high > 0.5).sum())
        summary[f"{gate}_units"] = int(low.size)
    return summary


# ---------------------------------------------------------------------------- RNN vs LSTM
def rnn_vs_lstm_data(*, inputs: InputsSource | None = None, width: float | None = None,
                     runs: RunsSource = None) -> dict[str, np.ndarray]:
    """The representative trained RNN's and LSTM's hidden states (T, H) on the same sequence
    (the first): each model's run at the main lag whose final loss is the median of its
    seeds (``{model}_seed``, never a lucky seed).  Also ``x`` (T, I) and, for built-in
    inputs, ``target`` and each model's ``*_prediction`` (its readout's pick at the end)."""
    run_set = resolve(runs)
    scenario = run_set.scenario
    if inputs is None:
        x, symbols = scenario.sample()
    else:
        x, symbols = load_inputs(inputs, scenario.input_size), None
    data: dict[str, np.ndarray] = {"time": np.arange(x.shape[0]), "x": x[:, 0]}
    for kind in MODEL_KINDS:
        seed = run_set.representative_seed(kind)
        run = run_set.run(kind, seed=seed)
        data[f"{kind}_seed"] = np.asarray(seed)
        data[f"{kind}_h"] = run.model().forward(x).h[:, 0]
        data[f"{kind}_prediction"] = np.asarray(run.predict(x[:, :1])[0])
    if symbols is not None:
        data["target"] = np.asarray(symbols[0])
        data["symbol_step"] = np.asarray(0)
    return data


def rnn_vs_lstm_summary(*, inputs: InputsSource | None = None, width: float | None = None,
                        runs: RunsSource = None) -> dict[str, float | str]:
    data = rnn_vs_lstm_data(inputs=inputs, runs=runs)
    summary: dict[str, float | str] = {}
    for kind in MODEL_KINDS:
        summary[f"{kind}_seed"] = int(data[f"{kind}_seed"])
        summary[f"{kind}_h_range"] = f"[{data[f'{kind}_h'].min():.3g}, {data[f'{kind}_h'].max():.3g}]"
        summary[f"{kind}_prediction"] = int(data[f"{kind}_prediction"])
    if "target" in data:
        summary["target"] = int(data["target"])
    return summary


# ---------------------------------------------------------------------------- gradient decay
@dataclass(frozen=True)
class DecayCurve:
    """One case of the gradient-decay figure: its data key and how it is labelled.

    For an LSTM ``key`` holds the norm over the whole state (h, c) and ``{key}_via_h`` the
    h-only path (c held fixed); an RNN's state is h alone."""

    key: str
    label: str
    model: str  # "lstm" or "rnn"
    trained: bool
    forget_bias: float | None = None


def decay_curves(scenario: Scenario | None = None) -> list[DecayCurve]:
    scenario = resolve(None).scenario if scenario is None else scenario
    curves = [DecayCurve("lstm", f"LSTM trained (lag {scenario.main_lag})", "lstm", True),
              DecayCurve("rnn", f"RNN trained (lag {scenario.main_lag})", "rnn", True)]
    for bias in scenario.untrained_forget_biases:
        curves.append(DecayCurve(f"lstm_untrained_bias{bias:g}",
                                 f"LSTM untrained, $b_f = {bias:g}$", "lstm", False, bias))
    curves.append(DecayCurve("rnn_untrained", "RNN untrained", "rnn", False))
    return curves


def lstm_state_jacobian_norms(model: LSTM, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample Frobenius norms of the Jacobians of the last hidden state h_T.

    Returns ``(whole, via_h)``, each (T, B) with row k for the lag k (state T-1-k):
    ``whole[k]`` = ||dh_T / d(h_{T-k}, c_{T-k})||_F, the Jacobian with respect to the
    whole state (Pascanu et al. 2013), and ``via_h[k]`` = ||dh_T / dh_{T-k}||_F with
    c_{T-k} held fixed (what :meth:`lstmfigs.sim.LSTM.jacobian_norms` measures).

    Exact reverse-mode propagation of H seeds (the rows of the identity at h_T) through
    the trace of a one-layer LSTM, using the simulator's gates: at each step the adjoints
    (a_h, a_c) of (h_t, c_t) give those of (h_{t-1}, c_{t-1}) by
    dc = a_c + a_h o (1 - tanh^2 c_t),  a_c' = dc f_t,
    a_h' = [dc g i(1-i), dc c_{t-1} f(1-f), dc i (1-g^2), a_h tanh(c_t) o(1-o)] W_hh.
    """
    if model.num_layers != 1 or model.variant != LSTMVariant():
        raise LstmfigsError("the whole-state Jacobian is measured for a plain one-layer LSTM")
    trace = model.forward(np.asarray(x).astype(model.dtype, copy=False))
    layer = trace.layers[0]
    steps, batch, hidden = layer.h.shape
    recurrent = model.params["weight_hh_l0"]  # (4H, H), blocks i, f, g, o
    # The local derivatives of every step at once (T, B, 4, H): what dc multiplies in each
    # pre-activation block, and what a_h multiplies (the output gate's block only).
    i, f, g, o = layer.i, layer.f, layer.g, layer.o
    tanh_c = np.tanh(layer.c)
    c_prev = np.concatenate([layer.c0[None], layer.c[:-1]])
    from_c = np.stack([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g ** 2),
                       np.zeros_like(o)], axis=2)
    from_h = np.zeros_like(from_c)
    from_h[:, :, 3] = tanh_c * o * (1 - o)
    h_to_c = o * (1 - tanh_c ** 2)
    a_h = np.broadcast_to(np.eye(hidden, dtype=model.dtype)[:, None, :],
                          (hidden, batch, hidden)).copy()  # (seeds, B, H)
    a_c = np.zeros_like(a_h)
    whole = np.empty((steps, batch), model.dtype)
    via_h = np.empty((steps, batch), model.dtype)
    for lag in range(steps):
        t = steps - 1 - lag
        h_part = np.einsum("sbh,sbh->b", a_h, a_h)
        via_h[lag] = np.sqrt(h_part)
        whole[lag] = np.sqrt(h_part + np.einsum("sbh,sbh->b", a_c, a_c))
        if t == 0:
            break
        dc = a_c + a_h * h_to_c[t]
        dz = dc[:, :, None, :] * from_c[t] + a_h[:, :, None, :] * from_h[t]
        a_h = dz.reshape(hidden, batch, 4 * hidden) @ recurrent
        a_c = dc * f[t]
    return whole, via_h


def _probe_inputs(scenario: Scenario) -> np.ndarray:
    task = tasks.FirstSymbol(lag=scenario.probe_lag, n_symbols=scenario.n_symbols,
                             seed=scenario.sample_seed + 1)
    return task.sample(scenario.probe_batch)[0].astype(np.float64)


def _decay_rows(model: LSTM | RNN, x: np.ndarray) -> dict[str, np.ndarray]:
    """Median over sequences of each norm (float64 model): ``""`` the whole state,
    ``"_via_h"`` the h-only path (LSTM)."""
    if isinstance(model, LSTM):
        whole, via_h = lstm_state_jacobian_norms(model, x)
        return {"": np.median(whole, axis=1), "_via_h": np.median(via_h, axis=1)}
    _, norms = model.jacobian_norms(model.forward(x))
    return {"": np.median(norms, axis=1)}


@functools.lru_cache(maxsize=4)
def _gradient_decay(run_set: RunSet) -> dict[str, np.ndarray]:
    scenario = run_set.scenario
    x = _probe_inputs(scenario)
    data: dict[str, np.ndarray] = {"lag": np.arange(x.shape[0]),
                                   "seed": np.asarray(scenario.seeds)}
    for curve in decay_curves(scenario):
        rows: dict[str, list[np.ndarray]] = {}
        for seed in scenario.seeds:
            if curve.trained:
                model = run_set.run(curve.model, seed=seed).model(dtype="float64")  # type: ignore[arg-type]
            elif curve.model == "lstm":
                model = scenario.untrained_lstm(curve.forget_bias or 0.0, seed)
            else:
                model = scenario.untrained_rnn(seed)
            for suffix, row in _decay_rows(model, x).items():
                rows.setdefault(suffix, []).append(row)
        for suffix, per_seed in rows.items():
            data[f"{curve.key}{suffix}_seeds"] = np.stack(per_seed)
            data[f"{curve.key}{suffix}"] = np.median(data[f"{curve.key}{suffix}_seeds"], axis=0)
    return data


def gradient_decay_data(*, width: float | None = None, runs: RunsSource = None,
                        weights: WeightsSource | None = None,
                        inputs: InputsSource | None = None) -> dict[str, np.ndarray]:
    """Gradient norm against lag, measured by exact BPTT, float64 (no underflow).

    ``lag`` (L,) = 0, 1, ..., probe_lag.  For every curve (see :func:`decay_curves`) an
    array (L,): the median over seeds of each seed's median over ``probe_batch``
    remember-the-first-symbol sequences, and ``{key}_seeds`` (S, L) one row per seed
    (``seed`` (S,)).  LSTM curves (``lstm``, ``lstm_untrained_bias{b}``) are
    ||dh_T/d(h_{T-k}, c_{T-k})||_F over the whole state; ``{key}_via_h`` holds the h-only
    path ||dh_T/dh_{T-k}||_F with c held fixed.  RNN curves are ||dh_T/dh_{T-k}||_F.
    ``lstm`` and ``rnn`` are the trained models (every seed at the main lag).  With
    ``weights`` (and ``inputs``): the user's model instead (:func:`.usermodel.gradient_decay_data`).
    """
    if weights is not None:
        return usermodel.gradient_decay_data(weights=weights, inputs=inputs)
    return {key: value.copy() for key, value in _gradient_decay(resolve(runs)).items()}


def gradient_decay_summary(*, width: float | None = None, runs: RunsSource = None,
                           weights: WeightsSource | None = None,
                           inputs: InputsSource | None = None) -> dict[str, float | str]:
    if weights is not None:
        return dict(usermodel.gradient_decay_summary(weights=weights, inputs=inputs))
    run_set = resolve(runs)
    data = gradient_decay_data(runs=run_set)
    lag = run_set.scenario.main_lag
    summary: dict[str, float | str] = {}
    for curve in decay_curves(run_set.scenario):
        summary[f"{curve.key}_at_lag{lag}"] = _round(data[curve.key][lag])
        if f"{curve.key}_via_h" in data:
            summary[f"{curve.key}_via_h_at_lag{lag}"] = _round(data[f"{curve.key}_via_h"][lag])
    summary[f"lstm_over_rnn_at_lag{lag}"] = _round(data["lstm"][lag] / data["rnn"][lag])
    return summary


# ---------------------------------------------------------------------------- training results
def lag_accuracy_data(*, width: float | None = None,
                      runs: RunsSource = None) -> dict[str, np.ndarray]:
    """Final accuracy (the trainer's last evaluation, on fresh sequences) at each lag.

    ``lag`` (L,); ``{model}_seeds`` (S, L) one row per seed (``seed`` (S,)); ``{model}``
    (L,) the median over seeds; ``{model}_solved`` (L,) the fraction of seeds whose final
    accuracy reaches ``solved_at`` (0.9); ``chance`` the chance level 1/K.
    """
    run_set = resolve(runs)
    scenario = run_set.scenario
    data: dict[str, np.ndarray] = {"lag": np.asarray(scenario.lags),
                                   "seed": np.asarray(scenario.seeds),
                                   "chance": np.asarray(scenario.chance),
                                   "solved_at": np.asarray(SOLVED)}
    for kind in MODEL_KINDS:
        per_seed = run_set.final(kind)
        data[f"{kind}_seeds"] = per_seed
        data[kind] = np.median(per_seed, axis=0)
        data[f"{kind}_solved"] = (per_seed >= SOLVED).mean(axis=0)
    return data


def lag_accuracy_summary(*, width: float | None = None,
                         runs: RunsSource = None) -> dict[str, float | str]:
    data = lag_accuracy_data(runs=runs)
    seeds = len(data["seed"])
    summary: dict[str, float | str] = {"chance": _round(float(data["chance"]))}
    for kind in MODEL_KINDS:
        for lag, accuracy, solved in zip(data["lag"], data[kind], data[f"{kind}_solved"]):
            summary[f"{kind}_lag{lag}"] = (f"median accuracy {_round(float(accuracy)):g}, "
                                           f"{round(solved * seeds)} of {seeds} seeds solved")
    return summary


def learning_curves_data(*, width: float | None = None,
                         runs: RunsSource = None) -> dict[str, np.ndarray]:
    """The trainer's history at the main lag: ``step`` (N,); ``{model}_{loss,accuracy}``
    (N,) the median over seeds and ``..._seeds`` (S, N); ``chance`` and ``baseline_loss``
    (ln K, the loss of the best input-blind guess); ``lag``."""
    run_set = resolve(runs)
    scenario = run_set.scenario
    data: dict[str, np.ndarray] = {"lag": np.asarray(scenario.main_lag),
                                   "seed": np.asarray(scenario.seeds),
                                   "chance": np.asarray(scenario.chance),
                                   "baseline_loss": np.asarray(scenario.baseline_loss)}
    for kind in MODEL_KINDS:
        seed_runs = run_set.seed_runs(kind)
        data["step"] = seed_runs[0].history["step"]
        for metric in ("loss", "accuracy"):
            per_seed = np.stack([run.history[metric] for run in seed_runs])
            data[f"{kind}_{metric}_seeds"] = per_seed
            data[f"{kind}_{metric}"] = np.median(per_seed, axis=0)
    return data


def learning_curves_summary(*, width: float | None = None,
                            runs: RunsSource = None) -> dict[str, float | str]:
    data = learning_curves_data(runs=runs)
    summary: dict[str, float | str] = {"lag": int(data["lag"]), "steps": int(data["step"][-1])}
    for kind in MODEL_KINDS:
        summary[f"{kind}_final_accuracy_median"] = _round(data[f"{kind}_accuracy"][-1])
        summary[f"{kind}_final_loss_median"] = _round(data[f"{kind}_loss"][-1])
    return summary
