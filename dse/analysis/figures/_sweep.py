"""Accuracy against one swept metaparameter, beside the paper's stated points (Figure 3a/3b).

The data step groups the results by point; the drawing step puts this study's test top-1 and
top-5 (mean and sample sd over seeds; each swept value a tick with its network's size under it)
in the left panel and
the paper's ImageNet top-5 points in a right panel with its own axis: the datasets differ, so the
two are compared in shape, not in level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dse.analysis.figures._export import FOOTNOTE
from dse.analysis.figures._paper import PAPER_SOURCE, PaperReference
from dse.analysis.figures._stats import PointGroup, dataset_name, group_points
from dse.core.records import ArchRecord, ResultRecord, percent

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["SweepInfo", "SweepPoint", "plot_sweep", "sweep_info"]

STUDY_SOURCE = "this study"
TOP1_COLOR, TOP5_COLOR, PAPER_COLOR = "#1f77b4", "#ff7f0e", "#7f7f7f"


@dataclass(frozen=True)
class SweepPoint:
    """One value of the swept key: its network's size and accuracy over seeds."""

    value: float
    group: PointGroup

    @property
    def n(self) -> int:
        """Seeds measured."""
        return self.group.n


@dataclass(frozen=True)
class SweepInfo:
    """Plot data of accuracy against one swept key, with the paper's reference."""

    key: str  # "sr" or "pct3x3"
    axis_title: str
    title: str
    dataset: str
    points: list[SweepPoint]  # by value
    paper: PaperReference
    percent_axis: bool = False  # show the swept value as a percentage

    def measured(self) -> list[SweepPoint]:
        """The points with at least one measurement."""
        return [p for p in self.points if p.group.top1.mean is not None]

    def caption(self) -> str:
        """What the figure shows, in a few sentences (plain text)."""
        return (f"Left: this study's test top-1 and top-5 on {self.dataset} (mean ± sd over "
                "seeds; under each value: its model size). Right: the paper's "
                f"{self.paper.dataset} {self.paper.metric}, only the points its text states; "
                f"the paper also says: {'; '.join(self.paper.notes)}. The data differ: compare "
                f"the shapes, not the levels. Source: {PAPER_SOURCE}.")

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows: one per point of this study, then the paper's points (column `source`)."""
        rows = [{"source": STUDY_SOURCE, "dataset": self.dataset, self.key: p.value,
                 "budget": p.group.budget, "n": p.n,
                 "size_mb": p.group.size_mb, "top1_mean": p.group.top1.mean,
                 "top1_sd": p.group.top1.sd, "top5_mean": p.group.top5.mean,
                 "top5_sd": p.group.top5.sd} for p in self.points]
        rows += [{"source": f"paper: {PAPER_SOURCE}, {self.paper.figure}",
                  "dataset": self.paper.dataset, self.key: q.value, "budget": None, "n": None,
                  "size_mb": q.size_mb, "top1_mean": None, "top1_sd": None, "top5_mean": q.top5,
                  "top5_sd": None} for q in self.paper.points]
        return rows


def sweep_info(results: Sequence[ResultRecord],
               archs: Mapping[str, ArchRecord] | Iterable[ArchRecord], *, key: str,
               paper: PaperReference, axis_title: str, title: str,
               percent_axis: bool = False) -> SweepInfo:
    """Group the results by point and order the points by their value of `key`.

    Args:
        results: the study's results (any status; only complete/reused ones are measured).
        archs: the networks, by fingerprint or as a list.
        key: the swept key; points without it are left out.
        paper: the paper's stated points for this figure.
        axis_title: title of the swept axis.
        title: the figure's title.
        percent_axis: show the swept value as a percentage.

    Returns:
        The plot data.
    """
    points = [SweepPoint(float(g.point[key]), g) for g in group_points(results, archs)
              if isinstance(g.point.get(key), (int, float))]
    return SweepInfo(key=key, axis_title=axis_title, title=title, dataset=dataset_name(results),
                     points=sorted(points, key=lambda p: p.value), paper=paper,
                     percent_axis=percent_axis)


def _size(size_mb: float | None) -> str:
    """'0.355 MB', or '?' when unknown."""
    return "?" if size_mb is None else f"{size_mb:.3g} MB"


def _value(info: SweepInfo, value: float) -> str:
    """A swept value as its axis shows it: '0.25', or '25%' on a percent axis."""
    return f"{100 * value:g}%" if info.percent_axis else f"{value:g}"


def _hover(info: SweepInfo, point: SweepPoint) -> str:
    """Hover text of one point of this study."""
    g = point.group
    parts = [f"{info.key}={point.value:g}", f"n={g.n} seed(s)", f"size {_size(g.size_mb)}"]
    parts += g.accuracy_lines()
    parts += [f"{k}={v}" for k, v in g.hover().items() if k != info.key]
    return "<br>".join(parts)


def plot_sweep(info: SweepInfo) -> go.Figure:
    """Draw the study's accuracy (left) and the paper's stated points (right).

    Args:
        info: from sweep_info.

    Returns:
        The Plotly figure.
    """
    from plotly.subplots import make_subplots

    paper = info.paper
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.1,
                        subplot_titles=(f"this study ({info.dataset})",
                                        f"paper ({paper.dataset} {paper.metric}, stated points)"))
    shown = info.measured()
    xs = [p.value for p in shown]
    hover = [_hover(info, p) for p in shown]
    for name, color, attr in (("test top-1", TOP1_COLOR, "top1"),
                              ("test top-5", TOP5_COLOR, "top5")):
        stats = [getattr(p.group, attr) for p in shown]
        fig.add_scatter(
            x=xs, y=[s.mean for s in stats], name=f"{name} ({info.dataset})", row=1, col=1,
            mode="lines+markers", marker={"color": color, "size": 8}, line={"color": color},
            error_y={"type": "data", "array": [s.sd or 0.0 for s in stats], "visible": True},
            hovertext=hover, hoverinfo="text",
        )
    fig.add_scatter(
        x=[q.value for q in paper.points], y=[q.top5 for q in paper.points], row=1, col=2,
        name=paper.label, mode="markers+text", marker={"color": PAPER_COLOR, "size": 10,
                                                        "symbol": "diamond"},
        text=[f"{percent(q.top5)}, {q.size_label}" for q in paper.points],
        textposition="bottom center", hoverinfo="text",
        hovertext=[f"paper: {info.key}={q.value:g}, {paper.dataset} {paper.metric} "
                   f"{percent(q.top5)}, {q.size_label}" for q in paper.points],
    )
    values = [0.0, 1.0, *xs, *(q.value for q in paper.points)]  # SR and pct3x3 lie in [0, 1]
    fig.update_xaxes(title=info.axis_title, range=[min(values) - 0.05, max(values) + 0.05],
                     **({"tickformat": ".0%"} if info.percent_axis else {}))
    if shown:  # each measured value a tick, its network's size under it: never over the data
        fig.update_xaxes(tickvals=xs, tickfont_size=10, row=1, col=1,
                         ticktext=[f"{_value(info, p.value)}<br>{_size(p.group.size_mb)}"
                                   for p in shown])
    fig.update_traces(cliponaxis=False)
    fig.update_yaxes(title="test accuracy (mean ± sd over seeds)", tickformat=".1~%", row=1, col=1)
    fig.update_yaxes(title=f"{paper.dataset} {paper.metric} (paper)", tickformat=".1~%",
                     range=[min(q.top5 for q in paper.points) - 0.04,
                            max(q.top5 for q in paper.points) + 0.03], row=1, col=2)
    notes = [f"paper: {note}" for note in paper.notes] + [f"source: {PAPER_SOURCE}"]
    fig.add_annotation(text="<br>".join(notes), name=FOOTNOTE, xref="paper", yref="paper",
                       x=0, y=-0.36, yanchor="top", showarrow=False, xanchor="left",
                       align="left", font={"size": 11, "color": "#555"})
    fig.update_layout(title=info.title, template="plotly_white", height=560,
                      margin={"b": 160, "t": 90},
                      legend={"orientation": "h", "y": -0.25, "yanchor": "top"})
    return fig
