"""Run a study: open (or resume) it, start the workers, say how it ended.

Owns the Optuna study and storage of a run and the worker processes; never prints figures
(the entry point draws the summary from the store) and never changes logging globally.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import optuna
from optuna.trial import TrialState

from dse.core import interrupt
from dse.core.config import RunConfig
from dse.core.layout import BATCHING_GAIN, Layout, batching_pays, choose_layout, training_bytes
from dse.core.machine import free_cores, memory_bytes
from dse.core.records import arch_record
from dse.core.status import StopReason
from dse.core.sweep import stable_hash
from dse.search._artifacts import open_artifact_store
from dse.search._claim import stale_trial_recorder
from dse.search._grid_claim import fill_queue
from dse.search._hypervolume import REFERENCE_ATTR, reference_point, study_hypervolume
from dse.search._objective import data_for
from dse.search._progress import Progress, study_counter
from dse.search._samplers import make_pruner, make_sampler
from dse.search._storage import optuna_storage
from dse.search._worker import run_worker
from dse.store import Store, database_failure, open_store, redact_url
from dse.training.train import resolve_device, step_seconds

__all__ = ["StudyReport", "open_study", "run_study"]

log = logging.getLogger(__name__)
JOIN_TIMEOUT_S = 120  # how long a stopped run waits for its worker processes
OPTUNA_TABLES = ("studies", "trials", "alembic_version")  # Optuna's schema is there


@dataclass(frozen=True)
class StudyReport:
    """What a run did, where its results are, and what failed for good."""

    study: str
    storage: str  # the URL with its password hidden
    total: int  # grid items (point x seed) or search trials
    done_before: int
    ran: int  # trials run by this process and its workers
    output_dir: Path
    failed: list[str] = field(default_factory=list)  # items without a counted result, and why

    @property
    def complete(self) -> bool:
        """Whether every item has a counted result."""
        return not self.failed


def _differences(old: dict[str, object], new: dict[str, object]) -> list[str]:
    """Top-level keys whose values differ between two definitions."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def study_storage(cfg: RunConfig, store: Store) -> optuna.storages.RDBStorage:
    """Optuna's storage with heartbeats; its tables are created by one process at a time."""
    def storage() -> optuna.storages.RDBStorage:
        return optuna_storage(cfg.storage_url, heartbeat_s=cfg.study.heartbeat_s,
                              on_stale=stale_trial_recorder(cfg, store))
    if store.has_tables(*OPTUNA_TABLES):  # made already: a fleet starting opens it side by side
        return storage()
    # Workers starting together would race on PostgreSQL (CREATE TYPE ... already exists).
    with store.lock("optuna:schema"):
        return storage()


def _define(cfg: RunConfig, study: optuna.Study, definition: dict[str, object], digest: str
            ) -> None:
    """Write what makes the study this study (the definition hash last: it marks it done)."""
    objectives = cfg.sweep.objectives if cfg.sweep.kind == "search" else ("accuracy",)
    study.set_metric_names(["val_top1" if o == "accuracy" else o for o in objectives])
    study.set_user_attr("dse_definition", definition)
    study.set_user_attr("sweep", cfg.sweep.name)
    study.set_user_attr("description", cfg.sweep.description)
    reference = reference_point(cfg)
    if reference is not None:  # fixed before the first trial: hypervolumes compare across runs
        study.set_user_attr(REFERENCE_ATTR, reference)
    study.set_user_attr("dse_definition_hash", digest)


def open_study(cfg: RunConfig, storage: optuna.storages.RDBStorage, store: Store, *,
               create: bool = True) -> optuna.Study | None:
    """Load the study, or create it; refuse a study of that name with another definition.

    With create=False, a missing study gives None (nothing is written). A study whose creator
    was stopped before it wrote the definition is finished here (creation is under the lock).
    A grid's items are queued here (dse.search._grid_claim.fill_queue).
    """
    sampler = make_sampler(cfg.sampler) if cfg.sweep.kind == "search" else \
        optuna.samplers.RandomSampler(seed=0)  # grid trials are all queued: never sampled
    pruner = make_pruner(cfg.study.pruner)
    definition = cfg.definition()
    digest = stable_hash(definition)
    try:  # a defined study opens without the lock, so that a fleet starts side by side
        study = optuna.load_study(study_name=cfg.study_name, storage=storage, sampler=sampler,
                                  pruner=pruner)
        if "dse_definition_hash" in study.user_attrs:
            return _checked(cfg, store, study, definition, digest)
    except KeyError:
        pass
    with interrupt.deferred(), store.lock(f"study:{cfg.study_name}"):
        try:
            study = optuna.load_study(study_name=cfg.study_name, storage=storage,
                                      sampler=sampler, pruner=pruner)
        except KeyError:
            if not create:
                return None
            study = optuna.create_study(study_name=cfg.study_name, storage=storage,
                                        sampler=sampler, pruner=pruner,
                                        directions=cfg.sweep.directions)
        if "dse_definition_hash" not in study.user_attrs:  # new, or its creator was killed
            _define(cfg, study, definition, digest)
            if cfg.sweep.kind == "grid":
                fill_queue(cfg, store)
            return study
    return _checked(cfg, store, study, definition, digest)


def _checked(cfg: RunConfig, store: Store, study: optuna.Study, definition: dict[str, object],
             digest: str) -> optuna.Study:
    """The study, once its stored definition is this run's (a grid's items queued)."""
    if study.user_attrs.get("dse_definition_hash") != digest:
        changed = _differences(study.user_attrs.get("dse_definition") or {}, definition)
        raise ValueError(
            f"study '{cfg.study_name}' already exists in {redact_url(cfg.storage_url)} with a "
            f"different definition (differs in: {', '.join(changed) or 'unknown'}); refusing to "
            f"mix results: pick a new name, e.g. study.name={cfg.study_name}-2"
        )
    if cfg.sweep.kind == "grid":
        fill_queue(cfg, store, study)  # an indexed count once it is queued
    return study


def _status(cfg: RunConfig, store: Store) -> tuple[int, list[str]]:
    """Items finished (counted or given up), and a line for each item given up.

    A grid reads its work queue (queued here on the first run); a search counts trials, and
    falls short only when it stopped because too many failed.
    """
    if cfg.sweep.kind == "grid":
        queue = fill_queue(cfg, store)
        given_up = queue.exhausted()
        reasons = store.trial_statuses(cfg.study_name, [n for _, _, n in given_up if n is not None])
        failed = [f"{key} seed {seed}: "
                  f"{reasons.get(number, (None, ''))[1] or StopReason.NO_HEARTBEAT.value}"
                  for key, seed, number in given_up]
        return queue.counts().finished, failed
    results = store.results(cfg.study_name)
    # by trial: a sampler may propose the same point twice (nsga2 does), and each is a
    # trial of its own; a late duplicate of one trial still counts once
    counted = len({r.trial_number for r in results if r.status.final})
    short = counted < cfg.sweep.n_trials
    return counted, [f"only {counted} of {cfg.sweep.n_trials} trials have a result "
                     "(too many failed)"] if short else []


def _settle(cfg: RunConfig, store: Store, storage: optuna.storages.RDBStorage) -> None:
    """On a finished study, wait for trials still RUNNING to end (or fail them once stale).

    A worker killed after saving its result but before telling Optuna leaves its trial
    RUNNING; the claim loop fails it after the heartbeat grace, so every run leaves none.
    """
    if cfg.sweep.kind == "grid":  # every item is done or exhausted: no lease is left
        return
    study = open_study(cfg, storage, store, create=False)
    if study is None or not study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        return
    print(f"waiting for the running trials of study '{cfg.study_name}' to end (a stopped "
          f"worker's after {3 * cfg.study.heartbeat_s} s without heartbeat)", flush=True)
    run_worker(cfg, store, study, storage, Progress(cfg.total(), done=cfg.total()), threads=1)


def run_layout(cfg: RunConfig, items_left: int) -> Layout:
    """Workers and threads for the items left, by dse.core.layout's rule (or as configured)."""
    group = cfg.seed_group()
    units = -(-items_left // group)
    widest = max((arch_record(cfg.arch_for(p)) for p in cfg.sweep.points()),
                 key=lambda a: a.activations) if cfg.sweep.kind == "grid" else \
        arch_record(cfg.arch_for({}))
    need = training_bytes(activations=widest.activations, params=widest.params,
                          batch_size=cfg.train.batch_size, copies=group)
    configured = cfg.study.workers is not None and cfg.train.threads is not None
    cores = os.cpu_count() or 1
    free = cores if configured else free_cores()
    layout = choose_layout(cores=free, units=units,
                           gpu=resolve_device(cfg.train.accelerator) == "gpu",
                           workers=cfg.study.workers, threads=cfg.train.threads,
                           worker_bytes=need, memory_bytes=memory_bytes())
    if free < cores:
        layout = replace(layout, reason=f"{layout.reason}; {free} of {cores} cores idle")
    return layout


def decide_batching(cfg: RunConfig, items_left: int) -> tuple[RunConfig, str]:
    """Settle study.seed_batching=auto by timing training steps of the first point, a pass of
    its seeds against one seed, on the threads the workers will have; return the config with
    true or false, and what the run line says of it. A GPU batches without measuring."""
    group = cfg.seed_group()
    if cfg.study.seed_batching != "auto" or group == 1:
        return cfg, f", {group} seeds per pass" if group > 1 else ""
    if resolve_device(cfg.train.accelerator) == "gpu":
        pays, how = True, "on a GPU"
    else:
        arch = cfg.arch_for(cfg.sweep.points()[0])
        threads = run_layout(cfg, items_left).threads
        took = step_seconds(arch, cfg.train, copies=(1, group), threads=threads)
        pays = batching_pays(took[1], took[group], group)
        how = (f"a step of {group} seeds measured {took[group] / (group * took[1]):.3f}x the "
               f"time per seed of one alone; batching pays under {BATCHING_GAIN}x")
    batching = replace(cfg, study=replace(cfg.study, seed_batching=pays))
    return batching, f", {group} seeds per pass ({how})" if pays else f", seeds one by one ({how})"


def _work(cfg: RunConfig, store: Store, storage: optuna.storages.RDBStorage, threads: int,
          progress: Progress) -> int:
    """Open (or create) the study and run one worker in this process."""
    study = open_study(cfg, storage, store)
    assert study is not None
    return run_worker(cfg, store, study, storage, progress, threads=threads)


def _label(layout: Layout, number: int) -> str:
    """Progress lines of one of several workers say which (the count is the study's)."""
    return f"w{number} " if layout.workers > 1 else ""


def worker_process(cfg: RunConfig, layout: Layout, setup: Callable[[], None] | None,
                   number: int = 2) -> None:
    """Entry of an extra worker process: open the store and study, run trials."""
    if setup is not None:
        setup()
    threads = layout.threads
    with open_store(cfg.storage_url) as store:
        progress = Progress(cfg.total(), workers=layout.workers, label=_label(layout, number),
                            counter=study_counter(cfg, store), budgets=len(cfg.budgets) > 1)
        try:
            _work(cfg, store, study_storage(cfg, store), threads, progress)
        except KeyboardInterrupt as exc:
            raise SystemExit(interrupt.exit_code(exc)) from None
        except Exception as exc:  # the database failed: one line, as dse.run says it
            failure = database_failure(exc)
            if failure is None:
                raise
            print(f"error: worker {number}: {failure}", file=sys.stderr, flush=True)
            raise SystemExit(1) from None


def _stop_workers(procs: list[multiprocessing.process.BaseProcess], exc: BaseException) -> None:
    """Pass a stop on to the extra workers (SIGTERM or SIGINT) and wait for them."""
    signum = signal.SIGTERM if isinstance(exc, interrupt.Terminated) else signal.SIGINT
    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            os.kill(proc.pid, signum)
    for proc in procs:
        proc.join(JOIN_TIMEOUT_S)


def run_study(cfg: RunConfig, *, worker_setup: Callable[[], None] | None = None) -> StudyReport:
    """Run (or resume) the study of `cfg` until every item is finished.

    Args:
        cfg: the typed run configuration.
        worker_setup: called first in each extra worker process (an entry point's logging).

    Returns:
        A StudyReport; its `failed` lists the items given up after study.max_retries.

    Raises:
        ValueError: bad storage URL, or a study of that name with another definition;
            nothing is stored in these cases.
        KeyboardInterrupt: Ctrl-C, or interrupt.Terminated for SIGTERM, after the trials
            they hit are stored as interrupted.
    """
    resolve_device(cfg.train.accelerator)  # a missing GPU fails here, before the store is opened
    if cfg.artifact_location is not None:  # so does an artifact folder that cannot be written
        open_artifact_store(cfg.artifact_location, create=True)
    if cfg.measures_latency and "onnxruntime" in cfg.latency.runtimes:
        from dse.training.deploy import require_export

        require_export()  # and onnxruntime latency without the export extra
    with open_store(cfg.storage_url) as store:
        storage = study_storage(cfg, store)
        open_study(cfg, storage, store, create=False)  # refuses a mismatched study first
        interrupt.check()  # a stop held back while the study was opened
        total = cfg.total()
        done, failed = _status(cfg, store)
        shown = redact_url(cfg.storage_url)
        ran = 0
        if done >= total:
            _settle(cfg, store, storage)
            interrupt.check()  # a stop held back while _settle opened the study
            print(f"nothing left to do: study '{cfg.study_name}' has all {total} results "
                  f"in {shown}", flush=True)
        else:
            for size in cfg.input_sizes():  # unreadable or missing data fail here, before any trial
                data_for(cfg.dataset, size).setup()
            cfg, batching = decide_batching(cfg, total - done)
            layout = run_layout(cfg, total - done)
            print(f"study '{cfg.study_name}' ({cfg.sweep.description or cfg.sweep.name}): "
                  f"{total - done} of {total} to run, {layout.describe()}{batching}, results "
                  f"in {shown}", flush=True)
            threads = layout.threads
            progress = Progress(total, done=done, workers=layout.workers,
                                label=_label(layout, 1), counter=study_counter(cfg, store),
                                budgets=len(cfg.budgets) > 1)
            ctx = multiprocessing.get_context("spawn")
            extra = [ctx.Process(target=worker_process, args=(cfg, layout, worker_setup, n))
                     for n in range(2, layout.workers + 1)]
            for proc in extra:
                proc.start()
            try:
                ran = _work(cfg, store, storage, threads, progress)
            except KeyboardInterrupt as exc:
                _stop_workers(extra, exc)
                raise
            for proc in extra:
                proc.join()
            done, failed = _status(cfg, store)
        study_hypervolume(store, storage, cfg.study_name)  # whole: also fills in an older store's
    return StudyReport(cfg.study_name, shown, total, done, ran, cfg.output_dir(), failed)

