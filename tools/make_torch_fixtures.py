"""Regenerate tests/fixtures/torch_reference.npz: outputs and autograd gradients of
torch.nn.LSTM / GRU / RNN (every torch.nn option) and of the *Cell classes on small random
problems, so the simulator's tests compare against PyTorch where torch is not installed (CI).

    python tools/make_torch_fixtures.py          # needs torch (CPU is enough)

Each case ``NAME`` stores ``NAME/param/<state_dict key>``, ``NAME/x``, ``NAME/h0``
(``NAME/c0``), the upstream gradients ``NAME/dh`` (shaped like the output),
``NAME/dh_n`` (``NAME/dc_n``), PyTorch's results ``NAME/out/h`` (the output, in the
module's layout), ``NAME/out/h_n`` (``NAME/out/c_n``) and gradients ``NAME/grad/x``,
``NAME/grad/h0`` (``NAME/grad/c0``), ``NAME/grad/<param>``.  The loss is
sum(out * dh) + sum(h_n * dh_n) (+ sum(c_n * dc_n)).  ``NAME/options`` is a JSON object
of the constructor options a state dict does not carry (``batch_first``,
``nonlinearity``, ``dropout``) plus ``model`` (the lstmfigs.sim class) and, for dropout,
``seed``; ``NAME/dropout`` the masks.  Cells are stepped over the sequence; their h0/c0
are (B, H) and their states come out as (1, B, H).  ``torch_version`` records the
generating version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_reference.npz"

F64, F32 = torch.float64, torch.float32
LSTM, GRU, RNN = torch.nn.LSTM, torch.nn.GRU, torch.nn.RNN

# name: (module, dtype, T, B, I, H, constructor options)
CASES: dict[str, tuple[type, torch.dtype, int, int, int, int, dict[str, Any]]] = {
    "lstm_f64": (LSTM, F64, 6, 3, 4, 5, {}),
    "lstm_f32": (LSTM, F32, 6, 3, 4, 5, {}),
    "lstm2_f64": (LSTM, F64, 5, 2, 3, 4, {"num_layers": 2}),
    "gru_f64": (GRU, F64, 6, 3, 4, 5, {}),
    "gru2_f32": (GRU, F32, 5, 2, 3, 4, {"num_layers": 2}),
    "rnn_f64": (RNN, F64, 6, 3, 4, 5, {}),
    "rnn2_f32": (RNN, F32, 5, 2, 3, 4, {"num_layers": 2}),
    # The torch.nn options, one or several at a time.
    "lstm-proj-bi2_f64": (LSTM, F64, 5, 2, 3, 5, {"num_layers": 2, "bidirectional": True,
                                                  "proj_size": 3}),
    "lstm-proj_f32": (LSTM, F32, 6, 3, 4, 6, {"proj_size": 2}),
    "lstm-nobias-bf_f64": (LSTM, F64, 5, 3, 4, 4, {"bias": False, "batch_first": True}),
    "lstm-unbatched-bi_f64": (LSTM, F64, 5, 0, 3, 4, {"bidirectional": True}),
    "gru-bi2_f64": (GRU, F64, 5, 2, 3, 4, {"num_layers": 2, "bidirectional": True}),
    "gru-nobias-unbatched_f32": (GRU, F32, 6, 0, 3, 4, {"bias": False}),
    "rnn-relu2_f64": (RNN, F64, 6, 3, 4, 5, {"num_layers": 2, "nonlinearity": "relu"}),
    "rnn-relu-bi-bf_f32": (RNN, F32, 5, 2, 3, 4, {"nonlinearity": "relu", "bidirectional": True,
                                                  "batch_first": True}),
    "lstm-dropout3_f64": (LSTM, F64, 5, 2, 3, 4, {"num_layers": 3, "dropout": 0.4}),
    "gru-dropout-bi2_f64": (GRU, F64, 5, 2, 3, 4, {"num_layers": 2, "dropout": 0.5,
                                                   "bidirectional": True}),
    "lstmcell_f64": (torch.nn.LSTMCell, F64, 5, 3, 4, 5, {}),
    "grucell-nobias_f64": (torch.nn.GRUCell, F64, 5, 3, 4, 5, {"bias": False}),
    "rnncell-relu_f32": (torch.nn.RNNCell, F32, 5, 3, 4, 5, {"nonlinearity": "relu"}),
}

SIM_CLASS = {LSTM: "LSTM", GRU: "GRU", RNN: "RNN", torch.nn.LSTMCell: "LSTMCell",
             torch.nn.GRUCell: "GRUCell", torch.nn.RNNCell: "RNNCell"}
DROPOUT_SEED = 7


def dropout_masks(layers: int, p: float, steps: int, batch: int, width: int) -> list[np.ndarray]:
    """The masks lstmfigs.sim draws for ``forward(..., training=True, seed=DROPOUT_SEED)``
    (the test checks that the simulator draws these same masks)."""
    keep = 1.0 - p
    return [(np.random.default_rng([DROPOUT_SEED, layer]).random((steps, batch, width)) < keep)
            / keep for layer in range(layers - 1)]


Parameters = dict[str, torch.nn.Parameter]


def stacked_with_masks(net: torch.nn.Module, x: torch.Tensor, states: tuple[torch.Tensor, ...],
                       masks: list[np.ndarray],
                       ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...], Parameters]:
    """torch.nn's training-mode dropout between layers, with given masks: each layer runs as
    a one-layer module holding a copy of that layer's parameters, and its output is
    multiplied by the mask (already scaled by 1/(1-p)).  Returns the output, the final
    states and the copies under ``net``'s names (their ``.grad`` are ``net``'s gradients)."""
    directions = 2 if net.bidirectional else 1
    finals: list[list[torch.Tensor]] = [[] for _ in states]
    copies: dict[str, torch.nn.Parameter] = {}
    layer_input = x
    for layer in range(net.num_layers):
        single = type(net)(layer_input.shape[-1], net.hidden_size,
                           bidirectional=net.bidirectional).to(x.dtype)
        single.load_state_dict({name: getattr(net, name.replace("_l0", f"_l{layer}")).detach()
                                for name in single.state_dict()})
        copies.update({name.replace("_l0", f"_l{layer}"): value
                       for name, value in single.named_parameters()})
        part = tuple(state[layer * directions:(layer + 1) * directions] for state in states)
        output, final = single(layer_input, part if len(part) > 1 else part[0])
        final = final if isinstance(final, tuple) else (final,)
        for collected, value in zip(finals, final, strict=True):
            collected.append(value)
        if layer < len(masks):
            output = output * torch.from_numpy(masks[layer]).to(x.dtype)
        layer_input = output
    return layer_input, tuple(torch.cat(collected) for collected in finals), copies


def make_case(module: type, dtype: torch.dtype, steps: int, batch: int, inputs: int, hidden: int,
              options: dict[str, Any]) -> dict[str, np.ndarray]:
    net = module(inputs, hidden, **options).to(dtype)
    with torch.no_grad():  # spread the weights wider than the default init: more saturation
        for parameter in net.parameters():
            parameter.mul_(2.0)
    is_cell = module in (torch.nn.LSTMCell, torch.nn.GRUCell, torch.nn.RNNCell)
    has_c = module in (LSTM, torch.nn.LSTMCell)
    batch_first = options.get("batch_first", False)
    directions = 2 if options.get("bidirectional") else 1
    units = options.get("num_layers", 1) * directions
    out_size = options.get("proj_size", 0) or hidden

    def tensor(*shape: int) -> torch.Tensor:
        return torch.randn(*[s for s in shape if s], dtype=dtype)

    x = tensor(batch, steps, inputs) if batch_first else tensor(steps, batch, inputs)
    x.requires_grad_()
    state_lead = () if is_cell else (units,)
    h0 = tensor(*state_lead, batch, out_size).requires_grad_()
    c0 = tensor(*state_lead, batch, hidden).requires_grad_()
    states = (h0, c0) if has_c else (h0,)
    masks: list[np.ndarray] = []
    gradient_holders = dict(net.named_parameters())
    if is_cell:
        h, c, outputs = h0, c0, []
        for x_t in x:
            if has_c:
                h, c = net(x_t, (h, c))
            else:
                h = net(x_t, h)
            outputs.append(h)
        out = torch.stack(outputs)
        finals = (h[None], c[None]) if has_c else (h[None],)
    elif options.get("dropout"):
        masks = dropout_masks(net.num_layers, options["dropout"], steps, batch,
                              directions * out_size)
        out, finals, gradient_holders = stacked_with_masks(net, x, states, masks)
    else:
        out, final = net(x, states if has_c else h0)
        finals = final if has_c else (final,)
    dh = torch.randn_like(out)
    d_finals = [torch.randn_like(value) for value in finals]
    loss = (out * dh).sum() + sum((value * grad).sum()
                                  for value, grad in zip(finals, d_finals, strict=True))
    loss.backward()
    case: dict[str, Any] = {"x": x, "h0": h0, "dh": dh, "dh_n": d_finals[0], "out/h": out,
                            "out/h_n": finals[0], "grad/x": x.grad, "grad/h0": h0.grad}
    if has_c:
        case.update({"c0": c0, "dc_n": d_finals[1], "out/c_n": finals[1], "grad/c0": c0.grad})
    for name, parameter in net.named_parameters():
        case[f"param/{name}"] = parameter
        case[f"grad/{name}"] = gradient_holders[name].grad
    arrays = {key: value.detach().numpy().copy() for key, value in case.items()}
    if is_cell:  # the simulator's cell states come with a leading unit axis
        for key in ("grad/h0", "grad/c0"):
            if key in arrays:
                arrays[key] = arrays[key][None]
    recorded = {key: value for key, value in options.items()
                if key in ("batch_first", "nonlinearity", "dropout")}
    recorded["model"] = SIM_CLASS[module]
    if masks:
        recorded["seed"] = DROPOUT_SEED
        arrays["dropout"] = np.stack(masks).astype(arrays["x"].dtype)
    arrays["options"] = np.array(json.dumps(recorded, sort_keys=True))
    return arrays


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
