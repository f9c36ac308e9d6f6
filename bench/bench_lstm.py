"""Time forward + backward of lstmfigs.sim.LSTM against torch.nn.LSTM (CPU, one thread each,
float32, same process) and print the ratio.

    python bench/bench_lstm.py            # both sizes of the README table
    python bench/bench_lstm.py --quick    # fewer repeats

The loss is sum(h * dh) for a fixed random dh, so both sides do exactly one forward and
one full backward (inputs, initial states and all parameters).  Each configuration is
timed `repeats` times after a warm-up; the minimum is reported (least disturbed by noise).
"""

from __future__ import annotations

import os

# One thread each, set before NumPy/torch load their BLAS.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from lstmfigs.sim import LSTM  # noqa: E402

SIZES = [  # (T, B, I, H, target ratio)
    (1000, 64, 32, 256, 1.5),
    (200, 1, 8, 32, 5.0),
]


def best_time(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: allocations, BLAS initialisation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def bench(steps: int, batch: int, inputs: int, hidden: int, repeats: int) -> tuple[float, float]:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    reference = torch.nn.LSTM(inputs, hidden)
    model = LSTM.from_torch({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps, batch, inputs)).astype(np.float32)
    dh = rng.standard_normal((steps, batch, hidden)).astype(np.float32)
    x_torch, dh_torch = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dh)

    def run_numpy() -> object:
        return model.backward(model.forward(x), dh)

    def run_torch() -> object:
        reference.zero_grad(set_to_none=True)
        x_torch.grad = None
        output, _ = reference(x_torch)
        output.backward(dh_torch)
        return x_torch.grad

    return best_time(run_numpy, repeats), best_time(run_torch, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    import torch

    print(f"numpy {np.__version__}, torch {torch.__version__}, float32, 1 thread each")
    print(f"{'T':>5} {'B':>3} {'I':>3} {'H':>4} | "
          f"{'numpy s':>8} {'torch s':>8} {'ratio':>6} {'target':>6}")
    for steps, batch, inputs, hidden, target in SIZES:
        big = steps * batch * hidden > 1e6
        repeats = (2 if args.quick else 5) if big else (10 if args.quick else 50)
        ours, theirs = bench(steps, batch, inputs, hidden, repeats)
        ratio = ours / theirs
        verdict = "ok" if ratio <= target else "MISSED"
        print(f"{steps:>5} {batch:>3} {inputs:>3} {hidden:>4} | {ours:8.4f} {theirs:8.4f} "
              f"{ratio:6.2f} {target:5.1f}x {verdict}")


if __name__ == "__main__":
    main()
