"""One worker process of a study: claim the next item under the study lock, run it, repeat.

Claim protocol. Every step below runs under the study lock (a PostgreSQL advisory lock, or a
file lock for SQLite), and a stop (Ctrl-C, SIGTERM) that arrives meanwhile waits until it ends:
1. Fail stale trials: RUNNING trials whose heartbeat is older than the grace (Optuna's check),
   and RUNNING trials without a claim stamp, whose worker died inside a claim (every claim
   stamps its trial before it releases the lock, so under the lock an unstamped RUNNING trial
   has no live owner). Each is stored as a failed result ("no heartbeat") and runs again.
2. Read the pending (WAITING, RUNNING) trials first, then the stored results. A worker saves
   its result before it tells Optuna that the trial ended, so an item whose trial ends between
   the two reads is in the second: no item can look neither finished nor pending.
3. Grid sweeps: enqueue every item (point, seed) that is neither finished nor pending, and pop
   one with ask(). The popped item is checked against the results again; one already
   finished is ended at once (attr `dse_skipped`) and the claim goes on. Then, while the next
   queued trial is of the same point, pop it too, up to cfg.seed_group() trials: the seeds
   that train together in one pass. Search sweeps: ask a new trial, from a sampler seeded
   for that trial number, while fewer than n_trials count.
4. Stamp each claimed trial: its first heartbeat, then the `worker` attr.
The heartbeat thread beats for every claimed trial from right after the claim until the
last one ends; a pass that stops ends all the trials it leaves unfinished as failed.

A worker whose heartbeat lapsed (stopped, suspended, slow) may find on finishing that another
worker failed its trial and ran the item again: it logs a warning and goes on. Its result stays
in the store; statistics count only the first final result of each item
(dse.core.records.counted_results), so no seed is counted twice.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from dse.core import interrupt
from dse.core.config import RunConfig, Status
from dse.core.metaparams import NAMES as METAPARAMETER_NAMES
from dse.training.data import DataError
from dse.core.records import ResultRecord, arch_record
from dse.search._artifacts import open_artifact_store, upload_bytes, upload_weights
from dse.search._compression import KeepBytes, compress_outcome
from dse.search._hypervolume import record_hypervolume
from dse.search._objective import (
    KeepWeights,
    Outcome,
    PruningCallback,
    record_failure,
    settle,
    train_seeds,
)
from dse.search._progress import Progress
from dse.search._pruning import SizeAwarePruning
from dse.search._samplers import make_sampler, trial_seed
from dse.store import Store
from dse.core.sweep import point_key

__all__ = ["Claim", "Heartbeat", "claim", "item_counts", "run_worker"]

log = logging.getLogger(__name__)
PENDING = (TrialState.WAITING, TrialState.RUNNING)
INTERRUPTED = "interrupted"
NO_HEARTBEAT = "worker stopped (no heartbeat)"
WORKER = f"{socket.gethostname()}:{os.getpid()}"  # who runs a trial, as a trial user attr
Item = tuple[str, int]  # (point key, seed)


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


def item_counts(cfg: RunConfig, results: list[ResultRecord]) -> ItemCounts:
    """Items with a final result, and items whose retries are used up."""
    counted = {(point_key(r.point), r.seed) for r in results if r.status.final}
    failures = [r for r in results if r.status is Status.FAILED and r.reason != INTERRUPTED]
    tries = Counter((point_key(r.point), r.seed) for r in failures)
    exhausted = {item for item, n in tries.items() if n > cfg.study.max_retries}
    last = {(point_key(r.point), r.seed): r.reason or "" for r in failures}
    return ItemCounts(counted | exhausted, counted, last)


@dataclass(frozen=True)
class Claim:
    """The outcome of one claim: trials to run (none when nothing is left), and what the
    study holds. A grid claim takes up to cfg.seed_group() seeds of one point together."""

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
            _record_lost(cfg, store, trial)


def _known_point(trial: FrozenTrial | optuna.Trial) -> dict[str, Any] | None:
    """The point a trial runs: a grid trial's queued point, a search trial's sampled one.

    None for a search trial stopped before its point was sampled (there is nothing to store).
    """
    key = trial.user_attrs.get("point_key")
    if key is not None:
        return dict(json.loads(key))
    return dict(trial.params) or None


def _record_stop(cfg: RunConfig, store: Store, trial: FrozenTrial | optuna.Trial, reason: str
                 ) -> None:
    """Store the failure of a trial that was stopped or lost its worker (when it has a point)."""
    point = _known_point(trial)
    if point is not None:
        record_failure(cfg, store, trial_number=trial.number, point=point,
                       seed=int(trial.user_attrs.get("seed", 0)), reason=reason)


def _record_lost(cfg: RunConfig, store: Store, trial: FrozenTrial) -> None:
    """Store the failure of a trial whose worker stopped."""
    _record_stop(cfg, store, trial, NO_HEARTBEAT)
    log.warning("trial %d lost its worker (no heartbeat); it will run again", trial.number)


def stale_trial_recorder(cfg: RunConfig, store: Store) -> Any:
    """Optuna callback run once per trial failed for missing heartbeats: record the failure."""
    def record(study: optuna.Study, trial: FrozenTrial) -> None:
        _record_lost(cfg, store, trial)
    return record


def _claim_grid(cfg: RunConfig, store: Store, study: optuna.Study) -> Claim:
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
            return Claim(trials, running, len(counts.finished))
        _skip(study, trial)
    return Claim([], running, len(counts.finished))


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


def _claim_search(cfg: RunConfig, study: optuna.Study) -> Claim:
    """Step 3 for a search: a new trial while fewer than n_trials count."""
    trials = study.get_trials(deepcopy=False)
    counted = [t for t in trials if t.state != TrialState.FAIL]
    running = sum(t.state == TrialState.RUNNING for t in trials)
    failed = len(trials) - len(counted)
    if failed > cfg.sweep.n_trials * (cfg.study.max_retries + 1):
        log.warning("stopping: %d trials failed (see the failed results for why)", failed)
        return Claim([], 0, len(counted))
    if len(counted) >= cfg.sweep.n_trials:
        return Claim([], running, len(counted))
    seed = trial_seed(cfg.sampler.seed, len(trials))  # the next trial's number: all asks are locked
    study.sampler = make_sampler(cfg.sampler, trial_number=len(trials))
    trial = study.ask()
    trial.set_user_attr("sampler_seed", seed)
    return Claim([trial], running, len(counted) - running)


def claim(cfg: RunConfig, store: Store, study: optuna.Study,
          storage: optuna.storages.RDBStorage) -> Claim:
    """Take the next trial under the study lock (the protocol in the module docstring)."""
    with interrupt.deferred(), store.lock(f"study:{cfg.study_name}"):
        _fail_orphans(cfg, store, study)
        got = _claim_grid(cfg, store, study) if cfg.sweep.kind == "grid" else \
            _claim_search(cfg, study)
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


def _suggest(cfg: RunConfig, trial: optuna.Trial) -> dict[str, Any]:
    """The trial's point: queued grid values, or values sampled from the search space."""
    if cfg.sweep.kind == "grid":
        return {k: trial.suggest_categorical(k, v) for k, v in cfg.sweep.grid.items()}
    point: dict[str, Any] = {}
    for name, p in cfg.sweep.space.items():
        if p.choices is not None:
            point[name] = trial.suggest_categorical(name, list(p.choices))
        elif p.integer:
            point[name] = trial.suggest_int(name, int(p.low), int(p.high), log=p.log,
                                            step=int(p.step or 1))
        else:
            point[name] = trial.suggest_float(name, p.low, p.high, log=p.log, step=p.step)
    return point


def _finish(study: optuna.Study, storage: optuna.storages.RDBStorage, trial: optuna.Trial, *,
            attrs: dict[str, Any] | None = None, state: TrialState | None = None,
            values: list[float] | None = None,
            constraints: dict[str, float] | None = None) -> None:
    """Set the trial's attrs and constraints and tell Optuna how it ended; a trial already
    ended is left be."""
    try:
        for key, value in (attrs or {}).items():
            trial.set_user_attr(key, value)
        for key, value in (constraints or {}).items():
            trial.set_constraint(key, value)
        if values is not None:
            study.tell(trial, values if len(values) > 1 else values[0])
        else:
            study.tell(trial, state=state)
    except (UpdateFinishedTrialError, ValueError):  # tell says ValueError("Cannot tell a FAIL ...")
        if storage.get_trial(trial_id(storage, study, trial)).state == TrialState.RUNNING:
            raise
        log.warning("trial %d was failed by another worker while this one ran (its heartbeat "
                    "lapsed); the item ran again there. This result is kept; statistics count "
                    "only the first result saved for an item", trial.number)


def _constraints(cfg: RunConfig, arch: Any) -> dict[str, float]:
    """A search's budgets as Optuna constraints (feasible when <= 0), so that constraint-aware
    samplers (tpe, gp, nsga2) learn where the infeasible region is; none for grids."""
    if cfg.sweep.kind != "search":
        return {}
    study = cfg.study
    return {**({"size_mb": arch.size_mb - study.max_size_mb} if study.max_size_mb else {}),
            **({"macs": float(arch.macs - study.max_macs)} if study.max_macs else {})}


def _tell(study: optuna.Study, storage: optuna.storages.RDBStorage, cfg: RunConfig,
          trial: optuna.Trial, outcome: Outcome, progress: Progress, store: Store) -> None:
    """Tell Optuna how a trial ended, with its result's key figures as attrs; store the
    study's hypervolume history that it changed."""
    rec, arch = outcome.record, outcome.arch
    attrs = {"status": rec.status.value, "seed": rec.seed, "size_mb": arch.size_mb,
             "params": arch.params, "macs": arch.macs, "fingerprint": arch.fingerprint,
             "val_top1": rec.val_top1, "test_top1": rec.test_top1, "test_top5": rec.test_top5,
             "wall_time_s": rec.wall_time_s, **{f"arch_{k}": v for k, v in arch.arch.items()
                                                 if k in METAPARAMETER_NAMES}}
    if rec.weights_artifact:
        attrs["weights_artifact"] = rec.weights_artifact
    if outcome.latency_ms is not None:
        attrs["latency_ms"] = outcome.latency_ms
    if outcome.compressed_mb is not None:
        attrs["compressed_mb"] = outcome.compressed_mb
    objectives = cfg.sweep.objectives if cfg.sweep.kind == "search" else ("accuracy",)
    values = outcome.objective_values(objectives)
    constraints = _constraints(cfg, arch)
    if constraints and rec.status is Status.REJECTED:
        values = outcome.rejected_values(objectives)  # complete and infeasible: samplers learn
    _finish(study, storage, trial, attrs=attrs, values=values, constraints=constraints,
            state=TrialState.PRUNED if values is None else None)
    record_hypervolume(store, study, trial.number)
    progress.trial(rec, arch, outcome.compressed_mb)


def _keeper(cfg: RunConfig, trials: list[optuna.Trial]) -> KeepWeights | None:
    """Uploads a trial's weights as an artifact of that trial, when the run keeps weights."""
    if cfg.artifact_location is None:
        return None
    artifacts = open_artifact_store(cfg.artifact_location, create=True)
    by_number = {t.number: t for t in trials}
    return lambda number, data: upload_weights(by_number[number], artifacts, data)


def _byte_keeper(cfg: RunConfig, trials: list[optuna.Trial]) -> KeepBytes | None:
    """Uploads an encoded network as an artifact of its trial, when the run keeps them."""
    if cfg.artifact_location is None or not cfg.compress.keep_bytes:
        return None
    artifacts = open_artifact_store(cfg.artifact_location, create=True)
    by_number = {t.number: t for t in trials}
    return lambda number, name, data: upload_bytes(by_number[number], artifacts, data,
                                                   filename=name,
                                                   mimetype="application/octet-stream")


def _pruning(cfg: RunConfig, trials: list[optuna.Trial]) -> list[Any]:
    """The pruning callback of a pass (a pruner judges one trial's curve, so one seed)."""
    if cfg.study.pruner == "none" or len(trials) != 1:
        return []
    if cfg.study.pruner == "size_aware":
        size = arch_record(cfg.arch_for(_suggest(cfg, trials[0]))).size_mb
        return [SizeAwarePruning(trials[0], size_mb=size, margin=cfg.study.prune_margin,
                                 min_epochs=cfg.study.prune_min_epochs)]
    return [PruningCallback(trials[0])]


def _run_group(cfg: RunConfig, store: Store, study: optuna.Study,
               storage: optuna.storages.RDBStorage, trials: list[optuna.Trial],
               progress: Progress, threads: int | None) -> None:
    """Run claimed trials of one point (their heartbeats already beating), seeds together.

    Seeds that need no training (over budget, or reusable) end first; the rest train in one
    pass. Whatever stops the pass ends every trial it leaves unfinished: stored as failed
    (retried later, or interrupted) and told FAIL.
    """
    seeds = {t.number: int(t.user_attrs.get("seed", 0)) for t in trials}
    todo = list(trials)
    try:
        interrupt.check()  # a stop held back during the claim ends these trials here
        point = [_suggest(cfg, t) for t in trials][0]
        for trial in trials:
            outcome = settle(cfg, store, trial_number=trial.number, point=point,
                             seed=seeds[trial.number], threads=threads)
            if outcome is not None:
                outcome = compress_outcome(cfg, store, outcome, threads=threads,
                                           keep=_byte_keeper(cfg, [trial]))
                _tell(study, storage, cfg, trial, outcome, progress, store)
                todo.remove(trial)
        if todo:
            outcomes = train_seeds(cfg, store, trial_numbers=[t.number for t in todo],
                                   point=point, seeds=[seeds[t.number] for t in todo],
                                   threads=threads, callbacks=_pruning(cfg, todo),
                                   keep=_keeper(cfg, todo))
            for trial, outcome in zip(list(todo), outcomes, strict=True):
                outcome = compress_outcome(cfg, store, outcome, threads=threads,
                                           keep=_byte_keeper(cfg, [trial]))
                _tell(study, storage, cfg, trial, outcome, progress, store)
                todo.remove(trial)
    except optuna.TrialPruned:  # one trial (pruning callbacks need one seed per pass)
        _finish(study, storage, todo[0], state=TrialState.PRUNED)
        progress.trial(store.results(cfg.study_name)[-1], None)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the items run again on the next start
        for trial in todo:
            _record_stop(cfg, store, trial, INTERRUPTED)
            _finish(study, storage, trial, state=TrialState.FAIL)
        raise
    except UpdateFinishedTrialError:  # failed by another worker before it began here
        log.warning("trial(s) %s were failed by another worker before they began here (their "
                    "heartbeat lapsed); the items run there", [t.number for t in todo])
        for trial in todo:
            _finish(study, storage, trial, state=TrialState.FAIL)
    except DataError as exc:  # bad data fail every trial alike: stop the run
        for trial in todo:
            _record_stop(cfg, store, trial, f"error: {exc}")
            _finish(study, storage, trial, state=TrialState.FAIL)
        raise
    except Exception as exc:  # recorded, and the items are retried up to study.max_retries
        reason = f"error: {type(exc).__name__}: {exc}"
        for trial in todo:
            record = record_failure(cfg, store, trial_number=trial.number,
                                    point=_known_point(trial) or {}, seed=seeds[trial.number],
                                    reason=reason)
            _finish(study, storage, trial, state=TrialState.FAIL)
            progress.trial(record, None)
        log.warning("trial(s) %s failed: %s", [t.number for t in todo], reason)


def _run_claim(cfg: RunConfig, store: Store, study: optuna.Study,
               storage: optuna.storages.RDBStorage, trials: list[optuna.Trial],
               progress: Progress, threads: int | None) -> None:
    """Run a claim's trials, one pass per point (a claim normally holds one point)."""
    groups: dict[str, list[optuna.Trial]] = {}
    for trial in trials:
        groups.setdefault(trial.user_attrs.get("point_key", str(trial.number)), []).append(trial)
    queue = list(groups.values())
    try:
        while queue:
            _run_group(cfg, store, study, storage, queue[0], progress, threads)
            queue.pop(0)
    except KeyboardInterrupt:
        for trial in (t for group in queue[1:] for t in group):
            _record_stop(cfg, store, trial, INTERRUPTED)
            _finish(study, storage, trial, state=TrialState.FAIL)
        raise


def run_worker(cfg: RunConfig, store: Store, study: optuna.Study,
               storage: optuna.storages.RDBStorage, progress: Progress, *,
               threads: int | None) -> int:
    """Run trials until the sweep is complete; return how many this worker ran.

    Ctrl-C and SIGTERM raise KeyboardInterrupt (interrupt.Terminated for SIGTERM) after the
    trial they hit is stored as failed with reason `interrupted` (it runs again next time).
    """
    with interrupt.guard():
        return _take_trials(cfg, store, study, storage, progress, threads=threads)


def _take_trials(cfg: RunConfig, store: Store, study: optuna.Study,
                 storage: optuna.storages.RDBStorage, progress: Progress, *,
                 threads: int | None) -> int:
    """The loop of run_worker: claim a trial, run it, until none is left."""
    ran = 0
    while True:
        interrupt.check()  # a stop swallowed during the last trial ends the loop here
        got = claim(cfg, store, study, storage)
        progress.done = got.done
        if not got.trials:
            interrupt.check()  # a stop held back during a claim that found nothing still counts
            if got.running == 0:
                return ran
            time.sleep(min(2.0, cfg.study.heartbeat_s))  # others are running: wait for them
            continue
        ids = [trial_id(storage, study, t) for t in got.trials]
        with Heartbeat(storage, ids, cfg.study.heartbeat_s):
            _run_claim(cfg, store, study, storage, got.trials, progress, threads)
        ran += len(got.trials)
