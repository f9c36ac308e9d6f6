"""The built-in lstm, gru, rnn and rnn-relu definitions compute exactly what torch.nn does.

Each case of the torch fixtures (tools/make_torch_fixtures.py, tools/make_cell_fixtures.py)
holds a torch.nn module's state dict, inputs, initial states, upstream gradients and
PyTorch's outputs and autograd gradients of L = sum(out * dh) + sum(h_n * dh_n)
(+ sum(c_n * dc_n)).  The definition gets the weights through ``Cell.from_torch`` and must
reproduce the output, the final states and every gradient: dL/dx, dL/d(initial states) and
dL/d(each parameter), to 1e-12 in float64 (and to float32 rounding in float32).

The expected parameter gradients are mapped from torch's by this file's own code (not by
lstmfigs.cells.frameworks): W_q = [weight_hh_q, weight_ih_q] so its gradient is the two
blocks' gradients side by side; b_q = bias_ih_q + bias_hh_q so its gradient equals each
of theirs; the GRU's n block keeps W_in, b_in, W_hn, b_hn apart.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lstmfigs import cells

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FILES = ("torch_reference.npz", "torch_cells.npz")
#: The torch.nn module of a case -> its block order (the definitions' quantities).
BLOCKS = {"LSTM": "ifgo", "GRU": "rzn", "RNN": "h"}


@cache
def _archive(file: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / file) as data:
        return {key: data[key] for key in data.files}


def _case(file: str, name: str) -> dict[str, Any]:
    arrays = _archive(file)
    prefix = f"{name}/"
    case: dict[str, Any] = {key[len(prefix):]: value for key, value in arrays.items()
                            if key.startswith(prefix)}
    case["options"] = json.loads(str(case["options"]))
    return case


def _module(case: dict[str, Any]) -> str:
    return str(case["options"]["model"]).removesuffix("Cell")


def _cell_name(case: dict[str, Any]) -> str:
    module = _module(case)
    if module == "RNN" and case["options"].get("nonlinearity") == "relu":
        return "rnn-relu"
    return module.lower()


def _usable(case: dict[str, Any]) -> bool:
    """One direction, no projection, no dropout: what a cell definition runs."""
    keys = case.keys()
    return not any(key.endswith("_reverse") or "weight_hr" in key for key in keys) \
        and "dropout" not in case["options"]


def _cases() -> list[Any]:
    found = []
    for file in FILES:
        names = sorted({key.split("/")[0] for key in _archive(file) if "/" in key})
        for name in names:
            if _usable(_case(file, name)):
                found.append(pytest.param(file, name, id=name))
    return found


CASES = _cases()


def test_the_fixtures_cover_every_mapped_builtin_in_float64() -> None:
    covered = {_cell_name(_case(file, name)) for file, name in (p.values for p in CASES)
               if name.endswith("_f64")}
    assert covered == {"lstm", "gru", "rnn", "rnn-relu"}
    layered = {_cell_name(_case(file, name)) for file, name in (p.values for p in CASES)
               if name.endswith("_f64") and "weight_ih_l1" in " ".join(_case(file, name))}
    assert layered == {"lstm", "gru", "rnn", "rnn-relu"}  # stacked layers of each, too


def expected_param_gradients(grads: dict[str, np.ndarray], blocks: str,
                             names: set[str]) -> dict[str, np.ndarray]:
    """Gradients under PyTorch's names (``weight_ih_l0``...; lstmfigs.sim's peepholes
    ``weight_ci_l0``...) as gradients of the definition parameters ``names`` (see the module
    docstring).  Blocks a definition lacks (Greff's NIG has no i) must have zero gradient."""
    cell_keys = "weight_ih" in grads
    expected: dict[str, np.ndarray] = {}
    layer = 0
    while f"weight_ih{'' if cell_keys else f'_l{layer}'}" in grads:
        key = "" if cell_keys else f"_l{layer}"
        suffix = "" if layer == 0 else f"_l{layer}"
        weight_ih, weight_hh = grads[f"weight_ih{key}"], grads[f"weight_hh{key}"]
        bias_ih, bias_hh = grads.get(f"bias_ih{key}"), grads.get(f"bias_hh{key}")
        hidden = weight_hh.shape[1]
        for index, quantity in enumerate(blocks):
            rows = slice(index * hidden, (index + 1) * hidden)
            if f"W_hn{suffix}" in names and quantity == "n":  # the GRU's candidate
                expected[f"W_in{suffix}"] = weight_ih[rows]
                expected[f"W_hn{suffix}"] = weight_hh[rows]
                if bias_ih is not None and bias_hh is not None:
                    expected[f"b_in{suffix}"] = bias_ih[rows]
                    expected[f"b_hn{suffix}"] = bias_hh[rows]
            elif f"W_{quantity}{suffix}" in names:
                expected[f"W_{quantity}{suffix}"] = np.concatenate(
                    [weight_hh[rows], weight_ih[rows]], axis=1)
                if bias_ih is not None and bias_hh is not None:
                    # Equal up to rounding (torch sums them in different orders).
                    close = 1e-12 if bias_ih.dtype == np.float64 else 1e-5
                    np.testing.assert_allclose(bias_ih[rows], bias_hh[rows], rtol=close,
                                               atol=close)
                    expected[f"b_{quantity}{suffix}"] = bias_ih[rows]
            else:
                for matrix in (weight_ih, weight_hh, bias_ih, bias_hh):
                    assert matrix is None or not np.any(matrix[rows])
        for gate in "ifo":
            peephole = grads.get(f"weight_c{gate}{key}")
            if f"w_c{gate}{suffix}" in names:
                assert peephole is not None
                expected[f"w_c{gate}{suffix}"] = peephole
            else:
                assert peephole is None or not np.any(peephole)
        layer += 1
        if cell_keys:
            break
    return expected


def _leading_unit_axis(value: np.ndarray, batched: bool) -> np.ndarray:
    """A fixture's initial state as the model takes it: (layers, B, H)."""
    if value.ndim == 2 and batched:  # a *Cell case: (B, H)
        return value[None]
    return value if batched else value[:, None]


def _time_major(value: np.ndarray, case: dict[str, Any], batched: bool) -> np.ndarray:
    if not batched:
        return value[:, None]
    return value.transpose(1, 0, 2) if case["options"].get("batch_first") else value


@pytest.mark.parametrize(("file", "name"), CASES)
def test_builtin_matches_torch(file: str, name: str) -> None:
    case = _case(file, name)
    cell_name = _cell_name(case)
    cell = cells.builtin(cell_name)
    state_dict = {key[len("param/"):]: value for key, value in case.items()
                  if key.startswith("param/")}
    model = cell.from_torch(state_dict)
    dtype = case["x"].dtype
    assert all(value.dtype == dtype for value in model.params.values())
    tol = {"rtol": 0, "atol": 1e-12} if dtype == np.float64 else {"rtol": 2e-5, "atol": 2e-5}
    batched = case["x"].ndim == 3
    x = _time_major(case["x"], case, batched)
    states = ("h", "c") if cell_name == "lstm" else ("h",)
    initial = {state: _leading_unit_axis(case[f"{state}0"], batched) for state in states}
    trace = model.forward(x, initial=initial)

    assert trace.output.dtype == dtype
    np.testing.assert_allclose(trace.output, _time_major(case["out/h"], case, batched), **tol)
    for state in states:
        final = case[f"out/{state}_n"]
        np.testing.assert_allclose(trace.final[state], final if batched else final[:, None],
                                   **tol)

    dh = _time_major(case["dh"], case, batched)
    d_final = {state: _leading_unit_axis(case[f"d{state}_n"], batched) for state in states}
    grads = model.backward(trace, dh, d_final=d_final)
    np.testing.assert_allclose(grads.x, _time_major(case["grad/x"], case, batched), **tol)
    for state in states:
        expected = case[f"grad/{state}0"]
        np.testing.assert_allclose(grads.initial[state],
                                   expected if batched else expected[:, None], **tol)
    torch_grads = {key[len("grad/"):]: value for key, value in case.items()
                   if key.startswith("grad/") and key not in ("grad/x", "grad/h0", "grad/c0")}
    expected_params = expected_param_gradients(torch_grads, BLOCKS[_module(case)],
                                               set(model.params))
    has_bias = any(key.startswith("param/bias") for key in case)
    # Without torch biases the model's biases are zeros; torch has no gradient to compare.
    compared = set(model.params) if has_bias else {
        key for key in model.params if not key.startswith("b_")}
    assert compared == set(expected_params)
    for key in sorted(compared):
        assert grads.params[key].dtype == dtype
        np.testing.assert_allclose(grads.params[key], expected_params[key], **tol,
                                   err_msg=f"gradient of {key}")


def test_from_torch_reads_an_npz_file_and_converts_only_when_asked(tmp_path: Path) -> None:
    case = _case("torch_reference.npz", "lstm_f32")
    state_dict = {key[len("param/"):]: value for key, value in case.items()
                  if key.startswith("param/")}
    path = tmp_path / "weights.npz"
    np.savez(path, **state_dict)
    cell = cells.builtin("lstm")
    from_file, in_memory = cell.from_torch(path), cell.from_torch(state_dict)
    assert from_file.params.keys() == in_memory.params.keys()
    for key, value in in_memory.params.items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(from_file.params[key], value)
    # Converted before anything is computed (b = b_ih + b_hh is summed in float64).
    converted = cell.from_torch(state_dict, dtype="float64")
    wide = cell.from_torch({key: value.astype(np.float64) for key, value in state_dict.items()})
    for key, value in converted.params.items():
        assert value.dtype == np.float64
        np.testing.assert_array_equal(value, wide.params[key])
