"""What a claim is and what a verdict on it says (pure): the one protocol every kind of claim
follows, the records it is judged on, and the shared rule that turns a 95 % interval into an
outcome.

A claim kind is any class with the claim's words (id, text, source, paper, paper_metric),
the metrics it is judged on (`metrics`, the primary first) and
`judge(records, metric=...) -> Verdict`: the paper's metaparameter comparisons
(dse.analysis.paper_claims) and the compression claims (dse.analysis.compression_claims) are
the two kinds today. Each judges an effect with a 95 % interval and compares it with a
threshold (`decide`): reproduced when the interval lies on the claimed side, contradicted when
it lies wholly on the other, otherwise inconclusive, with the sample size that would decide it
at the observed spread. An accuracy claim is judged on test top-1 (the primary metric: with 10
classes top-5 is near 100 %) and on test top-5; every verdict says which, and in which metric
the paper stated the claim.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from dse.analysis.intervals import MAX_SEEDS
from dse.core.study_records import StudyRecords

__all__ = ["ACCURACY", "Claim", "ClaimWords", "Direction", "Metric", "Outcome", "StudyRecords", "Unit",
           "Verdict", "claim_fields", "decide", "undecided_note"]


class Outcome(StrEnum):
    """What a study says of a claim (the value is the word stored and shown)."""

    REPRODUCED = "reproduced"
    CONTRADICTED = "contradicted"
    INCONCLUSIVE = "inconclusive"
    NOT_TESTED = "not tested"  # the study's points cannot test it: never guessed


class Unit(StrEnum):
    """The unit of a verdict's effect, interval and threshold."""

    PP = "pp"  # percentage points of the verdict's accuracy metric (test top-1 or top-5)
    RATIO = "x"  # a size ratio: 32-bit size / compressed size


class Metric(StrEnum):
    """What a verdict's effect is measured on (the value is the word stored and shown)."""

    TOP1 = "top-1"  # test top-1, percent: the primary accuracy metric
    TOP5 = "top-5"  # test top-5, percent (what the paper's Figure 3 reports)
    SIZE = "size"  # MB at 32 bits and compressed (a compression ratio claim)
    PARAMS = "params"  # exact parameter counts, from the accounting

    @property
    def field(self) -> str:
        """The ResultRecord / CompressionRecord field of an accuracy metric, e.g. test_top1."""
        if self not in ACCURACY:
            raise ValueError(f"metric {self.value!r} is no accuracy metric: one of "
                             f"{', '.join(m.value for m in ACCURACY)} has a field")
        return "test_top1" if self is Metric.TOP1 else "test_top5"


ACCURACY = (Metric.TOP1, Metric.TOP5)  # what an accuracy claim is judged on, the primary first


class Direction(StrEnum):
    """Which side of the threshold the claim puts its effect on, and whether equality counts."""

    ABOVE = ">"  # reproduced when the interval lies strictly above the threshold
    AT_LEAST = ">="  # reproduced when it lies at or above
    AT_MOST = "<="  # reproduced when it lies at or below


def decide(low: float, high: float, threshold: float, direction: Direction) -> Outcome:
    """Reproduced, contradicted or inconclusive: a 95 % interval [low, high] against a threshold.

    Args:
        low: the interval's lower bound.
        high: its upper bound.
        threshold: what the claim compares the effect with.
        direction: the side of the threshold the claim puts the effect on.

    Returns:
        REPRODUCED when the interval lies on the claimed side, CONTRADICTED when it lies wholly
        on the other, INCONCLUSIVE otherwise.
    """
    if direction is Direction.AT_MOST:
        holds, fails = high <= threshold, low > threshold
    else:
        holds = low > threshold if direction is Direction.ABOVE else low >= threshold
        fails = high < threshold
    return Outcome.REPRODUCED if holds else Outcome.CONTRADICTED if fails else Outcome.INCONCLUSIVE


def undecided_note(needed: int | None, what: str, *, on: str) -> str:
    """'about 7 trials would decide it at this spread', or why no number is given.

    Args:
        needed: the sample size that would decide it, or None (none up to MAX_SEEDS).
        what: what is counted, e.g. 'seeds per side' or 'trials'.
        on: what sits on what when nothing decides it, e.g. 'the mean sits on the target'.

    Returns:
        The note.
    """
    if needed:
        return f"about {needed} {what} would decide it at this spread"
    return f"{on}: more than {MAX_SEEDS} {what}"


@dataclass(frozen=True)
class Verdict:
    """What a study says of one claim."""

    claim: str  # Claim.id
    text: str
    source: str
    paper: str
    verdict: Outcome  # an Outcome, or its word (converted)
    n_a: int = 0  # values measured for a (seeds; trials for a compression claim)
    n_b: int = 0
    mean_a: float | None = None  # the metric, percent (unit x: the 32-bit size, MB)
    mean_b: float | None = None  # (unit x: the compressed size, MB)
    effect: float | None = None  # mean_a - mean_b, or the mean drop (unit x: the mean size ratio)
    low: float | None = None  # the effect's 95 % interval
    high: float | None = None
    threshold: float | None = None  # what the interval is compared with
    seeds_needed: int | None = None  # per side (or trials), when inconclusive
    method: str = ""
    note: str = ""
    unit: Unit = Unit.PP  # of effect, low, high and threshold; a Unit or its word (converted)
    metric: Metric = Metric.TOP1  # what mean_a, mean_b and the effect measure; or its word
    paper_metric: str = ""  # the metric the paper stated the claim in, e.g. top-5
    budget: int | None = None  # the training budget (epochs) of the results judged; None: no
    # budget stored (a study before budgets) or the records given pooled
    network: str = ""  # the network judged, for a claim judged per network (compression)
    stability: str = ""  # whether the verdict holds across budgets (dse.analysis.budgets)

    def __post_init__(self) -> None:
        """Take the outcome, the unit and the metric as enums or as their words (converted)."""
        for name, kind in (("verdict", Outcome), ("unit", Unit), ("metric", Metric)):
            value = getattr(self, name)
            if not isinstance(value, kind):
                if value not in set(kind):
                    raise ValueError(f"{name} must be one of {', '.join(kind)}, got {value!r}")
                object.__setattr__(self, name, kind(value))

    def to_dict(self) -> dict[str, Any]:
        """A flat row (for CSV and JSON), with the column names verdicts.csv has always had."""
        row = {STORED_NAMES.get(f.name, f.name): getattr(self, f.name) for f in fields(self)}
        return {k: v.value if isinstance(v, StrEnum) else v for k, v in row.items()}


# verdicts.csv keeps its published columns (results/*/*/verdicts.csv, readers of old reports),
# although effect, interval and threshold are in `unit`, which is not always pp.
STORED_NAMES = {"effect": "effect_pp", "low": "ci_low_pp", "high": "ci_high_pp",
                "threshold": "threshold_pp"}


class Claim(Protocol):
    """One finding of the paper that a study can reproduce, contradict or leave open."""

    @property
    def id(self) -> str:
        """A short stable name, e.g. fig3a_rise."""

    @property
    def text(self) -> str:
        """The claim in words."""

    @property
    def source(self) -> str:
        """Where the paper makes it, e.g. Table 3."""

    @property
    def paper(self) -> str:
        """What the paper measured."""

    @property
    def paper_metric(self) -> str:
        """The metric the paper stated it in, e.g. top-5 (Figure 3)."""

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """The metrics it is judged on, the primary first."""

    per_network: ClassVar[bool]  # judged on each network apart (compression), not across them

    def judge(self, records: StudyRecords, *, metric: Metric | None = None) -> Verdict:
        """The verdict of a study's records on this claim, on `metric` (its primary if None)."""


@dataclass(frozen=True)
class ClaimWords:
    """What every kind of claim says of itself: the first fields of each claim dataclass."""

    id: str
    text: str  # the claim in words
    source: str  # where the paper makes it
    paper: str  # what the paper measured


def claim_fields(claim: Claim, metric: Metric) -> dict[str, Any]:
    """The claim's words, and the metric it is judged on, as a Verdict's fields."""
    return {"claim": claim.id, "text": claim.text, "source": claim.source, "paper": claim.paper,
            "paper_metric": claim.paper_metric, "metric": metric}
