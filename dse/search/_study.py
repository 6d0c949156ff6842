"""Run a study: open (or resume) it, start the workers, print the summary."""

from __future__ import annotations

import logging
import multiprocessing
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from dse.complexity import MB
from dse.records import arch_record
from dse.search._context import RunConfig
from dse.search._objective import budget_violation
from dse.search._progress import Progress, summary_rows, summary_table
from dse.search._samplers import make_pruner, make_sampler
from dse.search._worker import done_count, run_worker, stale_trial_recorder
from dse.store import Store, driver_url, open_store, redact_url
from dse.sweep import stable_hash

__all__ = ["StudyReport", "open_study", "run_study"]

log = logging.getLogger(__name__)
optuna.logging.set_verbosity(optuna.logging.WARNING)
# Heartbeats are used with ask/tell on purpose (trials are claimed under the study lock).
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
SQLITE_TIMEOUT_S = 60


@dataclass(frozen=True)
class StudyReport:
    """What a run did and where its results are."""

    study: str
    storage: str  # the URL with its password hidden
    total: int  # grid items (point x seed) or search trials
    done_before: int
    ran: int  # trials run by this process and its workers
    rows: list[dict[str, Any]]
    output_dir: Path


def _optuna_storage(cfg: RunConfig, store: Store) -> optuna.storages.RDBStorage:
    """Optuna's storage on the same database, with heartbeats for crashed workers."""
    url = driver_url(cfg.storage_url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT_S}}
    # Optuna creates its tables on first use; workers starting together would race on
    # PostgreSQL (CREATE TYPE ... already exists), so one process at a time does it.
    with store.lock("optuna:schema"):
        return optuna.storages.RDBStorage(
            url, engine_kwargs=kwargs,
            heartbeat_interval=cfg.study.heartbeat_s, grace_period=3 * cfg.study.heartbeat_s,
            heartbeat_stale_trial_callback=stale_trial_recorder(cfg, store),
        )


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Top-level keys whose values differ between two definitions."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def open_study(cfg: RunConfig, store: Store, *, create: bool = True) -> optuna.Study | None:
    """Load the study, or create it; refuse a study of that name with another definition.

    With create=False, a missing study gives None (nothing is written).
    """
    storage = _optuna_storage(cfg, store)
    sampler = make_sampler(cfg.sampler) if cfg.sweep.kind == "search" else \
        optuna.samplers.RandomSampler(seed=0)  # grid trials are all queued: never sampled
    pruner = make_pruner(cfg.study.pruner)
    definition = cfg.definition()
    digest = stable_hash(definition)
    with store.lock(f"study:{cfg.study_name}"):
        try:
            study = optuna.load_study(study_name=cfg.study_name, storage=storage,
                                      sampler=sampler, pruner=pruner)
        except KeyError:
            if not create:
                return None
            study = optuna.create_study(study_name=cfg.study_name, storage=storage,
                                        sampler=sampler, pruner=pruner,
                                        directions=cfg.sweep.directions)
            objectives = cfg.sweep.objectives if cfg.sweep.kind == "search" else ("accuracy",)
            study.set_metric_names(["val_top1" if o == "accuracy" else o for o in objectives])
            study.set_user_attr("dse_definition_hash", digest)
            study.set_user_attr("dse_definition", definition)
            study.set_user_attr("sweep", cfg.sweep.name)
            study.set_user_attr("description", cfg.sweep.description)
            return study
    if study.user_attrs.get("dse_definition_hash") != digest:
        changed = _differences(study.user_attrs.get("dse_definition") or {}, definition)
        raise ValueError(
            f"study '{cfg.study_name}' already exists in {redact_url(cfg.storage_url)} with a "
            f"different definition (differs in: {', '.join(changed) or 'unknown'}); refusing to "
            f"mix results: pick a new name, e.g. study.name={cfg.study_name}-2"
        )
    return study


def check_budget(cfg: RunConfig) -> None:
    """Refuse, before any training, a grid in which no point meets the size or MAC budget."""
    if cfg.sweep.kind != "grid" or (cfg.study.max_size_mb is None and cfg.study.max_macs is None):
        return
    archs = [arch_record(spec) for _, spec in cfg.points_archs()]
    if all(budget_violation(cfg, a) for a in archs):
        smallest = min(archs, key=lambda a: a.size_bytes)
        raise ValueError(
            f"no grid point meets the budget (study.max_size_mb={cfg.study.max_size_mb}, "
            f"study.max_macs={cfg.study.max_macs}): the smallest network is "
            f"{smallest.size_bytes / MB:.3f} MB with {smallest.macs:,} MACs"
        )


def _total(cfg: RunConfig) -> int:
    """Number of items the sweep runs."""
    if cfg.sweep.kind == "grid":
        return len(cfg.sweep.points()) * cfg.study.seeds
    return cfg.sweep.n_trials


def prepare_data(cfg: RunConfig) -> None:
    """Read the data once for every input size the sweep uses (errors surface here)."""
    sizes = {spec.input_size for _, spec in cfg.points_archs()} if cfg.sweep.kind == "grid" \
        else {int(cfg.arch["input_size"])}
    for size in sorted(sizes):
        cfg.data_for(size).setup()


def threads_per_worker(cfg: RunConfig) -> int:
    """train.threads, or the cores split evenly between the workers."""
    return cfg.train.threads or max(1, (os.cpu_count() or 1) // cfg.study.workers)


def worker_process(cfg: RunConfig, threads: int) -> None:
    """Entry of an extra worker process: open the store and study, run trials."""
    logging.basicConfig(level=logging.WARNING)
    with open_store(cfg.storage_url) as store:
        study = open_study(cfg, store)
        progress = Progress(_total(cfg), done=done_count(cfg, store), workers=cfg.study.workers)
        try:
            run_worker(cfg, store, study, progress, threads=threads)
        except KeyboardInterrupt:
            pass


def run_study(cfg: RunConfig) -> StudyReport:
    """Run (or resume) the study of `cfg` to completion.

    Args:
        cfg: the typed run configuration.

    Returns:
        A StudyReport with the summary rows over seeds.

    Raises:
        ValueError: bad storage URL, a study of that name with another definition, or a
            budget no point meets; nothing is stored in these cases.
    """
    check_budget(cfg)
    with open_store(cfg.storage_url) as store:
        study = open_study(cfg, store, create=False)  # refuses a mismatched study first
        total, done = _total(cfg), done_count(cfg, store)
        shown = redact_url(cfg.storage_url)
        if done >= total:
            print(f"nothing left to do: study '{cfg.study_name}' has all {total} results "
                  f"in {shown}", flush=True)
            ran = 0
        else:
            prepare_data(cfg)  # unreadable or missing data fail here, before any trial
            study = study or open_study(cfg, store)
            assert study is not None
            threads = threads_per_worker(cfg)
            print(f"study '{cfg.study_name}' ({cfg.sweep.description or cfg.sweep.name}): "
                  f"{total - done} of {total} to run, {cfg.study.workers} worker(s) x "
                  f"{threads} thread(s), results in {shown}", flush=True)
            progress = Progress(total, done=done, workers=cfg.study.workers)
            ctx = multiprocessing.get_context("spawn")
            extra = [ctx.Process(target=worker_process, args=(cfg, threads), daemon=False)
                     for _ in range(cfg.study.workers - 1)]
            for proc in extra:
                proc.start()
            try:
                ran = run_worker(cfg, store, study, progress, threads=threads)
            finally:
                for proc in extra:
                    proc.join()
        results = store.results(cfg.study_name)
        archs = store.archs({r.fingerprint for r in results})
        rows = summary_rows(results, archs)
    return StudyReport(cfg.study_name, shown, total, done, ran, rows, cfg.output_dir())


def print_summary(report: StudyReport, cfg: RunConfig) -> None:
    """Print the summary table and where the results are."""
    title = "Table 3 (bypass)" if cfg.sweep.name == "bypass" else \
        f"Summary of '{report.study}' (mean ± sd over seeds)"
    print(summary_table(report.rows, title=title), flush=True)
    print(f"results: study '{report.study}' in {report.storage}", flush=True)
