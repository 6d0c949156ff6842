"""Figure 3b: accuracy against the share of 3x3 expand filters (paper Sec. 5.3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from dse.figures._paper import FIG3B_PAPER
from dse.figures._sweep import SweepInfo, plot_sweep, sweep_info
from dse.records import ArchRecord, ResultRecord

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["fig3b_info", "plot_fig3b"]

TITLE = "Figure 3b: accuracy vs share of 3x3 filters (pct3x3)"


def fig3b_info(results: Sequence[ResultRecord],
               archs: Mapping[str, ArchRecord] | Iterable[ArchRecord]) -> SweepInfo:
    """Plot data of Figure 3b: accuracy and size per pct3x3, with the paper's stated points.

    Args:
        results: the study's results (only complete/reused ones are measured).
        archs: the networks, by fingerprint or as a list.

    Returns:
        The plot data, points ordered by pct3x3.
    """
    return sweep_info(results, archs, key="pct3x3", paper=FIG3B_PAPER, percent_axis=True,
                      axis_title="3x3 filters (pct3x3, share of expand filters)", title=TITLE)


def plot_fig3b(info: SweepInfo) -> go.Figure:
    """Draw Figure 3b.

    Args:
        info: from fig3b_info.

    Returns:
        The Plotly figure.
    """
    return plot_sweep(info)
