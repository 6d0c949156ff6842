"""The paper's metaparameter claims (Figure 3a, 3b, Table 3) as data, and how one is judged (pure).

A claim compares two values of one metaparameter (say SR 0.75 against 0.125) on test top-1
(the primary metric) or on test top-5 (`metrics`; `judge(records, metric=...)`), counting each
(point, seed) once (dse.core.records.counted_results). Each claim also says the metric the
paper stated it in (`paper_metric`: Figure 3 is top-5; Table 3 gives top-1 and top-5). A claim
is tested only on results where that metaparameter is the one thing that differs; otherwise it
is `not tested`, never guessed.

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
from dataclasses import dataclass
from typing import Any, ClassVar

from dse.analysis.claims import (
    ACCURACY,
    ClaimWords,
    Direction,
    Metric,
    Outcome,
    StudyRecords,
    Verdict,
    claim_fields,
    decide,
    undecided_note,
)
from dse.analysis.intervals import seeds_needed, welch_interval
from dse.core.claim_points import COMPARISONS
from dse.core.metaparams import NAMES as METAPARAMETERS
from dse.core.records import ArchRecord, ResultRecord

__all__ = ["DEFAULT_MARGIN_PP", "PAPER_CLAIMS", "PaperClaim"]

# kind -> the side of its threshold the effect should lie on; None: exact, on parameter counts
KINDS: dict[str, Direction | None] = {"greater": Direction.ABOVE, "not_better": Direction.AT_MOST,
                                      "at_least": Direction.ABOVE, "more_params": None,
                                      "same_params": None}
DEFAULT_MARGIN_PP = 1.0  # what "no better" allows, in percentage points of the metric

Side = list[tuple[ResultRecord, ArchRecord]]


@dataclass(frozen=True)
class PaperClaim(ClaimWords):
    """One finding of the paper: value `a` of metaparameter `key` against value `b`."""

    key: str  # the metaparameter compared
    a: Any
    b: Any
    kind: str  # one of KINDS
    margin: float = DEFAULT_MARGIN_PP  # what "no better" / "at least" allow, pp of the metric
    paper_metric: str = "top-1"  # the metric the paper stated it in (its `paper` numbers)
    per_network: ClassVar[bool] = False  # it compares two networks: judged across them

    def __post_init__(self) -> None:
        """Check the kind, the key and the margin."""
        if self.kind not in KINDS:
            raise ValueError(f"claim kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.key not in METAPARAMETERS:
            raise ValueError(f"claim key must be one of {', '.join(METAPARAMETERS)}, "
                             f"got {self.key!r}")
        if not self.margin >= 0:
            raise ValueError(f"claim margin must be >= 0, got {self.margin!r}")

    @property
    def threshold(self) -> float:
        """What the effect's interval is compared with, in pp of the metric."""
        return {"greater": 0.0, "not_better": self.margin, "at_least": -self.margin}[self.kind]

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """Top-1 then top-5 for an accuracy claim; exact parameter counts for the others."""
        return ACCURACY if KINDS[self.kind] is not None else (Metric.PARAMS,)

    def judge(self, records: StudyRecords, *, metric: Metric | None = None) -> Verdict:
        """The verdict of a study's results on this claim, on `metric` (top-1 if None)."""
        metric = Metric(metric or self.metrics[0])
        if metric not in self.metrics:
            raise ValueError(f"claim {self.id} is judged on {', '.join(self.metrics)}, "
                             f"got metric {metric.value!r}")
        side_a, side_b, why_not = self._sides(records, metric)
        if why_not:
            return Verdict(**claim_fields(self, metric), verdict=Outcome.NOT_TESTED, note=why_not)
        direction = KINDS[self.kind]
        if direction is None:
            return self._params_verdict(side_a, side_b)
        a = [100 * float(getattr(r, metric.field)) for r, _ in side_a]
        b = [100 * float(getattr(r, metric.field)) for r, _ in side_b]
        known: dict[str, Any] = {
            **claim_fields(self, metric), "n_a": len(a), "n_b": len(b),
            "mean_a": statistics.fmean(a),
            "mean_b": statistics.fmean(b), "effect": statistics.fmean(a) - statistics.fmean(b),
            "threshold": self.threshold}
        if len(a) < 2 or len(b) < 2:
            return Verdict(**known, verdict=Outcome.INCONCLUSIVE, method="Welch t, 95 %",
                           note="needs at least 2 seeds on each side")
        effect, half, df = welch_interval(a, b)
        low, high = effect - half, effect + half
        outcome = decide(low, high, self.threshold, direction)
        needed = seeds_needed(a, b, abs(effect - self.threshold)) \
            if outcome is Outcome.INCONCLUSIVE else None
        note = "" if outcome is not Outcome.INCONCLUSIVE else \
            undecided_note(needed, "seeds per side", on="the effect sits on the threshold")
        return Verdict(**known, low=low, high=high, verdict=outcome, seeds_needed=needed,
                       method=f"Welch t, 95 %, df {df:.1f}", note=note)

    def _split(self, rows: Side) -> tuple[Side, Side]:
        """The rows at `a` and the rows at `b`."""
        return ([(r, a) for r, a in rows if _matches(a.arch.get(self.key), self.a)],
                [(r, a) for r, a in rows if _matches(a.arch.get(self.key), self.b)])

    def _in_context(self, rows: Side) -> Side:
        """The rows in the context the paper compared at (COMPARISONS): a study holding several
        contexts (+sweep=claims) is judged at the paper's."""
        context = COMPARISONS[self.id].context if self.id in COMPARISONS else {}
        return [(r, a) for r, a in rows
                if all(_matches(a.arch.get(k), v) for k, v in context.items())]

    def _sides(self, records: StudyRecords, metric: Metric) -> tuple[Side, Side, str]:
        """The measured results on each side of the claim, or a reason it cannot be tested."""
        field = metric.field if metric in ACCURACY else Metric.TOP1.field
        rows = [(r, records.archs[r.fingerprint]) for r in records.counted
                if r.status.measured and getattr(r, field) is not None
                and r.fingerprint in records.archs]
        side_a, side_b = self._split(self._in_context(rows))
        if not side_a or not side_b:  # the paper's context is not in the study: any one context
            side_a, side_b = self._split(rows)
        if not side_a or not side_b:
            missing = self.a if not side_a else self.b
            scored = "" if field == Metric.TOP1.field else f" with a test {metric.value}"
            return [], [], f"the study has no measured result{scored} at {self.key}={missing}"
        others = {tuple(a.arch.get(k) for k in METAPARAMETERS if k != self.key)
                  for _, a in side_a + side_b}
        if len(others) > 1:
            return [], [], f"other metaparameters than {self.key} differ between the two sides"
        return side_a, side_b, ""

    def _params_verdict(self, side_a: Side, side_b: Side) -> Verdict:
        """An exact verdict on parameter counts."""
        pa, pb = side_a[0][1].params, side_b[0][1].params
        holds = pa == pb if self.kind == "same_params" else pa > pb
        return Verdict(**claim_fields(self, Metric.PARAMS),
                       verdict=Outcome.REPRODUCED if holds else Outcome.CONTRADICTED,
                       method="exact (analytic parameter count)",
                       note=f"{pa:,} vs {pb:,} parameters ({side_a[0][1].size_mb:.3f} vs "
                            f"{side_b[0][1].size_mb:.3f} MB)")


def _matches(value: Any, wanted: Any) -> bool:
    """Equal, with floats compared to 1e-9."""
    if isinstance(wanted, float) and isinstance(value, int | float):
        return math.isclose(float(value), wanted, abs_tol=1e-9)
    return bool(value == wanted)


# Table 3 gives both (simple bypass 60.4 / 82.5 vs vanilla 57.5 / 80.3); `paper` quotes top-1
TABLE3_METRICS = "top-1, top-5"

PAPER_CLAIMS: tuple[PaperClaim, ...] = (
    PaperClaim("fig3a_rise", "accuracy rises from SR 0.125 to SR 0.75", "Figure 3a",
               "top-5 80.3% -> 86.0% (+5.7 pp)", *COMPARISONS["fig3a_rise"].compared, "greater",
               paper_metric="top-5"),
    PaperClaim("fig3a_plateau", "SR 1.0 is no better than SR 0.75", "Figure 3a", "larger and no better",
               *COMPARISONS["fig3a_plateau"].compared, "not_better", paper_metric="top-5"),
    PaperClaim("fig3b_plateau", "pct3x3 0.99 is no better than pct3x3 0.5", "Figure 3b",
               "plateau at 85.6% top-5 from 50% 3x3", *COMPARISONS["fig3b_plateau"].compared, "not_better",
               paper_metric="top-5"),
    PaperClaim("fig3b_drop", "below pct3x3 0.25 accuracy drops (0.25 beats 0.01)", "Figure 3b",
               "drops below ~25% 3x3", *COMPARISONS["fig3b_drop"].compared, "greater", paper_metric="top-5"),
    PaperClaim("table3_simple", "simple bypass beats vanilla", "Table 3", "top-1 60.4% vs 57.5% (+2.9 pp)",
               *COMPARISONS["table3_simple"].compared, "greater", paper_metric=TABLE3_METRICS),
    PaperClaim("table3_complex", "complex bypass beats vanilla", "Table 3", "top-1 58.8% vs 57.5% (+1.3 pp)",
               *COMPARISONS["table3_complex"].compared, "greater", paper_metric=TABLE3_METRICS),
    PaperClaim("table3_simple_vs_complex", "simple bypass is at least as good as complex", "Table 3",
               "top-1 60.4% vs 58.8% (+1.6 pp)", *COMPARISONS["table3_simple_vs_complex"].compared,
               "at_least", paper_metric=TABLE3_METRICS),
    PaperClaim("table3_simple_params", "simple bypass adds no parameters", "Table 3", "4.8 MB vs 4.8 MB",
               *COMPARISONS["table3_simple_params"].compared, "same_params", paper_metric="size"),
    PaperClaim("table3_complex_params", "complex bypass adds parameters", "Table 3", "7.7 MB vs 4.8 MB",
               *COMPARISONS["table3_complex_params"].compared, "more_params", paper_metric="size"),
)
