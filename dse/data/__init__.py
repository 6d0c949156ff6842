"""Datasets: digits (embedded), cifar10 (python pickles) and imagefolder (ImageNet layout)."""

from __future__ import annotations

from typing import Any

from dse.data._base import DataError, DataModule, InMemoryDataModule
from dse.data._cifar import Cifar10Config, Cifar10DataModule
from dse.data._digits import DigitsConfig, DigitsDataModule
from dse.data._folder import ImageFolderConfig, build_image_folder
from dse.typed import from_mapping

__all__ = ["DATASETS", "DataError", "DataModule", "InMemoryDataModule", "build_data", "dataset_config"]

# name -> config class; imagenet is an imagefolder preset (conf/dataset/imagenet.yaml).
DATASETS: dict[str, type] = {
    "digits": DigitsConfig,
    "cifar10": Cifar10Config,
    "imagefolder": ImageFolderConfig,
}


def dataset_config(values: dict[str, Any]) -> DigitsConfig | Cifar10Config | ImageFolderConfig:
    """The typed config of the `dataset` group; unknown names or keys list the valid ones."""
    name = values.get("name")
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
    return from_mapping(DATASETS[name], values, node="dataset", where=f" for {name}")  # type: ignore[no-any-return]


def build_data(values: dict[str, Any], *, input_size: int) -> DataModule:
    """Build the data module for a `dataset` config, resizing images to `input_size`.

    Args:
        values: the keys of one conf/dataset/*.yaml (after overrides).
        input_size: the network's input height and width.

    Returns:
        A DataModule; data are read on first use, but roots are checked at once.
    """
    cfg = dataset_config(values)
    if isinstance(cfg, DigitsConfig):
        return DigitsDataModule(cfg, input_size=input_size)
    if isinstance(cfg, Cifar10Config):
        return Cifar10DataModule(cfg, input_size=input_size)
    return build_image_folder(cfg, input_size=input_size)
