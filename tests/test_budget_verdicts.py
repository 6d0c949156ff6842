"""Verdicts per training budget and metric on hand-made result sets whose verdicts are known:
the stability word, top-1 against top-5, the budget groups, and the verdicts.csv columns."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from dse.analysis.budgets import budget_groups, stability, verdict_series
from dse.analysis.claims import Metric, Outcome, StudyRecords, Verdict
from dse.analysis.figures import SECTIONS, write_csv
from dse.analysis.study_verdicts import study_verdicts
from dse.analysis.verdicts import PAPER_CLAIMS, verdicts
from dse.core.presets import preset
from dse.core.records import ArchRecord, ResultRecord, arch_record

R, C, U, N = Outcome.REPRODUCED, Outcome.CONTRADICTED, Outcome.INCONCLUSIVE, Outcome.NOT_TESTED
RISE = next(c for c in PAPER_CLAIMS if c.id == "fig3a_rise")  # SR 0.75 beats SR 0.125, top-5
# test top-1 per seed at SR 0.125 and 0.75: a clear rise (10 +- 2.27 pp), a clear fall, noise
UP = {0.125: [0.50, 0.51, 0.52], 0.75: [0.60, 0.61, 0.62]}
DOWN = {0.125: [0.60, 0.61, 0.62], 0.75: [0.50, 0.51, 0.52]}
NOISE = {0.125: [0.50, 0.54, 0.52], 0.75: [0.51, 0.55, 0.53]}


def _study(by_budget: dict[int | None, dict[float, list[float]]], *,
           top5: dict[int | None, dict[float, list[float]]] | None = None
           ) -> tuple[list[ResultRecord], list[ArchRecord]]:
    """An SR grid trained at each budget: test top-1 (and top-5) per seed, real networks."""
    archs = {sr: arch_record(preset("cpu_proxy", sr=sr)) for sr in (0.125, 0.75)}
    results = []
    for budget, table in by_budget.items():
        for sr, accs in table.items():
            fives = (top5 or {}).get(budget, {}).get(sr, [0.9] * len(accs))
            for seed, (acc, five) in enumerate(zip(accs, fives)):
                results.append(ResultRecord(
                    study="s", trial_number=len(results), point={"sr": sr}, seed=seed,
                    fingerprint=archs[sr].fingerprint, dataset="d", train_config_hash="t",
                    status="complete", test_top1=acc, test_top5=five, budget=budget,
                    id=len(results) + 1))
    return results, list(archs.values())


def _rise(results: list[ResultRecord], archs: list[ArchRecord], metric: Metric = Metric.TOP1
          ) -> list[Verdict]:
    """The study's verdicts on fig3a_rise on one metric, budget by budget."""
    return [v for v in study_verdicts(StudyRecords.of(results, archs))
            if v.claim == "fig3a_rise" and v.metric is metric]


@pytest.mark.parametrize(("outcomes", "word"), [
    ([(5, R), (20, R), (200, R)], "stable"),
    ([(5, R), (20, U), (200, R)], "stable"),  # every budget that decides it says the same
    ([(5, U), (20, R), (200, R)], "settles at 20"),
    ([(5, U), (20, U), (200, C)], "settles at 200"),
    ([(5, R), (20, U), (200, C)], "flips at 200"),
    ([(5, C), (20, R)], "flips at 20"),
    ([(5, U), (20, U)], "undecided"),
    ([(5, R)], "one budget"),
    ([(None, U)], "one budget"),  # a study from before budgets
    ([(5, N), (20, R)], "one budget"),  # a budget that cannot test it is left out
    ([(5, N), (20, N)], "not tested"),
    ([(200, R), (5, U), (20, R)], "settles at 20"),  # taken in budget order
    ([(5, U), (20, R), (None, C)], "settles at 20"),  # no budget: no place in their order
])
def test_the_stability_word(outcomes: list[tuple[int | None, Outcome]], word: str) -> None:
    assert stability(outcomes) == word


@pytest.mark.parametrize(("tables", "word", "verdicts_at"), [
    ({5: UP, 20: UP, 200: UP}, "stable", ["reproduced"] * 3),
    ({5: NOISE, 20: UP, 200: UP}, "settles at 20", ["inconclusive", "reproduced", "reproduced"]),
    ({5: UP, 20: NOISE, 200: DOWN}, "flips at 200",
     ["reproduced", "inconclusive", "contradicted"]),
    ({5: NOISE, 20: NOISE}, "undecided", ["inconclusive"] * 2),
])
def test_a_study_at_several_budgets_is_judged_at_each(tables: dict, word: str,
                                                      verdicts_at: list[str]) -> None:
    judged = _rise(*_study(tables))
    assert [v.budget for v in judged] == list(tables)
    assert [v.verdict.value for v in judged] == verdicts_at
    assert {v.stability for v in judged} == {word}
    assert all(v.n_a == v.n_b == 3 for v in judged)  # each budget's seeds alone


def test_each_budget_is_judged_on_its_own_results() -> None:
    judged = _rise(*_study({5: UP, 200: DOWN}))
    assert [v.effect for v in judged] == [pytest.approx(10.0), pytest.approx(-10.0)]
    # the same seeds at one budget: exactly what the pooled engine says of them
    alone, archs = _study({200: DOWN})
    (pooled,) = verdicts(alone, archs, claims=[RISE])
    assert replace(judged[1], budget=None, stability="") == pooled


def test_a_study_before_budgets_is_judged_as_before() -> None:
    results, archs = _study({None: UP})
    judged = study_verdicts(StudyRecords.of(results, archs))
    primary = [v for v in judged if v.metric in (Metric.TOP1, Metric.PARAMS)]
    assert [replace(v, stability="") for v in primary] == verdicts(results, archs)
    assert {v.budget for v in judged} == {None}
    assert {v.stability for v in judged} == {"one budget", "not tested"}


def test_top5_is_judged_apart_and_can_disagree_with_top1() -> None:
    # top-1 rises by 10 pp at every seed; top-5 falls by 5 pp
    top5 = {20: {0.125: [0.95, 0.96, 0.97], 0.75: [0.90, 0.91, 0.92]}}
    results, archs = _study({20: UP}, top5=top5)
    (top1,) = _rise(results, archs, Metric.TOP1)
    (five,) = _rise(results, archs, Metric.TOP5)
    assert top1.verdict is R and top1.effect == pytest.approx(10.0)
    assert five.verdict is C and five.effect == pytest.approx(-5.0)
    assert five.mean_a == pytest.approx(91.0) and five.mean_b == pytest.approx(96.0)
    assert top1.paper_metric == five.paper_metric == "top-5"  # Figure 3 is stated in top-5
    # top-5 saturated at 100 %, as on 10 classes: no difference to decide on
    flat = {20: {0.125: [1.0] * 3, 0.75: [1.0] * 3}}
    (same,) = _rise(*_study({20: UP}, top5=flat), Metric.TOP5)
    assert same.verdict is U and same.effect == 0.0


def test_every_accuracy_claim_gets_top1_then_top5_and_the_exact_ones_their_counts() -> None:
    judged = study_verdicts(StudyRecords.of(*_study({20: UP})))
    order = [(v.claim, v.metric.value) for v in judged]
    expected = [(c.id, m) for c in PAPER_CLAIMS
                for m in (["params"] if c.kind.endswith("params") else ["top-1", "top-5"])]
    assert order == expected
    assert {c.id: c.paper_metric for c in PAPER_CLAIMS} == {
        "fig3a_rise": "top-5", "fig3a_plateau": "top-5", "fig3b_plateau": "top-5",
        "fig3b_drop": "top-5", "table3_simple": "top-1, top-5", "table3_complex": "top-1, top-5",
        "table3_simple_vs_complex": "top-1, top-5", "table3_simple_params": "size",
        "table3_complex_params": "size"}
    with pytest.raises(ValueError, match="judged on top-1, top-5, got metric 'size'"):
        RISE.judge(StudyRecords.of([]), metric=Metric.SIZE)


def test_a_missing_top5_leaves_the_top5_verdict_not_tested() -> None:
    results, archs = _study({20: UP})
    results = [replace(r, test_top5=None) for r in results]
    (top5,) = _rise(results, archs, Metric.TOP5)
    assert top5.verdict is N and "no measured result with a test top-5 at sr=0.75" in top5.note


def test_budget_groups() -> None:
    results, _ = _study({5: UP, 20: UP})
    legacy = replace(results[0], budget=None, id=99, trial_number=99, seed=7)
    failed = replace(legacy, status="failed", id=100, test_top1=None)
    assert [(b, len(rs)) for b, rs in budget_groups(results)] == [(5, 6), (20, 6)]
    # beside two budgets, a measured result without one is a group of its own, last
    assert [(b, len(rs)) for b, rs in budget_groups([*results, legacy, failed])] == \
        [(5, 6), (20, 6), (None, 2)]
    assert [b for b, _ in budget_groups([*results, failed])] == [5, 20]  # failures alone: none
    # beside one budget, it joins it (a legacy reused result beside its complete ones)
    one, _ = _study({20: UP})
    assert [(b, len(rs)) for b, rs in budget_groups([*one, legacy])] == [(20, 7)]
    assert budget_groups([]) == [(None, [])]


def test_verdict_series_group_a_claim_across_budgets() -> None:
    judged = study_verdicts(StudyRecords.of(*_study({5: UP, 20: NOISE})))
    series = verdict_series(judged)
    assert len(series) == len(judged) // 2
    assert [(v.claim, v.metric.value, v.budget) for v in series[0]] == [
        ("fig3a_rise", "top-1", 5), ("fig3a_rise", "top-1", 20)]


def test_verdicts_csv_has_metric_budget_and_stability_columns(tmp_path: Path) -> None:
    results, archs = _study({5: NOISE, 20: UP})
    info = SECTIONS["verdicts"].data(StudyRecords("s", results, archs))
    with write_csv(tmp_path / "verdicts.csv", info.rows()).open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:17] == ["claim", "text", "source", "paper", "verdict", "n_a", "n_b",
                                  "mean_a", "mean_b", "effect_pp", "ci_low_pp", "ci_high_pp",
                                  "threshold_pp", "seeds_needed", "method", "note", "unit"]
    assert list(rows[0])[17:] == ["metric", "paper_metric", "budget", "network", "stability"]
    rise = [(r["metric"], r["budget"], r["verdict"], r["stability"]) for r in rows
            if r["claim"] == "fig3a_rise"]
    assert rise == [("top-1", "5", "inconclusive", "settles at 20"),
                    ("top-1", "20", "reproduced", "settles at 20"),
                    ("top-5", "5", "inconclusive", "undecided"),  # top-5 0.9 everywhere
                    ("top-5", "20", "inconclusive", "undecided")]
    assert all(r["paper_metric"] == "top-5" for r in rows if r["claim"].startswith("fig3"))


def test_stability_module_is_pure() -> None:
    heavy = ["optuna", "torch", "sqlalchemy", "lightning", "pytorch_lightning", "plotly"]
    code = ("import sys, json\nimport dse.analysis.budgets, dse.analysis.study_verdicts\n"
            f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
