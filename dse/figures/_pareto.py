"""Accuracy against model size for any study, with the Pareto front (max accuracy, min size).

One point per distinct point of the study (mean over its seeds), labelled with the values of the
keys that vary across the study, so that PNG and SVG read on their own; hover shows the network's
metaparameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dse.figures._stats import ARCH_KEYS, PointGroup, dataset_name, group_points, varying_keys
from dse.records import ArchRecord, ResultRecord

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["ParetoInfo", "ParetoPoint", "label", "pareto_front", "pareto_info", "plot_pareto"]

TITLE = "Accuracy vs model size (Pareto front: max accuracy, min size)"
LABEL_EVERY_POINT = 12  # up to this many points all are labelled; beyond, the front only
LOG_AXIS_SPAN = 20  # sizes spanning this factor or more get a log axis (a search's do)
SHORT_LABEL = 24  # longer labels (a search over many keys) go in a numbered legend


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
    label: str = ""  # its values of the study's varying keys, e.g. "sr=0.25"; "" for none


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
                f"over seeds), labelled with its swept values. {len(self.front)} of "
                f"{len(self.points)} points are on the Pareto front: no other point is both no "
                "larger and more accurate. Hover for the metaparameters.")

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
    keys = varying_keys(results)
    return ParetoInfo(dataset_name(results), [
        ParetoPoint(g, size, i in front, label(g.point, keys))
        for i, (g, size, _) in enumerate(kept)])


def _value(value: Any) -> str:
    """A swept value, short: floats to 3 significant digits."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def label(point: dict[str, Any], keys: Sequence[str]) -> str:
    """'sr=0.25 bypass=simple': the point's values of `keys` (those it has), in that order.

    Args:
        point: a point's swept values.
        keys: the keys to show (the study's varying ones).

    Returns:
        The label; "" when the point has none of the keys.
    """
    return " ".join(f"{k}={_value(point[k])}" for k in keys if k in point)


def _hover(point: ParetoPoint) -> str:
    """Hover text: metaparameters, size, accuracy, seeds."""
    g = point.group
    lines = [" ".join(f"{k}={v}" for k, v in g.hover().items()),
             f"size {point.size_mb:.3f} MB", f"n={g.n} seed(s)"]
    lines += g.accuracy_lines()
    if point.on_front:
        lines.append("on the Pareto front")
    return "<br>".join(lines)


def _labels(info: ParetoInfo) -> tuple[dict[int, str], list[str]]:
    """Text beside each labelled point (by id of the point) and the numbered legend lines.

    Short labels go beside the points: every point of a small study, the front of a larger one.
    Long ones (a search over many keys) would overlap: the front's points get numbers, and the
    legend says what each number is.
    """
    labelled = info.points if len(info.points) <= LABEL_EVERY_POINT else info.front
    if all(len(p.label) <= SHORT_LABEL for p in labelled):
        return {id(p): p.label for p in labelled}, []
    numbered = [p for p in info.front if p.label]
    return ({id(p): str(i) for i, p in enumerate(numbered, start=1)},
            [f"{i}: {p.label}" for i, p in enumerate(numbered, start=1)])


def plot_pareto(info: ParetoInfo) -> go.Figure:
    """Draw accuracy against size, the front highlighted, joined in size order and labelled.

    Args:
        info: from pareto_info.

    Returns:
        The Plotly figure.
    """
    import plotly.graph_objects as go

    text, numbered = _labels(info)
    fig = go.Figure()
    for name, points, style, position in (
        ("dominated", [p for p in info.points if not p.on_front],
         {"color": "#9ecae1", "size": 9}, "bottom right"),
        ("Pareto front", info.front, {"color": "#d62728", "size": 11, "symbol": "star"},
         "top right"),
    ):
        lines = "lines+" if name == "Pareto front" else ""
        labels = [text.get(id(p), "") for p in points]
        fig.add_scatter(
            x=[p.size_mb for p in points], y=[p.group.top1.mean for p in points], name=name,
            mode=f"{lines}markers+text" if any(labels) else f"{lines}markers", marker=style,
            line={"color": style["color"], "shape": "hv", "dash": "dot"},
            error_y={"type": "data", "array": [p.group.top1.sd or 0.0 for p in points],
                     "visible": True, "thickness": 1},
            text=labels, textposition=position, textfont={"size": 11, "color": "#333"},
            hovertext=[_hover(p) for p in points], hoverinfo="text", cliponaxis=False,
        )
    for line in numbered:  # legend entries only: what each number on the front stands for
        fig.add_scatter(x=[None], y=[None], mode="markers", name=line, hoverinfo="skip",
                        marker={"color": "#d62728", "size": 7, "symbol": "star"},
                        legendgroup="numbers", legendgrouptitle_text="front, by size")
    sizes = [p.size_mb for p in info.points if p.size_mb > 0]
    wide = bool(sizes) and max(sizes) >= LOG_AXIS_SPAN * min(sizes)
    fig.update_xaxes(title="model size (MB = 2^20 bytes, 32-bit weights"
                     + (", log scale)" if wide else ")"), type="log" if wide else "linear")
    fig.update_yaxes(title="test top-1 (mean ± sd over seeds)", tickformat=".1~%")
    legend = ({"orientation": "v", "x": 1.02, "y": 1, "font_size": 11} if numbered
              else {"orientation": "h", "y": -0.18})
    fig.update_layout(title=f"{info.title}: {info.dataset}", template="plotly_white", height=520,
                      showlegend=True, legend=legend)
    return fig
