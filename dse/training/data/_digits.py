"""scikit-learn's bundled handwritten digits: 1,797 real 8x8 images, 10 classes, no download."""

from __future__ import annotations

import numpy as np
import torch

from dse.core.config import DigitsConfig
from dse.training.data._base import InMemoryDataModule
from dse.training.data._tensor import TensorSplit

__all__ = ["DigitsDataModule"]


class DigitsDataModule(InMemoryDataModule):
    """Digits with a fixed, stratified train/val/test split derived from `split_seed`."""

    name = "digits"

    def __init__(self, cfg: DigitsConfig, *, input_size: int) -> None:
        """Prepare the module; the data are read on first use."""
        super().__init__(input_size=input_size)
        self.cfg = cfg
        self.num_classes = 10
        self.in_channels = 1

    def load(self) -> None:
        """Read the bundled data and split it."""
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        # Pixel values are 0..16; scale to uint8 0..255 like every other dataset here.
        images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
        labels = digits.target.astype(np.int64)
        index = np.arange(len(labels))
        rest, test = train_test_split(index, test_size=self.cfg.test_fraction,
                                      stratify=labels, random_state=self.cfg.split_seed)
        val_share = self.cfg.val_fraction / (1 - self.cfg.test_fraction)
        train, val = train_test_split(rest, test_size=val_share, stratify=labels[rest],
                                      random_state=self.cfg.split_seed)

        def split(ix: np.ndarray) -> TensorSplit:
            ix = np.sort(ix)
            return TensorSplit(torch.from_numpy(images[ix].copy()), torch.from_numpy(labels[ix]))

        self.set_splits(split(train), split(val), split(test))
