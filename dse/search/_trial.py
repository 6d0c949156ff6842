"""Trial execution: run the trials of a claim, a point's seeds together, and tell Optuna how
each ended (attrs, objective values, constraints), with their artifacts uploaded.

A claim's point is resolved once into a Candidate (dse.core.candidate) when its pass starts;
the budget check, training, pruning, latency and compression all take that Candidate.
Whatever stops a pass ends every trial it leaves unfinished through `end_unfinished`.
"""

from __future__ import annotations

import logging
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState

from dse.core import interrupt
from dse.core.candidate import Candidate
from dse.core.config import RunConfig, Status
from dse.core.metaparams import NAMES as METAPARAMETER_NAMES
from dse.core.records import ArchRecord
from dse.core.status import StopReason
from dse.search._artifacts import open_artifact_store, upload_bytes, upload_weights
from dse.search._claim import trial_id
from dse.search._compression import KeepBytes, compress_outcome
from dse.search._hypervolume import record_hypervolume
from dse.search._items import known_point, record_stop, trial_budget
from dse.search._objective import (
    KeepWeights,
    PruningCallback,
    TrialOutcome,
    reject_or_reuse,
    train_seeds,
)
from dse.search._progress import Progress
from dse.search._pruning import SizeAwarePruning
from dse.search._results import record_failure
from dse.store import Store
from dse.training.data import DataError

__all__ = ["end_unfinished", "run_claim"]

log = logging.getLogger(__name__)

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


def _constraints(cfg: RunConfig, arch: ArchRecord) -> dict[str, float]:
    """A search's budgets as Optuna constraints (feasible when <= 0), so that constraint-aware
    samplers (tpe, gp, nsga2) learn where the infeasible region is; none for grids."""
    if cfg.sweep.kind != "search":
        return {}
    study = cfg.study
    return {**({"size_mb": arch.size_mb - study.max_size_mb} if study.max_size_mb else {}),
            **({"macs": float(arch.macs - study.max_macs)} if study.max_macs else {})}


def _tell(study: optuna.Study, storage: optuna.storages.RDBStorage, cfg: RunConfig,
          trial: optuna.Trial, outcome: TrialOutcome, progress: Progress, store: Store) -> None:
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


def _pruning(cfg: RunConfig, trials: list[optuna.Trial], candidate: Candidate) -> list[Any]:
    """The pruning callback of a pass (a pruner judges one trial's curve, so one seed)."""
    if cfg.study.pruner == "none" or len(trials) != 1:
        return []
    if cfg.study.pruner == "size_aware":
        return [SizeAwarePruning(trials[0], size_mb=candidate.arch.size_mb,
                                 margin=cfg.study.prune_margin,
                                 min_epochs=cfg.study.prune_min_epochs)]
    return [PruningCallback(trials[0])]


def end_unfinished(cfg: RunConfig, store: Store, study: optuna.Study,
                   storage: optuna.storages.RDBStorage, trials: list[optuna.Trial],
                   reason: StopReason | None, *, detail: str = "",
                   candidate: Candidate | None = None, progress: Progress | None = None) -> None:
    """End trials that a stop leaves unfinished: store each one's failure with `reason` and tell
    Optuna FAIL (every stop of a pass comes here).

    A stop (INTERRUPTED, NO_HEARTBEAT) is stored only for a trial with a point (a search trial
    stopped before sampling has none); an ERROR always is, with the default point then, and
    gets a progress line when `progress` is given. `reason` None stores nothing: the trials
    were failed by another worker, which runs their items.
    """
    for trial in trials:
        record = None
        if reason is StopReason.ERROR:
            record = record_failure(cfg.at_budget(trial_budget(trial)), store, trial_number=trial.number,
                                    point=known_point(trial) or {},
                                    seed=int(trial.user_attrs.get("seed", 0)),
                                    reason=reason.stored(detail), candidate=candidate)
        elif reason is not None:
            record_stop(cfg, store, trial, reason.stored(detail), candidate=candidate)
        _finish(study, storage, trial, state=TrialState.FAIL)
        if progress is not None and record is not None:
            progress.trial(record, None)


def _run_group(cfg: RunConfig, store: Store, study: optuna.Study,
               storage: optuna.storages.RDBStorage, trials: list[optuna.Trial],
               progress: Progress, threads: int | None) -> None:
    """Run claimed trials of one point (their heartbeats already beating), seeds together.

    Seeds that need no training (over budget, or reusable) end first; the rest train in one
    pass. Whatever stops the pass ends every trial it leaves unfinished: stored as failed
    (retried later, or interrupted) and told FAIL.
    """
    cfg = cfg.at_budget(trial_budget(trials[0]))  # a grid item's training budget
    seeds = {t.number: int(t.user_attrs.get("seed", 0)) for t in trials}
    todo = list(trials)
    candidate: Candidate | None = None
    try:
        interrupt.check()  # a stop held back during the claim ends these trials here
        point = [_suggest(cfg, t) for t in trials][0]
        candidate = Candidate.of(cfg.arch_for(point), point)  # the only expansion of the pass
        for trial in trials:
            outcome = reject_or_reuse(cfg, store, candidate, trial_number=trial.number,
                                      seed=seeds[trial.number], threads=threads)
            if outcome is not None:
                outcome = compress_outcome(cfg, store, outcome, candidate, threads=threads,
                                           keep=_byte_keeper(cfg, [trial]))
                _tell(study, storage, cfg, trial, outcome, progress, store)
                todo.remove(trial)
        if todo:
            outcomes = train_seeds(cfg, store, candidate, trial_numbers=[t.number for t in todo],
                                   seeds=[seeds[t.number] for t in todo], threads=threads,
                                   callbacks=_pruning(cfg, todo, candidate),
                                   keep=_keeper(cfg, todo))
            for trial, outcome in zip(list(todo), outcomes, strict=True):
                outcome = compress_outcome(cfg, store, outcome, candidate, threads=threads,
                                           keep=_byte_keeper(cfg, [trial]))
                _tell(study, storage, cfg, trial, outcome, progress, store)
                todo.remove(trial)
    except optuna.TrialPruned:  # one trial (pruning callbacks need one seed per pass)
        _finish(study, storage, todo[0], state=TrialState.PRUNED)
        progress.trial(store.results(cfg.study_name)[-1], None)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the items run again on the next start
        end_unfinished(cfg, store, study, storage, todo, StopReason.INTERRUPTED,
                       candidate=candidate)
        raise
    except UpdateFinishedTrialError:  # failed by another worker before it began here
        log.warning("trial(s) %s were failed by another worker before they began here (their "
                    "heartbeat lapsed); the items run there", [t.number for t in todo])
        end_unfinished(cfg, store, study, storage, todo, None)
    except DataError as exc:  # bad data fail every trial alike: stop the run
        end_unfinished(cfg, store, study, storage, todo, StopReason.ERROR, detail=str(exc),
                       candidate=candidate)
        raise
    except Exception as exc:  # recorded, and the items are retried up to study.max_retries
        detail = f"{type(exc).__name__}: {exc}"
        end_unfinished(cfg, store, study, storage, todo, StopReason.ERROR, detail=detail,
                       candidate=candidate, progress=progress)
        log.warning("trial(s) %s failed: %s", [t.number for t in todo],
                    StopReason.ERROR.stored(detail))


def run_claim(cfg: RunConfig, store: Store, study: optuna.Study,
              storage: optuna.storages.RDBStorage, trials: list[optuna.Trial],
              progress: Progress, threads: int | None) -> None:
    """Run a claim's trials, one pass per point and budget (a claim normally holds one)."""
    groups: dict[tuple[str, int | None], list[optuna.Trial]] = {}
    for trial in trials:
        key = trial.user_attrs.get("point_key", str(trial.number)), trial_budget(trial)
        groups.setdefault(key, []).append(trial)
    queue = list(groups.values())
    try:
        while queue:
            _run_group(cfg, store, study, storage, queue[0], progress, threads)
            queue.pop(0)
    except KeyboardInterrupt:
        end_unfinished(cfg, store, study, storage, [t for group in queue[1:] for t in group],
                       StopReason.INTERRUPTED)
        raise
