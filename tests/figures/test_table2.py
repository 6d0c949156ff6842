"""Table 2: the paper's compression rows, then each compressed network of the study at 32 bits
and per setting; pairing by trial, which compressions count, CSV, HTML and drawing."""

from __future__ import annotations

import statistics

import pytest
from figrecords import compressed, net, records, result
from test_table3 import _Cells

from dse.analysis.figures import select_figures
from dse.analysis.figures._paper import TABLE2_PAPER
from dse.analysis.figures._select import FIGURES
from dse.analysis.figures._table2 import (
    Table2Info,
    plot_table2,
    table2_html,
    table2_info,
    table2_text,
)
from dse.core.records import ArchRecord, CompressionRecord, ResultRecord

A, B, C = (net(1, size_mb=1.0, sr=0.25), net(2, size_mb=2.0, sr=0.75),
           net(3, size_mb=3.0, sr=1.0))


def _study() -> tuple[list[ResultRecord], list[ArchRecord], list[CompressionRecord]]:
    """Two compressed points (sr 0.25: two seeds, sr 0.75: one), one never compressed."""
    a0 = result(A, {"sr": 0.25}, seed=0, top1=0.60, top5=0.90, trial=0)
    a1 = result(A, {"sr": 0.25}, seed=1, top1=0.64, top5=0.92, trial=1)
    b0 = result(B, {"sr": 0.75}, seed=0, top1=0.70, top5=0.95, trial=2)
    c0 = result(C, {"sr": 1.0}, seed=0, top1=0.72, top5=0.96, trial=3)
    failed = result(A, {"sr": 0.25}, seed=2, status="failed", trial=4)
    late = result(A, {"sr": 0.25}, seed=0, top1=0.10, top5=0.2, trial=5)  # a late duplicate
    comps = [
        compressed(a0, A, mb=0.125, top1=0.59, top5=0.90),  # 8x, -1 pp
        compressed(a0, A, mb=0.0625, top1=0.58, top5=0.89, setting="6bit-33pct", bits=6),  # 16x
        compressed(a1, A, mb=0.0625, top1=0.64, top5=0.92),  # 16x, 0 pp
        compressed(b0, B, mb=0.25, top1=0.69, top5=0.95),  # 8x, -1 pp
        compressed(failed, A, mb=0.5, top1=0.0),  # not counted: failed trial
        compressed(late, A, mb=0.5, top1=0.0),  # not counted: not the (point, seed)'s first
    ]
    return [a0, a1, b0, c0, failed, late], [A, B, C], comps


def _info() -> Table2Info:
    """Table 2 of the study."""
    return table2_info(*_study())


def test_each_compressed_point_gets_its_32_bit_row_then_one_per_setting() -> None:
    info = _info()
    assert [(r.network, r.compression, r.n) for r in info.table] == [
        ("sr=0.25", "none, 32 bit", 2), ("sr=0.25", "8bit-33pct: 8 bit, 33% kept", 2),
        ("sr=0.25", "6bit-33pct: 6 bit, 33% kept", 1),
        ("sr=0.75", "none, 32 bit", 1), ("sr=0.75", "8bit-33pct: 8 bit, 33% kept", 1)]
    # sr=1.0 was never compressed: left out
    base, eight, six = info.table[:3]
    assert base.size_mb == 1.0 and base.top1.mean == pytest.approx(0.62)
    assert eight.size_mb == pytest.approx((0.125 + 0.0625) / 2)
    assert eight.compressed is not None and six.compressed is not None
    assert eight.compressed.ratio.mean == pytest.approx(12.0)  # mean of 8x and 16x
    assert eight.compressed.ratio.sd == pytest.approx(statistics.stdev([8.0, 16.0]))
    assert eight.top1.mean == pytest.approx(0.615) and eight.top5.mean == pytest.approx(0.91)
    assert six.compressed.ratio.mean == pytest.approx(16.0)


def test_the_top1_change_is_paired_by_trial() -> None:
    base, eight, six = _info().table[:3]
    assert eight.compressed is not None and six.compressed is not None
    # per trial: 59 - 60 = -1 and 64 - 64 = 0 pp
    assert eight.compressed.change_pp.mean == pytest.approx(-0.5)
    assert eight.compressed.change_pp.sd == pytest.approx(statistics.stdev([-1.0, 0.0]))
    # only seed 0 has 6 bits: 58 - 60 = -2 pp, not 58 - mean(60, 64) = -4
    assert six.compressed.change_pp.mean == pytest.approx(-2.0)
    assert six.compressed.change_pp.n == 1


def test_only_compressions_of_counted_measured_results_count() -> None:
    eight = _info().table[1]
    assert eight.compressed is not None
    assert eight.compressed.size_mb.n == 2 and eight.compressed.top1.mean == pytest.approx(0.615)


def test_the_papers_rows_come_first_with_their_ratios() -> None:
    rows = _info().rows()
    paper = [r for r in rows if r["source"] == "paper"]
    assert len(paper) == len(TABLE2_PAPER) == 7
    assert [r["vs_alexnet"] for r in paper] == [1, 5, 9, 35, 50, 363, 510]
    assert [r["size_mb"] for r in paper] == [240, 48, 27, 6.9, 4.8, 0.66, 0.47]
    assert [round(r["ratio_mean"], 1) for r in paper[4:]] == [1.0, 7.3, 10.2]
    assert paper[1]["top1_change_pp_mean"] == pytest.approx(-1.2)  # AlexNet SVD
    assert (paper[5]["top1_mean"], paper[5]["top5_mean"]) == (0.575, 0.803)


def test_csv_rows_hold_the_studys_rows_after_the_papers() -> None:
    rows = _info().rows()
    ours = [r for r in rows if r["source"] == "this study"]
    assert [(r["network"], r["setting"], r["n"]) for r in ours] == [
        ("sr=0.25", None, 2), ("sr=0.25", "8bit-33pct", 2), ("sr=0.25", "6bit-33pct", 1),
        ("sr=0.75", None, 1), ("sr=0.75", "8bit-33pct", 1)]
    assert ours[0]["ratio_mean"] == 1.0 and ours[0]["top1_change_pp_mean"] is None
    assert ours[1]["ratio_mean"] == pytest.approx(12.0)
    assert ours[1]["top1_change_pp_mean"] == pytest.approx(-0.5) and ours[1]["n_paired"] == 2
    assert ours[4]["size_mb"] == pytest.approx(0.25) and ours[4]["dataset"] == "digits"
    assert set(rows[0]) == set(ours[0])  # one set of columns


def test_html_table_shows_paper_and_study_rows() -> None:
    parser = _Cells()
    parser.feed(table2_html(_info()))
    header, *body = parser.rows
    assert header[:3] == ["source", "network", "compression"] and "ratio vs 32-bit" in header
    assert len(body) == 7 + 5
    assert body[5][:3] == ["paper, ImageNet", "SqueezeNet", "Deep Compression, 8 bit, 33% sparsity"]
    assert body[5][4:6] == ["0.66MB", "7.3x (363x vs AlexNet)"]
    assert body[1][5] == "5x" and body[1][-1] == "-1.2 pp"
    assert body[8][:5] == ["this study, digits", "sr=0.25", "8bit-33pct: 8 bit, 33% kept", "2",
                           "0.094 MB"]
    assert body[8][5] == "12.0x ± 5.7" and body[8][-1] == "-0.5 pp ± 0.7"
    assert body[7][5] == "1x" and body[7][-1] == "-"
    assert "ImageNet" in parser.caption and "digits" in parser.caption


def test_drawing_is_a_plotly_table_of_every_row_sized_to_them() -> None:
    info = _info()
    fig = plot_table2(info)
    (table,) = fig.data
    assert table.type == "table" and len(table.cells.values[0]) == 12
    assert list(table.cells.values[1][-2:]) == ["sr=0.75", "sr=0.75"]
    shorter = plot_table2(Table2Info(info.dataset, info.table[:3]))
    assert shorter.layout.height < fig.layout.height
    assert fig.layout.width >= 1000


def test_only_a_study_with_compressions_gets_table2() -> None:
    results, archs, comps = _study()
    assert "table2" not in [s.name for s in select_figures(records(results, archs))]
    chosen = [s.name for s in select_figures(records(results, archs, compressions=comps))]
    assert chosen == ["table2", "fig3a", "accuracy_vs_size"]
    spec = FIGURES["table2"]
    info = spec.data(records(results, archs, compressions=comps))
    assert spec.html(info, spec.draw(info)) == table2_html(info)
    assert spec.text is not None and spec.text(info) == table2_text(info)
    assert len(table2_info(results, archs, []).table) == 0


def test_a_spec_can_only_name_stored_records() -> None:
    with pytest.raises(ValueError, match="extras and needs must be among latencies, "
                                         "compressions, hypervolume, curves, got 'weights'"):
        type(FIGURES["table2"])("x", None, table2_info, plot_table2, needs="weights")
