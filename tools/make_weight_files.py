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
* ``keras_bidirectional.keras`` and ``.weights.h5``: a functional ``Embedding(10, 4) ->
  Bidirectional(LSTM(5, recurrent_activation="hard_sigmoid")) -> Dense(3)``.
* ``keras_legacy.h5``: ``keras_model.keras``'s model saved in the legacy HDF5 format
  (``model.save("m.h5")``, what Keras 2 and tf.keras wrote); ``keras_legacy_weights.h5``
  its weights in the legacy weights-only format (Keras 2's ``save_weights("w.h5")``).
* ``expected.npz``: the inputs and the frameworks' outputs: ``torch/x`` (T, B, 3) and
  ``torch/out``, ``torch/h_n``, ``torch/c_n``, ``torch/grad_x`` (of sum(out * torch/dh)),
  ``torch/whole`` and ``torch/via_h`` (T lags, B: as ``keras/whole`` below, for the last
  layer's forward direction, by autograd through torch.nn.LSTM);
  ``bf16/x``, ``bf16/out``; ``keras/ids`` (B, T), ``keras/embedded`` (B, T, 4),
  ``keras/lstm`` (B, T, 5), ``keras/whole`` and ``keras/via_h`` (T lags, B): Frobenius
  norms of d h_{T-1} / d (h, c)_{T-1-k} and d h_{T-1} / d h_{T-1-k} (c held) for k = 0 ..
  T-1, by torch's autograd through Keras' own LSTM cell; ``two/x`` (B, T, 3),
  ``two/first`` (B, T, 6), ``two/second`` (B, T, 4); ``bidirectional/ids`` (B, T),
  ``bidirectional/out`` (B, T, 10) (forward then backward units); ``versions``.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

from pathlib import Path

import h5py
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
    expected.update(keras_gradient_norms(model.layers[1], embedded, expected["keras/lstm"]))
    model.save(OUTPUT / "keras_legacy.h5")  # the legacy HDF5 format, with a warning
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(OUTPUT / "keras_legacy_weights.h5", "w") as legacy:
        legacy_h5_format.save_weights_to_hdf5_group(legacy, model)

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


def keras_bidirectional(expected: dict[str, np.ndarray]) -> None:
    """Made after the other Keras files, so that their weights stay as they were."""
    inputs = keras.Input((None,), dtype="int32")
    vectors = keras.layers.Embedding(10, 4)(inputs)
    both = keras.layers.Bidirectional(keras.layers.LSTM(
        5, recurrent_activation="hard_sigmoid", return_sequences=True))(vectors)
    bidirectional = keras.Model(inputs, keras.layers.Dense(3)(both))
    bidirectional.save(OUTPUT / "keras_bidirectional.keras")
    bidirectional.save_weights(OUTPUT / "keras_bidirectional.weights.h5")
    ids = np.random.default_rng(2).integers(0, 10, (2, 8)).astype("int32")
    expected.update({"bidirectional/ids": ids, "bidirectional/out": as_numpy(
        bidirectional.layers[2](bidirectional.layers[1](ids)))})


def torch_gradient_norms(expected: dict[str, np.ndarray]) -> None:
    """What gradient-decay measures for torch_model.pt (its last layer's forward direction):
    for each sequence of ``torch/x`` and lag k, the Frobenius norms of d h_{T-1} /
    d (h, c)_{T-1-k} and d h_{T-1} / d h_{T-1-k}, by torch's autograd through nn.LSTM."""
    state = torch.load(OUTPUT / "torch_model.pt", weights_only=True)
    first = torch.nn.LSTM(3, 5, bidirectional=True, proj_size=2)
    first.load_state_dict({key.removeprefix("lstm."): value for key, value in state.items()
                           if key.startswith("lstm.") and "_l0" in key})
    last = torch.nn.LSTM(4, 5, proj_size=2)  # layer 1, forward direction, as a layer 0
    last.load_state_dict({key.removeprefix("lstm.").replace("_l1", "_l0"): value
                          for key, value in state.items()
                          if key.startswith("lstm.") and key.endswith("_l1")})
    with torch.no_grad():
        inputs = first(torch.from_numpy(expected["torch/x"]))[0]  # (T, B, 4)
    steps, batch = inputs.shape[:2]
    whole, via_h = np.zeros((steps, batch)), np.zeros((steps, batch))
    for b in range(batch):
        x = inputs[:, b:b + 1]
        states = [(torch.zeros(1, 1, 2), torch.zeros(1, 1, 5))]
        for t in range(steps):
            states.append(last(x[t:t + 1], states[-1])[1])
        assert np.abs(states[-1][0][0, 0].detach().numpy()
                      - expected["torch/out"][-1, b, :2]).max() < 1e-6
        for k in range(steps):
            def run(h: torch.Tensor, c: torch.Tensor, start: int = steps - k,
                    x: torch.Tensor = x) -> torch.Tensor:
                return last(x[start:], (h, c))[1][0] if start < steps else h
            h0, c0 = (value.detach() for value in states[steps - k])
            d_h, d_c = torch.autograd.functional.jacobian(run, (h0, c0))
            whole[k, b] = float(torch.sqrt((d_h ** 2).sum() + (d_c ** 2).sum()))
            via_h[k, b] = float(torch.sqrt((d_h ** 2).sum()))
    expected.update({"torch/whole": whole, "torch/via_h": via_h})


def keras_gradient_norms(layer: keras.layers.LSTM, embedded: torch.Tensor,
                         outputs: np.ndarray) -> dict[str, np.ndarray]:
    """What gradient-decay measures, computed by torch's autograd through Keras' LSTM cell:
    for each sequence and lag k, the Frobenius norms of d h_{T-1} / d (h, c)_{T-1-k} and
    of d h_{T-1} / d h_{T-1-k} with c_{T-1-k} held."""
    cell = layer.cell
    steps = embedded.shape[1]
    whole = np.zeros((steps, embedded.shape[0]))
    via_h = np.zeros_like(whole)
    for b in range(embedded.shape[0]):
        x = embedded[b:b + 1].detach()
        states = [[torch.zeros(1, layer.units), torch.zeros(1, layer.units)]]
        for t in range(steps):
            states.append(list(cell(x[:, t], states[-1])[1]))
        hidden = torch.cat([state[0] for state in states[1:]]).detach().numpy()
        assert np.abs(hidden - outputs[b]).max() < 1e-6  # the cell is what the layer ran
        for k in range(steps):
            def run(h: torch.Tensor, c: torch.Tensor, start: int = steps - k,
                    x: torch.Tensor = x) -> torch.Tensor:
                for t in range(start, steps):
                    h, c = cell(x[:, t], [h, c])[1]
                return h
            h0, c0 = (state.detach() for state in states[steps - k])
            d_h, d_c = torch.autograd.functional.jacobian(run, (h0, c0))
            whole[k, b] = float(torch.sqrt((d_h ** 2).sum() + (d_c ** 2).sum()))
            via_h[k, b] = float(torch.sqrt((d_h ** 2).sum()))
    return {"keras/whole": whole, "keras/via_h": via_h}


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    expected: dict[str, np.ndarray] = {
        "versions": np.array(f"torch {torch.__version__}, keras {keras.__version__} "
                             f"({keras.backend.backend()})")}
    torch_files(expected)
    keras_files(expected)
    keras_bidirectional(expected)
    torch_gradient_norms(expected)
    np.savez_compressed(OUTPUT / "expected.npz", **expected)
    for path in sorted(OUTPUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
