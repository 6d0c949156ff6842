"""Workers started by a Hydra launcher (submitit, local processes) join one study."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from conftest import run_module
from studyrun import TINY

from dse.cli import compose
from dse.store import load_results


def test_submitit_slurm_launcher_composes() -> None:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from dse.cli import CONF_DIR

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = hydra_compose("config", overrides=[
            "hydra/launcher=submitit_slurm", "hydra.launcher.partition=gpu",
            "+sweep=squeeze_ratio", "storage=postgresql"], return_hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith("SlurmLauncher")
    assert cfg.storage.url.startswith("postgresql://")
    assert compose("config", ["study.worker_index=3"]).study.worker_index == 3


@pytest.mark.slow
def test_submitit_local_launches_two_workers_on_one_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    out = run_module("dse.run", "-m", "hydra/launcher=submitit_local", "+sweep=squeeze_ratio",
                     "sweep.grid.sr=[0.25,0.5]", "study.seeds=2", "study.worker_index=range(0,2)",
                     *TINY, f"storage.url={url}", f"hydra.sweep.dir={tmp_path}/multirun",
                     f"study.output_dir={tmp_path}/out")
    assert out.returncode == 0, out.stderr
    results = load_results(url, "squeeze_ratio-digits")
    assert sorted((r.point["sr"], r.seed) for r in results) == \
        [(0.25, 0), (0.25, 1), (0.5, 0), (0.5, 1)]
    logs = sorted((tmp_path / "multirun" / ".submitit").rglob("*_log.out"))
    assert len(logs) == 2  # two jobs, each a worker of the same study
    for log in logs:
        text = log.read_text()
        assert "study 'squeeze_ratio-digits'" in text or "nothing left to do" in text, text
    study = optuna.load_study(study_name="squeeze_ratio-digits", storage=url)
    assert len(study.trials) == 4  # the two workers queued and ran each item once
