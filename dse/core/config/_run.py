"""The whole run configuration: every config group typed, validated in one call.

`run_config(values)` turns the composed config (plain dicts) into a frozen RunConfig or raises
one ValueError naming the key, the value and the rule; nothing is opened, stored or trained.
Pure Python: it must not import torch, Optuna, Lightning, SQLAlchemy or Hydra.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dse.core.config._compression import CompressConfig, compress_config
from dse.core.config._datasets import (
    ADDED_DATASET_KEYS,
    NON_RESULT_DATASET_KEYS,
    DatasetConfig,
    ImageFolderConfig,
    dataset_config,
    folder_layout,
)
from dse.core.config._train import NON_RESULT_TRAIN_KEYS, TrainConfig, train_config
from dse.core.records import ArchRecord, arch_record
from dse.core.spec import ArchSpec
from dse.core.sweep import SweepSpec, stable_hash
from dse.core.typed import (
    from_mapping,
    require,
    require_bool,
    require_choice,
    require_int,
    require_number,
)

__all__ = ["LATENCY_RUNTIMES", "PRUNER_NAMES", "SAMPLER_OPTIONS", "ArtifactsConfig", "LatencyConfig",
           "RunConfig", "RunTarget", "SamplerConfig",
           "StorageConfig", "StudyConfig", "run_config", "run_target", "study_name"]

# dse.search._samplers.PRUNERS has one each; size_aware is dse.search._pruning's, for
# multi-objective searches (Optuna's pruners take one objective)
PRUNER_NAMES = ("none", "median", "hyperband", "size_aware")
# sampler name -> the options it takes beyond name, seed and n_startup_trials
SAMPLER_OPTIONS: dict[str, tuple[str, ...]] = {
    "tpe": (), "gp": (), "nsga2": ("population_size",), "random": (), "qmc": (),
    "anneal": ("initial_temperature", "cooling"),
}


@dataclass(frozen=True)
class StudyConfig:
    """Keys of the `study` config node."""

    name: str | None = None  # null = <sweep.name>-<dataset.name>
    seeds: int = 3  # grid sweeps: seeds 0..seeds-1 per point
    workers: int | None = None  # worker processes on this machine; null = by dse.core.layout's rule
    worker_index: int = 0  # a launcher's job index, recorded on the trials this job runs
    max_size_mb: float | None = None  # size budget (2^20 bytes at 32 bits)
    max_macs: int | None = None  # MAC budget per image
    pruner: str = "none"  # one of PRUNER_NAMES
    prune_margin: float = 0.02  # size_aware: how much more accurate a no-larger trial must be
    prune_min_epochs: int = 3  # size_aware: no verdict before this many epochs
    max_retries: int = 2  # re-runs of a (point, seed) whose trial failed
    heartbeat_s: int = 10  # a trial without a heartbeat for 3x this is failed and re-run
    report: bool = True  # write the report when the sweep finishes
    output_dir: str = "studies"  # outputs go to <output_dir>/<study name>/
    seed_batching: bool | str = "auto"  # grid sweeps: a point's seeds in one pass; auto = if faster

    def __post_init__(self) -> None:
        """Validate counts, budgets and names."""
        for key, minimum in (("seeds", 1), ("worker_index", 0), ("max_retries", 0),
                             ("heartbeat_s", 1)):
            require_int(f"study.{key}", getattr(self, key), minimum=minimum)
        require_int("study.workers", self.workers, minimum=1, optional=True)
        require(self.seed_batching is True or self.seed_batching is False
                or self.seed_batching == "auto",
                f"study.seed_batching must be one of auto, true, false, got "
                f"{self.seed_batching!r}")
        require_number("study.max_size_mb", self.max_size_mb, low=0, low_open=True, optional=True)
        require_int("study.max_macs", self.max_macs, minimum=1, optional=True)
        require_choice("study.pruner", self.pruner, PRUNER_NAMES)
        require_number("study.prune_margin", self.prune_margin, low=0, high=1)
        require_int("study.prune_min_epochs", self.prune_min_epochs, minimum=1)
        require(self.name is None or (isinstance(self.name, str) and bool(self.name.strip())
                                      and "/" not in self.name),
                f"study.name must be a non-empty name without '/', got {self.name!r}")
        require(isinstance(self.report, bool), f"study.report must be true or false, got {self.report!r}")
        require(isinstance(self.output_dir, str) and bool(self.output_dir),
                f"study.output_dir must be a folder path, got {self.output_dir!r}")

    def budget_violation(self, arch: ArchRecord) -> str | None:
        """Why `arch` exceeds the size or MAC budget, or None when it fits."""
        if self.max_size_mb is not None and arch.size_mb > self.max_size_mb:
            return f"size {arch.size_mb:.3f} MB exceeds study.max_size_mb={self.max_size_mb}"
        if self.max_macs is not None and arch.macs > self.max_macs:
            return f"{arch.macs:,} MACs exceed study.max_macs={self.max_macs:,}"
        return None


@dataclass(frozen=True)
class SamplerConfig:
    """Keys of the `sampler` group (search sweeps); options apply to the samplers named."""

    name: str = "tpe"
    seed: int = 0  # base seed; each trial's sampler seed is derived from it and the trial
    n_startup_trials: int = 5  # random trials before a model-based sampler takes over
    population_size: int | None = None  # nsga2
    initial_temperature: float | None = None  # anneal
    cooling: float | None = None  # anneal

    def __post_init__(self) -> None:
        """Validate the name, the options it takes, and their values."""
        if self.name not in SAMPLER_OPTIONS:
            raise ValueError(f"unknown sampler {self.name!r}; valid: {', '.join(SAMPLER_OPTIONS)}")
        require_int("sampler.seed", self.seed, minimum=0)
        require_int("sampler.n_startup_trials", self.n_startup_trials, minimum=0)
        takes = SAMPLER_OPTIONS[self.name]
        given = [k for k in ("population_size", "initial_temperature", "cooling")
                 if getattr(self, k) is not None]
        unknown = [k for k in given if k not in takes]
        if unknown:
            raise ValueError(f"unknown option(s) {unknown} for sampler {self.name}; valid: "
                             f"{sorted(('seed', 'n_startup_trials', *takes))}")
        require_int("sampler.population_size", self.population_size, minimum=2, optional=True)
        require_number("sampler.initial_temperature", self.initial_temperature, low=0,
                       low_open=True, optional=True)
        require_number("sampler.cooling", self.cooling, low=0, high=1, low_open=True,
                       optional=True)

    def options(self) -> dict[str, Any]:
        """The options set for this sampler (without its name)."""
        return {k: v for k, v in asdict(self).items() if k != "name" and v is not None}


@dataclass(frozen=True)
class StorageConfig:
    """Keys of the `storage` group: the database every worker shares."""

    url: str = "sqlite:///studies/dse.sqlite3"

    def __post_init__(self) -> None:
        """A URL must be given (the store checks its form and reachability)."""
        require(isinstance(self.url, str) and "://" in self.url,
                f"storage.url must be a database URL such as sqlite:///studies/dse.sqlite3 or "
                f"postgresql://user@host/db, got {self.url!r}")


ARTIFACT_SCHEMES = ("file", "s3", "gs")  # artifacts.store URLs; a plain path is a folder
LATENCY_RUNTIMES = ("torch", "onnxruntime")


@dataclass(frozen=True)
class ArtifactsConfig:
    """Keys of the `artifacts` node: where trained weights are kept (Optuna artifacts)."""

    keep: bool = True  # upload each trained trial's weights and network as an artifact
    # null = the file store <study.output_dir>/artifacts shared by every study of that folder;
    # a folder path; s3://bucket or gs://bucket (Optuna's Boto3 and GCS stores)
    store: str | None = None

    def __post_init__(self) -> None:
        """Validate the flag and the store's form (it is opened by dse.search)."""
        require_bool("artifacts.keep", self.keep)
        store = self.store
        require(store is None or (isinstance(store, str) and bool(store.strip()) and (
            "://" not in store or store.split("://")[0] in ARTIFACT_SCHEMES)),
                f"artifacts.store must be null, a folder, or a URL with a scheme of "
                f"{', '.join(ARTIFACT_SCHEMES)}, got {self.store!r}")

    def location(self, output_dir: str) -> str:
        """The store's location: its URL, or an absolute folder path."""
        if self.store is not None and "://" in self.store and not self.store.startswith("file://"):
            return self.store
        folder = (self.store or "").removeprefix("file://") or str(Path(output_dir) / "artifacts")
        return str(Path(folder).resolve())


@dataclass(frozen=True)
class LatencyConfig:
    """Keys of the `latency` node: inference latency of each trained architecture."""

    measure: bool = False  # measure after training (always on when an objective is latency_ms)
    runtimes: tuple[str, ...] = ("torch",)  # torch, onnxruntime (CPU; exports to ONNX first)
    batch: int = 32  # measured at batch 1 and at this batch
    repeats: int = 30  # timed runs after the warm-up; the median and quartiles are stored
    warmup: int = 5

    def __post_init__(self) -> None:
        """Validate the flag, runtimes and counts."""
        require_bool("latency.measure", self.measure)
        runtimes = tuple(self.runtimes) if isinstance(self.runtimes, (list, tuple)) else ()
        require(bool(runtimes) and all(r in LATENCY_RUNTIMES for r in runtimes)
                and len(set(runtimes)) == len(runtimes),
                f"latency.runtimes must list distinct runtimes of {', '.join(LATENCY_RUNTIMES)}, "
                f"got {self.runtimes!r}")
        object.__setattr__(self, "runtimes", runtimes)
        require_int("latency.batch", self.batch, minimum=1)
        require_int("latency.repeats", self.repeats, minimum=3)
        require_int("latency.warmup", self.warmup, minimum=0)


def study_name(study: StudyConfig, sweep_name: str, dataset_name: str) -> str:
    """The study's name: study.name, or <sweep.name>-<dataset.name>."""
    return study.name or f"{sweep_name}-{dataset_name}"


@dataclass(frozen=True)
class RunConfig:
    """Everything a study run needs, typed and validated."""

    arch: ArchSpec  # the base network (a sweep overrides some keys per point)
    dataset: DatasetConfig
    train: TrainConfig
    sampler: SamplerConfig
    storage: StorageConfig
    study: StudyConfig
    sweep: SweepSpec
    artifacts: ArtifactsConfig = ArtifactsConfig()
    latency: LatencyConfig = LatencyConfig()
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
        return study_name(self.study, self.sweep.name, self.dataset.name)

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

    def grid_items(self) -> list[tuple[dict[str, Any], int]]:
        """Every (point, seed) of a grid sweep, in order."""
        return [(p, s) for p in self.sweep.points() for s in range(self.study.seeds)]

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
    sweep = SweepSpec.from_dict(dict(values["sweep"]))
    arch = _resolve_classes(dict(values["arch"]), dataset)
    cfg = RunConfig(
        arch=ArchSpec.from_dict(arch), dataset=dataset,
        train=train_config(dict(values["train"])),
        sampler=from_mapping(SamplerConfig, dict(values["sampler"]), node="sampler"),
        storage=from_mapping(StorageConfig, dict(values["storage"]), node="storage"),
        study=from_mapping(StudyConfig, dict(values["study"]), node="study"),
        sweep=sweep,
        artifacts=from_mapping(ArtifactsConfig, dict(values.get("artifacts") or {}),
                               node="artifacts"),
        latency=from_mapping(LatencyConfig, dict(values.get("latency") or {}), node="latency"),
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


def _no_point_fits(study: StudyConfig, archs: list[ArchRecord]) -> None:
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
    study = from_mapping(StudyConfig, dict(values["study"]), node="study")
    storage = from_mapping(StorageConfig, dict(values["storage"]), node="storage")
    name = study_name(study, str(values["sweep"]["name"]), str(values["dataset"]["name"]))
    return RunTarget(storage.url, name, Path(study.output_dir) / name)

