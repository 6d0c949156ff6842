"""The data-module interface shared by every dataset, and its in-memory implementation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pytorch_lightning as pl
import torch

from dse.training.data._tensor import (
    BatchTransform,
    StackedBatches,
    TensorBatches,
    TensorSplit,
    channel_stats,
)

__all__ = ["DataError", "DataModule", "InMemoryDataModule"]


class DataError(ValueError):
    """The data themselves are bad (an unreadable file): stop the run, naming what is wrong."""


class DataModule(pl.LightningDataModule):
    """A dataset with fixed train/val/test splits; `configure` sets batch size, seed and device.

    Subclasses set `name`, `num_classes`, `in_channels` and implement `load()` and the loaders.
    """

    name = "data"
    stacks_seeds = False  # can give one training batch per seed side by side (see configure)

    def __init__(self) -> None:
        """Start unconfigured: batch size 64, seed 0, CPU."""
        super().__init__()
        self.batch_size = 64
        self.seeds: tuple[int, ...] = (0,)
        self.device = torch.device("cpu")
        self.num_classes = 0
        self.in_channels = 0
        self._loaded = False

    def configure(self, *, batch_size: int, seeds: Sequence[int],
                  device: torch.device | str = "cpu") -> None:
        """Set the batch size, the shuffling seeds and the device batches should live on.

        With K > 1 seeds (modules whose `stacks_seeds` is true), a training batch holds K
        batches, each shuffled and augmented from its own seed: images side by side on the
        channel axis (batch, K * C, H, W) and labels (batch, K).
        """
        if len(seeds) > 1 and not self.stacks_seeds:
            raise ValueError(f"the {self.name} data module trains one seed at a time, "
                             f"got {len(seeds)} seeds")
        self.batch_size = batch_size
        self.seeds = tuple(seeds)
        self.device = torch.device(device)

    def setup(self, stage: str | None = None) -> None:
        """Load the data once (later calls are free)."""
        if not self._loaded:
            self.load()
            self._loaded = True

    def load(self) -> None:
        """Read the dataset and build the splits."""
        raise NotImplementedError

    @property
    def n_train(self) -> int:
        """Number of training examples."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Sizes of the splits and shape of the data, for logs and the store."""
        self.setup()
        return {"dataset": self.name, "num_classes": self.num_classes,
                "in_channels": self.in_channels, "train": self.n_train}

    def eval_batches(self, split: str) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
        """Batches of the 'val' or 'test' split, for final evaluation."""
        return self.val_dataloader() if split == "val" else self.test_dataloader()


class InMemoryDataModule(DataModule):
    """Splits held as uint8 tensors (on the training device) and sliced into batches."""

    augment = False
    stacks_seeds = True
    crop_pad = 0
    crop_size: int | None = None

    def __init__(self, *, input_size: int) -> None:
        """Prepare for a network input of `input_size` pixels."""
        super().__init__()
        self.input_size = input_size
        self.splits: dict[str, TensorSplit] = {}
        self.transform: BatchTransform | None = None

    def set_splits(self, train: TensorSplit, val: TensorSplit, test: TensorSplit) -> None:
        """Install the splits and the normalisation computed from the training split."""
        self.splits = {"train": train, "val": val, "test": test}
        mean, std = channel_stats(train.images)
        self.transform = BatchTransform(
            self.input_size, mean, std, augment=self.augment, crop_pad=self.crop_pad,
            crop_size=self.crop_size,
        )

    @property
    def n_train(self) -> int:
        """Number of training examples."""
        self.setup()
        return len(self.splits["train"])

    def describe(self) -> dict[str, Any]:
        """Sizes of the splits and shape of the data."""
        info = super().describe()
        info.update(val=len(self.splits["val"]), test=len(self.splits["test"]))
        return info

    def _batches(self, split: str, *, train: bool, seed: int = 0) -> TensorBatches:
        """Batches of one split, moved once to the configured device."""
        self.setup()
        data = self.splits[split]
        if data.images.device != self.device:
            data = self.splits[split] = data.to(self.device)
        assert self.transform is not None
        return TensorBatches(data, self.transform, batch_size=self.batch_size, train=train,
                             seed=seed, drop_last=train)

    def train_dataloader(self) -> TensorBatches | StackedBatches:
        """Shuffled, augmented training batches (one per seed, side by side, for K seeds)."""
        streams = [self._batches("train", train=True, seed=s) for s in self.seeds]
        return streams[0] if len(streams) == 1 else StackedBatches(streams)

    def val_dataloader(self) -> TensorBatches:
        """Validation batches in a fixed order."""
        return self._batches("val", train=False)

    def test_dataloader(self) -> TensorBatches:
        """Test batches in a fixed order."""
        return self._batches("test", train=False)
