"""The status of a stored result: one enum that every writer and reader of results uses (pure)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Status", "StopReason"]


class Status(StrEnum):
    """How one trial of a (point, seed) ended; stored as its lower-case value."""

    COMPLETE = "complete"  # trained for every epoch and measured
    DIVERGED = "diverged"  # the loss became NaN or infinite: no metrics
    STOPPED = "stopped"  # a callback ended training early; measured where it stopped
    FAILED = "failed"  # an exception, an interrupt or a lost worker: the item runs again
    REJECTED = "rejected"  # over the study's size or MAC budget: not trained
    REUSED = "reused"  # metrics taken over from an equal run (network, seed, data, training)
    PRUNED = "pruned"  # stopped by the study's pruner

    @property
    def final(self) -> bool:
        """Whether this result ends its (point, seed) for good (a failed one is retried)."""
        return self is not Status.FAILED

    @property
    def measured(self) -> bool:
        """Whether its test metrics are comparable across points (the figures use them)."""
        return self in (Status.COMPLETE, Status.REUSED)

    @property
    def reusable(self) -> bool:
        """Whether a later trial of the same network and seed may take this result over."""
        return self in (Status.COMPLETE, Status.DIVERGED)


class StopReason(StrEnum):
    """Why a trial ended without a result of its own: the stored reason of its failed result.

    Stored as its value; an error's reason is its value, ': ' and the exception
    ("error: ValueError: ..."), so old stores read the same.
    """

    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM: the item runs again, using no retry
    NO_HEARTBEAT = "worker stopped (no heartbeat)"  # its worker died: runs again, uses a retry
    ERROR = "error"  # an exception in the trial: retried up to study.max_retries

    def stored(self, detail: str = "") -> str:
        """The reason text a failed result stores (an error's with its message)."""
        return f"{self.value}: {detail}" if detail else self.value

    @staticmethod
    def uses_retry(reason: str | None) -> bool:
        """Whether a failed result with this stored reason uses up one of its item's retries."""
        return reason != StopReason.INTERRUPTED
