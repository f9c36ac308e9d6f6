"""The weight files people have: PyTorch .pt/.safetensors, Keras .keras/.weights.h5, whole
models with several layers, wrapper prefixes, and every refusal one line.

The files in tests/fixtures/weights/ and the frameworks' outputs in expected.npz come from
tools/make_weight_files.py (torch 2.13, Keras 3 on the torch backend); these tests need
neither framework (only h5py/safetensors, the optional extras, skipped without them).
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lstmfigs.cli import main
from lstmfigs.errors import LstmfigsError
from lstmfigs.loader import (
    Inputs,
    Weights,
    load_inputs,
    load_lstm,
    load_model,
    load_network,
    recurrent_layers,
)
from lstmfigs.sim import GRU, LSTM, RNN
from tests.helpers import FIXTURES

FILES = FIXTURES / "weights"
with np.load(FILES / "expected.npz") as _archive:
    EXPECTED = {key: _archive[key] for key in _archive.files}
F32 = 2e-6  # float32 agreement with the frameworks


def needs(module: str) -> None:
    pytest.importorskip(module)


def one_line_error(call, pattern: str) -> str:
    with pytest.raises(LstmfigsError, match=pattern) as info:
        call()
    assert "\n" not in str(info.value)
    return str(info.value)


def test_fixture_versions():
    assert "torch 2.13.0" in str(EXPECTED["versions"]) and "keras 3." in str(EXPECTED["versions"])


def check_torch_model(model) -> None:
    assert isinstance(model, LSTM)
    assert (model.num_layers, model.bidirectional, model.proj_size,
            model.hidden_size) == (2, True, 2, 5)
    trace = model.forward(EXPECTED["torch/x"])
    np.testing.assert_allclose(trace.output, EXPECTED["torch/out"], atol=F32)
    np.testing.assert_allclose(trace.h_n, EXPECTED["torch/h_n"], atol=F32)
    np.testing.assert_allclose(trace.c_n, EXPECTED["torch/c_n"], atol=F32)
    grads = model.backward(trace, EXPECTED["torch/dh"])
    np.testing.assert_allclose(grads.x, EXPECTED["torch/grad_x"], atol=1e-5)


def test_pytorch_pt_with_a_wrapper_module():
    needs("torch")
    layers = recurrent_layers(FILES / "torch_model.pt")
    assert [layer.name for layer in layers] == ["lstm"]  # head.* is not recurrent
    assert layers[0].gate_order == "i, f, g, o"
    check_torch_model(load_model(FILES / "torch_model.pt"))


def test_pt_without_torch_is_one_line_with_the_conversion(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    message = one_line_error(lambda: load_model(FILES / "torch_model.pt"), "is a PyTorch pickle")
    assert "weights_only=True" in message and "np.savez" not in message
    assert "n.savez('model.npz'" in message


def test_safetensors_of_the_same_model():
    needs("safetensors")
    check_torch_model(load_model(FILES / "torch_model.safetensors"))


def test_bfloat16_safetensors_are_converted_exactly():
    needs("safetensors")
    model = load_model(FILES / "torch_bf16.safetensors")
    assert isinstance(model, GRU) and model.dtype == np.float32
    np.testing.assert_allclose(model.forward(EXPECTED["bf16/x"]).output, EXPECTED["bf16/out"],
                               atol=F32)


def test_keras_file_with_embedding_and_hard_sigmoid():
    needs("h5py")
    layer, = recurrent_layers(FILES / "keras_model.keras")
    assert (layer.name, layer.kind, layer.gate_order) == ("lstm", "LSTM", "i, f, c, o")
    assert layer.options == {"activation": "tanh", "recurrent_activation": "hard_sigmoid"}
    assert layer.notes["return_sequences"] is True and layer.notes["unit_forget_bias"] is True
    model = load_lstm(FILES / "keras_model.keras")
    x = load_inputs(Inputs(EXPECTED["keras/embedded"], batch_first=True), model.input_size)
    np.testing.assert_allclose(model.forward(x).h, EXPECTED["keras/lstm"].transpose(1, 0, 2),
                               atol=F32)


def test_keras_layers_are_mapped_one_by_one_never_by_key_order():
    needs("h5py")
    path = FILES / "keras_two.keras"
    assert [layer.name for layer in recurrent_layers(path)] == ["zz_first", "aa_second"]
    one_line_error(lambda: load_model(path),
                   r"holds 2 recurrent layers \(zz_first, aa_second\); "
                   r"choose one with --layer NAME")
    one_line_error(lambda: load_model(path, layer="nope"),
                   r"no recurrent layer 'nope' \(found zz_first, aa_second\)")
    first = load_model(path, layer="zz_first")
    second = load_model(Weights(path, layer="aa_second"))
    assert isinstance(first, LSTM) and first.activation == "relu"
    assert isinstance(second, GRU) and second.recurrent_activation == "hard_sigmoid"
    x = EXPECTED["two/x"].transpose(1, 0, 2)
    np.testing.assert_allclose(first.forward(x).h, EXPECTED["two/first"].transpose(1, 0, 2),
                               atol=1e-5)
    np.testing.assert_allclose(second.forward(EXPECTED["two/first"].transpose(1, 0, 2)).h,
                               EXPECTED["two/second"].transpose(1, 0, 2), atol=F32)


def test_bare_keras_weights_say_what_they_assume():
    needs("h5py")
    path = FILES / "keras_two.weights.h5"
    layers = {layer.name: layer for layer in recurrent_layers(path)}
    assert layers["lstm"].assumed == {"activation": "tanh", "recurrent_activation": "sigmoid"}
    assert "assumed activation=tanh (not recorded)" in layers["lstm"].describe()
    first = load_model(path, layer="lstm", activation="relu")
    x = EXPECTED["two/x"].transpose(1, 0, 2)
    np.testing.assert_allclose(first.forward(x).h, EXPECTED["two/first"].transpose(1, 0, 2),
                               atol=1e-5)
    one_line_error(lambda: load_model(path, layer="lstm", activation="gelu"),
                   r"activation: expected one of")
    one_line_error(lambda: load_model(FILES / "keras_two.keras", layer="zz_first",
                                      activation="tanh"),
                   r"activation: the file records activation=relu, not tanh")


def rewritten_keras(tmp_path: Path, change, class_name: str = "LSTM",
                    name: str = "keras_model.keras") -> Path:
    """A fixture .keras file with its config.json changed by ``change(layer_config)`` (the
    config of its first layer of class ``class_name``)."""
    source = zipfile.ZipFile(FILES / name)
    config = json.loads(source.read("config.json"))
    change(next(layer["config"] for layer in config["config"]["layers"]
                if layer["class_name"] == class_name))
    path = tmp_path / "changed.keras"
    with zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            data = json.dumps(config) if name == "config.json" else source.read(name)
            target.writestr(name, data)
    return path


@pytest.mark.parametrize("key,value,message", [
    ("activation", "gelu",
     r"activation: expected one of sigmoid, tanh, hard_sigmoid, relu, linear"),
    ("recurrent_activation", "softsign", r"recurrent_activation: expected one of"),
    ("go_backwards", True, r"go_backwards=True is not supported"),
    ("units", 7, r"config says 7 units, weights hold 5"),
])
def test_keras_settings_are_reproduced_or_refused_by_name(tmp_path, key, value, message):
    needs("h5py")
    path = rewritten_keras(tmp_path, lambda layer: layer.update({key: value}))
    one_line_error(lambda: load_model(path), message)


def test_keras_archive_bounds_before_decompressing(tmp_path):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\0" * (2**20))
    one_line_error(lambda: recurrent_layers(path, limit=2**16), r"would inflate to")


def test_files_larger_than_the_bound_are_refused(tmp_path):
    needs("safetensors")
    one_line_error(lambda: recurrent_layers(FILES / "torch_model.safetensors", limit=100),
                   r"is larger than")


def test_state_dict_with_prefixes_and_several_layers():
    encoder, decoder = GRU(3, 4, seed=1), LSTM(4, 2, seed=2)
    state = {**{f"encoder.rnn.{k}": v for k, v in encoder.state_dict().items()},
             **{f"decoder.{k}": v for k, v in decoder.state_dict().items()},
             "head.weight": np.zeros((2, 2), np.float32)}
    assert [(layer.name, layer.kind) for layer in recurrent_layers(state)] == [
        ("encoder.rnn", "GRU"), ("decoder", "LSTM")]
    model = load_model(state, layer="encoder.rnn")
    np.testing.assert_array_equal(model.params["weight_hh_l0"], encoder.params["weight_hh_l0"])
    one_line_error(lambda: load_lstm(state, layer="encoder.rnn"), r"not an LSTM \(a GRU")


def test_pytorch_rnn_nonlinearity_is_stated_or_assumed_visibly():
    state = RNN(3, 4, seed=0).state_dict()
    layer, = recurrent_layers(state)
    assert layer.assumed == {"nonlinearity": "tanh"}
    assert load_model(state).nonlinearity == "tanh"
    assert load_model(Weights(state, nonlinearity="relu")).nonlinearity == "relu"
    one_line_error(lambda: load_model(LSTM(3, 4).state_dict(), nonlinearity="relu"),
                   r"nonlinearity: does not apply to \(top level\) \(PyTorch LSTM\)")
    one_line_error(lambda: load_model(state, dropout=0.5),
                   r"dropout: not a setting of a weights file")


def test_cell_state_dicts_are_found():
    from lstmfigs.sim import LSTMCell

    layer, = recurrent_layers({f"cell.{k}": v for k, v in LSTMCell(3, 4).state_dict().items()})
    assert (layer.name, layer.kind) == ("cell", "LSTMCell")


def test_unknown_formats_and_non_recurrent_files(tmp_path):
    (tmp_path / "m.onnx").write_bytes(b"x")
    one_line_error(lambda: load_model(tmp_path / "m.onnx"),
                   r"expected \.npz, \.safetensors, \.pt/\.pth, \.keras")
    np.savez(tmp_path / "linear.npz", weight=np.zeros((2, 2)))
    one_line_error(lambda: load_model(tmp_path / "linear.npz"),
                   r"no recurrent layer found.*found weight")


def test_input_layout_is_explicit(tmp_path):
    x = np.zeros((5, 2, 3), np.float32)
    np.save(tmp_path / "x.npy", x)
    one_line_error(lambda: load_inputs(tmp_path / "x.npy", 3),
                   r"may be \(time, batch, features\) or \(batch, time, features\); "
                   r"say which with --time-major or --batch-first")
    assert load_inputs(tmp_path / "x.npy", 3, batch_first=False).shape == (5, 2, 3)
    assert load_inputs(Inputs(tmp_path / "x.npy", batch_first=True), 3).shape == (2, 5, 3)
    assert load_inputs(x, 3).shape == (5, 2, 3)  # an array in Python: the simulator's time-major
    assert load_inputs(Inputs(x, batch_first=True), 3).shape == (2, 5, 3)
    np.save(tmp_path / "one.npy", x[:, 0])
    assert load_inputs(tmp_path / "one.npy", 3).shape == (5, 1, 3)  # (T, I) fits one layout only


def test_cli_inspect_and_layer_choice(tmp_path):
    needs("h5py")
    runner = CliRunner()
    result = runner.invoke(main, ["inspect", str(FILES / "keras_two.keras")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("zz_first: Keras LSTM (input 3, hidden 6), "
                               "gate order i, f, c, o, activation=relu")
    assert lines[1].startswith("aa_second: Keras GRU (input 6, hidden 4), gate order z, r, h")
    result = runner.invoke(main, ["render", "gate-heatmaps",
                                  "--weights", str(FILES / "keras_two.keras"), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        (f"lstmfigs: error: weights file '{FILES / 'keras_two.keras'}': holds 2 recurrent layers "
         "(zz_first, aa_second); choose one with --layer NAME (layer= in Python)")]
    result = runner.invoke(main, ["render", "gate-heatmaps", "--nonlinearity", "relu",
                                  "-o", str(tmp_path)])
    assert result.exit_code == 2 and "--nonlinearity needs --weights" in result.output
    assert not os.listdir(tmp_path)


@pytest.mark.torch
def test_live_torch_checkpoints_and_pickled_modules(tmp_path):
    torch = pytest.importorskip("torch")
    net = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
    checkpoint = {"model": {f"rnn.{k}": v for k, v in net.state_dict().items()}, "epoch": 3}
    torch.save(checkpoint, tmp_path / "ckpt.pt")
    layer, = recurrent_layers(tmp_path / "ckpt.pt")
    assert (layer.name, layer.kind) == ("model.rnn", "GRU")
    x = torch.randn(5, 2, 3)
    np.testing.assert_allclose(load_model(tmp_path / "ckpt.pt").forward(x.numpy()).output,
                               net(x)[0].detach().numpy(), atol=2e-6)
    torch.save(net, tmp_path / "module.pt")  # the whole pickled module: never unpickled by us
    one_line_error(lambda: load_model(tmp_path / "module.pt"),
                   r"with torch.load\(weights_only=True\): it must hold a state dict")


def test_special_files_are_refused_by_name(tmp_path):
    needs("h5py")
    for name in ("p.keras", "p.weights.h5", "p.safetensors"):
        os.mkfifo(tmp_path / name)
        one_line_error(lambda name=name: recurrent_layers(tmp_path / name), r"is a FIFO")


# ---------------------------------------------------------------- token ids, Bidirectional
def test_keras_embedding_takes_token_ids():
    """Embedding -> LSTM: the inputs are token ids, looked up in the file's table exactly as
    Keras does; (T,) is one sequence, a 2-D batch has a layout."""
    needs("h5py")
    model, embedding = load_network(FILES / "keras_model.keras")
    assert embedding is not None and (embedding.name, embedding.vocabulary) == ("embedding", 10)
    assert load_model(FILES / "keras_model.keras").input_size == 4
    ids = EXPECTED["keras/ids"]  # (B, T)
    x = load_inputs(Inputs(ids, batch_first=True), 4, model.dtype, embedding=embedding)
    np.testing.assert_array_equal(x, EXPECTED["keras/embedded"].transpose(1, 0, 2))
    np.testing.assert_allclose(model.forward(x).h, EXPECTED["keras/lstm"].transpose(1, 0, 2),
                               atol=F32)
    one = load_inputs(ids[0], 4, embedding=embedding)  # (T,) -> (T, 1, 4)
    np.testing.assert_array_equal(one[:, 0], EXPECTED["keras/embedded"][0])
    np.testing.assert_array_equal(load_inputs(ids.T, 4, embedding=embedding), x)  # time-major
    np.testing.assert_array_equal(load_inputs(ids[0].astype(float), 4, embedding=embedding),
                                  one)  # whole numbers stored as floats are ids too
    layer, = recurrent_layers(FILES / "keras_model.keras")
    assert "fed by Embedding 'embedding' (10 tokens, 4 dims)" in layer.describe()


def test_token_id_files_and_their_refusals(tmp_path):
    needs("h5py")
    _, embedding = load_network(FILES / "keras_model.keras")
    ids = EXPECTED["keras/ids"]
    np.save(tmp_path / "batch.npy", ids)
    one_line_error(lambda: load_inputs(tmp_path / "batch.npy", 4, embedding=embedding),
                   r"shape \(2, 8\) may be \(time, batch\) or \(batch, time\) of token ids; "
                   r"say which with --time-major or --batch-first")
    assert load_inputs(tmp_path / "batch.npy", 4, embedding=embedding,
                       batch_first=True).shape == (8, 2, 4)
    np.savetxt(tmp_path / "one.csv", ids[0], fmt="%d", header="token", comments="")
    np.testing.assert_array_equal(load_inputs(tmp_path / "one.csv", 4, embedding=embedding)[:, 0],
                                  EXPECTED["keras/embedded"][0])  # one id a row
    for bad, message in [
        (ids[0] + 0.5, r"expected token ids \(whole numbers\), got float64 values"),
        (np.array([1, 2, 10]), r"token ids must lie in 0 \.\. 9 .*found 1 \.\. 10"),
        (np.array([-1, 2]), r"token ids must lie in 0 \.\. 9"),
        (np.array([np.nan, 1]), r"expected token ids \(whole numbers\)"),
        (EXPECTED["keras/embedded"], r"expected token ids, shape \(T,\) or a batch"),
    ]:
        one_line_error(lambda bad=bad: load_inputs(bad, 4, embedding=embedding), message)


def test_mask_zero_padding_is_refused_not_simulated(tmp_path):
    """With mask_zero=True Keras skips the steps of id 0; lstmfigs does not, so it refuses
    id 0 (by default it draws ids from 1 .. V-1)."""
    needs("h5py")
    path = rewritten_keras(tmp_path, lambda layer: layer.update(mask_zero=True), "Embedding")
    _, embedding = load_network(path)
    assert embedding is not None and embedding.mask_zero and embedding.first_id == 1
    assert load_inputs(np.array([1, 9]), 4, embedding=embedding).shape == (2, 1, 4)
    one_line_error(lambda: load_inputs(np.array([0, 3]), 4, embedding=embedding),
                   r"token ids must lie in 1 \.\. 9 .*\(id 0 is padding with mask_zero=True: "
                   r"Keras skips those steps, lstmfigs does not\)")
    assert embedding.sample(50, 64, seed=0).min() == 1


def test_the_embedding_must_reach_the_layer_unchanged(tmp_path):
    """Only identities at inference (Dropout) may sit between the Embedding and the layer;
    after any other layer the inputs are that layer's vectors, not ids."""
    needs("h5py")

    def insert(between: str):
        source = zipfile.ZipFile(FILES / "keras_model.keras")
        config = json.loads(source.read("config.json"))
        layers = config["config"]["layers"]
        index = next(i for i, layer in enumerate(layers) if layer["class_name"] == "LSTM")
        layers.insert(index, {"class_name": between, "config": {"name": "between"}})
        path = tmp_path / f"{between}.keras"
        with zipfile.ZipFile(path, "w") as target:
            for name in source.namelist():
                target.writestr(name, json.dumps(config) if name == "config.json"
                                else source.read(name))
        return path

    assert load_network(insert("Dropout"))[1] is not None
    assert load_network(insert("LayerNormalization"))[1] is None


def test_keras_bidirectional_reads_both_directions():
    needs("h5py")
    path = FILES / "keras_bidirectional.keras"
    layer, = recurrent_layers(path)
    assert (layer.name, layer.kind, layer.notes["merge_mode"]) == ("bidirectional", "LSTM",
                                                                   "concat")
    assert layer.options["recurrent_activation"] == "hard_sigmoid"
    model, embedding = load_network(path)  # a functional model: Embedding -> Bidirectional
    assert isinstance(model, LSTM) and model.bidirectional and embedding is not None
    x = load_inputs(Inputs(EXPECTED["bidirectional/ids"], batch_first=True), 4,
                    embedding=embedding)
    expected = EXPECTED["bidirectional/out"].transpose(1, 0, 2)  # forward units, then backward
    np.testing.assert_allclose(model.forward(x).output, expected, atol=F32)
    bare = load_model(FILES / "keras_bidirectional.weights.h5",
                      recurrent_activation="hard_sigmoid")
    np.testing.assert_allclose(bare.forward(x).output, expected, atol=F32)


def test_keras_bidirectional_whose_directions_differ_is_refused(tmp_path):
    needs("h5py")

    def change(config):
        config["backward_layer"]["config"]["recurrent_activation"] = "sigmoid"

    path = rewritten_keras(tmp_path, change, "Bidirectional", "keras_bidirectional.keras")
    one_line_error(lambda: load_model(path),
                   r"layer 'bidirectional': its forward and backward layers differ")


def test_legacy_keras_h5_files_are_refused_with_the_conversion(tmp_path):
    h5py = pytest.importorskip("h5py")
    message = one_line_error(lambda: load_model(FILES / "keras_legacy.h5"),
                             r"a legacy Keras HDF5 model \(Keras 3\.[0-9.]+\), which lstmfigs "
                             r"does not read; convert it once with Keras 3")
    assert ("keras.models.load_model('keras_legacy.h5').save('keras_legacy.keras')" in message
            and "hard_sigmoid" not in message)  # written by Keras 3: its own hard_sigmoid
    one_line_error(lambda: load_model(FILES / "keras_legacy_weights.h5"),
                   r"a legacy Keras HDF5 weights file .*model.load_weights")
    with h5py.File(tmp_path / "old.h5", "w") as old:  # what Keras 2 wrote
        old.attrs["keras_version"] = b"2.15.0"
        old.attrs["model_config"] = json.dumps(
            {"config": {"layers": [{"recurrent_activation": "hard_sigmoid"}]}}).encode()
    one_line_error(lambda: load_model(tmp_path / "old.h5"),
                   r"\(Keras 2\.15\.0\).*its hard_sigmoid is Keras 2's clip\(0\.2x \+ 0\.5, 0, 1\)")


def test_cli_refusals_of_keras_inputs_are_one_line(tmp_path):
    needs("h5py")
    np.save(tmp_path / "ids.npy", EXPECTED["keras/ids"][0] + 20)
    runner = CliRunner()
    for args in (["--weights", str(FILES / "keras_legacy.h5")],
                 ["--weights", str(FILES / "keras_model.keras"),
                  "--input", str(tmp_path / "ids.npy")]):
        result = runner.invoke(main, ["render", "gate-heatmaps", *args, "-o", str(tmp_path / "o")])
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, \
            result.output
        assert result.output.startswith("lstmfigs: error: ") and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_default_inputs_of_an_embedding_model_are_random_token_ids():
    """Without inputs, a model fed by an Embedding sees seeded random token sequences as
    long as the built-in scenario's (not one-hot vectors pushed past its embedding)."""
    needs("h5py")
    import lstmfigs

    data = lstmfigs.data("gate-heatmaps", weights=FILES / "keras_model.keras")
    _, embedding = load_network(FILES / "keras_model.keras")
    assert data["x"].shape == (51, 4) and "symbol_step" not in data
    rows = [np.flatnonzero((embedding.table == row).all(axis=1)) for row in data["x"]]
    assert all(len(found) == 1 for found in rows)  # every step is one token's vector
    again = lstmfigs.data("gate-heatmaps", weights=FILES / "keras_model.keras")
    np.testing.assert_array_equal(data["x"], again["x"])


@pytest.mark.parametrize("name,module", [("torch_model.pt", "torch"),
                                         ("torch_model.safetensors", "safetensors")])
def test_torch_model_renders_both_figures_from_the_cli_matching_torch(tmp_path, name, module):
    """A module wrapping nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2): the
    figures show its last layer's forward direction, with torch's own numbers (h from
    torch's output, the gradient norms from torch's autograd, see make_weight_files.py)."""
    needs(module)
    np.save(tmp_path / "x.npy", EXPECTED["torch/x"])  # (T, B, 3)
    result = CliRunner().invoke(main, [
        "render", "gate-heatmaps", "gradient-decay", "--weights", str(FILES / name),
        "--input", str(tmp_path / "x.npy"), "--time-major", "--format", "png", "--data",
        "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "out" / "gate-heatmaps.npz") as data:
        np.testing.assert_allclose(data["h"], EXPECTED["torch/out"][:, 0, :2], atol=F32)
        assert data["c"].shape == (7, 5)
    with np.load(tmp_path / "out" / "gradient-decay.npz") as data:
        np.testing.assert_allclose(data["whole"], np.median(EXPECTED["torch/whole"], axis=1),
                                   rtol=1e-5)
        np.testing.assert_allclose(data["via_h"], np.median(EXPECTED["torch/via_h"], axis=1),
                                   rtol=1e-5)


@pytest.mark.torch
def test_live_torch_user_model_renders_from_the_cli(tmp_path):
    """As a PyTorch user does it: a wrapper module, torch.save(state_dict), then the CLI."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    model = torch.nn.Module()
    model.encoder = torch.nn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3)
    model.head = torch.nn.Linear(6, 2)
    torch.save(model.state_dict(), tmp_path / "model.pt")
    x = torch.randn(2, 9, 4)  # batch-first, as the user's data loader gives it
    np.save(tmp_path / "x.npy", x.numpy())
    with torch.no_grad():
        out = model.encoder(x.transpose(0, 1))[0].numpy()  # (T, B, 2 * 3)
    result = CliRunner().invoke(main, [
        "render", "gate-heatmaps", "gradient-decay", "--weights", str(tmp_path / "model.pt"),
        "--input", str(tmp_path / "x.npy"), "--batch-first", "--format", "png", "--data",
        "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "out" / "gate-heatmaps.npz") as data:
        np.testing.assert_allclose(data["h"], out[:, 0, :3], atol=F32)
    with np.load(tmp_path / "out" / "gradient-decay.npz") as data:
        assert data["whole"].shape == (9,) and np.isclose(data["whole"][0], np.sqrt(3))


@pytest.mark.torch
def test_live_keras_embedding_and_bidirectional_models(tmp_path):
    """As a Keras 3 user does it (torch backend): model.save("m.keras"), then the CLI with
    token ids; lstmfigs' h is Keras' output."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(5)
    ids = np.random.default_rng(5).integers(0, 12, (3, 10)).astype("int32")  # (B, T)
    np.save(tmp_path / "ids.npy", ids[0])  # one sequence (T,)
    inputs = keras.Input((None,), dtype="int32")
    vectors = keras.layers.Embedding(12, 3, name="tokens")(inputs)
    lstm = keras.layers.LSTM(4, recurrent_activation="hard_sigmoid", return_sequences=True)
    both = keras.layers.Bidirectional(keras.layers.GRU(2, return_sequences=True))
    for name, recurrent in (("plain", lstm), ("both", both)):
        net = keras.Model(inputs, keras.layers.Dense(2)(recurrent(vectors)))
        net.save(tmp_path / f"{name}.keras")
        expected = keras.ops.convert_to_numpy(recurrent(net.get_layer("tokens")(ids)))
        model, embedding = load_network(tmp_path / f"{name}.keras")
        x = load_inputs(Inputs(ids, batch_first=True), model.input_size, embedding=embedding)
        np.testing.assert_allclose(model.forward(x).output, expected.transpose(1, 0, 2),
                                   atol=F32)
        result = CliRunner().invoke(main, [
            "render", "gate-heatmaps", "--weights", str(tmp_path / f"{name}.keras"),
            "--input", str(tmp_path / "ids.npy"), "--format", "png", "--data",
            "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        with np.load(tmp_path / name / "gate-heatmaps.npz") as data:
            forward_units = expected[0, :, :2] if name == "both" else expected[0]
            np.testing.assert_allclose(data["h"], forward_units, atol=F32)


def test_masks_and_mixed_precision_are_refused_by_name(tmp_path):
    """What Keras computes differently from the stored weights' plain recurrence: masked
    steps (a Masking layer upstream) and a low-precision dtype policy."""
    needs("h5py")
    source = zipfile.ZipFile(FILES / "keras_model.keras")
    config = json.loads(source.read("config.json"))
    layers = config["config"]["layers"]
    index = next(i for i, layer in enumerate(layers) if layer["class_name"] == "LSTM")
    layers.insert(index, {"class_name": "Masking", "config": {"name": "pad", "mask_value": 0.0}})
    path = tmp_path / "masked.keras"
    with zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            target.writestr(name, json.dumps(config) if name == "config.json"
                            else source.read(name))
    layer, = recurrent_layers(path)  # still listed, with why it cannot be built
    assert "cannot be built: a mask from Masking 'pad' may reach layer 'lstm'" in layer.describe()
    one_line_error(lambda: load_model(path),
                   r"a mask from Masking 'pad' may reach layer 'lstm': Keras skips masked "
                   r"steps, which lstmfigs does not simulate")
    policy = {"module": "keras", "class_name": "DTypePolicy",
              "config": {"name": "mixed_float16"}}
    path = rewritten_keras(tmp_path, lambda layer: layer.update(dtype=policy))
    one_line_error(lambda: load_model(path), r"dtype policy mixed_float16 is not supported")


def test_token_ids_are_bounded_before_they_are_looked_up(monkeypatch):
    needs("h5py")
    _, embedding = load_network(FILES / "keras_model.keras")
    monkeypatch.setattr("lstmfigs.safeio.MAX_ARRAY_BYTES", 1000)
    one_line_error(lambda: load_inputs(np.zeros(100, int), 4, embedding=embedding),
                   r"100 token ids would make .* MiB of vectors, more than the")
