"""The numbers behind the data figures, all computed by :mod:`lstmfigs.sim`.

Each ``*_data`` function is a catalog ``data_target`` (``lstmfigs.data(name)``): it takes
the figure's data options only (``weights``, ``inputs``, ``runs``) and returns a mapping of
NumPy arrays, time-major like the simulator ((T, H) for one sequence), with the few labels
a figure states (which model, how it was initialised) as 0-d string arrays.  The figure
(:mod:`.figures`) draws from that mapping and the ``*_summary`` functions (each a
``summary_target``, printed by the CLI) summarise it: the numbers of one render are
computed once.
Trained runs come from the shipped run set (:mod:`.runs`) or, with ``runs=``, from one
``lstmfigs train`` made; ``weights``/``inputs`` bring a user's own model and sequences.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import LstmfigsError
from ..loader import (
    Embedding,
    InputsSource,
    WeightsSource,
    load_inputs,
    load_model,
    load_network,
)
from ..sim import GRU, LSTM, RNN, tasks
from ..sim._base import RecurrentModel
from . import cellmeasure
from .cellruns import CellChoice, choose
from .runs import RunSet, RunsSource, resolve
from .scenario import MODEL_KINDS, SOLVED, Scenario
from .summaries import round4 as _round
from .summaries import traced_units

#: Gate blocks in the order the figures show them (the issue's order: f, i, g, o).
GATES = ("f", "i", "g", "o")
#: The logistic gates (in [0, 1]); ``g`` is a tanh layer in [-1, 1].
SIGMOID_GATES = ("i", "f", "o")
#: Saturation thresholds of Karpathy, Johnson & Fei-Fei (2015).
LOW, HIGH = 0.1, 0.9


# ---------------------------------------------------------------------------- one model
#: What each kind of model records, in the order the figures show it: an LSTM's gates f, i,
#: o, its candidate g and states c, h; a GRU's gates r, z, candidate n and state h; an
#: RNN's pre-activation a and state h.
QUANTITIES = {"LSTM": ("f", "i", "g", "o", "c", "h"), "GRU": ("r", "z", "n", "h"),
              "RNN": ("a", "h")}
#: The quantities each kind's dashboard averages over the units (its gates and candidate).
GATE_LIKE = {"LSTM": GATES, "GRU": ("r", "z", "n"), "RNN": ("a",)}
#: Each kind's states (the dashboard's norms and the summary's final ranges).
STATES = {"LSTM": ("c", "h"), "GRU": ("h",), "RNN": ("h",)}
#: The range of a saturating activation's values; relu and linear do not saturate.
ACTIVATION_RANGES = {"sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


@dataclass
class Recording:
    """One model run over a batch of sequences: ``x`` (T, B, I) and every quantity the
    model's kind records (T, B, H) (see :data:`QUANTITIES`), where the symbol to remember
    was shown (None for a user's inputs), what was run (``source``), the seed of a built-in
    run, and the activation behind each quantity that has one (``activations``)."""

    kind: str
    x: np.ndarray
    states: dict[str, np.ndarray]
    symbol_step: int | None
    source: str
    activations: dict[str, str]
    seed: int | None = None

    @property
    def steps(self) -> int:
        return int(self.x.shape[0])

    @property
    def units(self) -> int:
        return int(self.states["h"].shape[-1])

    def sequence(self, index: int = 0) -> dict[str, np.ndarray]:
        """Sequence ``index``: ``x`` (T, I) and each recorded quantity as (T, H).

        Parameters
        ----------
        index : int, default: 0
            Which sequence of the batch (an index into the batch axis B).

        Returns
        -------
        dict of str to numpy.ndarray
            ``"x"`` and every key of :attr:`states`, each a view with the batch axis removed.
        """
        return {"x": self.x[:, index], **{k: v[:, index] for k, v in self.states.items()}}


def kind_of(model: RecurrentModel) -> str:
    """Which figures' panels a model gets.

    Parameters
    ----------
    model : RecurrentModel
        A simulator model.

    Returns
    -------
    str
        ``"LSTM"``, ``"GRU"`` or ``"RNN"``.
    """
    for kind, model_class in (("LSTM", LSTM), ("GRU", GRU), ("RNN", RNN)):
        if isinstance(model, model_class):
            return kind
    raise LstmfigsError(  # pragma: no cover
        f"weights: a {type(model).__name__} has no data figures"
    )


def describe(model: RecurrentModel) -> str:
    """A short description of a user's model for a figure's legend.

    Parameters
    ----------
    model : RecurrentModel
        A simulator model.

    Returns
    -------
    str
        ``"LSTM, 5 units, ..."``: the kind, size, activations other than the defaults, and
        which unit of a stacked or bidirectional model is shown.
    """
    text = f"{kind_of(model)}, {model.hidden_size} units"
    if isinstance(model, RNN):
        text += f", {model.nonlinearity}"
    elif isinstance(model, (LSTM, GRU)) and (model.activation, model.recurrent_activation) != (
        "tanh",
        "sigmoid",
    ):
        # Spelt with spaces: the Computer Modern text font draws '_' as a dot accent.
        text += f", {model.activation}/{model.recurrent_activation}".replace("_", " ")
    if model.num_layers > 1 or model.bidirectional:
        text += ", last layer" + (", forward direction" if model.bidirectional else "")
    return text


def _activations(model: RecurrentModel) -> dict[str, str]:
    if isinstance(model, RNN):
        return {"h": model.nonlinearity}
    if isinstance(model, GRU):
        return {"r": model.recurrent_activation, "z": model.recurrent_activation,
                "n": model.activation}
    assert isinstance(model, LSTM)
    return {**dict.fromkeys(SIGMOID_GATES, model.recurrent_activation), "g": model.activation}


def _default_inputs(model: RecurrentModel, scenario: Scenario,
                    embedding: Embedding | None = None) -> tuple[np.ndarray, int | None]:
    """The scenario's evaluation sequences, or remember-the-first-symbol sequences with as
    many symbols as the user's model has inputs (minus the marker channel); for a model
    fed by an Embedding, random token ids as many and as long as the scenario's sequences."""
    if embedding is not None:
        steps = scenario.main_lag + 1
        ids = embedding.sample(steps, scenario.sample_batch, scenario.sample_seed)
        return embedding.lookup(ids), None
    if model.input_size == scenario.input_size:
        return scenario.sample()[0], 0
    if model.input_size >= 3:
        task = tasks.FirstSymbol(lag=scenario.main_lag, n_symbols=model.input_size - 1,
                                 seed=scenario.sample_seed)
        return task.sample(scenario.sample_batch)[0], 0
    raise LstmfigsError(f"weights: the model takes {model.input_size} input feature(s), too few "
                        "for the built-in task; give an input sequence (--input / inputs=)")


def record(weights: WeightsSource | None = None, inputs: InputsSource | None = None,
           runs: RunsSource = None, shipped: str = "lstm") -> Recording:
    """Run the representative trained LSTM (the RNN with ``shipped="rnn"``, or the user's
    model in ``weights``: an LSTM, GRU or RNN) over the scenario's sequences (or ``inputs``).

    Parameters
    ----------
    weights : str, os.PathLike, mapping or Weights, optional
        A user's model (see :func:`lstmfigs.loader.load_model`); by default the run set's
        representative LSTM at the main lag.
    inputs : str, os.PathLike, array or Inputs, optional
        The sequences (see :func:`lstmfigs.loader.load_inputs`); by default the scenario's
        remember-the-first-symbol sequences.
    runs : RunsSource
        The run set (the shipped one by default).
    shipped : {"lstm", "rnn"}, default: "lstm"
        Without ``weights``: which of the run set's models.

    Returns
    -------
    Recording
        The inputs and every quantity the model's kind records; a stacked or bidirectional
        model is seen through its last layer's forward direction.
    """
    run_set = resolve(runs)
    scenario = run_set.scenario
    seed: int | None = None
    model: Any
    embedding = None
    if weights is None:
        seed = run_set.representative_seed(shipped)
        model = run_set.run(shipped, seed=seed).model()
        source = (f"{shipped.upper()} ({scenario.hidden_size} units) trained on "
                  "remember-the-first-symbol, "
                  f"lag {scenario.main_lag}, seed {seed} (the median of {len(scenario.seeds)} "
                  f"seeds' final loss), from {run_set.origin}")
    else:
        model, embedding = load_network(weights)
        source = "weights given"
    if inputs is None:
        x, symbol_step = _default_inputs(model, scenario, embedding)
    else:
        x = load_inputs(inputs, model.input_size, model.dtype, embedding=embedding)
        symbol_step = None
    if model.batch_first:
        model.batch_first = False  # x is time-major here, whatever the model was built with
    kind = kind_of(model)
    trace = model.forward(x.astype(model.dtype, copy=False))
    states = {name: np.asarray(trace.preact if name == "a" else getattr(trace, name))
              for name in QUANTITIES[kind]}
    return Recording(kind=kind, x=x, states=states, symbol_step=symbol_step, source=source,
                     activations=_activations(model), seed=seed)


def which_cell(cell: Any, weights: Any, train: bool | None) -> tuple[CellChoice | None, str]:
    """What ``cell=`` (with ``weights=`` and ``train=``) asks a data figure to show.

    Parameters
    ----------
    cell : None, str, os.PathLike or Cell
        The ``cell`` option.
    weights : optional
        The ``weights`` option.
    train : bool, optional
        The ``train`` option.

    Returns
    -------
    (CellChoice or None, str)
        The cell to simulate from its definition (None: the figure's own models draw it),
        and which shipped model shows otherwise (``"lstm"`` or ``"rnn"``).

    Raises
    ------
    LstmfigsError
        If ``train`` is asked of a model whose trained weights ship or are given, or the
        weights are not of the built-in cell named.
    """
    choice = choose(cell)
    builtin = None if choice is None else choice.builtin
    if train and weights is not None:
        raise LstmfigsError("train (--train) trains a cell from its definition; give weights "
                            "or train, not both")
    if train and (builtin in MODEL_KINDS or choice is None):
        raise LstmfigsError(f"train (--train): the {(builtin or 'lstm').upper()} draws from its "
                            "shipped runs ('lstmfigs train' retrains the scenario); train is "
                            "for a cell (--cell) without shipped weights")
    if choice is None or (weights is None and choice.shipped is not None):
        return None, (choice.shipped if choice is not None and choice.shipped else "lstm")
    if weights is not None and builtin is not None:
        kind = kind_of(load_model(weights))
        if kind.lower() != builtin:
            raise LstmfigsError(f"weights hold a {kind}, but cell= names '{builtin}'")
        return None, builtin
    return choice, "lstm"


def _with_symbol(data: dict[str, np.ndarray], recording: Recording) -> dict[str, np.ndarray]:
    if recording.symbol_step is not None:
        data["symbol_step"] = np.asarray(recording.symbol_step)
    if recording.seed is not None:
        data["seed"] = np.asarray(recording.seed)
    return data


def gate_heatmaps_data(*, weights: WeightsSource | None = None, inputs: InputsSource | None = None,
                       runs: RunsSource = None, cell: Any = None,
                       train: bool | None = None) -> dict[str, np.ndarray]:
    """The numbers of ``gate-heatmaps``: one sequence's gates and states.

    Parameters
    ----------
    weights, inputs, runs
        See :func:`record`.
    cell, train
        A cell from its definition (see :func:`which_cell`): then
        :func:`.cellmeasure.gate_heatmaps_data`'s numbers.

    Returns
    -------
    dict of str to ndarray
        ``time`` (T,), ``x`` (T, I) and each recorded quantity (T, H) of the first sequence:
        f, i, g, o, c, h (LSTM), r, z, n, h (GRU) or a, h (RNN); ``symbol_step`` for
        built-in inputs and ``seed`` for the built-in model.
    """
    choice, shipped = which_cell(cell, weights, train)
    if choice is not None:
        return cellmeasure.gate_heatmaps_data(choice, weights=weights, inputs=inputs,
                                              runs=runs, train=train)
    recording = record(weights, inputs, runs, shipped)
    return _with_symbol({"time": np.arange(recording.steps), **recording.sequence(0)}, recording)


def model_kind(data: Mapping[str, np.ndarray]) -> str:
    """The kind of model whose numbers a figure's mapping holds, told by its quantities.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`gate_heatmaps_data` or :func:`dynamics_dashboard_data` returned.

    Returns
    -------
    str
        ``"LSTM"`` (it has c), ``"GRU"`` (it has r) or ``"RNN"``.
    """
    return "LSTM" if "c" in data else "GRU" if "r" in data else "RNN"


def dynamics_dashboard_data(*, weights: WeightsSource | None = None,
                            inputs: InputsSource | None = None,
                            runs: RunsSource = None, cell: Any = None,
                            train: bool | None = None) -> dict[str, np.ndarray]:
    """The numbers of ``dynamics-dashboard`` for the first sequence.

    Parameters
    ----------
    weights, inputs, runs
        See :func:`record`.
    cell, train
        A cell from its definition (see :func:`which_cell`): then
        :func:`.cellmeasure.dynamics_dashboard_data`'s numbers.

    Returns
    -------
    dict of str to ndarray
        ``time``, ``x`` and every recorded quantity (T, H) (see :data:`QUANTITIES`);
        ``traced_{name}_units`` for the two quantities traced unit by unit (h and c for an
        LSTM, h and n for a GRU, h and a for an RNN); ``{name}_mean`` (T,) the mean over the
        units of each gate-like quantity (:data:`GATE_LIKE`); ``{state}_norm`` (T,) the
        Euclidean norms of the states; ``source`` (a sentence: which model ran);
        ``symbol_step`` and ``seed`` as for :func:`gate_heatmaps_data`.
    """
    choice, shipped = which_cell(cell, weights, train)
    if choice is not None:
        return cellmeasure.dynamics_dashboard_data(choice, weights=weights, inputs=inputs,
                                                   runs=runs, train=train)
    recording = record(weights, inputs, runs, shipped)
    seq = recording.sequence(0)
    kind = recording.kind
    traced = ("h", {"LSTM": "c", "GRU": "n", "RNN": "a"}[kind])
    data = {"time": np.arange(recording.steps), **seq,
            **{f"traced_{name}_units": traced_units(seq[name]) for name in traced}}
    for gate in GATE_LIKE[kind]:
        data[f"{gate}_mean"] = seq[gate].mean(axis=1)
    for state in STATES[kind]:
        data[f"{state}_norm"] = np.linalg.norm(seq[state], axis=1)
    data["source"] = np.asarray(recording.source)
    return _with_symbol(data, recording)


def dynamics_dashboard_summary(data: Mapping[str, np.ndarray]) -> dict[str, float | str]:
    """Mean and spread of each gate-like quantity over the sequence shown, and the final
    state ranges.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`dynamics_dashboard_data` returned.

    Returns
    -------
    dict of str to float or str
        ``source``, ``steps``, ``units``, ``{gate}_mean``/``{gate}_std`` and
        ``{state}_final_min``/``{state}_final_max``, four significant digits.
    """
    if "cell" in data:
        return cellmeasure.dynamics_dashboard_summary(data)
    kind = model_kind(data)
    summary: dict[str, float | str] = {"source": str(data["source"]), "steps": len(data["time"]),
                                       "units": int(data["h"].shape[-1])}
    for gate in GATE_LIKE[kind]:
        summary[f"{gate}_mean"] = _round(data[gate].mean())
        summary[f"{gate}_std"] = _round(data[gate].std())
    for state in STATES[kind]:
        summary[f"{state}_final_min"] = _round(data[state][-1].min())
        summary[f"{state}_final_max"] = _round(data[state][-1].max())
    return summary


def saturation_thresholds(data: Mapping[str, np.ndarray], name: str) -> tuple[float, float]:
    """The thresholds of one panel of gate-saturation: within 0.1 of either end of its range.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`gate_saturation_data` returned (or is computing).
    name : str
        The panel's quantity.

    Returns
    -------
    (float, float)
        (``low``, ``high``) for values in [0, 1]; (-``high``, ``high``) for values in
        [-1, 1] (``{name}_signed``).
    """
    low, high = float(data["low"]), float(data["high"])
    return (-high, high) if bool(data.get(f"{name}_signed", False)) else (low, high)


#: The panels of gate-saturation, in the order shown: the logistic gates of an LSTM (as in
#: Karpathy et al.), a GRU's gates and candidate, an RNN's state.
SATURATION_PANELS = {"LSTM": SIGMOID_GATES, "GRU": ("r", "z", "n"), "RNN": ("h",)}


def gate_saturation_data(
    *,
    weights: WeightsSource | None = None,
    inputs: InputsSource | None = None,
    runs: RunsSource = None,
    cell: Any = None,
    train: bool | None = None,
) -> dict[str, np.ndarray]:
    """The numbers of ``gate-saturation``, per unit over every step of every sequence.

    Parameters
    ----------
    weights, inputs, runs
        See :func:`record`.

    Returns
    -------
    dict of str to ndarray
        ``low`` (0.1) and ``high`` (0.9); for each panel (:data:`SATURATION_PANELS`: i, f, o
        of an LSTM, r, z, n of a GRU, h of an RNN) ``{name}_low`` (H,) the fraction of steps
        the unit is below its low threshold and ``{name}_high`` the fraction above its high
        one (:func:`saturation_thresholds`); ``{name}_signed`` (True) for a quantity on
        [-1, 1] (tanh).  A quantity whose activation does not saturate (relu, linear) has no
        panel; a model with none is an error.  A cell from its definition (``cell``,
        ``train``; see :func:`which_cell`): :func:`.cellmeasure.gate_saturation_data`.
    """
    choice, shipped = which_cell(cell, weights, train)
    if choice is not None:
        return cellmeasure.gate_saturation_data(choice, weights=weights, inputs=inputs,
                                                runs=runs, train=train)
    recording = record(weights, inputs, runs, shipped)
    data: dict[str, np.ndarray] = {"low": np.asarray(LOW), "high": np.asarray(HIGH)}
    for name in SATURATION_PANELS[recording.kind]:
        value_range = ACTIVATION_RANGES.get(recording.activations[name])
        if value_range is None:
            continue
        if value_range[0] < 0:
            data[f"{name}_signed"] = np.asarray(True)
        low, high = saturation_thresholds(data, name)
        values = recording.states[name].reshape(-1, recording.units)
        data[f"{name}_low"] = (values < low).mean(axis=0)
        data[f"{name}_high"] = (values > high).mean(axis=0)
    if not any(key.endswith("_high") for key in data):
        raise LstmfigsError(f"gate-saturation: this {recording.kind} has nothing that saturates "
                            f"({', '.join(sorted(set(recording.activations.values())))})")
    return data


def saturation_panels(data: Mapping[str, np.ndarray]) -> list[str]:
    """The panels of gate-saturation a mapping holds.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`gate_saturation_data` returned.

    Returns
    -------
    list of str
        Their quantities, in the order shown.
    """
    return [name for kind in ("LSTM", "GRU", "RNN") for name in SATURATION_PANELS[kind]
            if f"{name}_high" in data]


def gate_saturation_summary(data: Mapping[str, np.ndarray]) -> dict[str, float | str]:
    """How many units of each panel spend most of their time saturated either way.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`gate_saturation_data` returned.

    Returns
    -------
    dict of str to float or str
        ``{name}_units_mostly_below_{low}``, ``{name}_units_mostly_above_{high}`` and
        ``{name}_units`` for each panel.
    """
    if "cell" in data:
        return cellmeasure.gate_saturation_summary(data)
    summary: dict[str, float | str] = {}
    for name in saturation_panels(data):
        low, high = data[f"{name}_low"], data[f"{name}_high"]
        low_threshold, high_threshold = saturation_thresholds(data, name)
        summary[f"{name}_units_mostly_below_{low_threshold:g}"] = int((low > 0.5).sum())
        summary[f"{name}_units_mostly_above_{high_threshold:g}"] = int((high > 0.5).sum())
        summary[f"{name}_units"] = int(low.size)
    return summary


# ---------------------------------------------------------------------------- RNN vs LSTM
def rnn_vs_lstm_data(*, inputs: InputsSource | None = None,
                     runs: RunsSource = None) -> dict[str, np.ndarray]:
    """The numbers of ``rnn-vs-lstm``.

    Parameters
    ----------
    inputs : str, os.PathLike, array or Inputs, optional
        The sequences (by default the scenario's); the first is shown.
    runs : RunsSource
        The run set (the shipped one by default).

    Returns
    -------
    dict of str to ndarray
        The representative trained RNN's and LSTM's hidden states ``{model}_h`` (T, H) on
        the same sequence: each model's run at the main lag whose final loss is the median
        of its seeds (``{model}_seed``, never a lucky seed).  Also ``time``, ``x`` (T, I),
        each model's ``{model}_prediction`` (its readout's pick at the end) and, for
        built-in inputs, ``target`` and ``symbol_step``.
    """
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


def rnn_vs_lstm_summary(data: Mapping[str, np.ndarray]) -> dict[str, float | str]:
    """Each model's seed, hidden-state range and prediction.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`rnn_vs_lstm_data` returned.

    Returns
    -------
    dict of str to float or str
    """
    summary: dict[str, float | str] = {}
    for kind in MODEL_KINDS:
        summary[f"{kind}_seed"] = int(data[f"{kind}_seed"])
        summary[f"{kind}_h_range"] = (
            f"[{data[f'{kind}_h'].min():.3g}, {data[f'{kind}_h'].max():.3g}]"
        )
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
    """The cases of the built-in gradient-decay figure.

    Parameters
    ----------
    scenario : Scenario, optional
        The scenario measured (the built-in one by default).

    Returns
    -------
    list of DecayCurve
        The trained LSTM and RNN, an untrained LSTM per forget bias, the untrained RNN.
    """
    scenario = resolve(None).scenario if scenario is None else scenario
    return _decay_curves(scenario.main_lag, scenario.untrained_forget_biases)


def decay_curves_of(data: Mapping[str, np.ndarray]) -> list[DecayCurve]:
    """The cases of the built-in gradient-decay figure whose numbers a mapping holds.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`gradient_decay_data` returned for the built-in scenario.

    Returns
    -------
    list of DecayCurve
        As :func:`decay_curves` for the scenario measured.
    """
    return _decay_curves(int(data["main_lag"]), tuple(data["untrained_forget_biases"].tolist()))


def _decay_curves(main_lag: int, biases: tuple[float, ...]) -> list[DecayCurve]:
    curves = [DecayCurve("lstm", f"LSTM trained (lag {main_lag})", "lstm", True),
              DecayCurve("rnn", f"RNN trained (lag {main_lag})", "rnn", True)]
    for bias in biases:
        curves.append(DecayCurve(f"lstm_untrained_bias{bias:g}",
                                 f"LSTM untrained, $b_f = {bias:g}$", "lstm", False, bias))
    curves.append(DecayCurve("rnn_untrained", "RNN untrained", "rnn", False))
    return curves


def _probe_inputs(scenario: Scenario) -> np.ndarray:
    task = tasks.FirstSymbol(lag=scenario.probe_lag, n_symbols=scenario.n_symbols,
                             seed=scenario.sample_seed + 1)
    return task.sample(scenario.probe_batch)[0].astype(np.float64)


def _decay_rows(model: LSTM | RNN, x: np.ndarray) -> dict[str, np.ndarray]:
    """Median over sequences of each norm (float64 model): ``""`` the whole state,
    ``"_via_h"`` the h-only path (LSTM)."""
    trace = model.forward(x)
    rows = {"": np.median(model.jacobian_norms(trace, whole_state=True)[1], axis=1)}
    if isinstance(model, LSTM):
        rows["_via_h"] = np.median(model.jacobian_norms(trace)[1], axis=1)
    return rows


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
                model = run_set.run(curve.model, seed=seed).model(dtype="float64")
            elif curve.model == "lstm":
                model = scenario.untrained_lstm(curve.forget_bias or 0.0, seed)
            else:
                model = scenario.untrained_rnn(seed)
            for suffix, row in _decay_rows(model, x).items():
                rows.setdefault(suffix, []).append(row)
        for suffix, per_seed in rows.items():
            data[f"{curve.key}{suffix}_seeds"] = np.stack(per_seed)
            data[f"{curve.key}{suffix}"] = np.median(data[f"{curve.key}{suffix}_seeds"], axis=0)
    data["main_lag"] = np.asarray(scenario.main_lag)
    data["untrained_forget_biases"] = np.asarray(scenario.untrained_forget_biases, dtype=float)
    data["lstm_label"] = np.asarray(scenario.lstm_label)
    return data


def _user_gradient_decay(weights: WeightsSource, inputs: InputsSource | None,
                         runs: RunsSource) -> dict[str, np.ndarray]:
    """A user's model: see :func:`gradient_decay_data`."""
    run_set = resolve(runs)
    model: Any
    model, embedding = load_network(weights)
    if inputs is None:
        x, _ = _default_inputs(model, run_set.scenario, embedding)
    else:
        x = load_inputs(inputs, model.input_size, model.dtype, embedding=embedding)
    model.batch_first = False  # x is time-major here, whatever the model was built with
    # The inputs in the model's own dtype, the Jacobians in float64 (no underflow).
    x = x.astype(model.dtype).astype(np.float64)
    model = model.astype("float64")
    trace = model.forward(x)
    lags, whole = model.jacobian_norms(trace, whole_state=True)
    data = {
        "lag": lags,
        "whole": np.median(whole, axis=1),
        "whole_low": np.quantile(whole, 0.25, axis=1),
        "whole_high": np.quantile(whole, 0.75, axis=1),
        "sequences": np.asarray(whole.shape[1]),
        "model": np.asarray(describe(model)),
    }
    if model.has_cell:
        data["via_h"] = np.median(model.jacobian_norms(trace)[1], axis=1)
    return data


def gradient_decay_data(*, runs: RunsSource = None, weights: WeightsSource | None = None,
                        inputs: InputsSource | None = None, cell: Any = None,
                        train: bool | None = None) -> dict[str, np.ndarray]:
    """The numbers of ``gradient-decay``: gradient norm against lag by exact BPTT in float64.

    Parameters
    ----------
    runs : RunsSource
        The run set (the shipped one by default).
    weights, inputs : optional
        A user's model and its sequences (see :func:`record`), measured instead.
    cell, train
        A cell from its definition (see :func:`which_cell`): then
        :func:`.cellmeasure.gradient_decay_data`'s numbers.

    Returns
    -------
    dict of str to ndarray
        Built-in: ``lag`` (L,) = 0, 1, ..., probe_lag.  For every curve (see
        :func:`decay_curves`) an array (L,): the median over seeds of each seed's median
        over ``probe_batch`` remember-the-first-symbol sequences, and ``{key}_seeds`` (S, L)
        one row per seed (``seed`` (S,)).  LSTM curves (``lstm``, ``lstm_untrained_bias{b}``)
        are ||dh_T/d(h_{T-k}, c_{T-k})||_F over the whole state; ``{key}_via_h`` holds the
        h-only path ||dh_T/dh_{T-k}||_F with c held fixed.  RNN curves are ||dh_T/dh_{T-k}||_F.
        ``lstm`` and ``rnn`` are the trained models (every seed at the main lag).  Also the
        scenario's ``main_lag``, ``untrained_forget_biases`` and ``lstm_label``.

        With ``weights``: ``lag`` (T,); ``whole`` (T,) the median over the sequences of
        ||dh_T / ds_{T-k}||_F over the whole state s (h, c for an LSTM; h otherwise),
        ``whole_low``/``whole_high`` their quartiles; for an LSTM also ``via_h`` (c held
        fixed); ``sequences``; ``model`` (a description).  Last layer, forward direction.
    """
    choice, shipped = which_cell(cell, weights, train)
    if choice is not None:
        reference = None if weights is not None else _gradient_decay(resolve(runs))
        return cellmeasure.gradient_decay_data(choice, weights=weights, inputs=inputs,
                                               runs=runs, train=train, reference=reference)
    if weights is not None:
        return _user_gradient_decay(weights, inputs, runs)
    return {key: value.copy() for key, value in _gradient_decay(resolve(runs)).items()}


def gradient_decay_summary(data: Mapping[str, np.ndarray]) -> dict[str, float | str]:
    """The gradient norms at the main lag (a user's model: at lag 10 and the last).

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`gradient_decay_data` returned.

    Returns
    -------
    dict of str to float or str
    """
    if "curves" in data:  # a cell from its definition
        return cellmeasure.gradient_decay_summary(data)
    if "whole" in data:  # a user's model
        last = int(data["lag"][-1])
        summary: dict[str, float | str] = {
            f"whole_state_at_lag{lag}": _round(data["whole"][lag])
            for lag in sorted({min(10, last), last})}
        if "via_h" in data:
            summary[f"h_only_at_lag{last}"] = _round(data["via_h"][last])
        return summary
    lag = int(data["main_lag"])
    summary = {}
    for curve in decay_curves_of(data):
        summary[f"{curve.key}_at_lag{lag}"] = _round(data[curve.key][lag])
        if f"{curve.key}_via_h" in data:
            summary[f"{curve.key}_via_h_at_lag{lag}"] = _round(data[f"{curve.key}_via_h"][lag])
    summary[f"lstm_over_rnn_at_lag{lag}"] = _round(data["lstm"][lag] / data["rnn"][lag])
    return summary


# ---------------------------------------------------------------------------- training results
def _scenario_labels(scenario: Scenario) -> dict[str, np.ndarray]:
    """What the legends of the training figures say about the scenario."""
    return {"hidden_size": np.asarray(scenario.hidden_size), "updates": np.asarray(scenario.steps),
            "lstm_label": np.asarray(scenario.lstm_label)}


def lag_accuracy_data(*, runs: RunsSource = None, cell: Any = None,
                      train: bool | None = None) -> dict[str, np.ndarray]:
    """The numbers of ``lag-accuracy``: final accuracy (the trainer's last evaluation, on
    fresh sequences) at each lag.

    Parameters
    ----------
    runs : RunsSource
        The run set (the shipped one by default).
    cell, train
        A cell from its definition, trained at every lag (see :func:`which_cell` and
        :func:`.cellmeasure.lag_accuracy_data`), drawn beside the LSTM and RNN.

    Returns
    -------
    dict of str to ndarray
        ``lag`` (L,); ``{model}_seeds`` (S, L) one row per seed (``seed`` (S,)); ``{model}``
        (L,) the median over seeds; ``{model}_solved`` (L,) the fraction of seeds whose final
        accuracy reaches ``solved_at`` (0.9); ``chance`` the chance level 1/K; the scenario's
        ``hidden_size``, ``updates`` (training steps) and ``lstm_label``.
    """
    choice, _ = which_cell(cell, None, train)
    if choice is not None:  # the cell's runs beside the run set's models
        run_set = cellmeasure.trained(choice, "lag-accuracy", runs, train, all_lags=True)
        return {**lag_accuracy_data(runs=run_set), **cellmeasure.lag_accuracy_data(choice,
                                                                                   run_set)}
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
    return {**data, **_scenario_labels(scenario)}


def lag_accuracy_summary(data: Mapping[str, np.ndarray]) -> dict[str, float | str]:
    """Each model's median accuracy and solved seeds at each lag.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`lag_accuracy_data` returned.

    Returns
    -------
    dict of str to float or str
    """
    seeds = len(data["seed"])
    summary: dict[str, float | str] = {"chance": _round(float(data["chance"]))}
    for kind in (*MODEL_KINDS, "cell") if "cell_seeds" in data else MODEL_KINDS:
        for lag, accuracy, solved in zip(data["lag"], data[kind], data[f"{kind}_solved"],
                                         strict=True):
            summary[f"{kind}_lag{lag}"] = (f"median accuracy {_round(float(accuracy)):g}, "
                                           f"{round(solved * seeds)} of {seeds} seeds solved")
    return summary


def learning_curves_data(*, runs: RunsSource = None, cell: Any = None,
                         train: bool | None = None) -> dict[str, np.ndarray]:
    """The numbers of ``learning-curves``: the trainer's history at the main lag.

    Parameters
    ----------
    runs : RunsSource
        The run set (the shipped one by default).
    cell, train
        A cell from its definition, trained at the main lag (see :func:`which_cell` and
        :func:`.cellmeasure.learning_curves_data`), drawn beside the LSTM and RNN.

    Returns
    -------
    dict of str to ndarray
        ``step`` (N,); ``{model}_{loss,accuracy}`` (N,) the median over seeds and
        ``..._seeds`` (S, N); ``chance`` and ``baseline_loss`` (ln K, the loss of the best
        input-blind guess); ``lag``; the scenario's ``hidden_size``, ``updates`` and
        ``lstm_label``.
    """
    choice, _ = which_cell(cell, None, train)
    if choice is not None:  # the cell's runs beside the run set's models
        run_set = cellmeasure.trained(choice, "learning-curves", runs, train)
        return {**learning_curves_data(runs=run_set),
                **cellmeasure.learning_curves_data(choice, run_set)}
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
    return {**data, **_scenario_labels(scenario)}


def learning_curves_summary(data: Mapping[str, np.ndarray]) -> dict[str, float | str]:
    """Each model's final median accuracy and loss.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`learning_curves_data` returned.

    Returns
    -------
    dict of str to float or str
    """
    summary: dict[str, float | str] = {"lag": int(data["lag"]), "steps": int(data["step"][-1])}
    for kind in (*MODEL_KINDS, "cell") if "cell_loss" in data else MODEL_KINDS:
        summary[f"{kind}_final_accuracy_median"] = _round(data[f"{kind}_accuracy"][-1])
        summary[f"{kind}_final_loss_median"] = _round(data[f"{kind}_loss"][-1])
    return summary
