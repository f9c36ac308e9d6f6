"""Training worker: ``python -m lstmfigs.datafigs.worker`` reads one training job per line
(JSON) on stdin and answers each on stdout with an 8-byte length and the run's ``.npz``
(see :mod:`lstmfigs.datafigs.training`).  It stops at the end of its input."""

from __future__ import annotations

import json
import sys

from .scenario import TrainingJob, train_job
from .training import write_stream


def main() -> None:
    for line in sys.stdin.buffer:
        if line.strip():
            write_stream(train_job(TrainingJob(**json.loads(line))), sys.stdout.buffer)


if __name__ == "__main__":
    main()
