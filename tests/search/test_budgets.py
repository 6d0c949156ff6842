"""Training budget as an axis: each (point, seed, budget) is one result of its own schedule,
resumed and reused like any other (real runs of `python -m dse.run` on digits)."""

from __future__ import annotations

from pathlib import Path

import pytest
from studyrun import dse_run

from dse.store import load_results

pytestmark = pytest.mark.slow
STUDY = "squeeze_ratio-digits"
BASE = ("+sweep=squeeze_ratio", "sweep.grid.sr=[0.25,0.5]", "study.seeds=1")


def test_budgets_are_items_that_resume_with_budgets_added_and_are_reused_per_budget(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/studies.db"
    out = dse_run(tmp_path, *BASE, "study.budgets=[1,2]")  # train.epochs=1: budget 1 is it
    assert out.returncode == 0, out.stderr
    assert "4 of 4 to run" in out.stdout and " epochs=2 " in out.stdout
    first = load_results(url, STUDY)
    assert sorted((r.point["sr"], r.budget, r.epochs, r.status.value) for r in first) == [
        (0.25, 1, 1, "complete"), (0.25, 2, 2, "complete"),
        (0.5, 1, 1, "complete"), (0.5, 2, 2, "complete")]
    by_budget = {b: {r.train_config_hash for r in first if r.budget == b} for b in (1, 2)}
    assert len(by_budget[1]) == len(by_budget[2]) == 1 and by_budget[1] != by_budget[2]
    assert any(line.split()[:2] == ["sr=0.25", "2"] for line in out.stdout.splitlines())

    out = dse_run(tmp_path, *BASE, "study.budgets=[1,2,3]")  # a budget added: only it runs
    assert out.returncode == 0, out.stderr
    assert "2 of 6 to run" in out.stdout
    second = load_results(url, STUDY)
    kept = {r.id: r for r in first}
    assert {r.id: r for r in second if r.id in kept} == kept  # nothing stored changed
    assert sorted((r.point["sr"], r.budget, r.epochs) for r in second if r.id not in kept) == [
        (0.25, 3, 3), (0.5, 3, 3)]

    out = dse_run(tmp_path, *BASE, "study.budgets=[2]", "study.name=again")
    assert out.returncode == 0, out.stderr
    again = load_results(url, "again")
    assert sorted((r.point["sr"], r.status.value, r.budget, r.reused_from_study) for r in again) \
        == [(0.25, "reused", 2, STUDY), (0.5, "reused", 2, STUDY)]
