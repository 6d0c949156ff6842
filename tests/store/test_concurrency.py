"""Several processes writing one store at once: no errors, no lost or doubled rows."""

from __future__ import annotations

from pathlib import Path

from dse.store import open_store
from store import _workers
from store._records import proxy_arch
from store._workers import run_at_once

WORKERS = 4


def test_concurrent_save_arch_of_one_network_on_a_fresh_database(store_url: str) -> None:
    arch = proxy_arch()
    run_at_once(_workers.save_arch, [(store_url, arch, 5)] * WORKERS)
    with open_store(store_url) as store:
        assert store.archs([arch.fingerprint]) == {arch.fingerprint: arch}


def test_concurrent_save_result_loses_nothing(store_url: str) -> None:
    arch, count = proxy_arch(), 25
    run_at_once(_workers.save_results, [(store_url, arch, w, count) for w in range(WORKERS)])
    with open_store(store_url) as store:
        saved = store.results("race")
    assert [r.trial_number for r in saved] == list(range(WORKERS * count))
    assert len({r.id for r in saved}) == WORKERS * count
    assert all(r.point == {"worker": r.seed, "i": r.trial_number % count} for r in saved)


def test_many_processes_opening_fresh_sqlite_files_at_once_all_succeed(tmp_path: Path) -> None:
    # Switching a new file to WAL raced: "database is locked" for some openers (seen 6 in 320).
    run_at_once(_workers.open_fresh_files, [(str(tmp_path), 12)] * 8)
    assert len(list(tmp_path.glob("fresh-*.db"))) == 12
