"""Every paper claim a study's records can speak to, judged in one place by the one engine.

The claims on test top-1 (dse.analysis.paper_claims) always; Table 2's compression claims
(dse.analysis.compression_claims) when the study has compressions.
"""

from __future__ import annotations

from dse.analysis.compression_claims import COMPRESSION_CLAIMS
from dse.analysis.verdicts import PAPER_CLAIMS, Claim, Verdict, judge
from dse.core.study_records import StudyRecords

__all__ = ["study_verdicts"]


def study_verdicts(records: StudyRecords) -> list[Verdict]:
    """A verdict on each claim a study can test, the top-1 claims first.

    Args:
        records: the study's records (Store.study_records).

    Returns:
        One Verdict per claim, "not tested" where the study cannot tell.
    """
    claims: list[Claim] = [*PAPER_CLAIMS]
    if records.compressions:
        claims += COMPRESSION_CLAIMS
    return judge(claims, records)
