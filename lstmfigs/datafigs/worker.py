"""Training worker: ``python -m lstmfigs.datafigs.worker`` reads one training job per line
(JSON) on stdin and answers each on stdout with an 8-byte length and the run's ``.npz``
(see :mod:`lstmfigs.datafigs.training`).  It stops at the end of its input, and on Linux
also when the process that started it dies, however it died (a killed ``lstmfigs train``
leaves no training behind)."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys

from .scenario import Job, TrainingJob, train_job
from .training import write_stream

#: prctl(2) option: the signal this process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        sys.exit(1)


def _job(fields: dict[str, object]) -> Job:
    """A job from its JSON fields: a cell's (it carries its definition) or a model's."""
    if "cell_source" in fields:
        from .cellruns import CellJob

        return CellJob(**fields)  # type: ignore[arg-type]
    return TrainingJob(**fields)  # type: ignore[arg-type]


def main() -> None:
    _die_with_parent()
    for line in sys.stdin.buffer:
        if line.strip():
            write_stream(train_job(_job(json.loads(line))), sys.stdout.buffer)


if __name__ == "__main__":
    main()
