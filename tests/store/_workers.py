"""Worker processes of the concurrency and lock tests (importable by spawned interpreters)."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from dse.core.records import ArchRecord
from dse.store import open_store
from store._records import result


def run_at_once(target: Callable[..., None], args: list[tuple[Any, ...]]) -> None:
    """Run target(barrier, *a) for each a in its own spawned process; all must succeed."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(args), timeout=120)
    processes = [context.Process(target=target, args=(barrier, *a)) for a in args]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
    codes = [process.exitcode for process in processes]
    for process in processes:
        if process.is_alive():
            process.kill()
    assert codes == [0] * len(args), f"worker exit codes {codes} (tracebacks on stderr)"


def save_arch(barrier: Barrier, url: str, arch: ArchRecord, repeats: int) -> None:
    """Open the store and save the same network, all workers starting at once."""
    barrier.wait()  # every worker creates the tables at the same moment ...
    with open_store(url) as store:
        barrier.wait()  # ... and saves the network at the same moment
        for _ in range(repeats):
            store.save_arch(arch)


def open_fresh_files(barrier: Barrier, folder: str, rounds: int) -> None:
    """Open `rounds` new SQLite files, each at the same moment as every other worker."""
    for i in range(rounds):
        barrier.wait()
        with open_store(f"sqlite:///{folder}/fresh-{i}.db") as store:
            assert store.studies() == []


def save_results(barrier: Barrier, url: str, arch: ArchRecord, worker: int, count: int) -> None:
    """Open the store and save `count` results numbered after `worker`."""
    barrier.wait()
    with open_store(url) as store:
        barrier.wait()
        for i in range(count):
            store.save_result(result(arch, study="race", trial_number=worker * count + i,
                                     seed=worker, point={"worker": worker, "i": i}))


def count_under_lock(barrier: Barrier, url: str, counter: str, rounds: int) -> None:
    """Increment a counter file `rounds` times, each read-modify-write under the store's lock."""
    with open_store(url) as store:
        barrier.wait()
        for _ in range(rounds):
            with store.lock("counter"):
                value = int(Path(counter).read_text() or 0)
                time.sleep(0.002)  # widen the window a missing lock would let others into
                Path(counter).write_text(str(value + 1))


def die_holding_lock(barrier: Barrier, url: str) -> None:
    """Take the lock, hold it until the parent has checked it is held, then exit without releasing it."""
    with open_store(url) as store, store.lock("held"):
        barrier.wait()  # the parent sees the lock held ...
        barrier.wait()  # ... and lets this process die
        os._exit(0)


def claim_all(barrier: Barrier, url: str, study: str, out: str) -> None:
    """Claim items one at a time until none is left, all workers starting at once; write the
    items taken to `out`, one 'key seed' per line."""
    with open_store(url) as store:
        queue = store.queue(study)
        barrier.wait()
        taken = []
        while items := queue.claim(f"w:{os.getpid()}", lease_s=600, group=1, max_retries=0):
            taken += [f"{item.key} {item.seed}" for item in items]
        Path(out).write_text("\n".join(taken))
