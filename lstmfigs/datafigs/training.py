"""Training a scenario (``lstmfigs train``): worker processes, the cache, a progress bar.

Retrained models differ from the shipped ones, and between machines: a training run
amplifies last-bit differences between BLAS kernels (OpenBLAS picks AVX-512 or AVX2 code
by CPU) and between NumPy versions (their SIMD loops) into different weights, so the same
job can solve the task on one machine and fail on another.  On one machine a job gives the
same bits every time: each worker runs with one BLAS thread, whatever the caller's settings
(a BLAS splits products over threads differently for different thread counts, which
changes the rounding).  That is why the built-in figures draw from shipped runs and the
cache is keyed by this machine's numeric identity (:mod:`.cache`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import BinaryIO, TextIO, TypeVar

import numpy as np

from ..errors import LstmfigsError
from . import cache, environment
from .runs import RunSet
from .scenario import Job, Scenario, TrainedRun, TrainingJob, check_run_arrays, train_job

#: Thread-count variables a BLAS library reads at start-up; workers get one thread each.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: A job of either kind (the scenario's models, or a cell from its definition).
_AnyJob = TypeVar("_AnyJob", bound=Job)
#: The most one worker's answer may hold.
_MAX_REPLY = 64 * 2**20


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_to_bytes(run: TrainedRun) -> bytes:
    """``run`` as the bytes of an uncompressed ``.npz`` archive of :meth:`TrainedRun.to_arrays`.

    Parameters
    ----------
    run : TrainedRun
        A finished run.

    Returns
    -------
    bytes
    """
    buffer = io.BytesIO()  # np.savez needs a seekable file; a pipe is not
    np.savez(buffer, **run.to_arrays())  # type: ignore[arg-type]
    return buffer.getvalue()


def run_from_bytes(job: Job, data: bytes) -> TrainedRun:
    """The run of ``job`` that :func:`run_to_bytes` encoded, every array checked.

    Parameters
    ----------
    job : TrainingJob
        The job the worker was given.
    data : bytes
        The ``.npz`` archive the worker sent.

    Returns
    -------
    TrainedRun

    Raises
    ------
    LstmfigsError
        If ``data`` is not a readable archive or not a sane run of ``job``.
    """
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise LstmfigsError(f"a training worker sent an unreadable answer ({error})") from None
    return TrainedRun.from_arrays(job, check_run_arrays(job, arrays, "a training worker's answer"))


class _Worker:
    """One ``python -m lstmfigs.datafigs.worker`` process: a job (one JSON line) in,
    an 8-byte length and the run's ``.npz`` bytes out."""

    def __init__(self) -> None:
        env = {**os.environ, **{name: "1" for name in _THREAD_VARIABLES}}
        # -P: the current folder is not put on sys.path (a stray numbers.py there must not
        # shadow the standard library in the worker).
        self.process = subprocess.Popen([sys.executable, "-P", "-m", "lstmfigs.datafigs.worker"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env)

    def train(self, job: Job) -> TrainedRun:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps(asdict(job)).encode("utf-8") + b"\n")
            stdin.flush()
            header = stdout.read(8)
            size = int.from_bytes(header, "big") if len(header) == 8 else -1
            if not 0 < size <= _MAX_REPLY:
                raise LstmfigsError("a training worker stopped")
            data = stdout.read(size)
        except OSError:
            raise LstmfigsError("a training worker stopped") from None
        return run_from_bytes(job, data)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


class _Progress:
    """``[#####.....] 12/120 runs  1m05s, about 3m left`` on one rewritten stderr line."""

    def __init__(self, jobs: Sequence[Job], stream: TextIO | None) -> None:
        self.total = sum(job.cost for job in jobs)
        self.count, self.done_cost, self.started = len(jobs), 0.0, time.monotonic()
        self.finished = 0
        self.stream = stream
        self.show()

    def advance(self, job: Job) -> None:
        self.finished += 1
        self.done_cost += job.cost
        self.show()

    def show(self) -> None:
        if self.stream is None:
            return
        width = 30
        fraction = self.done_cost / self.total if self.total else 1.0
        filled = round(width * fraction)
        elapsed = time.monotonic() - self.started
        left = f", about {_duration(elapsed / fraction - elapsed)} left" if 0 < fraction < 1 else ""
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.finished}/"
                          f"{self.count} runs  {_duration(elapsed)}{left}   ")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def train_runs(scenario: Scenario, *, workers: int | None = None, use_cache: bool = True,
               progress: bool | None = None, stream: TextIO | None = None,
               origin: str = "training") -> RunSet:
    """Every run of ``scenario``: from the cache where a valid entry exists, the rest
    trained in up to ``workers`` worker processes (default: the cores this process may use)
    and cached as each finishes, so an interrupted run resumes.  ``use_cache=False``
    trains everything and touches no cache.  ``progress`` (default: when ``stream``, stderr
    by default, is a terminal) draws a progress bar.

    Parameters
    ----------
    scenario : Scenario
        What to train.
    workers : int, optional
        The most worker processes; None (or 0) for the available cores.
    use_cache : bool, default: True
        Read valid cache entries and store each new run.
    progress : bool, optional
        Draw a progress bar on ``stream``; None draws one when ``stream`` is a terminal.
    stream : text file, optional
        Where the progress bar goes; None for ``sys.stderr``.
    origin : str, default: "training"
        The run set's origin, for messages.

    Returns
    -------
    RunSet
        Every run of ``scenario``, with this machine's environment record.
    """
    stream = sys.stderr if stream is None else stream
    if progress is None:
        progress = stream.isatty()
    jobs = scenario.all_jobs()
    found: dict[TrainingJob, TrainedRun] = {}
    if use_cache:
        found = {job: run for job in jobs if (run := cache.load_job(job)) is not None}
    missing = sorted((job for job in jobs if job not in found), key=lambda j: -j.cost)
    bar = _Progress(missing, stream if progress else None)
    try:
        for job, run in _train_in_workers(missing, workers or available_cores()):
            found[job] = run
            if use_cache:
                cache.store_job(run)
            bar.advance(job)
    finally:
        bar.close()
    return RunSet.from_runs(scenario, found, environment.record(), origin)


def _train_in_workers(jobs: Sequence[_AnyJob],
                      count: int) -> Iterator[tuple[_AnyJob, TrainedRun]]:
    """Yield ``(job, run)`` as workers finish them (longest first).

    Why plain subprocesses rather than multiprocessing: a spawned multiprocessing worker
    re-imports the caller's ``__main__`` (a user script without a main guard breaks), and
    forking a process that holds BLAS threads is not safe everywhere.  Should a worker
    fail, its job is trained in this process instead (the same numbers only if this
    process's BLAS is single-threaded).  On an interrupt every worker is killed.
    """
    if not jobs:
        return
    pending: queue.Queue[_AnyJob] = queue.Queue()
    for job in jobs:
        pending.put(job)
    done: queue.Queue[tuple[_AnyJob, TrainedRun | None]] = queue.Queue()
    workers = [_Worker() for _ in range(max(1, min(count, len(jobs))))]
    stop = threading.Event()

    def serve(worker: _Worker) -> None:
        while not stop.is_set():
            try:
                job = pending.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((job, worker.train(job)))
            except LstmfigsError:
                done.put((job, None))  # trained below, in this process
                return

    threads = [threading.Thread(target=serve, args=(worker,), daemon=True) for worker in workers]
    try:
        for thread in threads:
            thread.start()
        for _ in range(len(jobs)):
            while True:
                try:
                    job, run = done.get(timeout=0.2)  # short waits keep Ctrl-C responsive
                    break
                except queue.Empty:
                    if not any(thread.is_alive() for thread in threads) and done.empty():
                        job, run = pending.get_nowait(), None
                        break
            yield job, run if run is not None else train_job(job)
    finally:
        stop.set()
        for worker in workers:
            worker.stop()
        for thread in threads:
            # An interrupt can land between two start() calls (or inside one): a thread
            # that never started cannot be joined, and needs no joining (its worker is
            # stopped above and the thread is a daemon).
            with contextlib.suppress(RuntimeError):
                thread.join(timeout=5)


def write_stream(run: TrainedRun, stream: BinaryIO) -> None:
    """The worker's side of the protocol (see :class:`_Worker`).

    Parameters
    ----------
    run : TrainedRun
        The trained run.
    stream : binary file
        The worker's standard output: an 8-byte big-endian length, then
        :func:`run_to_bytes`, then a flush.
    """
    data = run_to_bytes(run)
    stream.write(len(data).to_bytes(8, "big"))
    stream.write(data)
    stream.flush()
