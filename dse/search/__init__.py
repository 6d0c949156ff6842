"""The study layer: Optuna studies over sweeps, run by workers; the only package importing Optuna."""

from __future__ import annotations

from dse.search._context import RunConfig, StudyConfig, run_config
from dse.search._samplers import PRUNERS, SAMPLERS, make_pruner, make_sampler
from dse.search._study import StudyReport, open_study, print_summary, run_study

__all__ = [
    "PRUNERS",
    "SAMPLERS",
    "RunConfig",
    "StudyConfig",
    "StudyReport",
    "make_pruner",
    "make_sampler",
    "open_study",
    "print_summary",
    "run_config",
    "run_study",
]
