"""Which figures a study gets, from its swept keys, and the registry of figures."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from dse.figures._export import plotly_div
from dse.figures._fig3 import FIG3A, FIG3B
from dse.figures._pareto import pareto_info, plot_pareto
from dse.figures._stats import swept_keys, varying_keys
from dse.figures._sweep import plot_sweep
from dse.figures._table3 import plot_table3, table3_html, table3_info
from dse.records import ArchRecord, LatencyRecord, ResultRecord

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["FIGURES", "FigureData", "FigureSpec", "select_figures"]

Archs = Mapping[str, ArchRecord] | Iterable[ArchRecord]


class FigureData(Protocol):
    """What every data step returns: a title, a caption and the rows behind the figure."""

    title: str

    def caption(self) -> str:
        """What the figure shows, in plain text."""
        ...

    def rows(self) -> list[dict[str, Any]]:
        """The figure's data, one dict per CSV row."""
        ...


@dataclass(frozen=True)
class FigureSpec:
    """One figure: its name (file stem, dashboard id), the key that selects it, its steps."""

    name: str
    key: str | None  # the swept key that calls for it; None: every study gets it
    info: Callable[[Sequence[ResultRecord], Archs], Any]  # the data step
    draw: Callable[[Any], go.Figure]  # the drawing step (PNG, SVG, the dashboard)
    table: Callable[[Any], str] | None = None  # its HTML table, shown in pages instead of `draw`
    uses_latency: bool = False  # its data step also takes the stored latencies

    def data(self, results: Sequence[ResultRecord], archs: Archs,
             latencies: Iterable[LatencyRecord] = ()) -> Any:
        """Run the data step (with the latencies when it uses them)."""
        if self.uses_latency:
            return self.info(results, archs, latencies)  # type: ignore[call-arg]
        return self.info(results, archs)

    def html(self, info: Any, fig: go.Figure) -> str:
        """The figure in an HTML page: its table when it has one, else the Plotly div.

        Args:
            info: from this figure's data step.
            fig: this figure drawn from `info`.

        Returns:
            An HTML element (a Plotly div expects plotly.js loaded by the page).
        """
        if self.table is not None:
            return self.table(info)
        return plotly_div(fig, div_id=f"fig-{self.name}")


FIGURES: dict[str, FigureSpec] = {spec.name: spec for spec in (
    FigureSpec("fig3a", FIG3A.key, FIG3A.info, plot_sweep),
    FigureSpec("fig3b", FIG3B.key, FIG3B.info, plot_sweep),
    FigureSpec("table3", "bypass", table3_info, plot_table3, table=table3_html),
    FigureSpec("accuracy_vs_size", None, pareto_info, plot_pareto, uses_latency=True),
)}


def select_figures(results: Sequence[ResultRecord]) -> list[FigureSpec]:
    """The figures a study gets: the paper's figure of each swept key, and accuracy vs size.

    A paper figure (sr: Figure 3a, pct3x3: Figure 3b, bypass: Table 3) needs its key among the
    study's swept keys and no other swept key taking more than one value: a search over many
    keys at once reproduces none of them, and gets accuracy vs size only.

    Args:
        results: the study's results.

    Returns:
        The figures, in registry order.
    """
    keys, varying = set(swept_keys(results)), set(varying_keys(results))
    return [spec for spec in FIGURES.values()
            if spec.key is None or (spec.key in keys and varying <= {spec.key})]
