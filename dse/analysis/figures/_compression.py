"""Shared data step of compressed networks: per point of a study and per compression setting,
the compressed size, the ratio to 32 bits and the accuracy after compression, over seeds.

Only compressions of counted, measured results count (dse.core.records.counted_compressions), so a
point's compressed row and its 32-bit row come from the same trials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dse.analysis.figures._stats import Stat, stat
from dse.core.records import CompressionRecord, ResultRecord, counted_compressions
from dse.core.sweep import point_key

__all__ = ["CompressedGroup", "compressed_groups", "describe_setting", "first_setting"]


@dataclass(frozen=True)
class CompressedGroup:
    """The compressions of one point's trials with one setting, over seeds."""

    setting: str  # the setting's name, e.g. 8bit-33pct
    description: str  # what it does, e.g. "8 bit, 33% kept"
    size_mb: Stat  # compressed size, MB = 2^20 bytes
    ratio: Stat  # 32-bit size / compressed size, per trial
    top1: Stat  # test top-1 of the decoded network
    top5: Stat
    change_pp: Stat  # compressed - 32-bit test top-1 of the same trial, percentage points
    val1: Stat = Stat(None, None, 0)  # validation top-1 of the decoded network (picks fronts)

    @property
    def n(self) -> int:
        """Trials (seeds) compressed with this setting."""
        return self.size_mb.n


def describe_setting(rec: CompressionRecord) -> str:
    """'8 bit, 33% kept' (a range of bits, '5-8 bit', when layer kinds differ)."""
    bits = sorted(set(rec.bits.values()))
    shown = "?" if not bits else str(bits[0]) if len(bits) == 1 else f"{bits[0]}-{bits[-1]}"
    return f"{shown} bit, {rec.keep:.0%} kept"


def first_setting(compressions: Sequence[CompressionRecord]) -> str:
    """The setting of the study's first stored compression (the run's objective); "" if none."""
    return compressions[0].setting if compressions else ""


def _group(pairs: list[tuple[ResultRecord, CompressionRecord]]) -> CompressedGroup:
    """Stats over one point's compressions with one setting."""
    first = pairs[0][1]
    return CompressedGroup(
        setting=first.setting, description=describe_setting(first),
        size_mb=stat(c.compressed_mb for _, c in pairs), ratio=stat(c.ratio for _, c in pairs),
        top1=stat(c.test_top1 for _, c in pairs), top5=stat(c.test_top5 for _, c in pairs),
        change_pp=stat(None if c.test_top1 is None or r.test_top1 is None
                       else 100 * (c.test_top1 - r.test_top1) for r, c in pairs),
        val1=stat(c.val_top1 for _, c in pairs),
    )


def compressed_groups(results: Sequence[ResultRecord], compressions: Sequence[CompressionRecord]
                      ) -> dict[str, list[CompressedGroup]]:
    """Per point (dse.core.sweep.point_key of its swept values), one group per setting.

    Args:
        results: the study's results (any status; only counted, measured ones count).
        compressions: the study's compressions, in save order.

    Returns:
        point key -> the point's groups, settings in the order the study first stored them.
    """
    members: dict[str, dict[str, list[tuple[ResultRecord, CompressionRecord]]]] = {}
    for result, rec in counted_compressions(results, compressions):
        members.setdefault(point_key(result.point), {}).setdefault(rec.setting, []).append(
            (result, rec))
    order = {name: i for i, name in enumerate(dict.fromkeys(c.setting for c in compressions))}
    return {key: [_group(settings[name]) for name in sorted(settings, key=order.__getitem__)]
            for key, settings in members.items()}
