"""The pareto search with every sampler, and the command line's one-line errors."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from studyrun import dse_run

from dse.search import SAMPLERS
from dse.store import load_results


@pytest.mark.slow
@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_pareto_with_each_sampler(tmp_path: Path, sampler: str) -> None:
    out = dse_run(tmp_path, "+sweep=pareto", f"sampler={sampler}", "sweep.n_trials=3",
                  "sampler.n_startup_trials=2")
    assert out.returncode == 0, out.stderr
    study = optuna.load_study(study_name="pareto-digits", storage=f"sqlite:///{tmp_path}/studies.db")
    assert len(study.trials) == 3 and len(study.directions) == 2
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert done and all(len(t.values) == 2 and t.values[1] == t.user_attrs["size_mb"] for t in done)
    assert set(done[0].params) == {"base_e", "incr_e", "freq", "sr", "pct3x3", "bypass"}
    results = load_results(f"sqlite:///{tmp_path}/studies.db", "pareto-digits")
    assert len(results) == 3


@pytest.mark.slow
def test_budgets_reach_the_sampler_as_constraints(tmp_path: Path) -> None:
    """Over-budget points are never trained and end complete but infeasible (worst accuracy,
    their exact size), so constraint-aware samplers learn the region; feasible ones carry
    their margin."""
    out = dse_run(tmp_path, "+sweep=pareto", "sampler=random", "sweep.n_trials=6",
                  "study.max_size_mb=0.4", "study.workers=1")
    assert out.returncode == 0, out.stderr
    url = f"sqlite:///{tmp_path}/studies.db"
    study = optuna.load_study(study_name="pareto-digits", storage=url)
    results = {r.trial_number: r for r in load_results(url, "pareto-digits")}
    over = [t for t in study.trials if results[t.number].status.value == "rejected"]
    within = [t for t in study.trials if results[t.number].status.value == "complete"]
    assert over and within and len(over) + len(within) == 6
    for trial in study.trials:
        size = trial.user_attrs["size_mb"]
        assert trial.state.name == "COMPLETE"
        assert trial.constraints == {"size_mb": pytest.approx(size - 0.4)}
    for trial in over:
        assert trial.values == [0.0, trial.user_attrs["size_mb"]] and trial.constraints["size_mb"] > 0
        assert results[trial.number].val_top1 is None  # never trained
    for trial in within:
        assert trial.constraints["size_mb"] <= 0 and trial.values[0] == results[trial.number].val_top1


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (("+sweep=nope",),
         "Could not find 'sweep/nope' Available options in 'sweep': bypass claims compression "
         "pareto"),
        (("sampler=sa",), "Available options in 'sampler': anneal gp nsga2 qmc random tpe"),
        (("dataset=mnist",), "Available options in 'dataset'"),
        (("arch.sr=3",), "sr must be in (0, 1], got 3"),
        (("+sweep=squeeze_ratio", "sweep.fixed.pct3x3=1.5"), "pct3x3 must be in [0, 1], got 1.5"),
        (("study.nokey=1",), "Could not override 'study.nokey'"),
        (("train.epochs=0",), "train.epochs must be an integer >= 1, got 0"),
        (("study.pruner=asha",), "study.pruner must be one of none, median, hyperband"),
        (("train.accelerator=mps",), "train.accelerator=mps but MPS is not available here"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, overrides: tuple[str, ...],
                                      needle: str) -> None:
    out = dse_run(tmp_path, *overrides)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines
    assert not (tmp_path / "studies.db").exists()  # refused before touching storage
