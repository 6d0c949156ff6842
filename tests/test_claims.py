"""One engine for every kind of claim: the outcome rule, the verdict row, and a mixed judgement."""

from __future__ import annotations

import json
import math
import statistics

import pytest

from dse.analysis.claims import Direction, Metric, Outcome, StudyRecords, Unit, Verdict, decide
from dse.analysis.compression_claims import COMPRESSION_CLAIMS, compression_verdicts
from dse.analysis.intervals import samples_needed, seeds_needed, t_interval, welch_interval
from dse.analysis.verdicts import PAPER_CLAIMS, judge, verdicts
from dse.core.presets import preset
from dse.core.records import CompressionRecord, ResultRecord, arch_record


@pytest.mark.parametrize(("low", "high", "direction", "outcome"), [
    (0.1, 2.0, Direction.ABOVE, Outcome.REPRODUCED),
    (0.0, 2.0, Direction.ABOVE, Outcome.INCONCLUSIVE),  # touching 0 is not above it
    (-2.0, -0.1, Direction.ABOVE, Outcome.CONTRADICTED),
    (0.0, 2.0, Direction.AT_LEAST, Outcome.REPRODUCED),  # touching counts for "at least"
    (-2.0, 0.0, Direction.AT_LEAST, Outcome.INCONCLUSIVE),
    (-2.0, 0.0, Direction.AT_MOST, Outcome.REPRODUCED),
    (0.0, 2.0, Direction.AT_MOST, Outcome.INCONCLUSIVE),
    (0.1, 2.0, Direction.AT_MOST, Outcome.CONTRADICTED),
])
def test_an_interval_is_decided_against_the_threshold_on_the_claimed_side(
        low: float, high: float, direction: Direction, outcome: Outcome) -> None:
    assert decide(low, high, 0.0, direction) is outcome


def test_outcomes_and_units_keep_their_stored_words() -> None:
    assert [o.value for o in Outcome] == ["reproduced", "contradicted", "inconclusive", "not tested"]
    assert [u.value for u in Unit] == ["pp", "x"]
    assert [m.value for m in Metric] == ["top-1", "top-5", "size", "params"]
    assert (Metric.TOP1.field, Metric.TOP5.field) == ("test_top1", "test_top5")
    with pytest.raises(ValueError, match="no accuracy metric"):
        _ = Metric.SIZE.field


def test_a_verdict_takes_words_and_refuses_unknown_ones() -> None:
    v = Verdict("c", "t", "s", "p", verdict="not tested", unit="x", metric="top-5")  # type: ignore[arg-type]
    assert v.verdict is Outcome.NOT_TESTED and v.unit is Unit.RATIO and v.metric is Metric.TOP5
    with pytest.raises(ValueError, match="verdict must be one of reproduced"):
        Verdict("c", "t", "s", "p", verdict="confirmed")  # type: ignore[arg-type]


def test_a_verdict_row_keeps_the_published_columns_and_plain_words() -> None:
    row = Verdict("c", "t", "s", "p", Outcome.REPRODUCED, effect=8.0, low=7.5, high=8.5,
                  threshold=7.3, unit=Unit.RATIO).to_dict()
    assert list(row) == ["claim", "text", "source", "paper", "verdict", "n_a", "n_b", "mean_a",
                         "mean_b", "effect_pp", "ci_low_pp", "ci_high_pp", "threshold_pp",
                         "seeds_needed", "method", "note", "unit",
                         # added with budgets and top-5: after the published columns
                         "metric", "paper_metric", "budget", "network", "stability"]
    assert json.loads(json.dumps(row))["verdict"] == "reproduced"
    assert type(row["verdict"]) is str and type(row["unit"]) is str
    assert (row["metric"], row["budget"]) == ("top-1", None) and type(row["metric"]) is str


def test_one_judgement_runs_paper_and_compression_claims_alike() -> None:
    results, archs, comps = [], [], []
    for sr, accs in ((0.125, [0.50, 0.51, 0.52]), (0.75, [0.60, 0.61, 0.62])):
        arch = arch_record(preset("cpu_proxy", sr=sr))
        archs.append(arch)
        for seed, acc in enumerate(accs):
            trial = len(results)
            results.append(ResultRecord(
                study="s", trial_number=trial, point={"sr": sr}, seed=seed,
                fingerprint=arch.fingerprint, dataset="d", train_config_hash="t",
                status="complete", test_top1=acc, id=trial + 1))
            comps.append(CompressionRecord(
                study="s", trial_number=trial, seed=seed, fingerprint=arch.fingerprint,
                setting="8bit-33pct", setting_hash="h", keep=0.33, bits={"conv1": 8, "squeeze": 8},
                index_bits=4, prune="global", kept_fraction=0.33, compressed_bytes=100,
                original_bytes=1000, test_top1=acc - 0.002))
    mixed = judge([*PAPER_CLAIMS, *COMPRESSION_CLAIMS], StudyRecords.of(results, archs, comps))
    assert mixed == verdicts(results, archs) + compression_verdicts(results, comps)
    by_id = {v.claim: v for v in mixed}
    assert by_id["fig3a_rise"].verdict is Outcome.REPRODUCED and by_id["fig3a_rise"].unit is Unit.PP
    assert by_id["table2_8bit_ratio"].verdict is Outcome.REPRODUCED  # 10x every trial
    assert by_id["table2_8bit_ratio"].unit is Unit.RATIO
    assert by_id["table2_8bit_accuracy"].verdict is Outcome.REPRODUCED  # 0.2 pp every trial
    assert by_id["table2_6bit_ratio"].verdict is Outcome.NOT_TESTED
    # a compression claim is judged on each network apart; a paper claim across networks
    assert [v.network for v in mixed if v.claim == "table2_8bit_ratio"] == ["sr=0.125", "sr=0.75"]
    assert [v.network for v in mixed if v.claim in ("fig3a_rise", "table2_6bit_ratio")] == ["", ""]


def test_the_intervals_and_sample_sizes() -> None:
    # 10 +- t(0.975, df 4) * sqrt(2/3) = 2.7764 * 0.8165 with equal spreads of sd 1
    diff, half, df = welch_interval([11.0, 12.0, 13.0], [1.0, 2.0, 3.0])
    assert (diff, df) == (pytest.approx(10.0), pytest.approx(4.0)) and half == pytest.approx(2.2670, abs=1e-4)
    assert t_interval([1.0, 2.0, 3.0])[1] == pytest.approx(2.48414, abs=1e-5)
    assert t_interval([2.0, 2.0])[1] == 0.0
    with pytest.raises(ValueError, match="at least 2 values"):
        t_interval([1.0])
    assert samples_needed([0.0, 1.0, 0.5], 0.5) == 7  # t(n-1) * 0.5 / sqrt(n) < 0.5 from n = 7
    assert seeds_needed([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 0.0) is None


def _spread_as(values: list[float], n: int) -> list[float]:
    """n values with the sample variance of `values` (an even spread around their mean)."""
    base = [i - (n - 1) / 2 for i in range(n)]
    scale = math.sqrt(statistics.variance(values) / statistics.variance(base))
    return [statistics.fmean(values) + scale * x for x in base]


@pytest.mark.parametrize(("a", "b", "distance"), [
    ([0.90, 0.95, 0.99], [0.80, 0.801, 0.802], 0.05),  # unequal spreads: Welch's df is small
    ([0.50, 0.60, 0.70], [0.40, 0.45, 0.52], 0.04),
    ([0.1, 0.3], [0.2, 0.21, 0.22, 0.23], 0.15),
])
def test_seeds_needed_is_the_first_size_whose_welch_interval_decides(
        a: list[float], b: list[float], distance: float) -> None:
    n = seeds_needed(a, b, distance)
    assert n is not None

    def half_width(size: int) -> float:
        return welch_interval(_spread_as(a, size), _spread_as(b, size))[1]
    assert half_width(n) < distance
    if n - 1 > max(len(a), len(b)):
        assert half_width(n - 1) >= distance
