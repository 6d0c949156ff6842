"""Table 2: model compression, the paper's rows above this study's networks (paper Sec. 4).

Each of the study's compressed points gets its 32-bit row and one row per compression setting:
the compressed size, the ratio to the same network at 32 bits and the test accuracy of the
decoded network, over seeds; the top-1 change is paired by trial. The data step gives the rows;
the drawing steps give an HTML table (the report) and a Plotly table (PNG/SVG, the dashboard).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from dse.analysis.figures._compression import CompressedGroup, compressed_groups
from dse.analysis.figures._paper import PAPER_SOURCE, TABLE2_PAPER, CompressionPaperRow
from dse.analysis.figures._pareto import label
from dse.analysis.figures._stats import PointGroup, Stat, dataset_name, group_points, varying_keys
from dse.analysis.figures._summary import aligned_lines, html_table
from dse.analysis.figures._table3 import BOTTOM_PX, HEADER_PX, ROW_PX, TITLE_PX, table_height
from dse.core.records import ArchRecord, CompressionRecord, ResultRecord, percent
from dse.core.sweep import point_key, point_label

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["Table2Info", "Table2Row", "plot_table2", "table2_html", "table2_info", "table2_text"]

TITLE = "Table 2: model compression"
UNCOMPRESSED = "none, 32 bit"
WIDTH_PX = 1300  # the drawn table's width: every cell on one line
HEADER = ("source", "network", "compression", "n seeds", "model size", "ratio vs 32-bit",
          "test top-1", "test top-5", "top-1 change")
COLUMN_WIDTHS = (1.3, 1.6, 2.6, 0.6, 1.0, 1.6, 1.1, 1.1, 1.2)


@dataclass(frozen=True)
class Table2Row:
    """One of the study's networks, at 32 bits or compressed with one setting."""

    network: str  # the point's swept values, e.g. "sr=0.25"
    group: PointGroup  # the point, measured at 32 bits
    compressed: CompressedGroup | None = None  # None: the 32-bit row

    @property
    def compression(self) -> str:
        """'none, 32 bit', or the setting: '8bit-33pct: 8 bit, 33% kept'."""
        c = self.compressed
        return UNCOMPRESSED if c is None else f"{c.setting}: {c.description}"

    @property
    def n(self) -> int:
        """Seeds behind the row."""
        return self.group.n if self.compressed is None else self.compressed.n

    @property
    def size_mb(self) -> float | None:
        """Model size in MB (mean compressed size over seeds when compressed)."""
        return self.group.size_mb if self.compressed is None else self.compressed.size_mb.mean

    @property
    def top1(self) -> Stat:
        """Test top-1 over seeds (of the decoded network when compressed)."""
        return self.group.top1 if self.compressed is None else self.compressed.top1

    @property
    def top5(self) -> Stat:
        """Test top-5 over seeds (of the decoded network when compressed)."""
        return self.group.top5 if self.compressed is None else self.compressed.top5


@dataclass(frozen=True)
class Table2Info:
    """Table 2's rows: the paper's, then this study's (per point: 32 bits, then each setting)."""

    dataset: str
    table: list[Table2Row]
    paper: tuple[CompressionPaperRow, ...] = TABLE2_PAPER
    title: str = TITLE

    def caption(self) -> str:
        """What the table shows, in a few sentences (plain text)."""
        return (f"The paper's Table 2 (ImageNet, {PAPER_SOURCE}), then each compressed network "
                f"of this study on {self.dataset}: at 32 bits and after each compression setting "
                "(Deep Compression: prune, share weights, Huffman-code). Mean ± sd over seeds of "
                "the size, the ratio to the same network at 32 bits and the test accuracy of "
                "the decoded network; top-1 change = compressed - 32-bit test top-1 of the same "
                "trial, in percentage points.")

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows: the paper's rows, then one per (point, setting) of this study."""
        paper = [{"source": "paper", "dataset": "ImageNet", "network": p.network,
                  "compression": p.compression, "setting": None, "n": None,
                  "size_mb": p.size_mb, "ratio_mean": _paper_ratio(p), "ratio_sd": None,
                  "vs_alexnet": p.vs_alexnet, "top1_mean": p.top1, "top1_sd": None,
                  "top5_mean": p.top5, "top5_sd": None,
                  "top1_change_pp_mean": _paper_change(p), "top1_change_pp_sd": None,
                  "n_paired": None} for p in self.paper]
        ours = []
        for r in self.table:
            c = r.compressed
            ours.append({
                "source": "this study", "dataset": self.dataset, "network": r.network,
                "compression": r.compression, "setting": c.setting if c else None, "n": r.n,
                "size_mb": r.size_mb, "ratio_mean": c.ratio.mean if c else 1.0,
                "ratio_sd": c.ratio.sd if c else None, "vs_alexnet": None,
                "top1_mean": r.top1.mean, "top1_sd": r.top1.sd, "top5_mean": r.top5.mean,
                "top5_sd": r.top5.sd, "top1_change_pp_mean": c.change_pp.mean if c else None,
                "top1_change_pp_sd": c.change_pp.sd if c else None,
                "n_paired": c.change_pp.n if c else None})
        return paper + ours


def _paper_ratio(p: CompressionPaperRow) -> float:
    """The paper row's ratio to its own network at 32 bits."""
    return p.vs_squeezenet if p.vs_squeezenet is not None else p.vs_alexnet


def _paper_change(p: CompressionPaperRow) -> float:
    """The paper row's top-1 change from its own network at 32 bits, in points."""
    base = next(q for q in TABLE2_PAPER if q.network == p.network)
    return 100 * (p.top1 - base.top1)


def table2_info(results: Sequence[ResultRecord],
                archs: Mapping[str, ArchRecord] | Iterable[ArchRecord],
                compressions: Sequence[CompressionRecord]) -> Table2Info:
    """Rows of Table 2: per compressed point, its 32-bit row and a row per setting.

    Args:
        results: the study's results (only counted, measured ones count).
        archs: the networks, by fingerprint or as a list.
        compressions: the study's compressions, in save order.

    Returns:
        The table; points none of whose trials was compressed are left out.
    """
    compressed = compressed_groups(results, compressions)
    keys = varying_keys(results)
    rows: list[Table2Row] = []
    for group in group_points(results, archs):
        settings = compressed.get(point_key(group.point), [])
        if settings:
            name = label(group.point, keys) or point_label(group.point)
            rows += [Table2Row(name, group), *(Table2Row(name, group, c) for c in settings)]
    return Table2Info(dataset_name(results), rows)


def _paper_cells(p: CompressionPaperRow) -> list[str]:
    """The displayed cells of one paper row, in HEADER order."""
    ratio = f"{_paper_ratio(p):.1f}x" if p.vs_squeezenet is not None else f"{p.vs_alexnet:.0f}x"
    if p.vs_squeezenet is not None:
        ratio += f" ({p.vs_alexnet:.0f}x vs AlexNet)"
    return ["paper, ImageNet", p.network, p.compression, "-", p.size_label, ratio,
            percent(p.top1), percent(p.top5), f"{_paper_change(p):+.1f} pp"]


def _cells(row: Table2Row, dataset: str) -> list[str]:
    """The displayed cells of one of the study's rows, in HEADER order."""
    c = row.compressed
    size = "-" if row.size_mb is None else f"{row.size_mb:.3f} MB"
    ratio = "1x" if c is None or c.ratio.mean is None else \
        f"{c.ratio.mean:.1f}x ± {c.ratio.sd or 0:.1f}"
    change = "-" if c is None or c.change_pp.mean is None else \
        f"{c.change_pp.mean:+.1f} pp ± {c.change_pp.sd or 0:.1f}"
    return [f"this study, {dataset}", row.network, row.compression, str(row.n), size, ratio,
            row.top1.as_percent(), row.top5.as_percent(), change]


def _all_cells(info: Table2Info) -> list[list[str]]:
    """Every displayed row: the paper's, then the study's."""
    return [_paper_cells(p) for p in info.paper] + [_cells(r, info.dataset) for r in info.table]


def table2_text(info: Table2Info) -> str:
    """Table 2 as aligned text for a terminal: the study's rows (the paper's are in the report).

    Args:
        info: from table2_info.

    Returns:
        The text, without a trailing newline.
    """
    columns = HEADER[1:]
    return "\n".join([f"{info.title} (this study: {info.dataset}; the paper's rows: report)",
                      *aligned_lines(columns, [_cells(r, info.dataset)[1:] for r in info.table])])


def table2_html(info: Table2Info) -> str:
    """Table 2 (from table2_info) as an HTML <table>, its caption naming both sources."""
    caption = (f"{escape(info.title)}. Paper: ImageNet, {escape(PAPER_SOURCE)}. This study: "
               f"{escape(info.dataset)}, mean ± sd over seeds; top-1 change paired by trial.")
    classes = ["paper"] * len(info.paper) + ["study"] * len(info.table)
    return html_table("table2", HEADER, _all_cells(info), row_classes=classes, caption_html=caption)


def plot_table2(info: Table2Info) -> go.Figure:
    """Draw Table 2 as a Plotly table, sized to its rows (PNG/SVG keep this size).

    Args:
        info: from table2_info.

    Returns:
        The Plotly figure.
    """
    import plotly.graph_objects as go

    cells = _all_cells(info)
    columns = [list(c) for c in zip(*cells, strict=True)]
    fig = go.Figure(go.Table(
        header={"values": list(HEADER), "fill_color": "#e8eef7", "align": "left",
                "height": HEADER_PX},
        cells={"values": columns, "align": "left", "height": ROW_PX,
               "fill_color": [["#f7f7f7" if i < len(info.paper) else "white"
                               for i in range(len(cells))]]},
        columnwidth=list(COLUMN_WIDTHS),
    ))
    fig.update_layout(title=f"{info.title} (paper: ImageNet; this study: {info.dataset})",
                      template="plotly_white", width=WIDTH_PX, height=table_height(len(cells)),
                      margin={"t": TITLE_PX, "b": BOTTOM_PX})
    return fig
