"""EDF, complexity-normalised EDF and bootstrap good ranges, on hand-made numbers and records."""

from __future__ import annotations

import pytest
from figrecords import net, result

from dse.analysis.figures._edf import edf, edf_info, good_range, normalised_edf, plot_edf


def test_edf_is_the_share_at_or_below_each_error() -> None:
    assert edf([0.3, 0.1, 0.2, 0.4]) == [(0.1, 0.25), (0.2, 0.5), (0.3, 0.75), (0.4, 1.0)]
    assert edf([0.2, 0.1], [3.0, 1.0]) == [(0.1, 0.25), (0.2, 1.0)]


def test_normalising_gives_every_size_bin_the_same_weight() -> None:
    # three small networks with low error, one large with high error: plainly the large one is
    # a quarter of the weight; normalised, its bin carries half
    errors, sizes = [0.1, 0.1, 0.1, 0.5], [1.0, 1.0, 1.0, 100.0]
    assert edf(errors)[-2:] == [(0.1, 0.75), (0.5, 1.0)]
    assert normalised_edf(errors, sizes)[2] == (0.1, pytest.approx(0.5))


def test_good_ranges_find_where_the_best_networks_lie() -> None:
    # error falls as sr approaches 0.5 and rises beyond: the range hugs 0.5
    values = [i / 80 for i in range(1, 81)]
    errors = [abs(v - 0.5) for v in values]
    found = good_range("sr", values, errors)
    assert found.best == 0.5 and 0.4 < found.low <= 0.5 <= found.high < 0.6  # measured .44, .58
    assert found.n == 80
    assert good_range("sr", values, errors) == found  # seeded
    kinds = good_range("bypass", ["none"] * 5 + ["simple"] * 5 + ["complex"] * 5,
                       [0.5] * 5 + [0.1, 0.12, 0.11, 0.13, 0.14] + [0.4] * 5)
    assert kinds.best == "simple" and kinds.choices[0] == "simple"
    assert "none" not in kinds.choices


def test_edf_info_reads_validation_error_of_each_point() -> None:
    nets = [net(i + 1, size_mb=0.1 * (i + 1), sr=sr)
            for i, sr in enumerate((0.125, 0.25, 0.5, 1.0))]
    results = [result(n, {"sr": n.arch["sr"]}, top1=v, trial=i)
               for i, (n, v) in enumerate(zip(nets, (0.6, 0.8, 0.9, 0.7), strict=True))]
    info = edf_info(results, nets)
    assert sorted(info.errors) == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert [r.key for r in info.ranges] == ["sr"] and info.ranges[0].best == 0.5
    rows = info.rows()
    assert [r["kind"] for r in rows].count("edf") == 4 and rows[-1]["key"] == "sr"
    assert "good ranges" in info.caption().lower() and len(plot_edf(info).data) == 2
