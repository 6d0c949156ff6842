"""What the stored results say of a study's items and trials, and storing a stopped trial's
failure: shared by the claims (torch-free, like every module on the claim path)."""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from dse.core.candidate import Candidate
from dse.core.config import RunConfig, Status
from dse.core.records import ResultRecord
from dse.core.status import StopReason
from dse.core.sweep import item_key
from dse.search._results import record_failure
from dse.store import Store

__all__ = ["WORKER", "Item", "ItemCounts", "item_counts", "known_point", "record_stop",
           "search_failures", "trial_budget"]

WORKER = f"{socket.gethostname()}:{os.getpid()}"  # who runs a trial, as a trial user attr
Item = tuple[str, int]  # (item key: point and budget, dse.core.sweep.item_key; seed)


def trial_budget(trial: FrozenTrial | optuna.Trial) -> int | None:
    """The training budget a grid trial was opened for (None: train.epochs; a search's)."""
    budget = trial.user_attrs.get("budget")
    return None if budget is None else int(budget)


@dataclass(frozen=True)
class ItemCounts:
    """What the stored results say of a grid's items."""

    finished: set[Item]  # a final result, or retries used up: nothing more to run
    counted: set[Item]  # a final result (what the statistics count)
    last_failure: dict[Item, str]  # the latest failure reason of each failed item
    failed_tries: Counter[Item]  # failures that used a retry, per item


def _uses_retry(record: ResultRecord) -> bool:
    """Whether a stored result is a failure that uses up a retry (not an interrupt)."""
    return record.status is Status.FAILED and StopReason.uses_retry(record.reason)


def item_counts(cfg: RunConfig, results: list[ResultRecord]) -> ItemCounts:
    """Items with a final result, and items whose retries are used up."""
    def item(r: ResultRecord) -> Item:
        return item_key(r.point, cfg.result_budget(r)), r.seed

    counted = {item(r) for r in results if r.status.final}
    failures = [r for r in results if _uses_retry(r)]
    tries = Counter(item(r) for r in failures)
    exhausted = {i for i, n in tries.items() if n > cfg.study.max_retries}
    last = {item(r): r.reason or "" for r in failures}
    return ItemCounts(counted | exhausted, counted, last, tries)


def search_failures(trials: list[FrozenTrial], results: list[ResultRecord]) -> int:
    """Failed search trials that used a retry: FAIL trials whose stored failure uses one.

    The stored reasons decide, as for grids: they exist for every way a trial fails (Optuna's
    stale check fails a trial before its failure is recorded, so no attr of the trial could
    say why) and in stores of earlier releases, whose interrupts then stop counting too. A
    trial stopped before it sampled a point ran nothing and stored nothing: it uses none.
    Only trials seen FAIL in `trials` count (read them first: a worker saves a failure before
    it tells Optuna, so a trial still RUNNING there is not counted twice).
    """
    failed = {t.number for t in trials if t.state == TrialState.FAIL}
    return len(failed & {r.trial_number for r in results if _uses_retry(r)})


def known_point(trial: FrozenTrial | optuna.Trial) -> dict[str, Any] | None:
    """The point a trial runs: a grid trial's queued point, a search trial's sampled one.

    None for a search trial stopped before its point was sampled (there is nothing to store).
    """
    key = trial.user_attrs.get("point_key")
    if key is not None:
        return dict(json.loads(key))
    return dict(trial.params) or None


def record_stop(cfg: RunConfig, store: Store, trial: FrozenTrial | optuna.Trial, reason: str, *,
                candidate: Candidate | None = None) -> None:
    """Store the failure of a trial that was stopped or lost its worker (when it has a point);
    `candidate` is its network, when the trial had resolved it."""
    point = known_point(trial)
    if point is not None:
        record_failure(cfg.at_budget(trial_budget(trial)), store, trial_number=trial.number, point=point,
                       seed=int(trial.user_attrs.get("seed", 0)), reason=reason,
                       candidate=candidate)
