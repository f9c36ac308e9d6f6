"""Time forward + backward of the generic simulator (lstmfigs.cells) running the built-in
LSTM, GRU and RNN definitions against the hand-written lstmfigs.sim models holding the
same weights (float32, one BLAS thread, same process) and print the ratio table.

    python bench/bench_cells.py             # both sizes of bench_lstm.py, 5 / 20 rounds
    python bench/bench_cells.py --quick     # fewer rounds
    python bench/bench_cells.py --cells lstm --sizes small

Calls alternate (generic, hand-written, generic, ...), the first call included: the
median of each side is reported and the ratio of the medians (issue 11 asks for at most
2x).  The loss is sum(output * dh) for a fixed random dh: one forward and one full
backward (inputs, initial states and every parameter) per call.
"""

from __future__ import annotations

import os

# One thread each, set before NumPy loads its BLAS.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from lstmfigs import cells  # noqa: E402
from lstmfigs.sim import GRU, LSTM, RNN  # noqa: E402

SIZES = {"large": (1000, 64, 32, 256), "small": (200, 1, 8, 32)}  # (T, B, I, H)

HAND_WRITTEN: dict[str, Any] = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


def alternate(runs: list[Callable[[], object]], rounds: int) -> list[list[float]]:
    """Seconds per call of each run, calls alternating, the first one included."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for run, record in zip(runs, times, strict=True):
            start = time.perf_counter()
            run()
            record.append(time.perf_counter() - start)
    return times


def bench(name: str, steps: int, batch: int, inputs: int, hidden: int,
          rounds: int) -> tuple[float, float]:
    reference = HAND_WRITTEN[name](inputs, hidden, seed=0, dtype="float32")
    generic = cells.builtin(name).from_torch(reference.state_dict())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps, batch, inputs)).astype(np.float32)
    dh = rng.standard_normal((steps, batch, hidden)).astype(np.float32)
    # Same model: the outputs agree (to float32 rounding).
    difference = np.abs(generic.forward(x[:20]).output - reference.forward(x[:20]).h).max()
    assert difference < 1e-4, f"{name}: generic and hand-written models differ ({difference})"

    def run_generic() -> object:
        return generic.backward(generic.forward(x), dh)

    def run_reference() -> object:
        return reference.backward(reference.forward(x), dh)

    ours, theirs = alternate([run_generic, run_reference], rounds)
    return statistics.median(ours), statistics.median(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--cells", default="lstm,gru,rnn", help="comma-separated")
    parser.add_argument("--sizes", default="large,small", help="comma-separated")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, float32, 1 thread, alternating calls, first included, "
          "medians")
    print(f"{'cell':>5} {'T':>5} {'B':>3} {'I':>3} {'H':>4} | "
          f"{'generic s':>9} {'hand s':>8} {'ratio':>6} {'target':>6}")
    for size in args.sizes.split(","):
        steps, batch, inputs, hidden = SIZES[size]
        rounds = (2 if args.quick else 5) if size == "large" else (5 if args.quick else 20)
        for name in args.cells.split(","):
            ours, theirs = bench(name, steps, batch, inputs, hidden, rounds)
            ratio = ours / theirs
            verdict = "ok" if ratio <= 2 else "MISSED"
            print(f"{name:>5} {steps:>5} {batch:>3} {inputs:>3} {hidden:>4} | {ours:9.4f} "
                  f"{theirs:8.4f} {ratio:6.2f} {2:5.1f}x {verdict}", flush=True)


if __name__ == "__main__":
    main()
