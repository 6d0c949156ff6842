"""The worker and thread layout rule (pure) and the free-core measurement it starts from."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dse.core.layout import batching_pays, choose_layout, training_bytes
from dse.core.machine import free_cores


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


def _spin(count: int) -> list[subprocess.Popen[bytes]]:
    """Start `count` processes that each keep one core busy."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Kill and reap the spinning processes."""
    for proc in procs:
        proc.kill()
        proc.wait()


def test_busy_cores_are_not_counted_as_free() -> None:
    cores = os.cpu_count() or 1
    busy = _spin(1)  # one core only: other work on the machine can only make fewer cores free
    try:
        assert free_cores(sample_s=0.5) <= max(1, cores - 1)
    finally:
        _stop(busy)


@pytest.mark.allcores
def test_a_machine_with_no_idle_core_still_gets_one() -> None:
    busy = _spin(os.cpu_count() or 1)
    try:
        assert free_cores(sample_s=0.5) == 1  # none is idle; the run still gets one
    finally:
        _stop(busy)


def test_seeds_are_batched_only_when_a_pass_clearly_beats_them_one_by_one() -> None:
    assert batching_pays(0.100, 0.270, 3)  # 0.90x the time per seed (digits, measured)
    assert not batching_pays(0.100, 0.450, 3)  # 1.50x (CIFAR-10 at 32x32, measured)
    assert not batching_pays(0.100, 0.290, 3)  # 0.97x: within timing noise, not worth it
    with pytest.raises(ValueError, match="step times must be > 0 and copies >= 2"):
        batching_pays(0.0, 0.1, 3)


def test_step_times_of_stacked_seeds_are_measured_on_a_real_network() -> None:
    from dse.core.presets import preset
    from dse.training.train import TrainConfig, step_seconds

    took = step_seconds(preset("cpu_proxy"), TrainConfig(batch_size=32), copies=(1, 3),
                        threads=1, steps=2)
    assert set(took) == {1, 3} and 0 < took[1] < took[3]  # three networks' work takes longer
