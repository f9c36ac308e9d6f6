"""Seeded long-lag tasks (time-major inputs), each with its chance level stated.

Every task has ``sample(batch_size, rng=None) -> (x, y)`` with ``x`` (T, B, I) float32.
Without ``rng`` a task draws from its own generator seeded by ``seed`` (so a fresh task
with the same seed yields the same batches); pass a ``numpy.random.Generator`` to control
the stream yourself (the trainer does).  Attributes: ``input_size``, ``n_classes`` (None
for regression), ``kind`` ("classification", "regression" or "sequence"), ``chance``
(accuracy of the best input-blind guess) and ``baseline_loss`` (loss of that guess).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import LstmfigsError
from . import _checks


class _Task:
    """Shared behaviour; each task is a dataclass whose last field is ``seed``."""

    seed: int
    kind: ClassVar[str]

    def __post_init__(self) -> None:
        # The task's own stream for sample(rng=None): per instance, never global.
        self._rng = np.random.default_rng(_checks.seed(self.seed))

    def _generator(self, rng: np.random.Generator | None) -> np.random.Generator:
        if rng is None:
            return self._rng
        if not isinstance(rng, np.random.Generator):
            raise LstmfigsError(
                f"rng: expected a numpy.random.Generator or None, got {type(rng).__name__}"
            )
        return rng


@dataclass
class FirstSymbol(_Task):
    """Remember the first symbol: a one-hot symbol (one of ``n_symbols`` = K) at step 0, then
    ``lag`` steps of noise; predict the first symbol from the last step.

    Length T = lag + 1; ``input_size`` K + 1.  The noise is made of the same symbols: every
    later step carries a uniformly random one-hot symbol on the same K channels, and a
    marker channel (the last) is 1 only at step 0.  So a network must take in the symbol
    when the marker is on and then shut its input for ``lag`` steps of look-alike input:
    a gating job (an LSTM's input gate) that a tanh RNN, whose state every input moves, is
    bad at.  ``y`` (B,) int64 in [0, K).  Chance accuracy 1/K; baseline loss ln K.

    Parameters
    ----------
    lag : int, default: 50
        Steps of noise after the symbol (positive).
    n_symbols : int, default: 4
        Symbols K to choose from (at least 2).
    seed : int, default: 0
        Non-negative seed of the task's own generator (used by ``sample(rng=None)``).
    """

    lag: int = 50
    n_symbols: int = 4
    seed: int = 0
    kind: ClassVar[str] = "classification"

    def __post_init__(self) -> None:
        _checks.positive_int(self.lag, "lag")
        if _checks.positive_int(self.n_symbols, "n_symbols") < 2:
            raise LstmfigsError(f"n_symbols: expected at least 2, got {self.n_symbols}")
        super().__post_init__()

    @property
    def input_size(self) -> int:
        return self.n_symbols + 1

    @property
    def n_classes(self) -> int:
        return self.n_symbols

    @property
    def length(self) -> int:
        return self.lag + 1

    @property
    def chance(self) -> float:
        return 1.0 / self.n_symbols

    @property
    def baseline_loss(self) -> float:
        return math.log(self.n_symbols)

    def sample(
        self, batch_size: int, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """A batch of fresh sequences.

        Parameters
        ----------
        batch_size : int
            Sequences B, a positive integer.
        rng : numpy.random.Generator, optional
            The stream to draw from (default: the task's own, seeded by ``seed``).

        Returns
        -------
        x : ndarray
            (T, B, K + 1) float32: one-hot symbols, the marker channel last.
        y : ndarray
            (B,) int64: the first symbol, in [0, K).
        """
        batch = _checks.positive_int(batch_size, "batch_size")
        rng = self._generator(rng)
        symbols = rng.integers(0, self.n_symbols, size=(self.length, batch))
        x = np.zeros((self.length, batch, self.input_size), np.float32)
        np.put_along_axis(x, symbols[..., None], 1.0, axis=-1)
        x[0, :, self.n_symbols] = 1  # the marker: "this one counts"
        return x, symbols[0].astype(np.int64)


@dataclass
class Adding(_Task):
    """The adding problem: ``length`` steps of (value ~ U[0, 1], marker); one marker in each
    half of the sequence; target the sum of the two marked values (MSE).

    ``x`` (T, B, 2), ``y`` (B,) float32.  Predicting the constant 1 gives MSE 1/6 ~ 0.167
    (``baseline_loss``).  Accuracy counts |prediction - y| < ``tolerance`` (0.04); the
    constant guess reaches 2 tol - tol^2 = 0.0784 (``chance``).

    Parameters
    ----------
    length : int, default: 100
        Steps T (at least 2).
    seed : int, default: 0
        Non-negative seed of the task's own generator (used by ``sample(rng=None)``).
    tolerance : float, default: 0.04
        The largest error |prediction - y| counted as right.
    """

    length: int = 100
    seed: int = 0
    tolerance: float = 0.04
    kind: ClassVar[str] = "regression"
    input_size: ClassVar[int] = 2
    n_classes: ClassVar[None] = None
    baseline_loss: ClassVar[float] = 1.0 / 6.0

    def __post_init__(self) -> None:
        if _checks.positive_int(self.length, "length") < 2:
            raise LstmfigsError(f"length: expected at least 2, got {self.length}")
        super().__post_init__()

    @property
    def chance(self) -> float:
        return 2 * self.tolerance - self.tolerance ** 2

    def sample(
        self, batch_size: int, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """A batch of fresh sequences.

        Parameters
        ----------
        batch_size : int
            Sequences B, a positive integer.
        rng : numpy.random.Generator, optional
            The stream to draw from (default: the task's own, seeded by ``seed``).

        Returns
        -------
        x : ndarray
            (T, B, 2) float32: the values and the markers.
        y : ndarray
            (B,) float32: the sum of the two marked values.
        """
        batch = _checks.positive_int(batch_size, "batch_size")
        rng = self._generator(rng)
        half = self.length // 2
        values = rng.uniform(0.0, 1.0, size=(self.length, batch))
        first = rng.integers(0, half, size=batch)
        second = rng.integers(half, self.length, size=batch)
        columns = np.arange(batch)
        x = np.zeros((self.length, batch, 2), np.float32)
        x[..., 0] = values
        x[first, columns, 1] = 1
        x[second, columns, 1] = 1
        y = values[first, columns] + values[second, columns]
        return x, y.astype(np.float32)


@dataclass
class Copy(_Task):
    """The copy task (Arjovsky et al. 2016): ``n_copy`` symbols from ``n_symbols``, then
    ``lag - 1`` blanks, a delimiter, and ``n_copy`` blanks during which the symbols must be
    reproduced.

    Length T = lag + 2 * n_copy.  Input one-hot over n_symbols + 2 channels: 0 blank,
    1..n_symbols the symbols, n_symbols + 1 the delimiter.  Target ``y`` (T, B) int64 of
    class labels at every step (``n_classes`` = n_symbols + 1): 0 (blank) for the first
    lag + n_copy steps, then the symbols in order.  The memoryless baseline (blank, then
    uniform over the symbols) has cross-entropy n_copy ln(n_symbols) / T (10 ln 8 / (lag +
    20) by default) and accuracy (lag + n_copy + n_copy / n_symbols) / T.

    Parameters
    ----------
    lag : int, default: 20
        The delimiter comes ``lag`` steps after the last symbol (positive).
    n_symbols : int, default: 8
        Symbols to choose from (at least 2).
    n_copy : int, default: 10
        Symbols to copy (positive).
    seed : int, default: 0
        Non-negative seed of the task's own generator (used by ``sample(rng=None)``).
    """

    lag: int = 20
    n_symbols: int = 8
    n_copy: int = 10
    seed: int = 0
    kind: ClassVar[str] = "sequence"

    def __post_init__(self) -> None:
        _checks.positive_int(self.lag, "lag")
        _checks.positive_int(self.n_copy, "n_copy")
        if _checks.positive_int(self.n_symbols, "n_symbols") < 2:
            raise LstmfigsError(f"n_symbols: expected at least 2, got {self.n_symbols}")
        super().__post_init__()

    @property
    def length(self) -> int:
        return self.lag + 2 * self.n_copy

    @property
    def input_size(self) -> int:
        return self.n_symbols + 2

    @property
    def n_classes(self) -> int:
        return self.n_symbols + 1

    @property
    def chance(self) -> float:
        return (self.lag + self.n_copy + self.n_copy / self.n_symbols) / self.length

    @property
    def baseline_loss(self) -> float:
        return self.n_copy * math.log(self.n_symbols) / self.length

    def sample(
        self, batch_size: int, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """A batch of fresh sequences.

        Parameters
        ----------
        batch_size : int
            Sequences B, a positive integer.
        rng : numpy.random.Generator, optional
            The stream to draw from (default: the task's own, seeded by ``seed``).

        Returns
        -------
        x : ndarray
            (T, B, n_symbols + 2) float32: one-hot tokens (blank, symbols,
            delimiter).
        y : ndarray
            (T, B) int64: the class at every step (0 blank, then the symbols).
        """
        batch = _checks.positive_int(batch_size, "batch_size")
        rng = self._generator(rng)
        symbols = rng.integers(1, self.n_symbols + 1, size=(self.n_copy, batch))
        tokens = np.zeros((self.length, batch), np.int64)
        tokens[:self.n_copy] = symbols
        tokens[self.n_copy + self.lag - 1] = self.n_symbols + 1  # delimiter
        x = np.zeros((self.length, batch, self.input_size), np.float32)
        np.put_along_axis(x, tokens[..., None], 1.0, axis=-1)
        y = np.zeros((self.length, batch), np.int64)
        y[self.lag + self.n_copy:] = symbols
        return x, y
