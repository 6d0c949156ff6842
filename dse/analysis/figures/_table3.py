"""Table 3: one row per bypass kind, this study beside the paper (paper Sec. 6).

The data step gives the rows; the drawing steps give an HTML table (for the report) and a
Plotly table (for PNG/SVG and the dashboard).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from dse.analysis.figures._paper import PAPER_SOURCE, TABLE3_PAPER, PaperRow
from dse.analysis.figures._stats import PointGroup, dataset_name, group_points
from dse.analysis.figures._summary import html_table
from dse.core.records import ArchRecord, ResultRecord, percent
from dse.core.spec import BYPASS_KINDS

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["Table3Info", "Table3Row", "plot_table3", "table3_html", "table3_info",
           "table_height"]

TITLE = "Table 3: bypass connections"
# Pixel sizes of the drawn table: its width (every cell on one line, the header on two), the
# title band, the header, one row, and the space left below.
WIDTH_PX, TITLE_PX, HEADER_PX, ROW_PX, BOTTOM_PX = 1000, 60, 44, 30, 20
HEADER = ("architecture", "bypass", "n seeds", "test top-1", "test top-5", "model size",
          "paper top-1", "paper top-5", "paper model size")


@dataclass(frozen=True)
class Table3Row:
    """One bypass kind: this study's measurements and the paper's numbers."""

    bypass: str
    group: PointGroup
    paper: PaperRow | None  # None for a kind the paper does not list

    @property
    def label(self) -> str:
        """The paper's name of the architecture (or the bypass kind)."""
        return self.paper.label if self.paper else f"bypass={self.bypass}"


@dataclass(frozen=True)
class Table3Info:
    """Table 3's rows, in the paper's order (none, simple, complex)."""

    dataset: str
    table: list[Table3Row]
    title: str = TITLE

    def caption(self) -> str:
        """What the table shows, in a sentence (plain text)."""
        return (f"This study's test accuracy (mean ± sd over seeds) and model size per bypass "
                f"kind on {self.dataset}, beside the paper's ImageNet numbers ({PAPER_SOURCE}).")

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows: one per bypass kind, this study's columns and the paper's."""
        return [{"architecture": r.label, "bypass": r.bypass, "dataset": self.dataset,
                 "budget": r.group.budget, "n": r.group.n, "size_mb": r.group.size_mb,
                 "top1_mean": r.group.top1.mean, "top1_sd": r.group.top1.sd,
                 "top5_mean": r.group.top5.mean, "top5_sd": r.group.top5.sd,
                 "paper_top1": r.paper.top1 if r.paper else None,
                 "paper_top5": r.paper.top5 if r.paper else None,
                 "paper_size_mb": r.paper.size_mb if r.paper else None} for r in self.table]


def _order(bypass: str) -> tuple[int, str]:
    """Sort key: the paper's order first, other kinds after by name."""
    return (BYPASS_KINDS.index(bypass) if bypass in BYPASS_KINDS else len(BYPASS_KINDS), bypass)


def table3_info(results: Sequence[ResultRecord],
                archs: Mapping[str, ArchRecord] | Iterable[ArchRecord]) -> Table3Info:
    """Rows of Table 3: per bypass kind, test top-1/top-5 over seeds, size, the paper's row.

    Args:
        results: the study's results (only complete/reused ones are measured).
        archs: the networks, by fingerprint or as a list.

    Returns:
        The table; groups whose bypass kind is unknown are left out.
    """
    rows = []
    for group in group_points(results, archs):
        bypass = group.point.get("bypass", group.arch.get("bypass"))
        if isinstance(bypass, str):
            rows.append(Table3Row(bypass, group, TABLE3_PAPER.get(bypass)))
    return Table3Info(dataset_name(results), sorted(rows, key=lambda r: _order(r.bypass)))


def _cells(row: Table3Row) -> list[str]:
    """The displayed cells of one row, in HEADER order."""
    g, p = row.group, row.paper
    size = "-" if g.size_mb is None else f"{g.size_mb:.3f} MB"
    paper = ["-", "-", "-"] if p is None else [percent(p.top1), percent(p.top5),
                                               p.size_label]
    return [row.label, row.bypass, str(g.n), g.top1.as_percent(), g.top5.as_percent(), size, *paper]


def table3_html(info: Table3Info) -> str:
    """Table 3 (from table3_info) as an HTML <table>, its caption naming both sources."""
    caption = (f"{escape(info.title)}. This study: {escape(info.dataset)}, mean ± sd over "
               f"seeds. Paper: ImageNet, {escape(PAPER_SOURCE)}.")
    return html_table("table3", HEADER, [_cells(r) for r in info.table], caption_html=caption)


def table_height(rows: int) -> int:
    """Height in pixels of Table 3 with `rows` rows: title, header and rows, no empty space.

    Args:
        rows: body rows.

    Returns:
        The height.
    """
    return TITLE_PX + HEADER_PX + rows * ROW_PX + BOTTOM_PX


def plot_table3(info: Table3Info) -> go.Figure:
    """Draw Table 3 as a Plotly table, sized to its rows (PNG/SVG keep this size).

    Args:
        info: from table3_info.

    Returns:
        The Plotly figure.
    """
    import plotly.graph_objects as go

    columns = list(zip(*(_cells(r) for r in info.table), strict=True)) or [()] * len(HEADER)
    fig = go.Figure(go.Table(
        header={"values": list(HEADER), "fill_color": "#e8eef7", "align": "left",
                "height": HEADER_PX},
        cells={"values": [list(c) for c in columns], "align": "left", "height": ROW_PX},
        columnwidth=[3, 1, 0.8, 1.5, 1.5, 1.2, 1, 1, 1.2],
    ))
    fig.update_layout(title=f"{info.title} (this study: {info.dataset}; paper: ImageNet)",
                      template="plotly_white", width=WIDTH_PX,
                      height=table_height(len(info.table)),
                      margin={"t": TITLE_PX, "b": BOTTOM_PX})
    return fig
