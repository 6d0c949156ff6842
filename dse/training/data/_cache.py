"""A folder's decoded images, cached on disk as uint8 arrays keyed by the folder's content.

The key hashes every file's path (relative to the root), size, modification time and label,
the split it belongs to, and the decode settings (stored size, channels, what to do with an
unreadable file): a folder that changes, or another input size, has another key, so a cache
is never reused for data it was not built from. Each entry is a directory
`<cache_dir>/<key>/` holding one `.npy` per array and a `manifest.json` with the key, the
arrays' shapes and a BLAKE2 digest of each file; an entry whose manifest, shapes or digests
do not match is rebuilt with one log line, never trusted. Entries are written to a temporary
directory and renamed into place, so a reader sees a whole entry or none; building one removes
the older entries of the same root and settings (the folder changed).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["CACHE_VERSION", "default_cache_dir", "folder_key", "load_or_build"]

log = logging.getLogger(__name__)
CACHE_VERSION = 1  # bump when the decoding changes what a cached array holds
SPLITS = ("train", "val", "test")
Arrays = dict[str, np.ndarray]  # "<split>_images" (N, C, H, W) uint8, "<split>_labels" (N,)


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/dse/folders, or ~/.cache/dse/folders: outside any data root."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dse" / "folders"


def folder_key(root: Path, files: dict[str, list[Path]], labels: dict[str, np.ndarray],
               *, settings: dict[str, object]) -> str:
    """The hash of what the cached arrays are decoded from (see the module docstring)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps({"version": CACHE_VERSION, **settings}, sort_keys=True).encode())
    for split in SPLITS:
        for path, label in zip(files[split], labels[split].tolist(), strict=True):
            stat = path.stat()
            digest.update(f"{split}\0{path.relative_to(root)}\0{stat.st_size}\0"
                          f"{stat.st_mtime_ns}\0{label}\n".encode())
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    """BLAKE2 digest of a file's bytes."""
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read(entry: Path, key: str) -> tuple[Arrays, list[str]]:
    """The arrays and skipped files of a cache entry; ValueError when it does not check out."""
    manifest = json.loads((entry / "manifest.json").read_text())
    if manifest.get("key") != key or manifest.get("version") != CACHE_VERSION:
        raise ValueError("its manifest is for other data")
    arrays = {}
    for name, meta in manifest["arrays"].items():
        path = entry / f"{name}.npy"
        if _file_digest(path) != meta["digest"]:
            raise ValueError(f"{path.name} does not match its digest")
        array = np.load(path, allow_pickle=False)
        if list(array.shape) != meta["shape"] or str(array.dtype) != meta["dtype"]:
            raise ValueError(f"{path.name} has shape {array.shape} {array.dtype}, expected "
                             f"{meta['shape']} {meta['dtype']}")
        arrays[name] = array
    return arrays, list(manifest.get("skipped", []))


def _write(cache_dir: Path, key: str, arrays: Arrays, skipped: list[str],
           about: dict[str, object]) -> None:
    """Write an entry atomically (temporary directory, then rename) and drop stale siblings."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache_dir))
    try:
        meta = {}
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", array, allow_pickle=False)
            meta[name] = {"shape": list(array.shape), "dtype": str(array.dtype),
                          "digest": _file_digest(tmp / f"{name}.npy")}
        manifest = {"key": key, "version": CACHE_VERSION, "arrays": meta, "skipped": skipped,
                    **about}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
        entry = cache_dir / key
        if entry.exists():  # a corrupt entry being replaced
            shutil.rmtree(entry, ignore_errors=True)
        try:
            os.replace(tmp, entry)
        except OSError:
            if not entry.is_dir():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process wrote it first: theirs
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _drop_stale(cache_dir, key, about)


def _drop_stale(cache_dir: Path, key: str, about: dict[str, object]) -> None:
    """Remove entries of the same root and settings built from an older state of the folder."""
    for other in cache_dir.iterdir():
        if other.name == key or other.name.startswith(".") or not other.is_dir():
            continue
        try:
            manifest = json.loads((other / "manifest.json").read_text())
        except (OSError, ValueError):
            continue
        if all(manifest.get(k) == v for k, v in about.items()):
            shutil.rmtree(other, ignore_errors=True)
            log.info("imagefolder cache: removed %s (built from an older state of %s)",
                     other.name, about.get("root"))


def load_or_build(cache_dir: Path, key: str, build: Callable[[], tuple[Arrays, list[str]]],
                  *, about: dict[str, object]) -> tuple[Arrays, list[str]]:
    """The cached arrays of `key`, or build them (and cache them) when missing or bad.

    Args:
        cache_dir: the cache's folder (created when missing).
        key: from folder_key.
        build: decodes the folder: arrays and the files it skipped.
        about: what the entry is of (root, settings); entries equal in these are stale
            siblings of a new one.

    Returns:
        The arrays and the skipped files.
    """
    entry = cache_dir / key
    if entry.is_dir():
        try:
            return _read(entry, key)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("imagefolder cache %s is unusable (%s): decoding again", entry, exc)
    arrays, skipped = build()
    try:
        _write(cache_dir, key, arrays, skipped, about)
    except OSError as exc:  # an unwritable cache slows later runs but stops nothing
        log.warning("imagefolder cache: cannot write %s (%s); continuing without it", entry, exc)
    return arrays, skipped
