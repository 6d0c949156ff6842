"""The verdict engine: every claim, whatever its kind, judged on one study's records (pure).

A claim is anything with `judge(records, metric=...) -> Verdict` (dse.analysis.claims.Claim):
the paper's metaparameter comparisons (dse.analysis.paper_claims) and its compression claims
(dse.analysis.compression_claims). `judge` runs any mix of them on the records as given, each on
its primary metric; `judge_by_budget` (what a study's verdicts are: dse.analysis.study_verdicts)
judges every claim on each of its metrics, at each training budget apart, and says whether the
verdict holds across budgets (dse.analysis.budgets). A claim judged per network (compression)
gets one verdict per network in both. `verdicts` is the paper claims' entry,
`dse.analysis.compression_claims.compression_verdicts` the compression claims'. Verdict,
Outcome and PAPER_CLAIMS are re-exported here for the entry points; the interval helpers live
in dse.analysis.intervals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from dse.analysis.budgets import budget_groups, stability
from dse.analysis.claims import Claim, Metric, Outcome, StudyRecords, Unit, Verdict
from dse.analysis.paper_claims import DEFAULT_MARGIN_PP, PAPER_CLAIMS, PaperClaim
from dse.core.records import ArchRecord, ResultRecord
from dse.core.sweep import point_label

__all__ = ["DEFAULT_MARGIN_PP", "PAPER_CLAIMS", "Claim", "Metric", "Outcome", "PaperClaim", "StudyRecords",
           "Unit", "Verdict", "judge", "judge_by_budget", "networks", "verdicts"]


def judge(claims: Iterable[Claim], records: StudyRecords) -> list[Verdict]:
    """A verdict on each claim from one study's records, on the claim's primary metric.

    Args:
        claims: the claims to judge, of any kind.
        records: the study's results, networks and compressions (judged as given: pooled
            over budgets; `judge_by_budget` splits them).

    Returns:
        One Verdict per claim, in order; one per network for a claim judged per network.
    """
    return [v for claim in claims for v in _per_network(claim, records, claim.metrics[0])]


def judge_by_budget(claims: Iterable[Claim], records: StudyRecords) -> list[Verdict]:
    """Every claim on each of its metrics and networks, at each training budget apart.

    Args:
        claims: the claims to judge, of any kind.
        records: the study's results, networks and compressions.

    Returns:
        Verdicts by claim, then metric (the primary first), then network, then budget (the
        smallest first; dse.analysis.budgets.budget_groups), each with its `budget` and the
        `stability` word of its (claim, metric, network) across budgets.
    """
    groups = [(budget, replace(records, results=results))
              for budget, results in budget_groups(records.results)]
    judged = []
    for claim in claims:
        for metric in claim.metrics:
            series: dict[str, list[Verdict]] = {}
            for budget, group in groups:
                for v in _per_network(claim, group, metric):
                    series.setdefault(v.network, []).append(replace(v, budget=budget))
            for same in series.values():
                word = stability((v.budget, v.verdict) for v in same)
                judged += [replace(v, stability=word) for v in same]
    return judged


def networks(records: StudyRecords) -> list[tuple[str, StudyRecords]]:
    """Each compressed network's own records, labelled by its point ('sr=0.25'), in order.

    Args:
        records: a study's records.

    Returns:
        (label, the records of that network's results and compressions) per fingerprint with
        counted compressions; a label that two networks share gets their fingerprints' start.
    """
    points: dict[str, str] = {}
    for result, _ in records.compressed:
        points.setdefault(result.fingerprint, point_label(result.point))
    shared = [label for label in points.values() if list(points.values()).count(label) > 1]
    return [(f"{label} ({fp[:8]})" if label in shared else label,
             replace(records, results=[r for r in records.results if r.fingerprint == fp]))
            for fp, label in points.items()]


def _per_network(claim: Claim, records: StudyRecords, metric: Metric) -> list[Verdict]:
    """The claim's verdict on `metric`: one per network for a claim judged per network (a
    single "not tested" when no network can test it), else one on the records as given."""
    if not claim.per_network:
        return [claim.judge(records, metric=metric)]
    each = [replace(claim.judge(own, metric=metric), network=label)
            for label, own in networks(records)]
    if all(v.verdict is Outcome.NOT_TESTED for v in each):
        return [claim.judge(records, metric=metric)]
    return each


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
