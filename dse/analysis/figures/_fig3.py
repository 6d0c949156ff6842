"""Figure 3a (accuracy vs SR, paper Sec. 5.2) and 3b (vs pct3x3, Sec. 5.3): one sweep figure each.

The two differ only in data: the swept key, the titles and the paper's stated points. Both are
drawn by dse.analysis.figures._sweep.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dse.analysis.figures._paper import FIG3A_PAPER, FIG3B_PAPER, PaperReference
from dse.analysis.figures._sweep import SweepInfo, sweep_info
from dse.core.metaparams import METAPARAMETERS
from dse.core.records import ArchRecord, ResultRecord

__all__ = ["FIG3A", "FIG3B", "Fig3"]


@dataclass(frozen=True)
class Fig3:
    """One panel of the paper's Figure 3: the swept key, its titles, the paper's points."""

    key: str  # the swept metaparameter
    title: str
    axis_title: str  # title of the swept axis
    paper: PaperReference
    percent_axis: bool = False  # show the swept value as a percentage

    def info(self, results: Sequence[ResultRecord],
             archs: Mapping[str, ArchRecord] | Iterable[ArchRecord]) -> SweepInfo:
        """Plot data: accuracy and size per value of the key, with the paper's stated points.

        Args:
            results: the study's results (only complete/reused ones are measured).
            archs: the networks, by fingerprint or as a list.

        Returns:
            The plot data, points ordered by the swept value.
        """
        return sweep_info(results, archs, key=self.key, paper=self.paper,
                          axis_title=self.axis_title, title=self.title,
                          percent_axis=self.percent_axis)


FIG3A = Fig3("sr", "Figure 3a: accuracy vs squeeze ratio (SR)", METAPARAMETERS["sr"].label,
             FIG3A_PAPER)
FIG3B = Fig3("pct3x3", "Figure 3b: accuracy vs share of 3x3 filters (pct3x3)",
             METAPARAMETERS["pct3x3"].label, FIG3B_PAPER, percent_axis=True)
