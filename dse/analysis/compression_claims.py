"""The paper's compression claims (Table 2) as data, and a verdict on each from a study's
stored compressions (pure: records in, dse.analysis.verdicts.Verdict out).

A claim names a setting by its fields, not its free-form name: the fraction of weights kept
(within KEEP_TOLERANCE) and one number of bits for every layer kind. Only compressions of
counted, measured trials count (dse.core.records.counted_compressions); when several stored
settings match, the first stored is judged.

- `accuracy` claims: the setting keeps test top-1 within `target` pp of the 32-bit network.
  Paired per trial: drop = 32-bit test top-1 - compressed test top-1, in pp; the 95 % t
  interval of the mean drop; reproduced when its upper bound is <= target, contradicted when
  its lower bound is > target. Verdict fields: mean_a / mean_b = mean 32-bit / compressed test
  top-1 (percent), effect = mean drop, threshold = target (unit "pp").
- `ratio` claims: the setting makes the network at least `target` times smaller than at 32
  bits. The one-sample 95 % t interval over the trials' ratios (the value itself when every
  ratio is equal, one trial included); reproduced when its lower bound is >= target,
  contradicted when its upper bound is < target. Verdict fields: mean_a / mean_b = mean 32-bit
  / compressed size (MB), effect = mean ratio, threshold = target (unit "x").
Otherwise inconclusive, with the trials that would decide it at the observed spread.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dse.core.complexity import MB
from dse.core.records import CompressionRecord, ResultRecord, counted_compressions
from dse.analysis.verdicts import MAX_SEEDS, Verdict, samples_needed, t_interval

__all__ = ["COMPRESSION_CLAIMS", "CompressionClaim", "compression_verdicts"]

KINDS = ("accuracy", "ratio")
KEEP_TOLERANCE = 0.005  # a setting's keep matches a claim's within this


@dataclass(frozen=True)
class CompressionClaim:
    """One finding of the paper on compressing SqueezeNet with one setting."""

    id: str
    text: str  # the claim in words
    source: str  # where the paper makes it
    paper: str  # what the paper measured
    bits: int  # bits per shared weight, every layer kind
    keep: float  # fraction of the weights kept
    kind: str  # one of KINDS
    target: float  # accuracy: the largest top-1 drop, pp; ratio: the smallest size ratio

    def __post_init__(self) -> None:
        """Check the kind."""
        if self.kind not in KINDS:
            raise ValueError(f"compression claim kind must be one of {', '.join(KINDS)}, "
                             f"got {self.kind!r}")

    def matches(self, rec: CompressionRecord) -> bool:
        """Whether a compression was made with this claim's setting (by keep and bits)."""
        return abs(rec.keep - self.keep) <= KEEP_TOLERANCE and set(rec.bits.values()) == {self.bits}


COMPRESSION_CLAIMS: tuple[CompressionClaim, ...] = (
    CompressionClaim("table2_8bit_accuracy", "8-bit, 33% kept: test top-1 within 1 pp of 32-bit",
                     "Table 2", "top-1 57.5% -> 57.5% (4.8MB -> 0.66MB)", 8, 0.33, "accuracy",
                     1.0),
    CompressionClaim("table2_6bit_accuracy", "6-bit, 33% kept: test top-1 within 1 pp of 32-bit",
                     "Table 2", "top-1 57.5% -> 57.5% (4.8MB -> 0.47MB)", 6, 0.33, "accuracy",
                     1.0),
    CompressionClaim("table2_8bit_ratio", "8-bit, 33% kept: at least 7.3x smaller than 32-bit",
                     "Table 2", "4.8MB -> 0.66MB (7.3x)", 8, 0.33, "ratio", 7.3),
    CompressionClaim("table2_6bit_ratio", "6-bit, 33% kept: at least 10.2x smaller than 32-bit",
                     "Table 2", "4.8MB -> 0.47MB (10.2x)", 6, 0.33, "ratio", 10.2),
)


def _decide(claim: CompressionClaim, low: float, high: float) -> str:
    """reproduced, contradicted or inconclusive: the interval against the claim's target."""
    if claim.kind == "accuracy":  # the drop should stay at or below the target
        return "reproduced" if high <= claim.target else \
            "contradicted" if low > claim.target else "inconclusive"
    return "reproduced" if low >= claim.target else \
        "contradicted" if high < claim.target else "inconclusive"


def _undecided(values: Sequence[float], target: float) -> tuple[int | None, str]:
    """The trials that would decide an inconclusive claim at this spread, and the note."""
    needed = samples_needed(values, abs(statistics.fmean(values) - target))
    return needed, (f"about {needed} trials would decide it at this spread" if needed
                    else f"the mean sits on the target: more than {MAX_SEEDS} trials")


def _judge(claim: CompressionClaim, values: list[float], base: dict[str, Any], note: str,
           *, exact_when_equal: bool) -> Verdict:
    """The verdict from the per-trial values (drops or ratios) and the fields already known."""
    if exact_when_equal and len(set(values)) == 1:
        low = high = values[0]
        method = f"exact: every trial's value equal ({len(values)} trial(s))"
    elif len(values) < 2:
        return Verdict(**base, verdict="inconclusive", method="paired t, 95 %",
                       note=f"{note}; needs at least 2 trials")
    else:
        mean, half, df = t_interval(values)
        low, high = mean - half, mean + half
        method = f"{'paired' if claim.kind == 'accuracy' else 'one-sample'} t, 95 %, df {df:.0f}"
    verdict = _decide(claim, low, high)
    needed, why = _undecided(values, claim.target) if verdict == "inconclusive" else (None, "")
    return Verdict(**base, ci_low_pp=low, ci_high_pp=high, verdict=verdict,
                   seeds_needed=needed, method=method, note=f"{note}; {why}" if why else note)


def _verdict(claim: CompressionClaim, pairs: list[tuple[ResultRecord, CompressionRecord]]
             ) -> Verdict:
    """The verdict on one claim from the study's counted compressions."""
    base: dict[str, Any] = {"claim": claim.id, "text": claim.text, "source": claim.source,
                            "paper": claim.paper, "threshold_pp": claim.target,
                            "unit": "pp" if claim.kind == "accuracy" else "x"}
    matching = [(r, c) for r, c in pairs if claim.matches(c)]
    if claim.kind == "accuracy":
        matching = [(r, c) for r, c in matching if c.test_top1 is not None]
    wanted = f"{claim.bits} bit, {claim.keep:.0%} kept"
    if not matching:
        return Verdict(**{k: v for k, v in base.items() if k != "threshold_pp"},
                       verdict="not tested",
                       note=f"the study has no compression at {wanted} of a measured trial"
                            + (" with a test top-1" if claim.kind == "accuracy" else ""))
    setting = matching[0][1].setting
    matching = [(r, c) for r, c in matching if c.setting == setting]
    n = len(matching)
    if claim.kind == "accuracy":
        before = [100 * float(r.test_top1) for r, _ in matching]  # type: ignore[arg-type]
        after = [100 * float(c.test_top1) for _, c in matching]  # type: ignore[arg-type]
        drops = [b - a for b, a in zip(before, after)]
        base |= {"n_a": n, "n_b": n, "mean_a": statistics.fmean(before),
                 "mean_b": statistics.fmean(after), "effect_pp": statistics.fmean(drops)}
        note = f"setting {setting}; drop = 32-bit - compressed test top-1 of the same trial"
        return _judge(claim, drops, base, note, exact_when_equal=False)
    ratios = [c.ratio for _, c in matching]
    original = statistics.fmean(c.original_bytes / MB for _, c in matching)
    compressed = statistics.fmean(c.compressed_mb for _, c in matching)
    base |= {"n_a": n, "n_b": n, "mean_a": original, "mean_b": compressed,
             "effect_pp": statistics.fmean(ratios)}
    note = (f"setting {setting}; {original:.3f} MB -> {compressed:.3f} MB, ratio "
            f"{statistics.fmean(ratios):.2f}x (mean of {n} trial(s); range "
            f"{min(ratios):.2f}-{max(ratios):.2f}x)")
    return _judge(claim, ratios, base, note, exact_when_equal=True)


def compression_verdicts(results: Sequence[ResultRecord],
                         compressions: Sequence[CompressionRecord], *,
                         claims: Sequence[CompressionClaim] = COMPRESSION_CLAIMS) -> list[Verdict]:
    """A verdict on each compression claim from a study's results and compressions.

    Args:
        results: the study's results (any status; each (point, seed) counts once).
        compressions: the study's compressions, in save order.
        claims: the claims to judge (the paper's Table 2 claims by default).

    Returns:
        One Verdict per claim, in order ("not tested" where the study has no such setting).
    """
    pairs = counted_compressions(results, compressions)
    return [_verdict(claim, pairs) for claim in claims]
