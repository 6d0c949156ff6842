"""The pure core and the analysis layer import none of the heavy frameworks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ["torch", "optuna", "sqlalchemy", "hydra", "lightning", "pytorch_lightning", "omegaconf"]
PACKAGE = Path(__file__).resolve().parents[1] / "dse"


def _modules(layer: str) -> list[str]:
    """Every module of dse.<layer>, as dotted names."""
    names = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_pure_core_and_analysis_load_no_framework() -> None:
    modules = _modules("core") + _modules("analysis")
    assert "dse.core.spec" in modules and "dse.analysis.verdicts" in modules
    code = (
        "import sys, json, importlib\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
