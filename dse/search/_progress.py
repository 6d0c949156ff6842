"""Progress lines per finished trial, with the study-wide count and, when interactive, an ETA."""

from __future__ import annotations

import time
from collections.abc import Callable

from dse.core.config import RunConfig
from dse.core.records import ArchRecord, ResultRecord, Status
from dse.core.sweep import point_label
from dse.core.terminal import interactive
from dse.store import Store

__all__ = ["Progress", "study_counter"]

# The study's finished count as of a result: (the result a line is printed for) -> count.
Counter = Callable[[ResultRecord], int]


def study_counter(cfg: RunConfig, store: Store) -> Counter:
    """Counts the study's finished items (a search: trials) as of a trial's latest result,
    whichever worker saved it: a grid's final results saved up to it (one indexed count, not
    the queue's count now, which another worker's save may already have raised), a search's
    distinct finished trials up to it. Every worker's lines count distinct numbers that reach
    the total.
    """
    if cfg.sweep.kind == "grid":  # final results saved up to this one (an indexed count)
        return lambda record: store.count_results(cfg.study_name,
                                                  final_upto_trial=record.trial_number)

    def count(record: ResultRecord) -> int:
        """The finished count as of `record`'s row (every result, when it is not stored)."""
        results = store.results(cfg.study_name)
        ids = [r.id for r in results if r.trial_number == record.trial_number and r.id is not None]
        upto = [r for r in results if r.id is not None and r.id <= max(ids)] if ids else results
        return len({r.trial_number for r in upto if r.status.final})
    return count


def _fmt(value: float | None, spec: str = ".3f") -> str:
    """A number, or '-' for None."""
    return "-" if value is None else format(value, spec)


class Progress:
    """Prints one line per finished trial.

    With a `counter` (dse.search._study gives every worker one) each line reads the
    study-wide count from the store; without, `done` is set from what each claim read and
    counts up as trials end here.
    """

    def __init__(self, total: int, *, done: int = 0, workers: int = 1, label: str = "",
                 counter: Counter | None = None, budgets: bool = False) -> None:
        """Start counting at `done` of `total`; `budgets`: name each line's training budget
        (a study with several)."""
        self.total, self.done, self.workers, self.label = total, done, workers, label
        self.budgets = budgets
        self.counter = counter
        self.started = time.monotonic()
        self.finished_here = 0
        self.interactive = interactive()

    def eta(self) -> str:
        """Remaining time from this process's pace (shared by all workers)."""
        if not self.finished_here or self.done >= self.total:
            return ""
        per_trial = (time.monotonic() - self.started) / self.finished_here
        seconds = per_trial * (self.total - self.done) / max(1, self.workers)
        return f"  ETA {int(seconds // 60)}:{int(seconds % 60):02d}"

    def trial(self, record: ResultRecord, arch: ArchRecord | None,
              compressed_mb: float | None = None) -> None:
        """Print the line of a finished trial (with its first compressed size, if any)."""
        self.finished_here += 1
        if self.counter is not None:
            self.done = min(self.total, self.counter(record))
        elif record.status.final:
            self.done = min(self.total, self.done + 1)
        width = len(str(self.total))
        size = f"{arch.size_mb:.3f} MB" if arch else "-"
        if arch and compressed_mb:
            size += f" ({compressed_mb:.3f} MB compressed, {arch.size_mb / compressed_mb:.1f}x)"
        seconds = _fmt(record.wall_time_s, ".1f")
        extra = f"  ({record.reason})" if record.reason and record.status is not Status.COMPLETE \
            else ""
        budget = f" epochs={record.budget}" if self.budgets and record.budget else ""
        line = (f"[{self.done:>{width}}/{self.total}] {self.label}{point_label(record.point)} "
                f"seed={record.seed}{budget}  val {_fmt(record.val_top1)}  test {_fmt(record.test_top1)}  "
                f"{size}  {seconds} s  {record.status.value}{extra}")
        if self.interactive:
            filled = round(20 * self.done / max(1, self.total))
            line = f"{'#' * filled}{'.' * (20 - filled)} {line}{self.eta()}"
        print(line, flush=True)
