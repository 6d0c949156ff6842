"""The heartbeat thread of a worker: it beats for every claimed trial until the last one ends."""

from __future__ import annotations

import logging
import threading

import optuna

__all__ = ["Heartbeat"]

log = logging.getLogger(__name__)


class Heartbeat:
    """A thread that records the trials' heartbeats every `interval` seconds while they run."""

    def __init__(self, storage: optuna.storages.RDBStorage, trial_ids: list[int],
                 interval: float) -> None:
        """Prepare the thread."""
        self.storage, self.trial_ids, self.interval = storage, trial_ids, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        """Record heartbeats until stopped."""
        while not self.stop.wait(self.interval):
            try:
                for trial_id in self.trial_ids:
                    self.storage.record_heartbeat(trial_id)
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
