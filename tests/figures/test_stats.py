"""The shared data step: statistics over seeds, grouping by point, swept keys, selection."""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys

import pytest
from figrecords import net, records, result, sweep

from dse.analysis.figures import (
    Stat,
    front_text,
    group_points,
    select_figures,
    study_summary,
    summary_text,
    swept_keys,
    varying_keys,
)
from dse.analysis.figures._stats import stat
from dse.core.metaparams import NAMES


def test_stat_is_mean_and_sample_sd() -> None:
    s = stat([0.5, 0.7, None, 0.9])
    assert s.n == 3
    assert s.mean == pytest.approx(0.7)
    assert s.sd == pytest.approx(statistics.stdev([0.5, 0.7, 0.9]))


def test_stat_of_one_value_has_zero_spread_and_of_none_has_none() -> None:
    assert (stat([0.4]).mean, stat([0.4]).sd, stat([0.4]).n) == (0.4, 0.0, 1)
    assert (stat([]).mean, stat([None]).sd, stat([]).n) == (None, None, 0)


def test_groups_count_complete_and_reused_results_only() -> None:
    a = net(1, size_mb=2.0, sr=0.25)
    results = [
        result(a, {"sr": 0.25}, seed=0, top1=0.5, top5=0.9),
        result(a, {"sr": 0.25}, seed=1, top1=0.7, top5=0.95, status="reused"),
        result(a, {"sr": 0.25}, seed=2, status="failed"),
        result(a, {"sr": 0.25}, seed=2, top1=0.1, top5=0.2, status="diverged"),
    ]
    (group,) = group_points(results, [a])
    assert group.n == 2 and group.seeds == (0, 1)
    assert group.top1.mean == pytest.approx(0.6)
    assert group.top1.sd == pytest.approx(statistics.stdev([0.5, 0.7]))
    assert group.top5.mean == pytest.approx(0.925)
    assert group.statuses == {"complete": 1, "reused": 1, "failed": 1, "diverged": 1}


def test_size_is_in_mebibytes_and_archs_may_be_a_mapping() -> None:
    a = net(1, size_mb=4.75, sr=0.125)
    (group,) = group_points([result(a, {"sr": 0.125}, top1=0.5)], {a.fingerprint: a})
    assert group.size_mb == a.size_bytes / 2**20 == 4.75
    assert group.arch["sr"] == 0.125


def test_a_point_without_measurement_is_kept_with_no_scores() -> None:
    a = net(1, size_mb=1.0, sr=0.5)
    (group,) = group_points([result(a, {"sr": 0.5}, status="failed")], [a])
    assert group.n == 0 and group.top1.mean is None and group.size_mb == 1.0
    assert group.accuracy_lines() == []


def test_accuracy_lines_are_percent_mean_and_sd() -> None:
    a = net(1, size_mb=1.0, sr=0.5)
    (group,) = group_points([result(a, {"sr": 0.5}, seed=0, top1=0.5, top5=0.9),
                             result(a, {"sr": 0.5}, seed=1, top1=0.7, top5=0.9)], [a])
    assert group.accuracy_lines() == ["test top-1 60.0% ± 14.1", "test top-5 90.0% ± 0.0"]


def test_groups_follow_first_seen_order_of_points() -> None:
    results, archs = sweep("sr", {0.75: [(0.5, 0.9)], 0.25: [(0.4, 0.8)]},
                           sizes={0.75: 3.0, 0.25: 1.0})
    assert [g.point for g in group_points(results, archs)] == [{"sr": 0.75}, {"sr": 0.25}]


def test_swept_and_varying_keys() -> None:
    a = net(1, size_mb=1.0)
    results = [result(a, {"sr": 0.25, "bypass": "none"}), result(a, {"sr": 0.5, "bypass": "none"})]
    assert swept_keys(results) == ["sr", "bypass"]
    assert varying_keys(results) == ["sr"]


@pytest.mark.parametrize(("points", "expected"), [
    ([{"sr": 0.25}, {"sr": 0.75}], ["fig3a", "accuracy_vs_size"]),
    ([{"pct3x3": 0.25}, {"pct3x3": 0.5}], ["fig3b", "accuracy_vs_size"]),
    ([{"bypass": "none"}, {"bypass": "simple"}], ["table3", "accuracy_vs_size"]),
    ([{}], ["accuracy_vs_size"]),
    # A search over several keys at once reproduces no paper figure.
    ([{"sr": 0.2, "pct3x3": 0.3, "bypass": "none"}, {"sr": 0.4, "pct3x3": 0.6, "bypass": "simple"}],
     ["accuracy_vs_size"]),
    # A key held at one value neither hides the varying key's figure nor gets its own.
    ([{"sr": 0.25, "bypass": "none"}, {"sr": 0.5, "bypass": "none"}],
     ["fig3a", "accuracy_vs_size"]),
])
def test_select_figures_from_swept_keys(points: list[dict], expected: list[str]) -> None:
    a = net(1, size_mb=1.0)
    chosen = select_figures(records([result(a, p, trial=i) for i, p in enumerate(points)]))
    assert [spec.name for spec in chosen] == expected


def test_figures_package_imports_no_optuna_torch_or_sqlalchemy() -> None:
    heavy = ["optuna", "torch", "sqlalchemy", "lightning", "pytorch_lightning", "plotly"]
    code = ("import sys, json\nimport dse.analysis.figures\n"
            f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_stats_print_as_mean_and_sd_in_percentage_points() -> None:
    assert Stat(0.55, 0.0707, 2).as_percent() == "55.0% ± 7.1"
    assert Stat(0.7, None, 1).as_percent() == "70.0% ± 0.0"
    assert Stat(None, None, 0).as_percent() == "-"


def test_summary_and_front_print_accuracies_and_metaparameters() -> None:
    small, large = net(1, size_mb=0.4, sr=0.25), net(2, size_mb=1.0, sr=1 / 3, bypass="simple")
    results = [result(small, {"sr": 0.25}, seed=0, top1=0.5, top5=0.9),
               result(small, {"sr": 0.25}, seed=1, top1=0.6, top5=0.9, trial=1),
               result(large, {"sr": 1 / 3}, top1=0.71234, top5=0.95, trial=2)]
    summary = study_summary("s", results, [small, large])
    rows = summary_text(summary, title="T").splitlines()[2:]
    assert [re.split(r"\s{2,}", row)[4:6] for row in rows] == [["55.0% ± 7.1", "90.0% ± 0.0"],
                                                      ["71.2% ± 0.0", "95.0% ± 0.0"]]
    front = front_text(summary, title="F").splitlines()
    assert front[2].split() == ["size", "MB", "val", "top-1", "test", "top-1", *NAMES]
    assert front[3].split() == ["0.400", "55.0%", "55.0%", "32", "32", "2", "0.25", "0.5", "none"]
    assert front[4].split() == ["1.000", "71.2%", "71.2%", "32", "32", "2", "0.3333", "0.5", "simple"]
