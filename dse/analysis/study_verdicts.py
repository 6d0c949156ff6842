"""Every paper claim a study's records can speak to, judged in one place by the one engine.

The claims on test accuracy (dse.analysis.paper_claims) always; Table 2's compression claims
(dse.analysis.compression_claims) when the study has compressions. Each accuracy claim on
test top-1 and on top-5, at each training budget apart, with a word for whether its verdict
holds across budgets (dse.analysis.verdicts.judge_by_budget).
"""

from __future__ import annotations

from dse.analysis.compression_claims import COMPRESSION_CLAIMS
from dse.analysis.verdicts import PAPER_CLAIMS, Claim, Verdict, judge_by_budget
from dse.core.study_records import StudyRecords

__all__ = ["study_verdicts"]


def study_verdicts(records: StudyRecords) -> list[Verdict]:
    """A verdict on each claim a study can test, on each metric and budget, the paper claims
    first.

    Args:
        records: the study's records (Store.study_records).

    Returns:
        Verdicts by claim, then metric (top-1 first), then network (compression claims),
        then budget (the smallest first); "not tested" where the study cannot tell. A study
        trained at one budget gets one verdict per claim and metric.
    """
    claims: list[Claim] = [*PAPER_CLAIMS]
    if records.compressions:
        claims += COMPRESSION_CLAIMS
    return judge_by_budget(claims, records)
