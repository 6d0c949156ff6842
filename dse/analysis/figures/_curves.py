"""Learning curves: validation top-1 after each epoch, one line per point and training budget.

Each line is the mean over the point's seeds, with a band from the lowest to the highest seed
(min-max: with the few seeds a study has, the band shows every seed, where an sd would be a
guess). The curves are those the store keeps beside each result (dse_curves); a point's seeds
are its counted, measured results that have one, so results stored before curves were kept
are left out. Different budgets are different schedules (the learning rate decays over the
budget's epochs), so each budget of a point is a line of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dse.analysis.figures._pareto import label
from dse.analysis.figures._stats import Stat, dataset_name, measured, stat, varying_keys
from dse.core.records import ArchRecord, CurvePoint, ResultRecord, counted_results
from dse.core.sweep import point_key, point_label

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["CurveEpoch", "CurvesInfo", "PointCurve", "curves_info", "plot_curves"]

TITLE = "Learning curves: validation top-1 after each epoch"
_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


@dataclass(frozen=True)
class CurveEpoch:
    """One epoch of a point's curve, over the seeds that reached it."""

    epoch: int  # 1-based
    top1: Stat  # validation top-1: mean and sample sd
    top1_min: float | None  # the band: the lowest and highest seed
    top1_max: float | None
    top5: Stat  # validation top-5
    loss: Stat  # mean train loss of the epoch


@dataclass(frozen=True)
class PointCurve:
    """The learning curve of one point at one training budget, over its seeds."""

    label: str  # the point's values of the study's varying keys, e.g. "sr=0.25"
    point: dict[str, Any]  # the swept values
    budget: int | None  # epochs of its schedule (None: results stored before budgets)
    seeds: tuple[int, ...]  # seeds whose curves it averages
    epochs: list[CurveEpoch]  # by epoch

    def name(self, budgets: int) -> str:
        """The legend's name: the label, and the budget when the study has several."""
        return self.label if budgets < 2 else f"{self.label}, {self.budget} epochs"


@dataclass(frozen=True)
class CurvesInfo:
    """Plot data of the learning curves."""

    dataset: str
    curves: list[PointCurve]  # in the order the study first stored the points
    budgets: int  # distinct budgets among the curves (several: the budget names each line)
    title: str = TITLE

    def caption(self) -> str:
        """What the figure shows (plain text)."""
        seeds = sum(len(c.seeds) for c in self.curves)
        return (f"Validation top-1 on {self.dataset} after each epoch: per point"
                f"{' and training budget' if self.budgets > 1 else ''}, the mean over its "
                f"seeds (line) and the lowest to the highest seed (band); {len(self.curves)} "
                f"curve(s) from {seeds} result(s) with a stored curve. The CSV adds the sd, "
                "validation top-5 and the mean train loss of each epoch.")

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows: one per point, budget and epoch."""
        return [{"point": c.label, **c.point, "budget": c.budget, "epoch": e.epoch, "n": e.top1.n,
                 "val_top1_mean": e.top1.mean, "val_top1_sd": e.top1.sd,
                 "val_top1_min": e.top1_min, "val_top1_max": e.top1_max,
                 "val_top5_mean": e.top5.mean, "val_top5_sd": e.top5.sd,
                 "train_loss_mean": e.loss.mean, "train_loss_sd": e.loss.sd}
                for c in self.curves for e in c.epochs]


def _epochs(curves: list[dict[int, CurvePoint]]) -> list[CurveEpoch]:
    """Each epoch that any of the seeds' curves reached, over the seeds that reached it."""
    found = []
    for epoch in sorted({e for curve in curves for e in curve}):
        points = [curve[epoch] for curve in curves if epoch in curve]
        top1 = [p.val_top1 for p in points if p.val_top1 is not None]
        found.append(CurveEpoch(epoch, stat(top1), min(top1, default=None),
                                max(top1, default=None), stat(p.val_top5 for p in points),
                                stat(p.train_loss for p in points)))
    return found


def _line(group: list[tuple[ResultRecord, dict[int, CurvePoint]]], budget: int | None,
          keys: Sequence[str]) -> PointCurve:
    """The curve of one point at one budget from its results and their curves (epoch -> point)."""
    point = dict(group[0][0].point)
    return PointCurve(label(point, keys) or point_label(point), point, budget,
                      tuple(r.seed for r, _ in group), _epochs([c for _, c in group]))


def curves_info(results: Sequence[ResultRecord],
                archs: Mapping[str, ArchRecord] | Iterable[ArchRecord], *,
                curves: Sequence[CurvePoint]) -> CurvesInfo:
    """The curve of each point and budget over the seeds of its counted, measured results.

    A result stored without a budget (before budgets existed) joins its point's line when the
    study has one budget.

    Args:
        results: the study's results (any status).
        archs: the networks (unused: a curve needs no size; the registry passes them).
        curves: the study's stored curve points (Store.curves).

    Returns:
        The plot data; no curves when no counted, measured result has a stored curve.
    """
    by_trial: dict[tuple[str, int], dict[int, CurvePoint]] = {}
    for p in curves:
        by_trial.setdefault((p.study, p.trial_number), {})[p.epoch] = p
    budgets = {r.budget for r in results if r.budget is not None}
    only = next(iter(budgets)) if len(budgets) == 1 else None
    at_budget: dict[int | None, list[ResultRecord]] = {}
    for result in results:
        at_budget.setdefault(only if result.budget is None else result.budget, []).append(result)
    # a (point, seed) counts once per budget: each budget trains it with a schedule of its own
    counted = {id(r): budget for budget, group in at_budget.items()
               for r in counted_results(group)}
    members: dict[tuple[str, int | None], list[tuple[ResultRecord, dict[int, CurvePoint]]]] = {}
    for result in results:
        curve = by_trial.get((result.study, result.trial_number))
        if id(result) in counted and curve and measured(result):
            members.setdefault((point_key(result.point), counted[id(result)]), []).append(
                (result, curve))
    keys = varying_keys(results)
    lines = [_line(group, budget, keys) for (_, budget), group in members.items()]
    return CurvesInfo(dataset_name(results), lines, len({c.budget for c in lines}))


def _rgba(color: str, alpha: float) -> str:
    """'rgba(r, g, b, alpha)' of a '#rrggbb' color."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def plot_curves(info: CurvesInfo) -> go.Figure:
    """Draw each curve's mean as a line over its min-max band; a point keeps its color across
    budgets, each budget its own dash.

    Args:
        info: from curves_info.

    Returns:
        The Plotly figure.
    """
    import plotly.colors
    import plotly.graph_objects as go

    palette = plotly.colors.qualitative.Plotly
    colors = {text: palette[i % len(palette)]
              for i, text in enumerate(dict.fromkeys(c.label for c in info.curves))}
    dashes = {b: _DASHES[i % len(_DASHES)]
              for i, b in enumerate(sorted({c.budget or 0 for c in info.curves}))}
    fig = go.Figure()
    for curve in info.curves:
        color, name = colors[curve.label], curve.name(info.budgets)
        x = [e.epoch for e in curve.epochs]
        band = {"x": x, "mode": "lines", "line": {"width": 0, "color": color}, "legendgroup": name,
                "showlegend": False, "hoverinfo": "skip"}
        fig.add_scatter(y=[e.top1_max for e in curve.epochs], **band)
        fig.add_scatter(y=[e.top1_min for e in curve.epochs], fill="tonexty",
                        fillcolor=_rgba(color, 0.2), **band)
        fig.add_scatter(
            x=x, y=[e.top1.mean for e in curve.epochs], mode="lines+markers", name=name,
            legendgroup=name, line={"color": color, "dash": dashes[curve.budget or 0]},
            customdata=[[e.top1.n, e.top1_min, e.top1_max] for e in curve.epochs],
            hovertemplate=(f"{name}<br>epoch %{{x}}: %{{y:.1%}} (mean of %{{customdata[0]}} "
                           "seeds; %{customdata[1]:.1%} to %{customdata[2]:.1%})<extra></extra>"))
    fig.update_xaxes(title="epoch", dtick=1 if max((len(c.epochs) for c in info.curves),
                                                   default=0) <= 20 else None)
    fig.update_yaxes(title="validation top-1 (mean over seeds; band: min to max)",
                     tickformat=".0%")
    fig.update_layout(title=f"{info.title}: {info.dataset}", template="plotly_white",
                      height=480, legend={"orientation": "h", "y": -0.2})
    return fig
