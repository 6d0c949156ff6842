"""The learning-curves figure: its data step on hand-made curves, its drawing and selection."""

from __future__ import annotations

import statistics
from dataclasses import replace

import pytest
from figrecords import net, records, result

from dse.analysis.figures._curves import curves_info, plot_curves
from dse.analysis.figures._select import FIGURES, select_figures
from dse.core.records import CurvePoint, ResultRecord

SMALL, LARGE = net(1, size_mb=0.5, sr=0.25), net(2, size_mb=1.0, sr=0.75)


def _curve(of: ResultRecord, top1: list[float], *, loss: float = 2.0) -> list[CurvePoint]:
    """The curve of result `of`: top-5 = top-1 + 0.1, the loss falling by 0.5 an epoch."""
    return [CurvePoint(study=of.study, trial_number=of.trial_number, epoch=epoch, val_top1=value,
                       val_top5=value + 0.1, train_loss=loss - 0.5 * (epoch - 1))
            for epoch, value in enumerate(top1, start=1)]


def _study() -> tuple[list[ResultRecord], list[CurvePoint]]:
    """Two points of three seeds, each seed with a curve, but: sr=0.75 seed 2 has none (stored
    before curves were), and a failed trial of sr=0.25 has one that must not count."""
    results = [result(SMALL, {"sr": 0.25}, seed=s, top1=0.8, trial=s) for s in range(3)]
    results += [result(LARGE, {"sr": 0.75}, seed=s, top1=0.9, trial=3 + s) for s in range(3)]
    failed = result(SMALL, {"sr": 0.25}, seed=3, status="failed", trial=6)
    results.append(failed)
    curves = [*_curve(results[0], [0.2, 0.5, 0.7]), *_curve(results[1], [0.4, 0.6, 0.8]),
              *_curve(results[2], [0.3, 0.7, 0.9], loss=3.0),
              *_curve(results[3], [0.5, 0.9]), *_curve(results[4], [0.6, 0.8, 0.95]),
              *_curve(failed, [0.0, 0.0, 0.0])]
    return results, curves


def test_each_point_is_the_mean_over_its_seeds_with_the_min_max_band() -> None:
    results, curves = _study()
    info = curves_info(results, [SMALL, LARGE], curves=curves)
    small, large = info.curves
    assert (small.label, small.seeds, small.budget) == ("sr=0.25", (0, 1, 2), None)
    assert [e.epoch for e in small.epochs] == [1, 2, 3]
    for epoch, values in zip(small.epochs, ([0.2, 0.4, 0.3], [0.5, 0.6, 0.7], [0.7, 0.8, 0.9])):
        assert epoch.top1.n == 3
        assert epoch.top1.mean == pytest.approx(statistics.fmean(values))
        assert epoch.top1.sd == pytest.approx(statistics.stdev(values))
        assert (epoch.top1_min, epoch.top1_max) == (min(values), max(values))
        assert epoch.top5.mean == pytest.approx(statistics.fmean(values) + 0.1)
    assert [e.loss.mean for e in small.epochs] == pytest.approx([7 / 3, 11 / 6, 4 / 3])
    # sr=0.75: seed 2 has no curve; seed 0 stopped after 2 epochs, so epoch 3 is seed 1's alone
    assert large.seeds == (0, 1)
    assert [e.top1.n for e in large.epochs] == [2, 2, 1]
    assert [(e.top1_min, e.top1_max) for e in large.epochs] == [(0.5, 0.6), (0.8, 0.9),
                                                                (0.95, 0.95)]
    assert large.epochs[2].top1.sd == 0.0
    rows = info.rows()
    assert len(rows) == 6 and rows[0]["point"] == "sr=0.25" and rows[0]["sr"] == 0.25
    assert rows[-1] == {"point": "sr=0.75", "sr": 0.75, "budget": None, "epoch": 3, "n": 1,
                        "val_top1_mean": 0.95, "val_top1_sd": 0.0, "val_top1_min": 0.95,
                        "val_top1_max": 0.95, "val_top5_mean": pytest.approx(1.05),
                        "val_top5_sd": 0.0, "train_loss_mean": 1.0, "train_loss_sd": 0.0}
    assert "the lowest to the highest seed (band)" in info.caption()
    assert "2 curve(s) from 5 result(s)" in info.caption()


def test_the_drawing_puts_each_mean_over_its_band() -> None:
    results, curves = _study()
    info = curves_info(results, [SMALL, LARGE], curves=curves)
    fig = plot_curves(info)
    assert len(fig.data) == 6  # per curve: the band's top, its bottom (filled), the mean
    top, bottom, mean = fig.data[:3]
    assert list(top.y) == [0.4, 0.7, 0.9] and list(bottom.y) == [0.2, 0.5, 0.7]
    assert bottom.fill == "tonexty" and not top.showlegend and not bottom.showlegend
    assert mean.name == "sr=0.25" and list(mean.x) == [1, 2, 3]
    assert list(mean.y) == pytest.approx([0.3, 0.6, 0.8])
    assert fig.data[5].line.color != mean.line.color


def test_each_budget_is_a_line_of_its_own_and_a_result_without_one_joins_a_single_budget() -> None:
    short = [replace(result(SMALL, {"sr": 0.25}, seed=s, top1=0.7, trial=s), budget=2)
             for s in range(2)]
    long = [replace(result(SMALL, {"sr": 0.25}, seed=s, top1=0.8, trial=2 + s), budget=4)
            for s in range(2)]
    curves = [p for r in short for p in _curve(r, [0.3, 0.7])]
    curves += [p for r in long for p in _curve(r, [0.2, 0.4, 0.6, 0.8])]
    info = curves_info(short + long, [SMALL], curves=curves)
    assert [(c.budget, len(c.epochs)) for c in info.curves] == [(2, 2), (4, 4)]
    assert info.budgets == 2 and "and training budget" in info.caption()
    fig = plot_curves(info)
    assert [t.name for t in fig.data if t.showlegend is not False] == \
        ["sr=0.25, 2 epochs", "sr=0.25, 4 epochs"]
    assert fig.data[2].line.dash != fig.data[5].line.dash  # same point: color kept, dash differs
    assert fig.data[2].line.color == fig.data[5].line.color
    # the registry hands the figure every budget (others see only the largest)
    spec = FIGURES["learning_curves"]
    assert [c.budget for c in spec.data(records(short + long, [SMALL], curves=curves)).curves] \
        == [2, 4]
    # a result stored before budgets existed joins the study's one budget
    legacy = replace(long[0], budget=None, epochs=None)
    info = curves_info([legacy, long[1]], [SMALL], curves=curves)
    assert [(c.budget, c.seeds) for c in info.curves] == [(4, (0, 1))]


def test_a_study_gets_the_figure_only_with_stored_curves_and_draws_it_without_a_measured_one(
        ) -> None:
    results, curves = _study()
    assert "learning_curves" not in [s.name for s in select_figures(records(results, [SMALL]))]
    chosen = select_figures(records(results, [SMALL, LARGE], curves=curves))
    assert [s.name for s in chosen][-1] == "learning_curves"
    # only a failed trial has a curve: the figure is there, with nothing to draw, and no error
    failed = [r for r in results if r.status.value == "failed"]
    spec = FIGURES["learning_curves"]
    info = spec.data(records(failed, [SMALL], curves=curves))
    assert info.curves == [] and info.rows() == []
    html = spec.html(info, spec.draw(info))
    assert 'id="fig-learning_curves"' in html
