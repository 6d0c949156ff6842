"""The paper's compression claims (Table 2) as data, and a verdict on each from a study's
stored compressions (pure: records in, dse.analysis.claims.Verdict out): the second kind of
claim the verdict engine judges (dse.analysis.verdicts).

A claim names a setting by its fields, not its free-form name: the fraction of weights kept
(within KEEP_TOLERANCE) and one number of bits for every layer kind. Only compressions of
counted, measured trials count (dse.core.records.counted_compressions); when several stored
settings match, the first stored is judged. A claim is about one network compressed: it is
judged on each network of a study apart (`per_network`; the engine, dse.analysis.verdicts,
splits the records by fingerprint), never on trials of different networks pooled.

- `accuracy` claims: the setting keeps test top-1 (and top-5: `metrics`) within `target` pp
  of the 32-bit network. Paired per trial: drop = 32-bit - compressed test accuracy, in pp;
  the 95 % t interval of the mean drop; reproduced when its upper bound is <= target,
  contradicted when its lower bound is > target. Verdict fields: mean_a / mean_b = mean
  32-bit / compressed test accuracy (percent), effect = mean drop, threshold = target ("pp").
- `ratio` claims: the setting makes the network at least `target` times smaller than at 32
  bits. The one-sample 95 % t interval over the trials' ratios (the value itself when every
  ratio is equal); reproduced when its lower bound is >= target, contradicted when its upper
  bound is < target. Verdict fields: mean_a / mean_b = mean 32-bit / compressed size (MB),
  effect = mean ratio, threshold = target (unit "x").
Either kind needs at least 2 trials to be decided (one trial's ratio says nothing of the next
trial's); otherwise inconclusive, with the trials that would decide it at the observed spread.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from dse.analysis.claims import (
    ACCURACY,
    ClaimWords,
    Direction,
    Metric,
    Outcome,
    StudyRecords,
    Unit,
    Verdict,
    claim_fields,
    decide,
    undecided_note,
)
from dse.analysis.intervals import samples_needed, t_interval
from dse.analysis.verdicts import judge
from dse.core.complexity import MB
from dse.core.records import CompressionRecord, ResultRecord

__all__ = ["COMPRESSION_CLAIMS", "CompressionClaim", "compression_verdicts"]

# kind -> the side of its target the effect should lie on, and the effect's unit
KINDS: dict[str, tuple[Direction, Unit]] = {"accuracy": (Direction.AT_MOST, Unit.PP),
                                            "ratio": (Direction.AT_LEAST, Unit.RATIO)}
KEEP_TOLERANCE = 0.005  # a setting's keep matches a claim's within this
MIN_TRIALS = 2  # trials of a network a verdict needs to be decided

Pairs = list[tuple[ResultRecord, CompressionRecord]]


@dataclass(frozen=True)
class CompressionClaim(ClaimWords):
    """One finding of the paper on compressing SqueezeNet with one setting."""

    bits: int  # bits per shared weight, every layer kind
    keep: float  # fraction of the weights kept
    kind: str  # one of KINDS
    target: float  # accuracy: the largest accuracy drop, pp; ratio: the smallest size ratio
    per_network: ClassVar[bool] = True  # judged on each network apart (the engine splits)

    def __post_init__(self) -> None:
        """Check the kind."""
        if self.kind not in KINDS:
            raise ValueError(f"compression claim kind must be one of {', '.join(KINDS)}, "
                             f"got {self.kind!r}")

    @property
    def unit(self) -> Unit:
        """The unit of the effect, its interval and the target."""
        return KINDS[self.kind][1]

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """Top-1 then top-5 for an accuracy claim; the size for a ratio claim."""
        return ACCURACY if self.kind == "accuracy" else (Metric.SIZE,)

    @property
    def paper_metric(self) -> str:
        """Table 2 gives top-1 and top-5 of each setting (both unchanged), and its size."""
        return "top-1, top-5" if self.kind == "accuracy" else "size"

    def matches(self, rec: CompressionRecord) -> bool:
        """Whether a compression was made with this claim's setting (by keep and bits)."""
        return abs(rec.keep - self.keep) <= KEEP_TOLERANCE and set(rec.bits.values()) == {self.bits}

    def judge(self, records: StudyRecords, *, metric: Metric | None = None) -> Verdict:
        """The verdict on this claim from the study's counted compressions, on `metric` (the
        primary if None): of the records given, pooled (the engine gives one network's)."""
        metric = Metric(metric or self.metrics[0])
        if metric not in self.metrics:
            raise ValueError(f"claim {self.id} is judged on {', '.join(self.metrics)}, "
                             f"got metric {metric.value!r}")
        matching = [(r, c) for r, c in records.compressed if self.matches(c)]
        if metric in ACCURACY:
            matching = [(r, c) for r, c in matching if getattr(r, metric.field) is not None
                        and getattr(c, metric.field) is not None]
        if not matching:
            wanted = f"{self.bits} bit, {self.keep:.0%} kept"
            return Verdict(**claim_fields(self, metric), verdict=Outcome.NOT_TESTED,
                           unit=self.unit,
                           note=f"the study has no compression at {wanted} of a measured trial"
                                + (f" with a test {metric}" if metric in ACCURACY else ""))
        setting = matching[0][1].setting
        matching = [(r, c) for r, c in matching if c.setting == setting]
        if self.kind == "accuracy":
            return self._accuracy(matching, setting, metric)
        return self._ratio(matching, setting)

    def _accuracy(self, matching: Pairs, setting: str, metric: Metric) -> Verdict:
        """Paired per trial: the 32-bit minus the compressed test accuracy, in pp."""
        before = [100 * float(getattr(r, metric.field)) for r, _ in matching]
        after = [100 * float(getattr(c, metric.field)) for _, c in matching]
        drops = [b - a for b, a in zip(before, after)]
        known = {"n_a": len(drops), "n_b": len(drops), "mean_a": statistics.fmean(before),
                 "mean_b": statistics.fmean(after), "effect": statistics.fmean(drops)}
        note = f"setting {setting}; drop = 32-bit - compressed test {metric} of the same trial"
        return self._interval(drops, known, note, metric, exact_when_equal=False)

    def _ratio(self, matching: Pairs, setting: str) -> Verdict:
        """One-sample over the trials' size ratios (32-bit size / compressed size)."""
        ratios = [c.ratio for _, c in matching]
        n, mean = len(ratios), statistics.fmean(ratios)
        original = statistics.fmean(c.original_bytes / MB for _, c in matching)
        compressed = statistics.fmean(c.compressed_mb for _, c in matching)
        known = {"n_a": n, "n_b": n, "mean_a": original, "mean_b": compressed, "effect": mean}
        note = (f"setting {setting}; {original:.3f} MB -> {compressed:.3f} MB, ratio "
                f"{mean:.2f}x (mean of {n} trial(s); range {min(ratios):.2f}-{max(ratios):.2f}x)")
        return self._interval(ratios, known, note, Metric.SIZE, exact_when_equal=True)

    def _interval(self, values: list[float], known: dict[str, Any], note: str, metric: Metric, *,
                  exact_when_equal: bool) -> Verdict:
        """The verdict from the per-trial values (drops or ratios) and the fields already known."""
        known = {**claim_fields(self, metric), **known, "threshold": self.target,
                 "unit": self.unit}
        test = "paired t" if self.kind == "accuracy" else "one-sample t"
        if len(values) < MIN_TRIALS:
            return Verdict(**known, verdict=Outcome.INCONCLUSIVE, method=f"{test}, 95 %",
                           note=f"{note}; needs at least {MIN_TRIALS} trials")
        if exact_when_equal and len(set(values)) == 1:
            low = high = values[0]
            method = f"exact: every trial's value equal ({len(values)} trials)"
        else:
            mean, half, df = t_interval(values)
            low, high = mean - half, mean + half
            method = f"{test}, 95 %, df {df:.0f}"
        outcome = decide(low, high, self.target, KINDS[self.kind][0])
        needed = None
        if outcome is Outcome.INCONCLUSIVE:
            needed = samples_needed(values, abs(statistics.fmean(values) - self.target))
            note += "; " + undecided_note(needed, "trials", on="the mean sits on the target")
        return Verdict(**known, low=low, high=high, verdict=outcome, seeds_needed=needed,
                       method=method, note=note)


COMPRESSION_CLAIMS: tuple[CompressionClaim, ...] = (
    CompressionClaim("table2_8bit_accuracy",
                     "8-bit, 33% kept: test accuracy within 1 pp of 32-bit", "Table 2",
                     "top-1 / top-5 57.5% / 80.3% -> 57.5% / 80.3% (4.8MB -> 0.66MB)", 8, 0.33,
                     "accuracy", 1.0),
    CompressionClaim("table2_6bit_accuracy",
                     "6-bit, 33% kept: test accuracy within 1 pp of 32-bit", "Table 2",
                     "top-1 / top-5 57.5% / 80.3% -> 57.5% / 80.3% (4.8MB -> 0.47MB)", 6, 0.33,
                     "accuracy", 1.0),
    CompressionClaim("table2_8bit_ratio", "8-bit, 33% kept: at least 7.3x smaller than 32-bit",
                     "Table 2", "4.8MB -> 0.66MB (7.3x)", 8, 0.33, "ratio", 7.3),
    CompressionClaim("table2_6bit_ratio", "6-bit, 33% kept: at least 10.2x smaller than 32-bit",
                     "Table 2", "4.8MB -> 0.47MB (10.2x)", 6, 0.33, "ratio", 10.2),
)


def compression_verdicts(results: Sequence[ResultRecord],
                         compressions: Sequence[CompressionRecord], *,
                         claims: Sequence[CompressionClaim] = COMPRESSION_CLAIMS) -> list[Verdict]:
    """A verdict on each compression claim and network from a study's results and compressions,
    on each claim's primary metric (test top-1 for accuracy claims).

    Args:
        results: the study's results (any status; each (point, seed) counts once).
        compressions: the study's compressions, in save order.
        claims: the claims to judge (the paper's Table 2 claims by default).

    Returns:
        One Verdict per claim and compressed network, claim by claim (one "not tested" where
        the study has no such setting).
    """
    return judge(claims, StudyRecords.of(results, compressions=compressions))
