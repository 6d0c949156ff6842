"""The worker and thread layout rule (pure) and the free-core measurement it starts from."""

from __future__ import annotations

import os
import subprocess
import sys

from dse.layout import choose_layout, training_bytes
from dse.machine import free_cores


def test_small_work_runs_one_thread_per_worker_on_every_free_core() -> None:
    layout = choose_layout(cores=8, units=24)
    assert (layout.workers, layout.threads) == (8, 1)
    assert "as many workers as cores" in layout.describe()


def test_fewer_units_than_cores_share_the_cores_as_threads() -> None:
    assert (choose_layout(cores=8, units=3).workers, choose_layout(cores=8, units=3).threads) \
        == (3, 2)
    one = choose_layout(cores=2, units=1)
    assert (one.workers, one.threads) == (1, 2)


def test_a_gpu_gets_one_worker_with_every_core() -> None:
    layout = choose_layout(cores=16, units=100, gpu=True)
    assert (layout.workers, layout.threads) == (1, 16)


def test_large_networks_get_fewer_workers_with_more_threads() -> None:
    gib = 2**30
    layout = choose_layout(cores=8, units=24, worker_bytes=3 * gib, memory_bytes=16 * gib)
    assert (layout.workers, layout.threads) == (2, 4)
    assert "GiB to train" in layout.reason
    assert training_bytes(activations=10**6, params=10**6, batch_size=64, copies=3) == \
        3 * training_bytes(activations=10**6, params=10**6, batch_size=64, copies=1)


def test_settings_override_the_rule() -> None:
    assert (choose_layout(cores=8, units=24, workers=2).workers,
            choose_layout(cores=8, units=24, workers=2).threads) == (2, 4)
    set_both = choose_layout(cores=8, units=24, workers=3, threads=1)
    assert (set_both.workers, set_both.threads) == (3, 1)
    assert "as set" in set_both.reason


def test_busy_cores_are_not_counted_as_free() -> None:
    cores = os.cpu_count() or 1
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        assert free_cores(sample_s=0.5) == 1  # none is idle; the run still gets one
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
