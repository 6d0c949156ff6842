"""Store.lock: one holder at a time across processes, no effect on writes, gone with its holder."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from dse.store import open_store
from store import _workers
from store._records import proxy_arch, result
from store._workers import run_at_once


def test_lock_admits_one_process_at_a_time(store_url: str, tmp_path: Path) -> None:
    counter, rounds = tmp_path / "counter", 20
    counter.write_text("0")
    open_store(store_url).close()  # tables first: this test is about the lock alone
    run_at_once(_workers.count_under_lock, [(store_url, str(counter), rounds)] * 4)
    assert int(counter.read_text()) == 4 * rounds


def test_lock_blocks_no_writes_and_names_are_independent(store_url: str) -> None:
    arch = proxy_arch()
    with open_store(store_url) as holder, open_store(store_url) as other:
        with holder.lock("study:s"):
            other.save_arch(arch)
            other.save_result(result(arch))
            with other.lock("study:t"):
                assert other.count_results("s") == 1


@pytest.mark.timeout(120)
def test_a_dead_holder_releases_the_lock(store_url: str) -> None:
    open_store(store_url).close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2, timeout=60)
    process = context.Process(target=_workers.die_holding_lock, args=(barrier, store_url))
    process.start()
    taken = threading.Event()

    def take() -> None:
        """Wait for the lock, say when it is taken, then release it."""
        with open_store(store_url) as store, store.lock("held"):
            taken.set()

    barrier.wait()  # the child holds the lock now
    waiter = threading.Thread(target=take, daemon=True)
    waiter.start()
    assert not taken.wait(1.0), "the lock was taken while its holder was alive"
    barrier.wait()  # the child exits without releasing the lock
    process.join(timeout=60)
    assert process.exitcode == 0
    assert taken.wait(60), "the lock stayed held after its holder died"
    waiter.join(timeout=60)


def test_an_in_memory_store_works_and_locks_within_the_process() -> None:
    arch = proxy_arch()
    with open_store("sqlite://") as store, store.lock("x"):
        store.save_arch(arch)
        assert store.archs([arch.fingerprint]) == {arch.fingerprint: arch}
