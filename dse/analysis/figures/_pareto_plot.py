"""Drawing step of accuracy against size (the data step is _pareto): one view per cost axis,
buttons to switch; the compressed-size view also shows each network at 32 bits, linked to its
compressed point. Static images show the first view: compressed size when there is one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from dse.analysis.figures._pareto import ParetoInfo, ParetoPoint

__all__ = ["AXIS_BUTTONS", "LABEL_EVERY_POINT", "plot_pareto"]

LABEL_EVERY_POINT = 12  # up to this many points all are labelled; beyond, the front only
LOG_AXIS_SPAN = 20  # sizes spanning this factor or more get a log axis (a search's do)
SHORT_LABEL = 24  # longer labels (a search over many keys) go in a numbered legend
AXIS_TITLES = {"size_mb": "model size (MB = 2^20 bytes, 32-bit weights", "macs": "MACs per image",
               "latency_ms": "latency (ms, median)"}
AXIS_BUTTONS = {"size_mb": "size", "macs": "MACs", "latency_ms": "latency",
                "compressed_mb": "compressed size"}
Y_TITLE = "test top-1 (mean ± sd over seeds)"
Y_TITLE_COMPRESSED = "test top-1 (mean ± sd over seeds; compressed: the decoded network)"
LINK_STYLE = {"color": "#aaaaaa", "width": 1}  # 32-bit -> compressed, per network


def _hover(point: ParetoPoint) -> str:
    """Hover text: metaparameters, size, MACs, latency, accuracy, compressed, seeds."""
    g = point.group
    costs = [f"size {point.size_mb:.3f} MB"]
    if point.macs is not None:
        costs.append(f"{point.macs:,} MACs")
    if point.latency_ms is not None:
        costs.append(f"{point.latency_ms:.3f} ms")
    lines = [" ".join(f"{k}={v}" for k, v in g.hover().items()), ", ".join(costs),
             f"n={g.n} seed(s)"]
    lines += g.accuracy_lines()
    c = point.compressed_top1
    if point.compressed_mb is not None and c is not None:
        lines.append(f"compressed {point.compressed_mb:.3f} MB, test top-1 {c.as_percent()}")
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


def _axis_title(info: ParetoInfo, axis: str, log: bool) -> str:
    """The x-axis title of a cost axis."""
    scale = ", log scale" if log else ""
    if axis == "size_mb":
        return AXIS_TITLES[axis] + scale + ")"
    if axis == "latency_ms":
        return f"latency (ms, median; {info.latency_setting})"
    if axis == "compressed_mb":
        return (f"model size (MB = 2^20 bytes{scale}): compressed ({info.compressed_setting}), "
                "linked to 32 bits")
    return AXIS_TITLES[axis] + (" (log scale)" if log else "")


def _log_axis(values: Sequence[float | None]) -> bool:
    """Whether values span enough to want a log axis."""
    positive = [v for v in values if v is not None and v > 0]
    return bool(positive) and max(positive) >= LOG_AXIS_SPAN * min(positive)


def _axis_values(info: ParetoInfo, axis: str) -> list[float | None]:
    """The x values an axis's view shows (the compressed view shows 32-bit sizes too)."""
    values = [p.cost(axis) for p in info.points]
    if axis == "compressed_mb":
        values += [p.size_mb for p in info.points if p.compressed_mb is not None]
    return values


def _add_uncompressed(fig: go.Figure, points: list[ParetoPoint], visible: bool) -> int:
    """Add the compressed view's 32-bit points and the thin links to their compressed points."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for p in points:
        xs += [p.size_mb, p.compressed_mb, None]
        ys += [p.group.top1.mean, p.accuracy("compressed_mb").mean, None]
    fig.add_scatter(x=xs, y=ys, mode="lines", name="32 bit → compressed", line=LINK_STYLE,
                    hoverinfo="skip", visible=visible, legendgroup="compressed_mb")
    fig.add_scatter(
        x=[p.size_mb for p in points], y=[p.group.top1.mean for p in points], name="32 bit",
        mode="markers", marker={"color": "white", "size": 8, "line": {"color": "#777",
                                                                      "width": 1.5}},
        hovertext=[_hover(p) for p in points], hoverinfo="text", visible=visible,
        legendgroup="compressed_mb")
    return 2


def _add_axis(fig: go.Figure, info: ParetoInfo, axis: str, text: dict[int, str]) -> int:
    """Add one cost axis's traces (dominated, front; links and 32-bit points for compressed
    size), visible for the default axis; return how many."""
    points = [p for p in info.points
              if p.cost(axis) is not None and p.accuracy(axis).mean is not None]
    visible = axis == info.default_axis
    added = _add_uncompressed(fig, points, visible) if axis == "compressed_mb" else 0
    front = sorted((p for p in points if axis in p.fronts),
                   key=lambda p: (p.cost(axis), -(p.accuracy(axis).mean or 0.0)))
    for name, group, style, position in (
        ("dominated", [p for p in points if p not in front], {"color": "#9ecae1", "size": 9},
         "bottom right"),
        ("Pareto front", front, {"color": "#d62728", "size": 11, "symbol": "star"}, "top right"),
    ):
        lines = "lines+" if name == "Pareto front" else ""
        labels = [text.get(id(p), "") for p in group]
        fig.add_scatter(
            x=[p.cost(axis) for p in group], y=[p.accuracy(axis).mean for p in group], name=name,
            mode=f"{lines}markers+text" if any(labels) else f"{lines}markers", marker=style,
            line={"color": style["color"], "shape": "hv", "dash": "dot"},
            error_y={"type": "data", "array": [p.accuracy(axis).sd or 0.0 for p in group],
                     "visible": True, "thickness": 1},
            text=labels, textposition=position, textfont={"size": 11, "color": "#333"},
            hovertext=[_hover(p) for p in group], hoverinfo="text", cliponaxis=False,
            visible=visible, legendgroup=axis,
        )
    return added + 2


def _buttons(info: ParetoInfo, owners: list[str], logs: dict[str, bool]) -> list[dict[str, Any]]:
    """One button per cost axis: its traces visible (and the legend's numbers), its titles."""
    return [{"label": AXIS_BUTTONS[axis], "method": "update", "args": [
        {"visible": [owner in (axis, "numbers") for owner in owners]},
        {"xaxis.title.text": _axis_title(info, axis, logs[axis]),
         "xaxis.type": "log" if logs[axis] else "linear",
         "yaxis.title.text": Y_TITLE_COMPRESSED if axis == "compressed_mb" else Y_TITLE}]}
        for axis in info.axes]


def plot_pareto(info: ParetoInfo) -> go.Figure:
    """Draw accuracy against size, the front highlighted, joined in size order and labelled;
    buttons switch the cost axis to MACs, latency or compressed size (each with its own front).

    Args:
        info: from pareto_info.

    Returns:
        The Plotly figure, showing compressed size first when the study has it, else size.
    """
    import plotly.graph_objects as go

    text, numbered = _labels(info)
    fig = go.Figure()
    owners: list[str] = []  # the cost axis of each trace, in order
    for axis in info.axes:
        owners += [axis] * _add_axis(fig, info, axis, text)
    for line in numbered:  # legend entries only: what each number on the front stands for
        fig.add_scatter(x=[None], y=[None], mode="markers", name=line, hoverinfo="skip",
                        marker={"color": "#d62728", "size": 7, "symbol": "star"},
                        legendgroup="numbers", legendgrouptitle_text="front, by size")
        owners.append("numbers")
    logs = {axis: _log_axis(_axis_values(info, axis)) for axis in info.axes}
    first = info.default_axis
    fig.update_xaxes(title=_axis_title(info, first, logs[first]),
                     type="log" if logs[first] else "linear")
    fig.update_yaxes(title=Y_TITLE_COMPRESSED if first == "compressed_mb" else Y_TITLE,
                     tickformat=".1~%")
    legend = ({"orientation": "v", "x": 1.02, "y": 1, "font_size": 11} if numbered
              else {"orientation": "h", "y": -0.18, "traceorder": "normal"})  # one row
    fig.update_layout(title=f"{info.title}: {info.dataset}", template="plotly_white", height=520,
                      showlegend=True, legend=legend, updatemenus=[{
                          "type": "buttons", "direction": "right", "x": 1.0, "xanchor": "right",
                          "y": 1.12, "yanchor": "bottom", "buttons": _buttons(info, owners, logs),
                          "showactive": True, "active": info.axes.index(first),
                          "font": {"size": 11}}])
    return fig
