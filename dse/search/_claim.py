"""The claim protocol: how a worker takes the next item of a study, exactly once.

Grid sweeps (dse.search._grid_claim over dse.store.WorkQueue). The store keeps one row per
(point, seed) item, queued once in grid order, with a lease that the database clock sets:
1. Claim: one short transaction leases the first item whose lease expired, else the first
   waiting one, and up to cfg.seed_group() - 1 waiting seeds of its point (the seeds that train
   together in one pass). Each statement locks only the rows it takes (PostgreSQL: FOR UPDATE
   SKIP LOCKED; SQLite serialises writers) and reads an index: no study-wide lock, no read of
   the study's results or trials, whatever its size.
2. Open a RUNNING Optuna trial for each item and note its number on the item.
3. A heartbeat thread renews the claim's leases every study.heartbeat_s, from right after the
   claim (opening a trial may wait on Optuna's lock of the study row) until the pass ends; a
   lease lasts LEASE_BEATS heartbeats.
4. After the pass, each item is settled from its trial's stored result: final -> done; a
   failure that uses a retry -> waiting again (exhausted once max_retries are used); an
   interrupt, or no result -> waiting again with no try used.
A worker that stops (killed, paused, its machine lost) stops renewing: once its lease expires
the next claim takes its item over, counts the lost try against the item's retries, fails the
lost trial in Optuna and stores its failure (StopReason.NO_HEARTBEAT); when the lost trial had
stored a final result already (its worker stopped just after), the item is done instead.

Why exactly once. An item leaves waiting/leased only as done (after a final result of it is
stored) or exhausted (its retries used up, listed as given up), so none is lost. Two workers
run one item only when the first one's lease expired while it still ran (paused past its
lease, cut off from the database): both may store a result, and statistics count only the
first final result of each item (dse.core.records.counted_results), so no item is counted
twice. The late worker's settle and renewals carry its claim's token and change nothing.

Search sweeps sample each trial from every earlier one, so their claims stay under the study
lock (a PostgreSQL advisory lock, or a file lock for SQLite); every wait for it is bounded and
interruptible (dse.store._lock), and a claim holds it only to fail stale trials (heartbeat
older than the grace, or a RUNNING trial without a claim stamp) and ask for a new trial while
fewer than n_trials count, stopping once more than n_trials * (1 + max_retries) failed using a
retry (`search_failures`). A search has at most a few hundred trials.

Retries: grids and searches apply one rule, StopReason.uses_retry, to the reasons of the stored
failed results. An interrupted trial (Ctrl-C, SIGTERM) uses none; a lost worker's (no
heartbeat) and an error's use one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from dse.core import interrupt
from dse.core.config import RunConfig
from dse.core.status import StopReason
from dse.search._grid_claim import claim_items, end_orphans, open_trials, renewer
from dse.search._heartbeat import Heartbeat
from dse.search._items import WORKER, known_point, record_stop, search_failures
from dse.search._samplers import make_sampler, trial_seed
from dse.store import ItemLease, Store

__all__ = ["Lease", "claim", "stale_trial_recorder", "trial_id"]

log = logging.getLogger(__name__)


def _failures_allowed(cfg: RunConfig) -> int:
    """How many failed trials (using a retry) a search goes on after."""
    return cfg.sweep.n_trials * (cfg.study.max_retries + 1)


@dataclass(frozen=True)
class Lease:
    """What one claim took: trials to run (none when nothing is left now), and what the study
    holds. A grid claim takes up to cfg.seed_group() seeds of one point, each with its item."""

    trials: list[optuna.Trial]
    running: int  # trials other workers are running
    done: int | None  # items (grid) or trials (search) finished; None: not counted
    waiting: int = 0  # grid items that a claim can take now
    next_expiry_s: float | None = None  # when the first running lease ends (grid)
    items: list[ItemLease] = field(default_factory=list)  # a grid claim's, one per trial

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


def _record_lost(cfg: RunConfig, store: Store, study: optuna.Study, trial: FrozenTrial) -> None:
    """Store the failure of a trial whose worker stopped (the trial is FAIL already), and log
    what happens next by the rule the claims apply."""
    record_stop(cfg, store, trial, StopReason.NO_HEARTBEAT.stored())
    log.warning("trial %d lost its worker (no heartbeat); %s", trial.number,
                _after_loss(cfg, store, study, trial))


def _after_loss(cfg: RunConfig, store: Store, study: optuna.Study, trial: FrozenTrial) -> str:
    """What a search does after a lost trial, as stored now: it samples a new trial until too
    many have failed."""
    trials = study.get_trials(deepcopy=False)
    failed = search_failures(trials, store.results(cfg.study_name))
    allowed = _failures_allowed(cfg)
    before = "" if known_point(trial) is not None else \
        "it had sampled no point, so it uses no retry; "
    if failed > allowed:
        return f"{before}failed trials: {failed} of {allowed} allowed; the search stops"
    if sum(t.state != TrialState.FAIL for t in trials) >= cfg.sweep.n_trials:
        return f"{before}failed trials: {failed} of {allowed} allowed; no trial is left to run"
    return f"{before}failed trials: {failed} of {allowed} allowed; a new trial takes its place"


def stale_trial_recorder(cfg: RunConfig, store: Store) -> Any:
    """Optuna callback run once per trial failed for missing heartbeats: record the failure."""
    def record(study: optuna.Study, trial: FrozenTrial) -> None:
        _record_lost(cfg, store, study, trial)
    return record


def _claim_grid(cfg: RunConfig, store: Store, study: optuna.Study,
                storage: optuna.storages.RDBStorage) -> Lease:
    """Steps 1-2 for a grid: lease items from the work queue, open their trials. A claim that
    takes nothing ends the holds of stopped workers' told-late trials and counts what is left."""
    with interrupt.deferred():  # one short transaction, and the take-overs it found
        items = claim_items(cfg, store, study, storage)
    if items:  # opening a trial may wait on Optuna's lock of the study: the leases stay renewed
        with Heartbeat(renewer(cfg, store, items), cfg.study.heartbeat_s):
            trials, items = open_trials(cfg, store, study, storage, items)
    if items:
        return Lease(trials, 0, None, items=items)  # no counting on the way to work
    end_orphans(cfg, store, study, storage)
    counts = store.queue(cfg.study_name).counts()
    return Lease([], counts.running, counts.finished, waiting=counts.waiting + counts.expired,
                 next_expiry_s=counts.next_expiry_s)


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
    """Take the next trials (the protocol in the module docstring). A stop that arrives
    meanwhile waits until the claim is recorded; one that arrives while a grid claim opens its
    trials gives the items back at once (open_trials)."""
    if cfg.sweep.kind == "grid":
        return _claim_grid(cfg, store, study, storage)
    with interrupt.deferred():
        with store.lock(f"study:{cfg.study_name}"):
            _fail_orphans(cfg, store, study)
            got = _claim_search(cfg, store, study)
            for trial in got.trials:
                storage.record_heartbeat(trial_id(storage, study, trial))
                trial.set_user_attr("worker", WORKER)
                trial.set_user_attr("worker_index", cfg.study.worker_index)
        return got


def trial_id(storage: optuna.storages.RDBStorage, study: optuna.Study, trial: optuna.Trial
             ) -> int:
    """The storage's id of a trial (heartbeats are recorded by id)."""
    return trial._trial_id
