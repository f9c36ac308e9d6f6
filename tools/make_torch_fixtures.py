"""Regenerate tests/fixtures/torch_reference.npz: outputs and autograd gradients of
torch.nn.LSTM / GRU / RNN on small random problems, so the simulator's tests compare
against PyTorch where torch is not installed (CI).

    python tools/make_torch_fixtures.py          # needs torch (CPU is enough)

Each case ``NAME`` stores ``NAME/param/<state_dict key>``, ``NAME/x``, ``NAME/h0``
(``NAME/c0``), the upstream gradients ``NAME/dh`` (T, B, H), ``NAME/dh_n`` (``NAME/dc_n``),
PyTorch's results ``NAME/out/h``, ``NAME/out/h_n`` (``NAME/out/c_n``) and gradients
``NAME/grad/x``, ``NAME/grad/h0`` (``NAME/grad/c0``), ``NAME/grad/<param>``.  The loss is
sum(h * dh) + sum(h_n * dh_n) (+ sum(c_n * dc_n)).  ``torch_version`` records the
generating version.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_reference.npz"

# name: (module, num_layers, dtype, T, B, I, H)
CASES = {
    "lstm_f64": (torch.nn.LSTM, 1, torch.float64, 6, 3, 4, 5),
    "lstm_f32": (torch.nn.LSTM, 1, torch.float32, 6, 3, 4, 5),
    "lstm2_f64": (torch.nn.LSTM, 2, torch.float64, 5, 2, 3, 4),
    "gru_f64": (torch.nn.GRU, 1, torch.float64, 6, 3, 4, 5),
    "gru2_f32": (torch.nn.GRU, 2, torch.float32, 5, 2, 3, 4),
    "rnn_f64": (torch.nn.RNN, 1, torch.float64, 6, 3, 4, 5),
    "rnn2_f32": (torch.nn.RNN, 2, torch.float32, 5, 2, 3, 4),
}


def make_case(module: type, layers: int, dtype: torch.dtype, steps: int, batch: int,
              inputs: int, hidden: int) -> dict[str, np.ndarray]:
    net = module(inputs, hidden, num_layers=layers).to(dtype)
    with torch.no_grad():  # spread the weights wider than the default init: more saturation
        for parameter in net.parameters():
            parameter.mul_(2.0)
    cell = module is torch.nn.LSTM

    def tensor(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, dtype=dtype)

    x = tensor(steps, batch, inputs).requires_grad_()
    h0 = tensor(layers, batch, hidden).requires_grad_()
    c0 = tensor(layers, batch, hidden).requires_grad_()
    dh, dh_n, dc_n = tensor(steps, batch, hidden), tensor(layers, batch, hidden), tensor(layers, batch, hidden)
    if cell:
        out, (h_n, c_n) = net(x, (h0, c0))
        loss = (out * dh).sum() + (h_n * dh_n).sum() + (c_n * dc_n).sum()
    else:
        out, h_n = net(x, h0)
        loss = (out * dh).sum() + (h_n * dh_n).sum()
    loss.backward()
    case = {"x": x, "h0": h0, "dh": dh, "dh_n": dh_n, "out/h": out, "out/h_n": h_n,
            "grad/x": x.grad, "grad/h0": h0.grad}
    if cell:
        case.update({"c0": c0, "dc_n": dc_n, "out/c_n": c_n, "grad/c0": c0.grad})
    for name, parameter in net.named_parameters():
        case[f"param/{name}"] = parameter
        case[f"grad/{name}"] = parameter.grad
    return {key: value.detach().numpy().copy() for key, value in case.items()}


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    arrays: dict[str, np.ndarray] = {"torch_version": np.array(torch.__version__)}
    for name, spec in CASES.items():
        for key, value in make_case(*spec).items():
            arrays[f"{name}/{key}"] = value
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUTPUT, **arrays)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
