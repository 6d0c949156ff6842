"""Provenance recorded with every result: the project's git commit and library versions."""

from __future__ import annotations

import os
import platform
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["provenance"]


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
