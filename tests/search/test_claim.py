"""The claim protocol, driven step by step as a script would, one interleaving per test.

Each test forces one interleaving of two workers (A and B) in this process, on a real SQLite
study, and checks what the protocol in dse/search/_claim.py promises.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState
from sqlalchemy import create_engine, text
from studyrun import TINY

from dse.analysis.figures import group_points
from dse.cli import compose, to_plain
from dse.core import interrupt
from dse.core.config import RunConfig, run_config
from dse.core.records import ResultRecord, arch_record, counted_results
from dse.core.status import StopReason
from dse.core.sweep import item_key, point_key
from dse.search import _claim, _trial
from dse.search._claim import claim
from dse.search._grid_claim import lease_seconds
from dse.search._progress import Progress
from dse.search._study import open_study, study_storage
from dse.search._worker import run_worker
from dse.store import Store, open_store

GRID = ("+sweep=squeeze_ratio", "sweep.grid.sr=[0.25,0.5]", "study.seeds=1", "study.heartbeat_s=1")


def _open(tmp_path: Path, *overrides: str) -> tuple[RunConfig, Store, Any, optuna.Study]:
    """A study on a SQLite file, as a worker opens it."""
    url = f"sqlite:///{tmp_path}/s.db"
    cfg = run_config(to_plain(compose("config", [*TINY, f"storage.url={url}",
                                                 f"study.output_dir={tmp_path}", *overrides])))
    store = open_store(url)
    storage = study_storage(cfg, store)
    study = open_study(cfg, storage, store)
    assert study is not None
    return cfg, store, storage, study


def _save_complete(cfg: RunConfig, store: Store, trial: optuna.Trial) -> None:
    """What worker A does when its trial ends: save the result, then tell Optuna."""
    point = json.loads(trial.user_attrs["point_key"])
    arch = arch_record(cfg.arch_for(point))
    store.save_arch(arch)
    store.save_result(ResultRecord(
        study=cfg.study_name, trial_number=trial.number, point=point,
        seed=int(trial.user_attrs["seed"]), fingerprint=arch.fingerprint,
        dataset=cfg.dataset_key, train_config_hash=cfg.train_hash, status="complete",
        val_top1=0.9, test_top1=0.9, budget=trial.user_attrs.get("budget")))
    trial.study.tell(trial, 0.9)


def test_a_grid_study_from_before_the_queue_runs_only_what_is_left(tmp_path: Path) -> None:
    cfg, store, storage, study = _open(tmp_path, *GRID)
    engine = create_engine(f"sqlite:///{tmp_path}/s.db")
    with engine.begin() as conn:  # as an older release left it: no work queue ...
        conn.execute(text("DELETE FROM dse_work_items"))
    for sr in (0.25, 0.5):  # ... every item queued in Optuna up front, and sr=0.25 done
        study.enqueue_trial({"sr": sr}, user_attrs={"point_key": point_key({"sr": sr}), "seed": 0})
    _save_complete(cfg, store, study.ask())
    study = open_study(cfg, storage, store)
    assert study is not None
    states = [t.state for t in study.get_trials(deepcopy=False)]
    assert states == [TrialState.COMPLETE, TrialState.FAIL]  # the leftover WAITING one failed
    counts = store.queue(cfg.study_name).counts()
    assert (counts.done, counts.waiting) == (1, 1)
    lease = claim(cfg, store, study, storage)
    assert [t.user_attrs["point_key"] for t in lease.trials] == [point_key({"sr": 0.5})]
    assert claim(cfg, store, study, storage).trials == []
    store.close()
    engine.dispose()


def test_a_worker_killed_between_its_claim_and_its_trial_does_not_stall_the_study(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg, store, storage, study = _open(tmp_path, *GRID)
    lost = store.queue(cfg.study_name).claim("A", lease_s=lease_seconds(cfg), group=1,
                                             max_retries=2)  # A dies before opening its trial
    assert [(i.key, i.seed) for i in lost] == [(item_key({"sr": 0.25}, cfg.train.epochs), 0)]
    got = claim(cfg, store, study, storage)  # B, at once: takes the next item, not A's
    assert got.trial is not None
    assert store.queue(cfg.study_name).counts().running == 2  # A's hold and B's
    assert got.trial.user_attrs["point_key"] == point_key({"sr": 0.5})
    time.sleep(lease_seconds(cfg) + 0.2)  # A's lease runs out
    with caplog.at_level(logging.WARNING):
        again = claim(cfg, store, study, storage)
    assert again.trial is not None and again.trial.user_attrs["point_key"] == point_key({"sr": 0.25})
    assert "lost its worker before its trial began; it runs again here (try 2 of 3)" in caplog.text
    assert store.results(cfg.study_name) == []  # no trial ran: nothing to store
    store.close()


def test_a_worker_whose_heartbeat_lapsed_finishes_without_crashing_and_counts_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg, store, storage, study = _open(tmp_path, *GRID, "sweep.grid.sr=[0.25]")
    a = claim(cfg, store, study, storage).trial
    assert a is not None
    _trial._suggest(cfg, a)  # A starts its trial, then stops (SIGSTOP, a suspended laptop) ...
    time.sleep(5)  # ... for longer than the grace (3 heartbeats; SQLite keeps whole seconds)
    b = claim(cfg, store, study, storage).trial  # B fails A's trial and queues its item again
    assert b is not None and b.user_attrs["point_key"] == a.user_attrs["point_key"]
    with caplog.at_level(logging.WARNING):
        _trial.run_claim(cfg, store, study, storage, [a], Progress(2), threads=1)  # A wakes, finishes
    assert "was failed by another worker" in caplog.text
    _trial.run_claim(cfg, store, study, storage, [b], Progress(2), threads=1)
    results = store.results(cfg.study_name)
    final = [r for r in results if r.status.final]
    assert len(final) == 2  # A's late result and B's run (it reuses A's network and seed)
    assert final[0].weights_artifact and final[1].weights_artifact == final[0].weights_artifact
    assert len(counted_results(results)) == 1
    groups = group_points(results, store.archs({r.fingerprint for r in results}))
    assert [g.n for g in groups] == [1]
    store.close()


class TermWhileSampling(optuna.samplers.RandomSampler):
    """SIGTERM (preemption) arrives while the sampler chooses a value."""

    def sample_independent(self, *args: Any, **kwargs: Any) -> Any:
        """Send this process SIGTERM, then sample."""
        os.kill(os.getpid(), signal.SIGTERM)
        return super().sample_independent(*args, **kwargs)


def test_sigterm_outside_training_fails_the_trial_as_interrupted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, store, storage, study = _open(tmp_path, "+sweep=pareto", "sweep.n_trials=3")
    monkeypatch.setattr(_claim, "make_sampler", lambda *a, **k: TermWhileSampling())
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with pytest.raises(interrupt.Terminated) as info:
        run_worker(cfg, store, study, storage, Progress(3), threads=1)
    assert interrupt.exit_code(info.value) == 143
    assert [t.state for t in study.get_trials(deepcopy=False)] == [TrialState.FAIL]
    assert store.results(cfg.study_name) == []  # no point was sampled: nothing to store
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handler restored
    store.close()


class TermDuringClaim:
    """SIGTERM arrives while the worker claims (as it opens the work queue), once."""

    def __init__(self, store: Store) -> None:
        """Wrap the real store."""
        self.store, self.sent = store, False

    def queue(self, study: str) -> Any:
        """Send this process SIGTERM (the first time), then open the real queue."""
        if not self.sent:
            self.sent = True
            os.kill(os.getpid(), signal.SIGTERM)
        return self.store.queue(study)

    def __getattr__(self, name: str) -> Any:
        """Everything else goes to the real store."""
        return getattr(self.store, name)


def test_sigterm_inside_the_claim_takes_effect_after_it_and_fails_the_trial(
        tmp_path: Path) -> None:
    cfg, store, storage, study = _open(tmp_path, *GRID)
    with pytest.raises(interrupt.Terminated):
        run_worker(cfg, TermDuringClaim(store), study, storage, Progress(2),  # type: ignore[arg-type]
                   threads=1)
    trials = study.get_trials(deepcopy=False)
    assert [t.state for t in trials] == [TrialState.FAIL]  # the claim completed, then stopped
    assert "worker" in trials[0].user_attrs
    failed = store.results(cfg.study_name)
    assert [(r.reason, r.point) for r in failed] == [("interrupted", {"sr": 0.25})]
    counts = store.queue(cfg.study_name).counts()
    assert (counts.waiting, counts.running) == (2, 0)  # given back, and it used no retry
    assert [i.tries for i in store.queue(cfg.study_name).claim(
        "C", lease_s=9, group=1, max_retries=0)] == [0]
    store.close()


def test_sigterm_inside_a_claim_that_finds_nothing_left_still_stops_the_worker(
        tmp_path: Path) -> None:
    cfg, store, storage, study = _open(tmp_path, *GRID)
    assert run_worker(cfg, store, study, storage, Progress(2), threads=1) == 2  # all done
    with pytest.raises(interrupt.Terminated) as info:  # found by the fault harness: it exited 0
        run_worker(cfg, TermDuringClaim(store), study, storage, Progress(2),  # type: ignore[arg-type]
                   threads=1)
    assert interrupt.exit_code(info.value) == 143
    assert [t.state for t in study.get_trials(deepcopy=False)] == [TrialState.COMPLETE] * 2
    store.close()


def test_a_run_whose_items_all_fail_for_good_exits_1_naming_them(tmp_path: Path) -> None:
    from studyrun import dse_run

    # Half-precision weights on CPU with float inputs: every trial raises in training.
    out = dse_run(tmp_path, "study.seeds=1", "study.max_retries=0", "train.precision=16-true")
    assert out.returncode == 1, out.stdout + out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error: 1 item(s) of study 'single-digits' failed for good"), last
    assert "RuntimeError" in last and "results.csv" in last


def test_a_search_whose_trials_all_fail_exits_1_with_one_line(tmp_path: Path) -> None:
    from studyrun import dse_run

    out = dse_run(tmp_path, "+sweep=pareto", "sweep.n_trials=1", "study.max_retries=0",
                  "train.precision=16-true")  # every trial raises: no point on the front
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    assert "0 of 2 points on the Pareto front" in out.stdout, out.stdout
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "only 0 of 1 trials have a result" in last, last


def test_a_study_whose_creator_was_killed_mid_creation_is_finished_not_refused(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    cfg = run_config(to_plain(compose("config", [*TINY, f"storage.url={url}",
                                                 f"study.output_dir={tmp_path}", *GRID])))
    with open_store(url) as store:
        storage = study_storage(cfg, store)
        optuna.create_study(study_name=cfg.study_name, storage=storage)  # killed right after
        study = open_study(cfg, storage, store)
        assert study is not None and "dse_definition_hash" in study.user_attrs
        assert open_study(cfg, storage, store) is not None  # and it is this study from now on


def _lose_worker(cfg: RunConfig, store: Store, study: optuna.Study, point: dict[str, Any] | None,
                 caplog: pytest.LogCaptureFixture) -> str:
    """A search worker takes a trial (sampled) and dies before stamping it; the next claim's
    check fails it: what that check logs."""
    trial = study.ask()
    _trial._suggest(cfg, trial)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        _claim._fail_orphans(cfg, store, study)
    assert study.get_trials(deepcopy=False)[trial.number].state == TrialState.FAIL
    return caplog.text


def test_a_lost_grid_worker_logs_whether_its_item_runs_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg, store, storage, study = _open(tmp_path, *GRID, "sweep.grid.sr=[0.25]",
                                       "study.max_retries=1")
    logs, lost = [], claim(cfg, store, study, storage).trial
    for _ in range(2):  # its worker dies after starting the trial; the next claim takes over
        assert lost is not None
        time.sleep(lease_seconds(cfg) + 0.2)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            again = claim(cfg, store, study, storage)
        logs.append(caplog.text)
        assert study.get_trials(deepcopy=False)[lost.number].state == TrialState.FAIL
        lost = again.trial
    assert "trial 0 lost its worker (no heartbeat); it runs again here (try 2 of 2)" in logs[0]
    assert "its retries are used up (2 of 2 tries failed); it will not run again" in logs[1]
    assert again.trials == [] and again.running == 0 and again.waiting == 0  # what it said
    assert [r.reason for r in store.results(cfg.study_name)] == [StopReason.NO_HEARTBEAT] * 2
    store.close()


def test_a_lost_search_worker_logs_whether_the_search_goes_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg, store, storage, study = _open(tmp_path, "+sweep=pareto", "sweep.n_trials=1",
                                       "study.max_retries=0", "study.heartbeat_s=1")
    first = _lose_worker(cfg, store, study, None, caplog)
    assert "failed trials: 1 of 1 allowed; a new trial takes its place" in first, first
    second = _lose_worker(cfg, store, study, None, caplog)
    assert "failed trials: 2 of 1 allowed; the search stops" in second, second
    assert claim(cfg, store, study, storage).trials == []  # what the log said
    store.close()
