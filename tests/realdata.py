"""Real images for tests: CIFAR-10 JPEGs committed under tests/fixtures, as folders or pickles."""

from __future__ import annotations

import io
import pickle
from functools import lru_cache
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "cifar10-mini"
FIXTURE_COUNTS = {"train": 20, "test": 10}  # files per class in each split of the fixture
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@lru_cache(maxsize=4)
def cifar_jpegs(per_class_train: int, per_class_test: int) -> dict[str, dict[str, list[bytes]]]:
    """The first N JPEG files per class of each split, as bytes: {split: {class: [bytes]}}."""
    want = {"train": per_class_train, "test": per_class_test}
    if any(not 0 <= want[s] <= FIXTURE_COUNTS[s] for s in want):
        raise ValueError(
            f"asked for {per_class_train} train and {per_class_test} test images per class, but "
            f"the fixture {FIXTURE} holds {FIXTURE_COUNTS['train']} train and "
            f"{FIXTURE_COUNTS['test']} test images per class")
    found: dict[str, dict[str, list[bytes]]] = {}
    for split, count in want.items():
        found[split] = {}
        for cls in CLASSES:
            files = sorted((FIXTURE / split / cls).glob("*.jpg"))
            if len(files) != FIXTURE_COUNTS[split]:
                raise FileNotFoundError(f"{FIXTURE / split / cls} should hold "
                                        f"{FIXTURE_COUNTS[split]} .jpg files, found {len(files)}")
            found[split][cls] = [f.read_bytes() for f in files[:count]]
    return found


def write_image_folder(dest: Path, per_class_train: int, per_class_test: int, *,
                       held_out: str = "val", classes: tuple[str, ...] = CLASSES) -> Path:
    """Write root/train/<class>/*.jpg and root/<held_out>/<class>/*.jpg; return root."""
    data = cifar_jpegs(per_class_train, per_class_test)
    for split, out_split in (("train", "train"), ("test", held_out)):
        for cls in classes:
            folder = dest / out_split / cls
            folder.mkdir(parents=True, exist_ok=True)
            for i, blob in enumerate(data[split][cls]):
                (folder / f"{i:04d}.jpg").write_bytes(blob)
    return dest


def write_cifar_pickles(dest: Path, per_class_train: int, per_class_test: int) -> Path:
    """Write a tiny real CIFAR-10 in the python-pickle layout under dest/cifar-10-batches-py."""
    from PIL import Image

    data = cifar_jpegs(per_class_train, per_class_test)

    def arrays(split: str) -> tuple[np.ndarray, list[int]]:
        rows, labels = [], []
        for label, cls in enumerate(CLASSES):
            for blob in data[split][cls]:
                image = np.asarray(Image.open(io.BytesIO(blob)).convert("RGB"), dtype=np.uint8)
                rows.append(image.transpose(2, 0, 1).reshape(-1))
                labels.append(label)
        return np.stack(rows), labels

    folder = dest / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    train, train_labels = arrays("train")
    for i, chunk in enumerate(np.array_split(np.arange(len(train_labels)), 5), start=1):
        batch = {b"data": train[chunk], b"labels": [train_labels[j] for j in chunk]}
        (folder / f"data_batch_{i}").write_bytes(pickle.dumps(batch))
    test, test_labels = arrays("test")
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": test, b"labels": test_labels}))
    return dest
