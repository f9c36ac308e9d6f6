"""Write tests/fixtures/torch_cells.npz: more float64 torch.nn references for the cell
definitions (tests/cells/test_builtin_torch.py), in the format of torch_reference.npz
(see tools/make_torch_fixtures.py, whose ``make_case`` this reuses).

torch_reference.npz has float64 cases for lstm (1 and 2 layers, no bias, LSTMCell), gru
(1 layer, GRUCell without bias), rnn (1 layer) and rnn-relu (2 layers); these add what it
only has in float32 or not at all: stacked GRU and tanh RNN, a deeper LSTM with I != H,
a GRU without biases and a tanh RNNCell.

    /work/torchenv/bin/python tools/make_cell_fixtures.py      # needs torch (CPU is enough)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_torch_fixtures import F64, GRU, LSTM, RNN, make_case  # noqa: E402

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_cells.npz"

# name: (module, dtype, T, B, I, H, constructor options), as in make_torch_fixtures.CASES
CASES: dict[str, tuple[type, torch.dtype, int, int, int, int, dict[str, Any]]] = {
    "gru2_f64": (GRU, F64, 7, 3, 4, 5, {"num_layers": 2}),
    "gru-nobias_f64": (GRU, F64, 6, 2, 3, 4, {"bias": False}),
    "rnn2_f64": (RNN, F64, 7, 3, 4, 5, {"num_layers": 2}),
    "lstm3_f64": (LSTM, F64, 8, 2, 3, 6, {"num_layers": 3}),
    "rnncell_f64": (torch.nn.RNNCell, F64, 5, 3, 4, 5, {}),
}


def main() -> None:
    torch.manual_seed(11)
    torch.set_num_threads(1)
    arrays: dict[str, np.ndarray] = {"torch_version": np.array(torch.__version__)}
    for name, spec in CASES.items():
        for key, value in make_case(*spec).items():
            arrays[f"{name}/{key}"] = value
    np.savez_compressed(OUTPUT, **arrays)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
