"""Evaluate a point's seeds: budget check, reuse of an identical network, or training together.

Owns the data modules of a worker process (read once per input size) and the records a
trial stores. Knows Optuna only for the pruning callback; never touches trial states.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import optuna
import pytorch_lightning as pl

from dse.core.candidate import Candidate
from dse.core.config import DatasetConfig, RunConfig, Status
from dse.core.records import ArchRecord, CurvePoint, ResultRecord
from dse.search._latency import objective_latency
from dse.search._results import new_record
from dse.store import Store
from dse.training.data import DataModule, build_data
from dse.training.train import TrainResult, fit_seeds
from dse.training.weights import encode_weights

__all__ = ["KeepWeights", "TrialOutcome", "PruningCallback", "data_for", "reject_or_reuse",
           "train_seeds"]

_DATA: dict[tuple[DatasetConfig, int], DataModule] = {}  # this process's data, read once
# Uploads a trial's weights file as an artifact: (trial number, bytes) -> artifact id.
KeepWeights = Callable[[int, bytes], str]
_WEIGHTS_FIELDS = ("weights_artifact", "weights_store", "weights_bytes")


def data_for(dataset: DatasetConfig, input_size: int) -> DataModule:
    """The data module of `dataset` at `input_size`, built once per process."""
    key = (dataset, input_size)
    if key not in _DATA:
        _DATA[key] = build_data(dataset, input_size=input_size)
    return _DATA[key]


@dataclass(frozen=True)
class TrialOutcome:
    """A finished evaluation: the stored record and the network it measured."""

    record: ResultRecord
    arch: ArchRecord
    latency_ms: float | None = None  # this worker's batch-1 latency, when the run measures it
    compressed_mb: float | None = None  # size after the first compress setting, when compressed

    def _values(self, objectives: Sequence[str], *, accuracy: float | None,
                compressed_mb: float | None) -> list[float] | None:
        """Each objective's value, or None when one has none."""
        table = {"accuracy": accuracy, "size_mb": self.arch.size_mb,
                 "macs": float(self.arch.macs), "latency_ms": self.latency_ms,
                 "compressed_mb": compressed_mb}
        values = [table[o] for o in objectives]
        return None if any(v is None for v in values) else values  # type: ignore[misc]

    def rejected_values(self, objectives: Sequence[str]) -> list[float] | None:
        """Values for an over-budget point, never trained: no accuracy (0.0, the worst), its
        exact size and MACs, its 32-bit size as its compressed size (an upper bound), and
        its latency when measured; None when an objective has no value."""
        return self._values(objectives, accuracy=0.0, compressed_mb=self.arch.size_mb)

    def objective_values(self, objectives: Sequence[str]) -> list[float] | None:
        """Values for Optuna (accuracy is validation top-1), or None when nothing was measured
        (or a reused result without weights was not compressed)."""
        if not self.record.status.measured or self.record.val_top1 is None:
            return None
        return self._values(objectives, accuracy=self.record.val_top1,
                            compressed_mb=self.compressed_mb)


class PruningCallback(pl.Callback):
    """Report validation top-1 to an Optuna trial each epoch; stop the run when it is pruned."""

    def __init__(self, trial: optuna.Trial) -> None:
        """Report to `trial`."""
        self.trial = trial

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Report this epoch's validation top-1 and maybe prune (validation has run by now; a
        callback's on_validation_epoch_end would see the previous epoch's value)."""
        value = trainer.callback_metrics.get("val_top1")
        if value is None:
            return
        self.trial.report(float(value), step=trainer.current_epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {trainer.current_epoch + 1}")


def _trained(result: TrainResult) -> dict[str, Any]:
    """The ResultRecord fields of a training result."""
    return {
        "val_top1": result.val_top1, "val_top5": result.val_top5,
        "test_top1": result.test_top1, "test_top5": result.test_top5,
        "train_loss": result.train_loss, "epochs": result.epochs,
        "wall_time_s": result.wall_time_s, "images_per_s": result.images_per_s,
        "device": result.device, "threads": result.threads, "seed_batch": result.seed_batch,
    }


def _curve(record: ResultRecord, result: TrainResult) -> list[CurvePoint]:
    """The learning curve of a trained result, one point per validated epoch, under its trial."""
    losses = result.history_loss
    return [CurvePoint(study=record.study, trial_number=record.trial_number, epoch=epoch,
                       val_top1=top1, val_top5=top5,
                       train_loss=losses[epoch - 1] if epoch <= len(losses) else None)
            for epoch, (top1, top5) in enumerate(zip(result.history, result.history_top5),
                                                 start=1)]


def reject_or_reuse(cfg: RunConfig, store: Store, candidate: Candidate, *, trial_number: int,
                    seed: int, threads: int | None = None) -> TrialOutcome | None:
    """Store the result of a (point, seed) that needs no training, or return None.

    Over budget: rejected. The same network, seed, data and training stored by any study:
    reused (its metrics, its weights artifact and its learning curve copied, with where they
    came from).
    """
    arch = candidate.arch
    store.save_arch(arch)
    common = {"trial_number": trial_number, "point": candidate.point, "seed": seed, "arch": arch}
    reason = cfg.study.budget_violation(arch)
    if reason is not None:
        record = new_record(cfg, status=Status.REJECTED, reason=reason, **common)
        store.save_result(record)
        latency = objective_latency(cfg, store, candidate, threads=threads) \
            if "latency_ms" in cfg.sweep.objectives else None  # a search learns from it
        return TrialOutcome(record, arch, latency)
    earlier = store.find_reusable(fingerprint=arch.fingerprint, seed=seed,
                                  dataset=cfg.dataset_key, train_config_hash=cfg.train_hash)
    if earlier is None:
        return None
    metrics = {k: getattr(earlier, k) for k in (
        "val_top1", "val_top5", "test_top1", "test_top5", "train_loss", "epochs",
        "wall_time_s", "images_per_s", "device", "threads", "seed_batch", *_WEIGHTS_FIELDS)}
    status = Status.DIVERGED if earlier.status is Status.DIVERGED else Status.REUSED
    record = new_record(cfg, status=status, reused_from=earlier.trial_number,
                     reused_from_study=earlier.study,
                     reason=f"same network as {earlier.study} trial {earlier.trial_number}",
                     **metrics, **common)
    store.save_result(record)
    store.save_curve([replace(p, study=record.study, trial_number=trial_number)
                      for p in store.curves(earlier.study, trial_number=earlier.trial_number)])
    return TrialOutcome(record, arch, objective_latency(cfg, store, candidate, threads=threads))


def _kept(cfg: RunConfig, keep: KeepWeights | None, number: int, result: TrainResult,
          arch: ArchRecord) -> dict[str, Any]:
    """Upload a measured result's weights; the ResultRecord fields that point to them."""
    if keep is None or result.weights is None or not result.status.measured:
        return {}
    data = encode_weights(result.weights, arch, study=cfg.study_name, trial=number,
                          seed=result.seed, dataset=cfg.dataset_key,
                          val_top1=result.val_top1, test_top1=result.test_top1)
    return {"weights_artifact": keep(number, data), "weights_store": cfg.artifact_location,
            "weights_bytes": len(data)}


def train_seeds(cfg: RunConfig, store: Store, candidate: Candidate, *,
                trial_numbers: Sequence[int], seeds: Sequence[int], threads: int | None,
                callbacks: Sequence[pl.Callback] = (), keep: KeepWeights | None = None
                ) -> list[TrialOutcome]:
    """Train one point's seeds together (dse.training.train.fit_seeds) and store each seed's result.

    `keep` uploads each measured seed's weights before its result is saved (the result
    names the artifact); each result's learning curve is saved right after it. Exceptions
    from training propagate with nothing stored (the worker records them);
    optuna.TrialPruned (one seed, with a pruning callback) propagates after the pruned
    result is stored (without a curve: the epochs it ran are the Optuna trial's).
    """
    spec, arch, point = candidate.spec, candidate.arch, candidate.point
    data = data_for(cfg.dataset, spec.input_size)
    train_cfg = replace(cfg.train, threads=threads) if threads else cfg.train
    try:
        results = fit_seeds(spec, data, train_cfg, seeds=seeds, callbacks=callbacks,
                            net=candidate.net)
    except optuna.TrialPruned as exc:
        store.save_result(new_record(cfg, status=Status.PRUNED, reason=str(exc), arch=arch,
                                  trial_number=trial_numbers[0], point=point, seed=seeds[0]))
        raise
    reasons = {Status.DIVERGED: "loss became NaN or infinite"}
    outcomes = []
    for number, result in zip(trial_numbers, results, strict=True):
        reason = reasons.get(result.status) or (
            f"a callback stopped training after {result.epochs} epoch(s)"
            if result.status is Status.STOPPED else None)
        record = new_record(cfg, status=result.status, reason=reason, trial_number=number,
                         point=point, seed=result.seed, arch=arch, **_trained(result),
                         **_kept(cfg, keep, number, result, arch))
        store.save_result(record)
        store.save_curve(_curve(record, result))
        outcomes.append(TrialOutcome(record, arch))
    latency = objective_latency(cfg, store, candidate, threads=threads)
    return [replace(outcome, latency_ms=latency) for outcome in outcomes]

