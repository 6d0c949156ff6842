"""Many workers on one study: PostgreSQL, crashes (SIGKILL), Ctrl-C, and SQLite."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest
from workers import interrupt, owned, start_worker, trials, wait_for_running_trial

from dse.store import load_results

pytestmark = pytest.mark.slow
# Seed batching on, as these tests expect a worker to hold both seeds of a point at once.
GRID = ("+sweep=squeeze_ratio", "sweep.grid.sr=[0.125,0.25,0.5,1.0]", "study.seeds=2",
        "study.seed_batching=true")
STUDY = "squeeze_ratio-digits"
FINAL = ("complete", "reused")


def _assert_complete_grid(url: str, study: str = STUDY, n: int = 8) -> list:
    """Every (point, seed) has exactly one final result and no trial is left RUNNING."""
    results = load_results(url, study)
    final = Counter((r.point["sr"], r.seed) for r in results if r.status in FINAL)
    assert len(final) == n and set(final.values()) == {1}, final
    states = Counter(t.state.name for t in trials(url, study))
    assert states["RUNNING"] == 0 and states["WAITING"] == 0, states
    return results


@pytest.mark.postgres
def test_four_workers_share_one_grid_on_postgresql(tmp_path: Path, pg_db_url: str) -> None:
    procs = [start_worker(tmp_path, pg_db_url, *GRID) for _ in range(4)]
    codes = [p.wait(timeout=600) for p in procs]
    assert codes == [0, 0, 0, 0], [(tmp_path / f.name).read_text()[-2000:]
                                   for f in tmp_path.glob("worker-*.log")]
    results = _assert_complete_grid(pg_db_url)
    assert len(results) == 8  # no duplicates, nothing lost, no failures
    owners = {t.user_attrs["worker"] for t in trials(pg_db_url, STUDY)}
    assert len(owners) >= 2  # the work was really shared


@pytest.mark.postgres
def test_killed_worker_trial_is_failed_and_rerun(tmp_path: Path, pg_db_url: str) -> None:
    slow = (*GRID, "train.epochs=16", "study.heartbeat_s=1")  # trials of a few seconds
    victim = start_worker(tmp_path, pg_db_url, *slow)
    survivor = start_worker(tmp_path, pg_db_url, *slow)
    wait_for_running_trial(pg_db_url, STUDY, victim)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert survivor.wait(timeout=600) == 0
    results = _assert_complete_grid(pg_db_url)
    # The pass it held when it died: both seeds of one point (seed batching claims them together).
    killed = owned(pg_db_url, STUDY, victim, "FAIL")
    assert len(killed) == 2
    lost = [r for r in results if r.status == "failed"]
    assert sorted((r.trial_number, r.reason) for r in lost) == \
        [(n, "worker stopped (no heartbeat)") for n in sorted(killed)]
    assert len({r.point["sr"] for r in lost}) == 1 and {r.seed for r in lost} == {0, 1}


@pytest.mark.postgres
def test_sigint_stops_cleanly_and_rerun_finishes_the_rest(tmp_path: Path, pg_db_url: str
                                                          ) -> None:
    slow = (*GRID, "train.epochs=12")  # trials of a few seconds
    worker = start_worker(tmp_path, pg_db_url, *slow)
    wait_for_running_trial(pg_db_url, STUDY, worker)
    interrupt(worker)
    assert worker.wait(timeout=60) == 130
    assert len(owned(pg_db_url, STUDY, worker, "FAIL")) == 2  # the interrupted pass: 2 seeds
    state = {t.number: t.state.name for t in trials(pg_db_url, STUDY)}
    assert "RUNNING" not in state.values()
    before = load_results(pg_db_url, STUDY)
    done_before = [r for r in before if r.status in FINAL]
    assert [r.reason for r in before if r.status == "failed"] == ["interrupted"] * 2

    rerun = start_worker(tmp_path, pg_db_url, *slow)
    assert rerun.wait(timeout=600) == 0
    after = _assert_complete_grid(pg_db_url)
    trained_again = [r for r in after if r.status in FINAL and r not in done_before]
    assert len(trained_again) == 8 - len(done_before)  # only what was left


def test_separate_workers_on_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    procs = [start_worker(tmp_path, url, *GRID) for _ in range(3)]
    assert [p.wait(timeout=600) for p in procs] == [0, 0, 0]
    results = _assert_complete_grid(url)
    assert len(results) == 8
    logs = "".join(f.read_text() for f in tmp_path.glob("worker-*.log"))
    assert "database is locked" not in logs
