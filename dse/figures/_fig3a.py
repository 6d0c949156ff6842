"""Figure 3a: accuracy against the squeeze ratio SR (paper Sec. 5.2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from dse.figures._paper import FIG3A_PAPER
from dse.figures._sweep import SweepInfo, plot_sweep, sweep_info
from dse.records import ArchRecord, ResultRecord

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["fig3a_info", "plot_fig3a"]

TITLE = "Figure 3a: accuracy vs squeeze ratio (SR)"


def fig3a_info(results: Sequence[ResultRecord],
               archs: Mapping[str, ArchRecord] | Iterable[ArchRecord]) -> SweepInfo:
    """Plot data of Figure 3a: accuracy and size per SR, with the paper's stated points.

    Args:
        results: the study's results (only complete/reused ones are measured).
        archs: the networks, by fingerprint or as a list.

    Returns:
        The plot data, points ordered by SR.
    """
    return sweep_info(results, archs, key="sr", paper=FIG3A_PAPER,
                      axis_title="squeeze ratio SR (s1x1 / e)", title=TITLE)


def plot_fig3a(info: SweepInfo) -> go.Figure:
    """Draw Figure 3a.

    Args:
        info: from fig3a_info.

    Returns:
        The Plotly figure.
    """
    return plot_sweep(info)
