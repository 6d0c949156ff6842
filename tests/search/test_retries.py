"""Interrupted trials use no retry: a study SIGTERMed again and again still finishes."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from workers import owned, start_worker, wait_for_running_trial

from dse.store import load_results

pytestmark = pytest.mark.slow
# Trials of a few seconds, so that a SIGTERM lands mid-trial; no retries at all.
COMMON = ("train.epochs=16", "study.max_retries=0", "study.workers=1")
SWEEPS = {
    "search": (("+sweep=pareto", "sampler=random", "sweep.n_trials=2"), "pareto-digits"),
    "grid": (("+sweep=squeeze_ratio", "sweep.grid.sr=[0.25,0.5]", "study.seeds=1"),
             "squeeze_ratio-digits"),
}


@pytest.mark.parametrize("kind", list(SWEEPS))
def test_three_sigterms_mid_trial_use_no_retry(tmp_path: Path, kind: str) -> None:
    sweep, study = SWEEPS[kind]
    url = f"sqlite:///{tmp_path}/s.db"
    interrupted: list[int] = []
    for _ in range(3):  # more stops than study.max_retries=0 and 2 trials could ever allow
        worker = start_worker(tmp_path, url, *COMMON, *sweep)
        wait_for_running_trial(url, study, worker)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 143
        interrupted += owned(url, study, worker, "FAIL")
    failed = [r for r in load_results(url, study) if r.status == "failed"]
    assert len(interrupted) == 3 and {r.reason for r in failed} == {"interrupted"}

    log = tmp_path / "last.log"
    last = start_worker(tmp_path, url, *COMMON, *sweep, log=log)
    assert last.wait(timeout=600) == 0, log.read_text()[-3000:]
    assert "trials failed" not in log.read_text()
    final = [r for r in load_results(url, study) if r.status.final]
    assert len(final) == 2  # n_trials (search) or every item (grid), each counted once
    assert len({r.trial_number for r in final}) == 2
