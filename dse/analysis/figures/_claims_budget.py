"""The paper's claims against the training budget: does a verdict hold as training gets longer?

One panel per claim (per network for a compression claim) that some budget tests: the effect
at each budget with its 95 % interval, top-1 and top-5 side by side, and the claim's threshold
(0, the margin, or the target ratio) drawn as a dashed line; the panel's title ends with the
stability word (dse.analysis.budgets). The data step judges the study with
dse.analysis.study_verdicts; a study gets the figure when its results span two or more budgets.
Drawn without buttons or menus, so the PNG and SVG show all of it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dse.analysis.budgets import budget_label, verdict_series
from dse.analysis.claims import Metric, Outcome, Unit
from dse.analysis.figures._stats import dataset_name
from dse.analysis.study_verdicts import study_verdicts
from dse.core.records import ArchRecord, CompressionRecord, ResultRecord
from dse.core.study_records import StudyRecords

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["ClaimPoint", "ClaimSeries", "ClaimsBudgetInfo", "MIN_BUDGETS", "claims_budget_info",
           "plot_claims_budget"]

TITLE = "The paper's claims at each training budget"
MIN_BUDGETS = 2  # a study gets the figure with results at this many budgets
COLORS = {Metric.TOP1: "#1f77b4", Metric.TOP5: "#ff7f0e", Metric.SIZE: "#2ca02c"}
SYMBOLS = {Outcome.REPRODUCED: "circle", Outcome.CONTRADICTED: "x",
           Outcome.INCONCLUSIVE: "circle-open"}
COLUMNS_MAX = 3  # panels side by side


@dataclass(frozen=True)
class ClaimPoint:
    """One budget's verdict on a claim: the effect and its interval."""

    budget: int | None
    effect: float
    low: float | None  # None: no interval (fewer than 2 seeds a side)
    high: float | None
    verdict: Outcome


@dataclass(frozen=True)
class ClaimSeries:
    """One claim on one metric (and network) across budgets."""

    claim: str  # Claim.id
    label: str  # 'Figure 3a: accuracy rises ...' (+ the network)
    metric: Metric
    network: str
    unit: Unit
    threshold: float | None
    stability: str
    points: list[ClaimPoint]

    @property
    def panel(self) -> tuple[str, str]:
        """The panel it is drawn in: its claim and network (top-1 and top-5 share one)."""
        return self.claim, self.network


@dataclass(frozen=True)
class ClaimsBudgetInfo:
    """Plot data: each tested claim's effect per budget, by metric."""

    dataset: str
    budgets: list[int | None]  # every budget judged, smallest first
    series: list[ClaimSeries]
    title: str = TITLE

    def caption(self) -> str:
        """What the figure shows (plain text)."""
        budgets = ", ".join(budget_label(b) for b in self.budgets)
        return (f"Each claim's effect on {self.dataset} at each training budget ({budgets} "
                "epochs; each budget a full schedule), with its 95 % interval (Welch t over "
                "seeds; paired t over trials for compression), on test top-1 (blue) and top-5 "
                "(orange); the dashed line is the claim's threshold. Filled: reproduced, x: "
                "contradicted, open: inconclusive. Each panel's title ends with whether the "
                "verdict holds across budgets.")

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows: one per claim, metric, network and budget."""
        return [{"claim": s.claim, "metric": s.metric.value, "network": s.network,
                 "budget": p.budget, "effect": p.effect, "ci_low": p.low, "ci_high": p.high,
                 "threshold": s.threshold, "unit": s.unit.value, "verdict": p.verdict.value,
                 "stability": s.stability} for s in self.series for p in s.points]

    def panels(self) -> list[tuple[str, list[ClaimSeries]]]:
        """(title, its series) of each panel, in the claims' order."""
        grouped: dict[tuple[str, str], list[ClaimSeries]] = {}
        for s in self.series:
            grouped.setdefault(s.panel, []).append(s)
        return [(f"{group[0].label}: " + "; ".join(f"{s.metric} {s.stability}" for s in group),
                 group) for group in grouped.values()]


def claims_budget_info(results: Sequence[ResultRecord],
                       archs: Mapping[str, ArchRecord] | Iterable[ArchRecord], *,
                       compressions: Sequence[CompressionRecord] = ()) -> ClaimsBudgetInfo:
    """Each claim's effect and interval at each budget, from the study's verdicts.

    Args:
        results: the study's results, every budget.
        archs: the networks, by fingerprint or as a list.
        compressions: the study's compressions (Table 2's claims are judged when there are).

    Returns:
        The plot data: a series per claim, metric and network with an effect at some budget
        (claims not tested, and the exact parameter claims, left out).
    """
    verdicts = study_verdicts(StudyRecords.of(results, archs, compressions))
    series = []
    for same in verdict_series(verdicts):
        points = [ClaimPoint(v.budget, v.effect, v.low, v.high, v.verdict) for v in same
                  if v.effect is not None and v.verdict is not Outcome.NOT_TESTED]
        if points:
            first = same[0]
            label = f"{first.source}: {first.text}" + (f" [{first.network}]" if first.network else "")
            series.append(ClaimSeries(first.claim, label, first.metric, first.network, first.unit,
                                      first.threshold, first.stability, points))
    return ClaimsBudgetInfo(dataset_name(results), list(dict.fromkeys(v.budget for v in verdicts)),
                            series)


def _wrap(text: str, width: int = 48) -> str:
    """Text broken into lines of about `width` characters ('<br>' between them)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + len(word) < width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def plot_claims_budget(info: ClaimsBudgetInfo) -> go.Figure:
    """Draw each claim's effect against the budget, one panel per claim.

    Args:
        info: from claims_budget_info.

    Returns:
        The Plotly figure (static: no buttons or menus).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    panels = info.panels()
    if not panels:
        fig = go.Figure()
        fig.add_annotation(text="no claim of the paper is tested at any budget", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_layout(title=f"{info.title}: {info.dataset}", template="plotly_white")
        return fig
    columns = min(COLUMNS_MAX, len(panels))
    rows = math.ceil(len(panels) / columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=[_wrap(t) for t, _ in panels],
                        vertical_spacing=min(0.3, 0.9 / rows), horizontal_spacing=0.08)
    position = {b: i for i, b in enumerate(info.budgets)}
    shown: set[Metric] = set()
    for index, (_, group) in enumerate(panels):
        row, col = index // columns + 1, index % columns + 1
        offsets = [(i - (len(group) - 1) / 2) * 0.12 for i in range(len(group))]
        for s, offset in zip(group, offsets):
            fig.add_scatter(
                x=[position[p.budget] + offset for p in s.points], y=[p.effect for p in s.points],
                error_y={"type": "data", "symmetric": False,
                         "array": [(p.high - p.effect) if p.high is not None else 0
                                   for p in s.points],
                         "arrayminus": [(p.effect - p.low) if p.low is not None else 0
                                        for p in s.points]},
                mode="lines+markers", name=s.metric.value, legendgroup=s.metric.value,
                showlegend=s.metric not in shown, row=row, col=col,
                line={"color": COLORS.get(s.metric, "#7f7f7f"), "width": 1},
                marker={"size": 9, "symbol": [SYMBOLS.get(p.verdict, "circle") for p in s.points]},
                customdata=[[p.verdict.value, budget_label(p.budget)] for p in s.points],
                hovertemplate="budget %{customdata[1]}: %{y:.2f}, %{customdata[0]}<extra></extra>")
            shown.add(s.metric)
        if group[0].threshold is not None:
            fig.add_hline(y=group[0].threshold, line={"dash": "dash", "color": "#555", "width": 1},
                          row=row, col=col)
        unit = "ratio (x)" if group[0].unit is Unit.RATIO else "effect (pp)"
        fig.update_yaxes(title_text=unit, row=row, col=col)
        fig.update_xaxes(tickvals=list(position.values()),
                         ticktext=[budget_label(b) for b in position], title_text="epochs",
                         range=[-0.5, len(position) - 0.5], row=row, col=col)
    fig.update_annotations(font_size=11)
    fig.update_layout(title=f"{info.title}: {info.dataset}", template="plotly_white",
                      height=max(420, 300 * rows), legend={"orientation": "h", "y": -0.12},
                      margin={"t": 110})
    return fig
