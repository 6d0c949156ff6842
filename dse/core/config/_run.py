"""The whole run configuration: every config node typed, validated in one call.

`run_config(values)` turns the composed config (plain dicts) into a frozen RunConfig or raises
one ValueError naming the key, the value and the rule; nothing is opened, stored or trained.
Pure Python: it must not import torch, Optuna, Lightning, SQLAlchemy or Hydra.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from dse.core.config import _nodes as nodes
from dse.core.config._compression import CompressConfig, compress_config
from dse.core.config._datasets import (
    ADDED_DATASET_KEYS,
    NON_RESULT_DATASET_KEYS,
    DatasetConfig,
    ImageFolderConfig,
    dataset_config,
    folder_layout,
)
from dse.core.config._sweep import sweep_config
from dse.core.config._train import NON_RESULT_TRAIN_KEYS, TrainConfig, train_config
from dse.core.records import ArchRecord, ResultRecord, arch_record
from dse.core.spec import ArchSpec
from dse.core.sweep import SweepSpec, stable_hash
from dse.core.typed import (
    from_mapping,
    require,
    require_int,
)

__all__ = ["RunConfig", "RunTarget", "run_config", "run_target"]

@dataclass(frozen=True)
class RunConfig:
    """Everything a study run needs, typed and validated."""

    arch: ArchSpec  # the base network (a sweep overrides some keys per point)
    dataset: DatasetConfig
    train: TrainConfig
    sampler: nodes.SamplerConfig
    storage: nodes.StorageConfig
    study: nodes.StudyConfig
    sweep: SweepSpec
    artifacts: nodes.ArtifactsConfig = nodes.ArtifactsConfig()
    latency: nodes.LatencyConfig = nodes.LatencyConfig()
    compress: CompressConfig = CompressConfig()

    def __post_init__(self) -> None:
        """Check what one node asks of another: compression starts from kept weights."""
        if "compressed_mb" in self.sweep.objectives:
            require(self.compress.enabled, "sweep.objectives has compressed_mb, which needs "
                                           "compress.enabled=true")
        if self.study.pruner == "size_aware":
            require(self.sweep.kind == "search" and len(self.sweep.objectives) > 1,
                    "study.pruner=size_aware judges a multi-objective search (its trials by "
                    "size); for one objective use median or hyperband")
        elif self.study.pruner != "none":
            require(len(self.sweep.directions) == 1,
                    f"study.pruner={self.study.pruner} takes one objective (Optuna's pruners "
                    "do); for a multi-objective search use size_aware")
        require(self.study.budgets is None or self.sweep.kind == "grid",
                "study.budgets applies to grid sweeps; a search trains every trial for "
                "train.epochs (set study.budgets=null)")
        if self.compress.enabled:
            require(self.artifacts.keep, "compress.enabled=true needs artifacts.keep=true: "
                                         "compression starts from each trial's kept weights")

    @property
    def storage_url(self) -> str:
        """The database URL."""
        return self.storage.url

    @property
    def study_name(self) -> str:
        """study.name, or <sweep>-<dataset> by default."""
        return nodes.study_name(self.study, self.sweep.name, self.dataset.name)

    @property
    def dataset_key(self) -> str:
        """Name and hash of the data config (part of the dedupe identity of a result)."""
        return f"{self.dataset.name}:{stable_hash(self.dataset_identity())}"

    def dataset_identity(self) -> dict[str, Any]:
        """The dataset keys that change what a run measures (not how the data are read)."""
        return {k: v for k, v in asdict(self.dataset).items() if k not in NON_RESULT_DATASET_KEYS
                and not (k in ADDED_DATASET_KEYS and ADDED_DATASET_KEYS[k] == v)}

    @property
    def train_hash(self) -> str:
        """Hash of the training keys that change results."""
        values = {k: v for k, v in asdict(self.train).items() if k not in NON_RESULT_TRAIN_KEYS}
        return stable_hash(values)

    def definition(self) -> dict[str, Any]:
        """What makes two runs the same study: sweep, base network, data, training, seeds."""
        return {
            "sweep": self.sweep.definition(), "arch": self.arch.to_dict(),
            "dataset": self.dataset_identity(), "train": self.train_hash,
            "seeds": self.study.seeds if self.sweep.kind == "grid" else 1,
            "budget": [self.study.max_size_mb, self.study.max_macs],
        }

    def output_dir(self) -> Path:
        """Folder of this study's outputs (report, figures, CSV)."""
        return Path(self.study.output_dir) / self.study_name

    @property
    def artifact_location(self) -> str | None:
        """Where trained weights go (a URL or an absolute folder), or None when not kept."""
        return self.artifacts.location(self.study.output_dir) if self.artifacts.keep else None

    @property
    def measures_latency(self) -> bool:
        """Whether workers measure each trained architecture's latency."""
        return self.latency.measure or "latency_ms" in self.sweep.objectives

    def arch_for(self, point: dict[str, Any]) -> ArchSpec:
        """The network of one point of the sweep."""
        return self.sweep.arch_for(self.arch.to_dict(), point)

    @property
    def budgets(self) -> tuple[int, ...]:
        """The training budgets (epochs) each grid item runs at, smallest first."""
        return tuple(sorted(self.study.budgets or (self.train.epochs,)))

    def at_budget(self, budget: int | None) -> RunConfig:
        """This run with training for `budget` epochs: a full schedule of its own (decay over
        the budget, warm-up scaled to it), so its results and their reuse identity are the
        budget's. None or train.epochs: this run unchanged."""
        if budget is None or budget == self.train.epochs:
            return self
        warmup = round(self.train.warmup_epochs * budget / self.train.epochs)
        return replace(self, train=replace(self.train, epochs=budget, warmup_epochs=warmup))

    def result_budget(self, result: ResultRecord) -> int:
        """The budget a stored result belongs to (one stored before budgets existed was
        trained for train.epochs)."""
        return result.budget if result.budget is not None else self.train.epochs

    def grid_items(self) -> list[tuple[dict[str, Any], int, int]]:
        """Every (point, seed, budget) of a grid sweep, in order: budget by budget (the
        cheapest first), point by point."""
        return [(p, s, b) for b in self.budgets for p in self.sweep.points()
                for s in range(self.study.seeds)]

    def seed_group(self) -> int:
        """Seeds of one point trained together: all of a grid point's, unless batching is off.

        Search sweeps sample one seed per point, and a pruner judges each trial's own curve
        after every epoch, so both train one seed at a time. With seed_batching=auto this is
        the group a run measures; the run then sets true or false (dse.search).
        """
        if self.sweep.kind != "grid" or not self.study.seed_batching or \
                self.study.pruner != "none":
            return 1
        return self.study.seeds

    def total(self) -> int:
        """Items the sweep runs: grid (point, seed) pairs, or search trials."""
        return len(self.grid_items()) if self.sweep.kind == "grid" else self.sweep.n_trials

    def input_sizes(self) -> list[int]:
        """The input sizes the sweep's networks take."""
        if self.sweep.kind == "grid":
            return sorted({self.arch_for(p).input_size for p in self.sweep.points()})
        return [self.arch_for({}).input_size]


def _check_space(sweep: SweepSpec, base: dict[str, Any]) -> None:
    """Every bound and choice of a search space must give a valid network on its own."""
    base = {**base, **sweep.fixed}
    for name, param in sweep.space.items():
        if param.choices is not None:
            values = [("choices", v) for v in param.choices]
        else:
            values = [("low", param.low), ("high", param.high)]
            if param.integer:
                for end, value in values + [("step", param.step)]:
                    require_int(f"sweep.space.{name}.{end}", value, minimum=0,
                                optional=end == "step")
            if param.log:
                require(param.low is not None and param.low > 0,
                        f"sweep.space.{name}.low must be > 0 for a log range, got {param.low!r}")
        for end, value in values:
            try:
                ArchSpec.from_dict({**base, name: value})
            except ValueError as exc:
                raise ValueError(f"sweep.space.{name}.{end}={value!r} is not a valid network: "
                                 f"{exc}") from None


def _resolve_classes(arch: dict[str, Any], dataset: DatasetConfig) -> dict[str, Any]:
    """arch.num_classes from the data when it is null (an image folder's class folders)."""
    if arch.get("num_classes") is not None:
        return arch
    if isinstance(dataset, ImageFolderConfig):
        return {**arch, "num_classes": len(folder_layout(dataset).classes)}
    return {**arch, "num_classes": dataset.num_classes}


def run_config(values: dict[str, Any]) -> RunConfig:
    """Convert the composed, resolved config into a RunConfig, validating every group.

    Every grid point's network is expanded (so a too-small input fails here), every bound and
    choice of a search space is checked against the metaparameter rules, and an image folder's
    layout is checked; nothing is opened or written.

    Args:
        values: the composed config as plain containers (arch, dataset, train, sampler,
            storage, study, sweep).

    Returns:
        The RunConfig.

    Raises:
        ValueError: a bad key or value, naming it and what is allowed.
        FileNotFoundError: a dataset root that does not exist or lacks the expected layout.
    """
    dataset = dataset_config(dict(values["dataset"]))
    arch = _resolve_classes(dict(values["arch"]), dataset)
    sweep = sweep_config(dict(values["sweep"]), arch)  # a claims sweep's points need the arch
    cfg = RunConfig(
        arch=ArchSpec.from_dict(arch), dataset=dataset,
        train=train_config(dict(values["train"])),
        sampler=from_mapping(nodes.SamplerConfig, dict(values["sampler"]), node="sampler"),
        storage=from_mapping(nodes.StorageConfig, dict(values["storage"]), node="storage"),
        study=from_mapping(nodes.StudyConfig, dict(values["study"]), node="study"),
        sweep=sweep,
        artifacts=from_mapping(nodes.ArtifactsConfig, dict(values.get("artifacts") or {}),
                               node="artifacts"),
        latency=from_mapping(nodes.LatencyConfig, dict(values.get("latency") or {}), node="latency"),
        compress=compress_config(dict(values.get("compress") or {})),
    )
    if sweep.kind == "grid":
        archs = [arch_record(cfg.arch_for(p)) for p in sweep.points()]
        if all(cfg.study.budget_violation(a) for a in archs):
            _no_point_fits(cfg.study, archs)
    else:
        _check_space(sweep, cfg.arch.to_dict())
        arch_record(cfg.arch_for({}))  # the input size suits the pooling stack
    return cfg


def _no_point_fits(study: nodes.StudyConfig, archs: list[ArchRecord]) -> None:
    """Refuse a grid in which no point meets the size or MAC budget."""
    smallest = min(archs, key=lambda a: a.size_bytes)
    raise ValueError(
        f"no grid point meets the budget (study.max_size_mb={study.max_size_mb}, "
        f"study.max_macs={study.max_macs}): the smallest network is "
        f"{smallest.size_mb:.3f} MB with {smallest.macs:,} MACs")


@dataclass(frozen=True)
class RunTarget:
    """Where a run's results are: what the report and the dashboard need, and no more."""

    storage_url: str
    study_name: str
    output_dir: Path


def run_target(values: dict[str, Any]) -> RunTarget:
    """The storage, study name and output folder of a composed config (nothing else is read)."""
    study = from_mapping(nodes.StudyConfig, dict(values["study"]), node="study")
    storage = from_mapping(nodes.StorageConfig, dict(values["storage"]), node="storage")
    name = nodes.study_name(study, str(values["sweep"]["name"]), str(values["dataset"]["name"]))
    return RunTarget(storage.url, name, Path(study.output_dir) / name)

