"""The `dataset` config group, one typed class per dataset kind, and the folder layout rules.

Pure Python: checks keys and values, and (for image folders) lists class folders; it never
reads an image. The data modules that load the data live in dse.training.data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dse.core.typed import from_mapping, require, require_bool, require_choice, require_int, require_number

__all__ = ["ADDED_DATASET_KEYS", "DATASETS", "FOLDER_LAYOUT", "NON_RESULT_DATASET_KEYS",
           "Cifar10Config", "DatasetConfig", "DigitsConfig", "FolderLayout", "ImageFolderConfig",
           "dataset_config", "folder_layout"]

ON_BAD_IMAGE = ("error", "skip")
FOLDER_CROPS = ("scale", "pad")
HELD_OUT = ("val", "test")
FOLDER_LAYOUT = "expected <root>/train/<class>/*.jpg|png and <root>/val/<class>/... (or test/)"


def _check_common(cfg: Any, *, classes: int | None, channels: tuple[int, ...]) -> None:
    """Checks every dataset shares: input size, split seed, class and channel counts."""
    require_int("dataset.input_size", cfg.input_size, minimum=1)
    require_int("dataset.split_seed", cfg.split_seed, minimum=0)
    if classes is not None:
        require(cfg.num_classes == classes,
                f"dataset.num_classes must be {classes} for {cfg.name}, got {cfg.num_classes!r}")
    require(cfg.in_channels in channels, f"dataset.in_channels must be "
            f"{' or '.join(map(str, channels))} for {cfg.name}, got {cfg.in_channels!r}")


@dataclass(frozen=True)
class DigitsConfig:
    """Keys of conf/dataset/digits.yaml: scikit-learn's bundled 8x8 digits."""

    name: str = "digits"
    num_classes: int = 10  # fixed by the data; the arch reads it
    in_channels: int = 1  # fixed by the data; the arch reads it
    input_size: int = 16  # images are resized (bilinear) to this size
    val_fraction: float = 0.2
    test_fraction: float = 0.2
    split_seed: int = 0

    def __post_init__(self) -> None:
        """Validate the sizes and split fractions."""
        _check_common(self, classes=10, channels=(1,))
        for key in ("val_fraction", "test_fraction"):
            require_number(f"dataset.{key}", getattr(self, key), low=0, high=1,
                           low_open=True, high_open=True)
        total = self.val_fraction + self.test_fraction
        require(total < 0.9, "dataset.val_fraction + dataset.test_fraction must be < 0.9, got "
                f"{total:g}")


@dataclass(frozen=True)
class Cifar10Config:
    """Keys of conf/dataset/cifar10.yaml: the python-pickle CIFAR-10 under a local root."""

    name: str = "cifar10"
    root: str | None = None
    num_classes: int = 10
    in_channels: int = 3
    input_size: int = 32
    val_size: int = 5000  # carved from the training images
    split_seed: int = 0
    train_limit: int | None = None  # use only the first N training images
    augment: bool = True

    def __post_init__(self) -> None:
        """Validate the sizes."""
        _check_common(self, classes=10, channels=(3,))
        require_int("dataset.val_size", self.val_size, minimum=1)
        require_int("dataset.train_limit", self.train_limit, minimum=1, optional=True)
        require_bool("dataset.augment", self.augment)


@dataclass(frozen=True)
class ImageFolderConfig:
    """Keys of conf/dataset/imagefolder.yaml: an ImageNet-style tree under a local root."""

    name: str = "imagefolder"
    root: str | None = None
    num_classes: int | None = None  # null = the number of class folders under train/
    in_channels: int = 3
    input_size: int = 64
    val_fraction: float = 0.1
    split_seed: int = 0
    augment: bool = True
    workers: int = 2  # decoding threads; DataLoader worker processes when streaming
    in_memory_bytes: int = 4 * 2**30  # trees whose decoded images fit in this are held in memory
    cache: bool = True  # keep decoded in-memory trees on disk, keyed by the folder's content
    cache_dir: str | None = None  # null = $XDG_CACHE_HOME/dse/folders or ~/.cache/dse/folders
    on_bad_image: str = "error"  # error | skip
    crop: str = "scale"  # scale: shorter side to input_size * 8/7, random crop | pad: CIFAR style

    def __post_init__(self) -> None:
        """Validate the options."""
        _check_common(self, classes=None, channels=(1, 3))
        require_choice("dataset.crop", self.crop, FOLDER_CROPS)
        require_int("dataset.num_classes", self.num_classes, minimum=2, optional=True)
        require_choice("dataset.on_bad_image", self.on_bad_image, ON_BAD_IMAGE)
        require_number("dataset.val_fraction", self.val_fraction, low=0, high=1,
                       low_open=True, high_open=True)
        require_int("dataset.workers", self.workers, minimum=0)
        require_int("dataset.in_memory_bytes", self.in_memory_bytes, minimum=0)
        require_bool("dataset.augment", self.augment)
        require_bool("dataset.cache", self.cache)
        require(self.cache_dir is None or (isinstance(self.cache_dir, str) and
                                           bool(self.cache_dir.strip())),
                f"dataset.cache_dir must be a folder path or null, got {self.cache_dir!r}")


DatasetConfig = DigitsConfig | Cifar10Config | ImageFolderConfig
# Dataset keys that change how data are read, not what a run measures (not in result hashes).
NON_RESULT_DATASET_KEYS = ("workers", "in_memory_bytes", "cache", "cache_dir")
# Keys added in a later release -> the behaviour before them. At that value a key stays out of
# result hashes and study definitions, so studies stored before it keep their identity.
ADDED_DATASET_KEYS = {"crop": "scale"}
# name -> config class; imagenet is an imagefolder preset (conf/dataset/imagenet.yaml).
DATASETS: dict[str, type[DigitsConfig] | type[Cifar10Config] | type[ImageFolderConfig]] = {
    "digits": DigitsConfig,
    "cifar10": Cifar10Config,
    "imagefolder": ImageFolderConfig,
}


def dataset_config(values: dict[str, Any] | DatasetConfig) -> DatasetConfig:
    """The typed config of the `dataset` group; unknown names or keys list the valid ones."""
    if isinstance(values, (DigitsConfig, Cifar10Config, ImageFolderConfig)):
        return values
    name = values.get("name")
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
    return from_mapping(DATASETS[name], values, node="dataset", where=f" for {name}")


@dataclass(frozen=True)
class FolderLayout:
    """Where an image folder's splits are, and its classes (sorted folder names of train/)."""

    train: Path
    held_out: Path  # val/ or test/: the test split
    classes: tuple[str, ...]


def folder_layout(cfg: ImageFolderConfig) -> FolderLayout:
    """Check an image folder's layout and list its classes, with clear errors (no image read)."""
    if not cfg.root:
        raise ValueError(f"dataset.root is not set for imagefolder; {FOLDER_LAYOUT}")
    root = Path(cfg.root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"imagefolder: dataset.root {root} does not exist; {FOLDER_LAYOUT}")
    train = root / "train"
    held_out = next((root / h for h in HELD_OUT if (root / h).is_dir()), None)
    if not train.is_dir() or held_out is None:
        raise FileNotFoundError(f"imagefolder: {root} lacks train/ or val/ (test/); {FOLDER_LAYOUT}")
    classes = sorted(p.name for p in train.iterdir() if p.is_dir())
    if len(classes) < 2:
        raise FileNotFoundError(f"imagefolder: {train} has {len(classes)} class folder(s), need "
                                f"2 or more; {FOLDER_LAYOUT}")
    extra = sorted(p.name for p in held_out.iterdir() if p.is_dir() and p.name not in classes)
    if extra:
        raise ValueError(f"imagefolder: {held_out} has classes not in train/: {extra[:5]}")
    if cfg.num_classes is not None and cfg.num_classes != len(classes):
        raise ValueError(
            f"dataset.num_classes={cfg.num_classes} but {train} has {len(classes)} classes")
    return FolderLayout(train, held_out, tuple(classes))
