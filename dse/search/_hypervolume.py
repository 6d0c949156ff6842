"""Hypervolume of a multi-objective study, against a fixed reference point stored with it.

The reference point is fixed before the first trial, from the search space alone, so that
hypervolumes of studies (and samplers) over the same space compare: accuracy at chance
(1 / classes), size and MACs of the largest network of the space (its corners), and for the
compressed size the largest network's 32-bit size (compression never makes one larger).
Measured latency has no such bound: a study with a latency objective has no hypervolume.
Computed with Optuna's own hypervolume (through dse.search._optuna_hv), over the complete,
feasible trials, and stored (dse_hypervolume) as each trial ends: reports read it from the store.
"""

from __future__ import annotations

import itertools
import logging
import math
from typing import Any

import numpy as np
import optuna
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from dse.core import interrupt
from dse.core.config import RunConfig
from dse.core.records import ArchRecord, HypervolumeRecord, arch_record
from dse.core.sweep import Param
from dse.search._optuna_hv import hypervolume
from dse.store import Store

__all__ = ["REFERENCE_ATTR", "hypervolume_history", "record_hypervolume", "reference_point",
           "store_hypervolume", "stored_reference", "study_hypervolume"]

log = logging.getLogger(__name__)

REFERENCE_ATTR = "hv_reference"  # study user attr: {"objectives": [...], "point": [...]}
MAX_CORNERS = 4096  # corners of the space evaluated to find its largest network


def _ends(param: Param) -> list[Any]:
    """The values of one dimension that can make a network largest: its ends, or its choices."""
    if param.choices is not None:
        return list(param.choices)
    low, high = float(param.low or 0), float(param.high or 0)
    if param.step:  # the largest value on the step grid
        high = low + math.floor((high - low) / param.step + 1e-9) * param.step
    if param.integer:
        return [int(low), int(high)]
    return [low, high]


def _largest(cfg: RunConfig) -> tuple[ArchRecord, ArchRecord]:
    """The largest network of the search space by size, and by MACs (over its corners)."""
    names = list(cfg.sweep.space)
    corners = list(itertools.islice(itertools.product(*(_ends(cfg.sweep.space[n]) for n in names)),
                                    MAX_CORNERS))
    archs = [arch_record(cfg.arch_for(dict(zip(names, values, strict=True))))
             for values in corners]
    return max(archs, key=lambda a: a.size_bytes), max(archs, key=lambda a: a.macs)


def reference_point(cfg: RunConfig) -> dict[str, Any] | None:
    """The fixed reference point of a multi-objective search, in the objectives' own units
    and directions; None for a grid, one objective, or an objective without a bound."""
    objectives = list(cfg.sweep.objectives)
    if cfg.sweep.kind != "search" or len(objectives) < 2 or "latency_ms" in objectives:
        return None
    by_size, by_macs = _largest(cfg)
    bound = {"accuracy": 1.0 / cfg.arch.num_classes, "size_mb": by_size.size_mb,
             "macs": float(by_macs.macs), "compressed_mb": by_size.size_mb}
    return {"objectives": objectives, "point": [bound[o] for o in objectives],
            "why": "accuracy at chance; size and MACs of the largest network of the space"}


def stored_reference(study: optuna.Study) -> list[float] | None:
    """The reference point stored with a study, or None."""
    stored = study.user_attrs.get(REFERENCE_ATTR)
    return [float(v) for v in stored["point"]] if stored else None


def _feasible(trial: FrozenTrial) -> bool:
    """Whether every constraint of the trial is met (a trial without any is)."""
    return all(v <= 0 for v in trial.constraints.values())


def hypervolume_history(study: optuna.Study, reference: list[float], *,
                        log_costs: bool = False, since: int = 0) -> list[tuple[int, float]]:
    """(trial number, hypervolume of the complete, feasible trials up to it), by number.

    Args:
        study: a multi-objective study.
        reference: its reference point, in the objectives' units (stored_reference).
        log_costs: measure the minimised objectives (sizes, MACs) on a log10 scale, reference
            included. With a linear size axis reaching the space's largest network, one small
            accurate network already covers almost all the volume there is; on a log axis the
            sizes of small networks still count.
        since: give only the pairs of trials numbered from `since` on (earlier trials' points
            still count): a trial that ends changes no earlier trial's pair.

    Returns:
        One pair per complete trial; points that do not dominate the reference add nothing.
    """
    return _history(study, _complete(study), reference, log_costs=log_costs, since=since)


def _complete(study: optuna.Study) -> list[FrozenTrial]:
    """The study's complete trials, by number."""
    return sorted(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)),
                  key=lambda t: t.number)


def _history(study: optuna.Study, trials: list[FrozenTrial], reference: list[float], *,
             log_costs: bool, since: int) -> list[tuple[int, float]]:
    """hypervolume_history over the given complete trials (sorted by number)."""
    signs = np.array([1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in study.directions])
    scale = np.log10 if log_costs else (lambda x: x)
    minimised = signs > 0

    def loss(values: list[float] | np.ndarray) -> np.ndarray:
        out = signs * np.asarray(values, dtype=float)
        out[minimised] = scale(np.maximum(out[minimised], 1e-12))
        return out

    ref = loss(reference)
    points: list[np.ndarray] = []
    history = []
    for trial in trials:
        value = loss(trial.values)
        if _feasible(trial) and np.all(value < ref):
            points.append(value)
        if trial.number >= since:
            history.append((trial.number, hypervolume(np.array(points), ref)))
    return history


def store_hypervolume(store: Store, study: optuna.Study, *, since: int | None = None
                      ) -> HypervolumeRecord | None:
    """Compute the study's hypervolume history and store it (dse_hypervolume) for its readers.

    Under a lock shared by every worker, so the last writer has seen every trial told before
    it. With `since` (the trial that just ended), the stored pairs of earlier trials are kept
    when they are all there; otherwise (a worker died between its trial and this, an older
    store without the table) the whole history is computed again.

    Args:
        store: the study's store.
        study: the study (its reference point stored with it).
        since: the number of the trial that just ended; None: recompute everything.

    Returns:
        The stored record, or None for a study without a reference point (nothing stored).
    """
    stored = study.user_attrs.get(REFERENCE_ATTR)
    if not stored:
        return None
    objectives, reference = list(stored["objectives"]), [float(v) for v in stored["point"]]
    with store.lock(f"hypervolume:{study.study_name}"):
        trials, start = _complete(study), since or 0
        before = store.hypervolume(study.study_name) if start else None
        kept = [(n, v) for n, v in before.history if n < start] if before else []
        if before is None or before.reference != reference or \
                [n for n, _ in kept] != [t.number for t in trials if t.number < start]:
            start, kept = 0, []
        record = HypervolumeRecord(objectives, reference, kept + _history(
            study, trials, reference, log_costs=False, since=start))
        store.save_hypervolume(study.study_name, record)
    return record


def record_hypervolume(store: Store, study: optuna.Study, trial_number: int) -> None:
    """After a trial ended: store the study's hypervolume history; a failure only warns.

    The trial's result is stored and told already: failing it now would be wrong, and the
    end of the run (run_study) stores the whole history again anyway.
    """
    try:
        with interrupt.deferred():  # a stop lands after this, not between the trial and its end
            store_hypervolume(store, study, since=trial_number)
    except Exception as exc:  # the database, its lock: the trial itself stands
        log.warning("hypervolume of study '%s' not stored after trial %d (%s: %s); the run's "
                    "end stores it", study.study_name, trial_number, type(exc).__name__, exc)


def study_hypervolume(store: Store, storage: optuna.storages.BaseStorage, study: str
                      ) -> HypervolumeRecord | None:
    """Store the whole hypervolume history of a stored study (a run's end: this also fills it
    in for a study an older dse ran); None when it has no reference point or no Optuna study."""
    try:
        loaded = optuna.load_study(study_name=study, storage=storage)
    except KeyError:
        return None
    return store_hypervolume(store, loaded)
