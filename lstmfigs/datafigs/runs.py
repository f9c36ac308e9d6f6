"""A set of trained runs: a scenario, every (model, lag, seed) run of it, and the record of
the machine that trained it.  The built-in figures draw from the set shipped inside the
package; ``lstmfigs train`` makes others (into the cache or a folder).

File format (one ``.npz``, written compressed, all numbers float32):

* ``meta``: UTF-8 JSON as uint8 bytes: ``{"format": 1, "scenario": {...}, "environment": {...}}``;
* ``{model}/{name}``: the arrays of every run of ``model`` stacked as (lags, seeds, ...), where
  ``name`` is a run array's name (``param/weight_hh_l0``, ``history/accuracy``,
  ``readout/weight``, ...; see :meth:`~lstmfigs.datafigs.scenario.TrainedRun.to_arrays`).

Reading one is validated like user input (:mod:`lstmfigs.safeio` and
:func:`~lstmfigs.datafigs.scenario.check_run_arrays`): a damaged or foreign file is a
one-line :class:`~lstmfigs.errors.LstmfigsError`, never a traceback or a NaN curve.
"""

from __future__ import annotations

import functools
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Union

import numpy as np

from .. import safeio
from ..errors import LstmfigsError
from . import cache
from .scenario import (
    MODEL_KINDS,
    SOLVED,
    Scenario,
    TrainedRun,
    TrainingJob,
    check_run_arrays,
    expected_run_shapes,
)

FORMAT = 1
#: The file ``lstmfigs train -o FOLDER`` writes into a folder.
RUNS_FILE = "lstmfigs-runs.npz"
#: The shipped set, inside the package.
SHIPPED_FILE = "builtin-runs.npz"
#: A run set holds at most this much (the shipped one is about 2 MB).
MAX_RUNS_BYTES = 512 * 2**20

RunsSource = Union[None, str, "os.PathLike[str]", "RunSet"]


@dataclass(frozen=True, eq=False)
class RunSet:
    """Every run of ``scenario``, the ``environment`` they were trained in, and where they
    came from (``origin``: ``"shipped"``, a file, or a name in the cache)."""

    scenario: Scenario
    environment: dict[str, Any]
    origin: str
    runs: dict[tuple[str, int, int], TrainedRun] = field(repr=False)

    # ------------------------------------------------------------------ access
    def run(self, model: str, lag: int | None = None, seed: int | None = None) -> TrainedRun:
        """One run; by default the representative run of ``model`` at the main lag.

        Parameters
        ----------
        model : {"lstm", "rnn", "cell"}
            The model kind (``"cell"``: a cell's runs, :mod:`.cellruns`).
        lag : int, optional
            The lag; None for the scenario's main lag.
        seed : int, optional
            The seed; None for :meth:`representative_seed` of ``model`` at ``lag``.

        Returns
        -------
        TrainedRun

        Raises
        ------
        LstmfigsError
            If the set holds no such run.
        """
        lag = self.scenario.main_lag if lag is None else lag
        seed = self.representative_seed(model, lag) if seed is None else seed
        try:
            return self.runs[model, lag, seed]
        except KeyError:
            raise LstmfigsError(f"runs from {self.origin}: no {model} run at lag {lag}, "
                                f"seed {seed}") from None

    def seed_runs(self, model: str, lag: int | None = None) -> list[TrainedRun]:
        """The runs of every seed at ``lag`` (the main lag by default), in seed order.

        Parameters
        ----------
        model : {"lstm", "rnn", "cell"}
            The model kind (``"cell"``: a cell's runs, :mod:`.cellruns`).
        lag : int, optional
            The lag; None for the scenario's main lag.

        Returns
        -------
        list of TrainedRun
            One run per seed of the scenario.

        Raises
        ------
        LstmfigsError
            If the set lacks one of the runs.
        """
        lag = self.scenario.main_lag if lag is None else lag
        return [self.run(model, lag, seed) for seed in self.scenario.seeds]

    def final(self, model: str, key: str = "accuracy") -> np.ndarray:
        """The last evaluation's ``key`` (accuracy or loss) as (seeds, lags).

        Parameters
        ----------
        model : {"lstm", "rnn", "cell"}
            The model kind (``"cell"``: a cell's runs, :mod:`.cellruns`).
        key : {"accuracy", "loss"}, default: "accuracy"
            Which entry of each run's history.

        Returns
        -------
        numpy.ndarray
            Floats, one row per seed and one column per lag, in the scenario's order.
        """
        return np.asarray([[float(self.runs[model, lag, seed].history[key][-1])
                            for lag in self.scenario.lags] for seed in self.scenario.seeds])

    def representative_seed(self, model: str, lag: int | None = None) -> int:
        """The seed whose final evaluation loss is the median of ``model``'s seeds at
        ``lag`` (the lower middle one for an even count; ties go to the smaller seed).

        Parameters
        ----------
        model : {"lstm", "rnn", "cell"}
            The model kind (``"cell"``: a cell's runs, :mod:`.cellruns`).
        lag : int, optional
            The lag; None for the scenario's main lag.

        Returns
        -------
        int
            One of the scenario's seeds.
        """
        lag = self.scenario.main_lag if lag is None else lag
        ranked = sorted(self.scenario.seeds,
                        key=lambda seed: (self.runs[model, lag, seed].final_loss, seed))
        return ranked[(len(ranked) - 1) // 2]

    def solved(self, model: str) -> np.ndarray:
        """How many seeds solved each lag (final accuracy >= :data:`SOLVED`), (lags,).

        Parameters
        ----------
        model : {"lstm", "rnn", "cell"}
            The model kind (``"cell"``: a cell's runs, :mod:`.cellruns`).

        Returns
        -------
        numpy.ndarray
            Integer counts, one per lag of the scenario.
        """
        return np.asarray((self.final(model) >= SOLVED).sum(axis=0))

    # ------------------------------------------------------------------ files
    def to_arrays(self) -> dict[str, np.ndarray]:
        meta = {"format": FORMAT, "scenario": self.scenario.to_dict(),
                "environment": self.environment}
        arrays = {"meta": np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"),
                                        dtype=np.uint8).copy()}
        for model in MODEL_KINDS:
            per_run = {(lag, seed): self.runs[model, lag, seed].to_arrays()
                       for lag in self.scenario.lags for seed in self.scenario.seeds}
            for name in next(iter(per_run.values())):
                arrays[f"{model}/{name}"] = np.stack([
                    np.stack([per_run[lag, seed][name] for seed in self.scenario.seeds])
                    for lag in self.scenario.lags])
        return arrays

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **self.to_arrays())  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_runs(cls, scenario: Scenario, runs: Mapping[TrainingJob, TrainedRun],
                  environment: dict[str, Any], origin: str) -> RunSet:
        """A run set of the runs of every job of ``scenario``.

        Parameters
        ----------
        scenario : Scenario
            What was trained.
        runs : mapping of TrainingJob to TrainedRun
            The runs, keyed by their jobs; extra runs are kept, none may be missing.
        environment : dict of str to Any
            Where they were trained (copied).
        origin : str
            Where they came from, for messages.

        Returns
        -------
        RunSet

        Raises
        ------
        LstmfigsError
            If a job of ``scenario`` has no run.
        """
        by_key: dict[tuple[str, int, int], TrainedRun] = {
            (job.model, job.lag, job.seed): run for job, run in runs.items()}
        missing = [
            job for job in scenario.all_jobs() if (job.model, job.lag, job.seed) not in by_key
        ]
        if missing:
            raise LstmfigsError(f"runs from {origin}: {len(missing)} run(s) missing")
        return cls(scenario=scenario, environment=dict(environment), origin=origin, runs=by_key)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], origin: str) -> RunSet:
        """A run set from :meth:`to_arrays`' output, every array checked.

        Parameters
        ----------
        arrays : mapping of str to numpy.ndarray
            A ``meta`` record and, per model and run array, one array stacked as (lags, seeds, ...).
        origin : str
            Where they came from, for messages.

        Returns
        -------
        RunSet

        Raises
        ------
        LstmfigsError
            If the meta record, the scenario, an array's presence, shape, dtype or values are
            not what a run set of this format holds.
        """
        where = f"runs from {origin}"
        meta = _meta(arrays, where)
        scenario = Scenario.from_dict(meta.get("scenario"), f"{where}: scenario")
        environment = meta.get("environment")
        if not isinstance(environment, dict):
            raise LstmfigsError(f"{where}: meta has no environment record")
        runs: dict[tuple[str, int, int], TrainedRun] = {}
        lags, seeds = len(scenario.lags), len(scenario.seeds)
        for model in MODEL_KINDS:
            names = expected_run_shapes(scenario.job(model))
            stacked = {}
            for name in names:
                key = f"{model}/{name}"
                if key not in arrays:
                    raise LstmfigsError(f"{where}: missing array '{key}'")
                value = arrays[key]
                if value.shape[:2] != (lags, seeds):
                    raise LstmfigsError(f"{where}: array '{key}' should hold {lags} lags x "
                                        f"{seeds} seeds, got shape {value.shape}")
                stacked[name] = value
            for row, lag in enumerate(scenario.lags):
                for column, seed in enumerate(scenario.seeds):
                    job = scenario.job(model, lag, seed)
                    one = check_run_arrays(job, {name: value[row, column]
                                                 for name, value in stacked.items()},
                                           f"{where}, {model} lag {lag} seed {seed}")
                    runs[model, lag, seed] = TrainedRun.from_arrays(job, one)
        return cls(scenario=scenario, environment=environment, origin=origin, runs=runs)

    @classmethod
    def load(cls, path: str | os.PathLike[str], origin: str | None = None) -> RunSet:
        """Read a run set file (or the :data:`RUNS_FILE` in a folder), validated.

        Parameters
        ----------
        path : str or os.PathLike
            A run set ``.npz`` file, or a folder holding :data:`RUNS_FILE`.
        origin : str, optional
            Where the runs came from, for messages; the quoted path by default.

        Returns
        -------
        RunSet

        Raises
        ------
        LstmfigsError
            If the file cannot be read or does not hold a valid run set.
        """
        path = Path(path)
        if path.is_dir():
            path = path / RUNS_FILE
        arrays = safeio.load_npz(path, "runs file", limit=MAX_RUNS_BYTES)
        return cls.from_arrays(arrays, origin or f"'{path}'")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the set (compressed) through :func:`lstmfigs.export.atomic_write`.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.npz`` file, or a folder (made if missing) that gets :data:`RUNS_FILE`.

        Returns
        -------
        Path
            The file written.
        """
        from ..export import atomic_write

        path = Path(path)
        if path.is_dir() or not path.suffix:
            path = path / RUNS_FILE
        data = self.to_bytes()
        return atomic_write(path, lambda handle: handle.write(data), make_folder=True)


def _meta(arrays: Mapping[str, np.ndarray], where: str) -> dict[str, Any]:
    raw = arrays.get("meta")
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise LstmfigsError(f"{where}: not a run set (no 'meta' record)")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise LstmfigsError(f"{where}: its 'meta' record is not JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise LstmfigsError(f"{where}: run set format {found!r}; this lstmfigs reads {FORMAT}")
    return meta


@functools.lru_cache(maxsize=1)
def shipped() -> RunSet:
    """The built-in scenario's runs, shipped inside the package (read once per process)."""
    resource = resources.files("lstmfigs.datafigs").joinpath("data", SHIPPED_FILE)
    with resources.as_file(resource) as path:
        return RunSet.load(path, origin="the shipped data")


def resolve(runs: RunsSource) -> RunSet:
    """The run set a figure draws from.

    ``None`` or ``"shipped"``: the shipped built-in runs.  A :class:`RunSet`: itself.  A path
    to a run set file or to a folder holding :data:`RUNS_FILE` (``lstmfigs train -o``).  Any
    other string: the name of a run set ``lstmfigs train --name NAME`` stored in the cache
    for this machine's lstmfigs, NumPy and BLAS (default name ``retrained``).

    Parameters
    ----------
    runs : None, str, os.PathLike or RunSet
        Which runs, as above.

    Returns
    -------
    RunSet

    Raises
    ------
    LstmfigsError
        If ``runs`` is of another type, the file or cache entry is missing or damaged, or the
        name is not a valid run set name.
    """
    if runs is None or (isinstance(runs, str) and runs == "shipped"):
        return shipped()
    if isinstance(runs, RunSet):
        return runs
    if isinstance(runs, os.PathLike) or (isinstance(runs, str) and _looks_like_path(runs)):
        return RunSet.load(runs)
    if isinstance(runs, str):
        return _named(runs)
    raise LstmfigsError(f"runs: expected 'shipped', a cache name, a path or a RunSet, "
                        f"got {type(runs).__name__}")


def _named(name: str) -> RunSet:
    """The run set ``lstmfigs train --name NAME`` stored in the cache for this machine."""
    path = cache.named_runs_path(name)
    if not os.path.lexists(path):
        raise LstmfigsError(
            f"no retrained runs named '{name}' in the cache for this lstmfigs, NumPy and BLAS "
            f"({cache.cache_dir()}); run 'lstmfigs train --name {name}' first, or give a path")
    try:
        return RunSet.load(path, origin=f"the cache ('{name}')")
    except LstmfigsError as error:
        raise LstmfigsError(f"{error}; run 'lstmfigs train --name {name}' to train the damaged "
                            "runs again") from None


def _looks_like_path(text: str) -> bool:
    return os.sep in text or "/" in text or text.endswith(".npz") or Path(text).exists()
