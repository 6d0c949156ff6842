"""Run `python -m dse.run` for real against a database in a temporary folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import run_module

# Small enough for seconds per trial on 2 cores: 1 epoch on 12x12 digits, 1 thread per worker.
TINY = ("train.epochs=1", "dataset.input_size=12", "study.report=false", "train.threads=1")


def dse_run(tmp: Path, *overrides: str, url: str | None = None, timeout: float = 600
            ) -> subprocess.CompletedProcess[str]:
    """Run a study with tiny budgets; the database and outputs live under `tmp`."""
    storage = url or f"sqlite:///{tmp}/studies.db"
    return run_module("dse.run", *TINY, f"storage.url={storage}",
                      f"study.output_dir={tmp}/out", *overrides, timeout=timeout)
