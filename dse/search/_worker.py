"""One worker process of a study: claim the next items, run them, settle them, repeat.

The claim protocol (exactly once) is dse.search._claim; running a claim's trials is
dse.search._trial; this module keeps the loop between them, its heartbeats and its back-off.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import optuna

from dse.core import interrupt
from dse.core.config import RunConfig
from dse.search._claim import Lease, claim
from dse.search._grid_claim import renewer, settle_items
from dse.search._heartbeat import Heartbeat
from dse.search._progress import Progress
from dse.search._trial import run_claim
from dse.store import Store

__all__ = ["run_worker"]

FIRST_IDLE_S = 0.5  # an idle worker's first wait; each next one doubles, up to the heartbeat


def run_worker(cfg: RunConfig, store: Store, study: optuna.Study,
               storage: optuna.storages.RDBStorage, progress: Progress, *,
               threads: int | None) -> int:
    """Run trials until the sweep is complete; return how many this worker ran.

    Ctrl-C and SIGTERM raise KeyboardInterrupt (interrupt.Terminated for SIGTERM) after the
    trial they hit is stored as failed with reason `interrupted` (it runs again next time).
    """
    with interrupt.guard():
        return _take_trials(cfg, store, study, storage, progress, threads=threads)


def _beat(cfg: RunConfig, store: Store, storage: optuna.storages.RDBStorage, lease: Lease
          ) -> Callable[[], None]:
    """What the heartbeat does for a claim: renew a grid claim's leases, or record a search
    trial's Optuna heartbeat."""
    if lease.items:
        return renewer(cfg, store, lease.items)

    def record() -> None:
        for trial in lease.trials:
            storage.record_heartbeat(trial._trial_id)
    return record


def _idle(cfg: RunConfig, lease: Lease, waited: float) -> float:
    """Wait while other workers run the last items: back off from FIRST_IDLE_S to the
    heartbeat interval, and wake when the first running lease can expire. Returns the wait."""
    wait = min(max(waited * 2, FIRST_IDLE_S), float(cfg.study.heartbeat_s))
    if lease.next_expiry_s is not None:
        wait = min(wait, lease.next_expiry_s + 0.05)
    time.sleep(max(wait, 0.05))
    return wait


def _take_trials(cfg: RunConfig, store: Store, study: optuna.Study,
                 storage: optuna.storages.RDBStorage, progress: Progress, *,
                 threads: int | None) -> int:
    """The loop of run_worker: claim trials, run them, settle their items, until none is left."""
    ran, waited = 0, 0.0
    while True:
        interrupt.check()  # a stop swallowed during the last trial ends the loop here
        lease = claim(cfg, store, study, storage)
        if lease.done is not None:
            progress.done = lease.done
        if not lease.trials:
            interrupt.check()  # a stop held back during a claim that found nothing still counts
            if lease.waiting:
                continue  # the claim settled a lost item: the next one is there to take
            if lease.running == 0:
                return ran
            waited = _idle(cfg, lease, waited)
            continue
        waited = 0.0
        with Heartbeat(_beat(cfg, store, storage, lease), cfg.study.heartbeat_s):
            try:
                run_claim(cfg, store, study, storage, lease.trials, progress, threads)
            finally:
                if lease.items:
                    with interrupt.deferred():
                        settle_items(cfg, store, lease.trials, lease.items)
        ran += len(lease.trials)
