"""Stored results of trials that did not train: the provenance every result carries, and the
failures of trials that stopped (torch-free: the claim path imports it)."""

from __future__ import annotations

from typing import Any

from dse.core.candidate import Candidate
from dse.core.config import RunConfig, Status
from dse.core.records import ArchRecord, ResultRecord
from dse.core.sweep import stable_hash
from dse.search._provenance import provenance
from dse.store import Store

__all__ = ["new_record", "record_failure"]


def new_record(cfg: RunConfig, *, trial_number: int, point: dict[str, Any], seed: int,
            arch: ArchRecord | None, status: Status, **values: Any) -> ResultRecord:
    """A ResultRecord with the run's identity and provenance filled in; its budget is the
    epochs of `cfg`'s training (RunConfig.at_budget gives an item's)."""
    prov = provenance()
    return ResultRecord(
        study=cfg.study_name, trial_number=trial_number, point=point, seed=seed,
        fingerprint=arch.fingerprint if arch else "", dataset=cfg.dataset_key,
        train_config_hash=cfg.train_hash, budget=cfg.train.epochs, status=status,
        git_commit=prov["git_commit"], config_hash=stable_hash(cfg.definition()),
        versions=prov["versions"], **values,
    )


def record_failure(cfg: RunConfig, store: Store, *, trial_number: int, point: dict[str, Any],
                   seed: int, reason: str, candidate: Candidate | None = None) -> ResultRecord:
    """Store a failed result (an exception, an interrupt, or a worker that stopped); the
    point's network is `candidate`'s, or resolved here when the trial had not."""
    arch: ArchRecord | None = candidate.arch if candidate is not None else None
    if arch is None:
        try:
            arch = Candidate.of(cfg.arch_for(point), point).arch
        except ValueError:  # the point itself is invalid: there is no network to name
            arch = None
    if arch is not None:
        store.save_arch(arch)
    record = new_record(cfg, trial_number=trial_number, point=point, seed=seed, arch=arch,
                     status=Status.FAILED, reason=reason)
    store.save_result(record)
    return record
