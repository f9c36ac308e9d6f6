"""A cell from its definition in the data figures: what a ``cell=`` option names, and the
training of a cell that has no shipped weights.

* :func:`choose` resolves ``cell=`` (a built-in name, a ``.toml`` path or a
  :class:`~lstmfigs.cells.Cell`).  The built-in ``lstm`` and ``rnn`` definitions are the
  scenario's own models: their figures keep drawing from the shipped runs
  (:attr:`CellChoice.shipped`), so their images do not change.
* Any other cell is simulated from its definition (:meth:`lstmfigs.cells.Cell.model`).
  Untrained, it starts from PyTorch's initialisation.  With ``train=True`` it is trained
  like the scenario's LSTM (:class:`CellJob`: the same task, lags, seeds, size and
  optimiser; chrono initialisation when the cell has gates named ``f`` and ``i``), each run
  cached like ``lstmfigs train``'s (:mod:`.cache`, keyed by the definition and this
  machine's numeric identity), with a progress bar on stderr.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from ..errors import LstmfigsError
from ..sim import tasks
from .scenario import MODEL_KINDS, Scenario, TrainedRun, evaluation_steps

if TYPE_CHECKING:  # pragma: no cover
    from ..cells import Cell
    from ..cells.simulate import CellGradients, CellTrace
    from .runs import RunSet

#: The key of a trained cell's runs in a :class:`~lstmfigs.datafigs.runs.RunSet`.
CELL = "cell"
#: Training dtype of a cell, as of the scenario's models (the shipped runs are float32).
TRAINING_DTYPE = "float32"


#: Built-in definitions that :mod:`lstmfigs.sim` also runs by hand (and whose weight files
#: :mod:`lstmfigs.loader` reads).
SIMULATED = ("lstm", "gru", "rnn")


@dataclass(frozen=True)
class CellChoice:
    """The cell a data figure shows: its definition, and ``builtin``, the name of the
    built-in among :data:`SIMULATED` that it equals (None for any other cell)."""

    cell: Cell
    builtin: str | None

    @property
    def shipped(self) -> str | None:
        """``"lstm"`` or ``"rnn"`` when the cell is a built-in whose trained runs ship with
        the package (its figures draw from them)."""
        return self.builtin if self.builtin in MODEL_KINDS else None


def _signature(cell: Cell) -> tuple[Any, ...]:
    """What makes two definitions the same cell (comments and layout aside)."""
    parameters = tuple((name, tuple(map(str, p.shape)), p.init)
                       for name, p in cell.parameters.items())
    return (cell.inputs, cell.states, cell.output,
            tuple(equation.text for equation in cell.equations), parameters)


def choose(cell: Any) -> CellChoice | None:
    """The cell that ``cell=`` names (None: not given).

    Parameters
    ----------
    cell : None, str, os.PathLike or Cell
        A built-in definition's name (``lstmfigs.cells.names()``), a ``.toml`` definition
        file or a :class:`~lstmfigs.cells.Cell`.

    Returns
    -------
    CellChoice or None

    Raises
    ------
    LstmfigsError
        For an unknown name, an unreadable file or an invalid definition (one line).
    """
    if cell is None:
        return None
    from .. import cells

    if not isinstance(cell, (str, cells.Cell)) and not hasattr(cell, "__fspath__"):
        raise LstmfigsError(f"cell: expected a built-in name, a .toml path or a Cell, "
                            f"not {type(cell).__name__}")
    resolved = cells.resolve(cell)
    builtin = None
    if resolved.name in SIMULATED and resolved.name in cells.names() \
            and _signature(cells.builtin(resolved.name)) == _signature(resolved):
        builtin = resolved.name
    return CellChoice(resolved, builtin)


class CellNetwork:
    """A cell's simulator seen as the trainer (:func:`lstmfigs.sim.train.fit`) and the run
    files see a network: one layer, one direction, time-major, parameters by name.

    Parameters
    ----------
    cell : Cell
        The definition.
    input_size, hidden_size : int
        The sizes I and H.
    **options
        Passed to :meth:`lstmfigs.cells.Cell.model` (``seed``, ``dtype``, ``forget_bias``,
        ``chrono``, ...).
    """

    num_directions = 1
    num_layers = 1
    bidirectional = False
    batch_first = False

    def __init__(self, cell: Cell, input_size: int, hidden_size: int, **options: Any):
        self.cell = cell
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.model = cell.model(input_size=input_size, hidden_size=hidden_size, **options)
        sizes = {name: size for name, size in cell.sizes.items() if size is not None}
        sizes.update(H=hidden_size, I=input_size)
        shape = cell.shapes[cell.output]
        if len(shape) != 1:
            raise LstmfigsError(f"cell '{cell.name}': its output '{cell.output}' must be a "
                                "vector for a readout")
        self.output_size = shape[0].resolve(sizes)

    @property
    def params(self) -> dict[str, np.ndarray]:
        """The model's parameter arrays (live: the trainer updates them in place)."""
        params: dict[str, np.ndarray] = self.model.params
        return params

    @property
    def dtype(self) -> np.dtype[Any]:
        return next(iter(self.params.values())).dtype

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Each parameter's shape, by name."""
        return {name: tuple(value.shape) for name, value in self.params.items()}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters, by name."""
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        """Load parameters by name.

        Parameters
        ----------
        arrays : dict of str to ndarray
            Every parameter, of its exact shape and of the model's dtype.
        """
        self.model.load_params(arrays)

    def forward(self, x: np.ndarray) -> CellTrace:
        """Run the cell.

        Parameters
        ----------
        x : ndarray
            Sequences (T, B, I) of the model's dtype.

        Returns
        -------
        CellTrace
            Every quantity at every step; ``output`` (T, B, H).
        """
        return self.model.forward(x)

    def backward(self, trace: CellTrace, dh: np.ndarray) -> CellGradients:
        """Exact BPTT.

        Parameters
        ----------
        trace : CellTrace
            What :meth:`forward` returned.
        dh : ndarray
            The gradient of the loss by the output (T, B, H).

        Returns
        -------
        CellGradients
            ``params`` by name, as the trainer updates them.
        """
        return self.model.backward(trace, dh)


def start(cell: Cell, scenario: Scenario) -> tuple[str, float]:
    """How a cell starts training in ``scenario``: as the scenario's LSTM where the cell
    has the gates that initialisation needs, PyTorch's default otherwise.

    Parameters
    ----------
    cell : Cell
        The definition.
    scenario : Scenario
        The scenario (its ``lstm_init`` and ``forget_bias``).

    Returns
    -------
    (str, float)
        ``"chrono"`` (gates ``f`` and ``i``), ``"forget-bias"`` (gate ``f``) or
        ``"pytorch"``, and the forget bias (0 unless ``"forget-bias"``).
    """
    gates = set(cell.gates)
    if scenario.lstm_init == "chrono" and {"f", "i"} <= gates:
        return "chrono", 0.0
    if scenario.lstm_init == "forget-bias" and "f" in gates:
        return "forget-bias", float(scenario.forget_bias)
    return "pytorch", 0.0


def start_label(init: str, forget_bias: float) -> str:
    """How a start is named in legends.

    Parameters
    ----------
    init : str
        ``"chrono"``, ``"forget-bias"`` or ``"pytorch"``.
    forget_bias : float
        The forget bias of ``"forget-bias"``.

    Returns
    -------
    str
    """
    if init == "forget-bias":
        return f"$b_f = {forget_bias:g}$"
    return "chrono init" if init == "chrono" else "PyTorch init"


@functools.lru_cache(maxsize=8)
def _parse(source: str, name: str) -> Cell:
    from ..cells import Cell

    return Cell.from_toml(source, origin=f"cell '{name}'")


@dataclass(frozen=True)
class CellJob:
    """One training run of a cell: its definition (the TOML text) and everything else
    that determines the run, as a :class:`~lstmfigs.datafigs.scenario.TrainingJob` of the
    same scenario has it.  ``init`` is the start (:func:`start`)."""

    cell_source: str
    cell_name: str
    lag: int
    seed: int
    hidden_size: int
    n_symbols: int
    steps: int
    batch_size: int
    lr: float
    clip: float
    eval_every: int
    eval_batch: int
    init: str = "pytorch"
    forget_bias: float = 0.0

    @property
    def model(self) -> str:
        """The name of its cache entries' family."""
        return f"cell-{self.cell_name}"

    @property
    def cell(self) -> Cell:
        return _parse(self.cell_source, self.cell_name)

    @property
    def task(self) -> tasks.FirstSymbol:
        return tasks.FirstSymbol(lag=self.lag, n_symbols=self.n_symbols, seed=self.seed)

    def build_model(self, dtype: str = TRAINING_DTYPE) -> CellNetwork:
        """The untrained model this job starts from.

        Parameters
        ----------
        dtype : str, default: "float32"
            The model's dtype.

        Returns
        -------
        CellNetwork
        """
        options: dict[str, Any] = {"seed": self.seed, "dtype": dtype}
        if self.init == "chrono":
            options["chrono"] = float(max(self.lag, 3))
        elif self.init == "forget-bias":
            options["forget_bias"] = self.forget_bias
        return CellNetwork(self.cell, self.n_symbols + 1, self.hidden_size, **options)

    @property
    def cost(self) -> float:
        """Relative training time (steps x sequence length x equations)."""
        return self.steps * (self.lag + 1) * float(len(self.cell.equations))

    @property
    def evaluations(self) -> int:
        return len(evaluation_steps(self.steps, self.eval_every))


def cell_job(cell: Cell, scenario: Scenario, lag: int, seed: int) -> CellJob:
    """The run of ``cell`` at ``lag`` and ``seed`` with ``scenario``'s settings.

    Parameters
    ----------
    cell : Cell
        The definition.
    scenario : Scenario
        Task size, optimiser and budget, as its models are trained.
    lag, seed : int
        Which run.

    Returns
    -------
    CellJob
    """
    init, forget_bias = start(cell, scenario)
    return CellJob(cell_source=cell.source, cell_name=cell.name, lag=lag, seed=seed,
                   hidden_size=scenario.hidden_size, n_symbols=scenario.n_symbols,
                   steps=scenario.steps, batch_size=scenario.batch_size, lr=scenario.lr,
                   clip=scenario.clip, eval_every=scenario.eval_every,
                   eval_batch=scenario.eval_batch, init=init, forget_bias=forget_bias)


def trained_model(run: TrainedRun, dtype: str = TRAINING_DTYPE) -> CellNetwork:
    """A fresh model of a trained cell run holding its weights.

    Parameters
    ----------
    run : TrainedRun
        A run of a :class:`CellJob`.
    dtype : str, default: "float32"
        The model's dtype (the weights are converted to it explicitly).

    Returns
    -------
    CellNetwork
    """
    job = run.job
    assert isinstance(job, CellJob)
    model = job.build_model(dtype)
    model.load_state_dict({name: value.astype(dtype) for name, value in run.state_dict.items()})
    return model


def with_trained_cell(run_set: RunSet, cell: Cell, lags: tuple[int, ...] | None = None, *,
                      progress: bool = True, stream: TextIO | None = None,
                      workers: int | None = None) -> RunSet:
    """``run_set`` with the runs of ``cell`` (key :data:`CELL`) at ``lags`` (default: the
    main lag) for every seed of its scenario: from the cache, the rest trained (in worker
    processes, longest first) and cached as each finishes.

    Parameters
    ----------
    run_set : RunSet
        The runs the cell is compared with; their scenario says how it is trained.
    cell : Cell
        The definition.
    lags : tuple of int, optional
        The lags to train at (each one of the scenario's).
    progress : bool, default: True
        Draw a progress bar on ``stream`` while something trains.
    stream : text file, optional
        Where the progress bar goes (default ``sys.stderr``).
    workers : int, optional
        The most worker processes (default: the cores this process may use).

    Returns
    -------
    RunSet
        A new run set: ``run_set``'s runs and the cell's.
    """
    from . import cache, training

    scenario = run_set.scenario
    jobs = [cell_job(cell, scenario, lag, seed) for lag in (lags or (scenario.main_lag,))
            for seed in scenario.seeds]
    found = {job: run for job in jobs if (run := cache.load_job(job)) is not None}
    missing = sorted((job for job in jobs if job not in found), key=lambda j: -j.cost)
    if missing:
        stream = sys.stderr if stream is None else stream
        if progress:
            stream.write(f"training cell '{cell.name}': {len(missing)} run(s) "
                         f"({len(found)} cached)\n")
        bar = training._Progress(missing, stream if progress else None)
        diverged = (f"training cell '{cell.name}' diverged: its numbers overflowed to inf or "
                    "NaN; nothing was cached for the runs that did not finish")
        try:
            for job, run in training._train_in_workers(
                    missing, workers or training.available_cores()):
                if not all(np.isfinite(value).all() for value in run.state_dict.values()):
                    raise LstmfigsError(f"{diverged} (lag {job.lag}, seed {job.seed})")
                found[job] = run
                cache.store_job(run)
                bar.advance(job)
        except FloatingPointError as error:
            raise LstmfigsError(f"{diverged} ({error})") from None
        except LstmfigsError as error:  # the simulator refuses the overflowed values
            if "NaN or infinite" not in str(error) or str(error).startswith(diverged):
                raise
            raise LstmfigsError(f"{diverged} ({error})") from None
        finally:
            bar.close()
    runs = dict(run_set.runs)
    for job, run in found.items():
        runs[CELL, job.lag, job.seed] = run
    return replace(run_set, runs=runs)
