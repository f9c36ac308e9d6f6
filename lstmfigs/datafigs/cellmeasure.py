"""The numbers of the data figures for a cell defined by its equations (``cell=``).

Each function returns what :mod:`.measure`'s function of the same name returns for the
scenario's models, in a form that names the cell's own quantities: every key of a
quantity is ``cell/NAME`` (a user's name can never collide with ``time`` or ``x``), and
``quantities``, ``symbols`` (mathtext, from the definition's ``[symbols]``), ``kinds``
(``gate``, ``state`` or ``quantity``), ``functions`` (each equation's outer function, or
empty), ``scales`` (``gate`` for a sigmoid output, drawn on
the fixed [0, 1]; ``signed`` otherwise, on a symmetric scale) and ``limits`` say how to
show them.  ``cell`` names the cell.

The cell is untrained (PyTorch's initialisation), trained with ``train=True`` (its runs at
the scenario's settings, :mod:`.cellruns`) or given its weights (``weights=``: an ``.npz``
of its parameters by name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..cells.equations import base_symbol
from ..errors import LstmfigsError
from ..loader import InputsSource, WeightsSource, load_inputs, read_weights
from ..sim import tasks
from . import cellruns
from .cellruns import CELL, CellChoice, CellNetwork
from .runs import RunSet, RunsSource, resolve
from .scenario import SOLVED, Scenario
from .summaries import round4, traced_units

#: The range of a saturating activation's values (the others do not saturate).
SATURATING = {"sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
#: Functions whose output lies in [-1, 1]: a symmetric scale of half-width 1.
UNIT_BOUNDED = ("tanh",)
#: Saturation thresholds of Karpathy, Johnson & Fei-Fei (2015).
LOW, HIGH = 0.1, 0.9


@dataclass
class CellRecording:
    """One run of a cell over a batch: ``x`` (T, B, I), each vector quantity (T, B, n)
    in the definition's order, quantities that are not vectors (``skipped``, e.g. a
    matrix-valued state), where the symbol was shown, what ran, and its seed."""

    choice: CellChoice
    x: np.ndarray
    values: dict[str, np.ndarray]
    skipped: tuple[str, ...]
    symbol_step: int | None
    source: str
    seed: int | None


def _sizes_from(cell: Any, arrays: Mapping[str, np.ndarray], where: str) -> tuple[int, int]:
    """(I, H) read off the shapes of a cell's parameters: every dimension the definition
    gives as a sum of named sizes is one equation."""
    missing = [name for name in cell.parameters if name not in arrays]
    extra = [name for name in arrays if name not in cell.parameters]
    if missing or extra:
        what = (f"lacks {', '.join(missing[:3])}" if missing
                else f"has {', '.join(extra[:3])}, which the cell does not use")
        raise LstmfigsError(f"{where}: the cell '{cell.name}' has parameters "
                            f"{', '.join(cell.parameters)}; the file {what}")
    known = {name: size for name, size in cell.sizes.items() if size is not None}
    dims: list[tuple[Any, int]] = []
    for name, parameter in cell.parameters.items():
        shape = np.shape(arrays[name])
        if len(shape) != len(parameter.shape):
            raise LstmfigsError(f"{where}: '{name}' should have {len(parameter.shape)} "
                                f"dimension(s), not {len(shape)}")
        dims += list(zip(parameter.shape, shape, strict=True))
    for _ in range(3):  # each pass solves the dimensions with one unknown size left
        for size, value in dims:
            unknown = [(n, k) for n, k in size.terms if n not in known]
            if len(unknown) == 1:
                rest = size.constant + sum(k * known[n] for n, k in size.terms if n in known)
                name, factor = unknown[0]
                if (value - rest) % factor == 0 and value > rest:
                    known[name] = (value - rest) // factor
    if "H" not in known or "I" not in known:
        raise LstmfigsError(f"{where}: the shapes of the cell's parameters do not say its "
                            "input and state sizes")
    for (size, value), name in zip(dims, [n for n, p in cell.parameters.items()
                                          for _ in p.shape], strict=True):
        if size.resolve(known) != value:
            raise LstmfigsError(f"{where}: '{name}' has a dimension {value} where the cell "
                                f"needs {size} = {size.resolve(known)}")
    return known["I"], known["H"]


def _weights_model(cell: Any, weights: WeightsSource) -> CellNetwork:
    """A cell's model holding the parameters of an ``.npz`` (or a mapping) by name."""
    if isinstance(weights, Mapping):
        arrays = {str(k): np.asarray(v) for k, v in weights.items()}
        where = "weights"
    else:
        arrays = read_weights(weights)  # type: ignore[arg-type]
        where = f"weights file '{weights}'"
    input_size, hidden_size = _sizes_from(cell, arrays, where)
    dtype = "float64" if any(a.dtype == np.float64 for a in arrays.values()) else "float32"
    model = CellNetwork(cell, input_size, hidden_size, dtype=dtype)
    model.load_state_dict({k: v.astype(dtype) for k, v in arrays.items()})
    return model


def _sequences(model: CellNetwork, scenario: Scenario,
               inputs: InputsSource | None) -> tuple[np.ndarray, int | None]:
    if inputs is not None:
        return load_inputs(inputs, model.input_size, model.dtype), None
    if model.input_size == scenario.input_size:
        return scenario.sample()[0].astype(model.dtype), 0
    if model.input_size >= 3:
        task = tasks.FirstSymbol(lag=scenario.main_lag, n_symbols=model.input_size - 1,
                                 seed=scenario.sample_seed)
        return task.sample(scenario.sample_batch)[0].astype(model.dtype), 0
    raise LstmfigsError(f"the cell takes {model.input_size} input feature(s), too few for "
                        "the built-in task; give an input sequence (--input / inputs=)")


def _untrained(cell: Any, scenario: Scenario, seed: int, dtype: str = "float32",
               **options: Any) -> CellNetwork:
    return CellNetwork(cell, scenario.input_size, scenario.hidden_size, seed=seed,
                       dtype=dtype, **options)


def record(choice: CellChoice, *, weights: WeightsSource | None = None,
           inputs: InputsSource | None = None, runs: RunsSource = None,
           train: bool | None = None) -> CellRecording:
    """Run a cell over the scenario's sequences (or ``inputs``).

    Parameters
    ----------
    choice : CellChoice
        The cell (:func:`.cellruns.choose`).
    weights : str, os.PathLike or mapping, optional
        Its parameters by name (an ``.npz``); else untrained, or trained with ``train``.
    inputs : str, os.PathLike, array or Inputs, optional
        The sequences (by default the scenario's remember-the-first-symbol sequences).
    runs : RunsSource
        The run set whose scenario says the sizes and the training.
    train : bool, optional
        Train the cell (:func:`.cellruns.with_trained_cell`) and show the run of the
        median seed at the main lag.

    Returns
    -------
    CellRecording
    """
    run_set = resolve(runs)
    scenario = run_set.scenario
    cell = choice.cell
    seed: int | None = None
    if weights is not None:
        model = _weights_model(cell, weights)
        source = f"cell '{cell.name}', weights given"
    elif train:
        run_set = cellruns.with_trained_cell(run_set, cell)
        seed = run_set.representative_seed(CELL)
        run = run_set.run(CELL, seed=seed)
        model = cellruns.trained_model(run)
        source = (f"{cell.name} ({scenario.hidden_size} units) trained on "
                  f"remember-the-first-symbol, lag {scenario.main_lag}, seed {seed} (the median "
                  f"of {len(scenario.seeds)} seeds' final loss), on this machine")
    else:
        seed = scenario.seeds[0]
        model = _untrained(cell, scenario, seed)
        source = (f"{cell.name} ({scenario.hidden_size} units), untrained (PyTorch init, "
                  f"seed {seed})")
    x, symbol_step = _sequences(model, scenario, inputs)
    trace = model.forward(x)
    values: dict[str, np.ndarray] = {}
    skipped = []
    for name in cell.quantities:
        value = np.asarray(trace[name])
        if value.ndim == 2:  # a scalar per step: one row
            value = value[..., None]
        if value.ndim != 3:
            skipped.append(name)
            continue
        values[name] = value
    return CellRecording(choice, x, values, tuple(skipped), symbol_step, source, seed)


def _kind(cell: Any, name: str) -> str:
    """``gate``, ``state`` or ``quantity`` (anything else the equations define)."""
    return "gate" if name in cell.gates else "state" if name in cell.states else "quantity"


def _describe(recording: CellRecording, names: Sequence[str],
              values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """How to show each quantity: name, symbol, scale and (signed) limit."""
    cell = recording.choice.cell
    scales, limits = [], []
    for name in names:
        activation = cell.activation(name)
        if name in cell.gates:
            scales.append("gate")
            limits.append(1.0)
            continue
        scales.append("signed")
        largest = float(np.nanmax(np.abs(values[name]))) if values[name].size else 0.0
        bound = 1.0 if activation in UNIT_BOUNDED else largest
        limits.append(bound if np.isfinite(bound) and bound > 0 else 1.0)
    data = {"cell": np.asarray(cell.name), "cell_title": np.asarray(cell.title or cell.name),
            "quantities": np.asarray(list(names), dtype=str),
            "symbols": np.asarray([base_symbol(cell, name) for name in names], dtype=str),
            "scales": np.asarray(scales, dtype=str), "limits": np.asarray(limits),
            "kinds": np.asarray([_kind(cell, name) for name in names], dtype=str),
            "functions": np.asarray([cell.activation(name) or "" for name in names], dtype=str),
            "states": np.asarray(list(cell.states), dtype=str),
            "output": np.asarray(cell.output), "source": np.asarray(recording.source)}
    if recording.skipped:
        data["skipped"] = np.asarray(list(recording.skipped), dtype=str)
    if recording.symbol_step is not None:
        data["symbol_step"] = np.asarray(recording.symbol_step)
    if recording.seed is not None:
        data["seed"] = np.asarray(recording.seed)
    return data


def _check_finite(recording: CellRecording, sequence: dict[str, np.ndarray]) -> None:
    for name, value in sequence.items():
        if not np.isfinite(value).all():
            raise LstmfigsError(f"cell '{recording.choice.cell.name}': '{name}' overflows "
                                "(inf or NaN) on these sequences")


def gate_heatmaps_data(choice: CellChoice, **options: Any) -> dict[str, np.ndarray]:
    """The numbers of ``gate-heatmaps`` for a cell: every vector quantity of its first
    sequence, in the definition's order.

    Parameters
    ----------
    choice : CellChoice
        The cell.
    **options
        ``weights``, ``inputs``, ``runs``, ``train`` (see :func:`record`).

    Returns
    -------
    dict of str to ndarray
        ``time`` (T,), ``x`` (T, I), ``cell/NAME`` (T, n) for each of ``quantities``, and
        how to show them (see the module docstring).
    """
    recording = record(choice, **options)
    sequence = {name: value[:, 0] for name, value in recording.values.items()}
    _check_finite(recording, sequence)
    names = list(sequence)
    return {"time": np.arange(recording.x.shape[0]), "x": recording.x[:, 0],
            **{f"cell/{name}": value for name, value in sequence.items()},
            **_describe(recording, names, sequence)}


def dynamics_dashboard_data(choice: CellChoice, **options: Any) -> dict[str, np.ndarray]:
    """The numbers of ``dynamics-dashboard`` for a cell.

    Parameters
    ----------
    choice : CellChoice
        The cell.
    **options
        ``weights``, ``inputs``, ``runs``, ``train`` (see :func:`record`).

    Returns
    -------
    dict of str to ndarray
        What :func:`gate_heatmaps_data` returns, and ``traced`` (the output and the first
        other state, or the first quantity that is not a gate) with ``cell/NAME/traced``
        (the four units that vary most), ``cell/NAME/mean`` (T,) the mean over units of
        each gate, and ``cell/NAME/norm`` (T,) the norm of each state that is not a gate.
    """
    data = gate_heatmaps_data(choice, **options)
    cell = choice.cell
    names = [str(name) for name in data["quantities"]]
    others = [n for n in cell.states if n != cell.output and n in names] + \
        [n for n in names if n not in cell.gates and n != cell.output]
    traced = [cell.output] + others[:1] if cell.output in names else others[:2]
    data["traced"] = np.asarray(traced, dtype=str)
    for name in traced:
        data[f"cell/{name}/traced"] = traced_units(data[f"cell/{name}"])
    for name in names:
        if name in cell.gates:
            data[f"cell/{name}/mean"] = data[f"cell/{name}"].mean(axis=1)
        if name in cell.states and name not in cell.gates:  # (a gate kept as a state: its mean)
            data[f"cell/{name}/norm"] = np.linalg.norm(data[f"cell/{name}"], axis=1)
    return data


def dynamics_dashboard_summary(data: Mapping[str, np.ndarray]) -> dict[str, float | str]:
    """Mean and spread of each gate over the sequence shown, and the final state ranges.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`dynamics_dashboard_data` returned.

    Returns
    -------
    dict of str to float or str
    """
    summary: dict[str, float | str] = {"cell": str(data["cell"]), "source": str(data["source"]),
                                       "steps": len(data["time"])}
    for name, scale in zip(data["quantities"], data["scales"], strict=True):
        values = data[f"cell/{name}"]
        if scale == "gate":
            summary[f"{name}_mean"] = round4(values.mean())
            summary[f"{name}_std"] = round4(values.std())
    for name in data["states"]:
        if f"cell/{name}" in data:
            summary[f"{name}_final_min"] = round4(data[f"cell/{name}"][-1].min())
            summary[f"{name}_final_max"] = round4(data[f"cell/{name}"][-1].max())
    return summary


def gate_saturation_data(choice: CellChoice, **options: Any) -> dict[str, np.ndarray]:
    """The numbers of ``gate-saturation`` for a cell: per unit of each quantity whose
    activation saturates (sigmoid and hard sigmoid gates on [0, 1], tanh on [-1, 1]), the
    fraction of steps of every sequence below 0.1 (-0.9) and above 0.9.

    Parameters
    ----------
    choice : CellChoice
        The cell.
    **options
        ``weights``, ``inputs``, ``runs``, ``train`` (see :func:`record`).

    Returns
    -------
    dict of str to ndarray
        ``low`` and ``high`` (0.1, 0.9); ``panels`` (the quantities) with their
        ``symbols``, ``functions`` and ``signed`` (bool); ``cell/NAME/low`` and
        ``cell/NAME/high`` (n,); ``cell`` and ``source``.

    Raises
    ------
    LstmfigsError
        If nothing in the cell saturates.
    """
    recording = record(choice, **options)
    cell = choice.cell
    data: dict[str, np.ndarray] = {"low": np.asarray(LOW), "high": np.asarray(HIGH),
                                   "cell": np.asarray(cell.name),
                                   "source": np.asarray(recording.source)}
    panels, signed = [], []
    for name, value in recording.values.items():
        value_range = SATURATING.get(cell.activation(name) or "")
        if value_range is None:
            continue
        is_signed = value_range[0] < 0
        low, high = (-HIGH, HIGH) if is_signed else (LOW, HIGH)
        flat = value.reshape(-1, value.shape[-1])
        data[f"cell/{name}/low"] = (flat < low).mean(axis=0)
        data[f"cell/{name}/high"] = (flat > high).mean(axis=0)
        panels.append(name)
        signed.append(is_signed)
    if not panels:
        functions = sorted({cell.activation(name) or "none" for name in cell.quantities})
        raise LstmfigsError(f"gate-saturation: nothing in cell '{cell.name}' saturates (its "
                            f"equations' outer functions: {', '.join(functions)})")
    data["panels"] = np.asarray(panels, dtype=str)
    data["symbols"] = np.asarray([base_symbol(cell, name) for name in panels], dtype=str)
    data["signed"] = np.asarray(signed)
    data["functions"] = np.asarray([cell.activation(name) or "" for name in panels], dtype=str)
    return data


def gate_saturation_summary(data: Mapping[str, np.ndarray]) -> dict[str, float | str]:
    """How many units of each panel spend most of their time saturated either way.

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`gate_saturation_data` returned.

    Returns
    -------
    dict of str to float or str
    """
    summary: dict[str, float | str] = {"cell": str(data["cell"])}
    for name, signed in zip(data["panels"], data["signed"], strict=True):
        low, high = data[f"cell/{name}/low"], data[f"cell/{name}/high"]
        below = -float(data["high"]) if signed else float(data["low"])
        summary[f"{name}_units_mostly_below_{below:g}"] = int((low > 0.5).sum())
        summary[f"{name}_units_mostly_above_{float(data['high']):g}"] = int((high > 0.5).sum())
        summary[f"{name}_units"] = int(low.size)
    return summary


# ---------------------------------------------------------------------------- gradient decay
def whole_state_norms(model: CellNetwork,
                      x: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """||d output_T / d s_{T-k}||_F over the whole state s (every state of the cell), and
    through each state alone (the others held fixed), per sequence, in float64.

    Parameters
    ----------
    model : CellNetwork
        A float64 model.
    x : ndarray
        Sequences (T, B, I).

    Returns
    -------
    whole : ndarray
        (T, B): ``whole[k]`` at lag k.
    per_state : dict of str to ndarray
        Each state's (T, B).
    """
    result = model.model.jacobian_norms(x)
    return result.norms, result.states


def _probe(scenario: Scenario) -> np.ndarray:
    task = tasks.FirstSymbol(lag=scenario.probe_lag, n_symbols=scenario.n_symbols,
                             seed=scenario.sample_seed + 1)
    return task.sample(scenario.probe_batch)[0].astype(np.float64)


def _median_rows(models: Sequence[CellNetwork], x: np.ndarray,
                 states: Sequence[str]) -> dict[str, np.ndarray]:
    """Per model (seed), the median over sequences: ``""`` the whole state, ``"/NAME"``
    each of ``states`` alone; stacked (S, L)."""
    rows: dict[str, list[np.ndarray]] = {}
    for model in models:
        whole, per_state = whole_state_norms(model, x)
        rows.setdefault("", []).append(np.median(whole, axis=1))
        for name in states:
            rows.setdefault(f"/{name}", []).append(np.median(per_state[name], axis=1))
    return {key: np.stack(value) for key, value in rows.items()}


def gradient_decay_data(choice: CellChoice, *, weights: WeightsSource | None = None,
                        inputs: InputsSource | None = None, runs: RunsSource = None,
                        train: bool | None = None,
                        reference: Mapping[str, np.ndarray] | None = None
                        ) -> dict[str, np.ndarray]:
    """The numbers of ``gradient-decay`` for a cell, by exact BPTT in float64 over its
    whole state (all its states at once, Pascanu et al. 2013), with the trained LSTM and
    RNN of the run set for reference.

    Parameters
    ----------
    choice : CellChoice
        The cell.
    weights : optional
        Its parameters (see :func:`record`): then that one model on ``inputs`` (or the
        probe sequences) instead of seeds.
    inputs : optional
        Sequences for a model given by ``weights``.
    runs : RunsSource
        The run set (its scenario: sizes, seeds, probe sequences; its LSTM and RNN).
    train : bool, optional
        Also the cell trained at the main lag (every seed).
    reference : mapping of str to ndarray, optional
        The run set's own gradient-decay numbers
        (:func:`lstmfigs.datafigs.measure.gradient_decay_data`): its trained LSTM and RNN
        are drawn for reference.

    Returns
    -------
    dict of str to ndarray
        ``lag`` (L,); ``curves`` (keys: ``cell_trained``, ``cell_untrained``,
        ``cell_given``, ``lstm``, ``rnn``), ``labels`` and ``kinds`` (``cell``,
        ``cell-untrained``, ``lstm``, ``rnn``) of the curves; for each key (L,) the median
        over seeds of each seed's median over the probe sequences and ``KEY_seeds``
        (S, L); for the cell's main curve ``KEY/STATE`` through each state alone (cells
        with several states; not for a state that is a gate); ``seed``; ``cell``;
        ``states`` and their ``symbols``; ``output_symbol``; ``main_lag``.
    """
    run_set = resolve(runs)
    scenario = run_set.scenario
    cell = choice.cell
    x = _probe(scenario)
    data: dict[str, np.ndarray] = {"cell": np.asarray(cell.name),
                                   "states": np.asarray(list(cell.states), dtype=str),
                                   "symbols": np.asarray(
                                       [base_symbol(cell, s) for s in cell.states], dtype=str),
                                   "output_symbol": np.asarray(base_symbol(cell, cell.output)),
                                   "main_lag": np.asarray(scenario.main_lag)}
    curves: list[tuple[str, str, str, list[CellNetwork]]] = []
    if weights is not None:
        model = _weights_model(cell, weights).model
        given = CellNetwork(cell, model.input_size, model.hidden_size, dtype="float64")
        given.load_state_dict({k: v.astype(np.float64) for k, v in model.params.items()})
        if inputs is not None:
            x = load_inputs(inputs, given.input_size, np.float64)
        elif given.input_size != scenario.input_size:
            x = _sequences(given, scenario, None)[0].astype(np.float64)
        curves.append(("cell_given", f"{cell.name}, weights given", "cell", [given]))
    else:
        if train:
            trained = cellruns.with_trained_cell(run_set, cell)
            models = [cellruns.trained_model(run, "float64") for run in trained.seed_runs(CELL)]
            init, bias = cellruns.start(cell, scenario)
            curves.append(("cell_trained", f"{cell.name} trained (lag {scenario.main_lag}, "
                           f"{cellruns.start_label(init, bias)})", "cell", models))
        untrained = [_untrained(cell, scenario, seed, "float64") for seed in scenario.seeds]
        curves.append(("cell_untrained", f"{cell.name} untrained (PyTorch init)",
                       "cell-untrained", untrained))
    # Each state alone for the main curve, when there are several (a gate the cell keeps as
    # a state, as FGR does, is left to the whole state: its own curve says little).
    alone = [s for s in cell.states if s not in cell.gates] if len(cell.states) > 1 else []
    data["lag"] = np.arange(x.shape[0])
    data["seed"] = np.asarray(scenario.seeds if weights is None else [0])
    for index, (key, _, _, models) in enumerate(curves):
        for suffix, rows in _median_rows(models, x, alone if index == 0 else ()).items():
            data[f"{key}{suffix}_seeds"] = rows
            data[f"{key}{suffix}"] = np.median(rows, axis=0)
    if reference is not None:
        for kind, label in (("lstm", f"LSTM trained ({scenario.lstm_label})"),
                            ("rnn", "RNN trained")):
            length = min(len(reference["lag"]), len(data["lag"]))
            data[kind] = reference[kind][:length]
            data[f"{kind}_seeds"] = reference[f"{kind}_seeds"][:, :length]
            curves.append((kind, label, kind, []))
    data["curves"] = np.asarray([key for key, _, _, _ in curves], dtype=str)
    data["labels"] = np.asarray([label for _, label, _, _ in curves], dtype=str)
    data["kinds"] = np.asarray([kind for _, _, kind, _ in curves], dtype=str)
    return data


def gradient_decay_summary(data: Mapping[str, np.ndarray]) -> dict[str, float | str]:
    """Each curve's norm at the main lag (or the last lag measured).

    Parameters
    ----------
    data : mapping of str to ndarray
        What :func:`gradient_decay_data` returned.

    Returns
    -------
    dict of str to float or str
    """
    lag = min(int(data["main_lag"]), int(data["lag"][-1]))
    return {f"{key}_at_lag{lag}": round4(data[str(key)][lag]) for key in data["curves"]}


# ---------------------------------------------------------------------------- training results
def needs_training(choice: CellChoice, figure: str) -> None:
    """Refuse a figure of training results for a cell that is not to be trained.

    Parameters
    ----------
    choice : CellChoice
        A cell without shipped runs.
    figure : str
        The figure's name, for the message.

    Raises
    ------
    LstmfigsError
        Always: the message says how to train it.
    """
    raise LstmfigsError(f"{figure} of cell '{choice.cell.name}' needs it trained: add --train "
                        "(train=True) to train it on remember-the-first-symbol as the "
                        "scenario's models were (every run cached)")


def _cell_label(run_set: RunSet, cell: Any) -> str:
    init, bias = cellruns.start(cell, run_set.scenario)
    return f"{cell.name}, {run_set.scenario.hidden_size} units ({cellruns.start_label(init, bias)})"


def trained(choice: CellChoice, figure: str, runs: RunsSource, train: bool | None, *,
            all_lags: bool = False) -> RunSet:
    """The run set with the cell's runs beside its models (:data:`.cellruns.CELL`).

    Parameters
    ----------
    choice : CellChoice
        A cell without shipped runs.
    figure : str
        The figure asking, for the message when ``train`` is not given.
    runs : RunsSource
        The run set (its scenario: how the cell is trained).
    train : bool, optional
        Must be True: the cell is trained (or found in the cache).
    all_lags : bool, default: False
        At every lag of the scenario (else at its main lag), every seed.

    Returns
    -------
    RunSet
    """
    if not train:
        needs_training(choice, figure)
    run_set = resolve(runs)
    lags = run_set.scenario.lags if all_lags else None
    return cellruns.with_trained_cell(run_set, choice.cell, lags)


def lag_accuracy_data(choice: CellChoice, run_set: RunSet) -> dict[str, np.ndarray]:
    """A cell's part of ``lag-accuracy``, drawn beside the run set's LSTM and RNN.

    Parameters
    ----------
    choice : CellChoice
        The cell.
    run_set : RunSet
        The run set holding the cell's runs at every lag (:func:`trained`).

    Returns
    -------
    dict of str to ndarray
        ``cell_seeds`` (S, L) the final accuracies, ``cell`` (L,) their median,
        ``cell_solved`` (L,) the fraction of seeds that solved each lag, ``cell_label`` and
        ``cell_name``.
    """
    per_seed = run_set.final(CELL)
    return {"cell_seeds": per_seed, "cell": np.median(per_seed, axis=0),
            "cell_solved": (per_seed >= SOLVED).mean(axis=0),
            "cell_label": np.asarray(_cell_label(run_set, choice.cell)),
            "cell_name": np.asarray(choice.cell.name)}


def learning_curves_data(choice: CellChoice, run_set: RunSet) -> dict[str, np.ndarray]:
    """A cell's part of ``learning-curves``, drawn beside the run set's LSTM and RNN.

    Parameters
    ----------
    choice : CellChoice
        The cell.
    run_set : RunSet
        The run set holding the cell's runs at the main lag (:func:`trained`).

    Returns
    -------
    dict of str to ndarray
        ``cell_{loss,accuracy}`` (N,) the median over seeds and ``..._seeds`` (S, N);
        ``cell_label`` and ``cell_name``.
    """
    seed_runs = run_set.seed_runs(CELL)
    data: dict[str, np.ndarray] = {}
    for metric in ("loss", "accuracy"):
        per_seed = np.stack([run.history[metric] for run in seed_runs])
        data[f"cell_{metric}_seeds"] = per_seed
        data[f"cell_{metric}"] = np.median(per_seed, axis=0)
    data["cell_label"] = np.asarray(_cell_label(run_set, choice.cell))
    data["cell_name"] = np.asarray(choice.cell.name)
    return data
