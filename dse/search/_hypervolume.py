"""Hypervolume of a multi-objective study, against a fixed reference point stored with it.

The reference point is fixed before the first trial, from the search space alone, so that
hypervolumes of studies (and samplers) over the same space compare: accuracy at chance
(1 / classes), size and MACs of the largest network of the space (its corners), and for the
compressed size the largest network's 32-bit size (compression never makes one larger).
Measured latency has no such bound: a study with a latency objective has no hypervolume.
Computed with Optuna's own hypervolume (optuna._hypervolume.compute_hypervolume, the function
behind optuna.visualization.plot_hypervolume_history), over the complete, feasible trials.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import optuna
from optuna._hypervolume import compute_hypervolume
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from dse.core.config import RunConfig
from dse.core.records import ArchRecord, HypervolumeRecord, arch_record
from dse.search._storage import optuna_storage
from dse.core.sweep import Param

__all__ = ["REFERENCE_ATTR", "hypervolume_history", "reference_point", "stored_reference",
           "study_hypervolume"]

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
                        log_costs: bool = False) -> list[tuple[int, float]]:
    """(trial number, hypervolume of the complete, feasible trials up to it), by number.

    Args:
        study: a multi-objective study.
        reference: its reference point, in the objectives' units (stored_reference).
        log_costs: measure the minimised objectives (sizes, MACs) on a log10 scale, reference
            included. With a linear size axis reaching the space's largest network, one small
            accurate network already covers almost all the volume there is; on a log axis the
            sizes of small networks still count.

    Returns:
        One pair per complete trial; points that do not dominate the reference add nothing.
    """
    signs = np.array([1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in study.directions])
    scale = np.log10 if log_costs else (lambda x: x)
    minimised = signs > 0

    def loss(values: list[float] | np.ndarray) -> np.ndarray:
        out = signs * np.asarray(values, dtype=float)
        out[minimised] = scale(np.maximum(out[minimised], 1e-12))
        return out

    ref = loss(reference)
    trials = sorted(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)),
                    key=lambda t: t.number)
    points: list[np.ndarray] = []
    history = []
    for trial in trials:
        value = loss(trial.values)
        if _feasible(trial) and np.all(value < ref):
            points.append(value)
        volume = float(compute_hypervolume(np.array(points), ref)) if points else 0.0
        history.append((trial.number, volume))
    return history


def study_hypervolume(storage_url: str, study: str) -> HypervolumeRecord | None:
    """The hypervolume history of a stored study, or None when it has no reference point
    (a grid, one objective, a latency objective) or no Optuna study of that name."""
    try:
        loaded = optuna.load_study(study_name=study, storage=optuna_storage(storage_url))
    except KeyError:
        return None
    stored = loaded.user_attrs.get(REFERENCE_ATTR)
    if not stored:
        return None
    reference = [float(v) for v in stored["point"]]
    return HypervolumeRecord(list(stored["objectives"]), reference,
                             hypervolume_history(loaded, reference))
