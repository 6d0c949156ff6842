"""The pure core imports none of the heavy frameworks."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["torch", "optuna", "sqlalchemy", "hydra", "lightning", "pytorch_lightning", "omegaconf"]


def test_pure_core_loads_no_framework() -> None:
    code = (
        "import sys, json\n"
        "import dse.spec, dse.expand, dse.complexity, dse.presets, dse.sweep, dse.records, dse.typed, "
        "dse.config, dse.status, dse.terminal, dse.verdicts, dse.layout, dse.machine\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
