"""The report and dashboard entry points load only config, store and figures: no torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import optuna

from dse.core.presets import preset
from dse.core.records import ResultRecord, arch_record
from dse.store import open_store

NOT_LOADED = ["torch", "pytorch_lightning", "lightning", "lightning_fabric"]
STUDY = "bypass-digits"


def _finished_study(tmp_path: Path) -> str:
    """A store with a finished bypass study (results and its Optuna study), made without training."""
    url = f"sqlite:///{tmp_path}/s.db"
    optuna.create_study(study_name=STUDY, storage=url.replace("sqlite:", "sqlite+pysqlite:", 1))
    with open_store(url) as store:
        for number, kind in enumerate(("none", "simple", "complex")):
            arch = arch_record(preset("cpu_proxy", bypass=kind, num_classes=10, in_channels=1,
                                      input_size=16))
            store.save_arch(arch)
            store.save_result(ResultRecord(
                study=STUDY, trial_number=number, point={"bypass": kind}, seed=0,
                fingerprint=arch.fingerprint, dataset="digits:x", train_config_hash="t",
                status="complete", val_top1=0.9, test_top1=0.9, test_top5=1.0))
    return url


def _loaded_after(code: str) -> list[str]:
    """Run `code` in a fresh interpreter; the heavy modules it loaded."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps([m for m in {NOT_LOADED!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_report_entry_point_loads_no_training_stack(tmp_path: Path) -> None:
    url = _finished_study(tmp_path)
    code = ("from dse.report import main\n"
            f"assert main(['+sweep=bypass', 'storage.url={url}', 'study.output_dir={tmp_path}/out',"
            " 'report.static=false']) == 0")
    assert _loaded_after(code) == []
    assert (tmp_path / "out" / STUDY / "report.html").is_file()


def test_dashboard_publishing_loads_no_training_stack(tmp_path: Path) -> None:
    url = _finished_study(tmp_path)
    code = ("from dse.dashboard import publish_to_dashboard\n"
            f"assert publish_to_dashboard('{url}', '{STUDY}')")
    assert _loaded_after(code) == []
