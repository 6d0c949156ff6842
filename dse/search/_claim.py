"""The claim protocol: how a worker takes the next item of a study, exactly once.

Claim protocol. Every step below runs under the study lock (a PostgreSQL advisory lock, or a
file lock for SQLite), and a stop (Ctrl-C, SIGTERM) that arrives meanwhile waits until it ends:
1. Fail stale trials: RUNNING trials whose heartbeat is older than the grace (Optuna's check),
   and RUNNING trials without a claim stamp, whose worker died inside a claim (every claim
   stamps its trial before it releases the lock, so under the lock an unstamped RUNNING trial
   has no live owner). Each is stored as a failed result (StopReason.NO_HEARTBEAT) and runs again.
2. Read the pending (WAITING, RUNNING) trials first, then the stored results. A worker saves
   its result before it tells Optuna that the trial ended, so an item whose trial ends between
   the two reads is in the second: no item can look neither finished nor pending.
3. Grid sweeps: enqueue every item (point, seed) that is neither finished nor pending, and pop
   one with ask(). The popped item is checked against the results again; one already
   finished is ended at once (attr `dse_skipped`) and the claim goes on. Then, while the next
   queued trial is of the same point, pop it too, up to cfg.seed_group() trials: the seeds
   that train together in one pass. Search sweeps: ask a new trial, from a sampler seeded
   for that trial number, while fewer than n_trials count; stop once more than
   n_trials * (1 + max_retries) trials failed using a retry (`search_failures`).
4. Stamp each claimed trial: its first heartbeat, then the `worker` attr.
The heartbeat thread (dse.search._heartbeat) beats for every claimed trial from right after
the claim until the last one ends; a pass that stops ends all the trials it leaves unfinished
as failed (dse.search._trial.end_unfinished).

A worker whose heartbeat lapsed (stopped, suspended, slow) may find on finishing that another
worker failed its trial and ran the item again: it logs a warning and goes on. Its result stays
in the store; statistics count only the first final result of each item
(dse.core.records.counted_results), so no seed is counted twice.

Retries: grids and searches apply one rule, StopReason.uses_retry, to the reasons of the stored
failed results. An interrupted trial (Ctrl-C, SIGTERM) uses none; a lost worker's (no
heartbeat) and an error's use one. A grid item runs again while it has tries left; a search
samples a new trial in place of a failed one.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections import Counter
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from dse.core import interrupt
from dse.core.candidate import Candidate
from dse.core.config import RunConfig, Status
from dse.core.records import ResultRecord
from dse.core.status import StopReason
from dse.core.sweep import point_key
from dse.search._objective import record_failure
from dse.search._samplers import make_sampler, trial_seed
from dse.store import Store

__all__ = ["PENDING", "WORKER", "ItemCounts", "Lease", "claim", "item_counts", "known_point",
           "record_stop", "search_failures", "stale_trial_recorder", "trial_id"]

log = logging.getLogger(__name__)
PENDING = (TrialState.WAITING, TrialState.RUNNING)
WORKER = f"{socket.gethostname()}:{os.getpid()}"  # who runs a trial, as a trial user attr
Item = tuple[str, int]  # (point key, seed)


def _item(trial: FrozenTrial | optuna.Trial) -> Item | None:
    """The (point key, seed) a grid trial was queued for."""
    attrs = trial.user_attrs
    if "point_key" not in attrs:
        return None
    return attrs["point_key"], int(attrs["seed"])


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
    counted = {(point_key(r.point), r.seed) for r in results if r.status.final}
    failures = [r for r in results if _uses_retry(r)]
    tries = Counter((point_key(r.point), r.seed) for r in failures)
    exhausted = {item for item, n in tries.items() if n > cfg.study.max_retries}
    last = {(point_key(r.point), r.seed): r.reason or "" for r in failures}
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


def _failures_allowed(cfg: RunConfig) -> int:
    """How many failed trials (using a retry) a search goes on after."""
    return cfg.sweep.n_trials * (cfg.study.max_retries + 1)


@dataclass(frozen=True)
class Lease:
    """What one claim took: trials to run (none when nothing is left), and what the study
    holds. A grid claim takes up to cfg.seed_group() seeds of one point together."""

    trials: list[optuna.Trial]
    running: int  # trials other workers are running
    done: int  # items (grid) or trials (search) finished

    @property
    def trial(self) -> optuna.Trial | None:
        """The first trial claimed, or None."""
        return self.trials[0] if self.trials else None


def _fail_orphans(cfg: RunConfig, store: Store, study: optuna.Study) -> None:
    """Fail RUNNING trials that lost their worker (step 1 of the protocol)."""
    optuna.storages.fail_stale_trials(study)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if "worker" not in trial.user_attrs:
            study.tell(trial.number, state=TrialState.FAIL)
            _record_lost(cfg, store, study, trial)


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
        record_failure(cfg, store, trial_number=trial.number, point=point,
                       seed=int(trial.user_attrs.get("seed", 0)), reason=reason,
                       candidate=candidate)


def _record_lost(cfg: RunConfig, store: Store, study: optuna.Study, trial: FrozenTrial) -> None:
    """Store the failure of a trial whose worker stopped (the trial is FAIL already), and log
    what happens next by the rule the claims apply."""
    record_stop(cfg, store, trial, StopReason.NO_HEARTBEAT.stored())
    log.warning("trial %d lost its worker (no heartbeat); %s", trial.number,
                _after_loss(cfg, store, study, trial))


def _after_loss(cfg: RunConfig, store: Store, study: optuna.Study, trial: FrozenTrial) -> str:
    """What the claims do after a lost trial, as stored now: a grid item runs again while it
    has tries left; a search samples a new trial until too many have failed."""
    results = store.results(cfg.study_name)
    if cfg.sweep.kind == "search":
        trials = study.get_trials(deepcopy=False)
        failed, allowed = search_failures(trials, results), _failures_allowed(cfg)
        before = "" if known_point(trial) is not None else \
            "it had sampled no point, so it uses no retry; "
        if failed > allowed:
            return f"{before}failed trials: {failed} of {allowed} allowed; the search stops"
        if sum(t.state != TrialState.FAIL for t in trials) >= cfg.sweep.n_trials:
            return f"{before}failed trials: {failed} of {allowed} allowed; no trial is left to run"
        return f"{before}failed trials: {failed} of {allowed} allowed; a new trial takes its place"
    item = _item(trial)
    counts = item_counts(cfg, results)
    tries = cfg.study.max_retries + 1
    if item is None:
        return "it had no queued item; nothing runs again"
    if item in counts.counted:
        return "its item already has a final result; it will not run again"
    if item in counts.finished:
        return (f"its retries are used up ({counts.failed_tries[item]} of {tries} tries failed); "
                "it will not run again")
    return f"it will run again (try {counts.failed_tries[item] + 1} of {tries})"


def stale_trial_recorder(cfg: RunConfig, store: Store) -> Any:
    """Optuna callback run once per trial failed for missing heartbeats: record the failure."""
    def record(study: optuna.Study, trial: FrozenTrial) -> None:
        _record_lost(cfg, store, study, trial)
    return record


def _claim_grid(cfg: RunConfig, store: Store, study: optuna.Study) -> Lease:
    """Steps 2-3 for a grid: enqueue missing items, pop one that is not finished."""
    pending = study.get_trials(deepcopy=False, states=PENDING)  # before the results: see above
    counts = item_counts(cfg, store.results(cfg.study_name))
    queued = {_item(t) for t in pending}
    for point, seed in cfg.grid_items():
        key = point_key(point)
        if (key, seed) not in counts.finished and (key, seed) not in queued:
            study.enqueue_trial(point, user_attrs={"point_key": key, "seed": seed})
            queued.add((key, seed))
    running = sum(t.state == TrialState.RUNNING for t in pending)
    while any(t.state == TrialState.WAITING for t in study.get_trials(
            deepcopy=False, states=(TrialState.WAITING,))):
        trial = study.ask()
        item = _item(trial)
        if item not in counts.finished:
            more = _same_point(cfg, study, item[0], counts.finished) if item else []
            trials = [trial, *more]
            return Lease(trials, running, len(counts.finished))
        _skip(study, trial)
    return Lease([], running, len(counts.finished))


def _skip(study: optuna.Study, trial: optuna.Trial) -> None:
    """End a popped trial whose item already has a final result."""
    trial.set_user_attr("dse_skipped", "its (point, seed) already has a final result")
    study.tell(trial, state=TrialState.FAIL)


def _same_point(cfg: RunConfig, study: optuna.Study, key: str, finished: set[Item]
                ) -> list[optuna.Trial]:
    """Pop the queued trials of point `key` that come next, up to a seed group in all.

    ask() pops the lowest-numbered WAITING trial, and the grid is queued point by point,
    so a point's seeds are normally next to each other; the loop stops at the first
    WAITING trial of another point (it stays queued).
    """
    more: list[optuna.Trial] = []
    while len(more) + 1 < cfg.seed_group():
        waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
        if not waiting or waiting[0].user_attrs.get("point_key") != key:
            break
        trial = study.ask()
        item = _item(trial)
        if item is None or item[0] != key:  # not expected under the lock: runs on its own
            more.append(trial)
            break
        if item in finished:
            _skip(study, trial)
        else:
            more.append(trial)
    return more


def _claim_search(cfg: RunConfig, store: Store, study: optuna.Study) -> Lease:
    """Step 3 for a search: a new trial while fewer than n_trials count, unless too many
    failed (interrupted trials are no failures: see `search_failures`)."""
    trials = study.get_trials(deepcopy=False)  # before the results: see search_failures
    counted = [t for t in trials if t.state != TrialState.FAIL]
    running = sum(t.state == TrialState.RUNNING for t in trials)
    failed = search_failures(trials, store.results(cfg.study_name))
    if failed > _failures_allowed(cfg):
        log.warning("stopping: %d trials failed, more than sweep.n_trials x (1 + "
                    "study.max_retries) = %d allow (see the failed results for why)", failed,
                    _failures_allowed(cfg))
        return Lease([], 0, len(counted))
    if len(counted) >= cfg.sweep.n_trials:
        return Lease([], running, len(counted))
    seed = trial_seed(cfg.sampler.seed, len(trials))  # the next trial's number: all asks are locked
    study.sampler = make_sampler(cfg.sampler, trial_number=len(trials))
    trial = study.ask()
    trial.set_user_attr("sampler_seed", seed)
    return Lease([trial], running, len(counted) - running)


def claim(cfg: RunConfig, store: Store, study: optuna.Study,
          storage: optuna.storages.RDBStorage) -> Lease:
    """Take the next trial under the study lock (the protocol in the module docstring)."""
    with interrupt.deferred(), store.lock(f"study:{cfg.study_name}"):
        _fail_orphans(cfg, store, study)
        got = _claim_grid(cfg, store, study) if cfg.sweep.kind == "grid" else \
            _claim_search(cfg, store, study)
        for trial in got.trials:
            storage.record_heartbeat(trial_id(storage, study, trial))
            trial.set_user_attr("worker", WORKER)
            trial.set_user_attr("worker_index", cfg.study.worker_index)
    return got


def trial_id(storage: optuna.storages.RDBStorage, study: optuna.Study, trial: optuna.Trial
             ) -> int:
    """The storage's id of a trial (heartbeats are recorded by id)."""
    study_id = storage.get_study_id_from_name(study.study_name)
    return storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
