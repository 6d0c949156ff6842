"""One worker process of a study: claim the next item under the study lock, run it, repeat.

The claim protocol (exactly once) is dse.search._claim; running a claim's trials is
dse.search._trial; this module keeps the loop between them.
"""

from __future__ import annotations

import time

import optuna

from dse.core import interrupt
from dse.core.config import RunConfig
from dse.search._claim import claim, trial_id
from dse.search._heartbeat import Heartbeat
from dse.search._progress import Progress
from dse.search._trial import run_claim
from dse.store import Store

__all__ = ["run_worker"]


def run_worker(cfg: RunConfig, store: Store, study: optuna.Study,
               storage: optuna.storages.RDBStorage, progress: Progress, *,
               threads: int | None) -> int:
    """Run trials until the sweep is complete; return how many this worker ran.

    Ctrl-C and SIGTERM raise KeyboardInterrupt (interrupt.Terminated for SIGTERM) after the
    trial they hit is stored as failed with reason `interrupted` (it runs again next time).
    """
    with interrupt.guard():
        return _take_trials(cfg, store, study, storage, progress, threads=threads)


def _take_trials(cfg: RunConfig, store: Store, study: optuna.Study,
                 storage: optuna.storages.RDBStorage, progress: Progress, *,
                 threads: int | None) -> int:
    """The loop of run_worker: claim a trial, run it, until none is left."""
    ran = 0
    while True:
        interrupt.check()  # a stop swallowed during the last trial ends the loop here
        lease = claim(cfg, store, study, storage)
        progress.done = lease.done
        if not lease.trials:
            interrupt.check()  # a stop held back during a claim that found nothing still counts
            if lease.running == 0:
                return ran
            time.sleep(min(2.0, cfg.study.heartbeat_s))  # others are running: wait for them
            continue
        ids = [trial_id(storage, study, t) for t in lease.trials]
        with Heartbeat(storage, ids, cfg.study.heartbeat_s):
            run_claim(cfg, store, study, storage, lease.trials, progress, threads)
        ran += len(lease.trials)
