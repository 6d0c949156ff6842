"""Accuracy against model size for any study, with the Pareto front (max accuracy, min size).

One point per distinct point of the study (mean over its seeds), labelled with the values of the
keys that vary across the study, so that PNG and SVG read on their own; hover shows the network's
metaparameters. Buttons switch the cost axis to MACs, and to measured latency where the store
has it (each axis with its own front); static images show size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dse.figures._stats import (
    ARCH_KEYS,
    PointGroup,
    arch_map,
    dataset_name,
    group_points,
    varying_keys,
)
from dse.records import ArchRecord, LatencyRecord, ResultRecord

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
    macs: int | None = None  # multiply-accumulates per image
    latency_ms: float | None = None  # measured batch-1 latency (ParetoInfo.latency_setting)
    fronts: frozenset[str] = frozenset()  # the cost axes on whose front it is

    def cost(self, axis: str) -> float | None:
        """Its value on a cost axis: size_mb, macs or latency_ms."""
        return {"size_mb": self.size_mb, "macs": self.macs, "latency_ms": self.latency_ms}[axis]


@dataclass(frozen=True)
class ParetoInfo:
    """Plot data of accuracy against size."""

    dataset: str
    points: list[ParetoPoint]  # measured points with a known size, in the study's order
    title: str = TITLE
    latency_setting: str = ""  # e.g. "torch on cpu, 1 thread(s), batch 1"; "" when unmeasured

    @property
    def axes(self) -> list[str]:
        """The cost axes it can show: size and MACs, and latency when measured."""
        return ["size_mb", "macs"] + (["latency_ms"] if self.latency_setting else [])

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
                "top5_sd": g.top5.sd, "pareto": p.on_front, "macs": p.macs,
                "pareto_macs": "macs" in p.fronts, "latency_ms": p.latency_ms,
                "pareto_latency": "latency_ms" in p.fronts if self.latency_setting else None,
            })
        return rows


def latency_setting(latencies: Iterable[LatencyRecord]) -> tuple[str, dict[str, float]]:
    """The batch-1 setting (runtime, device, threads) that covers the most networks, and each
    network's median latency in it; ("", {}) when none is stored."""
    by_setting: dict[tuple[str, str, int], dict[str, float]] = {}
    for r in latencies:
        if r.batch == 1:
            by_setting.setdefault((r.runtime, r.device, r.threads), {})[r.fingerprint] = r.median_ms
    if not by_setting:
        return "", {}
    (runtime, device, threads), values = max(by_setting.items(), key=lambda kv: len(kv[1]))
    return f"{runtime} on {device}, {threads} thread(s), batch 1", values


def pareto_info(results: Sequence[ResultRecord],
                archs: Mapping[str, ArchRecord] | Iterable[ArchRecord],
                latencies: Iterable[LatencyRecord] = ()) -> ParetoInfo:
    """Group the results by point and mark the Pareto front of (cost, mean test top-1) for
    each cost axis: size, MACs, and measured latency when the store has it.

    Args:
        results: the study's results (only complete/reused ones are measured).
        archs: the networks, by fingerprint or as a list.
        latencies: stored latencies of the networks (the most common batch-1 setting is used).

    Returns:
        The plot data; points without a measurement or a known size are left out.
    """
    networks = arch_map(archs)
    setting, latency = latency_setting(latencies)
    kept: list[tuple[PointGroup, dict[str, float | None]]] = []
    for g in group_points(results, networks):
        if g.size_mb is not None and g.top1.mean is not None and g.fingerprint is not None:
            kept.append((g, {"size_mb": g.size_mb, "macs": networks[g.fingerprint].macs,
                             "latency_ms": latency.get(g.fingerprint)}))
    fronts: dict[int, set[str]] = {i: set() for i in range(len(kept))}
    for axis in ("size_mb", "macs", "latency_ms"):
        have = [i for i, (_, costs) in enumerate(kept) if costs[axis] is not None]
        front = pareto_front([(kept[i][1][axis], kept[i][0].top1.mean) for i in have])
        for j in front:
            fronts[have[j]].add(axis)
    keys = varying_keys(results)
    return ParetoInfo(dataset_name(results), [
        ParetoPoint(g, costs["size_mb"], "size_mb" in fronts[i], label(g.point, keys),
                    macs=costs["macs"], latency_ms=costs["latency_ms"],
                    fronts=frozenset(fronts[i]))
        for i, (g, costs) in enumerate(kept)], latency_setting=setting)


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
    """Hover text: metaparameters, size, MACs, latency, accuracy, seeds."""
    g = point.group
    costs = [f"size {point.size_mb:.3f} MB"]
    if point.macs is not None:
        costs.append(f"{point.macs:,} MACs")
    if point.latency_ms is not None:
        costs.append(f"{point.latency_ms:.3f} ms")
    lines = [" ".join(f"{k}={v}" for k, v in g.hover().items()), ", ".join(costs),
             f"n={g.n} seed(s)"]
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


AXIS_TITLES = {"size_mb": "model size (MB = 2^20 bytes, 32-bit weights", "macs": "MACs per image",
               "latency_ms": "latency (ms, median)"}
AXIS_BUTTONS = {"size_mb": "size", "macs": "MACs", "latency_ms": "latency"}


def _axis_title(info: ParetoInfo, axis: str, log: bool) -> str:
    """The x-axis title of a cost axis."""
    if axis == "size_mb":
        return AXIS_TITLES[axis] + (", log scale)" if log else ")")
    if axis == "latency_ms":
        return f"latency (ms, median; {info.latency_setting})"
    return AXIS_TITLES[axis] + (" (log scale)" if log else "")


def _log_axis(values: Sequence[float | None]) -> bool:
    """Whether values span enough to want a log axis."""
    positive = [v for v in values if v is not None and v > 0]
    return bool(positive) and max(positive) >= LOG_AXIS_SPAN * min(positive)


def _add_axis(fig: go.Figure, info: ParetoInfo, axis: str, text: dict[int, str]) -> None:
    """Add the dominated and the front trace of one cost axis (visible for size)."""
    points = [p for p in info.points if p.cost(axis) is not None]
    front = sorted((p for p in points if axis in p.fronts),
                   key=lambda p: (p.cost(axis), -(p.group.top1.mean or 0.0)))
    for name, group, style, position in (
        ("dominated", [p for p in points if p not in front], {"color": "#9ecae1", "size": 9},
         "bottom right"),
        ("Pareto front", front, {"color": "#d62728", "size": 11, "symbol": "star"}, "top right"),
    ):
        lines = "lines+" if name == "Pareto front" else ""
        labels = [text.get(id(p), "") for p in group]
        fig.add_scatter(
            x=[p.cost(axis) for p in group], y=[p.group.top1.mean for p in group], name=name,
            mode=f"{lines}markers+text" if any(labels) else f"{lines}markers", marker=style,
            line={"color": style["color"], "shape": "hv", "dash": "dot"},
            error_y={"type": "data", "array": [p.group.top1.sd or 0.0 for p in group],
                     "visible": True, "thickness": 1},
            text=labels, textposition=position, textfont={"size": 11, "color": "#333"},
            hovertext=[_hover(p) for p in group], hoverinfo="text", cliponaxis=False,
            visible=axis == "size_mb", legendgroup=axis,
        )


def plot_pareto(info: ParetoInfo) -> go.Figure:
    """Draw accuracy against size, the front highlighted, joined in size order and labelled;
    buttons switch the cost axis to MACs or latency (each with its own front).

    Args:
        info: from pareto_info.

    Returns:
        The Plotly figure.
    """
    import plotly.graph_objects as go

    text, numbered = _labels(info)
    fig = go.Figure()
    for axis in info.axes:
        _add_axis(fig, info, axis, text)
    for line in numbered:  # legend entries only: what each number on the front stands for
        fig.add_scatter(x=[None], y=[None], mode="markers", name=line, hoverinfo="skip",
                        marker={"color": "#d62728", "size": 7, "symbol": "star"},
                        legendgroup="numbers", legendgrouptitle_text="front, by size")
    logs = {axis: _log_axis([p.cost(axis) for p in info.points]) for axis in info.axes}
    fig.update_xaxes(title=_axis_title(info, "size_mb", logs["size_mb"]),
                     type="log" if logs["size_mb"] else "linear")
    fig.update_yaxes(title="test top-1 (mean ± sd over seeds)", tickformat=".1~%")
    legend = ({"orientation": "v", "x": 1.02, "y": 1, "font_size": 11} if numbered
              else {"orientation": "h", "y": -0.18})
    buttons = []
    for axis in info.axes:
        visible = [a == axis for a in info.axes for _ in ("dominated", "front")] + \
            [True] * len(numbered)
        buttons.append({"label": AXIS_BUTTONS[axis], "method": "update", "args": [
            {"visible": visible},
            {"xaxis.title.text": _axis_title(info, axis, logs[axis]),
             "xaxis.type": "log" if logs[axis] else "linear"}]})
    fig.update_layout(title=f"{info.title}: {info.dataset}", template="plotly_white", height=520,
                      showlegend=True, legend=legend, updatemenus=[{
                          "type": "buttons", "direction": "right", "x": 1.0, "xanchor": "right",
                          "y": 1.12, "yanchor": "bottom", "buttons": buttons, "showactive": True,
                          "font": {"size": 11}}])
    return fig
