"""The typed run configuration (pure Python): every config group as a frozen dataclass.

Owns the conversion of composed config values into typed objects, their validation, the study
naming rule and the result Status. Must not import torch, Optuna, Lightning, SQLAlchemy or
Hydra: entry points that only read results (report, dashboard) load it cheaply.
"""

from __future__ import annotations

from dse.core.config._compression import (
    LAYER_KINDS,
    PRUNE_SCOPES,
    CompressConfig,
    CompressSetting,
    compress_config,
)
from dse.core.config._datasets import (
    DATASETS,
    FOLDER_LAYOUT,
    Cifar10Config,
    DatasetConfig,
    DigitsConfig,
    FolderLayout,
    ImageFolderConfig,
    dataset_config,
    folder_layout,
)
from dse.core.config._nodes import (
    LATENCY_RUNTIMES,
    PRUNER_NAMES,
    SAMPLER_OPTIONS,
    ArtifactsConfig,
    LatencyConfig,
    SamplerConfig,
    StorageConfig,
    StudyConfig,
    study_name,
)
from dse.core.config._run import RunConfig, RunTarget, run_config, run_target
from dse.core.config._train import ACCELERATORS, NON_RESULT_TRAIN_KEYS, TrainConfig, train_config
from dse.core.status import Status

__all__ = [
    "ACCELERATORS", "DATASETS", "LAYER_KINDS", "PRUNE_SCOPES", "CompressConfig",
    "CompressSetting", "compress_config", "FOLDER_LAYOUT", "LATENCY_RUNTIMES", "NON_RESULT_TRAIN_KEYS",
    "PRUNER_NAMES", "ArtifactsConfig", "LatencyConfig",
    "SAMPLER_OPTIONS", "Cifar10Config", "DatasetConfig", "DigitsConfig", "FolderLayout",
    "ImageFolderConfig", "RunConfig", "RunTarget", "SamplerConfig", "Status", "StorageConfig",
    "StudyConfig", "TrainConfig", "dataset_config", "folder_layout", "run_config", "run_target",
    "study_name", "train_config",
]
