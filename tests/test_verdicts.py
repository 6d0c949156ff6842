"""The verdict engine on hand-made result sets whose verdicts are known."""

from __future__ import annotations

from typing import Any

import pytest

from dse.analysis.verdicts import PAPER_CLAIMS, PaperClaim, verdicts
from dse.core.presets import preset
from dse.core.records import ArchRecord, ResultRecord, arch_record

RISE = next(c for c in PAPER_CLAIMS if c.id == "fig3a_rise")  # SR 0.75 beats SR 0.125
PLATEAU = next(c for c in PAPER_CLAIMS if c.id == "fig3a_plateau")  # SR 1.0 no better


def _study(values: dict[Any, list[float]], *, key: str = "sr", **fixed: Any
           ) -> tuple[list[ResultRecord], list[ArchRecord]]:
    """Results of a grid over `key`: test top-1 per seed for each value, with real networks."""
    results, archs = [], []
    for value, accs in values.items():
        arch = arch_record(preset("cpu_proxy", **{key: value, **fixed}))
        archs.append(arch)
        for seed, acc in enumerate(accs):
            results.append(ResultRecord(
                study="s", trial_number=len(results), point={key: value}, seed=seed,
                fingerprint=arch.fingerprint, dataset="d", train_config_hash="t",
                status="complete", test_top1=acc, id=len(results) + 1))
    return results, archs


def _one(claim: PaperClaim, results: list[ResultRecord], archs: list[ArchRecord], **kw: Any):  # type: ignore[no-untyped-def]
    return verdicts(results, archs, claims=[claim], **kw)[0]


def test_a_clear_rise_is_reproduced_with_its_effect_and_interval() -> None:
    v = _one(RISE, *_study({0.125: [0.50, 0.51, 0.52], 0.75: [0.60, 0.61, 0.62]}))
    assert v.verdict == "reproduced"
    assert v.n_a == v.n_b == 3 and v.effect == pytest.approx(10.0)
    # Welch with equal spreads: 10 +- t(0.975, df 4) * sqrt(2 * 1 / 3) = 10 +- 2.267
    assert (v.low, v.high) == (pytest.approx(7.733, abs=1e-3),
                                           pytest.approx(12.267, abs=1e-3))
    assert v.method.startswith("Welch") and v.seeds_needed is None


def test_a_clear_fall_contradicts_the_rise() -> None:
    v = _one(RISE, *_study({0.125: [0.60, 0.61, 0.62], 0.75: [0.50, 0.51, 0.52]}))
    assert v.verdict == "contradicted" and v.high is not None and v.high < 0


def test_a_small_effect_in_noise_is_inconclusive_with_the_seeds_that_would_decide_it() -> None:
    v = _one(RISE, *_study({0.125: [0.50, 0.54, 0.52], 0.75: [0.51, 0.55, 0.53]}))
    assert v.verdict == "inconclusive"
    assert v.seeds_needed is not None and 3 < v.seeds_needed < 1000
    assert f"about {v.seeds_needed} seeds" in v.note
    # With that many seeds at the same spread, the claim is decided.
    n = v.seeds_needed
    low = [0.50, 0.54, 0.52] * (n // 3 + 1)
    decided = _one(RISE, *_study({0.125: low[:n], 0.75: [x + 0.01 for x in low[:n]]}))
    assert decided.verdict == "reproduced"


def test_no_better_claims_use_the_margin() -> None:
    same = _study({0.75: [0.610, 0.612, 0.614], 1.0: [0.611, 0.612, 0.613]})
    assert _one(PLATEAU, *same).verdict == "reproduced"  # within +1 pp, interval below it
    better = _study({0.75: [0.610, 0.612, 0.614], 1.0: [0.65, 0.66, 0.67]})
    assert _one(PLATEAU, *better).verdict == "contradicted"
    assert _one(PLATEAU, *better, margin_pp=10.0).verdict == "reproduced"


def test_claims_a_study_cannot_test_are_not_tested() -> None:
    results, archs = _study({0.125: [0.5, 0.5], 0.75: [0.6, 0.6]})
    by_id = {v.claim: v for v in verdicts(results, archs)}
    assert by_id["fig3a_rise"].verdict == "reproduced"
    assert by_id["fig3a_plateau"].verdict == "not tested"
    assert "no measured result at sr=1.0" in by_id["fig3a_plateau"].note
    assert all(by_id[c].verdict == "not tested" for c in ("table3_simple", "fig3b_drop",
                                                          "table3_complex_params"))
    # Two metaparameters varying at once: the comparison is not controlled.
    mixed, mixed_archs = _study({0.125: [0.5, 0.5]})
    more, more_archs = _study({0.75: [0.6, 0.6]}, pct3x3=0.25)
    v = _one(RISE, mixed + more, mixed_archs + more_archs)
    assert v.verdict == "not tested" and "other metaparameters" in v.note


def test_a_duplicated_point_and_seed_counts_once() -> None:
    results, archs = _study({0.125: [0.50, 0.51, 0.52], 0.75: [0.60, 0.61, 0.62]})
    late = [ResultRecord(**{**r.__dict__, "id": 100 + i, "test_top1": 0.0})
            for i, r in enumerate(results) if r.point["sr"] == 0.75]
    v = _one(RISE, results + late, archs)
    assert v.n_a == 3 and v.effect == pytest.approx(10.0)  # the late duplicates are ignored


def test_bypass_parameter_claims_are_exact() -> None:
    results, archs = _study({"none": [0.5, 0.5], "simple": [0.6, 0.6], "complex": [0.55, 0.55]},
                            key="bypass")
    by_id = {v.claim: v for v in verdicts(results, archs)}
    assert by_id["table3_simple_params"].verdict == "reproduced"
    assert by_id["table3_complex_params"].verdict == "reproduced"
    assert by_id["table3_complex_params"].method.startswith("exact")
    assert by_id["table3_simple"].verdict == "reproduced"
    assert by_id["table3_simple_vs_complex"].verdict == "reproduced"


def test_one_seed_a_side_is_inconclusive_not_a_crash() -> None:
    v = _one(RISE, *_study({0.125: [0.5], 0.75: [0.6]}))
    assert v.verdict == "inconclusive" and "at least 2 seeds" in v.note


def test_bad_claims_and_margins_are_refused() -> None:
    with pytest.raises(ValueError, match="claim kind must be one of"):
        PaperClaim("x", "t", "s", "p", "sr", 1, 0, "bigger")
    with pytest.raises(ValueError, match="claim key must be one of"):
        PaperClaim("x", "t", "s", "p", "depth", 1, 0, "greater")
    with pytest.raises(ValueError, match="margin_pp must be >= 0"):
        verdicts([], [], margin_pp=-1)
