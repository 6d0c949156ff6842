"""The README's quick-start command: `bash scripts/run.sh` sets up and runs the default sweep."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT
from studyrun import TINY

from dse.store import load_results

pytestmark = pytest.mark.slow


def run_script(tmp: Path, *overrides: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """`bash scripts/run.sh` with tiny budgets and a database under `tmp`; (process, URL)."""
    url = f"sqlite:///{tmp}/s.db"
    proc = subprocess.run(
        ["bash", "scripts/run.sh", *TINY, "study.seeds=1", f"storage.url={url}",
         f"study.output_dir={tmp}/out", *overrides],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "CI": "true"},
    )
    return proc, url


def test_run_script_runs_the_default_sweep(tmp_path: Path) -> None:
    proc, url = run_script(tmp_path, "sweep.grid.sr=[0.125,1.0]")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "study 'squeeze_ratio-digits'" in proc.stdout
    assert sorted(r.point["sr"] for r in load_results(url, "squeeze_ratio-digits")) == [0.125, 1.0]


def test_run_script_takes_another_sweep(tmp_path: Path) -> None:
    proc, url = run_script(tmp_path, "+sweep=bypass")
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = load_results(url, "bypass-digits")
    assert Counter(r.point["bypass"] for r in results) == {"none": 1, "simple": 1, "complex": 1}
    assert load_results(url, "squeeze_ratio-digits") == []
