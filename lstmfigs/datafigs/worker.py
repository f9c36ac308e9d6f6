"""Worker process for cold training: ``python -m lstmfigs.datafigs.worker`` reads a JSON
list of training jobs on stdin, trains them in order and writes their arrays to stdout
as one ``.npz`` (see :func:`lstmfigs.datafigs.scenario.train_to_stream`)."""

from __future__ import annotations

import io
import json
import sys

from .scenario import TrainingJob, train_to_stream


def main() -> None:
    jobs = [TrainingJob(**fields) for fields in json.load(sys.stdin)]
    buffer = io.BytesIO()  # np.savez needs a seekable file; stdout is a pipe
    train_to_stream(jobs, buffer)
    sys.stdout.buffer.write(buffer.getvalue())
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
