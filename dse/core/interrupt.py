"""Stops that are never lost: Ctrl-C (SIGINT) and SIGTERM, handled alike at every moment.

Inside `guard()`, SIGINT raises KeyboardInterrupt and SIGTERM raises Terminated (a
KeyboardInterrupt, so every cleanup path treats both alike), and either also sets a flag. Python
ignores a KeyboardInterrupt raised inside a finalizer (garbage collection inside torch, say);
long loops poll `check()` (a training step, the worker taking its next trial), so the stop is
still seen. Inside `deferred()` (a claim under the study lock) a stop only sets the flag and takes
effect at the next `check()`. Exit codes: 130 for Ctrl-C, 143 for SIGTERM.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["Terminated", "check", "deferred", "exit_code", "guard", "requested"]

_STOP: list[int] = []  # the signal numbers received inside the current guard
_DEFERRED = threading.Event()


class Terminated(KeyboardInterrupt):
    """SIGTERM: the system stops the worker (SLURM preemption, docker stop, systemd, Kubernetes)."""


def _exception(signum: int) -> KeyboardInterrupt:
    """The exception a stop by `signum` raises."""
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Remember the stop; raise at once unless inside deferred()."""
    _STOP.append(signum)
    if not _DEFERRED.is_set():
        raise _exception(signum)


def requested() -> bool:
    """Whether a stop arrived inside the current guard."""
    return bool(_STOP)


def exit_code(exc: BaseException) -> int:
    """The exit code of a process stopped by `exc`: 143 for SIGTERM, 130 for Ctrl-C."""
    return 143 if isinstance(exc, Terminated) else 130


def check() -> None:
    """Raise the stop that arrived, even where its first raise was swallowed."""
    if _STOP:
        raise _exception(_STOP[0])


@contextmanager
def deferred() -> Iterator[None]:
    """Hold a stop that arrives while the block runs (a short critical section).

    The stop is only recorded: the next `check()` after the block raises it.
    """
    _DEFERRED.set()
    try:
        yield
    finally:
        _DEFERRED.clear()


@contextmanager
def guard() -> Iterator[None]:
    """Handle SIGINT and SIGTERM while the block runs (main thread only; else a no-op).

    A signal whose handler is not the default one (SIGINT ignored under nohup, say, or a
    handler of the host program) is left alone; inside another guard this one does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or \
            _on_signal in (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)):
        yield
        return
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    taken = [s for s, default in defaults.items() if signal.getsignal(s) is default]
    _STOP.clear()
    for signum in taken:
        signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum in taken:
            signal.signal(signum, defaults[signum])
        _STOP.clear()
