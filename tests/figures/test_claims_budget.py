"""The claims against the training budget: the figure's data step on hand-made studies at
several budgets, its selection, its static drawing, and the verdict texts at several budgets."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from figrecords import net, records, result

from dse.analysis.figures import select_figures, verdicts_markdown, verdicts_text
from dse.analysis.figures._claims_budget import claims_budget_info, plot_claims_budget
from dse.analysis.figures._select import FIGURES
from dse.analysis.figures._verdicts import verdicts_html
from dse.analysis.study_verdicts import study_verdicts
from dse.core.records import ResultRecord

LOW, HIGH = net(1, size_mb=0.2, sr=0.125), net(2, size_mb=0.5, sr=0.75)
HALF = 2.2670  # Welch, 3 seeds of sd 1 pp a side: t(0.975, df 4) * sqrt(2 / 3)


def _study(by_budget: dict[int, tuple[list[float], list[float]]]) -> list[ResultRecord]:
    """An SR 0.125 / 0.75 grid at each budget: test top-1 per seed (top-5 = top-1 + 0.3)."""
    results = []
    for budget, sides in by_budget.items():
        for network, accs in zip((LOW, HIGH), sides):
            for seed, acc in enumerate(accs):
                trial = len(results)
                results.append(replace(
                    result(network, {"sr": network.arch["sr"]}, seed=seed, top1=acc,
                           top5=acc + 0.3, trial=trial), budget=budget, id=trial + 1))
    return results


# SR 0.75 against 0.125: noise at 5 epochs, +10 pp at 20 and 200 (3 seeds of sd 1 pp)
SETTLES = {5: ([0.50, 0.54, 0.52], [0.51, 0.55, 0.53]),
           20: ([0.50, 0.51, 0.52], [0.60, 0.61, 0.62]),
           200: ([0.50, 0.51, 0.52], [0.60, 0.61, 0.62])}


def test_the_data_step_gives_each_claims_effect_and_interval_per_budget() -> None:
    info = claims_budget_info(_study(SETTLES), [LOW, HIGH])
    assert info.budgets == [5, 20, 200]
    assert [(s.claim, s.metric.value) for s in info.series] == [("fig3a_rise", "top-1"),
                                                                ("fig3a_rise", "top-5")]
    top1, top5 = info.series
    assert [p.budget for p in top1.points] == [5, 20, 200]
    assert [p.verdict.value for p in top1.points] == ["inconclusive", "reproduced", "reproduced"]
    assert top1.points[1].effect == pytest.approx(10.0)
    assert (top1.points[1].low, top1.points[1].high) == (pytest.approx(10 - HALF, abs=1e-3),
                                                         pytest.approx(10 + HALF, abs=1e-3))
    assert top1.threshold == 0.0 and top1.unit.value == "pp"
    assert top1.stability == top5.stability == "settles at 20"  # top-5 moves with top-1 here
    rows = info.rows()
    assert list(rows[0]) == ["claim", "metric", "network", "budget", "effect", "ci_low", "ci_high",
                             "threshold", "unit", "verdict", "stability"]
    assert [(r["metric"], r["budget"], r["verdict"]) for r in rows[:3]] == [
        ("top-1", 5, "inconclusive"), ("top-1", 20, "reproduced"), ("top-1", 200, "reproduced")]
    ((title, group),) = info.panels()  # top-1 and top-5 of one claim share a panel
    assert title.endswith("top-1 settles at 20; top-5 settles at 20") and len(group) == 2


def test_a_plateau_claim_carries_its_margin_and_a_flip_is_named() -> None:
    higher = net(3, size_mb=0.7, sr=1.0)
    results: list[ResultRecord] = []
    for budget, far in ((5, 0.605), (20, 0.70)):  # SR 1.0: within the margin, then 9 pp above
        for network, base in ((HIGH, 0.60), (higher, far)):
            for seed in range(3):
                results.append(replace(result(network, {"sr": network.arch["sr"]}, seed=seed,
                                              top1=base + 0.001 * seed, top5=0.9,
                                              trial=len(results)),
                                       budget=budget, id=len(results) + 1))
    info = claims_budget_info(results, [HIGH, higher])
    plateau = next(s for s in info.series if s.claim == "fig3a_plateau" and s.metric.value == "top-1")
    assert plateau.threshold == 1.0  # "no better": within +1 pp
    assert [p.verdict.value for p in plateau.points] == ["reproduced", "contradicted"]
    assert plateau.stability == "flips at 20"


def test_the_figure_is_selected_at_two_budgets_or_more() -> None:
    two = _study({5: SETTLES[5], 20: SETTLES[20]})
    one = _study({20: SETTLES[20]})
    assert "claims_by_budget" in [s.name for s in select_figures(records(two, [LOW, HIGH]))]
    assert "claims_by_budget" not in [s.name for s in select_figures(records(one, [LOW, HIGH]))]
    # its data step takes every budget's results, not only the largest budget's
    info = FIGURES["claims_by_budget"].data(records(two, [LOW, HIGH]))
    assert info.budgets == [5, 20]


def test_the_drawing_is_static_with_the_threshold_drawn() -> None:
    info = claims_budget_info(_study(SETTLES), [LOW, HIGH])
    fig = plot_claims_budget(info)
    assert not fig.layout.updatemenus and not fig.layout.sliders  # nothing a PNG cannot show
    assert [t.name for t in fig.data] == ["top-1", "top-5"]
    assert [t.showlegend for t in fig.data] == [True, True]
    assert list(fig.data[0].y) == pytest.approx([1.0, 10.0, 10.0], abs=1e-9)
    top1 = info.series[0].points
    assert list(fig.data[0].error_y.array) == pytest.approx([p.high - p.effect for p in top1])
    assert list(fig.data[0].error_y.arrayminus) == pytest.approx([p.effect - p.low for p in top1])
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == 1 and lines[0].y0 == lines[0].y1 == 0.0  # the threshold, one panel
    assert list(fig.layout.xaxis.ticktext) == ["5", "20", "200"]
    empty = plot_claims_budget(replace(info, series=[]))
    assert "no claim" in empty.layout.annotations[0].text


def test_verdict_texts_at_several_budgets_are_one_row_per_claim_and_metric() -> None:
    judged = study_verdicts(records(_study(SETTLES), [LOW, HIGH]))
    text = verdicts_text(judged)
    header = text.splitlines()[1]
    for column in ("claim", "metric", "paper's metric", "at 5 epochs", "at 20 epochs",
                   "at 200 epochs", "stability"):
        assert column in header
    rows = [line for line in text.splitlines() if line.startswith("Figure 3a: accuracy rises")]
    assert len(rows) == 2 and all(r.endswith("settles at 20") for r in rows)
    assert "+10.0 pp [+7.7, +12.3] reproduced" in rows[0] and " top-1 " in rows[0]
    assert "(8 other claim(s) cannot be tested" in text
    note = verdicts_markdown(judged)
    assert "| stability |" in note and note.count("settles at 20") == 2
    html = verdicts_html(judged)
    assert "<th>budget</th><th>stability</th>" in html and html.count("settles at 20") == 6


def test_verdict_texts_at_one_budget_say_each_metric_and_the_papers() -> None:
    judged = study_verdicts(records(_study({20: SETTLES[20]}), [LOW, HIGH]))
    lines = verdicts_text(judged).splitlines()
    assert lines[1].split()[:5] == ["claim", "metric", "paper", "paper's", "metric"]
    rise = [line for line in lines if line.startswith("Figure 3a: accuracy rises")]
    assert [re.split(r"\s{2,}", r)[1] for r in rise] == ["top-1", "top-5"]
    assert all("top-5 80.3% -> 86.0%" in r for r in rise)
    assert "stability" not in lines[1] and "budget" not in lines[1]
