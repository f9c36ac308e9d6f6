"""Interrupts: SIGINT, SIGTERM and SIGHUP end a command cleanly.

Python's default handlers either raise :class:`KeyboardInterrupt` wherever the interpreter
happens to be (inside a weakref callback or ``__del__`` it is printed as "Exception ignored"
and swallowed, so the run carries on and exits 0) or, for SIGTERM and SIGHUP, kill the
process on the spot without running any ``finally`` (temporary files stay, training workers
are orphaned).  :func:`handled` installs one handler for all three that

* records the signal, so an interrupt that was swallowed is still seen before any file is
  renamed into place (:func:`check`, called by :meth:`lstmfigs.export.Batch.commit`);
* raises :class:`Interrupted` (a ``BaseException``), so ``finally`` blocks and
  ``except BaseException`` clean-ups run: temporary files are removed, worker processes are
  killed.

The CLI turns :class:`Interrupted` into one line on stderr and exit status 2.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

#: The signals a command ends cleanly on (SIGHUP does not exist on Windows).
SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

_received: int | None = None


class Interrupted(BaseException):
    """The run was interrupted by a signal; ``signum`` says which.

    A ``BaseException`` (as ``KeyboardInterrupt`` is) so that no ``except Exception`` on the
    way swallows it, but not a ``KeyboardInterrupt``: click would turn that into "Aborted!"
    and an extra line on stderr."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def received() -> int | None:
    """The first signal received while :func:`handled` was active, if any."""
    return _received


def check() -> None:
    """Raise :class:`Interrupted` if a signal arrived, even one whose exception was
    swallowed on the way (an interrupt inside a weakref callback)."""
    if _received is not None:
        raise Interrupted(_received)


def _handler(signum: int, frame: Any) -> None:
    global _received
    if _received is None:
        _received = signum
    raise Interrupted(signum)


def _unraisable(hook: Any) -> Any:
    def quiet(unraisable: Any) -> None:
        # An interrupt raised inside a weakref callback or __del__ cannot propagate; it is
        # recorded (see check) and must not print a traceback of its own.
        if isinstance(unraisable.exc_value, Interrupted):
            return
        hook(unraisable)
    return quiet


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted`.

    Only the main thread can install handlers; elsewhere this does nothing.
    """
    global _received
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received = None
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    previous_hook = sys.unraisablehook
    for signum in SIGNALS:
        signal.signal(signum, _handler)
    sys.unraisablehook = _unraisable(previous_hook)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = previous_hook
        _received = None  # what was received belongs to this block (the exception tells)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back for the block (a few renames), then deliver them.

    Where signals cannot be blocked (Windows, other threads), the block simply runs.
    """
    if not hasattr(signal, "pthread_sigmask") \
            or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def pending() -> bool:
    """A signal is waiting (blocked by :func:`deferred`) or was received already."""
    if _received is not None:
        return True
    if hasattr(signal, "sigpending"):
        return bool(set(signal.sigpending()) & set(SIGNALS))
    return False
