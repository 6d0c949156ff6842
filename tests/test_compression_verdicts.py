"""The Table 2 compression claims on hand-made results and compressions whose verdicts are known.

t(0.975, df 2) = 4.3027: with 3 trials of sd 1 the 95 % interval is the mean ± 2.4841.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from dse.analysis.claims import Metric, StudyRecords
from dse.analysis.compression_claims import COMPRESSION_CLAIMS, compression_verdicts
from dse.analysis.figures import verdicts_markdown, verdicts_text
from dse.analysis.verdicts import Verdict
from dse.core.records import CompressionRecord, ResultRecord

CLAIMS = {c.id: c for c in COMPRESSION_CLAIMS}
HALF_3 = 2.48414  # t(0.975, 2) / sqrt(3): the half-width for 3 values of sd 1
KINDS = ("conv1", "squeeze", "expand1x1", "expand3x3", "conv10")


def _result(trial: int, top1: float | None, *, status: str = "complete") -> ResultRecord:
    """A result of trial `trial` (its own point and seed) with that test top-1."""
    return ResultRecord(study="s", trial_number=trial, point={"sr": 0.125}, seed=trial,
                        fingerprint=f"{1:016x}", dataset="digits:x", train_config_hash="t",
                        status=status, test_top1=top1, id=trial + 1)


def _compression(trial: int, top1: float | None, *, original: int = 1000,
                 compressed: int = 125, bits: int | dict[str, int] = 8, keep: float = 0.33,
                 setting: str = "8bit-33pct") -> CompressionRecord:
    """Trial `trial`'s network compressed from `original` to `compressed` bytes."""
    return CompressionRecord(
        study="s", trial_number=trial, seed=trial, fingerprint=f"{1:016x}", setting=setting,
        setting_hash="h", keep=keep, bits=bits if isinstance(bits, dict) else
        dict.fromkeys(KINDS, bits), index_bits=4, prune="global", kept_fraction=keep,
        compressed_bytes=compressed, original_bytes=original, test_top1=top1)


def _judge(claim: str, pairs: list[tuple[float, float | None]], **kw: object) -> Verdict:
    """The verdict on one claim: (32-bit top-1, compressed top-1) per trial, percent."""
    results = [_result(i, before / 100) for i, (before, _) in enumerate(pairs)]
    comps = [_compression(i, None if after is None else after / 100, **kw)  # type: ignore[arg-type]
             for i, (_, after) in enumerate(pairs)]
    (verdict,) = compression_verdicts(results, comps, claims=[CLAIMS[claim]])
    return verdict


def _ratios(claim: str, original: int, compressed: list[int], **kw: object) -> Verdict:
    """The verdict on a ratio claim: one trial per compressed size."""
    results = [_result(i, 0.6) for i in range(len(compressed))]
    comps = [_compression(i, 0.6, original=original, compressed=c, **kw)  # type: ignore[arg-type]
             for i, c in enumerate(compressed)]
    (verdict,) = compression_verdicts(results, comps, claims=[CLAIMS[claim]])
    return verdict


def test_a_small_paired_drop_is_reproduced() -> None:
    # drops 0.2, 0.3, 0.1 pp: mean 0.2, sd 0.1 -> 0.2 +- 0.2484, all below 1 pp
    v = _judge("table2_8bit_accuracy", [(60, 59.8), (62, 61.7), (64, 63.9)])
    assert v.verdict == "reproduced" and v.unit == "pp"
    assert (v.n_a, v.n_b) == (3, 3)
    assert (v.mean_a, v.mean_b) == (pytest.approx(62.0), pytest.approx(61.8))
    assert v.effect == pytest.approx(0.2)
    assert (v.low, v.high) == (pytest.approx(0.2 - HALF_3 / 10, abs=1e-4),
                                           pytest.approx(0.2 + HALF_3 / 10, abs=1e-4))
    assert v.threshold == 1.0 and v.method == "paired t, 95 %, df 2"
    assert "8bit-33pct" in v.note and v.seeds_needed is None


def test_pairing_is_by_trial_not_by_means() -> None:
    # Spread 32-bit scores (60..80) with a steady 0.1 pp drop: unpaired, the interval would span
    # tens of points; paired, it is exactly 0.1.
    v = _judge("table2_8bit_accuracy", [(60, 59.9), (70, 69.9), (80, 79.9)])
    assert v.verdict == "reproduced"
    assert (v.low, v.high) == (pytest.approx(0.1, abs=1e-9),
                                           pytest.approx(0.1, abs=1e-9))


def test_a_large_drop_contradicts_the_claim() -> None:
    # drops 5, 6, 7 pp: 6 +- 2.484 lies above 1 pp
    v = _judge("table2_6bit_accuracy", [(60, 55), (60, 54), (60, 53)], bits=6,
               setting="6bit-33pct")
    assert v.verdict == "contradicted"
    assert (v.low, v.high) == (pytest.approx(6 - HALF_3, abs=1e-4),
                                           pytest.approx(6 + HALF_3, abs=1e-4))


def test_a_noisy_drop_is_inconclusive_with_the_trials_that_would_decide_it() -> None:
    # drops 0, 1, 0.5: mean 0.5, sd 0.5 -> [-0.74, 1.74]. Decided once t(n-1) * 0.5 / sqrt(n)
    # < 0.5: n = 6 gives 2.571 / 2.449 = 1.05, n = 7 gives 2.447 / 2.646 = 0.92.
    v = _judge("table2_8bit_accuracy", [(60, 60), (60, 59), (60, 59.5)])
    assert v.verdict == "inconclusive" and v.seeds_needed == 7
    assert "about 7 trials" in v.note


def test_accuracy_claims_are_judged_on_top5_too() -> None:
    # top-1 drops 0.2 pp every trial; top-5 drops 5 pp every trial
    results = [replace(_result(i, 0.6), test_top5=0.95) for i in range(3)]
    comps = [replace(_compression(i, 0.598), test_top5=0.90) for i in range(3)]
    claim = CLAIMS["table2_8bit_accuracy"]
    assert claim.metrics == (Metric.TOP1, Metric.TOP5) and claim.paper_metric == "top-1, top-5"
    records = StudyRecords.of(results, compressions=comps)
    top1, top5 = (claim.judge(records, metric=m) for m in claim.metrics)
    assert (top1.metric, top1.verdict, top1.effect) == ("top-1", "reproduced", pytest.approx(0.2))
    assert (top5.metric, top5.verdict, top5.effect) == ("top-5", "contradicted", pytest.approx(5.0))
    assert "compressed test top-5 of the same trial" in top5.note
    # compressions without a top-5: the top-5 verdict is not tested, never guessed
    bare = StudyRecords.of(results, compressions=[replace(c, test_top5=None) for c in comps])
    untested = claim.judge(bare, metric=Metric.TOP5)
    assert untested.verdict == "not tested" and untested.note.endswith("with a test top-5")


def test_one_trial_cannot_decide_an_accuracy_claim() -> None:
    v = _judge("table2_8bit_accuracy", [(60, 59.9)])
    assert v.verdict == "inconclusive" and "at least 2 trials" in v.note


def test_equal_ratios_are_their_own_interval() -> None:
    v = _ratios("table2_8bit_ratio", 1000, [125, 125])  # 8x, 8x >= 7.3x
    assert v.verdict == "reproduced" and v.unit == "x" and v.metric == "size"
    assert (v.effect, v.low, v.high, v.threshold) == (8.0, 8.0, 8.0, 7.3)
    assert v.method == "exact: every trial's value equal (2 trials)"
    assert _ratios("table2_6bit_ratio", 1000, [125, 125], bits=6).verdict == "contradicted"


def test_one_trial_cannot_decide_a_ratio_claim() -> None:
    # 8x from one trial lies below 10.2x, but one trial says nothing of the next one's ratio
    one = _ratios("table2_6bit_ratio", 1000, [125], bits=6)
    assert one.verdict == "inconclusive" and (one.low, one.high) == (None, None)
    assert one.effect == 8.0 and one.method == "one-sample t, 95 %"
    assert one.note.endswith("needs at least 2 trials") and "ratio 8.00x" in one.note


def _two_networks(ratios: dict[int, list[int]]) -> list[Verdict]:
    """The 8-bit ratio verdicts of a study of two networks: compressed sizes per network
    (of 1000 bytes), a trial each."""
    results, comps = [], []
    for network, sizes in ratios.items():
        for compressed in sizes:
            trial = len(results)
            results.append(ResultRecord(
                study="s", trial_number=trial, point={"sr": network / 8}, seed=trial,
                fingerprint=f"{network:016x}", dataset="digits:x", train_config_hash="t",
                status="complete", test_top1=0.6, id=trial + 1))
            comps.append(replace(_compression(trial, 0.6, compressed=compressed),
                                 fingerprint=f"{network:016x}"))
    return compression_verdicts(results, comps, claims=[CLAIMS["table2_8bit_ratio"]])


def test_compression_claims_are_judged_per_network() -> None:
    # network 1: 8x and 8x (>= 7.3x); network 2: 5x and 5x. Pooled, 8, 8, 5, 5 straddle 7.3x.
    small, large = _two_networks({1: [125, 125], 2: [200, 200]})
    assert (small.network, small.verdict, small.n_a) == ("sr=0.125", "reproduced", 2)
    assert (large.network, large.verdict, large.n_a) == ("sr=0.25", "contradicted", 2)
    # a network with one trial is undecided, whatever its neighbours
    decided, alone = _two_networks({1: [125, 125], 2: [125]})
    assert decided.verdict == "reproduced" and alone.verdict == "inconclusive"
    assert "needs at least 2 trials" in alone.note


def test_ratio_claims_from_the_t_interval() -> None:
    # 1716 bytes / 156, 143, 132 = 11, 12, 13x: 12 +- 2.484, all above 7.3x
    v = _ratios("table2_8bit_ratio", 1716, [156, 143, 132])
    assert v.verdict == "reproduced" and v.method == "one-sample t, 95 %, df 2"
    assert (v.low, v.high) == (pytest.approx(12 - HALF_3, abs=1e-4),
                                           pytest.approx(12 + HALF_3, abs=1e-4))
    assert v.mean_a == pytest.approx(1716 / 2**20) and "ratio 12.00x" in v.note
    # 168 bytes / 28, 24, 21 = 6, 7, 8x: 7 +- 2.484 lies below 10.2x
    assert _ratios("table2_6bit_ratio", 168, [28, 24, 21], bits=6).verdict == "contradicted"
    # 1800 / 225, 180, 200 = 8, 10, 9x: 9 +- 2.484 straddles 10.2x
    loose = _ratios("table2_6bit_ratio", 1800, [225, 180, 200], bits=6)
    assert loose.verdict == "inconclusive" and loose.seeds_needed is not None


@pytest.mark.parametrize(("kw", "why"), [
    ({"bits": 6, "setting": "6bit-33pct"}, "8-bit claim, 6-bit compressions"),
    ({"keep": 0.25}, "another fraction kept"),
    ({"keep": 0.34}, "0.34 is more than 0.005 from 0.33"),
    ({"bits": {"conv1": 8, "squeeze": 8, "expand1x1": 6}}, "bits not uniform"),
])
def test_a_study_without_the_setting_does_not_test_it(kw: dict, why: str) -> None:
    v = _judge("table2_8bit_accuracy", [(60, 59), (61, 60)], **kw)
    assert v.verdict == "not tested", why
    assert "8 bit, 33% kept" in v.note and v.low is None


def test_a_setting_matches_on_its_fields_whatever_its_name() -> None:
    v = _ratios("table2_8bit_ratio", 1000, [125, 125], setting="my-paper-run", keep=0.334)
    assert v.verdict == "reproduced" and "my-paper-run" in v.note


def test_only_counted_measured_trials_count() -> None:
    results = [_result(0, None, status="failed"), _result(1, 0.6), _result(2, 0.6)]
    results.append(ResultRecord(**{**results[1].__dict__, "trial_number": 3, "id": 9}))  # late
    comps = [_compression(0, 0.6), _compression(3, 0.6, compressed=10)]
    verdicts = compression_verdicts(results, comps)
    assert [v.verdict for v in verdicts] == ["not tested"] * 4


def test_ratio_verdicts_render_in_x_and_mb() -> None:
    v = _ratios("table2_8bit_ratio", 1716, [156, 143, 132])
    text = verdicts_text([v])
    assert "12.0x [9.5x, 14.5x]" in text and "target 7.3x" in text and "pp" not in text
    assert "0.002 MB (3) vs 0.000 MB (3)" in text
    drop = _judge("table2_8bit_accuracy", [(60, 59.8), (62, 61.7), (64, 63.9)])
    assert "+0.2 pp [-0.0, +0.4]" in verdicts_markdown([drop])
    assert "margin 1.0 pp" in verdicts_markdown([drop])


def test_module_is_pure() -> None:
    heavy = ["optuna", "torch", "sqlalchemy", "lightning", "pytorch_lightning", "plotly"]
    code = ("import sys, json\nimport dse.analysis.compression_claims\n"
            f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
