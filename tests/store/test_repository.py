"""Store: saving and reading records, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from dse.core.records import CompressionRecord, LatencyRecord
from dse.store import Store, open_store
from store._records import proxy_arch, result


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, empty store on each backend."""
    with open_store(store_url) as opened:
        yield opened


def test_arch_round_trip(store: Store) -> None:
    arch = proxy_arch(sr=0.25, bypass="complex")
    store.save_arch(arch)
    assert store.archs([arch.fingerprint]) == {arch.fingerprint: arch}


def test_save_arch_twice_is_idempotent_and_keeps_the_first(store: Store) -> None:
    arch = proxy_arch()
    store.save_arch(arch)
    store.save_arch(arch)
    # Same fingerprint, other fields: the first write wins, nothing raises.
    store.save_arch(type(arch)(arch.fingerprint, {"other": 1}, [], 1, 2, 3, 4))
    assert store.archs([arch.fingerprint]) == {arch.fingerprint: arch}


def test_archs_leaves_out_unknown_fingerprints(store: Store) -> None:
    first, second = proxy_arch(sr=0.25), proxy_arch(sr=0.5)
    store.save_arch(first)
    store.save_arch(second)
    found = store.archs(iter([first.fingerprint, second.fingerprint, "0" * 16, first.fingerprint]))
    assert found == {first.fingerprint: first, second.fingerprint: second}
    assert store.archs([]) == {}


def test_a_latency_is_stored_once_per_setting_and_read_by_network(store: Store) -> None:
    first, other = proxy_arch(sr=0.25), proxy_arch(sr=0.5)
    setting = {"device": "cpu", "runtime": "torch", "threads": 1, "batch": 1}
    measured = LatencyRecord(fingerprint=first.fingerprint, **setting, median_ms=1.5, q1_ms=1.25,
                             q3_ms=2.0, repeats=30)
    store.save_latency(measured)
    store.save_latency(LatencyRecord(**{**measured.__dict__, "median_ms": 9.0}))  # first wins
    store.save_latency(LatencyRecord(**{**measured.__dict__, "batch": 32, "median_ms": 20.0}))
    store.save_latency(LatencyRecord(**{**measured.__dict__, "fingerprint": other.fingerprint}))
    found = store.latencies([first.fingerprint])
    assert sorted((r.batch, r.median_ms) for r in found) == [(1, 1.5), (32, 20.0)]
    assert measured in found and store.latencies([]) == []


def test_a_compression_is_stored_once_per_trial_and_setting(store: Store) -> None:
    arch = proxy_arch(sr=0.25)
    moment = datetime(2026, 11, 23, 22, 0, 5, 125_000, tzinfo=UTC)
    rec = CompressionRecord(
        study="s", trial_number=4, seed=1, fingerprint=arch.fingerprint, setting="8bit-33pct",
        setting_hash="h" * 16, keep=0.33, bits={"squeeze": 8, "expand3x3": 6}, index_bits=8,
        prune="layer", kept_fraction=0.3301, compressed_bytes=9_001, original_bytes=arch.size_bytes,
        val_top1=0.9, val_top5=0.99, test_top1=float("nan"), test_top5=0.98, time_s=2.5,
        artifact="a1", created_at=moment)
    assert store.save_compression(rec) is True
    assert store.save_compression(CompressionRecord(**{**rec.__dict__, "time_s": 9.0})) is False
    other = CompressionRecord(**{**rec.__dict__, "setting": "6bit-33pct", "compressed_bytes": 7_000})
    assert store.save_compression(other) is True
    store.save_compression(CompressionRecord(**{**rec.__dict__, "study": "t"}))
    first, second = store.compressions("s")
    assert first == CompressionRecord(**{**rec.__dict__, "test_top1": None, "id": first.id})
    assert second.setting == "6bit-33pct" and second.id > first.id  # save order
    assert first.ratio == arch.size_bytes / 9_001 and store.compressions("none") == []


def test_result_round_trip(store: Store) -> None:
    arch = proxy_arch()
    moment = datetime(2025, 3, 1, 12, 30, 15, 250_000, tzinfo=timezone(timedelta(hours=2)))
    rec = result(
        arch, study="study-a", trial_number=7, point={"sr": 0.125, "pct3x3": 0.5}, seed=3,
        val_top1=0.8125, val_top5=0.96875, test_top1=0.8, test_top5=0.97, train_loss=0.123456789,
        epochs=12, wall_time_s=31.5, images_per_s=1234.5, device="cpu", git_commit="abc123",
        config_hash="c" * 16, versions={"torch": "2.13.0", "dse": "0.1.0"}, created_at=moment,
        weights_artifact="0f2c", weights_store="s3://bucket", weights_bytes=218_320,
    )
    row_id = store.save_result(rec)
    (back,) = store.results("study-a")
    assert back.id == row_id
    assert back.created_at == moment and back.created_at.tzinfo == UTC
    assert back == type(rec)(**{**rec.__dict__, "id": row_id, "created_at": back.created_at})


def test_result_without_metrics_round_trips_and_gets_a_utc_time(store: Store) -> None:
    before = datetime.now(UTC)
    rec = result(proxy_arch(), status="rejected", reason="too large: 5.2 MB > 4 MB",
                 val_top1=None, val_top5=None)
    store.save_result(rec)
    (back,) = store.results("s")
    assert back.status == "rejected" and back.reason == rec.reason
    assert back.val_top1 is None and back.epochs is None and back.versions == {}
    assert before - timedelta(seconds=5) <= back.created_at <= datetime.now(UTC)


def test_nan_metrics_are_stored_as_none_and_infinity_is_kept(store: Store) -> None:
    store.save_result(result(proxy_arch(), status="diverged", train_loss=math.nan,
                             val_top1=math.inf))
    (back,) = store.results("s")
    assert back.train_loss is None and back.val_top1 == math.inf


def test_results_are_ordered_by_trial_number(store: Store) -> None:
    arch = proxy_arch()
    for number in (5, 0, 3, 1):
        store.save_result(result(arch, trial_number=number))
    store.save_result(result(arch, study="other", trial_number=2))
    assert [r.trial_number for r in store.results("s")] == [0, 1, 3, 5]
    assert store.results("nope") == []


def test_studies_and_count_results(store: Store) -> None:
    arch = proxy_arch()
    assert store.studies() == [] and store.count_results("s") == 0
    for study, number in [("b", 0), ("a", 0), ("b", 1)]:
        store.save_result(result(arch, study=study, trial_number=number))
    assert store.studies() == ["a", "b"]
    assert [store.count_results(name) for name in ("a", "b", "c")] == [1, 2, 0]


def test_final_results_are_counted_as_of_a_trial_s_latest_result(store: Store) -> None:
    arch = proxy_arch()
    for number, status in ((0, "complete"), (1, "failed"), (2, "reused"), (1, "complete")):
        store.save_result(result(arch, trial_number=number, status=status))  # trial 1 retried
    store.save_result(result(arch, study="other", trial_number=5))
    # what each worker's progress line reads, whatever was saved after its result
    assert [store.count_results("s", final_upto_trial=n) for n in (0, 2, 1)] == [1, 2, 3]
    assert store.count_results("s", final_upto_trial=9) == 0  # no result of that trial


def test_find_reusable_looks_across_studies(store: Store) -> None:
    arch = proxy_arch()
    key = {"fingerprint": arch.fingerprint, "seed": 0, "dataset": "digits",
           "train_config_hash": "t" * 16}
    assert store.find_reusable(**key) is None
    first = store.save_result(result(arch, study="earlier", trial_number=4, val_top1=0.75))
    store.save_result(result(arch, study="later", trial_number=9, val_top1=0.5))
    found = store.find_reusable(**key)
    assert found is not None
    assert (found.id, found.study, found.trial_number) == (first, "earlier", 4)
    assert found.val_top1 == 0.75


def test_find_reusable_takes_a_diverged_result(store: Store) -> None:
    arch = proxy_arch()
    store.save_result(result(arch, status="diverged", val_top1=0.1, train_loss=math.nan))
    found = store.find_reusable(fingerprint=arch.fingerprint, seed=0, dataset="digits",
                                train_config_hash="t" * 16)
    assert found is not None and found.status == "diverged"


@pytest.mark.parametrize(
    "other",
    [
        {"status": "failed", "reason": "CUDA out of memory"},
        {"status": "rejected", "reason": "too large"},
        {"status": "pruned"},
        {"status": "reused", "reused_from": 0, "reused_from_study": "s"},
        {"seed": 1},
        {"dataset": "cifar10"},
        {"train_config_hash": "u" * 16},
        {"fingerprint": proxy_arch(sr=0.5).fingerprint},
    ],
    ids=lambda other: "-".join(f"{k}={v}" for k, v in other.items())[:40],
)
def test_find_reusable_ignores_other_outcomes_and_keys(store: Store, other: dict) -> None:
    arch = proxy_arch()
    store.save_result(result(arch, **other))
    assert store.find_reusable(fingerprint=arch.fingerprint, seed=0, dataset="digits",
                               train_config_hash="t" * 16) is None


def test_reopening_keeps_every_row(store_url: str) -> None:
    arch = proxy_arch()
    with open_store(store_url) as store:
        store.save_arch(arch)
        store.save_result(result(arch))
        before = store.results("s")
    with open_store(store_url) as store:
        assert store.results("s") == before
        assert store.archs([arch.fingerprint]) == {arch.fingerprint: arch}
