"""Evaluate one (point, seed): budget check, reuse of an identical network, or training."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import optuna
import pytorch_lightning as pl

from dse.complexity import MB
from dse.records import ArchRecord, ResultRecord, arch_record
from dse.search._context import RunConfig, provenance
from dse.store import Store
from dse.sweep import stable_hash
from dse.train import TrainResult, fit

__all__ = ["Outcome", "PruningCallback", "budget_violation", "evaluate", "record_failure"]

# Results that end a (point, seed) for good; anything else is run again on resume.
FINAL_STATUSES = ("complete", "diverged", "reused", "rejected", "pruned")


@dataclass(frozen=True)
class Outcome:
    """A finished evaluation: the stored record and the network it measured."""

    record: ResultRecord
    arch: ArchRecord

    @property
    def size_mb(self) -> float:
        """Model size in MB (2^20 bytes, 32-bit weights)."""
        return self.arch.size_bytes / MB

    def objective_values(self, objectives: Sequence[str]) -> list[float] | None:
        """Values for Optuna (accuracy is validation top-1), or None when nothing was measured."""
        if self.record.status not in ("complete", "reused") or self.record.val_top1 is None:
            return None
        table = {"accuracy": self.record.val_top1, "size_mb": self.size_mb,
                 "macs": float(self.arch.macs)}
        return [table[o] for o in objectives]


class PruningCallback(pl.Callback):
    """Report validation top-1 to an Optuna trial each epoch; stop the run when it is pruned."""

    def __init__(self, trial: optuna.Trial) -> None:
        """Report to `trial`."""
        self.trial = trial

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Report and maybe prune."""
        value = trainer.callback_metrics.get("val_top1")
        if value is None:
            return
        self.trial.report(float(value), step=trainer.current_epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {trainer.current_epoch + 1}")


def budget_violation(cfg: RunConfig, arch: ArchRecord) -> str | None:
    """Why `arch` exceeds the study's size or MAC budget, or None when it fits."""
    size_mb = arch.size_bytes / MB
    if cfg.study.max_size_mb is not None and size_mb > cfg.study.max_size_mb:
        return f"size {size_mb:.3f} MB exceeds study.max_size_mb={cfg.study.max_size_mb}"
    if cfg.study.max_macs is not None and arch.macs > cfg.study.max_macs:
        return f"{arch.macs:,} MACs exceed study.max_macs={cfg.study.max_macs:,}"
    return None


def _record(cfg: RunConfig, *, trial_number: int, point: dict[str, Any], seed: int,
            arch: ArchRecord | None, status: str, **values: Any) -> ResultRecord:
    """A ResultRecord with the run's identity and provenance filled in."""
    prov = provenance()
    return ResultRecord(
        study=cfg.study_name, trial_number=trial_number, point=point, seed=seed,
        fingerprint=arch.fingerprint if arch else "", dataset=cfg.dataset_key,
        train_config_hash=cfg.train_hash, status=status, git_commit=prov["git_commit"],
        config_hash=stable_hash(cfg.definition()), versions=prov["versions"], **values,
    )


def record_failure(cfg: RunConfig, store: Store, *, trial_number: int, point: dict[str, Any],
                   seed: int, reason: str) -> ResultRecord:
    """Store a failed result (an exception, an interrupt, or a worker that stopped)."""
    try:
        arch: ArchRecord | None = arch_record(cfg.sweep.arch_for(cfg.arch, point))
    except ValueError:  # the point itself is invalid: there is no network to name
        arch = None
    if arch is not None:
        store.save_arch(arch)
    record = _record(cfg, trial_number=trial_number, point=point, seed=seed, arch=arch,
                     status="failed", reason=reason)
    store.save_result(record)
    return record


def _trained(result: TrainResult) -> dict[str, Any]:
    """The ResultRecord fields of a training result."""
    return {
        "val_top1": result.val_top1, "val_top5": result.val_top5,
        "test_top1": result.test_top1, "test_top5": result.test_top5,
        "train_loss": result.train_loss, "epochs": result.epochs,
        "wall_time_s": result.wall_time_s, "images_per_s": result.images_per_s,
        "device": result.device,
    }


def evaluate(cfg: RunConfig, store: Store, *, trial_number: int, point: dict[str, Any],
             seed: int, threads: int | None, callbacks: Sequence[pl.Callback] = ()) -> Outcome:
    """Evaluate one (point, seed) and store its result.

    Exceptions from training propagate (the worker records them and decides on a retry);
    optuna.TrialPruned propagates after the pruned result is stored.
    """
    spec = cfg.sweep.arch_for(cfg.arch, point)
    arch = arch_record(spec)
    store.save_arch(arch)
    common = {"trial_number": trial_number, "point": point, "seed": seed, "arch": arch}

    reason = budget_violation(cfg, arch)
    if reason is not None:
        record = _record(cfg, status="rejected", reason=reason, **common)
        store.save_result(record)
        return Outcome(record, arch)

    earlier = store.find_reusable(fingerprint=arch.fingerprint, seed=seed,
                                  dataset=cfg.dataset_key, train_config_hash=cfg.train_hash)
    if earlier is not None:
        metrics = {k: getattr(earlier, k) for k in (
            "val_top1", "val_top5", "test_top1", "test_top5", "train_loss", "epochs",
            "wall_time_s", "images_per_s", "device")}
        status = "reused" if earlier.status != "diverged" else "diverged"
        record = _record(cfg, status=status, reused_from=earlier.trial_number,
                         reused_from_study=earlier.study,
                         reason=f"same network as {earlier.study} trial {earlier.trial_number}",
                         **metrics, **common)
        store.save_result(record)
        return Outcome(record, arch)

    data = cfg.data_for(spec.input_size)
    train_cfg = replace(cfg.train, threads=threads) if threads else cfg.train
    try:
        result = fit(spec, data, train_cfg, seed=seed, callbacks=callbacks)
    except optuna.TrialPruned as exc:
        store.save_result(_record(cfg, status="pruned", reason=str(exc), **common))
        raise
    record = _record(cfg, status=result.status if result.status == "diverged" else "complete",
                     reason="loss became NaN or infinite" if result.status == "diverged" else None,
                     **_trained(result), **common)
    store.save_result(record)
    return Outcome(record, arch)
