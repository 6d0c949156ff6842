"""What a claim is and what a verdict on it says (pure): the one protocol every kind of claim
follows, the records it is judged on, and the shared rule that turns a 95 % interval into an
outcome.

A claim kind is any class with the claim's words (id, text, source, paper) and
`judge(records) -> Verdict`: the paper's metaparameter comparisons (dse.analysis.paper_claims)
and the compression claims (dse.analysis.compression_claims) are the two kinds today. Each
judges an effect with a 95 % interval and compares it with a threshold (`decide`): reproduced
when the interval lies on the claimed side, contradicted when it lies wholly on the other,
otherwise inconclusive, with the sample size that would decide it at the observed spread.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Protocol

from dse.analysis.intervals import MAX_SEEDS
from dse.core.study_records import StudyRecords

__all__ = ["Claim", "ClaimWords", "Direction", "Outcome", "StudyRecords", "Unit", "Verdict",
           "claim_fields", "decide", "undecided_note"]


class Outcome(StrEnum):
    """What a study says of a claim (the value is the word stored and shown)."""

    REPRODUCED = "reproduced"
    CONTRADICTED = "contradicted"
    INCONCLUSIVE = "inconclusive"
    NOT_TESTED = "not tested"  # the study's points cannot test it: never guessed


class Unit(StrEnum):
    """The unit of a verdict's effect, interval and threshold."""

    PP = "pp"  # percentage points of test top-1
    RATIO = "x"  # a size ratio: 32-bit size / compressed size


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
    mean_a: float | None = None  # test top-1, percent (unit x: the 32-bit size, MB)
    mean_b: float | None = None  # (unit x: the compressed size, MB)
    effect: float | None = None  # mean_a - mean_b, or the mean drop (unit x: the mean size ratio)
    low: float | None = None  # the effect's 95 % interval
    high: float | None = None
    threshold: float | None = None  # what the interval is compared with
    seeds_needed: int | None = None  # per side (or trials), when inconclusive
    method: str = ""
    note: str = ""
    unit: Unit = Unit.PP  # of effect, low, high and threshold; a Unit or its word (converted)

    def __post_init__(self) -> None:
        """Take the outcome and the unit as enums or as their words (converted)."""
        for name, kind in (("verdict", Outcome), ("unit", Unit)):
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

    def judge(self, records: StudyRecords) -> Verdict:
        """The verdict of a study's records on this claim."""


@dataclass(frozen=True)
class ClaimWords:
    """What every kind of claim says of itself: the first fields of each claim dataclass."""

    id: str
    text: str  # the claim in words
    source: str  # where the paper makes it
    paper: str  # what the paper measured


def claim_fields(claim: Claim) -> dict[str, str]:
    """The claim's words as a Verdict's first fields."""
    return {"claim": claim.id, "text": claim.text, "source": claim.source, "paper": claim.paper}
