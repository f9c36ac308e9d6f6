"""On-disk cache of what ``lstmfigs train`` made on this machine.

Where: ``$LSTMFIGS_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/lstmfigs``, else
``~/.cache/lstmfigs``.  Two kinds of entry, both keyed by everything that changes their
numbers besides the job itself: the lstmfigs version, the NumPy version with the SIMD loops
it dispatches to here, and the BLAS library with the kernels it picked for this CPU
(:func:`lstmfigs.datafigs.environment.numeric_identity`):

* ``jobs/{model}-lag{lag}-seed{seed}-{key}.npz``: one training run, so an interrupted
  ``lstmfigs train`` resumes where it stopped (a cell trained from its definition,
  :mod:`.cellruns`: ``jobs/cell-{name}-...``, its definition in the key);
* ``runs/{name}-{key}.npz``: a whole run set (:mod:`.runs`) named by ``lstmfigs train --name``.

Entries are read like user input (:mod:`lstmfigs.safeio`: regular files only, bounded,
headers checked before reading; then every shape, dtype and value is checked).  A damaged
job entry of any kind counts as missing and is trained again; files are written by the
package's one atomic writer (:func:`lstmfigs.export.atomic_write`: a temporary file in the
same folder, then a rename; the umask respected), so an interrupted run never leaves half a
file.  The built-in figures never read the cache: they use the shipped runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .. import safeio
from ..errors import LstmfigsError
from .environment import numeric_identity
from .scenario import Job, TrainedRun, check_run_arrays

#: Bump when the layout of a cache entry changes.
CACHE_FORMAT = 2
ENV_CACHE_DIR = "LSTMFIGS_CACHE_DIR"
#: The most one job entry may hold (a 1024-unit LSTM is about 16 MB).
MAX_JOB_BYTES = 64 * 2**20
#: Names of run sets in the cache: they become file names.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_NAME = "retrained"


def cache_dir() -> Path:
    """The folder training results are cached in (not created here)."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "lstmfigs"


def cache_key(parameters: Mapping[str, Any]) -> str:
    """A short, stable hash of ``parameters`` (JSON-serialisable) and of this machine's
    numeric identity (lstmfigs, NumPy and its SIMD loops, BLAS and its kernels).

    Parameters
    ----------
    parameters : mapping of str to JSON-serialisable values
        What, besides the machine, determines the entry's numbers.

    Returns
    -------
    str
        The first 16 hex digits of a SHA-256 hash.
    """
    payload = json.dumps({"parameters": dict(parameters), "identity": numeric_identity(),
                          "format": CACHE_FORMAT}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def job_path(job: Job) -> Path:
    """Where the cache entry of ``job`` is, ``jobs/{model}-lag{lag}-seed{seed}-{key}.npz``.

    Parameters
    ----------
    job : TrainingJob or CellJob
        The training run the entry holds; all its fields go into the key (a cell's
        definition included).

    Returns
    -------
    Path
        The entry's path under :func:`cache_dir` (neither the file nor the folder need exist).
    """
    return (
        cache_dir()
        / "jobs"
        / f"{job.model}-lag{job.lag}-seed{job.seed}-{cache_key(asdict(job))}.npz"
    )


def check_name(name: str) -> str:
    """``name`` if it may name a run set in the cache (it becomes part of a file name).

    Parameters
    ----------
    name : str
        Up to 64 letters, digits, ``_``, ``-`` and ``.``, starting with a letter or digit.

    Returns
    -------
    str
        ``name`` unchanged.

    Raises
    ------
    LstmfigsError
        If ``name`` is not a string of that form.
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise LstmfigsError(f"run set name {name!r}: use up to 64 letters, digits, '_', '-' "
                            "and '.', starting with a letter or digit")
    return name


def named_runs_path(name: str) -> Path:
    """Where the run set named ``name`` is cached, ``runs/{name}-{key}.npz``.

    Parameters
    ----------
    name : str
        The run set's name (checked by :func:`check_name`).

    Returns
    -------
    Path
        The entry's path under :func:`cache_dir` (the file need not exist).

    Raises
    ------
    LstmfigsError
        If ``name`` is not a valid run set name.
    """
    return cache_dir() / "runs" / f"{check_name(name)}-{cache_key({'name': name})}.npz"


def load_job(job: Job) -> TrainedRun | None:
    """The cached run of ``job``, or None when it is missing or damaged in any way
    (unreadable, not a regular file, wrong keys, shapes or dtypes, NaN): then it is
    trained again and the entry replaced.

    Parameters
    ----------
    job : TrainingJob
        The training run to look up.

    Returns
    -------
    TrainedRun or None
        The cached run, or None when there is no usable entry.
    """
    path = job_path(job)
    if not os.path.lexists(path):
        return None
    try:
        arrays = safeio.load_npz(path, "cache entry", limit=MAX_JOB_BYTES)
        return TrainedRun.from_arrays(job, check_run_arrays(job, arrays, f"cache entry '{path}'"))
    except LstmfigsError:
        return None


def store_job(run: TrainedRun) -> bool:
    """Cache ``run`` in :func:`job_path`, at once even inside a :func:`~lstmfigs.export.batch`.

    Parameters
    ----------
    run : TrainedRun
        A finished training run.

    Returns
    -------
    bool
        Whether it was stored; False (and nothing left behind) when the cache cannot be
        written, which only costs a retraining later.
    """
    import io

    import numpy as np

    from ..export import atomic_write  # imports matplotlib: not for every cache lookup

    buffer = io.BytesIO()
    np.savez(buffer, **run.to_arrays())  # type: ignore[arg-type]
    path = job_path(run.job)
    if path.is_dir() and not path.is_symlink():
        try:  # an empty folder in the entry's place (a rename cannot replace it)
            path.rmdir()
        except OSError:
            return False
    data = buffer.getvalue()
    try:  # at once, even inside a batch: a finished run is worth keeping whatever follows
        atomic_write(path, lambda handle: handle.write(data), immediate=True, make_folder=True)
    except LstmfigsError:
        return False
    return True
