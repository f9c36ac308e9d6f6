"""Time forward + backward of lstmfigs.sim's LSTM (GRU, RNN) against torch.nn's, calls
alternating in one process with the first call included, and print the ratio and spread.

    python bench/bench_lstm.py                  # LSTM, both sizes of the README table
    python bench/bench_lstm.py --model all      # LSTM, GRU and RNN
    python bench/bench_lstm.py --calls 4        # fewer calls per side (default 6)

Each configuration runs in a fresh Python process (so its first call is a process's first
call: BLAS start-up, first allocations) with one thread each and float32.  The two sides
alternate, ours first: ours, torch, ours, torch, ...  Every call is counted, the first
included; nothing is discarded as warm-up.  The loss is sum(h * dh) for a fixed random dh,
so both sides do one forward and one full backward (inputs, initial states and all
parameters).  Reported per side: the mean time and the spread (max - min) / min over the
calls; the ratio is ours / torch on the means (the first call included), and "median" the
ratio of the medians (the steady state).  The goals (issue 11): ratio <= 1.5 and our spread
< 25 %.

Times are CPU times of the process (``time.process_time``: user + system, page faults
included), which time-sharing with other jobs does not inflate; the wall-clock ratio is
printed beside them.  On a quiet machine the two agree.

Memory: a separate fresh process traces our allocations with tracemalloc from before the
model is built (so buffers kept between calls count) and reports, for the first and the
second call, the memory live after forward and the peak during forward + backward.
"""

from __future__ import annotations

import os

# One thread each, set before NumPy/torch load their BLAS.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

SIZES = [  # (T, B, I, H)
    (1000, 64, 32, 256),
    (200, 1, 8, 32),
]
MODELS = ("lstm", "gru", "rnn")
#: Goals of issue 11: ours / torch on the mean of all calls, and our spread between calls.
RATIO_GOAL, SPREAD_GOAL = 1.5, 0.25


def setup(model_name: str, steps: int, batch: int, inputs: int,
          hidden: int) -> tuple[Callable[[], object], Callable[[], object], Any, Any, Any]:
    """Both sides' forward + backward as callables, plus our model and its data."""
    import torch

    import lstmfigs.sim as sim

    torch.set_num_threads(1)
    torch.manual_seed(0)
    reference = getattr(torch.nn, model_name.upper())(inputs, hidden)
    ours = getattr(sim, model_name.upper()).from_torch(
        {k: v.detach().numpy() for k, v in reference.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps, batch, inputs)).astype(np.float32)
    dh = rng.standard_normal((steps, batch, hidden)).astype(np.float32)
    x_torch, dh_torch = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dh)

    def run_ours() -> object:
        return ours.backward(ours.forward(x), dh)

    def run_torch() -> object:
        reference.zero_grad(set_to_none=True)
        x_torch.grad = None
        output, _ = reference(x_torch)
        output.backward(dh_torch)
        return x_torch.grad

    return run_ours, run_torch, ours, x, dh


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - cpu, time.perf_counter() - wall


def measure_time(model_name: str, size: tuple[int, ...], calls: int) -> dict[str, Any]:
    run_ours, run_torch, *_ = setup(model_name, *size)
    ours, theirs = [], []
    for _ in range(calls):
        ours.append(timed(run_ours))
        theirs.append(timed(run_torch))
    return {"ours": [cpu for cpu, _ in ours], "torch": [cpu for cpu, _ in theirs],
            "ours_wall": [wall for _, wall in ours], "torch_wall": [wall for _, wall in theirs]}


def measure_memory(model_name: str, size: tuple[int, ...]) -> dict[str, Any]:
    import tracemalloc

    tracemalloc.start()
    _, _, model, x, dh = setup(model_name, *size)
    data = tracemalloc.get_traced_memory()[0]  # imports, inputs, parameters
    calls = []
    for _ in range(2):
        tracemalloc.reset_peak()
        trace = model.forward(x)
        after_forward = tracemalloc.get_traced_memory()[0]
        model.backward(trace, dh)
        del trace
        calls.append({"after_forward": after_forward, "peak": tracemalloc.get_traced_memory()[1]})
    return {"data": data, "calls": calls}


def child(model_name: str, size: tuple[int, ...], calls: int, memory: bool) -> dict[str, Any]:
    """Run one measurement in a fresh process and return its JSON result."""
    command = [sys.executable, __file__, "--child", model_name, ",".join(map(str, size)),
               str(calls)] + (["--memory"] if memory else [])
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def spread(times: list[float]) -> float:
    return (max(times) - min(times)) / min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=(*MODELS, "all"), default="lstm")
    parser.add_argument("--calls", type=int, default=6, help="calls per side (default 6)")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, size_text, calls = args.child
        size = tuple(int(part) for part in size_text.split(","))
        result = measure_memory(name, size) if args.memory else measure_time(name, size, int(calls))
        print(json.dumps(result))
        return
    import torch

    print(f"numpy {np.__version__}, torch {torch.__version__}, float32, 1 thread each; "
          f"{args.calls} alternating calls per side, first call included; CPU seconds")
    print(f"{'model':>5} {'T':>5} {'B':>3} {'I':>3} {'H':>4} | {'ours s':>8} {'spread':>6} | "
          f"{'torch s':>8} {'spread':>6} | {'ratio':>5} {'median':>6} {'wall':>5} | "
          f"{'data MB':>7} {'fwd MB':>7} {'peak MB':>7} | goal")
    for name in MODELS if args.model == "all" else (args.model,):
        for size in SIZES:
            times = child(name, size, args.calls, memory=False)
            ours, theirs = np.mean(times["ours"]), np.mean(times["torch"])
            ratio, our_spread = ours / theirs, spread(times["ours"])
            median = np.median(times["ours"]) / np.median(times["torch"])
            wall = np.mean(times["ours_wall"]) / np.mean(times["torch_wall"])
            memory = "-"
            if not args.no_memory:
                traced = child(name, size, 0, memory=True)
                # The larger of the two calls' figures (the first call's, unless buffers grow).
                memory = (f"{traced['data'] / 1e6:7.1f} "
                          f"{max(c['after_forward'] for c in traced['calls']) / 1e6:7.1f} "
                          f"{max(c['peak'] for c in traced['calls']) / 1e6:7.1f}")
            verdict = "ok" if ratio <= RATIO_GOAL and our_spread < SPREAD_GOAL else "MISSED"
            print(f"{name:>5} {size[0]:>5} {size[1]:>3} {size[2]:>3} {size[3]:>4} | "
                  f"{ours:8.4f} {our_spread:6.0%} | {theirs:8.4f} {spread(times['torch']):6.0%} | "
                  f"{ratio:5.2f} {median:6.2f} {wall:5.2f} | {memory:>23} | {verdict}")
            for side in ("ours", "torch"):
                print(f"      {side:>5} CPU s  " + " ".join(f"{t:.4f}" for t in times[side])
                      + f"\n      {side:>5} wall s "
                      + " ".join(f"{t:.4f}" for t in times[f"{side}_wall"]))


if __name__ == "__main__":
    main()
