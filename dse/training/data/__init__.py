"""Datasets: digits (embedded), cifar10 (python pickles) and imagefolder (ImageNet layout).

Their typed configs live in dse.core.config; this package loads the data into Lightning modules.
"""

from __future__ import annotations

from typing import Any

from dse.core.config import Cifar10Config, DatasetConfig, DigitsConfig, dataset_config
from dse.training.data._base import DataError, DataModule, InMemoryDataModule
from dse.training.data._cifar import Cifar10DataModule
from dse.training.data._digits import DigitsDataModule
from dse.training.data._folder import build_image_folder

__all__ = ["DataError", "DataModule", "InMemoryDataModule", "build_data"]


def build_data(cfg: DatasetConfig | dict[str, Any], *, input_size: int) -> DataModule:
    """Build the data module for a `dataset` config, resizing images to `input_size`.

    Args:
        cfg: the typed dataset config, or the keys of one conf/dataset/*.yaml.
        input_size: the network's input height and width.

    Returns:
        A DataModule; data are read on first use, but roots are checked at once.
    """
    cfg = dataset_config(cfg)
    if isinstance(cfg, DigitsConfig):
        return DigitsDataModule(cfg, input_size=input_size)
    if isinstance(cfg, Cifar10Config):
        return Cifar10DataModule(cfg, input_size=input_size)
    return build_image_folder(cfg, input_size=input_size)
