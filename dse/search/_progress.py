"""Progress lines per finished trial, an ETA, and the end-of-run summary table."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from dse.complexity import MB
from dse.records import ArchRecord, ResultRecord

__all__ = ["Progress", "format_point", "summary_rows", "summary_table"]


def interactive() -> bool:
    """True when a person watches the terminal (a TTY and CI unset)."""
    return sys.stdout.isatty() and os.environ.get("CI", "").lower() not in ("1", "true", "yes")


def format_point(point: dict[str, Any]) -> str:
    """'sr=0.25 pct3x3=0.5' (or 'base' for the empty point)."""
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in point.items()) or "base"


def _fmt(value: float | None, spec: str = ".3f") -> str:
    """A number, or '-' for None."""
    return "-" if value is None else format(value, spec)


class Progress:
    """Prints one line per finished trial with the overall count and, when interactive, an ETA."""

    def __init__(self, total: int, *, done: int = 0, workers: int = 1, label: str = "") -> None:
        """Start counting at `done` of `total`."""
        self.total, self.done, self.workers, self.label = total, done, workers, label
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

    def trial(self, record: ResultRecord, arch: ArchRecord | None, *, done: int | None = None
              ) -> None:
        """Print the line of a finished trial."""
        self.finished_here += 1
        self.done = done if done is not None else self.done + 1
        width = len(str(self.total))
        size = f"{arch.size_bytes / MB:.3f} MB" if arch else "-"
        seconds = _fmt(record.wall_time_s, ".1f")
        extra = f"  ({record.reason})" if record.reason and record.status != "complete" else ""
        line = (f"[{self.done:>{width}}/{self.total}] {self.label}{format_point(record.point)} "
                f"seed={record.seed}  val {_fmt(record.val_top1)}  test {_fmt(record.test_top1)}  "
                f"{size}  {seconds} s  {record.status}{extra}")
        if self.interactive:
            filled = round(20 * self.done / max(1, self.total))
            line = f"{'#' * filled}{'.' * (20 - filled)} {line}{self.eta()}"
        print(line, flush=True)


def summary_rows(results: Iterable[ResultRecord], archs: dict[str, ArchRecord]
                 ) -> list[dict[str, Any]]:
    """Mean and spread over seeds of each point's measured results, in first-seen order."""
    groups: dict[str, list[ResultRecord]] = defaultdict(list)
    order: list[str] = []
    for rec in results:
        key = format_point(rec.point)
        if key not in groups:
            order.append(key)
        if rec.status in ("complete", "reused") and rec.test_top1 is not None:
            groups[key].append(rec)
        else:
            groups.setdefault(key, [])
    rows = []
    for key in order:
        recs = groups[key]
        sizes = {archs[r.fingerprint].size_bytes for r in recs if r.fingerprint in archs}
        row: dict[str, Any] = {"point": key, "n": len(recs),
                               "size_mb": max(sizes) / MB if sizes else None}
        for metric in ("val_top1", "test_top1", "test_top5"):
            values = [getattr(r, metric) for r in recs if getattr(r, metric) is not None]
            row[metric] = statistics.fmean(values) if values else None
            row[metric + "_sd"] = statistics.stdev(values) if len(values) > 1 else 0.0
        rows.append(row)
    return rows


def summary_table(rows: list[dict[str, Any]], *, title: str) -> str:
    """The summary as aligned text: one row per point, mean ± sd over seeds."""
    lines = [title, f"{'point':<28} {'n':>2} {'size MB':>8} {'val top-1':>15} "
                    f"{'test top-1':>15} {'test top-5':>15}"]
    for row in rows:
        cells = []
        for metric in ("val_top1", "test_top1", "test_top5"):
            mean = row[metric]
            cells.append("-" if mean is None else f"{mean:.3f} ± {row[metric + '_sd']:.3f}")
        lines.append(f"{row['point']:<28} {row['n']:>2} {_fmt(row['size_mb'], '.3f'):>8} "
                     f"{cells[0]:>15} {cells[1]:>15} {cells[2]:>15}")
    return "\n".join(lines)
