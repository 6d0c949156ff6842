"""Typed run configuration, converted once at the boundary, and provenance of results."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from dse.data import DataModule, build_data, dataset_config
from dse.search._samplers import make_sampler
from dse.spec import ArchSpec
from dse.sweep import SweepSpec, stable_hash
from dse.train import TrainConfig, resolve_device, train_config
from dse.typed import from_mapping

__all__ = ["RunConfig", "StudyConfig", "provenance", "run_config"]

# Training keys that do not change what a run measures (they do not enter the dedupe hash).
NON_RESULT_TRAIN_KEYS = ("threads", "progress")
PRUNER_NAMES = ("none", "median", "hyperband")  # keys of dse.search._samplers.PRUNERS


@dataclass(frozen=True)
class StudyConfig:
    """Keys of the `study` config node."""

    name: str | None = None
    seeds: int = 3
    workers: int = 1
    worker_index: int = 0
    max_size_mb: float | None = None
    max_macs: int | None = None
    pruner: str = "none"
    max_retries: int = 2
    heartbeat_s: int = 10
    report: bool = True
    output_dir: str = "studies"

    def __post_init__(self) -> None:
        """Validate counts and budgets."""
        for key, minimum in (("seeds", 1), ("workers", 1), ("max_retries", 0), ("heartbeat_s", 1)):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise ValueError(f"study.{key} must be an integer >= {minimum}, got {value!r}")
        for key in ("max_size_mb", "max_macs"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, (int, float)) or value <= 0):
                raise ValueError(f"study.{key} must be null or a number > 0, got {value!r}")
        if self.pruner not in PRUNER_NAMES:
            raise ValueError(
                f"study.pruner must be one of {', '.join(PRUNER_NAMES)}, got {self.pruner!r}")
        if self.name is not None and (not isinstance(self.name, str) or not self.name.strip()
                                      or "/" in self.name):
            raise ValueError(f"study.name must be a non-empty name without '/', got {self.name!r}")


@dataclass(frozen=True)
class RunConfig:
    """Everything a study run needs, typed and validated."""

    arch: dict[str, Any]  # base arch keys (the sweep overrides some)
    dataset: dict[str, Any]
    train: TrainConfig
    sampler: dict[str, Any]
    storage_url: str
    study: StudyConfig
    sweep: SweepSpec
    _data: dict[int, DataModule] = field(default_factory=dict, compare=False, repr=False)

    @property
    def study_name(self) -> str:
        """study.name, or <sweep>-<dataset> by default."""
        return self.study.name or f"{self.sweep.name}-{self.dataset['name']}"

    @property
    def dataset_key(self) -> str:
        """Name and hash of the data config (part of the dedupe identity of a result)."""
        return f"{self.dataset['name']}:{stable_hash(self.dataset)}"

    @property
    def train_hash(self) -> str:
        """Hash of the training keys that change results."""
        values = {k: v for k, v in asdict(self.train).items() if k not in NON_RESULT_TRAIN_KEYS}
        return stable_hash(values)

    def definition(self) -> dict[str, Any]:
        """What makes two runs the same study: sweep, base network, data, training, seeds."""
        return {
            "sweep": self.sweep.definition(), "arch": self.arch, "dataset": self.dataset,
            "train": self.train_hash, "seeds": self.study.seeds if self.sweep.kind == "grid" else 1,
            "budget": [self.study.max_size_mb, self.study.max_macs],
        }

    def output_dir(self) -> Path:
        """Folder of this study's outputs (report, figures, CSV)."""
        return Path(self.study.output_dir) / self.study_name

    def points_archs(self) -> list[tuple[dict[str, Any], ArchSpec]]:
        """Every grid point with its validated network (raises on the first invalid one)."""
        return [(point, self.sweep.arch_for(self.arch, point)) for point in self.sweep.points()]

    def data_for(self, input_size: int) -> DataModule:
        """The data module at `input_size` (one per size, cached for the whole run)."""
        if input_size not in self._data:
            self._data[input_size] = build_data(self.dataset, input_size=input_size)
        return self._data[input_size]


def run_config(values: dict[str, Any]) -> RunConfig:
    """Convert the composed, resolved config into typed objects, validating every part.

    Invalid metaparameters of any grid point raise here, before any training.
    """
    dataset_config(values["dataset"])  # validates the dataset keys
    arch = dict(values["arch"])
    if arch.get("num_classes") is None:  # e.g. an image folder: count its class folders
        probe = build_data(dict(values["dataset"]), input_size=int(arch.get("input_size") or 32))
        arch["num_classes"] = probe.num_classes
    cfg = RunConfig(
        arch=arch,
        dataset=dict(values["dataset"]),
        train=train_config(dict(values["train"])),
        sampler=dict(values["sampler"]),
        storage_url=str(values["storage"]["url"]),
        study=from_mapping(StudyConfig, values["study"], node="study"),
        sweep=SweepSpec.from_dict(dict(values["sweep"])),
    )
    ArchSpec.from_dict(cfg.arch)
    resolve_device(cfg.train.accelerator)
    cfg.points_archs()
    if cfg.sweep.kind == "search":
        make_sampler(cfg.sampler)  # unknown names and options fail here, before any storage
    return cfg


@cache
def provenance() -> dict[str, Any]:
    """Git commit of the project and library versions, recorded with every result."""
    from importlib.metadata import PackageNotFoundError, version

    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    versions = {"python": platform.python_version()}
    for package in ("torch", "pytorch-lightning", "optuna", "sqlalchemy", "dse"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return {"git_commit": commit or os.environ.get("DSE_GIT_COMMIT"), "versions": versions}
