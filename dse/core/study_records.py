"""Everything stored of one study that its summary, verdicts and figures read (pure Python).

The store assembles it in one call (Store.study_records); the entry points pass it on to the
figure registry, so no reader fetches records, or recomputes anything from Optuna, on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from dse.core.records import (
    ArchRecord,
    CompressionRecord,
    CurvePoint,
    HypervolumeRecord,
    LatencyRecord,
    ResultRecord,
    counted_compressions,
    counted_results,
)

__all__ = ["STORED", "StudyRecords"]

# the records beside the results a figure's data step may take, by StudyRecords field name
STORED = ("latencies", "compressions", "hypervolume", "curves")


@dataclass(frozen=True)
class StudyRecords:
    """One study's read model: its results and the records stored beside them."""

    study: str
    results: Sequence[ResultRecord]  # every result, any status, by trial number
    archs: Mapping[str, ArchRecord]  # the results' networks, by fingerprint (a list is keyed)
    latencies: Sequence[LatencyRecord] = ()  # of those networks, every device and setting
    compressions: Sequence[CompressionRecord] = ()  # of the study's trials, in save order
    hypervolume: HypervolumeRecord | None = None  # a multi-objective search's, as stored
    curves: Sequence[CurvePoint] = ()  # its trials' learning curves, by trial number and epoch

    def __post_init__(self) -> None:
        """Key networks given as a list by fingerprint (hand-built records in tests and tools)."""
        if not isinstance(self.archs, Mapping):
            archs: Iterable[ArchRecord] = self.archs
            object.__setattr__(self, "archs", {a.fingerprint: a for a in archs})

    @classmethod
    def of(cls, results: Sequence[ResultRecord],
           archs: Mapping[str, ArchRecord] | Iterable[ArchRecord] = (),
           compressions: Sequence[CompressionRecord] = (), *, study: str = "") -> StudyRecords:
        """Records assembled by hand (a tool, a test): results, networks, compressions."""
        return cls(study, results, archs, compressions=compressions)  # type: ignore[arg-type]

    @cached_property
    def counted(self) -> list[ResultRecord]:
        """The results statistics count (dse.core.records.counted_results)."""
        return counted_results(self.results)

    @cached_property
    def budgets(self) -> list[int]:
        """The training budgets (epochs) its results were trained at, smallest first."""
        return sorted({r.budget for r in self.results if r.budget is not None})

    def at_budget(self, budget: int) -> StudyRecords:
        """These records with only the results of one budget (and those stored without one:
        failures from before budgets existed)."""
        return replace(self, results=[r for r in self.results if r.budget in (budget, None)])

    def at_largest_budget(self) -> StudyRecords:
        """The records at the largest budget: what a figure of one budget shows (all of them
        when the study has one budget)."""
        return self if len(self.budgets) < 2 else self.at_budget(self.budgets[-1])

    @cached_property
    def compressed(self) -> list[tuple[ResultRecord, CompressionRecord]]:
        """Each compression of a counted, measured result, with it (counted_compressions)."""
        return counted_compressions(self.results, self.compressions)
