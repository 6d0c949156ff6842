"""Store.study_records and the stored hypervolume history, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text

from dse.core.records import CompressionRecord, HypervolumeRecord, LatencyRecord
from dse.core.study_records import StudyRecords
from dse.store import Store, driver_url, open_store
from store._records import as_older_release, proxy_arch, result

HISTORY = HypervolumeRecord(["accuracy", "size_mb"], [0.1, 3.0753], [(0, 0.25), (2, 1 / 3)])


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, empty store on each backend."""
    with open_store(store_url) as opened:
        yield opened


def _latency(fingerprint: str, batch: int) -> LatencyRecord:
    """A latency of one network at one batch size."""
    return LatencyRecord(fingerprint=fingerprint, device="cpu", runtime="torch", threads=1,
                         batch=batch, median_ms=1.5, q1_ms=1.25, q3_ms=2.0, repeats=30)


def _compression(study: str, trial: int, fingerprint: str, size_bytes: int) -> CompressionRecord:
    """A compression of one trial's network."""
    return CompressionRecord(
        study=study, trial_number=trial, seed=0, fingerprint=fingerprint, setting="8bit-33pct",
        setting_hash="h" * 16, keep=0.33, bits={"squeeze": 8}, index_bits=8, prune="layer",
        kept_fraction=0.33, compressed_bytes=1000, original_bytes=size_bytes, test_top1=0.8)


def test_one_call_gives_a_study_everything_its_readers_take(store: Store) -> None:
    small, large, elsewhere = proxy_arch(sr=0.25), proxy_arch(sr=0.5), proxy_arch(sr=0.75)
    for arch in (small, large, elsewhere):
        store.save_arch(arch)
    store.save_result(result(large, trial_number=1))
    store.save_result(result(small, trial_number=0))
    store.save_result(result(elsewhere, study="other"))
    for arch, batch in ((small, 1), (small, 8), (elsewhere, 1)):
        store.save_latency(_latency(arch.fingerprint, batch))
    store.save_compression(_compression("s", 0, small.fingerprint, small.size_bytes))
    store.save_compression(_compression("other", 0, elsewhere.fingerprint, elsewhere.size_bytes))
    store.save_hypervolume("s", HISTORY)

    records = store.study_records("s")
    assert isinstance(records, StudyRecords) and records.study == "s"
    assert [(r.trial_number, r.fingerprint) for r in records.results] == \
        [(0, small.fingerprint), (1, large.fingerprint)]
    assert records.results == store.results("s")
    assert records.archs == {small.fingerprint: small, large.fingerprint: large}
    assert sorted(r.batch for r in records.latencies) == [1, 8]
    assert [(c.study, c.fingerprint) for c in records.compressions] == [("s", small.fingerprint)]
    assert records.hypervolume == HISTORY
    assert store.study_records("other").hypervolume is None
    empty = store.study_records("none")
    assert (empty.results, empty.archs, empty.latencies, empty.compressions,
            empty.hypervolume) == ([], {}, [], [], None)


def test_the_hypervolume_history_is_replaced_per_study_and_round_trips_exactly(
        store: Store) -> None:
    assert store.hypervolume("s") is None
    store.save_hypervolume("s", HISTORY)
    longer = HypervolumeRecord(HISTORY.objectives, HISTORY.reference,
                               [*HISTORY.history, (3, 0.1 + 0.2)])
    store.save_hypervolume("s", longer)
    store.save_hypervolume("t", HypervolumeRecord(["accuracy", "macs"], [0.1, 5e8], []))
    assert store.hypervolume("s") == longer  # floats exactly, trial numbers as ints
    assert store.hypervolume("t") == HypervolumeRecord(["accuracy", "macs"], [0.1, 5e8], [])


def test_a_store_without_the_hypervolume_table_gains_it_and_keeps_its_rows(
        store_url: str) -> None:
    as_older_release(store_url, lambda conn: conn.execute(text("DROP TABLE dse_hypervolume")))
    engine = create_engine(driver_url(store_url))
    assert "dse_hypervolume" not in inspect(engine).get_table_names()
    engine.dispose()
    with open_store(store_url) as store:
        assert store.study_records("s").hypervolume is None
        assert [r.trial_number for r in store.study_records("s").results] == [0]
        store.save_hypervolume("s", HISTORY)
        assert store.hypervolume("s") == HISTORY
