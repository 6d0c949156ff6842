"""Size-aware pruning for multi-objective searches (Optuna's pruners take one objective).

Every network's size is known before training, so a trial's learning curve can be judged on
accuracy alone against networks no larger: at the end of epoch e (from `min_epochs` on), a
trial is pruned when a finished trial of equal or smaller size had a validation top-1 at epoch
e at least `margin` higher. Such a trial is then dominated at that epoch (no larger, clearly
more accurate) and, learning curves rarely crossing by that much, most likely at the end too.
Each trial's curve (validation top-1 per epoch) is kept as its `val_curve` user attribute, so
workers on other machines compare against it.
"""

from __future__ import annotations

from collections.abc import Sequence

import optuna
import pytorch_lightning as pl
from optuna.trial import TrialState

__all__ = ["CURVE_ATTR", "SizeAwarePruning", "dominating_trial"]

CURVE_ATTR = "val_curve"


def dominating_trial(size_mb: float, curve: Sequence[float],
                     finished: Sequence[tuple[int, float, Sequence[float]]], *,
                     margin: float, min_epochs: int) -> int | None:
    """The number of a finished trial that dominates this curve at its last epoch, or None.

    Args:
        size_mb: this trial's network size.
        curve: its validation top-1 after each epoch so far.
        finished: (trial number, size MB, curve) of finished trials.
        margin: how much more accurate the other must have been at that epoch.
        min_epochs: no verdict before this many epochs.

    Returns:
        The first dominating trial's number (by number), or None.
    """
    epoch = len(curve) - 1
    if len(curve) < min_epochs:
        return None
    for number, size, other in sorted(finished):
        if size <= size_mb and len(other) > epoch and other[epoch] >= curve[epoch] + margin:
            return number
    return None


class SizeAwarePruning(pl.Callback):
    """Record the trial's curve each epoch; stop it once a no-larger finished trial dominates."""

    def __init__(self, trial: optuna.Trial, *, size_mb: float, margin: float,
                 min_epochs: int) -> None:
        """Judge `trial`, whose network is `size_mb`."""
        self.trial, self.size_mb = trial, size_mb
        self.margin, self.min_epochs = margin, min_epochs
        self.curve: list[float] = []

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Append this epoch's validation top-1, store the curve, and maybe prune.

        At the training epoch's end the epoch's validation has run and logged val_top1 (a
        callback's on_validation_epoch_end runs before the module's, which logs it).
        """
        value = trainer.callback_metrics.get("val_top1")
        if value is None or trainer.sanity_checking:
            return
        self.curve.append(float(value))
        self.trial.set_user_attr(CURVE_ATTR, self.curve)
        finished = [(t.number, float(t.user_attrs["size_mb"]), t.user_attrs[CURVE_ATTR])
                    for t in self.trial.study.get_trials(deepcopy=False,
                                                         states=(TrialState.COMPLETE,))
                    if CURVE_ATTR in t.user_attrs and "size_mb" in t.user_attrs]
        number = dominating_trial(self.size_mb, self.curve, finished, margin=self.margin,
                                  min_epochs=self.min_epochs)
        if number is not None:
            raise optuna.TrialPruned(
                f"pruned after epoch {len(self.curve)}: trial {number}, no larger, was at least "
                f"{self.margin:.3f} more accurate at this epoch")
