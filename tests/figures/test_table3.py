"""Table 3: one row per bypass kind beside the paper's numbers; HTML, CSV rows and drawing."""

from __future__ import annotations

import statistics
from html.parser import HTMLParser

import pytest
from figrecords import net, result, sweep

from dse.analysis.figures._paper import TABLE3_PAPER
from dse.analysis.figures._table3 import Table3Info, plot_table3, table3_html, table3_info

SCORES = {"complex": [(0.70, 0.95)], "none": [(0.60, 0.90), (0.64, 0.94)],
          "simple": [(0.66, 0.93), (0.68, 0.95)]}
SIZES = {"none": 0.5, "simple": 0.5, "complex": 0.75}


def _info() -> Table3Info:
    """Table 3 of a three-kind bypass study."""
    results, archs = sweep("bypass", SCORES, sizes=SIZES)
    return table3_info(results, archs)


def test_rows_follow_the_papers_order_with_stats_and_sizes() -> None:
    info = _info()
    assert [r.bypass for r in info.table] == ["none", "simple", "complex"]
    none, simple, complex_ = info.table
    assert none.group.n == 2 and complex_.group.n == 1
    assert none.group.top1.mean == pytest.approx(0.62)
    assert none.group.top1.sd == pytest.approx(statistics.stdev([0.60, 0.64]))
    assert simple.group.top5.mean == pytest.approx(0.94)
    assert complex_.group.top5.sd == 0.0
    assert [r.group.size_mb for r in info.table] == pytest.approx([0.5, 0.5, 0.75])


def test_paper_numbers_are_attached_and_labelled() -> None:
    info = _info()
    assert [r.label for r in info.table] == [
        "vanilla SqueezeNet", "SqueezeNet + simple bypass", "SqueezeNet + complex bypass"]
    papers = [(r.paper.top1, r.paper.top5, r.paper.size_mb) for r in info.table if r.paper]
    assert papers == [(0.575, 0.803, 4.8), (0.604, 0.825, 4.8), (0.588, 0.820, 7.7)]
    assert TABLE3_PAPER["complex"].size_label == "7.7MB"


def test_csv_rows_hold_both_sources() -> None:
    rows = _info().rows()
    assert [r["bypass"] for r in rows] == ["none", "simple", "complex"]
    assert rows[0]["n"] == 2 and rows[0]["top1_mean"] == pytest.approx(0.62)
    assert (rows[2]["paper_top1"], rows[2]["paper_top5"], rows[2]["paper_size_mb"]) == (
        0.588, 0.820, 7.7)


class _Cells(HTMLParser):
    """Collects the text of every th/td and the caption."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.rows: list[list[str]] = []
        self.caption = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Note what an opening tag starts."""
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th", "caption"):
            self._in = tag
            if tag != "caption":
                self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        """Leave the element."""
        self._in = None

    def handle_data(self, data: str) -> None:
        """Keep the text of the element it is in."""
        if self._in == "caption":
            self.caption += data
        elif self._in:
            self.rows[-1][-1] += data


def test_html_table_puts_the_study_beside_the_paper() -> None:
    parser = _Cells()
    parser.feed(table3_html(_info()))
    header, *body = parser.rows
    assert header[:3] == ["architecture", "bypass", "n seeds"] and "paper top-1" in header
    assert body[0][:3] == ["vanilla SqueezeNet", "none", "2"]
    assert body[0][3].startswith("62.0% ± 2.8")
    assert body[0][-3:] == ["57.5%", "80.3%", "4.8MB"]
    assert body[2][-3:] == ["58.8%", "82.0%", "7.7MB"]
    assert "ImageNet" in parser.caption and "digits" in parser.caption


def test_an_unlisted_kind_gets_no_paper_numbers() -> None:
    a = net(1, size_mb=1.0, bypass="none")
    info = table3_info([result(a, {"bypass": "dense"}, top1=0.5)], [a])
    (row,) = info.table
    assert row.paper is None and row.label == "bypass=dense"


def test_drawing_is_a_plotly_table_with_every_row() -> None:
    fig = plot_table3(_info())
    (table,) = fig.data
    assert table.type == "table"
    assert list(table.cells.values[0]) == [
        "vanilla SqueezeNet", "SqueezeNet + simple bypass", "SqueezeNet + complex bypass"]


def test_drawn_table_is_as_tall_as_its_rows() -> None:
    heights = []
    for kinds in (1, 2, 3):
        scores = dict(list(SCORES.items())[:kinds])
        results, archs = sweep("bypass", scores, sizes=SIZES)
        heights.append(plot_table3(table3_info(results, archs)).layout.height)
    assert heights[0] < heights[1] < heights[2] <= 240  # 3 rows: no empty band below
    assert heights[2] - heights[1] == heights[1] - heights[0] >= 26  # one row each
    fig = plot_table3(_info())
    table = fig.data[0]
    rows_px = fig.layout.margin.t + table.header.height + 3 * table.cells.height
    assert rows_px <= fig.layout.height <= rows_px + 30  # everything drawn fits, little to spare
    assert fig.layout.width == 1000  # drawn for one line per cell; PNG/SVG keep this size
