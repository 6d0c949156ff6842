"""One worker process of a study: take the next trial under the study lock, run it, repeat.

Grid sweeps: under the lock, a worker fails trials whose worker stopped sending heartbeats,
enqueues every (point, seed) that is neither finished nor queued nor running, and pops one
queued trial. Every enqueue and pop happens under the lock, so no (point, seed) is queued or
run twice, whatever the number of workers. Search sweeps ask the sampler for a new trial under
the lock until the study holds n_trials.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from dse import interrupt
from dse.data import DataError
from dse.records import ResultRecord
from dse.search._context import RunConfig
from dse.search._objective import FINAL_STATUSES, PruningCallback, evaluate, record_failure
from dse.search._progress import Progress
from dse.store import Store
from dse.sweep import point_key

__all__ = ["Heartbeat", "run_worker"]

log = logging.getLogger(__name__)
PENDING = (TrialState.WAITING, TrialState.RUNNING)
INTERRUPTED = "interrupted"
NO_HEARTBEAT = "worker stopped (no heartbeat)"
WORKER = f"{socket.gethostname()}:{os.getpid()}"  # who runs a trial, as a trial user attr


class Heartbeat:
    """A thread that records the trial's heartbeat every `interval` seconds while it runs."""

    def __init__(self, study: optuna.Study, trial_id: int, interval: float) -> None:
        """Prepare the thread."""
        self.storage, self.trial_id, self.interval = study._storage, trial_id, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        """Record heartbeats until stopped."""
        while not self.stop.wait(self.interval):
            try:
                self.storage.record_heartbeat(self.trial_id)  # type: ignore[attr-defined]
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


def _item(trial: FrozenTrial) -> tuple[str, int] | None:
    """The (point key, seed) a grid trial was queued for."""
    attrs = trial.user_attrs
    if "point_key" not in attrs:
        return None
    return attrs["point_key"], int(attrs["seed"])


def _grid_items(cfg: RunConfig) -> list[tuple[dict[str, Any], int]]:
    """Every (point, seed) of a grid sweep, in order."""
    return [(p, s) for p in cfg.sweep.points() for s in range(cfg.study.seeds)]


def finished_items(cfg: RunConfig, results: list[ResultRecord]) -> set[tuple[str, int]]:
    """Items with a final result, or whose retries are used up."""
    done = {(point_key(r.point), r.seed) for r in results if r.status in FINAL_STATUSES}
    failures = Counter((point_key(r.point), r.seed) for r in results
                       if r.status == "failed" and r.reason != INTERRUPTED)
    done |= {item for item, n in failures.items() if n > cfg.study.max_retries}
    return done


def done_count(cfg: RunConfig, store: Store) -> int:
    """Items of the sweep already finished (by any worker)."""
    results = store.results(cfg.study_name)
    if cfg.sweep.kind == "grid":
        return len(finished_items(cfg, results))
    return sum(r.status != "failed" for r in results)


def _claim_grid_trial(cfg: RunConfig, store: Store, study: optuna.Study
                      ) -> tuple[optuna.Trial | None, int]:
    """Under the lock: enqueue missing items, pop one; return (trial or None, running count)."""
    done = finished_items(cfg, store.results(cfg.study_name))
    pending = study.get_trials(deepcopy=False, states=PENDING)
    queued = {_item(t) for t in pending}
    for point, seed in _grid_items(cfg):
        key = point_key(point)
        if (key, seed) not in done and (key, seed) not in queued:
            study.enqueue_trial(point, user_attrs={"point_key": key, "seed": seed})
            queued.add((key, seed))
    waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    running = len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
    return (study.ask() if waiting else None), running


def _claim_search_trial(cfg: RunConfig, study: optuna.Study) -> tuple[optuna.Trial | None, int]:
    """Under the lock: a new sampled trial while the study holds fewer than n_trials."""
    trials = study.get_trials(deepcopy=False)
    counted = [t for t in trials if t.state != TrialState.FAIL]
    running = sum(t.state == TrialState.RUNNING for t in trials)
    failed = len(trials) - len(counted)
    if failed > cfg.sweep.n_trials * (cfg.study.max_retries + 1):
        log.warning("stopping: %d trials failed (see the failed results for why)", failed)
        return None, 0
    if len(counted) >= cfg.sweep.n_trials:
        return None, running
    return study.ask(), running


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


def stale_trial_recorder(cfg: RunConfig, store: Store) -> Any:
    """Optuna callback run once per trial failed for missing heartbeats: record the failure."""
    def record(study: optuna.Study, trial: FrozenTrial) -> None:
        item = _item(trial)
        seed = item[1] if item else 0
        record_failure(cfg, store, trial_number=trial.number, point=dict(trial.params),
                       seed=seed, reason=NO_HEARTBEAT)
        log.warning("trial %d lost its worker (no heartbeat); it will run again", trial.number)
    return record


def _run_trial(cfg: RunConfig, store: Store, study: optuna.Study, trial: optuna.Trial,
               progress: Progress, threads: int | None) -> None:
    """Run one claimed trial and tell Optuna how it ended."""
    point = _suggest(cfg, trial)
    seed = int(trial.user_attrs.get("seed", 0))
    callbacks = [PruningCallback(trial)] if cfg.study.pruner != "none" and \
        len(cfg.sweep.directions) == 1 else []
    with Heartbeat(study, trial._trial_id, cfg.study.heartbeat_s):
        try:
            outcome = evaluate(cfg, store, trial_number=trial.number, point=point, seed=seed,
                               threads=threads, callbacks=callbacks)
        except optuna.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
            progress.trial(store.results(cfg.study_name)[-1], None, done=done_count(cfg, store))
            return
        except (KeyboardInterrupt, SystemExit):
            record_failure(cfg, store, trial_number=trial.number, point=point, seed=seed,
                           reason=INTERRUPTED)
            study.tell(trial, state=TrialState.FAIL)
            raise
        except DataError as exc:  # bad data fail every trial alike: stop the run
            record_failure(cfg, store, trial_number=trial.number, point=point, seed=seed,
                           reason=f"error: {exc}")
            study.tell(trial, state=TrialState.FAIL)
            raise
        except Exception as exc:  # recorded, and the item is retried up to study.max_retries
            reason = f"error: {type(exc).__name__}: {exc}"
            record = record_failure(cfg, store, trial_number=trial.number, point=point,
                                    seed=seed, reason=reason)
            study.tell(trial, state=TrialState.FAIL)
            progress.trial(record, None, done=done_count(cfg, store))
            log.warning("trial %d failed: %s", trial.number, reason)
            return
    rec, arch = outcome.record, outcome.arch
    attrs = {"status": rec.status, "seed": seed, "size_mb": outcome.size_mb,
             "params": arch.params, "macs": arch.macs, "fingerprint": arch.fingerprint,
             "val_top1": rec.val_top1, "test_top1": rec.test_top1, "test_top5": rec.test_top5,
             "wall_time_s": rec.wall_time_s, **{f"arch_{k}": v for k, v in arch.arch.items()
                                                 if k in ("base_e", "incr_e", "freq", "sr",
                                                          "pct3x3", "bypass")}}
    for key, value in attrs.items():
        trial.set_user_attr(key, value)
    values = outcome.objective_values(cfg.sweep.objectives if cfg.sweep.kind == "search"
                                      else ("accuracy",))
    if values is None:
        study.tell(trial, state=TrialState.PRUNED)
    else:
        study.tell(trial, values if len(values) > 1 else values[0])
    progress.trial(rec, arch, done=done_count(cfg, store))


def run_worker(cfg: RunConfig, store: Store, study: optuna.Study, progress: Progress, *,
               threads: int | None) -> int:
    """Run trials until the sweep is complete; return how many this worker ran."""
    with interrupt.guard():
        return _take_trials(cfg, store, study, progress, threads=threads)


def _take_trials(cfg: RunConfig, store: Store, study: optuna.Study, progress: Progress, *,
                 threads: int | None) -> int:
    """The loop of run_worker: take a trial under the lock, run it, until none is left."""
    ran = 0
    lock_name = f"study:{cfg.study_name}"
    while True:
        trial = None
        try:
            interrupt.check()  # a Ctrl-C swallowed during the last trial stops here
            with store.lock(lock_name):
                optuna.storages.fail_stale_trials(study)
                if cfg.sweep.kind == "grid":
                    trial, running = _claim_grid_trial(cfg, store, study)
                else:
                    trial, running = _claim_search_trial(cfg, study)
                if trial is not None:
                    study._storage.record_heartbeat(trial._trial_id)  # type: ignore[attr-defined]
                    trial.set_user_attr("worker", WORKER)
            if trial is None:
                if running == 0:
                    return ran
                time.sleep(min(2.0, cfg.study.heartbeat_s))  # others are running: wait for them
                continue
            _run_trial(cfg, store, study, trial, progress, threads)
        except (KeyboardInterrupt, SystemExit):
            if trial is not None:
                _fail_if_running(study, trial)
            raise
        ran += 1


def _fail_if_running(study: optuna.Study, trial: optuna.Trial) -> None:
    """Fail a trial that a stop (Ctrl-C) hit after it was taken but before its run began.

    A stop inside the run is recorded there (reason `interrupted`); this covers the moments
    around it, such as a sampler choosing the point, so no trial is left RUNNING.
    """
    frozen = study._storage.get_trial(trial._trial_id)  # type: ignore[attr-defined]
    if frozen.state == TrialState.RUNNING:
        study.tell(trial, state=TrialState.FAIL)
