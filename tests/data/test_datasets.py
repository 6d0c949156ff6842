"""Datasets on real data: digits, a tiny real CIFAR-10 in pickle layout, a tiny image folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from realdata import write_cifar_pickles, write_image_folder

from dse.core.config import dataset_config
from dse.training.data import build_data
from dse.training.data._folder import ImageFolderDataModule, ImageFolderStreamDataModule
from dse.training.data._tensor import BatchTransform


def test_digits_split_is_fixed_stratified_and_disjoint() -> None:
    a = build_data({"name": "digits"}, input_size=16)
    b = build_data({"name": "digits"}, input_size=16)
    a.setup(), b.setup()
    sizes = {k: len(v) for k, v in a.splits.items()}
    assert sizes == {"train": 1077, "val": 360, "test": 360}
    assert torch.equal(a.splits["test"].images, b.splits["test"].images)
    counts = torch.bincount(a.splits["val"].labels, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 38  # stratified: ~36 per class
    flat = {k: {bytes(x.numpy()) for x in v.images} for k, v in a.splits.items()}
    # Digits contains a few exact duplicate images, so allow a handful of collisions.
    assert len(flat["train"] & flat["test"]) < 5
    c = build_data({"name": "digits", "split_seed": 1}, input_size=16)
    c.setup()
    assert not torch.equal(a.splits["test"].labels, c.splits["test"].labels)


def test_digits_batches_are_resized_and_normalised() -> None:
    data = build_data({"name": "digits"}, input_size=24)
    data.configure(batch_size=100, seeds=[0])
    images, labels = next(iter(data.train_dataloader()))
    assert images.shape == (100, 1, 24, 24) and images.dtype == torch.float32
    assert abs(float(images.mean())) < 0.2 and 0.6 < float(images.std()) < 1.4
    assert labels.dtype == torch.int64


def test_shuffle_depends_on_seed_and_epoch_only() -> None:
    data = build_data({"name": "digits"}, input_size=16)
    data.configure(batch_size=64, seeds=[5])
    first = [y for _, y in data.train_dataloader()]
    again = [y for _, y in data.train_dataloader()]
    assert all(torch.equal(a, b) for a, b in zip(first, again))  # fresh loader, same epoch 0
    loader = data.train_dataloader()
    epoch0, epoch1 = [y for _, y in loader], [y for _, y in loader]
    assert not torch.equal(epoch0[0], epoch1[0])


def test_random_crop_takes_a_window_of_the_padded_image() -> None:
    images = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6).to(torch.uint8)
    t = BatchTransform(6, (0.0,), (1.0,), augment=True, crop_pad=2, flip=False)
    out = t(images, train=True, generator=torch.Generator().manual_seed(0)) * 255
    padded = torch.nn.functional.pad(images.float(), (2, 2, 2, 2))
    for i in range(2):
        windows = [padded[i, 0, y:y + 6, x:x + 6] for y in range(5) for x in range(5)]
        assert any(torch.allclose(out[i, 0], w, atol=1e-3) for w in windows)


@pytest.mark.slow
def test_cifar10_pickles(tmp_path: Path) -> None:
    root = write_cifar_pickles(tmp_path, 20, 10)
    data = build_data({"name": "cifar10", "root": str(root), "val_size": 50}, input_size=32)
    info = data.describe()
    assert info == {"dataset": "cifar10", "num_classes": 10, "in_channels": 3,
                    "train": 150, "val": 50, "test": 100}
    data.configure(batch_size=32, seeds=[0])
    images, _ = next(iter(data.train_dataloader()))
    assert images.shape == (32, 3, 32, 32)


def test_cifar10_missing_root_says_where_and_what(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"does not exist; expected <root>/cifar-10-batches-py"):
        build_data({"name": "cifar10", "root": str(tmp_path / "nope")}, input_size=32)
    with pytest.raises(FileNotFoundError, match=r"no CIFAR-10 batches found under .*data_batch_1"):
        build_data({"name": "cifar10", "root": str(tmp_path)}, input_size=32)
    with pytest.raises(ValueError, match="dataset.root is not set for cifar10"):
        build_data({"name": "cifar10"}, input_size=32)


@pytest.mark.slow
@pytest.mark.parametrize("held_out", ["val", "test"])
def test_image_folder_in_memory(tmp_path: Path, held_out: str) -> None:
    root = write_image_folder(tmp_path, 10, 4, held_out=held_out, classes=("cat", "dog", "ship"))
    data = build_data({"name": "imagefolder", "root": str(root), "input_size": 24,
                       "val_fraction": 0.2}, input_size=24)
    assert isinstance(data, ImageFolderDataModule)
    assert data.describe() == {"dataset": "imagefolder", "num_classes": 3, "in_channels": 3,
                               "train": 24, "val": 6, "test": 12}
    data.configure(batch_size=8, seeds=[0])
    images, labels = next(iter(data.train_dataloader()))
    assert images.shape == (8, 3, 24, 24) and set(labels.tolist()) <= {0, 1, 2}


@pytest.mark.slow
def test_image_folder_streams_with_workers(tmp_path: Path) -> None:
    root = write_image_folder(tmp_path, 6, 3, classes=("cat", "dog"))
    data = build_data({"name": "imagefolder", "root": str(root), "input_size": 20,
                       "in_memory_bytes": 0, "workers": 2}, input_size=20)
    assert isinstance(data, ImageFolderStreamDataModule)
    data.configure(batch_size=4, seeds=[0])
    seen = sum(len(y) for _, y in data.train_dataloader())
    assert seen == 8  # 10 after the val split, drop_last
    images, labels = next(iter(data.test_dataloader()))
    assert images.shape == (4, 3, 20, 20)
    assert labels.tolist() == [0, 0, 0, 1]  # files in a stable order, labels from folders


@pytest.mark.parametrize("mode", ["memory", "stream"])
def test_pad_crop_keeps_small_images_whole_and_shifts_them_in_training(
        tmp_path: Path, mode: str) -> None:
    """crop=pad (CIFAR style): 32x32 files are stored as they are; evaluation sees each whole
    image, training a window of it after 4 pixels of zero padding."""
    from PIL import Image

    root = write_image_folder(tmp_path, 4, 2, classes=("cat", "dog"))
    path = sorted((root / "val" / "cat").iterdir())[0]
    with Image.open(path) as image:
        pixels = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32))
    limit = 0 if mode == "stream" else 2**30
    data = build_data({"name": "imagefolder", "root": str(root), "input_size": 32,
                       "crop": "pad", "in_memory_bytes": limit, "workers": 0,
                       "cache": False}, input_size=32)
    data.configure(batch_size=4, seeds=[0])
    images, _ = next(iter(data.test_dataloader()))
    # Normalised per channel, the first test image is the file's pixels, affinely mapped.
    first = images[0].permute(1, 2, 0).reshape(-1, 3)
    for c in range(3):
        corr = np.corrcoef(first[:, c].numpy(), pixels.reshape(-1, 3)[:, c].numpy())[0, 1]
        assert corr > 0.9999
    train, _ = next(iter(data.train_dataloader()))
    assert train.shape == (4, 3, 32, 32)
    # Shifted windows bring in rows or columns of zero padding: the normalised value of 0.
    zero = data.transform(torch.zeros(1, 3, 32, 32, dtype=torch.uint8), train=False)[0, :, 0, 0]
    borders = torch.cat([train[:, :, 0, :], train[:, :, -1, :], train[:, :, :, 0],
                         train[:, :, :, -1]], dim=2)
    assert bool(((borders - zero[None, :, None]).abs() < 1e-6).all(dim=1).any())


@pytest.mark.parametrize("mode", ["memory", "stream"])
def test_corrupt_image_is_named(tmp_path: Path, mode: str) -> None:
    root = write_image_folder(tmp_path, 4, 2, classes=("cat", "dog"))
    bad = root / "train" / "dog" / "0001.jpg"
    bad.write_bytes(b"\xff\xd8\xff this is not a jpeg")
    limit = 0 if mode == "stream" else 2**30
    data = build_data({"name": "imagefolder", "root": str(root), "input_size": 16,
                       "in_memory_bytes": limit, "workers": 0, "val_fraction": 0.01,
                       "cache": False},
                      input_size=16)
    data.configure(batch_size=16, seeds=[0])
    with pytest.raises(ValueError, match=r"cannot read image .*dog/0001\.jpg.*on_bad_image=skip"):
        data.setup()
        list(data.train_dataloader())


def test_corrupt_image_skipped_and_counted(tmp_path: Path) -> None:
    root = write_image_folder(tmp_path, 4, 2, classes=("cat", "dog"))
    (root / "train" / "dog" / "0001.jpg").write_bytes(b"garbage")
    data = build_data({"name": "imagefolder", "root": str(root), "input_size": 16,
                       "on_bad_image": "skip", "val_fraction": 0.01}, input_size=16)
    data.setup()
    assert len(data.skipped) == 1 and data.skipped[0].endswith("dog/0001.jpg")
    assert data.n_train == 7
    assert int((data.splits["train"].labels == 1).sum()) == 3  # labels stay with their images


def test_image_folder_layout_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="lacks train/ or val/"):
        build_data({"name": "imagefolder", "root": str(tmp_path)}, input_size=16)
    root = write_image_folder(tmp_path / "r", 2, 1, classes=("cat", "dog"))
    with pytest.raises(ValueError, match="dataset.num_classes=5 but .* has 2 classes"):
        build_data({"name": "imagefolder", "root": str(root), "num_classes": 5}, input_size=16)


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"name": "mnist"}, "unknown dataset 'mnist'; valid: digits, cifar10, imagefolder"),
        ({"name": "digits", "bogus": 1}, "unknown dataset key(s) ['bogus'] for digits"),
        ({"name": "digits", "val_fraction": 1.5}, "dataset.val_fraction must be in (0, 1)"),
        ({"name": "imagefolder", "on_bad_image": "ignore"}, "on_bad_image must be one of error, skip"),
        ({"name": "imagefolder", "crop": "center"}, "dataset.crop must be one of scale, pad"),
    ],
)
def test_bad_dataset_config(values: dict[str, object], needle: str) -> None:
    with pytest.raises(ValueError) as info:
        dataset_config(values)
    assert needle in str(info.value)


def test_labels_are_integers_in_range() -> None:
    data = build_data({"name": "digits"}, input_size=16)
    data.setup()
    labels = np.concatenate([s.labels.numpy() for s in data.splits.values()])
    assert labels.min() == 0 and labels.max() == 9
