"""The numbers behind the data figures, all computed by :mod:`lstmfigs.sim`.

Each ``*_data`` function is a catalog ``data_target`` (``lstmfigs.data(name)``): it
returns a mapping of NumPy arrays, time-major like the simulator ((T, H) for one
sequence).  The ``*_summary`` functions are ``summary_target``s (printed by the CLI).
Built-in runs come from :mod:`.scenario`; ``weights``/``inputs`` bring a user's own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import LstmfigsError
from ..sim import LSTM, RNN, tasks
from . import cache, usermodel
from .scenario import BUILTIN, MODEL_KINDS, Scenario, TrainedRun
from ..loader import InputsSource, WeightsSource, load_inputs, load_lstm

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
                scenario: Scenario = BUILTIN) -> LSTMRecording:
    """Run the built-in trained LSTM (or ``weights``) over the built-in (or ``inputs``) sequences."""
    if weights is None:
        model = scenario.run("lstm").model()
        source = (f"built-in LSTM ({scenario.hidden_size} units) trained on remember-the-first-"
                  f"symbol, lag {scenario.main_lag}, seed {scenario.main_seed}")
    else:
        model = load_lstm(weights)
        source = "weights given"
    if inputs is None:
        x, symbol_step = _default_inputs(model, scenario)
    else:
        x, symbol_step = load_inputs(inputs, model.input_size, model.dtype), None
    trace = model.forward(x.astype(model.dtype, copy=False))
    states = {name: np.asarray(getattr(trace, name)) for name in (*GATES, "c", "h")}
    return LSTMRecording(x=x, states=states, symbol_step=symbol_step, source=source)


def _with_symbol(data: dict[str, np.ndarray], recording: LSTMRecording) -> dict[str, np.ndarray]:
    if recording.symbol_step is not None:
        data["symbol_step"] = np.asarray(recording.symbol_step)
    return data


def gate_heatmaps_data(*, weights: WeightsSource | None = None, inputs: InputsSource | None = None,
                       width: float | None = None) -> dict[str, np.ndarray]:
    """``time`` (T,), ``x`` (T, I) and f, i, g, o, c, h (T, H) of the sequence shown (the
    first), plus ``symbol_step`` for built-in inputs.  ``width`` (a render option) is ignored."""
    if weights is not None and not usermodel.is_lstm(weights):  # a GRU or an RNN: its own panels
        return usermodel.gate_heatmaps_data(weights=weights, inputs=inputs)
    recording = record_lstm(weights, inputs)
    return _with_symbol({"time": np.arange(recording.steps), **recording.sequence(0)}, recording)


def traced_units(states: np.ndarray, count: int = 4) -> np.ndarray:
    """The ``count`` units whose state varies most over the sequence (T, H), in unit order."""
    spread = states.std(axis=0)
    return np.sort(np.argsort(-spread, kind="stable")[:count])


def dynamics_dashboard_data(*, weights: WeightsSource | None = None,
                            inputs: InputsSource | None = None,
                            width: float | None = None) -> dict[str, np.ndarray]:
    """Everything on the dashboard for the first sequence: ``time``, ``x``, f, i, g, o, c, h
    (T, H); ``traced_h_units``/``traced_c_units``; ``{gate}_mean`` (T,) the mean over units;
    ``c_norm``/``h_norm`` (T,) the Euclidean norms of the states."""
    recording = record_lstm(weights, inputs)
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
                               width: float | None = None) -> dict[str, float | str]:
    """Mean and spread of each gate over the sequence shown, and the final state ranges."""
    recording = record_lstm(weights, inputs)
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
                         width: float | None = None) -> dict[str, np.ndarray]:
    """Per unit (H,), over every step of every sequence: ``{gate}_low`` the fraction of
    steps the gate is below ``low`` (0.1), ``{gate}_high`` the fraction above ``high`` (0.9),
    for the logistic gates i, f, o."""
    recording = record_lstm(weights, inputs)
    data = {"low": np.asarray(LOW), "high": np.asarray(HIGH)}
    for gate in SIGMOID_GATES:
        values = recording.states[gate].reshape(-1, recording.units)
        data[f"{gate}_low"] = (values < LOW).mean(axis=0)
        data[f"{gate}_high"] = (values > HIGH).mean(axis=0)
    return data


def gate_saturation_summary(*, weights: WeightsSource | None = None,
                            inputs: InputsSource | None = None,
                            width: float | None = None) -> dict[str, float | str]:
    """How many units of each gate spend most of their time saturated either way."""
    data = gate_saturation_data(weights=weights, inputs=inputs)
    summary: dict[str, float | str] = {}
    for gate in SIGMOID_GATES:
        low, high = data[f"{gate}_low"], data[f"{gate}_high"]
        summary[f"{gate}_units_mostly_below_{LOW:g}"] = int((low > 0.5).sum())
        summary[f"{gate}_units_mostly_above_{HIGH:g}"] = int((high > 0.5).sum())
        summary[f"{gate}_units"] = int(low.size)
    return summary


# ---------------------------------------------------------------------------- RNN vs LSTM
def rnn_vs_lstm_data(*, inputs: InputsSource | None = None, width: float | None = None,
                     scenario: Scenario = BUILTIN) -> dict[str, np.ndarray]:
    """The trained RNN's and LSTM's hidden states (T, H) on the same sequence (the first),
    ``x`` (T, I), and for built-in inputs ``target`` and each model's ``*_prediction``
    (the symbol its readout picks at the last step)."""
    runs = {kind: scenario.run(kind) for kind in MODEL_KINDS}
    if inputs is None:
        x, symbols = scenario.sample()
    else:
        x, symbols = load_inputs(inputs, scenario.input_size), None
    data: dict[str, np.ndarray] = {"time": np.arange(x.shape[0]), "x": x[:, 0]}
    for kind, run in runs.items():
        data[f"{kind}_h"] = run.model().forward(x).h[:, 0]
        data[f"{kind}_prediction"] = np.asarray(run.predict(x[:, :1])[0])
    if symbols is not None:
        data["target"] = np.asarray(symbols[0])
        data["symbol_step"] = np.asarray(0)
    return data


def rnn_vs_lstm_summary(*, inputs: InputsSource | None = None,
                        width: float | None = None) -> dict[str, float | str]:
    data = rnn_vs_lstm_data(inputs=inputs)
    summary: dict[str, float | str] = {}
    for kind in MODEL_KINDS:
        summary[f"{kind}_h_range"] = f"[{data[f'{kind}_h'].min():.3g}, {data[f'{kind}_h'].max():.3g}]"
        summary[f"{kind}_prediction"] = int(data[f"{kind}_prediction"])
    if "target" in data:
        summary["target"] = int(data["target"])
    return summary


# ---------------------------------------------------------------------------- gradient decay
@dataclass(frozen=True)
class DecayCurve:
    """One case of the gradient-decay figure: its data key and how it is labelled."""

    key: str
    label: str
    model: str  # "lstm" or "rnn"
    trained: bool
    forget_bias: float | None = None


def decay_curves(scenario: Scenario = BUILTIN) -> list[DecayCurve]:
    curves = [DecayCurve("lstm", f"LSTM, trained (lag {scenario.main_lag})", "lstm", True),
              DecayCurve("rnn", f"RNN, trained (lag {scenario.main_lag})", "rnn", True)]
    for bias in scenario.untrained_forget_biases:
        curves.append(DecayCurve(f"lstm_untrained_bias{bias:g}",
                                 f"LSTM, untrained, $b_f = {bias:g}$", "lstm", False, bias))
    curves.append(DecayCurve("rnn_untrained", "RNN, untrained", "rnn", False))
    return curves


def _jacobian_curve(model: LSTM | RNN, x: np.ndarray) -> np.ndarray:
    """Median over sequences of ||dh_T / dh_{T-k}||_F for k = 0..T-1 (float64 model)."""
    _, norms = model.jacobian_norms(model.forward(x.astype(model.dtype)))
    return np.median(norms, axis=1)


def gradient_decay_data(*, width: float | None = None, scenario: Scenario = BUILTIN,
                        weights: WeightsSource | None = None,
                        inputs: InputsSource | None = None) -> dict[str, np.ndarray]:
    """Gradient norm against lag, measured by BPTT (the Jacobian probe of the simulator).

    ``lag`` (L,) = 0, 1, ..., probe_lag; for every curve (see :func:`decay_curves`) an
    array (L,): the median over seeds of each seed's median over ``probe_batch``
    remember-the-first-symbol sequences, and ``{key}_seeds`` (S, L) one row per seed
    (``seed`` (S,)).  ``rnn`` and ``lstm`` are the trained models.  Computed in float64
    so the smallest norms do not underflow.  With ``weights`` (and ``inputs``): the
    user's model instead (:func:`.usermodel.gradient_decay_data`).
    """
    if weights is not None:
        return usermodel.gradient_decay_data(weights=weights, inputs=inputs)
    # The curves take a second or two to measure: they are cached beside the weights they
    # come from, under a key of the whole scenario.
    stored = cache.cache_dir() / f"gradient-decay-{cache.cache_key(asdict(scenario))}.npz"
    arrays = cache.load_arrays(stored)
    if arrays is not None:
        return arrays
    task = tasks.FirstSymbol(lag=scenario.probe_lag, n_symbols=scenario.n_symbols,
                             seed=scenario.sample_seed + 1)
    x, _ = task.sample(scenario.probe_batch)
    trained = {kind: scenario.seed_runs(kind) for kind in MODEL_KINDS}
    data: dict[str, np.ndarray] = {"lag": np.arange(x.shape[0]),
                                   "seed": np.asarray(scenario.seeds)}
    for curve in decay_curves(scenario):
        rows = []
        for index, seed in enumerate(scenario.seeds):
            if curve.trained:
                model = trained[curve.model][index].model(dtype="float64")
            elif curve.model == "lstm":
                model = scenario.untrained_lstm(curve.forget_bias, seed)
            else:
                model = scenario.untrained_rnn(seed)
            rows.append(_jacobian_curve(model, x))
        data[f"{curve.key}_seeds"] = np.stack(rows)
        data[curve.key] = np.median(data[f"{curve.key}_seeds"], axis=0)
    cache.store_arrays(stored, data)
    return data


def gradient_decay_summary(*, width: float | None = None, scenario: Scenario = BUILTIN,
                           weights: WeightsSource | None = None,
                           inputs: InputsSource | None = None) -> dict[str, float | str]:
    if weights is not None:
        return dict(usermodel.gradient_decay_summary(weights=weights, inputs=inputs))
    data = gradient_decay_data(scenario=scenario)
    lag = scenario.main_lag
    summary: dict[str, float | str] = {}
    for curve in decay_curves(scenario):
        summary[f"{curve.key}_at_lag{lag}"] = _round(data[curve.key][lag])
    summary[f"lstm_over_rnn_at_lag{lag}"] = _round(data["lstm"][lag] / data["rnn"][lag])
    return summary


# ---------------------------------------------------------------------------- training results
def _all_runs(scenario: Scenario) -> dict[tuple[str, int, int], TrainedRun]:
    from .scenario import load_or_train

    jobs = scenario.all_jobs()
    return {(j.model, j.lag, j.seed): run for j, run in zip(jobs, load_or_train(jobs))}


def lag_accuracy_data(*, width: float | None = None,
                      scenario: Scenario = BUILTIN) -> dict[str, np.ndarray]:
    """Final accuracy (the trainer's last evaluation, on fresh sequences) at each lag.

    ``lag`` (L,); ``lstm``/``rnn`` (L,) the mean over seeds; ``*_seeds`` (S, L) one row per
    seed (``seed`` (S,)); ``chance`` the chance level 1/K.
    """
    runs = _all_runs(scenario)
    data: dict[str, np.ndarray] = {"lag": np.asarray(scenario.lags),
                                   "seed": np.asarray(scenario.seeds),
                                   "chance": np.asarray(scenario.chance)}
    for kind in MODEL_KINDS:
        per_seed = np.asarray([[runs[kind, lag, seed].final_accuracy for lag in scenario.lags]
                               for seed in scenario.seeds])
        data[f"{kind}_seeds"] = per_seed
        data[kind] = per_seed.mean(axis=0)
    return data


def lag_accuracy_summary(*, width: float | None = None,
                         scenario: Scenario = BUILTIN) -> dict[str, float | str]:
    data = lag_accuracy_data(scenario=scenario)
    summary: dict[str, float | str] = {"chance": _round(data["chance"])}
    for kind in MODEL_KINDS:
        for lag, accuracy in zip(data["lag"], data[kind]):
            summary[f"{kind}_accuracy_lag{lag}"] = _round(accuracy)
    return summary


def learning_curves_data(*, width: float | None = None,
                         scenario: Scenario = BUILTIN) -> dict[str, np.ndarray]:
    """The trainer's history at the main lag: ``step`` (N,); ``{model}_{loss,accuracy}``
    (N,) the mean over seeds and ``..._seeds`` (S, N); ``chance`` and ``baseline_loss``
    (ln K, the loss of the best input-blind guess); ``lag``."""
    data: dict[str, np.ndarray] = {"lag": np.asarray(scenario.main_lag),
                                   "seed": np.asarray(scenario.seeds),
                                   "chance": np.asarray(scenario.chance),
                                   "baseline_loss": np.asarray(scenario.baseline_loss)}
    for kind in MODEL_KINDS:
        runs = scenario.seed_runs(kind)
        data["step"] = runs[0].history["step"]
        for metric in ("loss", "accuracy"):
            per_seed = np.stack([run.history[metric] for run in runs])
            data[f"{kind}_{metric}_seeds"] = per_seed
            data[f"{kind}_{metric}"] = per_seed.mean(axis=0)
    return data


def learning_curves_summary(*, width: float | None = None,
                            scenario: Scenario = BUILTIN) -> dict[str, float | str]:
    data = learning_curves_data(scenario=scenario)
    summary: dict[str, float | str] = {"lag": int(data["lag"]), "steps": int(data["step"][-1])}
    for kind in MODEL_KINDS:
        summary[f"{kind}_final_accuracy"] = _round(data[f"{kind}_accuracy"][-1])
        summary[f"{kind}_final_loss"] = _round(data[f"{kind}_loss"][-1])
    return summary
