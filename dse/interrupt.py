"""Ctrl-C that is never lost.

Python turns SIGINT into a KeyboardInterrupt raised at whatever bytecode runs next. When that
is a weakref callback or a `__del__` (garbage collection inside torch, say), Python prints
"Exception ignored" and carries on, and the stop is lost. Inside `guard()`, SIGINT also sets a
flag that long loops poll with `check()`: a training step, the worker taking its next trial.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["check", "guard", "requested"]

_REQUESTED = threading.Event()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    """Remember the stop, then raise as Python's default handler does."""
    _REQUESTED.set()
    raise KeyboardInterrupt


def requested() -> bool:
    """Whether Ctrl-C arrived inside the current guard."""
    return _REQUESTED.is_set()


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C arrived, even where its first raise was swallowed."""
    if _REQUESTED.is_set():
        raise KeyboardInterrupt


@contextmanager
def guard() -> Iterator[None]:
    """Record Ctrl-C while the block runs (main thread, default handler only; else no-op)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    _REQUESTED.clear()
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _REQUESTED.clear()
