"""CIFAR-10 from the standard python pickles (`cifar-10-batches-py`), read from a local root."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from dse.core.config import Cifar10Config
from dse.training.data._base import DataError, InMemoryDataModule
from dse.training.data._tensor import TensorSplit

__all__ = ["Cifar10DataModule", "find_cifar_batches"]

TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
LAYOUT = (
    "expected <root>/cifar-10-batches-py/{data_batch_1..5,test_batch} (the 'CIFAR-10 python "
    "version'), or those files directly in <root>; nothing is downloaded"
)


def find_cifar_batches(root: str | None) -> Path:
    """The folder that holds the CIFAR-10 batches under `root`, or a clear FileNotFoundError."""
    if not root:
        raise ValueError(f"dataset.root is not set for cifar10; {LAYOUT}")
    base = Path(root).expanduser()
    if not base.is_dir():
        raise FileNotFoundError(f"cifar10: dataset.root {base} does not exist; {LAYOUT}")
    for folder in (base / "cifar-10-batches-py", base):
        if all((folder / name).is_file() for name in (*TRAIN_BATCHES, TEST_BATCH)):
            return folder
    raise FileNotFoundError(f"cifar10: no CIFAR-10 batches found under {base}; {LAYOUT}")


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images N x 3 x 32 x 32 uint8, labels N int64) of one pickle batch."""
    try:
        with path.open("rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except Exception as exc:  # any unpickling or layout problem is a bad file
        raise DataError(f"cifar10: {path} is not a readable CIFAR-10 batch ({exc})") from exc
    if len(data) != len(labels) or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"cifar10: {path} has inconsistent images and labels")
    return data, labels


class Cifar10DataModule(InMemoryDataModule):
    """CIFAR-10 with a validation split carved from train; random crop and flip for training."""

    name = "cifar10"
    crop_pad = 4

    def __init__(self, cfg: Cifar10Config, *, input_size: int) -> None:
        """Check the root at once (a clear error before any training), read data on first use."""
        super().__init__(input_size=input_size)
        self.cfg = cfg
        self.augment = cfg.augment
        self.folder = find_cifar_batches(cfg.root)
        self.num_classes = 10
        self.in_channels = 3

    def load(self) -> None:
        """Read the pickles and split them."""
        parts = [_read_batch(self.folder / name) for name in TRAIN_BATCHES]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        test_images, test_labels = _read_batch(self.folder / TEST_BATCH)
        if self.cfg.val_size >= len(labels):
            raise ValueError(
                f"dataset.val_size={self.cfg.val_size} leaves no training images "
                f"(the train batches hold {len(labels)})"
            )
        order = np.random.default_rng(self.cfg.split_seed).permutation(len(labels))
        val, train = order[: self.cfg.val_size], order[self.cfg.val_size:]
        if self.cfg.train_limit is not None:
            train = train[: self.cfg.train_limit]

        def split(x: np.ndarray, y: np.ndarray) -> TensorSplit:
            return TensorSplit(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y))

        self.set_splits(
            split(images[np.sort(train)], labels[np.sort(train)]),
            split(images[np.sort(val)], labels[np.sort(val)]),
            split(test_images, test_labels),
        )
