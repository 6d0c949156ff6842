"""Accuracy against model size for any study, with the Pareto front (max accuracy, min size).

One point per distinct point of the study (mean over its seeds); hover shows the network's
metaparameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dse.figures._stats import ARCH_KEYS, PointGroup, dataset_name, group_points
from dse.records import ArchRecord, ResultRecord

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["ParetoInfo", "ParetoPoint", "pareto_front", "pareto_info", "plot_pareto"]

TITLE = "Accuracy vs model size (Pareto front: max accuracy, min size)"


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the (size, accuracy) pairs no other pair dominates, by size.

    A pair dominates another when it is no larger and no less accurate, and strictly better in
    one of the two. Equal pairs do not dominate each other: both are on the front.

    Args:
        points: (size, accuracy) pairs.

    Returns:
        Indices of the front, ordered by size (then by accuracy, best first).
    """
    front = [i for i, (size, acc) in enumerate(points)
             if not any(s <= size and a >= acc and (s < size or a > acc) for s, a in points)]
    return sorted(front, key=lambda i: (points[i][0], -points[i][1]))


@dataclass(frozen=True)
class ParetoPoint:
    """One point of the study: size, accuracy over seeds, whether it is on the front."""

    group: PointGroup
    size_mb: float  # model size in MB (2^20 bytes)
    on_front: bool


@dataclass(frozen=True)
class ParetoInfo:
    """Plot data of accuracy against size."""

    dataset: str
    points: list[ParetoPoint]  # measured points with a known size, in the study's order
    title: str = TITLE

    @property
    def front(self) -> list[ParetoPoint]:
        """The front's points, by size."""
        return sorted((p for p in self.points if p.on_front),
                      key=lambda p: (p.size_mb, -(p.group.top1.mean or 0.0)))

    def caption(self) -> str:
        """What the figure shows, in a few sentences (plain text)."""
        return (f"One marker per point of the study on {self.dataset} (mean test top-1 ± sd "
                f"over seeds). {len(self.front)} of {len(self.points)} points are on the Pareto "
                "front: no other point is both no larger and more accurate. Hover for the "
                "metaparameters.")

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows: one per point, its metaparameters, size, accuracy and front membership."""
        rows = []
        for p in self.points:
            g = p.group
            rows.append({
                "point": " ".join(f"{k}={v}" for k, v in g.point.items()) or "base",
                **{k: g.arch.get(k) for k in ARCH_KEYS}, "n": g.n, "size_mb": p.size_mb,
                "top1_mean": g.top1.mean, "top1_sd": g.top1.sd, "top5_mean": g.top5.mean,
                "top5_sd": g.top5.sd, "pareto": p.on_front,
            })
        return rows


def pareto_info(results: Sequence[ResultRecord],
                archs: Mapping[str, ArchRecord] | Iterable[ArchRecord]) -> ParetoInfo:
    """Group the results by point and mark the Pareto front of (size, mean test top-1).

    Args:
        results: the study's results (only complete/reused ones are measured).
        archs: the networks, by fingerprint or as a list.

    Returns:
        The plot data; points without a measurement or a known size are left out.
    """
    kept: list[tuple[PointGroup, float, float]] = []
    for g in group_points(results, archs):
        if g.size_mb is not None and g.top1.mean is not None:
            kept.append((g, g.size_mb, g.top1.mean))
    front = set(pareto_front([(size, acc) for _, size, acc in kept]))
    return ParetoInfo(dataset_name(results),
                      [ParetoPoint(g, size, i in front) for i, (g, size, _) in enumerate(kept)])


def _hover(point: ParetoPoint) -> str:
    """Hover text: metaparameters, size, accuracy, seeds."""
    g = point.group
    lines = [" ".join(f"{k}={v}" for k, v in g.hover().items()),
             f"size {point.size_mb:.3f} MB", f"n={g.n} seed(s)"]
    lines += g.accuracy_lines()
    if point.on_front:
        lines.append("on the Pareto front")
    return "<br>".join(lines)


def plot_pareto(info: ParetoInfo) -> go.Figure:
    """Draw accuracy against size, the front highlighted and joined in size order.

    Args:
        info: from pareto_info.

    Returns:
        The Plotly figure.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, points, style in (
        ("dominated", [p for p in info.points if not p.on_front],
         {"color": "#9ecae1", "size": 9}),
        ("Pareto front", info.front, {"color": "#d62728", "size": 11, "symbol": "star"}),
    ):
        fig.add_scatter(
            x=[p.size_mb for p in points], y=[p.group.top1.mean for p in points], name=name,
            mode="lines+markers" if name == "Pareto front" else "markers", marker=style,
            line={"color": style["color"], "shape": "hv", "dash": "dot"},
            error_y={"type": "data", "array": [p.group.top1.sd or 0.0 for p in points],
                     "visible": True, "thickness": 1},
            hovertext=[_hover(p) for p in points], hoverinfo="text",
        )
    fig.update_xaxes(title="model size (MB = 2^20 bytes, 32-bit weights)")
    fig.update_yaxes(title="test top-1 (mean ± sd over seeds)", tickformat=".0%")
    fig.update_layout(title=f"{info.title}: {info.dataset}", template="plotly_white", height=520,
                      showlegend=True,
                      legend={"orientation": "h", "y": -0.18})
    return fig
