"""Shared data step: which results count, one group per point, mean and spread over seeds.

A (point, seed) counts once whatever the store holds: dse.core.records.counted_results picks it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dse.core.metaparams import NAMES
from dse.core.records import ArchRecord, ResultRecord, Status, counted_results, percent
from dse.core.sweep import point_key

__all__ = ["MEASURED_STATUSES", "PointGroup", "Stat", "arch_map", "dataset_name", "group_points",
           "measured", "stat", "swept_keys", "varying_keys"]

# Results whose test metrics the figures use: trained here, or taken over from an equal run.
MEASURED_STATUSES = tuple(s for s in Status if s.measured)


@dataclass(frozen=True)
class Stat:
    """Mean and spread of one metric over seeds (fractions, as the store keeps them)."""

    mean: float | None  # None without any value
    sd: float | None  # sample standard deviation; 0.0 for one value, None for none
    n: int  # values measured

    def as_percent(self) -> str:
        """Mean and sd as percentages, '61.2% ± 1.3' (sd in percentage points), or '-'."""
        return percent(self.mean, self.sd or 0.0)


def stat(values: Iterable[float | None]) -> Stat:
    """Mean and sample standard deviation of the values that are not None."""
    kept = [float(v) for v in values if v is not None]
    if not kept:
        return Stat(None, None, 0)
    sd = statistics.stdev(kept) if len(kept) > 1 else 0.0
    return Stat(statistics.fmean(kept), sd, len(kept))


def measured(result: ResultRecord) -> bool:
    """Whether a result counts: complete or reused, with a test top-1."""
    return result.status.measured and result.test_top1 is not None


@dataclass(frozen=True)
class PointGroup:
    """Every result of one point (all seeds), with its network."""

    point: dict[str, Any]  # the swept values
    arch: dict[str, Any]  # the network's metaparameters ({} when unknown)
    size_mb: float | None  # in MB = 2^20 bytes; None when the network is unknown
    top1: Stat  # test top-1 over the measured results
    top5: Stat  # test top-5 over the measured results
    seeds: tuple[int, ...]  # seeds of the measured results
    statuses: dict[str, int]  # status -> count, over every result of the point
    fingerprint: str | None = None  # the network's (None when unknown)
    # validation top-1 over the same results: the model-selection split a front is picked on
    val1: Stat = Stat(None, None, 0)
    budget: int | None = None  # the training budget (epochs) of its results

    @property
    def n(self) -> int:
        """Measured results (seeds) of the point."""
        return len(self.seeds)

    def hover(self) -> dict[str, Any]:
        """The metaparameters of the point's network (the swept ones where it is unknown)."""
        values = {k: self.arch[k] for k in NAMES if k in self.arch}
        return values or dict(self.point)

    def accuracy_lines(self) -> list[str]:
        """Hover lines of the measured test accuracies, e.g. 'test top-1 95.3% ± 0.7'."""
        return [f"test {name} {s.as_percent()}"
                for name, s in (("top-1", self.top1), ("top-5", self.top5)) if s.mean is not None]


def arch_map(archs: Mapping[str, ArchRecord] | Iterable[ArchRecord]) -> dict[str, ArchRecord]:
    """fingerprint -> network, from a mapping (as Store.archs returns) or a list of records."""
    if isinstance(archs, Mapping):
        return dict(archs)
    return {arch.fingerprint: arch for arch in archs}


def group_points(results: Sequence[ResultRecord],
                 archs: Mapping[str, ArchRecord] | Iterable[ArchRecord]) -> list[PointGroup]:
    """One group per distinct point and training budget, in first-seen order; points with no
    measurement included. A result stored without a budget (a failure from before budgets
    existed) joins its point's group when the study has one budget.

    Args:
        results: the study's results (any status).
        archs: the networks, by fingerprint or as a list.

    Returns:
        The groups: test top-1/top-5 and validation top-1 mean and spread over the counted,
        measured results (one per seed), the size, and the status counts of every result.
    """
    networks = arch_map(archs)
    budgets = {r.budget for r in results if r.budget is not None}
    only = next(iter(budgets)) if len(budgets) == 1 else None
    members: dict[tuple[str, int | None], list[ResultRecord]] = {}
    for result in results:
        budget = only if result.budget is None else result.budget
        members.setdefault((point_key(result.point), budget), []).append(result)
    counted = {id(r) for r in counted_results(results)}
    groups = []
    for (_, budget), recs in members.items():
        good = [r for r in recs if id(r) in counted and measured(r)]
        known = [networks[r.fingerprint] for r in (good or recs) if r.fingerprint in networks]
        size = max(a.size_mb for a in known) if known else None
        groups.append(PointGroup(
            point=dict(recs[0].point), arch=dict(known[0].arch) if known else {}, size_mb=size,
            top1=stat(r.test_top1 for r in good), top5=stat(r.test_top5 for r in good),
            seeds=tuple(r.seed for r in good), statuses=dict(Counter(r.status.value for r in recs)),
            fingerprint=known[0].fingerprint if known else None,
            val1=stat(r.val_top1 for r in good), budget=budget,
        ))
    return groups


def swept_keys(results: Sequence[ResultRecord]) -> list[str]:
    """The keys of the study's points, in first-seen order."""
    keys: dict[str, None] = {}
    for result in results:
        keys.update(dict.fromkeys(result.point))
    return list(keys)


def varying_keys(results: Sequence[ResultRecord]) -> list[str]:
    """The swept keys that take more than one value across the study."""
    values: dict[str, set[str]] = {}
    for result in results:
        for key, value in result.point.items():
            values.setdefault(key, set()).add(point_key({"v": value}))
    return [key for key in swept_keys(results) if len(values.get(key, ())) > 1]


def dataset_name(results: Sequence[ResultRecord]) -> str:
    """The dataset's name ('digits' from 'digits:<hash>'); joined when several."""
    names = dict.fromkeys(r.dataset.split(":", 1)[0] for r in results)
    return ", ".join(names) or "no data"
