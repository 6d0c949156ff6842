"""Exactly once under randomised kills: workers of one grid study are killed (SIGKILL, SIGTERM,
SIGINT) and stopped (SIGSTOP past the heartbeat grace) at random moments, inside claims
included, and restarted; every (point, seed) must still end with exactly one counted result,
no trial may be left RUNNING or WAITING, and every worker must exit by itself with the code
its signal calls for.

Each schedule is a seed (tests/search/faults.py: make_plan); its one-line summary is printed,
and a failure names the seed, the violations and every worker's output. Replay one with
`-k seed7`. The fast tests check the harness itself: the plans cover every signal at every
moment, and it sees who holds the study lock on both backends.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from faults import MOMENTS, SIGNALS, STUDY, Watch, make_plan, run_schedule

from dse.store import open_store

SQLITE_SEEDS = range(0, 12)
POSTGRES_SEEDS = range(12, 20)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SQLITE_SEEDS, ids=lambda s: f"seed{s}")
def test_exactly_once_under_kills_sqlite(tmp_path: Path, seed: int) -> None:
    outcome = run_schedule(tmp_path, f"sqlite:///{tmp_path}/faults.db", "sqlite", seed)
    assert not outcome.problems, outcome.report()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("seed", POSTGRES_SEEDS, ids=lambda s: f"seed{s}")
def test_exactly_once_under_kills_postgresql(tmp_path: Path, pg_db_url: str, seed: int
                                             ) -> None:
    outcome = run_schedule(tmp_path, pg_db_url, "postgresql", seed)
    assert not outcome.problems, outcome.report()


def test_plans_are_seeded_and_cover_every_signal_at_every_moment() -> None:
    seeds = [*SQLITE_SEEDS, *POSTGRES_SEEDS]
    assert [make_plan(s) for s in seeds] == [make_plan(s) for s in seeds]
    events = [e for s in seeds for e in make_plan(s)]
    assert {(e.signal, e.moment) for e in events} == {(s, m) for s in SIGNALS for m in MOMENTS}
    for backend in (SQLITE_SEEDS, POSTGRES_SEEDS):  # each backend gets claims and lock stops
        firsts = [make_plan(s)[0] for s in backend]
        assert {e.signal for e in firsts} == set(SIGNALS)
        assert {e.moment for e in firsts} == set(MOMENTS)
    stops = Counter(e.then for e in events if e.signal == "SIGSTOP")
    assert stops["SIGCONT"] and len(stops) > 1  # stops that resume, and kills while stopped
    assert all(4 <= e.hold_s <= 6 for e in events if e.signal == "SIGSTOP")  # > grace of 3 s


def _holders_inside_the_study_lock(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Who the harness sees holding locks while this process holds the study lock, and after."""
    watch = Watch(url, STUDY)
    try:
        with open_store(url) as store:
            with store.lock(f"study:{STUDY}"):
                inside = watch.lock_holders()
            outside = watch.lock_holders()
    finally:
        watch.close()
    return inside, outside


def test_harness_sees_the_study_lock_holder_on_sqlite(tmp_path: Path) -> None:
    inside, outside = _holders_inside_the_study_lock(f"sqlite:///{tmp_path}/lock.db")
    assert inside == {str(os.getpid()): "study"}
    assert outside == {}


@pytest.mark.postgres
def test_harness_sees_the_study_lock_holder_on_postgresql(pg_db_url: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("PGAPPNAME", "dse-fault-lock-test")  # as the harness starts workers
    inside, outside = _holders_inside_the_study_lock(pg_db_url)
    assert inside == {"dse-fault-lock-test": "study"}
    assert outside == {}


def test_harness_sees_who_holds_a_lease(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/lease.db"
    watch = Watch(url, STUDY)
    try:
        with open_store(url) as store:
            queue = store.queue(STUDY)
            queue.fill([("k", 0)])
            [item] = queue.claim(f"host:{os.getpid()}", lease_s=60, group=1, max_retries=0)
            assert watch.lock_holders() == {f"{os.getpid()}#{item.token}": "lease"}
            queue.release(item, failed=False, max_retries=0)
            assert watch.lock_holders() == {}
    finally:
        watch.close()
