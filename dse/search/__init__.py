"""The study layer: Optuna studies over sweeps, run by workers; the only package importing Optuna.

Its names load lazily, so `import dse.search._storage` (the dashboard's) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["PRUNERS", "SAMPLERS", "StudyReport", "compress_study", "make_pruner", "make_sampler",
           "open_study", "read_artifact", "run_study", "study_definition"]

_WHERE = {"PRUNERS": "_samplers", "SAMPLERS": "_samplers", "make_pruner": "_samplers",
          "make_sampler": "_samplers", "StudyReport": "_study", "open_study": "_study",
          "run_study": "_study", "read_artifact": "_artifacts", "compress_study": "_compression",
          "study_definition": "_storage"}


def __getattr__(name: str) -> Any:
    """Import a public name from its private module on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'dse.search' has no attribute {name!r}")
    return getattr(import_module(f"dse.search.{_WHERE[name]}"), name)
