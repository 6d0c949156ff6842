"""Figure 3a (accuracy vs SR) and 3b (accuracy vs pct3x3): data steps, paper data, drawing."""

from __future__ import annotations

import statistics

import pytest
from figrecords import net, result, sweep

from dse.analysis.figures._fig3 import FIG3A, FIG3B
from dse.analysis.figures._paper import FIG3A_PAPER, FIG3B_PAPER
from dse.analysis.figures._select import FIGURES
from dse.analysis.figures._sweep import plot_sweep

SR_SCORES = {0.75: [(0.80, 0.95), (0.84, 0.97)], 0.125: [(0.60, 0.90), (0.64, 0.92), (0.62, 0.91)]}
SR_SIZES = {0.75: 1.042, 0.125: 0.25}


def test_fig3a_points_are_ordered_by_sr_with_mean_spread_n_and_size() -> None:
    results, archs = sweep("sr", SR_SCORES, sizes=SR_SIZES)
    info = FIG3A.info(results, archs)
    assert info.key == "sr" and info.dataset == "digits"
    assert [p.value for p in info.points] == [0.125, 0.75]
    low, high = info.points
    assert low.n == 3 and high.n == 2
    assert low.group.top1.mean == pytest.approx(0.62)
    assert low.group.top1.sd == pytest.approx(statistics.stdev([0.60, 0.64, 0.62]))
    assert high.group.top5.mean == pytest.approx(0.96)
    assert high.group.top5.sd == pytest.approx(statistics.stdev([0.95, 0.97]))
    assert low.group.size_mb == pytest.approx(0.25) and high.group.size_mb == pytest.approx(1.042)


def test_fig3a_leaves_out_failed_runs_but_keeps_the_point() -> None:
    a = net(1, size_mb=0.5, sr=0.5)
    results = [result(a, {"sr": 0.5}, status="failed"),
               result(a, {"sr": 0.5}, seed=1, top1=0.7, top5=0.9, trial=1)]
    (point,) = FIG3A.info(results, [a]).points
    assert point.n == 1 and point.group.top1.mean == pytest.approx(0.7)


def test_paper_reference_of_figure_3a_has_only_the_stated_points() -> None:
    assert FIG3A_PAPER.figure == "Figure 3a" and FIG3A_PAPER.dataset == "ImageNet"
    assert FIG3A_PAPER.metric == "top-5"
    assert [(p.value, p.top5, p.size_mb, p.size_label) for p in FIG3A_PAPER.points] == [
        (0.125, 0.803, 4.8, "4.8MB"), (0.75, 0.860, 19.0, "19MB")]
    assert any("SR=1.0" in note and "no better" in note for note in FIG3A_PAPER.notes)
    assert "paper" in FIG3A_PAPER.label


def test_paper_reference_of_figure_3b_is_the_plateau_point() -> None:
    assert FIG3B_PAPER.figure == "Figure 3b" and FIG3B_PAPER.key == "pct3x3"
    assert [(p.value, p.top5, p.size_mb) for p in FIG3B_PAPER.points] == [(0.5, 0.856, 13.0)]
    assert any("25%" in note for note in FIG3B_PAPER.notes)


def test_fig3a_rows_hold_the_study_and_the_labelled_paper_points() -> None:
    results, archs = sweep("sr", SR_SCORES, sizes=SR_SIZES)
    rows = FIG3A.info(results, archs).rows()
    ours = [r for r in rows if r["source"] == "this study"]
    paper = [r for r in rows if r["source"].startswith("paper")]
    assert [(r["sr"], r["n"]) for r in ours] == [(0.125, 3), (0.75, 2)]
    assert ours[0]["top1_mean"] == pytest.approx(0.62) and ours[0]["size_mb"] == pytest.approx(0.25)
    assert [(r["sr"], r["top5_mean"], r["size_mb"]) for r in paper] == [
        (0.125, 0.803, 4.8), (0.75, 0.860, 19.0)]
    assert all("Figure 3a" in r["source"] and r["dataset"] == "ImageNet" for r in paper)


def test_fig3b_groups_by_pct3x3() -> None:
    scores = {0.25: [(0.5, 0.8)], 0.5: [(0.6, 0.9), (0.62, 0.92)], 0.99: [(0.61, 0.9)]}
    results, archs = sweep("pct3x3", scores, sizes={0.25: 0.3, 0.5: 0.4, 0.99: 0.6})
    info = FIG3B.info(results, archs)
    assert info.key == "pct3x3" and info.percent_axis and info.paper is FIG3B_PAPER
    assert [(p.value, p.n) for p in info.points] == [(0.25, 1), (0.5, 2), (0.99, 1)]
    assert info.points[1].group.top1.mean == pytest.approx(0.61)


def test_fig3a_drawing_has_the_study_beside_the_labelled_paper_panel() -> None:
    results, archs = sweep("sr", SR_SCORES, sizes=SR_SIZES)
    fig = plot_sweep(FIG3A.info(results, archs))
    traces = {t.name: t for t in fig.data}
    top1, top5 = traces["test top-1 (digits)"], traces["test top-5 (digits)"]
    assert list(top1.x) == [0.125, 0.75] and list(top1.y) == pytest.approx([0.62, 0.82])
    assert list(top1.error_y.array) == pytest.approx(
        [statistics.stdev([0.60, 0.64, 0.62]), statistics.stdev([0.80, 0.84])])
    assert list(fig.layout.xaxis.tickvals) == [0.125, 0.75]  # each value a tick, its size under
    assert list(fig.layout.xaxis.ticktext) == ["0.125<br>0.25 MB", "0.75<br>1.04 MB"]
    assert top1.text is None
    assert top5.xaxis == top1.xaxis == "x"
    paper = traces[FIG3A_PAPER.label]
    assert paper.xaxis == "x2" and paper.yaxis == "y2"  # its own panel and axis
    assert list(paper.y) == [0.803, 0.860] and "4.8MB" in paper.text[0]
    titles = [a.text for a in fig.layout.annotations]
    assert any(t.startswith("paper (ImageNet top-5") for t in titles)
    assert any("n=3 seed(s)" in h for h in top1.hovertext)


def test_fig3b_drawing_shows_pct3x3_as_percent() -> None:
    results, archs = sweep("pct3x3", {0.5: [(0.6, 0.9)]}, sizes={0.5: 0.4})
    fig = plot_sweep(FIG3B.info(results, archs))
    assert fig.layout.xaxis.tickformat == ".0%" and fig.layout.xaxis2.tickformat == ".0%"
    assert "Figure 3b" in fig.layout.title.text


def test_empty_study_draws_the_paper_panel_alone() -> None:
    info = FIG3A.info([], [])
    assert info.points == [] and info.measured() == []
    fig = plot_sweep(info)
    assert len(fig.data[-1].x) == len(FIG3A_PAPER.points)


def test_registry_draws_3a_and_3b_from_their_data_alone() -> None:
    assert (FIGURES["fig3a"].key, FIGURES["fig3b"].key) == ("sr", "pct3x3")
    assert FIGURES["fig3a"].info == FIG3A.info and FIGURES["fig3b"].info == FIG3B.info
    assert FIGURES["fig3a"].draw is FIGURES["fig3b"].draw is plot_sweep
    results, archs = sweep("pct3x3", {0.25: [(0.5, 0.8)]}, sizes={0.25: 0.3})
    info = FIGURES["fig3b"].info(results, archs)
    assert info.title == "Figure 3b: accuracy vs share of 3x3 filters (pct3x3)"
    assert info.axis_title.startswith("3x3 filters") and info.paper is FIG3B_PAPER
    assert not FIG3A.percent_axis and FIG3A.paper is FIG3A_PAPER


def test_percent_axis_ticks_read_as_percentages_with_sizes() -> None:
    results, archs = sweep("pct3x3", {0.01: [(0.5, 0.8)], 0.125: [(0.6, 0.9)]},
                           sizes={0.01: 0.3, 0.125: 0.35})
    fig = plot_sweep(FIG3B.info(results, archs))
    assert list(fig.layout.xaxis.ticktext) == ["1%<br>0.3 MB", "12.5%<br>0.35 MB"]
