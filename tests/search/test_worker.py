"""One worker in this process: a stop at any moment leaves no trial RUNNING."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest
from ctrlc import CtrlCWhenCollected
from optuna.trial import TrialState
from studyrun import TINY

from dse.cli import compose, to_plain
from dse.core.config import run_config
from dse.search import _claim
from dse.search._progress import Progress
from dse.search._study import open_study, study_storage
from dse.search._worker import run_worker
from dse.store import open_store

pytestmark = pytest.mark.usefixtures("default_sigint")  # even if pytest started ignoring SIGINT


class CtrlCWhileSampling(optuna.samplers.RandomSampler):
    """A sampler where the user presses Ctrl-C while it chooses a value (a slow GP, say)."""

    def sample_independent(self, *args: Any, **kwargs: Any) -> Any:
        """Raise what Python raises on SIGINT."""
        raise KeyboardInterrupt


class SwallowedCtrlCWhileSampling(optuna.samplers.RandomSampler):
    """Ctrl-C arrives while the sampler works, inside a finalizer: Python ignores it."""

    def sample_independent(self, *args: Any, **kwargs: Any) -> Any:
        """Sample at random, after a Ctrl-C that Python swallows."""
        CtrlCWhenCollected()
        return super().sample_independent(*args, **kwargs)


def _interrupted_search(tmp_path: Path, sampler: optuna.samplers.BaseSampler,
                        monkeypatch: pytest.MonkeyPatch
                        ) -> tuple[list[TrialState], list[str | None]]:
    """Run one worker of a 3-trial search with `sampler`; return trial states, failure reasons."""
    url = f"sqlite:///{tmp_path}/s.db"
    cfg = run_config(to_plain(compose("config", [*TINY, f"storage.url={url}",
                                                 f"study.output_dir={tmp_path}", "+sweep=pareto",
                                                 "sweep.n_trials=3"])))
    monkeypatch.setattr(_claim, "make_sampler", lambda *a, **k: sampler)  # the claim's sampler
    with open_store(url) as store:
        storage = study_storage(cfg, store)
        study = open_study(cfg, storage, store)
        assert study is not None
        with pytest.raises(KeyboardInterrupt):
            run_worker(cfg, store, study, storage, Progress(3), threads=1)
        states = [t.state for t in study.get_trials(deepcopy=False)]
        reasons = [r.reason for r in store.results(cfg.study_name)]
    return states, reasons


def test_ctrl_c_after_a_trial_is_taken_but_before_it_runs_fails_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    states, _ = _interrupted_search(tmp_path, CtrlCWhileSampling(), monkeypatch)
    assert states == [TrialState.FAIL]  # taken, then failed: not left RUNNING


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # on purpose
def test_a_swallowed_ctrl_c_stops_the_worker_at_the_next_training_step(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    states, reasons = _interrupted_search(tmp_path, SwallowedCtrlCWhileSampling(), monkeypatch)
    assert states == [TrialState.FAIL]  # the first trial stopped; no other was taken
    assert reasons == ["interrupted"]


def test_a_search_counts_trials_even_when_a_sampler_proposes_a_point_twice(tmp_path: Path) -> None:
    """nsga2 can propose the same point twice: two trials, both counted (not one item)."""
    from dse.core.records import ResultRecord, arch_record
    from dse.search._study import _status

    url = f"sqlite:///{tmp_path}/s.db"
    cfg = run_config(to_plain(compose("config", [*TINY, f"storage.url={url}", "+sweep=pareto",
                                                 "sweep.n_trials=3"])))
    point = {"base_e": 16, "incr_e": 16, "freq": 2, "sr": 0.25, "pct3x3": 0.5, "bypass": "none"}
    arch = arch_record(cfg.arch_for(point))
    with open_store(url) as store:
        for number in range(3):
            store.save_result(ResultRecord(
                study=cfg.study_name, trial_number=number, point=point if number < 2 else
                {**point, "sr": 0.5}, seed=0, fingerprint=arch.fingerprint, dataset="d",
                train_config_hash="t", status="complete", val_top1=0.9, test_top1=0.9))
        assert _status(cfg, store) == (3, [])
