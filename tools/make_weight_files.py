"""Regenerate tests/fixtures/weights/: small weight files as PyTorch and Keras users save
them, with the frameworks' own outputs, so the loader's tests check real files where
neither torch nor keras is installed (CI).

    KERAS_BACKEND=torch python tools/make_weight_files.py     # needs torch, keras, safetensors

Files (all small):

* ``torch_model.pt``: ``torch.save(model.state_dict())`` of a module wrapping
  ``nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)`` (keys ``lstm.*``) and a
  ``nn.Linear`` head (``head.*``); ``torch_model.safetensors`` the same state dict.
* ``torch_bf16.safetensors``: a bfloat16 ``nn.GRU(3, 4)`` state dict.
* ``keras_model.keras``: ``Embedding(10, 4) -> LSTM(5, recurrent_activation="hard_sigmoid",
  return_sequences=True) -> Dense(3)``, saved by Keras 3 (torch backend).
* ``keras_two.keras`` and ``keras_two.weights.h5``: ``LSTM(6, activation="relu") ->
  GRU(4, recurrent_activation="hard_sigmoid") -> Dense(2)`` named so that the names sort in
  the opposite order to the layers (``zz_first``, ``aa_second``).
* ``expected.npz``: the inputs and the frameworks' outputs: ``torch/x`` (T, B, 3) and
  ``torch/out``, ``torch/h_n``, ``torch/c_n``, ``torch/grad_x`` (of sum(out * torch/dh));
  ``bf16/x``, ``bf16/out``; ``keras/ids`` (B, T), ``keras/embedded`` (B, T, 4),
  ``keras/lstm`` (B, T, 5); ``two/x`` (B, T, 3), ``two/first`` (B, T, 6), ``two/second``
  (B, T, 4); ``versions``.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

from pathlib import Path

import keras
import numpy as np
import safetensors.torch
import torch

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "weights"


class Tagger(torch.nn.Module):
    """What a PyTorch user's model looks like: a recurrent layer inside a module."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
        self.head = torch.nn.Linear(4, 2)


def as_numpy(value: torch.Tensor) -> np.ndarray:
    return value.detach().cpu().numpy().copy()


def torch_files(expected: dict[str, np.ndarray]) -> None:
    torch.manual_seed(0)
    model = Tagger()
    torch.save(model.state_dict(), OUTPUT / "torch_model.pt")
    safetensors.torch.save_file({k: v.contiguous() for k, v in model.state_dict().items()},
                                OUTPUT / "torch_model.safetensors")
    x = torch.randn(7, 2, 3, requires_grad=True)
    dh = torch.randn(7, 2, 4)
    out, (h_n, c_n) = model.lstm(x)
    (out * dh).sum().backward()
    expected.update({"torch/x": as_numpy(x), "torch/dh": as_numpy(dh), "torch/out": as_numpy(out),
                     "torch/h_n": as_numpy(h_n), "torch/c_n": as_numpy(c_n),
                     "torch/grad_x": as_numpy(x.grad)})
    gru = torch.nn.GRU(3, 4).to(torch.bfloat16)
    safetensors.torch.save_file(gru.state_dict(), OUTPUT / "torch_bf16.safetensors")
    reference = torch.nn.GRU(3, 4)
    reference.load_state_dict({k: v.float() for k, v in gru.state_dict().items()})
    x = torch.randn(6, 1, 3)
    expected.update({"bf16/x": as_numpy(x), "bf16/out": as_numpy(reference(x)[0])})


def keras_files(expected: dict[str, np.ndarray]) -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(10, 4),
        keras.layers.LSTM(5, recurrent_activation="hard_sigmoid", return_sequences=True),
        keras.layers.Dense(3),
    ])
    model.save(OUTPUT / "keras_model.keras")
    ids = np.random.default_rng(0).integers(0, 10, (2, 8)).astype("int32")
    embedded = model.layers[0](ids)
    expected.update({"keras/ids": ids, "keras/embedded": as_numpy(embedded),
                     "keras/lstm": as_numpy(model.layers[1](embedded))})

    two = keras.Sequential([
        keras.Input((None, 3)),
        keras.layers.LSTM(6, activation="relu", return_sequences=True, name="zz_first"),
        keras.layers.GRU(4, recurrent_activation="hard_sigmoid", return_sequences=True,
                         name="aa_second"),
        keras.layers.Dense(2),
    ])
    two.save(OUTPUT / "keras_two.keras")
    two.save_weights(OUTPUT / "keras_two.weights.h5")
    x = np.random.default_rng(1).standard_normal((2, 8, 3)).astype("float32")
    first = two.layers[0](x)
    expected.update({"two/x": x, "two/first": as_numpy(first),
                     "two/second": as_numpy(two.layers[1](first))})


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    expected: dict[str, np.ndarray] = {
        "versions": np.array(f"torch {torch.__version__}, keras {keras.__version__} "
                             f"({keras.backend.backend()})")}
    torch_files(expected)
    keras_files(expected)
    np.savez_compressed(OUTPUT / "expected.npz", **expected)
    for path in sorted(OUTPUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
