"""Grid claims through the store's work queue (dse.store.WorkQueue): queue the grid once, lease
the next item, open its Optuna trial, take over items whose worker stopped, and settle each
item from its stored result when its pass ends.

Only the queue's indexed statements and one trial insert run per claim: no lock, no read of
the study's results or trials, so a claim costs the same at 100 items and 100,000.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import optuna
from optuna.distributions import CategoricalDistribution
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from dse.core import interrupt
from dse.core.config import RunConfig, Status
from dse.core.status import StopReason
from dse.core.sweep import item_key, point_key, split_item_key
from dse.search._items import WORKER, item_counts, record_stop
from dse.store import ItemLease, ItemState, Store, WorkQueue

__all__ = ["LEASE_BEATS", "claim_items", "end_orphans", "fill_queue", "lease_seconds",
           "open_trials", "renewer", "settle_items"]

log = logging.getLogger(__name__)
LEASE_BEATS = 3  # a lease lasts this many heartbeats: a worker silent that long lost its items


def lease_seconds(cfg: RunConfig) -> float:
    """How long a claim's lease lasts without a heartbeat."""
    return float(LEASE_BEATS * cfg.study.heartbeat_s)


def fill_queue(cfg: RunConfig, store: Store, study: optuna.Study | None = None) -> WorkQueue:
    """Queue every item of the grid once, in grid order (an indexed count when it is queued).

    A study run before the queue existed has results but no items: its items get the state
    its results give them (one read of its results, once), and the trials its runs queued in
    Optuna up front (WAITING) are failed: the queue runs those items now.
    """
    queue = store.queue(cfg.study_name)
    items = [(item_key(point, budget), seed) for point, seed, budget in cfg.grid_items()]
    if queue.size() >= len(items):
        return queue
    if study is not None and queue.size() == 0:
        for trial in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    prior: dict[tuple[str, int], tuple[ItemState, int]] = {}
    if store.count_results(cfg.study_name):
        counts = item_counts(cfg, store.results(cfg.study_name))
        for item in counts.finished | set(counts.failed_tries):
            state = ItemState.DONE if item in counts.counted else \
                ItemState.EXHAUSTED if item in counts.finished else ItemState.WAITING
            prior[item] = (state, counts.failed_tries[item])
    queue.fill(items, prior)
    return queue


def _lost_trials(storage: optuna.storages.RDBStorage, study: optuna.Study, item: ItemLease
                 ) -> list[FrozenTrial]:
    """The RUNNING trials of an item taken over, each told FAIL: its stopped worker's, even
    one opened but not yet noted on the item. Only running trials are read (a few per worker)."""
    study_id = storage.get_study_id_from_name(study.study_name)
    running = storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
    point, budget = split_item_key(item.key)
    return [t for t in running if t.user_attrs.get("point_key") == point_key(point) and
            t.user_attrs.get("budget") == budget and t.user_attrs.get("seed") == item.seed
            and _fail(storage, t._trial_id)]


def _fail(storage: optuna.storages.RDBStorage, trial_id: int) -> bool:
    """Tell a RUNNING trial FAIL; False when it ended meanwhile (its worker woke and told it, or
    another claim failed it first)."""
    try:
        return storage.set_trial_state_values(trial_id, TrialState.FAIL)
    except UpdateFinishedTrialError:
        return False


def _take_over(cfg: RunConfig, store: Store, study: optuna.Study,
               storage: optuna.storages.RDBStorage, item: ItemLease) -> bool:
    """Settle the try that an item's stopped worker left; whether the item still runs here.

    Its lost trials are failed, and a failure stored for each that stored none of its own (a
    final result would have marked the item done, and no claim would have taken it).
    """
    tries = cfg.study.max_retries + 1
    after = (f"its retries are used up ({item.tries} of {tries} tries failed); it will not run "
             "again" if item.exhausted else f"it runs again here (try {item.tries + 1} of {tries})")
    lost = _lost_trials(storage, study, item)
    if not lost:
        log.warning("item %s seed %d lost its worker before its trial began; %s", item.key,
                    item.seed, after)
    stored = store.trial_statuses(cfg.study_name, [t.number for t in lost])
    for trial in lost:
        if trial.number not in stored:
            record_stop(cfg, store, trial, StopReason.NO_HEARTBEAT.stored())
        log.warning("trial %d lost its worker (no heartbeat); %s", trial.number, after)
    return not item.exhausted


def end_orphans(cfg: RunConfig, store: Store, study: optuna.Study,
                storage: optuna.storages.RDBStorage) -> None:
    """Fail the trials still RUNNING whose worker stopped after saving their final result and
    before telling Optuna (the result counts; the item is done)."""
    numbers = store.queue(cfg.study_name).orphans()
    if not numbers:
        return
    study_id = storage.get_study_id_from_name(study.study_name)
    for number in numbers:
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, number)
        if storage.get_trial(trial_id).state == TrialState.RUNNING and _fail(storage, trial_id):
            log.warning("trial %d lost its worker after its result was stored; the result "
                        "counts and the item does not run again", number)


def claim_items(cfg: RunConfig, store: Store, study: optuna.Study,
                storage: optuna.storages.RDBStorage) -> list[ItemLease]:
    """Lease the next items of the grid (one point's seeds), taking over lost ones."""
    items = store.queue(cfg.study_name).claim(
        WORKER, lease_s=lease_seconds(cfg), group=cfg.seed_group(),
        max_retries=cfg.study.max_retries)
    return [item for item in items
            if (_take_over(cfg, store, study, storage, item) if item.taken_over
                else not item.exhausted)]


def _distributions(cfg: RunConfig) -> dict[str, CategoricalDistribution]:
    """The grid's values as Optuna distributions (what _suggest asks for)."""
    return {name: CategoricalDistribution(list(values)) for name, values in cfg.sweep.grid.items()}


def open_trials(cfg: RunConfig, store: Store, study: optuna.Study,
                storage: optuna.storages.RDBStorage, items: list[ItemLease]
                ) -> tuple[list[optuna.Trial], list[ItemLease]]:
    """Open a RUNNING Optuna trial for each leased item (its point and seed set) and note it
    on the item; an item whose lease was lost meanwhile is dropped, its trial failed.

    Ctrl-C or SIGTERM while a trial is opened (it may wait on Optuna's lock of the study row
    behind a whole fleet) stops at once: the claim's trials are failed, and its items given back
    with no try used.
    """
    study_id = storage.get_study_id_from_name(study.study_name)
    queue = store.queue(cfg.study_name)
    trials, kept = [], []
    try:
        for item in items:
            point, budget = split_item_key(item.key)
            template = FrozenTrial(
                number=0, state=TrialState.RUNNING, value=None, datetime_start=datetime.now(),
                datetime_complete=None, params=point, distributions=_distributions(cfg),
                user_attrs={"point_key": point_key(point), "seed": item.seed, "budget": budget,
                            "worker": WORKER,
                            "worker_index": cfg.study.worker_index},
                system_attrs={}, intermediate_values={}, trial_id=0)
            trial = optuna.Trial(study, storage.create_new_trial(study_id,
                                                                 template_trial=template))
            if queue.attach(item, trial.number, lease_s=lease_seconds(cfg)):
                trials.append(trial)
                kept.append(item)
            else:
                _fail(storage, trial._trial_id)
    except KeyboardInterrupt:
        with interrupt.deferred():
            for item in items:  # its RUNNING trials, even one whose creation the stop cut short
                _lost_trials(storage, study, item)
                queue.release(item, failed=False, max_retries=cfg.study.max_retries)
        raise
    return trials, kept


def renewer(cfg: RunConfig, store: Store, items: list[ItemLease]) -> Callable[[], None]:
    """What a claim's heartbeat does: renew its items' leases, warning once if they ran out."""
    queue, warned = store.queue(cfg.study_name), []

    def renew() -> None:
        held = queue.renew(items[0].token, lease_seconds(cfg))
        if held < len(items) and not warned:
            warned.append(True)
            log.warning("this worker's lease on %s ran out (it was paused or cut off from the "
                        "database); another worker may run them too, and statistics count the "
                        "first result saved", ", ".join(f"{i.key} seed {i.seed}" for i in items))
    return renew


def settle_items(cfg: RunConfig, store: Store, trials: list[optuna.Trial],
                 items: list[ItemLease]) -> None:
    """After a pass, end the claim's hold on its items: those with a final result are done
    already; one that failed using a retry waits again (or is exhausted); any other
    (interrupted, not begun) waits again with no try used."""
    queue = store.queue(cfg.study_name)
    stored = store.trial_statuses(cfg.study_name, [t.number for t in trials])
    for trial, item in zip(trials, items, strict=True):
        status, reason = stored.get(trial.number, (None, ""))
        if status is not None and status.final:
            queue.finish(item)
        else:
            queue.release(item, max_retries=cfg.study.max_retries,
                          failed=status is Status.FAILED and StopReason.uses_retry(reason))
