"""Make the shipped runs of the built-in scenario: ``lstmfigs/datafigs/data/builtin-runs.npz``.

    python tools/make_scenario_data.py [--workers N]

Trains every (model, lag, seed) run of :data:`lstmfigs.datafigs.scenario.BUILTIN` from
scratch in worker processes (one BLAS thread each; the cache is neither read nor written)
and writes the weights, readouts and training histories, float32 and compressed, with the
record of the machine it ran on (lstmfigs, NumPy and its SIMD loops, BLAS and its kernels,
Python, CPU, date) in the file's ``meta`` and, for people reading the repository, in
``builtin-runs.json`` beside it.  The outcome (how many seeds solved each lag) is printed.

Run it again only when the scenario changes: another machine trains other models (see
:mod:`lstmfigs.datafigs.training`), and the figures, image baselines and README numbers
all follow from this file.  The figures' tests then say what to regenerate.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lstmfigs.datafigs.runs import SHIPPED_FILE
from lstmfigs.datafigs.scenario import BUILTIN, MODEL_KINDS, SOLVED
from lstmfigs.datafigs.training import available_cores, train_runs

DATA = Path(__file__).resolve().parents[1] / "lstmfigs" / "datafigs" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=available_cores())
    args = parser.parse_args()
    runs = train_runs(BUILTIN, workers=args.workers, use_cache=False, progress=True,
                      stream=sys.stderr, origin="the shipped data")
    path = runs.save(DATA / SHIPPED_FILE)
    outcome = {model: dict(zip(map(str, BUILTIN.lags), map(int, runs.solved(model)), strict=True))
               for model in MODEL_KINDS}
    record = {"file": SHIPPED_FILE, "bytes": path.stat().st_size,
              "environment": runs.environment, "scenario": BUILTIN.to_dict(),
              f"seeds solved (final accuracy >= {SOLVED}) by lag": outcome}
    (DATA / "builtin-runs.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
