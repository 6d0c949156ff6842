"""The paper's claims as data, and a verdict on each from a study's stored results (pure).

A claim compares two values of one metaparameter (say SR 0.75 against 0.125) on test top-1,
the accuracy the figures report, counting each (point, seed) once (dse.core.records.counted_results).
A claim is tested only on results where that metaparameter is the one thing that differs;
otherwise it is `not tested`, never guessed.

The statistics: the effect is the difference of the two means over seeds, in percentage
points; its 95 % confidence interval is Welch's t interval (unequal variances, Welch-
Satterthwaite degrees of freedom), which stays honest with 3 seeds a side where a bootstrap
over 3 values cannot reach 95 % coverage. The verdict compares the interval with the claim's
threshold:
- `greater` (A beats B): reproduced when the interval lies above 0, contradicted below it;
- `not_better` (A is no better than B): reproduced when it lies below +margin, contradicted
  above it;
- `at_least` (A is at least as good as B): reproduced above -margin, contradicted below it;
- otherwise inconclusive, with the seeds per side that would decide it at the observed spread.
Claims on parameter counts (`more_params`, `same_params`) are exact, from the accounting.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dse.core.metaparams import NAMES as METAPARAMETERS
from dse.core.records import ArchRecord, ResultRecord, counted_results

__all__ = ["PAPER_CLAIMS", "Claim", "Verdict", "samples_needed", "t_interval", "verdicts"]

KINDS = ("greater", "not_better", "at_least", "more_params", "same_params")
DEFAULT_MARGIN_PP = 1.0  # what "no better" allows, in percentage points of test top-1
MAX_SEEDS = 1000  # beyond this, "would need more seeds" is not a useful answer


@dataclass(frozen=True)
class Claim:
    """One finding of the paper: value `a` of metaparameter `key` against value `b`."""

    id: str
    text: str  # the claim in words
    source: str  # where the paper makes it
    paper: str  # what the paper measured
    key: str  # the metaparameter compared
    a: Any
    b: Any
    kind: str  # one of KINDS

    def __post_init__(self) -> None:
        """Check the kind and the key."""
        if self.kind not in KINDS:
            raise ValueError(f"claim kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.key not in METAPARAMETERS:
            raise ValueError(f"claim key must be one of {', '.join(METAPARAMETERS)}, "
                             f"got {self.key!r}")


PAPER_CLAIMS: tuple[Claim, ...] = (
    Claim("fig3a_rise", "accuracy rises from SR 0.125 to SR 0.75", "Figure 3a",
          "top-5 80.3% -> 86.0% (+5.7 pp)", "sr", 0.75, 0.125, "greater"),
    Claim("fig3a_plateau", "SR 1.0 is no better than SR 0.75", "Figure 3a",
          "larger and no better", "sr", 1.0, 0.75, "not_better"),
    Claim("fig3b_plateau", "pct3x3 0.99 is no better than pct3x3 0.5", "Figure 3b",
          "plateau at 85.6% top-5 from 50% 3x3", "pct3x3", 0.99, 0.5, "not_better"),
    Claim("fig3b_drop", "below pct3x3 0.25 accuracy drops (0.25 beats 0.01)", "Figure 3b",
          "drops below ~25% 3x3", "pct3x3", 0.25, 0.01, "greater"),
    Claim("table3_simple", "simple bypass beats vanilla", "Table 3",
          "top-1 60.4% vs 57.5% (+2.9 pp)", "bypass", "simple", "none", "greater"),
    Claim("table3_complex", "complex bypass beats vanilla", "Table 3",
          "top-1 58.8% vs 57.5% (+1.3 pp)", "bypass", "complex", "none", "greater"),
    Claim("table3_simple_vs_complex", "simple bypass is at least as good as complex",
          "Table 3", "top-1 60.4% vs 58.8% (+1.6 pp)", "bypass", "simple", "complex",
          "at_least"),
    Claim("table3_simple_params", "simple bypass adds no parameters", "Table 3",
          "4.8 MB vs 4.8 MB", "bypass", "simple", "none", "same_params"),
    Claim("table3_complex_params", "complex bypass adds parameters", "Table 3",
          "7.7 MB vs 4.8 MB", "bypass", "complex", "none", "more_params"),
)


@dataclass(frozen=True)
class Verdict:
    """What a study says of one claim."""

    claim: str  # Claim.id
    text: str
    source: str
    paper: str
    verdict: str  # reproduced | contradicted | inconclusive | not tested
    n_a: int = 0  # seeds measured for a
    n_b: int = 0
    mean_a: float | None = None  # test top-1, percent (unit "x": the 32-bit size, MB)
    mean_b: float | None = None  # (unit "x": the compressed size, MB)
    effect_pp: float | None = None  # mean_a - mean_b (unit "x": the mean size ratio)
    ci_low_pp: float | None = None  # 95 % interval of the effect (Welch's for two sides)
    ci_high_pp: float | None = None
    threshold_pp: float | None = None  # what the interval is compared with
    seeds_needed: int | None = None  # per side, when inconclusive
    method: str = ""
    note: str = ""
    unit: str = "pp"  # of effect, interval and threshold: pp (test top-1) or x (size ratio)

    def to_dict(self) -> dict[str, Any]:
        """A flat row (for CSV and JSON)."""
        return asdict(self)


def _t_quantile(p: float, df: float) -> float:
    """Student's t quantile (scipy; imported here so that importing this module stays light)."""
    from scipy.stats import t

    return float(t.ppf(p, df))


def _welch(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """Difference of means, and the half-width and degrees of freedom of its 95 % interval."""
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    diff = statistics.fmean(a) - statistics.fmean(b)
    if va + vb == 0:
        return diff, 0.0, float(len(a) + len(b) - 2)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return diff, _t_quantile(0.975, df) * math.sqrt(va + vb), df


def t_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean of two or more values, and the half-width and degrees of freedom of its one-sample
    95 % t interval (half-width 0 when the values are all equal).

    Args:
        values: the sample, e.g. per-trial differences of a paired comparison.

    Returns:
        (mean, half-width, degrees of freedom).
    """
    if len(values) < 2:
        raise ValueError(f"a t interval needs at least 2 values, got {len(values)}")
    mean, sd, df = statistics.fmean(values), statistics.stdev(values), len(values) - 1
    if sd == 0:
        return mean, 0.0, float(df)
    return mean, _t_quantile(0.975, df) * sd / math.sqrt(len(values)), float(df)


def samples_needed(values: Sequence[float], distance: float) -> int | None:
    """Values for the one-sample interval's half-width to fall below `distance` at this spread.

    Args:
        values: the sample so far (two or more).
        distance: how far the mean lies from the threshold it is compared with.

    Returns:
        The sample size, or None when the distance is 0 or more than MAX_SEEDS would be needed.
    """
    sd = statistics.stdev(values)
    if distance <= 0:
        return None
    for n in range(len(values) + 1, MAX_SEEDS + 1):
        if _t_quantile(0.975, n - 1) * sd / math.sqrt(n) < distance:
            return n
    return None


def _seeds_needed(a: Sequence[float], b: Sequence[float], distance: float) -> int | None:
    """Seeds per side for the interval's half-width to fall below `distance` at this spread."""
    spread = statistics.fmean([statistics.variance(a), statistics.variance(b)])
    if distance <= 0:
        return None
    for n in range(max(len(a), len(b)) + 1, MAX_SEEDS + 1):
        if _t_quantile(0.975, 2 * n - 2) * math.sqrt(2 * spread / n) < distance:
            return n
    return None


def _matches(value: Any, wanted: Any) -> bool:
    """Equal, with floats compared to 1e-9."""
    if isinstance(wanted, float) and isinstance(value, int | float):
        return math.isclose(float(value), wanted, abs_tol=1e-9)
    return bool(value == wanted)


def _sides(claim: Claim, results: Sequence[ResultRecord], archs: Mapping[str, ArchRecord]
           ) -> tuple[list[tuple[ResultRecord, ArchRecord]], list[tuple[ResultRecord, ArchRecord]],
                      str]:
    """The measured results on each side of a claim, or a reason it cannot be tested."""
    rows = [(r, archs[r.fingerprint]) for r in counted_results(results)
            if r.status.measured and r.test_top1 is not None and r.fingerprint in archs]
    side_a = [(r, a) for r, a in rows if _matches(a.arch.get(claim.key), claim.a)]
    side_b = [(r, a) for r, a in rows if _matches(a.arch.get(claim.key), claim.b)]
    if not side_a or not side_b:
        missing = claim.a if not side_a else claim.b
        return [], [], f"the study has no measured result at {claim.key}={missing}"
    others = {tuple(a.arch.get(k) for k in METAPARAMETERS if k != claim.key)
              for _, a in side_a + side_b}
    if len(others) > 1:
        return [], [], f"other metaparameters than {claim.key} differ between the two sides"
    return side_a, side_b, ""


def _params_verdict(claim: Claim, side_a: list[tuple[ResultRecord, ArchRecord]],
                    side_b: list[tuple[ResultRecord, ArchRecord]], base: dict[str, Any]
                    ) -> Verdict:
    """An exact verdict on parameter counts."""
    pa, pb = side_a[0][1].params, side_b[0][1].params
    holds = pa == pb if claim.kind == "same_params" else pa > pb
    return Verdict(**base, verdict="reproduced" if holds else "contradicted",
                   method="exact (analytic parameter count)",
                   note=f"{pa:,} vs {pb:,} parameters ({side_a[0][1].size_mb:.3f} vs "
                        f"{side_b[0][1].size_mb:.3f} MB)")


def _verdict(claim: Claim, results: Sequence[ResultRecord], archs: Mapping[str, ArchRecord],
             margin_pp: float) -> Verdict:
    """The verdict on one claim."""
    base = {"claim": claim.id, "text": claim.text, "source": claim.source, "paper": claim.paper}
    side_a, side_b, why_not = _sides(claim, results, archs)
    if why_not:
        return Verdict(**base, verdict="not tested", note=why_not)
    if claim.kind in ("same_params", "more_params"):
        return _params_verdict(claim, side_a, side_b, base)
    a = [100 * float(r.test_top1) for r, _ in side_a]  # type: ignore[arg-type]
    b = [100 * float(r.test_top1) for r, _ in side_b]  # type: ignore[arg-type]
    counts = {"n_a": len(a), "n_b": len(b), "mean_a": statistics.fmean(a),
              "mean_b": statistics.fmean(b), "effect_pp": statistics.fmean(a) - statistics.fmean(b)}
    threshold = {"greater": 0.0, "not_better": margin_pp, "at_least": -margin_pp}[claim.kind]
    if len(a) < 2 or len(b) < 2:
        return Verdict(**base, **counts, threshold_pp=threshold, verdict="inconclusive",
                       method="Welch t, 95 %", note="needs at least 2 seeds on each side")
    effect, half, df = _welch(a, b)
    low, high = effect - half, effect + half
    if claim.kind == "not_better":
        verdict = "reproduced" if high <= threshold else "contradicted" if low > threshold \
            else "inconclusive"
    else:  # greater, at_least: the effect should lie above the threshold
        verdict = "reproduced" if low > threshold else "contradicted" if high < threshold \
            else "inconclusive"
    needed = _seeds_needed(a, b, abs(effect - threshold)) if verdict == "inconclusive" else None
    note = "" if verdict != "inconclusive" else (
        f"about {needed} seeds per side would decide it at this spread" if needed
        else f"the effect sits on the threshold: more than {MAX_SEEDS} seeds per side")
    return Verdict(**base, **counts, ci_low_pp=low, ci_high_pp=high, threshold_pp=threshold,
                   verdict=verdict, seeds_needed=needed,
                   method=f"Welch t, 95 %, df {df:.1f}", note=note)


def verdicts(results: Sequence[ResultRecord], archs: Mapping[str, ArchRecord] | Iterable[ArchRecord],
             *, claims: Sequence[Claim] = PAPER_CLAIMS, margin_pp: float = DEFAULT_MARGIN_PP
             ) -> list[Verdict]:
    """A verdict on each claim from a study's results.

    Args:
        results: the study's results (any status; each (point, seed) counts once).
        archs: the networks, by fingerprint or as a list.
        claims: the claims to judge (the paper's by default).
        margin_pp: how much better still counts as "no better", in points of test top-1.

    Returns:
        One Verdict per claim, in order.
    """
    if not margin_pp >= 0:
        raise ValueError(f"margin_pp must be >= 0, got {margin_pp!r}")
    networks = archs if isinstance(archs, Mapping) else {a.fingerprint: a for a in archs}
    return [_verdict(c, results, networks, margin_pp) for c in claims]
