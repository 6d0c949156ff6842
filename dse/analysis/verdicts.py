"""The verdict engine: every claim, whatever its kind, judged on one study's records (pure).

A claim is anything with `judge(records) -> Verdict` (dse.analysis.claims.Claim): the paper's
metaparameter comparisons (dse.analysis.paper_claims) and its compression claims
(dse.analysis.compression_claims). `judge` runs any mix of them; `verdicts` is the paper
claims' entry, `dse.analysis.compression_claims.compression_verdicts` the compression claims'.
Verdict, Outcome and PAPER_CLAIMS are re-exported here for the entry points; the interval
helpers live in dse.analysis.intervals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from dse.analysis.claims import Claim, Outcome, StudyRecords, Unit, Verdict
from dse.analysis.paper_claims import DEFAULT_MARGIN_PP, PAPER_CLAIMS, PaperClaim
from dse.core.records import ArchRecord, ResultRecord

__all__ = ["DEFAULT_MARGIN_PP", "PAPER_CLAIMS", "Claim", "Outcome", "PaperClaim", "StudyRecords", "Unit",
           "Verdict", "judge", "verdicts"]


def judge(claims: Iterable[Claim], records: StudyRecords) -> list[Verdict]:
    """A verdict on each claim from one study's records.

    Args:
        claims: the claims to judge, of any kind.
        records: the study's results, networks and compressions.

    Returns:
        One Verdict per claim, in order.
    """
    return [claim.judge(records) for claim in claims]


def verdicts(results: Sequence[ResultRecord], archs: Mapping[str, ArchRecord] | Iterable[ArchRecord],
             *, claims: Sequence[PaperClaim] = PAPER_CLAIMS, margin_pp: float = DEFAULT_MARGIN_PP
             ) -> list[Verdict]:
    """A verdict on each paper claim from a study's results.

    Args:
        results: the study's results (any status; each (point, seed) counts once).
        archs: the networks, by fingerprint or as a list.
        claims: the claims to judge (the paper's by default).
        margin_pp: how much better still counts as "no better", in points of test top-1
            (every claim is judged with it).

    Returns:
        One Verdict per claim, in order.
    """
    if not margin_pp >= 0:
        raise ValueError(f"margin_pp must be >= 0, got {margin_pp!r}")
    return judge([replace(c, margin=margin_pp) for c in claims], StudyRecords.of(results, archs))
