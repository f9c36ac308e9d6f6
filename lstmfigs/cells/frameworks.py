"""PyTorch state dicts as the parameters of a built-in cell definition (``Cell.from_torch``).

``torch.nn.LSTM``, ``GRU`` and ``RNN`` keep each layer's weights as row blocks of two
matrices and two bias vectors (see ``/work/shared/REFERENCE.md``)::

    weight_ih_l{k} (B*H, I_k)   weight_hh_l{k} (B*H, H)   bias_ih_l{k}, bias_hh_l{k} (B*H,)

with the blocks i, f, g, o (LSTM), r, z, n (GRU) or the one block h (RNN).  A definition
writes a gate ``q`` as ``W_q @ [h_prev, x] + b_q``, so block ``q`` becomes

    W_q = [weight_hh_q, weight_ih_q]   (columns of h_prev first, then x: the concatenation's order)
    b_q = bias_ih_q + bias_hh_q        (only the sum matters)

except where the two products are kept apart: the GRU's candidate, ``n = tanh(W_in @ x +
b_in + r * (W_hn @ h_prev + b_hn))``, takes ``W_in``, ``b_in`` from the input side and
``W_hn``, ``b_hn`` from the recurrent side, because ``r`` scales ``b_hn`` but not ``b_in``.

The LSTM variants of Greff et al. (2017) read the state dicts of :class:`lstmfigs.sim.LSTM`
with its variant flags: PyTorch's layout plus diagonal peephole weights
``weight_c{i,f,o}_l{k}`` (H,) that become ``w_ci``, ``w_cf``, ``w_co``.  A gate the variant
does not have (NIG's i, NFG's and CIFG's f, NOG's o) has all-zero rows there (and peephole);
nonzero rows are refused, because they mean the weights belong to a cell that has the gate.

Which layout applies is decided by the equations, not the name: a cell gets a built-in's
layout when its inputs, states, output and equations (up to spacing and parentheses) are
that built-in's, so a renamed copy of ``lstm.toml`` works and an edited one is refused.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import safeio
from ..errors import LstmfigsError
from ..sim import _checks

if TYPE_CHECKING:
    from .definition import Cell
    from .simulate import CellModel

#: Peephole weights in lstmfigs.sim's state dicts (no PyTorch counterpart).
PEEPHOLE_GATES = ("i", "f", "o")


@dataclass(frozen=True)
class TorchLayout:
    """How one torch.nn module's state dict fills a definition's parameters.

    ``blocks`` are the quantities of the weight matrices' row blocks in the module's
    order; a block ``q`` fills ``W_q`` and ``b_q``, or ``W_iq``, ``b_iq``, ``W_hq``,
    ``b_hq`` when ``q`` is in ``split``.  ``peepholes``: the state dict may carry
    ``weight_c{i,f,o}`` (lstmfigs.sim's peephole LSTM), filling ``w_ci``, ``w_cf``, ``w_co``.
    """

    module: str
    blocks: tuple[str, ...]
    split: tuple[str, ...] = ()
    peepholes: bool = False


_LSTM = TorchLayout("torch.nn.LSTM", ("i", "f", "g", "o"), peepholes=True)
_GRU = TorchLayout("torch.nn.GRU", ("r", "z", "n"), split=("n",))
_RNN = TorchLayout("torch.nn.RNN", ("h",))

#: The built-in definitions a state dict can fill, by name.
TORCH_LAYOUTS: dict[str, TorchLayout] = {
    "lstm": _LSTM,
    "gru": _GRU,
    "rnn": _RNN,
    "rnn-relu": _RNN,
    **{f"lstm-{code}": _LSTM
       for code in ("peephole", "nig", "nfg", "nog", "niaf", "noaf", "np", "cifg")},
}


def _strip(node: Any) -> Any:
    """An expression tree as plain tuples, without source positions (``where``)."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return (type(node).__name__,) + tuple(
            _strip(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name != "where")
    if isinstance(node, tuple):
        return tuple(_strip(item) for item in node)
    return node


def _signature(cell: Cell) -> tuple[Any, ...]:
    """What makes two definitions the same cell: interface and equations, in any order."""
    equations = sorted((eq.target, repr(_strip(eq.expr))) for eq in cell.equations)
    return (tuple(cell.inputs), tuple(cell.states), cell.output, tuple(equations))


_BUILTIN_SIGNATURES: dict[str, tuple[Any, ...]] = {}


def _builtin_signature(name: str, cell_class: type[Cell]) -> tuple[Any, ...]:
    """The signature of the built-in ``name`` (parsed once; ``cell_class`` is ``Cell``,
    passed in because definition.py imports this module)."""
    if name not in _BUILTIN_SIGNATURES:
        text = (resources.files(__package__) / "builtin" / f"{name}.toml").read_text("utf-8")
        cell = cell_class.from_toml(text, origin=f"{name}.toml")
        _BUILTIN_SIGNATURES[name] = _signature(cell)
    return _BUILTIN_SIGNATURES[name]


def layout_of(cell: Cell) -> tuple[str, TorchLayout]:
    """The built-in whose equations ``cell`` has, and its PyTorch layout.

    Parameters
    ----------
    cell : Cell
        Any definition.

    Returns
    -------
    name : str
        The built-in's name (``cell.name`` itself when it is one).
    layout : TorchLayout
        How a state dict fills its parameters.

    Raises
    ------
    LstmfigsError
        When ``cell`` is none of the built-ins with a layout.
    """
    signature = _signature(cell)
    names = sorted(TORCH_LAYOUTS, key=lambda name: name != cell.name)  # its own name first
    for name in names:
        if _builtin_signature(name, type(cell)) == signature:
            return name, TORCH_LAYOUTS[name]
    raise LstmfigsError(
        f"cell '{cell.name}': no PyTorch layout maps onto its equations; from_torch knows "
        f"the built-ins {', '.join(TORCH_LAYOUTS)} (load weights of another cell with "
        "model(...).load_params)")


def _arrays(state_dict: Mapping[str, Any] | str | os.PathLike[str]) -> dict[str, np.ndarray]:
    if isinstance(state_dict, (str, os.PathLike)):
        try:
            state_dict = safeio.load_npz(os.fspath(state_dict), "weights file")
        except LstmfigsError as error:
            raise LstmfigsError(f"state_dict: {error}") from None
    if not isinstance(state_dict, Mapping):
        raise LstmfigsError("state_dict: expected a mapping of arrays or a path to an .npz file")
    return {str(key): _checks.plain_array(value, f"state_dict['{key}']")
            for key, value in state_dict.items()}


def _suffix(layer: int, cell_keys: bool) -> str:
    return "" if cell_keys else f"_l{layer}"


class _Reader:
    """Takes arrays out of a state dict by key, checking shape and dtype, and remembers
    which keys it took (the rest are reported as unexpected).

    With ``dtype`` every array is converted to it (an explicit request); without, the first
    array's dtype (float32 or float64) is the model's and every other must share it.
    """

    def __init__(self, arrays: dict[str, np.ndarray], dtype: Any) -> None:
        self.arrays, self.taken = arrays, set[str]()
        self.convert = dtype is not None
        self.dtype = None if dtype is None else _checks.resolve_dtype(dtype)

    def take(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        value = _checks.mapping_entry(self.arrays, key, "state_dict")
        if self.dtype is None:
            self.dtype = _checks.resolve_dtype(value.dtype, f"state_dict['{key}'] dtype")
        if self.convert:
            value = value.astype(self.dtype)
        self.taken.add(key)
        return _checks.array(value, f"state_dict['{key}']", shape, self.dtype)


def _layer(cell: Cell, layout: TorchLayout, reader: _Reader, suffix: str, hidden: int,
           inputs: int, bias: bool) -> dict[str, np.ndarray]:
    """One layer's definition parameters (unsuffixed names) from the state dict."""
    rows = len(layout.blocks) * hidden
    weight_ih = reader.take(f"weight_ih{suffix}", (rows, inputs))
    weight_hh = reader.take(f"weight_hh{suffix}", (rows, hidden))
    if bias:
        bias_ih = reader.take(f"bias_ih{suffix}", (rows,))
        bias_hh = reader.take(f"bias_hh{suffix}", (rows,))
    else:
        bias_ih = bias_hh = np.zeros(rows, weight_ih.dtype)
    wanted = cell.parameters
    params: dict[str, np.ndarray] = {}
    for index, quantity in enumerate(layout.blocks):
        block = slice(index * hidden, (index + 1) * hidden)
        if quantity in layout.split:
            params[f"W_i{quantity}"] = weight_ih[block].copy()
            params[f"b_i{quantity}"] = bias_ih[block].copy()
            params[f"W_h{quantity}"] = weight_hh[block].copy()
            params[f"b_h{quantity}"] = bias_hh[block].copy()
        elif f"W_{quantity}" in wanted:
            params[f"W_{quantity}"] = np.concatenate([weight_hh[block], weight_ih[block]], axis=1)
            params[f"b_{quantity}"] = bias_ih[block] + bias_hh[block]
        else:
            stacked = {"weight_ih": weight_ih, "weight_hh": weight_hh,
                       "bias_ih": bias_ih, "bias_hh": bias_hh}
            for stem, matrix in stacked.items():
                if np.any(matrix[block]):
                    raise LstmfigsError(
                        f"state_dict['{stem}{suffix}']: block '{quantity}' (rows {block.start}:"
                        f"{block.stop}) is not zero, but cell '{cell.name}' has no {quantity}: "
                        "these weights belong to a cell with that gate")
    if layout.peepholes:
        for gate in PEEPHOLE_GATES:
            key, name = f"weight_c{gate}{suffix}", f"w_c{gate}"
            if name in wanted:
                params[name] = reader.take(key, (hidden,)).copy()
            elif key in reader.arrays and np.any(reader.take(key, (hidden,))):
                raise LstmfigsError(
                    f"state_dict['{key}']: a peephole weight, but cell '{cell.name}' has no "
                    f"peephole into {gate} (pick lstm-peephole or a Greff variant with it)")
    return params


def from_torch(cell: Cell, state_dict: Mapping[str, Any] | str | os.PathLike[str], *,
               dtype: Any = None, **options: Any) -> CellModel:
    """A model of ``cell`` holding the weights of a PyTorch state dict.

    Sizes, layer count and dtype come from the arrays: ``weight_ih_l{k}``,
    ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``torch.nn.LSTM``/``GRU``/
    ``RNN``, any number of layers; ``bias=False`` gives zero biases), or the same keys
    without ``_l0`` (``torch.nn.LSTMCell`` etc.).  The LSTM variants also read
    :class:`lstmfigs.sim.LSTM`'s ``weight_c{i,f,o}_l{k}`` peepholes (module docstring).

    Parameters
    ----------
    cell : Cell
        A built-in with a PyTorch layout (or a definition with the same equations).
    state_dict : mapping or str or os.PathLike
        Arrays (or CPU tensors) under PyTorch's names, or an ``.npz`` file of them.
    dtype : {"float32", "float64"}, optional
        Convert every array to this dtype; without it all must share the first one's
        dtype, float32 or float64 (nothing is converted silently).
    **options
        None other is taken (sizes, layers and weights all come from the state dict): any
        is refused with a clear error rather than silently ignored or overwritten.

    Returns
    -------
    CellModel
        ``cell.model(...)`` of the state dict's sizes, holding the mapped parameters
        (layer k >= 1 under ``NAME_l{k}``).

    Raises
    ------
    LstmfigsError
        When the cell has no layout; for a missing, unexpected or misshapen key; for a
        bidirectional or projected (``proj_size``) LSTM, which one-direction definitions
        without a projection cannot hold; for nonzero weights of a gate the cell lacks.
    """
    if options:
        raise LstmfigsError(f"from_torch: unexpected option {next(iter(options))!r} (sizes, "
                            "layer count and weights come from the state dict; only dtype= "
                            "is taken)")
    name, layout = layout_of(cell)
    arrays = _arrays(state_dict)
    cell_keys = "weight_ih" in arrays and "weight_ih_l0" not in arrays
    for key in arrays:
        if key.endswith("_reverse"):
            raise LstmfigsError(f"state_dict['{key}']: a bidirectional network; a cell "
                                "definition runs one direction (load each direction "
                                "into its own model)")
        if key.startswith("weight_hr"):
            raise LstmfigsError(f"state_dict['{key}']: an LSTM with proj_size; cell "
                                f"'{cell.name}' has no projection of h")
    key0 = _suffix(0, cell_keys)
    first = _checks.mapping_entry(arrays, f"weight_ih{key0}", "state_dict")
    recurrent = _checks.mapping_entry(arrays, f"weight_hh{key0}", "state_dict")
    blocks = len(layout.blocks)
    if first.ndim != 2 or recurrent.ndim != 2 or not first.shape[0] \
            or recurrent.shape != (blocks * recurrent.shape[1], recurrent.shape[1]) \
            or first.shape[0] != recurrent.shape[0]:
        # (A GRU's (3H, H) weight_hh read as an LSTM's lands here: H columns, not 4H rows.)
        raise LstmfigsError(
            f"state_dict: expected weight_ih ({blocks}*H, I) and weight_hh ({blocks}*H, H) "
            f"for {layout.module} ({name}), got {first.shape} and {recurrent.shape}; "
            "weights of another module?")
    hidden, input_size = first.shape[0] // blocks, first.shape[1]
    num_layers = 1
    while not cell_keys and f"weight_ih_l{num_layers}" in arrays:
        num_layers += 1
    reader = _Reader(arrays, dtype)
    bias = f"bias_ih{key0}" in arrays or f"bias_hh{key0}" in arrays
    params: dict[str, np.ndarray] = {}
    for layer in range(num_layers):
        layer_params = _layer(cell, layout, reader, _suffix(layer, cell_keys), hidden,
                              input_size if layer == 0 else hidden, bias)
        params.update({(key if layer == 0 else f"{key}_l{layer}"): value
                       for key, value in layer_params.items()})
    unused = sorted(set(arrays) - reader.taken)
    if unused:
        raise LstmfigsError(f"state_dict: unexpected key '{unused[0]}' for {layout.module} "
                            f"({name}) with {num_layers} layer(s)")
    assert reader.dtype is not None
    model = cell.model(input_size, hidden, num_layers=num_layers, dtype=reader.dtype.name)
    model.load_params(params)
    return model
