"""In-memory datasets as uint8 tensors, batched by slicing: no per-sample Python per step."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["BatchTransform", "StackedBatches", "TensorBatches", "TensorSplit", "channel_stats"]


@dataclass
class TensorSplit:
    """Images (N, C, H, W) uint8 and labels (N,) int64 of one split."""

    images: torch.Tensor
    labels: torch.Tensor

    def __post_init__(self) -> None:
        """Check that images and labels line up."""
        if self.images.shape[0] != self.labels.shape[0]:
            raise ValueError(
                f"{self.images.shape[0]} images but {self.labels.shape[0]} labels in one split"
            )

    def __len__(self) -> int:
        """Number of examples."""
        return int(self.labels.shape[0])

    def to(self, device: torch.device | str) -> TensorSplit:
        """The same split on `device`."""
        return TensorSplit(self.images.to(device), self.labels.to(device))


@dataclass(frozen=True)
class BatchTransform:
    """uint8 batch -> normalised float batch at the network's input size, with augmentation.

    Training batches get a random crop (after zero padding of `crop_pad` pixels, or from a
    stored image larger than `crop_size`) and a random horizontal flip, vectorised over the
    batch; evaluation batches get the centre crop. The crop is then resized to `input_size`.
    """

    input_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    augment: bool = False
    crop_pad: int = 0  # zero padding before the random crop (CIFAR style)
    crop_size: int | None = None  # side of the (random or centre) crop; None = whole image
    flip: bool = True

    def __call__(self, images: torch.Tensor, *, train: bool, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
        """Apply the transform to a uint8 batch."""
        x = images.float().div_(255.0)
        if train and self.augment:
            x = self._random_crop(x, generator)
            if self.flip:
                mask = torch.rand(x.shape[0], generator=generator, device="cpu").to(x.device) < 0.5
                x = torch.where(mask[:, None, None, None], x.flip(3), x)
        else:
            x = self._center_crop(x)
        if x.shape[-1] != self.input_size or x.shape[-2] != self.input_size:
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear",
                              align_corners=False, antialias=x.shape[-1] > self.input_size)
        mean = torch.tensor(self.mean, device=x.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, -1, 1, 1)
        return x.sub_(mean).div_(std)

    def _crop_size(self, stored: int) -> int:
        """Side of the crop taken from a stored image (the whole image when crop_size is None)."""
        return stored if self.crop_size is None else min(self.crop_size, stored)

    def _center_crop(self, x: torch.Tensor) -> torch.Tensor:
        """Crop the centre square of crop_size pixels."""
        size = self._crop_size(x.shape[-1])
        top = (x.shape[-2] - size) // 2
        left = (x.shape[-1] - size) // 2
        return x[..., top:top + size, left:left + size]

    def _random_crop(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Per-example random crop, by gathering shifted index grids (no Python loop)."""
        size = self._crop_size(x.shape[-1])
        if self.crop_pad:
            x = F.pad(x, (self.crop_pad,) * 4)
        n, _, h, w = x.shape
        if size == h and size == w:
            return x
        oy = torch.randint(0, h - size + 1, (n,), generator=generator).to(x.device)
        ox = torch.randint(0, w - size + 1, (n,), generator=generator).to(x.device)
        ar = torch.arange(size, device=x.device)
        rows = (oy[:, None] + ar)[:, :, None]  # (n, size, 1)
        cols = (ox[:, None] + ar)[:, None, :]  # (n, 1, size)
        batch = torch.arange(n, device=x.device)[:, None, None]
        return x.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


class TensorBatches:
    """An iterable of (images, labels) batches sliced from a TensorSplit.

    Shuffled with a generator seeded by (seed, epoch) when `shuffle`, so runs repeat exactly.
    """

    def __init__(self, split: TensorSplit, transform: BatchTransform, *, batch_size: int,
                 train: bool, seed: int = 0, drop_last: bool = False) -> None:
        """Batch `split` with `transform`."""
        self.split = split
        self.transform = transform
        self.batch_size = batch_size
        self.train = train
        self.seed = seed
        self.drop_last = drop_last and len(split) > batch_size
        self.epoch = 0

    def __len__(self) -> int:
        """Batches per pass."""
        n = len(self.split)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield the batches of one pass (a new shuffle each pass when training)."""
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        self.epoch += 1
        n = len(self.split)
        order = torch.randperm(n, generator=generator) if self.train else None
        if order is not None:
            order = order.to(self.split.images.device)
        for i in range(len(self)):
            lo, hi = i * self.batch_size, min((i + 1) * self.batch_size, n)
            if order is None:
                images, labels = self.split.images[lo:hi], self.split.labels[lo:hi]
            else:
                idx = order[lo:hi]
                images, labels = self.split.images[idx], self.split.labels[idx]
            yield self.transform(images, train=self.train, generator=generator), labels


class StackedBatches:
    """K batch streams (one per seed) as one: images side by side on the channel axis.

    Yields images (batch, K * C, H, W), copy k's in channels [k*C, (k+1)*C), and labels
    (batch, K); every stream must give batches of one size (training drops the last).
    """

    def __init__(self, streams: list[TensorBatches]) -> None:
        """Stack `streams`."""
        self.streams = streams

    def __len__(self) -> int:
        """Batches per pass."""
        return len(self.streams[0])

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield the stacked batches of one pass."""
        for parts in zip(*self.streams, strict=True):
            yield torch.cat([p[0] for p in parts], 1), torch.stack([p[1] for p in parts], 1)


def channel_stats(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of uint8 images scaled to [0, 1]."""
    x = images.float().div(255.0).transpose(0, 1).reshape(images.shape[1], -1)
    std = x.std(dim=1).clamp_min(1e-3)
    return tuple(x.mean(dim=1).tolist()), tuple(std.tolist())
