"""A multi-objective study's hypervolume after each trial, against its fixed reference point.

The history comes from dse.search (Optuna's hypervolume); this module only shapes and draws it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dse.analysis.figures._stats import dataset_name
from dse.core.records import ArchRecord, HypervolumeRecord, ResultRecord

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["HypervolumeInfo", "hypervolume_info", "plot_hypervolume"]

TITLE = "Hypervolume after each trial (fixed reference point)"
UNITS = {"accuracy": "validation top-1", "size_mb": "MB", "macs": "MACs",
         "compressed_mb": "MB compressed"}


@dataclass(frozen=True)
class HypervolumeInfo:
    """Plot data of the hypervolume history."""

    dataset: str
    record: HypervolumeRecord
    title: str = TITLE

    def reference_text(self) -> str:
        """'validation top-1 0.1, MB 32.7' (the reference point, objective by objective)."""
        return ", ".join(f"{UNITS.get(o, o)} {v:.4g}"
                         for o, v in zip(self.record.objectives, self.record.reference,
                                         strict=True))

    def caption(self) -> str:
        """What the figure shows (plain text)."""
        last = self.record.history[-1][1] if self.record.history else 0.0
        return (f"Hypervolume of the study's complete, feasible trials on {self.dataset} after "
                f"each trial, by Optuna's hypervolume, against the reference point fixed "
                f"before the first trial ({self.reference_text()}: accuracy at chance, the "
                f"largest network of the space). After {len(self.record.history)} trials: "
                f"{last:.4g}.")

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows: one per complete trial, with the reference point on each."""
        reference = dict(zip(self.record.objectives, self.record.reference, strict=True))
        return [{"trial": n, "hypervolume": v, **{f"reference_{k}": r for k, r in reference.items()}}
                for n, v in self.record.history]


def hypervolume_info(results: Sequence[ResultRecord],
                     archs: Mapping[str, ArchRecord] | Iterable[ArchRecord], *,
                     hypervolume: HypervolumeRecord | None) -> HypervolumeInfo:
    """The history to draw (the registry passes it only to studies that have one).

    Raises:
        ValueError: no history was given.
    """
    if hypervolume is None:
        raise ValueError("the hypervolume figure needs the study's hypervolume history")
    return HypervolumeInfo(dataset_name(results), hypervolume)


def plot_hypervolume(info: HypervolumeInfo) -> go.Figure:
    """Draw the hypervolume against the trial number, as steps.

    Args:
        info: from hypervolume_info.

    Returns:
        The Plotly figure.
    """
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[n for n, _ in info.record.history],
                               y=[v for _, v in info.record.history], mode="lines+markers",
                               line={"shape": "hv", "color": "#1f77b4"}, name="hypervolume"))
    fig.update_xaxes(title="trial number")
    fig.update_yaxes(title=f"hypervolume (reference: {info.reference_text()})", rangemode="tozero")
    fig.update_layout(title=f"{info.title}: {info.dataset}", template="plotly_white", height=420)
    return fig
