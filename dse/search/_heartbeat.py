"""The heartbeat thread of a worker: it beats for every claimed trial until the last one ends."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["Heartbeat"]

log = logging.getLogger(__name__)


class Heartbeat:
    """A thread that calls `beat` every `interval` seconds while a claim's trials run (it renews
    a grid claim's leases, or records a search trial's Optuna heartbeat)."""

    def __init__(self, beat: Callable[[], None], interval: float) -> None:
        """Prepare the thread."""
        self.beat, self.interval = beat, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        """Beat until stopped."""
        while not self.stop.wait(self.interval):
            try:
                self.beat()
            except Exception as exc:  # a missed beat is retried; the database may be busy
                log.warning("heartbeat failed: %s", exc)

    def __enter__(self) -> Heartbeat:
        """Start beating."""
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        """Stop beating."""
        self.stop.set()
        self.thread.join()
