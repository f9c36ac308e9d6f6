"""The built-in scenario: a small LSTM and a vanilla RNN of the same size trained on
remember-the-first-symbol at several lags and seeds.

The built-in figures never train.  The trained weights and training histories of the
built-in scenario ship inside the package (:mod:`.runs`, made by
``tools/make_scenario_data.py``), because training amplifies last-bit differences between
BLAS kernels and NumPy versions into different models: the same job can solve the task on
one CPU and fail on another.  Figures drawn from shipped weights are the same everywhere.
Training stays available (``lstmfigs train``, :mod:`.training`) for a user's own variant.

Every training run is a :class:`TrainingJob`, a frozen description of everything that
determines it (model, lag, seed, sizes, initialisation, optimiser settings).

Choices, and why:

* Both models have ``hidden_size`` 32 units and see the same data (Adam, batch 32,
  learning rate 1e-2, gradient-norm clipping at 1, ``steps`` updates at every lag).
* The LSTM starts from chrono initialisation (Tallec & Ollivier 2018, ``chrono_t_max`` =
  the lag): forget biases log U(1, lag - 1) and input biases their negatives, so at the
  start it writes little and forgets slowly.  With PyTorch's default initialisation the
  same LSTM needs several thousand updates at lag 50 (the task's noise is made of the
  same symbols, so a gate must learn to shut).  The RNN has no gates to initialise; it
  uses PyTorch's default.
* Lags 5 to 50 show where each model stops learning within the same budget; ten seeds
  per (model, lag) show the spread, so no claim rests on a lucky seed.  The single-model
  figures show the *representative* run at ``main_lag``: the seed whose final evaluation
  loss is the median of its model's seeds (the lower middle one for an even count).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Literal, Protocol

import numpy as np

from ..errors import LstmfigsError
from ..sim import LSTM, RNN, tasks, train

ModelKind = Literal["lstm", "rnn"]
MODEL_KINDS: tuple[ModelKind, ...] = ("lstm", "rnn")
#: How the LSTM starts: chrono initialisation, PyTorch's default, or PyTorch's default
#: with the effective forget-gate bias set to ``forget_bias``.
LSTM_INITS = ("chrono", "pytorch", "forget-bias")
#: A run whose final accuracy (on fresh sequences) reaches this has solved the task.
SOLVED = 0.9
#: What one training history holds, each (E,) at the evaluation steps.
HISTORY_KEYS = ("step", "loss", "accuracy", "train_loss")


class Job(Protocol):
    """What the trainer, the cache and the run files need of a training run: a
    :class:`TrainingJob` of the scenario's LSTM or RNN, or a
    :class:`~lstmfigs.datafigs.cellruns.CellJob` of a cell from its definition; both are
    frozen dataclasses (their fields make the cache key)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def model(self) -> str: ...
    @property
    def lag(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def hidden_size(self) -> int: ...
    @property
    def n_symbols(self) -> int: ...
    @property
    def steps(self) -> int: ...
    @property
    def batch_size(self) -> int: ...
    @property
    def lr(self) -> float: ...
    @property
    def clip(self) -> float: ...
    @property
    def eval_every(self) -> int: ...
    @property
    def eval_batch(self) -> int: ...
    @property
    def task(self) -> tasks.FirstSymbol: ...
    @property
    def cost(self) -> float: ...
    @property
    def evaluations(self) -> int: ...
    def build_model(self) -> Any: ...


@dataclass(frozen=True)
class TrainingJob:
    """Everything that determines one training run (see the module docstring)."""

    model: ModelKind
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
    lstm_init: str = "chrono"
    forget_bias: float = 1.0

    @property
    def task(self) -> tasks.FirstSymbol:
        return tasks.FirstSymbol(lag=self.lag, n_symbols=self.n_symbols, seed=self.seed)

    def build_model(self) -> LSTM | RNN:
        """The untrained model this job starts from."""
        inputs = self.n_symbols + 1
        if self.model == "rnn":
            return RNN(inputs, self.hidden_size, seed=self.seed)
        if self.lstm_init == "chrono":
            return LSTM(inputs, self.hidden_size, seed=self.seed, init="chrono",
                        chrono_t_max=float(max(self.lag, 3)))
        if self.lstm_init == "forget-bias":
            return LSTM(inputs, self.hidden_size, seed=self.seed, forget_bias=self.forget_bias)
        return LSTM(inputs, self.hidden_size, seed=self.seed)

    @property
    def cost(self) -> float:
        """Relative training time (steps x sequence length x work per step)."""
        return self.steps * (self.lag + 1) * (4.0 if self.model == "lstm" else 1.0)

    @property
    def evaluations(self) -> int:
        """How many evaluations the history holds (step 0, every ``eval_every``, the last)."""
        return len(evaluation_steps(self.steps, self.eval_every))


def evaluation_steps(steps: int, eval_every: int) -> list[int]:
    """The steps at which the trainer evaluates (see :func:`lstmfigs.sim.train.fit`).

    Parameters
    ----------
    steps : int
        Training steps.
    eval_every : int
        Evaluate after every this many steps.

    Returns
    -------
    list of int
        Step 0, every multiple of ``eval_every`` up to ``steps``, and ``steps`` itself, in order.
    """
    return [0] + [s for s in range(1, steps + 1) if s % eval_every == 0 or s == steps]


@dataclass(frozen=True)
class TrainedRun:
    """A finished run: the trained weights (PyTorch names), the readout and the history
    (``step``, ``loss``, ``accuracy`` on fresh evaluation batches, ``train_loss``)."""

    job: Job
    state_dict: dict[str, np.ndarray]
    readout_weight: np.ndarray
    readout_bias: np.ndarray
    history: dict[str, np.ndarray] = field(default_factory=dict)

    def model(self, dtype: str | None = None) -> LSTM | RNN:
        """A fresh model holding the trained weights (``dtype`` converts explicitly).

        Parameters
        ----------
        dtype : str, optional
            A NumPy dtype name (``"float64"``); None keeps the dtype the job's model is built with.

        Returns
        -------
        LSTM or RNN
            A new model; the run is not changed.
        """
        model: LSTM | RNN = self.job.build_model()
        model.load_state_dict(self.state_dict)
        if dtype is not None and np.dtype(dtype) != model.dtype:
            model = type(model).from_torch(self.state_dict, dtype=dtype)
        return model

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted symbols (B,) for inputs ``x`` (T, B, I), through model and readout.

        Parameters
        ----------
        x : numpy.ndarray
            Inputs, (T, B, I); cast to float32.

        Returns
        -------
        numpy.ndarray
            For each sequence, the index of the readout's largest output at the last step.
        """
        hidden = self.model().forward(x.astype(np.float32, copy=False)).h[-1]
        return np.asarray((hidden @ self.readout_weight.T + self.readout_bias).argmax(axis=-1))

    @property
    def final_accuracy(self) -> float:
        """Accuracy on the trainer's last fresh evaluation batch."""
        return float(self.history["accuracy"][-1])

    @property
    def final_loss(self) -> float:
        return float(self.history["loss"][-1])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Every array of the run, float32, under ``param/``, ``history/``, ``readout/``."""
        arrays = {f"param/{k}": v for k, v in self.state_dict.items()}
        arrays.update({f"history/{k}": v for k, v in self.history.items()})
        arrays["readout/weight"] = self.readout_weight
        arrays["readout/bias"] = self.readout_bias
        return {key: np.asarray(value, dtype=np.float32) for key, value in arrays.items()}

    @classmethod
    def from_arrays(cls, job: Job, arrays: dict[str, np.ndarray]) -> TrainedRun:
        """The inverse of :meth:`to_arrays`; the arrays must have passed
        :func:`check_run_arrays`.

        Parameters
        ----------
        job : TrainingJob or CellJob
            The job the run belongs to.
        arrays : dict of str to numpy.ndarray
            The run's arrays under ``param/``, ``history/`` and ``readout/`` (not copied).

        Returns
        -------
        TrainedRun
        """

        def part(prefix: str) -> dict[str, np.ndarray]:
            return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

        return cls(job=job, state_dict=part("param/"), readout_weight=arrays["readout/weight"],
                   readout_bias=arrays["readout/bias"], history=part("history/"))


def expected_run_shapes(job: Job) -> dict[str, tuple[int, ...]]:
    """The shape of every array a run of ``job`` holds (all float32).

    Parameters
    ----------
    job : TrainingJob
        The job.

    Returns
    -------
    dict of str to tuple of int
        Shapes keyed ``param/{name}`` (the model's PyTorch names), ``history/{key}`` (E,)
        and ``readout/weight`` (n_symbols, hidden_size), ``readout/bias`` (n_symbols,).
    """
    shapes = {f"param/{name}": shape for name, shape in job.build_model().param_shapes().items()}
    shapes.update({f"history/{key}": (job.evaluations,) for key in HISTORY_KEYS})
    shapes["readout/weight"] = (job.n_symbols, job.hidden_size)
    shapes["readout/bias"] = (job.n_symbols,)
    return shapes


def check_run_arrays(
    job: Job, arrays: dict[str, np.ndarray], where: str
) -> dict[str, np.ndarray]:
    """``arrays`` if they are a complete, sane run of ``job``; else a one-line error.

    Checked like user input: every key present, exact shape, dtype float32, finite values
    (``train_loss`` at step 0 is NaN by definition: nothing was trained yet), the
    evaluation steps the trainer uses, and accuracies in [0, 1].

    Parameters
    ----------
    job : TrainingJob
        The job the arrays should be a run of.
    arrays : dict of str to numpy.ndarray
        The arrays as read (keys as :func:`expected_run_shapes`).
    where : str
        Where they came from, to begin the error message.

    Returns
    -------
    dict of str to numpy.ndarray
        The expected arrays only (extra keys are dropped).

    Raises
    ------
    LstmfigsError
        On the first check that fails.
    """
    checked: dict[str, np.ndarray] = {}
    for key, shape in expected_run_shapes(job).items():
        if key not in arrays:
            raise LstmfigsError(f"{where}: missing array '{key}'")
        value = arrays[key]
        if value.dtype != np.float32 or value.shape != shape:
            raise LstmfigsError(f"{where}: array '{key}' should be float32 {shape}, "
                                f"got {value.dtype} {value.shape}")
        finite = value[1:] if key == "history/train_loss" else value
        if not np.isfinite(finite).all():
            raise LstmfigsError(f"{where}: array '{key}' holds NaN or infinite values")
        checked[key] = value
    if checked["history/step"].tolist() != evaluation_steps(job.steps, job.eval_every):
        raise LstmfigsError(f"{where}: its evaluation steps do not match the job")
    accuracy = checked["history/accuracy"]
    if accuracy.min() < 0 or accuracy.max() > 1:
        raise LstmfigsError(f"{where}: accuracies outside [0, 1]")
    return checked


def train_job(job: Job) -> TrainedRun:
    """Train ``job`` from scratch (deterministic on one machine: the same job gives the
    same bits there; another CPU or NumPy may give another model).

    Parameters
    ----------
    job : TrainingJob
        What to train.

    Returns
    -------
    TrainedRun
        The trained run, its arrays float32 as they are stored.
    """
    model = job.build_model()
    result = train.fit(model, job.task, steps=job.steps, batch_size=job.batch_size, lr=job.lr,
                       clip=job.clip, seed=job.seed, eval_every=job.eval_every,
                       eval_batch=job.eval_batch, progress=False)
    history = {key: np.asarray(result.history[key]) for key in HISTORY_KEYS}
    run = TrainedRun(job=job, state_dict=model.state_dict(),
                     readout_weight=result.readout.weight.copy(),
                     readout_bias=result.readout.bias.copy(), history=history)
    arrays = run.to_arrays()  # float32 throughout, as stored
    return TrainedRun.from_arrays(job, arrays)


@dataclass(frozen=True)
class Scenario:
    """An experiment: which models, lags and seeds, and how they are trained."""

    hidden_size: int = 32
    n_symbols: int = 4
    lags: tuple[int, ...] = (5, 10, 20, 30, 40, 50)
    seeds: tuple[int, ...] = tuple(range(10))
    main_lag: int = 50
    steps: int = 400
    batch_size: int = 32
    lr: float = 1e-2
    clip: float = 1.0
    eval_every: int = 25
    eval_batch: int = 256
    lstm_init: str = "chrono"
    forget_bias: float = 1.0
    #: Sequences shown in the figures: a fixed batch, independent of every training stream.
    sample_seed: int = 2024
    sample_batch: int = 64
    #: Gradient decay: the Jacobian probe runs on ``probe_batch`` sequences of this lag.
    probe_lag: int = 100
    probe_batch: int = 16
    untrained_forget_biases: tuple[float, ...] = (0.0, 1.0, 3.0)

    def __post_init__(self) -> None:
        def whole(name: str, value: Any, low: int, high: int) -> None:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or not low <= value <= high:
                raise LstmfigsError(f"{name}: expected a whole number from {low} to {high}, "
                                    f"got {value!r}")

        whole("hidden_size", self.hidden_size, 1, 1024)
        whole("n_symbols", self.n_symbols, 2, 64)
        for name in ("steps", "batch_size", "eval_every", "eval_batch", "sample_batch",
                     "probe_lag", "probe_batch"):
            whole(name, getattr(self, name), 1, 10**6)
        if not self.lags or not self.seeds:
            raise LstmfigsError("a scenario needs at least one lag and one seed")
        for lag in self.lags:
            whole("lag", lag, 1, 10**5)
        for seed in self.seeds:
            whole("seed", seed, 0, 2**31 - 1)
        if len(set(self.lags)) != len(self.lags) or len(set(self.seeds)) != len(self.seeds):
            raise LstmfigsError("lags and seeds must not repeat")
        if self.main_lag not in self.lags:
            raise LstmfigsError(
                f"main_lag {self.main_lag} is not one of the lags {list(self.lags)}"
            )
        if self.lstm_init not in LSTM_INITS:
            raise LstmfigsError(f"lstm_init: expected one of {', '.join(LSTM_INITS)}, "
                                f"got {self.lstm_init!r}")
        for name in ("lr", "clip"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
                raise LstmfigsError(f"{name}: expected a positive number, got {value!r}")
        whole("sample_seed", self.sample_seed, 0, 2**31 - 1)
        for bias in (self.forget_bias, *self.untrained_forget_biases):
            if (
                isinstance(bias, bool)
                or not isinstance(bias, (int, float))
                or not np.isfinite(bias)
            ):
                raise LstmfigsError(f"forget bias: expected a finite number, got {bias!r}")

    @property
    def input_size(self) -> int:
        return self.n_symbols + 1

    @property
    def chance(self) -> float:
        return tasks.FirstSymbol(lag=1, n_symbols=self.n_symbols).chance

    @property
    def baseline_loss(self) -> float:
        return tasks.FirstSymbol(lag=1, n_symbols=self.n_symbols).baseline_loss

    @property
    def lstm_label(self) -> str:
        """How the LSTM started, for legends."""
        if self.lstm_init == "forget-bias":
            return f"$b_f = {self.forget_bias:g}$"
        return f"{self.lstm_init} init"

    def job(self, model: ModelKind, lag: int | None = None, seed: int | None = None) -> TrainingJob:
        """The training job for one model, lag and seed of this scenario.

        Parameters
        ----------
        model : {"lstm", "rnn"}
            The model kind.
        lag : int, optional
            The lag; None for :attr:`main_lag`.
        seed : int, optional
            The seed; None for the first of :attr:`seeds`.

        Returns
        -------
        TrainingJob
        """
        return TrainingJob(
            model=model, lag=self.main_lag if lag is None else lag,
            seed=self.seeds[0] if seed is None else seed, hidden_size=self.hidden_size,
            n_symbols=self.n_symbols, steps=self.steps, batch_size=self.batch_size, lr=self.lr,
            clip=self.clip, eval_every=self.eval_every, eval_batch=self.eval_batch,
            lstm_init=self.lstm_init, forget_bias=self.forget_bias)

    def all_jobs(self) -> list[TrainingJob]:
        return [self.job(model, lag, seed) for model in MODEL_KINDS
                for lag in self.lags for seed in self.seeds]

    def sample(
        self, lag: int | None = None, batch: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The fixed evaluation sequences ``(x (T, B, I) float32, symbols (B,))``.

        Parameters
        ----------
        lag : int, optional
            The lag; None for :attr:`main_lag`.
        batch : int, optional
            How many sequences; None for :attr:`sample_batch`.

        Returns
        -------
        x : numpy.ndarray
            One-hot inputs, (T, B, I) float32.
        symbols : numpy.ndarray
            The symbol each sequence should recall, (B,).
        """
        task = tasks.FirstSymbol(lag=self.main_lag if lag is None else lag,
                                 n_symbols=self.n_symbols, seed=self.sample_seed)
        return task.sample(self.sample_batch if batch is None else batch)

    def untrained_lstm(self, forget_bias: float, seed: int, dtype: str = "float64") -> LSTM:
        """PyTorch's default initialisation with the effective forget bias set to
        ``forget_bias``.

        Parameters
        ----------
        forget_bias : float
            The effective forget-gate bias.
        seed : int
            Seed of the initial weights.
        dtype : str, default: "float64"
            The model's dtype.

        Returns
        -------
        LSTM
        """
        return LSTM(self.input_size, self.hidden_size, seed=seed, dtype=dtype,
                    forget_bias=float(forget_bias))

    def untrained_rnn(self, seed: int, dtype: str = "float64") -> RNN:
        """An RNN with PyTorch's default initialisation, of this scenario's sizes.

        Parameters
        ----------
        seed : int
            Seed of the initial weights.
        dtype : str, default: "float64"
            The model's dtype.

        Returns
        -------
        RNN
        """
        return RNN(self.input_size, self.hidden_size, seed=seed, dtype=dtype)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Any, where: str = "scenario") -> Scenario:
        """A scenario from :meth:`to_dict`'s output (as read back from JSON), checked.

        Parameters
        ----------
        values : Any
            A mapping of field names to values; lists become tuples.
        where : str, default: "scenario"
            Where the values came from, to begin error messages.

        Returns
        -------
        Scenario

        Raises
        ------
        LstmfigsError
            If ``values`` is not a mapping, holds an unknown setting, or a value is invalid.
        """
        if not isinstance(values, dict):
            raise LstmfigsError(f"{where}: expected a mapping of settings")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise LstmfigsError(f"{where}: unknown setting '{unknown[0]}'")
        converted: dict[str, Any] = {}
        for name, value in values.items():
            if isinstance(value, list):
                value = tuple(value)
            converted[name] = value
        try:
            return cls(**converted)
        except TypeError as error:
            raise LstmfigsError(f"{where}: {error}") from None


#: The scenario behind every built-in data figure.
BUILTIN = Scenario()
