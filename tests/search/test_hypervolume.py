"""Hypervolume against a fixed reference point: a hand-made study whose volume is known, the
reference a real search stores before its first trial, and the history the study layer stores
(dse_hypervolume) as trials end, which reports read."""

from __future__ import annotations

import csv
from pathlib import Path

import optuna
import pytest
from conftest import run_module
from studyrun import dse_run
from workers import optuna_url

from dse.cli import compose, to_plain
from dse.core.config import run_config
from dse.core.records import arch_record
from dse.search._hypervolume import (
    REFERENCE_ATTR,
    hypervolume_history,
    record_hypervolume,
    reference_point,
    store_hypervolume,
    stored_reference,
)
from dse.store import Store, driver_url, open_store

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _trial(values: list[float], constraint: float | None = None) -> optuna.trial.FrozenTrial:
    """A complete trial of (accuracy, size) with an optional size constraint."""
    attrs = {} if constraint is None else {"constraints:size_mb": constraint}
    return optuna.trial.create_trial(values=values, system_attrs=attrs)


def test_hypervolume_of_a_hand_made_study_is_the_known_area() -> None:
    study = optuna.create_study(directions=["maximize", "minimize"])
    for trial in (_trial([0.6, 2.0]), _trial([0.8, 4.0]),
                  _trial([0.99, 0.1], constraint=0.5),  # infeasible: counts nothing
                  _trial([0.05, 1.0]),  # below chance: does not dominate the reference
                  _trial([0.7, 3.0], constraint=-1.0)):  # feasible, inside the union
        study.add_trial(trial)
    # reference (accuracy 0.1, size 10): rectangles 0.5 x 8 = 4.0 and 0.7 x 6 = 4.2 overlap
    # in 0.5 x 6 = 3.0, so the union is 5.2; (0.7, 3) adds 0.1 x 1 = 0.1
    history = hypervolume_history(study, [0.1, 10.0])
    assert [n for n, _ in history] == [0, 1, 2, 3, 4]
    assert [v for _, v in history] == pytest.approx([4.0, 5.2, 5.2, 5.2, 5.3])
    # sizes on a log10 axis: reference log10(10) = 1; (0.6, 2) spans 0.5 x (1 - 0.301)
    logged = hypervolume_history(study, [0.1, 10.0], log_costs=True)
    assert logged[0][1] == pytest.approx(0.5 * (1 - 0.30103), abs=1e-5)


def _stored(store: Store) -> tuple[list[int], list[float]]:
    """The stored history of study "s": its trial numbers and its volumes."""
    record = store.hypervolume("s")
    assert record is not None
    return [n for n, _ in record.history], [v for _, v in record.history]


def test_each_ended_trial_stores_the_history_even_when_trials_end_out_of_order(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    with open_store(url) as store:
        study = optuna.create_study(study_name="s", storage=driver_url(url),
                                    directions=["maximize", "minimize"])
        assert store_hypervolume(store, study) is None  # no reference point: nothing stored
        assert store.hypervolume("s") is None
        study.set_user_attr(REFERENCE_ATTR, {"objectives": ["accuracy", "size_mb"],
                                             "point": [0.1, 10.0]})
        first, second, third = study.ask(), study.ask(), study.ask()
        study.tell(second, [0.8, 4.0])  # trial 1 ends first
        record_hypervolume(store, study, 1)
        assert _stored(store) == ([1], pytest.approx([4.2]))
        study.tell(first, [0.6, 2.0])  # trial 0 ends: trial 1's volume now counts it too
        record_hypervolume(store, study, 0)
        assert _stored(store) == ([0, 1], pytest.approx([4.0, 5.2]))
        study.tell(third, [0.7, 3.0])
        study.add_trial(_trial([0.9, 9.0]))  # trial 3: its worker died before storing it
        record_hypervolume(store, study, 2)  # keeps 0 and 1, computes 2 and 3
        study.add_trial(_trial([0.2, 0.5]))
        record_hypervolume(store, study, 4)
        stored = store.hypervolume("s")
        assert stored is not None and stored.reference == [0.1, 10.0]
        assert stored.objectives == ["accuracy", "size_mb"]
        assert stored.history == hypervolume_history(study, [0.1, 10.0])
        assert [n for n, _ in stored.history] == [0, 1, 2, 3, 4]
        study.add_trial(_trial([0.95, 9.5]))  # trial 5, never recorded; 6 finds 5 missing ...
        study.add_trial(_trial([0.3, 1.0]))
        store.save_hypervolume("s", type(stored)(stored.objectives, stored.reference,
                                                 stored.history[:2]))  # ... and 2-4 lost
        record_hypervolume(store, study, 6)  # the earlier pairs are not all there: all again
        assert store.hypervolume("s").history == hypervolume_history(study, [0.1, 10.0])  # type: ignore[union-attr]


def test_the_reference_is_chance_and_the_largest_network_of_the_space() -> None:
    cfg = run_config(to_plain(compose("config", ["+sweep=pareto"])))
    ref = reference_point(cfg)
    assert ref is not None and ref["objectives"] == ["accuracy", "size_mb"]
    largest = arch_record(cfg.arch_for({"base_e": 64, "incr_e": 64, "freq": 1, "sr": 1.0,
                                        "pct3x3": 0.95, "bypass": "complex"}))
    assert ref["point"] == [0.1, largest.size_mb]
    macs = run_config(to_plain(compose("config", ["+sweep=pareto",
                                                  "sweep.objectives=[accuracy,macs]"])))
    assert reference_point(macs)["point"][1] >= largest.macs  # type: ignore[index]
    latency = run_config(to_plain(compose("config", ["+sweep=pareto",
                                                     "sweep.objectives=[accuracy,latency_ms]"])))
    assert reference_point(latency) is None  # no bound on a measured latency
    assert reference_point(run_config(to_plain(compose("config", ["+sweep=bypass"])))) is None


@pytest.mark.slow
def test_a_search_stores_its_reference_and_its_report_shows_the_history(tmp_path: Path) -> None:
    """The history a run stores is Optuna's; a store without it (an older dse's) gets it from
    the next run of the study, and the report reads it from the store."""
    done = dse_run(tmp_path, "+sweep=pareto", "sweep.n_trials=10", "study.workers=1",
                   "sampler=random")
    assert done.returncode == 0, done.stderr
    url = f"sqlite:///{tmp_path}/studies.db"
    study = optuna.load_study(study_name="pareto-digits", storage=optuna_url(url))
    reference = stored_reference(study)
    assert reference is not None and reference[0] == 0.1
    assert study.user_attrs[REFERENCE_ATTR]["objectives"] == ["accuracy", "size_mb"]
    history = hypervolume_history(study, reference)
    assert len(history) == 10 and history[-1][1] >= history[0][1] > 0
    assert all(b[1] >= a[1] for a, b in zip(history, history[1:]))  # never falls
    with open_store(url) as store:
        assert store.hypervolume("pareto-digits").history == history  # type: ignore[union-attr]
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:  # as an older dse left the store: no dse_hypervolume
        conn.execute(text("DROP TABLE dse_hypervolume"))
    engine.dispose()
    again = dse_run(tmp_path, "+sweep=pareto", "sweep.n_trials=10", "study.workers=1",
                    "sampler=random")
    assert again.returncode == 0 and "nothing left to do" in again.stdout, again.stderr
    with open_store(url) as store:
        stored = store.hypervolume("pareto-digits")
        assert stored is not None and stored.history == history
        assert stored.reference == reference and stored.objectives == ["accuracy", "size_mb"]
    # the end of the run lists the front, picked on validation, with its metaparameters
    assert "points on the Pareto front (max validation top-1, min size" in done.stdout
    assert "size MB  val top-1  test top-1  base_e" in done.stdout
    report = run_module("dse.report", "+sweep=pareto", f"storage.url={url}",
                        f"study.output_dir={tmp_path}/out", "report.static=false")
    assert report.returncode == 0, report.stderr
    folder = tmp_path / "out" / "pareto-digits"
    rows = list(csv.DictReader((folder / "hypervolume.csv").open()))
    assert [(int(r["trial"]), float(r["hypervolume"])) for r in rows] == \
        [(n, pytest.approx(v)) for n, v in history]
    assert float(rows[0]["reference_size_mb"]) == pytest.approx(reference[1])
    edf = list(csv.DictReader((folder / "edf.csv").open()))
    assert sum(r["kind"] == "edf" for r in edf) == 10 and any(r["kind"] == "good_range" for r in edf)
    page = (folder / "report.html").read_text()
    assert "Hypervolume after each trial" in page and "Error EDF" in page


@pytest.mark.slow
def test_a_worker_stores_the_history_as_each_trial_ends(tmp_path: Path) -> None:
    """One worker in this process, without the end of run_study: its trials alone store it."""
    from studyrun import TINY

    from dse.search._progress import Progress
    from dse.search._study import open_study, study_storage
    from dse.search._worker import run_worker

    url = f"sqlite:///{tmp_path}/s.db"
    cfg = run_config(to_plain(compose("config", [*TINY, f"storage.url={url}", "+sweep=pareto",
                                                 f"study.output_dir={tmp_path}",
                                                 "sweep.n_trials=3", "sampler=random"])))
    with open_store(url) as store:
        storage = study_storage(cfg, store)
        study = open_study(cfg, storage, store)
        assert study is not None
        assert run_worker(cfg, store, study, storage, Progress(3), threads=1) == 3
        stored = store.hypervolume(cfg.study_name)
    assert stored is not None and stored.reference == stored_reference(study)
    assert len(stored.history) == 3 and stored.history == hypervolume_history(study,
                                                                              stored.reference)
