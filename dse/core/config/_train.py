"""The `train` config group: optimiser, schedule, epochs, device and threads (pure Python)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dse.core.typed import from_mapping, require, require_bool, require_choice, require_int, require_number

__all__ = ["ACCELERATORS", "NON_RESULT_TRAIN_KEYS", "TrainConfig", "train_config"]

OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("linear", "cosine", "constant")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps")
PRECISIONS = ("32-true", "32", "16-mixed", "bf16-mixed", "16-true", "bf16-true", "64-true", "64")
# Training keys that do not change what a run measures (they do not enter the dedupe hash).
NON_RESULT_TRAIN_KEYS = ("threads", "progress")


@dataclass(frozen=True)
class TrainConfig:
    """Keys of the `train` config group."""

    epochs: int = 20
    batch_size: int = 64
    optimizer: str = "sgd"  # sgd | adamw
    lr: float = 0.04  # initial learning rate (the paper's 0.04)
    momentum: float = 0.9  # SGD only
    weight_decay: float = 2e-4
    schedule: str = "linear"  # linear (decay to 0, as the paper) | cosine | constant
    warmup_epochs: int = 0  # linear warm-up from lr/10; capped at half of a shorter run
    label_smoothing: float = 0.0  # in [0, 1)
    accelerator: str = "auto"  # auto picks a GPU when present
    threads: int | None = None  # torch CPU threads; null = all cores (divided among workers)
    deterministic: bool = True  # deterministic algorithms: equal seeds give equal metrics
    precision: str = "32-true"  # Lightning precision, e.g. bf16-mixed on a GPU
    channels_last: bool = True  # NHWC memory layout: faster convolutions on CPU and tensor cores
    progress: bool | None = None  # progress bar; null = when interactive and not under CI

    def __post_init__(self) -> None:
        """Validate every field; raise ValueError naming the field, value and rule."""
        require_int("train.epochs", self.epochs, minimum=1)
        require_int("train.batch_size", self.batch_size, minimum=1)
        choices = {"optimizer": OPTIMIZERS, "schedule": SCHEDULES, "accelerator": ACCELERATORS,
                   "precision": PRECISIONS}
        for key, valid in choices.items():
            require_choice(f"train.{key}", getattr(self, key), valid)
        for key in ("lr", "momentum", "weight_decay"):
            require_number(f"train.{key}", getattr(self, key), low=0)
        require(self.lr > 0, f"train.lr must be > 0, got {self.lr!r}")
        require_number("train.label_smoothing", self.label_smoothing, low=0, high=1, high_open=True)
        require_int("train.warmup_epochs", self.warmup_epochs, minimum=0)
        require_int("train.threads", self.threads, minimum=1, optional=True)
        for key in ("deterministic", "channels_last"):
            require_bool(f"train.{key}", getattr(self, key))
        require_bool("train.progress", self.progress, optional=True)


def train_config(values: dict[str, Any]) -> TrainConfig:
    """TrainConfig from the `train` config group; unknown keys list the valid ones."""
    return from_mapping(TrainConfig, values, node="train")
