"""The pure core imports none of the heavy frameworks."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["torch", "optuna", "sqlalchemy", "hydra", "lightning", "pytorch_lightning", "omegaconf"]


def test_pure_core_loads_no_framework() -> None:
    code = (
        "import sys, json\n"
        "import dse.core.spec, dse.core.expand, dse.core.complexity, dse.core.presets, dse.core.sweep, dse.core.records, dse.core.typed, "
        "dse.core.config, dse.core.status, dse.core.terminal, dse.analysis.verdicts, dse.core.layout, dse.core.machine\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
