"""The image-folder cache on a real fixture folder: built once, reused, invalidated, rebuilt."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from realdata import write_image_folder

from dse.training.data import build_data

CLASSES = ("cat", "dog", "ship")


def _load(root: Path, where: Path, **keys: Any):  # type: ignore[no-untyped-def]
    """A set-up in-memory module of the folder, its cache under `cache`."""
    data = build_data({"name": "imagefolder", "root": str(root), "input_size": 16,
                       "workers": 2, "cache_dir": str(where), **keys}, input_size=16)
    data.setup()
    return data


def _entries(cache: Path) -> list[Path]:
    """The cache's entries (no temporary folders)."""
    return sorted(p for p in cache.iterdir() if not p.name.startswith(".")) \
        if cache.exists() else []


def _same(a: Any, b: Any) -> bool:
    """Whether two modules hold equal splits."""
    return all(torch.equal(a.splits[s].images, b.splits[s].images) and
               torch.equal(a.splits[s].labels, b.splits[s].labels) for s in a.splits)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A real folder of CIFAR-10 JPEGs: 3 classes, 8 train and 2 test images each."""
    return write_image_folder(tmp_path / "data", 8, 2, held_out="test", classes=CLASSES)


def test_a_folder_is_decoded_once_then_read_from_the_cache(
        folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "cache"
    with caplog.at_level(logging.INFO, logger="dse.training.data"):
        first = _load(folder, cache)
    assert "decoding 30 images" in caplog.text
    (entry,) = _entries(cache)
    assert {p.name for p in entry.iterdir()} >= {"manifest.json", "train_images.npy"}
    caplog.clear()
    stamp = entry.stat().st_mtime_ns
    with caplog.at_level(logging.INFO, logger="dse.training.data"):
        second = _load(folder, cache)
    assert "decoding" not in caplog.text and caplog.records == []
    assert _same(first, second) and entry.stat().st_mtime_ns == stamp
    assert not (folder / "cache").exists() and not any(folder.rglob("*.npy"))  # data root clean


def test_a_changed_folder_is_decoded_again_and_its_old_entry_dropped(
        folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "cache"
    before = _load(folder, cache)
    (old,) = _entries(cache)
    image = folder / "train" / "cat" / "0000.jpg"
    image.write_bytes((folder / "train" / "dog" / "0000.jpg").read_bytes())  # new content
    os.utime(image, ns=(image.stat().st_atime_ns, image.stat().st_mtime_ns + 10**9))
    with caplog.at_level(logging.INFO, logger="dse.training.data"):
        after = _load(folder, cache)
    assert "decoding 30 images" in caplog.text
    (new,) = _entries(cache)  # the stale entry of the same folder and settings is gone
    assert new.name != old.name and not _same(before, after)
    other_size = build_data({"name": "imagefolder", "root": str(folder), "input_size": 24,
                             "cache_dir": str(cache)}, input_size=24)
    other_size.setup()
    assert len(_entries(cache)) == 2  # another input size is another entry, kept beside it


@pytest.mark.parametrize("damage", ["array", "manifest", "missing"])
def test_a_corrupt_entry_is_rebuilt_with_one_log_line_never_trusted(
        folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str) -> None:
    cache = tmp_path / "cache"
    good = _load(folder, cache)
    (entry,) = _entries(cache)
    array = entry / "train_images.npy"
    if damage == "array":  # same length, other bytes: only the digest can tell
        blob = bytearray(array.read_bytes())
        blob[-1] ^= 0xFF
        array.write_bytes(bytes(blob))
    elif damage == "manifest":
        (entry / "manifest.json").write_text("{not json")
    else:
        array.unlink()
    with caplog.at_level(logging.INFO, logger="dse.training.data"):
        again = _load(folder, cache)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "unusable" in warnings[0].getMessage()
    assert _same(good, again)
    with caplog.at_level(logging.INFO, logger="dse.training.data"):
        caplog.clear()
        _load(folder, cache)
    assert caplog.records == []  # the rebuilt entry is good


def test_the_cache_can_be_turned_off_and_its_location_is_the_users(
        folder: Path, tmp_path: Path) -> None:
    _load(folder, tmp_path / "off", cache=False)
    assert not (tmp_path / "off").exists()
    data = build_data({"name": "imagefolder", "root": str(folder), "input_size": 16},
                      input_size=16)
    data.setup()  # the default location: $XDG_CACHE_HOME/dse/folders (a temporary one here)
    assert _entries(Path(os.environ["XDG_CACHE_HOME"]) / "dse" / "folders")


def test_bad_cache_settings_are_one_line_errors(folder: Path) -> None:
    for key, value, message in (("cache", "yes", "dataset.cache must be"),
                                ("cache_dir", "", "dataset.cache_dir must be a folder path"),
                                ("in_memory_bytes", -1, "dataset.in_memory_bytes must be")):
        with pytest.raises(ValueError, match=message):
            build_data({"name": "imagefolder", "root": str(folder), key: value}, input_size=16)
