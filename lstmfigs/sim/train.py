"""Mini-batch Adam on a long-lag task with a linear readout.

``fit(model, task)`` trains ``model`` in place: the readout maps the final hidden state of
the last layer to the task's outputs (every step's state for ``kind == "sequence"``);
classification and sequence tasks use softmax cross-entropy, regression the mean squared
error.  Gradients are clipped by their global norm (model and readout together) before
each Adam step.  A model built with ``dropout=p`` (and more than one layer) is trained as
``torch.nn`` trains it: each training forward pass drops every layer's output but the
last's with probability p (fresh masks each step); evaluation runs without dropout.  All
randomness (readout init, training batches, evaluation batches, dropout masks) comes from
``seed``, so a run is deterministic.  Task inputs (float32) are converted explicitly to the
model's dtype.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from ..errors import LstmfigsError
from . import _checks


@dataclass
class Readout:
    """Linear readout ``y = h W^T + b``: ``weight`` (K, H), ``bias`` (K,)."""

    weight: np.ndarray
    bias: np.ndarray

    def __call__(self, h: np.ndarray) -> np.ndarray:
        return np.asarray(h @ self.weight.T + self.bias)


def _objective(
    task: Any, outputs: np.ndarray, targets: np.ndarray
) -> tuple[float, np.ndarray, float]:
    """(mean loss, d loss / d outputs, accuracy) for outputs (..., K) and targets (...).

    Regression accuracy counts predictions within the task's ``tolerance``.
    """
    count = targets.size
    if task.kind == "regression":
        prediction = outputs[..., 0]
        error = prediction - targets
        gradient = np.zeros_like(outputs)
        gradient[..., 0] = 2 * error / count
        accuracy = float(np.mean(np.abs(error) < task.tolerance))
        return float(np.mean(error ** 2)), gradient, accuracy
    shifted = outputs - outputs.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    log_probs = shifted - log_norm
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    gradient = np.exp(log_probs)
    np.put_along_axis(
        gradient, targets[..., None], np.take_along_axis(gradient, targets[..., None], -1) - 1, -1
    )
    gradient /= count
    accuracy = float(np.mean(outputs.argmax(axis=-1) == targets))
    return float(-picked.mean()), gradient, accuracy


@dataclass
class TrainResult:
    """What :func:`fit` returns: the trained ``model`` (the same object, trained in place),
    its ``readout`` and ``history`` with numpy arrays ``step``, ``loss``, ``accuracy``
    (both on a fresh evaluation batch at each step listed, step 0 = before training),
    ``train_loss`` (mean training-batch loss since the previous evaluation) and ``seconds``.
    """

    model: Any
    readout: Readout
    task: Any
    history: dict[str, np.ndarray] = field(default_factory=dict)

    def _outputs(self, x: Any) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype != self.model.dtype and x.dtype in (np.float32, np.float64):
            x = x.astype(self.model.dtype)  # explicit: tasks make float32 inputs
        _, hidden = _forward(self.model, x)
        return self.readout(hidden if self.task.kind == "sequence" else hidden[-1])

    def evaluate(self, x: Any, y: Any) -> dict[str, float]:
        """Loss and accuracy of model + readout on inputs ``x`` (T, B, I), targets ``y``.

        Parameters
        ----------
        x : array_like
            Input sequences (T, B, I), float32 or float64 (converted to the model's dtype).
        y : array_like
            Targets as the task's ``sample`` makes them: (B,), or (T, B) for a sequence
            task.

        Returns
        -------
        dict of str to float
            ``"loss"`` (the training objective) and ``"accuracy"``.
        """
        outputs = self._outputs(x)
        y = np.asarray(y)
        expected = outputs.shape[:-1]
        if y.shape != expected:
            raise LstmfigsError(f"y: expected shape {expected}, got {y.shape}")
        loss, _, accuracy = _objective(self.task, outputs, y)
        return {"loss": loss, "accuracy": accuracy}

    def predict(self, x: Any) -> np.ndarray:
        """Predicted labels (B,) ((T, B) for sequence tasks), or values (B,) for regression.

        Parameters
        ----------
        x : array_like
            Input sequences (T, B, I), float32 or float64 (converted to the model's dtype).

        Returns
        -------
        ndarray
            int64 labels (argmax of the readout), or the readout's values of the model's
            dtype for a regression task.
        """
        outputs = self._outputs(x)
        if self.task.kind == "regression":
            return np.asarray(outputs[..., 0])
        return np.asarray(outputs.argmax(axis=-1))


@dataclass
class _Adam:
    """Adam (Kingma & Ba) with bias correction, updating arrays in place."""

    lr: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    step_count: int = 0
    moments: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.step_count += 1
        correction1 = 1 - self.beta1 ** self.step_count
        correction2 = 1 - self.beta2 ** self.step_count
        for name, grad in grads.items():
            param = params[name]
            first, second = self.moments.setdefault(
                name, (np.zeros_like(param), np.zeros_like(param))
            )
            first *= self.beta1
            first += (1 - self.beta1) * grad
            second *= self.beta2
            second += (1 - self.beta2) * grad * grad
            param -= self.lr * (first / correction1) / (np.sqrt(second / correction2) + self.eps)


def _progress_line(
    stream: TextIO, step: int, steps: int, loss: float, accuracy: float, started: float
) -> None:
    width = 30
    filled = int(width * step / max(steps, 1))
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {step}/{steps} "
                 f"loss {loss:.4f} acc {accuracy:.3f} {time.perf_counter() - started:.1f}s")
    stream.flush()


def _forward(model: Any, x: np.ndarray,
             dropout_seed: int | None = None) -> tuple[Any, np.ndarray]:
    """The trace of ``model`` on time-major task inputs ``x`` (T, B, I), and its output
    (as ``torch.nn`` returns it) time-major: (T, B, D*H_out).  A batch-first model is
    handed the batch as it expects and its output turned back.  ``dropout_seed``: a
    training pass (the model's dropout applied, masks from this seed); None: inference."""
    training = {} if dropout_seed is None else {"training": True, "seed": dropout_seed}
    trace = model.forward(x.swapaxes(0, 1) if model.batch_first else x, **training)
    output = trace.output
    return trace, output.swapaxes(0, 1) if model.batch_first else output


def fit(model: Any, task: Any, *, steps: int = 300, batch_size: int = 32, lr: float = 1e-2,
        clip: float | None = 1.0, seed: int = 0, eval_every: int = 10, eval_batch: int = 256,
        progress: bool | None = None) -> TrainResult:
    """Train ``model`` (in place) on ``task`` with mini-batch Adam; see the module docstring.

    ``clip``: maximum global gradient norm (None: no clipping).  ``progress``: a progress
    bar on stderr (None: only when stderr is a terminal).

    Parameters
    ----------
    model : LSTM, GRU or RNN
        A :mod:`lstmfigs.sim` network (not a ``*Cell``), trained in place; its
        ``dropout`` applies between layers in every training step.
    task : FirstSymbol, Adding or Copy
        A :mod:`lstmfigs.sim.tasks` task whose ``input_size`` is the model's.
    steps : int, default: 300
        Adam updates, one mini-batch each.
    batch_size : int, default: 32
        Sequences per training batch.
    lr : float, default: 1e-2
        Adam's learning rate (positive).
    clip : float or None, default: 1.0
        Maximum global gradient norm; None: no clipping.
    seed : int, default: 0
        Seed of the readout's initialisation, the training batches and the evaluation
        batches.
    eval_every : int, default: 10
        Evaluate every this many steps (and after the last step).
    eval_batch : int, default: 256
        Sequences per evaluation batch (a fresh batch each time).
    progress : bool, optional
        Write a progress bar to stderr; default: when stderr is a terminal.

    Returns
    -------
    TrainResult
        The model, its readout and the evaluation history.

    Raises
    ------
    LstmfigsError
        For a setting out of range or a task whose input size differs from the model's.
    """
    steps = _checks.positive_int(steps, "steps")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    eval_every = _checks.positive_int(eval_every, "eval_every")
    eval_batch = _checks.positive_int(eval_batch, "eval_batch")
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise LstmfigsError(f"lr: expected a positive number, got {lr!r}")
    if clip is not None and not (isinstance(clip, (int, float)) and clip > 0):
        raise LstmfigsError(f"clip: expected a positive number or None, got {clip!r}")
    if task.input_size != model.input_size:
        raise LstmfigsError(f"task: its input size {task.input_size} differs from the model's "
                            f"input_size {model.input_size}")
    if progress is None:
        progress = sys.stderr.isatty()
    # A fourth stream for the dropout masks leaves the first three (and so every run
    # without dropout) as they were.
    init_seed, batch_seed, eval_seed, dropout_seed = np.random.SeedSequence(
        _checks.seed(seed)).spawn(4)
    batch_rng, eval_rng = np.random.default_rng(batch_seed), np.random.default_rng(eval_seed)
    dropout_rng = np.random.default_rng(dropout_seed)
    outputs = 1 if task.kind == "regression" else task.n_classes
    # The readout sees what torch.nn returns as output: the last layer's h, both directions
    # of a bidirectional model side by side, proj_size units each when projected.
    features = model.output_size * model.num_directions
    bound = 1.0 / np.sqrt(features)  # torch.nn.Linear's default init
    init_rng = np.random.default_rng(init_seed)
    readout = Readout(
        weight=init_rng.uniform(-bound, bound, (outputs, features)).astype(model.dtype),
        bias=init_rng.uniform(-bound, bound, outputs).astype(model.dtype))
    result = TrainResult(model=model, readout=readout, task=task)
    optimizer = _Adam(lr=float(lr))
    readout_params = {"readout.weight": readout.weight, "readout.bias": readout.bias}
    history: dict[str, list[float]] = {
        "step": [],
        "loss": [],
        "accuracy": [],
        "train_loss": [],
        "seconds": [],
    }
    window: list[float] = []
    started = time.perf_counter()

    def record(step: int) -> None:
        x_eval, y_eval = task.sample(eval_batch, rng=eval_rng)
        scores = result.evaluate(x_eval.astype(model.dtype, copy=False), y_eval)
        history["step"].append(step)
        history["loss"].append(scores["loss"])
        history["accuracy"].append(scores["accuracy"])
        history["train_loss"].append(float(np.mean(window)) if window else float("nan"))
        history["seconds"].append(time.perf_counter() - started)
        window.clear()
        if progress:
            _progress_line(sys.stderr, step, steps, scores["loss"], scores["accuracy"], started)

    record(0)
    sequence = task.kind == "sequence"
    for step in range(1, steps + 1):
        x, y = task.sample(batch_size, rng=batch_rng)
        x = x.astype(model.dtype, copy=False)
        # Models without dropout between layers (cell definitions) have no such attribute.
        masks_seed = int(dropout_rng.integers(2**63)) if getattr(model, "dropout", 0) else None
        trace, output = _forward(model, x, masks_seed)
        hidden = output if sequence else output[-1]
        loss, d_outputs, _ = _objective(task, readout(hidden), y)
        window.append(loss)
        d_outputs = d_outputs.astype(model.dtype, copy=False)
        flat_hidden = hidden.reshape(-1, features)
        flat_d = d_outputs.reshape(-1, outputs)
        dh_selected = d_outputs @ readout.weight
        if sequence:
            dh = dh_selected
        else:
            dh = np.zeros_like(output)
            dh[-1] = dh_selected
        if model.batch_first:
            dh = dh.swapaxes(0, 1)
        grads = dict(model.backward(trace, dh).params)
        grads["readout.weight"] = flat_d.T @ flat_hidden
        grads["readout.bias"] = flat_d.sum(axis=0)
        if clip is not None:
            norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))
            if norm > clip:
                scale = model.dtype.type(clip / norm)
                for g in grads.values():
                    g *= scale
        optimizer.update({**model.params, **readout_params}, grads)
        if step % eval_every == 0 or step == steps:
            record(step)
    if progress:
        sys.stderr.write("\n")
    result.history = {key: np.asarray(values) for key, values in history.items()}
    return result
