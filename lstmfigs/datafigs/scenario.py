"""The built-in scenario: a small LSTM and a vanilla RNN of the same size trained on
remember-the-first-symbol, deterministically, with the trained weights cached on disk.

Every training run is a :class:`TrainingJob`, a frozen description of everything that
determines it (model, lag, seed, sizes, optimiser settings).  A run is a pure function of
its job, so the cache (:mod:`.cache`) is keyed by a hash of the job, and cold runs may
train several jobs at once in worker processes without changing a single bit.

Choices, and why:

* Both models have ``hidden_size`` 32 units and see the same data (Adam, batch 32,
  learning rate 1e-2, gradient-norm clipping at 1, ``steps`` updates at every lag).
* The LSTM starts from chrono initialisation (Tallec & Ollivier 2018, ``chrono_t_max`` =
  the lag): forget biases log U(1, lag - 1) and input biases their negatives, so at the
  start it writes little and forgets slowly.  With PyTorch's default initialisation the
  same LSTM needs several thousand updates at lag 50 (the task's noise is made of the
  same symbols, so a gate must learn to shut), which would make a cold render slow.
  The RNN has no gates to initialise; it uses PyTorch's default.
* Lags 5 to 50 show where each model stops learning within the same budget; three
  seeds show the spread.  ``main_lag``/``main_seed`` pick the model shown in the
  single-model figures (gate heatmaps, dashboard, saturation).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Literal

import numpy as np

from ..sim import LSTM, RNN, tasks, train
from . import cache

ModelKind = Literal["lstm", "rnn"]
MODEL_KINDS: tuple[ModelKind, ...] = ("lstm", "rnn")

#: Thread-count variables a BLAS library reads at start-up; workers get one thread each
#: (two workers on two cores must not oversubscribe them).
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


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

    @property
    def task(self) -> tasks.FirstSymbol:
        return tasks.FirstSymbol(lag=self.lag, n_symbols=self.n_symbols, seed=self.seed)

    def build_model(self) -> LSTM | RNN:
        """The untrained model this job starts from."""
        inputs = self.n_symbols + 1
        if self.model == "lstm":
            return LSTM(inputs, self.hidden_size, seed=self.seed, init="chrono",
                        chrono_t_max=float(self.lag))
        return RNN(inputs, self.hidden_size, seed=self.seed)

    @property
    def cost(self) -> float:
        """Relative training time (steps x sequence length x work per step)."""
        return self.steps * (self.lag + 1) * (4.0 if self.model == "lstm" else 1.0)

    def cache_path(self) -> Path:
        key = cache.cache_key(asdict(self))
        return cache.cache_dir() / f"{self.model}-lag{self.lag}-seed{self.seed}-{key}.npz"


@dataclass(frozen=True)
class TrainedRun:
    """A finished run: the trained weights (PyTorch names), the readout and the history
    (``step``, ``loss``, ``accuracy`` on fresh evaluation batches, ``train_loss``)."""

    job: TrainingJob
    state_dict: dict[str, np.ndarray]
    readout_weight: np.ndarray
    readout_bias: np.ndarray
    history: dict[str, np.ndarray] = field(default_factory=dict)

    def model(self, dtype: str | None = None) -> LSTM | RNN:
        """A fresh model holding the trained weights (``dtype`` converts explicitly)."""
        model = self.job.build_model()
        model.load_state_dict(self.state_dict)
        if dtype is not None and np.dtype(dtype) != model.dtype:
            model = type(model).from_torch(self.state_dict, dtype=dtype)
        return model

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted symbols (B,) for inputs ``x`` (T, B, I), through model and readout."""
        hidden = self.model().forward(x.astype(np.float32, copy=False)).h[-1]
        return (hidden @ self.readout_weight.T + self.readout_bias).argmax(axis=-1)

    @property
    def final_accuracy(self) -> float:
        """Accuracy on the trainer's last fresh evaluation batch."""
        return float(self.history["accuracy"][-1])

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {f"param/{k}": v for k, v in self.state_dict.items()}
        arrays.update({f"history/{k}": v for k, v in self.history.items()})
        arrays["readout/weight"] = self.readout_weight
        arrays["readout/bias"] = self.readout_bias
        return arrays

    @classmethod
    def from_arrays(cls, job: TrainingJob, arrays: dict[str, np.ndarray]) -> "TrainedRun":
        def part(prefix: str) -> dict[str, np.ndarray]:
            return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

        return cls(job=job, state_dict=part("param/"), readout_weight=arrays["readout/weight"],
                   readout_bias=arrays["readout/bias"], history=part("history/"))


def train_job(job: TrainingJob) -> TrainedRun:
    """Train ``job`` from scratch (deterministic: the same job gives the same bits)."""
    model = job.build_model()
    result = train.fit(model, job.task, steps=job.steps, batch_size=job.batch_size, lr=job.lr,
                       clip=job.clip, seed=job.seed, eval_every=job.eval_every,
                       eval_batch=job.eval_batch, progress=False)
    history = {key: np.asarray(result.history[key])
               for key in ("step", "loss", "accuracy", "train_loss")}
    return TrainedRun(job=job, state_dict=model.state_dict(),
                      readout_weight=result.readout.weight.copy(),
                      readout_bias=result.readout.bias.copy(), history=history)


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _split_by_cost(jobs: list[TrainingJob], parts: int) -> list[list[TrainingJob]]:
    """Longest job first onto the least loaded part: balanced enough for a few dozen jobs."""
    loads = [0.0] * parts
    groups: list[list[TrainingJob]] = [[] for _ in range(parts)]
    for job in sorted(jobs, key=lambda j: -j.cost):
        lightest = loads.index(min(loads))
        groups[lightest].append(job)
        loads[lightest] += job.cost
    return [group for group in groups if group]


def train_to_stream(jobs: list[TrainingJob], stream: BinaryIO) -> None:
    """Train ``jobs`` and write their arrays to ``stream`` as one ``.npz`` (``{index}/{name}``)."""
    arrays = {f"{index}/{key}": value for index, job in enumerate(jobs)
              for key, value in train_job(job).to_arrays().items()}
    np.savez(stream, **arrays)


def _train_in_workers(groups: list[list[TrainingJob]]) -> dict[TrainingJob, TrainedRun]:
    """Train each group of jobs in its own Python process with one BLAS thread.

    Why processes, always (even for one job): a BLAS library splits matrix products over
    threads differently for different thread counts, which changes the rounding, and a
    training run amplifies that into different weights.  A worker with exactly one thread
    gives the same bits whatever the caller's thread settings.  Why plain subprocesses
    rather than multiprocessing: a spawned multiprocessing worker re-imports the caller's
    ``__main__``, which breaks a user script that renders a figure without an
    ``if __name__ == "__main__"`` guard, and forking a process that holds BLAS threads
    is not safe everywhere.  Results come back on the worker's stdout, so an unwritable
    cache folder changes nothing.  Groups whose worker failed are simply absent.
    """
    env = {**os.environ, **{name: "1" for name in _THREAD_VARIABLES}}
    workers = [subprocess.Popen([sys.executable, "-m", "lstmfigs.datafigs.worker"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env)
               for _ in groups]
    results: dict[TrainingJob, TrainedRun] = {}
    try:
        for worker, group in zip(workers, groups):
            assert worker.stdin is not None
            worker.stdin.write(json.dumps([asdict(job) for job in group]).encode("utf-8"))
            worker.stdin.close()
        for worker, group in zip(workers, groups):
            assert worker.stdout is not None
            output = worker.stdout.read()
            if worker.wait() != 0:
                continue
            try:
                with np.load(io.BytesIO(output), allow_pickle=False) as archive:
                    arrays = {key: archive[key] for key in archive.files}
            except (OSError, ValueError, EOFError, zipfile.BadZipFile):
                continue
            for index, job in enumerate(group):
                prefix = f"{index}/"
                results[job] = TrainedRun.from_arrays(
                    job, {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
    finally:
        for worker in workers:
            if worker.poll() is None:  # interrupted: leave no orphan training on
                worker.kill()
                worker.wait()
    return results


def load_or_train(jobs: Iterable[TrainingJob], *, workers: int | None = None) -> list[TrainedRun]:
    """The runs for ``jobs`` (in order): from the cache, training what is missing.

    Missing jobs are trained in up to ``workers`` worker processes (default: the cores
    this process may use) and stored in the cache.  Should a worker fail, its jobs are
    trained in this process instead (same numbers only if this process's BLAS is
    single-threaded), so a cold cache always works.
    """
    jobs = list(jobs)
    unique = list(dict.fromkeys(jobs))
    found = {job: run for job in unique if (run := _cached_run(job)) is not None}
    missing = [job for job in unique if job not in found]
    if missing:
        workers = min(workers or _available_cores(), len(missing))
        if sys.stderr.isatty():
            sys.stderr.write(f"lstmfigs: training {len(missing)} model(s) of the built-in "
                             f"scenario (once; cached in {cache.cache_dir()})\n")
        trained = _train_in_workers(_split_by_cost(missing, workers))
        for job in missing:
            run = trained.get(job) or train_job(job)
            cache.store_arrays(job.cache_path(), run.to_arrays())
            found[job] = run
    return [found[job] for job in jobs]


def _cached_run(job: TrainingJob) -> TrainedRun | None:
    arrays = cache.load_arrays(job.cache_path())
    if arrays is None:
        return None
    try:
        return TrainedRun.from_arrays(job, arrays)
    except KeyError:  # not an entry this version wrote: train again
        return None


@dataclass(frozen=True)
class Scenario:
    """The built-in experiment: which models, lags and seeds, and how they are trained."""

    hidden_size: int = 32
    n_symbols: int = 4
    lags: tuple[int, ...] = (5, 10, 20, 30, 40, 50)
    seeds: tuple[int, ...] = (0, 1, 2)
    main_lag: int = 50
    main_seed: int = 0
    steps: int = 400
    batch_size: int = 32
    lr: float = 1e-2
    clip: float = 1.0
    eval_every: int = 25
    eval_batch: int = 256
    #: Sequences shown in the figures: a fixed batch, independent of every training stream.
    sample_seed: int = 2024
    sample_batch: int = 64
    #: Gradient decay: the Jacobian probe runs on ``probe_batch`` sequences of this lag.
    probe_lag: int = 100
    probe_batch: int = 16
    untrained_forget_biases: tuple[float, ...] = (0.0, 1.0, 3.0)

    @property
    def input_size(self) -> int:
        return self.n_symbols + 1

    @property
    def chance(self) -> float:
        return tasks.FirstSymbol(lag=1, n_symbols=self.n_symbols).chance

    @property
    def baseline_loss(self) -> float:
        return tasks.FirstSymbol(lag=1, n_symbols=self.n_symbols).baseline_loss

    def job(self, model: ModelKind, lag: int | None = None, seed: int | None = None) -> TrainingJob:
        return TrainingJob(
            model=model, lag=self.main_lag if lag is None else lag,
            seed=self.main_seed if seed is None else seed, hidden_size=self.hidden_size,
            n_symbols=self.n_symbols, steps=self.steps, batch_size=self.batch_size, lr=self.lr,
            clip=self.clip, eval_every=self.eval_every, eval_batch=self.eval_batch)

    def all_jobs(self) -> list[TrainingJob]:
        return [self.job(model, lag, seed) for model in MODEL_KINDS
                for lag in self.lags for seed in self.seeds]

    def run(self, model: ModelKind, lag: int | None = None, seed: int | None = None) -> TrainedRun:
        """One trained run (the main lag and seed by default)."""
        return load_or_train([self.job(model, lag, seed)])[0]

    def seed_runs(self, model: ModelKind, lag: int | None = None) -> list[TrainedRun]:
        """The runs of every seed at ``lag`` (the main lag by default)."""
        return load_or_train([self.job(model, lag, seed) for seed in self.seeds])

    def sample(self, lag: int | None = None, batch: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The fixed evaluation sequences ``(x (T, B, I) float32, symbols (B,))``."""
        task = tasks.FirstSymbol(lag=self.main_lag if lag is None else lag,
                                 n_symbols=self.n_symbols, seed=self.sample_seed)
        return task.sample(self.sample_batch if batch is None else batch)

    def untrained_lstm(self, forget_bias: float, seed: int, dtype: str = "float64") -> LSTM:
        """PyTorch's default initialisation with the effective forget bias set to ``forget_bias``."""
        return LSTM(self.input_size, self.hidden_size, seed=seed, dtype=dtype,
                    forget_bias=float(forget_bias))

    def untrained_rnn(self, seed: int, dtype: str = "float64") -> RNN:
        return RNN(self.input_size, self.hidden_size, seed=seed, dtype=dtype)


#: The scenario behind every built-in data figure.
BUILTIN = Scenario()


def warm_cache(scenario: Scenario = BUILTIN, *, workers: int | None = None) -> list[TrainedRun]:
    """Train (or load) every run of ``scenario``; returns them in ``all_jobs`` order."""
    return load_or_train(scenario.all_jobs(), workers=workers)


def describe(scenario: Scenario = BUILTIN) -> dict[str, Any]:
    """The scenario's settings, for captions and the README."""
    return asdict(scenario)
