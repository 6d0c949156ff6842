"""Real images for tests: a subset of the shared CIFAR-10 JPEG archive, as folders or pickles."""

from __future__ import annotations

import io
import pickle
import tarfile
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CIFAR_TAR = ROOT.parent / "shared" / "data" / "cifar10-jpg.tar.gz"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@lru_cache(maxsize=4)
def cifar_jpegs(per_class_train: int, per_class_test: int) -> dict[str, dict[str, list[bytes]]]:
    """The first N JPEG files per class of each split, as bytes: {split: {class: [bytes]}}."""
    if not CIFAR_TAR.is_file():
        raise FileNotFoundError(f"the shared CIFAR-10 archive is missing: {CIFAR_TAR}")
    want = {"train": per_class_train, "test": per_class_test}
    found: dict[str, dict[str, list[bytes]]] = {s: defaultdict(list) for s in want}
    with tarfile.open(CIFAR_TAR, "r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 3 or parts[0] not in want:
                continue
            split, cls, _ = parts
            if len(found[split][cls]) < want[split]:
                handle = tar.extractfile(member)
                assert handle is not None
                found[split][cls].append(handle.read())
            if all(len(found[s][c]) >= want[s] for s in want for c in CLASSES):
                break
    return {s: dict(v) for s, v in found.items()}


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
