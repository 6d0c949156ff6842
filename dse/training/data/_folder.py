"""ImageNet-style folders: <root>/train/<class>/*.jpg|png and <root>/val|test/<class>/...

Trees whose decoded images fit in dataset.in_memory_bytes are decoded once (in threads), kept
in a disk cache keyed by the folder's content (dse.training.data._cache), and batched by slicing from
memory; larger ones stream through a DataLoader with worker processes. With dataset.crop=scale
(ImageNet style) every image is resized so its shorter side is input_size * 8/7 and
centre-cropped square; training takes a random input_size crop and flip, evaluation the centre
crop. With crop=pad (CIFAR style) images are stored at input_size; training takes a random crop
after zero padding of input_size/8 pixels, and a flip; evaluation sees the whole image.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from dse.core.config import FOLDER_LAYOUT, ImageFolderConfig, folder_layout
from dse.training.data._base import DataError, DataModule, InMemoryDataModule
from dse.training.data._cache import default_cache_dir, folder_key, load_or_build
from dse.training.data._tensor import BatchTransform, TensorSplit

__all__ = ["ImageFolderDataModule", "ImageFolderStreamDataModule",
           "build_image_folder"]

log = logging.getLogger(__name__)
EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class FolderIndex:
    """Files and integer labels of each split, and the class names."""

    classes: tuple[str, ...]
    files: dict[str, list[Path]]
    labels: dict[str, np.ndarray]


def _scan(folder: Path, classes: dict[str, int]) -> tuple[list[Path], list[int]]:
    """Image files under folder/<class>/ with their labels, in a stable order."""
    files, labels = [], []
    for name, label in classes.items():
        sub = folder / name
        if not sub.is_dir():
            continue
        for path in sorted(sub.rglob("*")):
            if path.suffix.lower() in EXTENSIONS and path.is_file():
                files.append(path)
                labels.append(label)
    return files, labels


def index_folder(cfg: ImageFolderConfig) -> FolderIndex:
    """Find the classes and files of every split, with clear errors for a wrong layout."""
    layout = folder_layout(cfg)
    classes, train_dir, held_out = layout.classes, layout.train, layout.held_out
    lookup = {name: i for i, name in enumerate(classes)}
    train_files, train_labels = _scan(train_dir, lookup)
    test_files, test_labels = _scan(held_out, lookup)
    if not train_files or not test_files:
        raise FileNotFoundError(f"imagefolder: no images under {train_dir} or {held_out}; {FOLDER_LAYOUT}")
    labels = np.asarray(train_labels)
    rng = np.random.default_rng(cfg.split_seed)
    val_mask = np.zeros(len(labels), dtype=bool)
    for label in range(len(classes)):  # stratified: the same share of each class
        members = np.flatnonzero(labels == label)
        n_val = int(round(len(members) * cfg.val_fraction))
        if 0 < n_val < len(members):
            val_mask[rng.choice(members, size=n_val, replace=False)] = True
    return FolderIndex(
        classes=tuple(classes),
        files={
            "train": [f for f, v in zip(train_files, val_mask) if not v],
            "val": [f for f, v in zip(train_files, val_mask) if v],
            "test": test_files,
        },
        labels={"train": labels[~val_mask], "val": labels[val_mask],
                "test": np.asarray(test_labels)},
    )


def stored_size(input_size: int, crop: str = "scale") -> int:
    """Side of the stored square image: the input size, plus 1/7 margin for `scale` crops."""
    return input_size if crop == "pad" else max(input_size, round(input_size * 8 / 7))


def crop_pad(input_size: int, crop: str) -> int:
    """Zero padding before the random crop of `pad` crops: 1/8 of the side (4 pixels at 32)."""
    return max(1, round(input_size / 8)) if crop == "pad" else 0


def decode(path: Path, *, size: int, channels: int) -> np.ndarray:
    """Read an image file as a (channels, size, size) uint8 array: shorter side to size, centre."""
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("L" if channels == 1 else "RGB")
        w, h = image.size
        scale = size / min(w, h)
        image = image.resize((max(size, round(w * scale)), max(size, round(h * scale))),
                             Image.Resampling.BILINEAR)
        w, h = image.size
        left, top = (w - size) // 2, (h - size) // 2
        array = np.array(image.crop((left, top, left + size, top + size)), dtype=np.uint8)
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


class _Decoder:
    """Decode files, failing with the file name or skipping and counting unreadable ones."""

    def __init__(self, cfg: ImageFolderConfig, input_size: int) -> None:
        """Remember the decode settings."""
        self.size = stored_size(input_size, cfg.crop)
        self.channels = cfg.in_channels
        self.skip = cfg.on_bad_image == "skip"

    def __call__(self, path: Path) -> np.ndarray | None:
        """The decoded image, or None for an unreadable file in skip mode."""
        try:
            return decode(path, size=self.size, channels=self.channels)
        except Exception as exc:  # Pillow raises many types for corrupt or truncated files
            if self.skip:
                log.warning("skipping unreadable image %s (%s)", path, exc)
                return None
            raise DataError(
                f"imagefolder: cannot read image {path} ({type(exc).__name__}: {exc}); fix or "
                "remove it, or set dataset.on_bad_image=skip to leave such files out"
            ) from exc


class ImageFolderDataModule(InMemoryDataModule):
    """A small image folder decoded once into uint8 tensors."""

    name = "imagefolder"

    def __init__(self, cfg: ImageFolderConfig, index: FolderIndex, *, input_size: int) -> None:
        """Prepare the module; images are decoded on first use."""
        super().__init__(input_size=input_size)
        self.cfg, self.index = cfg, index
        self.augment = cfg.augment
        self.crop_pad = crop_pad(input_size, cfg.crop)
        self.crop_size = input_size
        self.num_classes = len(index.classes)
        self.in_channels = cfg.in_channels
        self.skipped: list[str] = []

    def load(self) -> None:
        """Read the decoded images from the cache, or decode them (and cache them)."""
        decoder = _Decoder(self.cfg, self.input_size)
        if self.cfg.cache:
            root = Path(self.cfg.root or ".")
            settings = {"size": decoder.size, "channels": decoder.channels,
                        "on_bad_image": self.cfg.on_bad_image}
            key = folder_key(root, self.index.files, self.index.labels, settings=settings)
            cache_dir = Path(self.cfg.cache_dir) if self.cfg.cache_dir else default_cache_dir()
            arrays, self.skipped = load_or_build(
                cache_dir, key, lambda: self._decode(decoder),
                about={"root": str(root.resolve()), **settings})
        else:
            arrays, self.skipped = self._decode(decoder)
        if self.skipped:
            log.warning("imagefolder: skipped %d unreadable image(s)", len(self.skipped))
        self.set_splits(*(TensorSplit(torch.from_numpy(arrays[f"{s}_images"]),
                                      torch.from_numpy(arrays[f"{s}_labels"]))
                          for s in ("train", "val", "test")))

    def _decode(self, decoder: _Decoder) -> tuple[dict[str, np.ndarray], list[str]]:
        """Decode every image (threads: Pillow releases the GIL while decoding)."""
        arrays: dict[str, np.ndarray] = {}
        skipped: list[str] = []
        total = sum(len(f) for f in self.index.files.values())
        log.info("imagefolder: decoding %d images of %s at %dx%d", total, self.cfg.root,
                 decoder.size, decoder.size)
        with ThreadPoolExecutor(max_workers=max(1, self.cfg.workers)) as pool:
            for split in ("train", "val", "test"):
                files = self.index.files[split]
                decoded = list(pool.map(decoder, files))
                keep = [i for i, a in enumerate(decoded) if a is not None]
                skipped += [str(files[i]) for i, a in enumerate(decoded) if a is None]
                size = decoder.size
                arrays[f"{split}_images"] = (
                    np.stack([decoded[i] for i in keep]) if keep else
                    np.zeros((0, self.in_channels, size, size), dtype=np.uint8))
                arrays[f"{split}_labels"] = self.index.labels[split][keep].astype(np.int64)
        return arrays, skipped


class _FileDataset(Dataset[tuple[torch.Tensor, int] | None]):
    """Files decoded one at a time, in DataLoader workers."""

    def __init__(self, files: list[Path], labels: np.ndarray, decoder: _Decoder) -> None:
        """Index the files."""
        self.files, self.labels, self.decoder = files, labels, decoder

    def __len__(self) -> int:
        """Number of files."""
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int] | None:
        """The decoded image and label (None for a skipped file)."""
        array = self.decoder(self.files[i])
        return None if array is None else (torch.from_numpy(array), int(self.labels[i]))


def _collate(items: list[tuple[torch.Tensor, int] | None]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack the decoded items, leaving out skipped files."""
    kept = [item for item in items if item is not None]
    if not kept:
        return torch.zeros(0, dtype=torch.uint8), torch.zeros(0, dtype=torch.int64)
    return torch.stack([k[0] for k in kept]), torch.tensor([k[1] for k in kept])


class _TransformedLoader:
    """A DataLoader of uint8 batches, transformed batch-wise on the way out."""

    def __init__(self, loader: DataLoader, transform: BatchTransform, *, train: bool) -> None:
        """Wrap `loader`."""
        self.loader, self.transform, self.train = loader, transform, train

    def __len__(self) -> int:
        """Batches per pass."""
        return len(self.loader)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield transformed batches."""
        try:
            for images, labels in self.loader:
                if len(labels):
                    yield self.transform(images, train=self.train), labels
        except DataError as exc:
            # A worker's error comes back with its traceback in the message: keep the sentence.
            lines = [line for line in str(exc).splitlines() if "imagefolder:" in line]
            text = lines[-1].split("DataError: ", 1)[-1] if lines else str(exc)
            raise DataError(text.strip()) from None


class ImageFolderStreamDataModule(DataModule):
    """A large image folder read through a DataLoader with worker processes."""

    name = "imagefolder"

    def __init__(self, cfg: ImageFolderConfig, index: FolderIndex, *, input_size: int) -> None:
        """Prepare the loaders' settings."""
        super().__init__()
        self.cfg, self.index = cfg, index
        self.input_size = input_size
        self.num_classes = len(index.classes)
        self.in_channels = cfg.in_channels
        mean = IMAGENET_MEAN if cfg.in_channels == 3 else (0.5,)
        std = IMAGENET_STD if cfg.in_channels == 3 else (0.25,)
        self.transform = BatchTransform(input_size, mean, std, augment=cfg.augment,
                                        crop_pad=crop_pad(input_size, cfg.crop),
                                        crop_size=input_size)
        self.decoder = _Decoder(cfg, input_size)

    def load(self) -> None:
        """Nothing to load up front: files are read by the loaders."""

    @property
    def n_train(self) -> int:
        """Number of training files."""
        return len(self.index.files["train"])

    def _loader(self, split: str, *, train: bool) -> _TransformedLoader:
        """A DataLoader over one split."""
        dataset = _FileDataset(self.index.files[split], self.index.labels[split], self.decoder)
        generator = torch.Generator().manual_seed(self.seeds[0])
        loader = DataLoader(dataset, batch_size=self.batch_size, shuffle=train,
                            drop_last=train and len(dataset) > self.batch_size,
                            num_workers=self.cfg.workers, collate_fn=_collate,
                            generator=generator, persistent_workers=False,
                            pin_memory=self.device.type == "cuda")
        return _TransformedLoader(loader, self.transform, train=train)

    def train_dataloader(self) -> _TransformedLoader:
        """Shuffled training batches."""
        return self._loader("train", train=True)

    def val_dataloader(self) -> _TransformedLoader:
        """Validation batches."""
        return self._loader("val", train=False)

    def test_dataloader(self) -> _TransformedLoader:
        """Test batches."""
        return self._loader("test", train=False)


def build_image_folder(cfg: ImageFolderConfig, *, input_size: int) -> DataModule:
    """In-memory module for trees whose decoded images fit in cfg.in_memory_bytes, else streaming."""
    index = index_folder(cfg)
    total = sum(len(files) for files in index.files.values())
    if total * cfg.in_channels * stored_size(input_size, cfg.crop) ** 2 <= cfg.in_memory_bytes:
        return ImageFolderDataModule(cfg, index, input_size=input_size)
    return ImageFolderStreamDataModule(cfg, index, input_size=input_size)
