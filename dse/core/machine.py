"""What this machine has free right now: cores not busy with other work, and memory (pure)."""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["free_cores", "memory_bytes"]

_STAT = Path("/proc/stat")


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) jiffies of all CPUs since boot, or None where /proc/stat is missing."""
    try:
        fields = [int(v) for v in _STAT.read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return idle, sum(fields[:8])


def free_cores(*, sample_s: float = 0.3) -> int:
    """Cores left idle by other processes, measured over `sample_s` (all cores where unknown).

    A core counts as free when at least half of it sat idle during the sample, so a core
    busy with another CPU-bound process is not counted, and a briefly busy one is.
    """
    cores = os.cpu_count() or 1
    before = _cpu_times()
    if before is None:
        return cores
    time.sleep(sample_s)
    after = _cpu_times()
    if after is None or after[1] <= before[1]:
        return cores
    idle_share = (after[0] - before[0]) / (after[1] - before[1])
    return max(1, min(cores, int(idle_share * cores + 0.5)))


def memory_bytes() -> int | None:
    """This machine's memory, when the OS tells it."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
