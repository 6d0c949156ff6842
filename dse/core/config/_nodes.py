"""The study, sampler, storage, artifacts and latency config nodes: typed and validated (pure).

Each node checks its own keys in `__post_init__`; what one node asks of another is checked by
RunConfig (dse.core.config._run). Pure Python: no torch, Optuna, Lightning, SQLAlchemy or Hydra.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dse.core.records import ArchRecord
from dse.core.typed import is_int, require, require_bool, require_choice, require_int, require_number

__all__ = ["ARTIFACT_SCHEMES", "LATENCY_RUNTIMES", "PRUNER_NAMES", "SAMPLER_OPTIONS", "ArtifactsConfig",
           "LatencyConfig", "SamplerConfig", "StorageConfig", "StudyConfig", "study_name"]

# dse.search._samplers.PRUNERS has one each; size_aware is dse.search._pruning's, for
# multi-objective searches (Optuna's pruners take one objective)
PRUNER_NAMES = ("none", "median", "hyperband", "size_aware")
# sampler name -> the options it takes beyond name, seed and n_startup_trials
SAMPLER_OPTIONS: dict[str, tuple[str, ...]] = {
    "tpe": (), "gp": (), "nsga2": ("population_size",), "random": (), "qmc": (),
    "anneal": ("initial_temperature", "cooling"),
}


def _check_budgets(budgets: Any) -> None:
    """study.budgets: null, or a non-empty list of distinct positive epoch counts."""
    if budgets is None:
        return
    require(isinstance(budgets, list | tuple) and len(budgets) > 0,
            f"study.budgets must be a non-empty list of epoch counts, e.g. [5, 20], got {budgets!r}")
    for budget in budgets:
        require(is_int(budget) and budget >= 1,
                f"study.budgets must hold positive whole epoch counts, got {budget!r} in "
                f"{list(budgets)}")
    require(len(set(budgets)) == len(budgets),
            f"study.budgets lists a budget twice: {list(budgets)}")


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
    heartbeat_s: int = 10  # a worker silent for 3x this loses its lease; its items re-run
    report: bool = True  # write the report when the sweep finishes
    output_dir: str = "studies"  # outputs go to <output_dir>/<study name>/
    seed_batching: bool | str = "auto"  # grid sweeps: a point's seeds in one pass; auto = if faster
    budgets: tuple[int, ...] | None = None  # grid sweeps: epochs to train each (point, seed) for;
    # null = train.epochs alone. Each budget is a full schedule of its own (dse.core.config)

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
        _check_budgets(self.budgets)
        if self.budgets is not None:
            object.__setattr__(self, "budgets", tuple(self.budgets))
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
