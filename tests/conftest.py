"""Shared fixtures and paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_module(module: str, *args: str, cwd: Path = ROOT, timeout: float = 600,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m module args...` in a fresh interpreter and capture its output."""
    full_env = {**os.environ, "CI": "true", "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env,
    )


@pytest.fixture
def run() -> object:
    """The run_module helper as a fixture."""
    return run_module
