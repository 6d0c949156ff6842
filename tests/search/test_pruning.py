"""Size-aware pruning: hand-made curves, and a real multi-objective run that prunes."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from studyrun import dse_run
from workers import optuna_url

from dse.search._pruning import CURVE_ATTR, dominating_trial
from dse.store import load_results, open_store

FINISHED = [(0, 1.0, [0.50, 0.70, 0.80, 0.85]),  # small and good
            (1, 4.0, [0.60, 0.80, 0.90, 0.95])]  # large and better


def test_a_curve_dominated_by_a_no_larger_trial_is_pruned() -> None:
    # 2 MB, 0.65 at epoch 3: trial 0 (1 MB) had 0.80 there
    assert dominating_trial(2.0, [0.4, 0.6, 0.65], FINISHED, margin=0.02, min_epochs=3) == 0


def test_larger_trials_never_prune_and_the_margin_and_warm_up_hold() -> None:
    # 0.5 MB: only larger trials finished, however much better they were
    assert dominating_trial(0.5, [0.1, 0.1, 0.1], FINISHED, margin=0.02, min_epochs=3) is None
    # within the margin of trial 0 at epoch 3 (0.79 vs 0.80): kept
    assert dominating_trial(2.0, [0.4, 0.6, 0.79], FINISHED, margin=0.02, min_epochs=3) is None
    # before min_epochs: kept, however bad
    assert dominating_trial(2.0, [0.0, 0.0], FINISHED, margin=0.02, min_epochs=3) is None
    # a curve longer than every finished one: nothing to compare at that epoch
    assert dominating_trial(2.0, [0.0] * 6, FINISHED, margin=0.02, min_epochs=3) is None
    # equal size counts as no larger
    assert dominating_trial(4.0, [0.5, 0.5, 0.5], FINISHED, margin=0.02, min_epochs=3) == 0


@pytest.mark.slow
def test_a_multi_objective_search_prunes_dominated_trials(tmp_path: Path) -> None:
    # a harsh setting so that pruning happens within a few trials: verdicts from epoch 1,
    # any deficit counts
    done = dse_run(tmp_path, "+sweep=pareto", "sampler=random", "sweep.n_trials=8",
                   "study.workers=1", "study.pruner=size_aware", "study.prune_min_epochs=1",
                   "study.prune_margin=0", "train.epochs=4")
    assert done.returncode == 0, done.stderr
    url = f"sqlite:///{tmp_path}/studies.db"
    study = optuna.load_study(study_name="pareto-digits", storage=optuna_url(url))
    results = {r.trial_number: r for r in load_results(url, "pareto-digits")}
    with open_store(url) as store:
        archs = store.archs(r.fingerprint for r in results.values())
    pruned = [t for t in study.trials if t.state.name == "PRUNED"]
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert pruned and complete and len(study.trials) == 8
    for trial in pruned:
        assert results[trial.number].status.value == "pruned"
        curve = trial.user_attrs[CURVE_ATTR]
        assert len(curve) < 4  # stopped early
        # one worker: the trials that finished before it are the complete ones numbered lower;
        # one of them, no larger, was more accurate at the epoch where it stopped
        rivals = [(t.number, t.user_attrs["size_mb"], t.user_attrs[CURVE_ATTR])
                  for t in complete if t.number < trial.number]
        size = archs[results[trial.number].fingerprint].size_mb
        assert dominating_trial(size, curve, rivals, margin=0.0, min_epochs=1) is not None
        assert f"pruned after epoch {len(curve)}" in (results[trial.number].reason or "")
    for trial in complete:
        assert len(trial.user_attrs[CURVE_ATTR]) == 4
