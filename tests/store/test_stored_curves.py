"""Learning curves in the store (dse_curves), on a SQLite file and on PostgreSQL: saving,
reading, saving twice, and a store made before the table existed."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, inspect, text

from dse.core.records import CurvePoint
from dse.store import Store, driver_url, open_store
from store._records import as_older_release, proxy_arch, result


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, empty store on each backend."""
    with open_store(store_url) as opened:
        yield opened


def _curve(study: str, trial: int, top1: list[float], *, loss: float = 2.0) -> list[CurvePoint]:
    """A curve of len(top1) epochs: top-5 above top-1, the loss falling by 0.5 an epoch."""
    return [CurvePoint(study=study, trial_number=trial, epoch=epoch, val_top1=value,
                       val_top5=min(1.0, value + 0.25), train_loss=loss - 0.5 * (epoch - 1))
            for epoch, value in enumerate(top1, start=1)]


def test_curves_round_trip_by_study_and_trial_in_epoch_order(store: Store) -> None:
    first, second = _curve("s", 0, [0.25, 0.5, 0.75]), _curve("s", 1, [0.1, 0.3])
    store.save_curve(list(reversed(first)))  # any order in, epoch order out
    store.save_curve(second)
    store.save_curve(_curve("other", 0, [0.9]))
    assert store.curves("s") == first + second  # floats exactly, by trial then epoch
    assert store.curves("s", trial_number=1) == second
    assert store.curves("other") == _curve("other", 0, [0.9])
    assert store.curves("none") == [] and store.curves("s", trial_number=7) == []
    store.save_curve([])  # nothing to save: no error, nothing stored
    assert len(store.curves("s")) == 5


def test_saving_a_curve_twice_stores_it_once_and_the_first_write_wins(store: Store) -> None:
    curve = _curve("s", 0, [0.25, 0.5])
    store.save_curve(curve)
    store.save_curve(curve)
    store.save_curve([replace(curve[1], val_top1=0.99), *_curve("s", 0, [0.25, 0.5, 0.7])[2:]])
    assert store.curves("s") == [*curve, _curve("s", 0, [0.25, 0.5, 0.7])[2]]


def test_nan_and_infinite_values_are_stored_as_none(store: Store) -> None:
    store.save_curve([CurvePoint(study="s", trial_number=0, epoch=1, val_top1=0.1,
                                 val_top5=math.nan, train_loss=math.inf)])
    assert store.curves("s") == [CurvePoint(study="s", trial_number=0, epoch=1, val_top1=0.1)]


def test_an_epoch_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="epoch must be an integer >= 1, got 0"):
        CurvePoint(study="s", trial_number=0, epoch=0)


def test_study_records_carry_the_studys_curves(store: Store) -> None:
    arch = proxy_arch()
    store.save_arch(arch)
    store.save_result(result(arch, trial_number=0))
    store.save_curve(_curve("s", 0, [0.5, 0.6]))
    store.save_curve(_curve("other", 0, [0.9]))
    assert store.study_records("s").curves == _curve("s", 0, [0.5, 0.6])
    assert store.study_records("none").curves == []


def test_a_store_without_the_curves_table_gains_it_and_keeps_its_results(
        store_url: str) -> None:
    arch = as_older_release(store_url, lambda conn: conn.execute(text("DROP TABLE dse_curves")))
    engine = create_engine(driver_url(store_url))
    assert "dse_curves" not in inspect(engine).get_table_names()
    engine.dispose()
    with open_store(store_url) as store:
        records = store.study_records("s")
        assert [(r.trial_number, r.fingerprint) for r in records.results] == [(0, arch.fingerprint)]
        assert records.curves == []
        store.save_curve(_curve("s", 0, [0.5, 0.6]))
        store.save_curve(_curve("s", 0, [0.5, 0.6]))  # the unique (study, trial, epoch) holds
        assert store.curves("s") == _curve("s", 0, [0.5, 0.6])
    engine = create_engine(driver_url(store_url))
    assert "dse_curves" in inspect(engine).get_table_names()
    engine.dispose()
