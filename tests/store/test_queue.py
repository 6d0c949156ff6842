"""The work queue of grid studies (dse.store.WorkQueue), on a real SQLite file and a real
PostgreSQL server: leases, take-overs, retries, counts, and exactly-once claims across processes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dse.core.records import ArchRecord
from dse.core.sweep import item_key
from dse.store import ItemLease, ItemState, Store, WorkQueue, open_store
from store._records import BUDGET, proxy_arch, result
from store._workers import claim_all, run_at_once

LEASE = 2.0  # seconds: long enough that a loaded machine's next statement comes within it
ITEMS = [(item_key({"sr": sr}, BUDGET), seed) for sr in (0.25, 0.5, 1.0) for seed in range(2)]


def test_items_are_queued_once_and_claimed_in_order_a_points_seeds_together(
        store_url: str) -> None:
    with open_store(store_url) as store:
        queue = store.queue("s")
        queue.fill(ITEMS)
        queue.fill(ITEMS)  # a second worker starting: nothing doubles
        assert queue.size() == 6 and queue.counts().waiting == 6
        first = queue.claim("a", lease_s=60, group=2, max_retries=0)
        second = queue.claim("b", lease_s=60, group=1, max_retries=0)
        assert [(i.key, i.seed) for i in first] == ITEMS[:2]
        assert len({i.token for i in first}) == 1  # one claim, one token: one renewal
        assert [(i.key, i.seed) for i in second] == ITEMS[2:3]
        counts = queue.counts()
        assert (counts.waiting, counts.running, counts.expired) == (3, 3, 0)
        assert 50 < counts.next_expiry_s <= 60
        assert store.queue("other").counts().total == 0  # studies do not mix


def test_an_expired_lease_is_taken_over_counting_a_try_until_retries_are_used_up(
        store_url: str) -> None:
    with open_store(store_url) as store:
        queue = store.queue("s")
        queue.fill(ITEMS[:1])
        [lost] = queue.claim("a", lease_s=LEASE, group=1, max_retries=1)
        assert queue.claim("b", lease_s=LEASE, group=1, max_retries=1) == []  # a holds it
        time.sleep(LEASE + 0.3)
        assert queue.counts().expired == 1
        [again] = queue.claim("b", lease_s=LEASE, group=1, max_retries=1)
        assert (again.key, again.taken_over, again.tries, again.exhausted) == \
            (lost.key, True, 1, False)
        assert queue.renew(lost.token, 60) == 0  # a, waking late, holds nothing any more
        assert not queue.attach(lost, 7, lease_s=60)
        queue.release(lost, failed=True, max_retries=1)  # ... and changes nothing
        assert queue.counts().running + queue.counts().expired == 1
        time.sleep(LEASE + 0.3)
        [spent] = queue.claim("c", lease_s=60, group=1, max_retries=1)
        assert (spent.tries, spent.exhausted) == (2, True)  # reported, not taken
        assert queue.counts().exhausted == 1 and queue.exhausted() == [(lost.key, 0, None)]


def test_a_renewed_lease_is_not_taken_over(store_url: str) -> None:
    with open_store(store_url) as store:
        queue = store.queue("s")
        queue.fill(ITEMS[:1])
        [item] = queue.claim("a", lease_s=LEASE, group=1, max_retries=0)
        for _ in range(3):  # 3 x 0.8 s: past the first lease, held by renewals
            time.sleep(0.8)
            assert queue.renew(item.token, LEASE) == 1
        assert queue.claim("b", lease_s=LEASE, group=1, max_retries=0) == []


def test_release_after_an_interrupt_uses_no_try_and_after_a_failure_one(store_url: str) -> None:
    with open_store(store_url) as store:
        queue = store.queue("s")
        queue.fill(ITEMS[:1])
        [item] = queue.claim("a", lease_s=60, group=1, max_retries=1)
        queue.release(item, failed=False, max_retries=1)
        [item] = queue.claim("a", lease_s=60, group=1, max_retries=1)
        assert item.tries == 0
        queue.release(item, failed=True, max_retries=1)
        [item] = queue.claim("a", lease_s=60, group=1, max_retries=1)
        assert item.tries == 1
        queue.release(item, failed=True, max_retries=1)
        assert queue.counts().exhausted == 1 and queue.claim("a", lease_s=60, group=1,
                                                             max_retries=1) == []


def _leased_proxy(store: Store, *, lease_s: float) -> tuple[WorkQueue, ItemLease, ArchRecord]:
    """Study "s" with one item (the proxy network at SR 0.25, seed 0), leased by "a", and the
    network saved."""
    arch = proxy_arch(sr=0.25)
    queue = store.queue("s")
    queue.fill([(item_key({"sr": 0.25}, BUDGET), 0)])
    [item] = queue.claim("a", lease_s=lease_s, group=1, max_retries=0)
    store.save_arch(arch)
    return queue, item, arch


def test_saving_a_final_result_marks_its_item_done_a_failure_does_not(store_url: str) -> None:
    with open_store(store_url) as store:
        queue, item, arch = _leased_proxy(store, lease_s=60)
        store.save_result(result(arch, status="failed", reason="error: x"))
        assert queue.counts().done == 0
        store.save_result(result(arch, trial_number=1))
        counts = queue.counts()
        assert (counts.done, counts.running, counts.finished) == (1, 1, 1)  # held till told
        assert queue.renew(item.token, 60) == 1  # so its heartbeat goes on without a warning
        queue.finish(item)
        assert queue.counts().running == 0 and queue.renew(item.token, 60) == 0
        assert store.trial_statuses("s", [0, 1, 5]) == {0: ("failed", "error: x"),
                                                        1: ("complete", "")}


def test_a_done_item_whose_hold_lapsed_is_an_orphan_once(store_url: str) -> None:
    with open_store(store_url) as store:
        queue, item, arch = _leased_proxy(store, lease_s=LEASE)
        assert queue.attach(item, 3, lease_s=LEASE)
        store.save_result(result(arch, trial_number=3))  # ... and its worker dies, untold
        assert queue.orphans() == []  # its hold is live
        time.sleep(LEASE + 0.3)
        assert queue.counts().orphaned == 1
        assert queue.orphans() == [3] and queue.orphans() == []
        assert queue.counts().total == 1 and queue.counts().finished == 1


def test_items_settled_before_the_queue_existed_keep_their_state(store_url: str) -> None:
    with open_store(store_url) as store:
        queue = store.queue("s")
        queue.fill(ITEMS, {ITEMS[0]: (ItemState.DONE, 0), ITEMS[1]: (ItemState.WAITING, 1)})
        counts = queue.counts()
        assert (counts.done, counts.waiting) == (1, 5)
        [item] = queue.claim("a", lease_s=60, group=1, max_retries=1)
        assert (item.key, item.seed, item.tries) == (*ITEMS[1], 1)


def test_workers_claiming_at_once_take_every_item_exactly_once(store_url: str,
                                                               tmp_path: Path) -> None:
    items = [(item_key({"sr": i / 100}, BUDGET), seed) for i in range(1, 41) for seed in range(2)]
    with open_store(store_url) as store:
        store.queue("s").fill(items)
    outs = [str(tmp_path / f"w{n}.txt") for n in range(4)]
    run_at_once(claim_all, [(store_url, "s", out) for out in outs])
    taken = [line for out in outs for line in Path(out).read_text().splitlines()]
    assert sorted(taken) == sorted(f"{key} {seed}" for key, seed in items)  # none twice
    assert sum(bool(Path(out).read_text()) for out in outs) >= 2  # they did claim side by side


@pytest.mark.postgres
def test_leases_read_the_database_clock_whatever_the_session_time_zone(
        pg_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(pg_db_url) as store:
        store.queue("s").fill(ITEMS[:1])
        monkeypatch.setenv("PGTZ", "America/New_York")
        with open_store(pg_db_url) as west:
            [item] = west.queue("s").claim("west", lease_s=30, group=1, max_retries=0)
        monkeypatch.setenv("PGTZ", "Asia/Tokyo")
        with open_store(pg_db_url) as east:
            counts = east.queue("s").counts()
            assert (counts.running, counts.expired) == (1, 0)
            assert 20 < counts.next_expiry_s <= 30
            assert east.queue("s").claim("east", lease_s=30, group=1, max_retries=0) == []
            assert east.queue("s").renew(item.token, 30) == 1
