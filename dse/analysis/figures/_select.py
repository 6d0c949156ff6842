"""Which figures a study gets, from its swept keys and stored records, and the registry of figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from dse.analysis.figures._claims_budget import MIN_BUDGETS, claims_budget_info, plot_claims_budget
from dse.analysis.figures._curves import curves_info, plot_curves
from dse.analysis.figures._edf import MIN_EDF_POINTS, edf_info, plot_edf
from dse.analysis.figures._export import plotly_div
from dse.analysis.figures._fig3 import FIG3A, FIG3B
from dse.analysis.figures._hypervolume import hypervolume_info, plot_hypervolume
from dse.analysis.figures._pareto import pareto_info, plot_pareto
from dse.analysis.figures._stats import group_points, swept_keys, varying_keys
from dse.analysis.figures._sweep import plot_sweep
from dse.analysis.figures._table2 import plot_table2, table2_html, table2_info, table2_text
from dse.analysis.figures._table3 import plot_table3, table3_html, table3_info
from dse.core.study_records import STORED, StudyRecords

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["EXTRAS", "FIGURES", "FigureData", "FigureSpec", "select_figures"]

EXTRAS = STORED  # the stored records a data step can take beside the results and networks


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
    info: Callable[..., Any]  # the data step: (results, archs, **extras)
    draw: Callable[[Any], go.Figure]  # the drawing step (PNG, SVG, the dashboard)
    table: Callable[[Any], str] | None = None  # its HTML table, shown in pages instead of `draw`
    text: Callable[[Any], str] | None = None  # its text for a terminal (the end of a run)
    extras: tuple[str, ...] = ()  # of EXTRAS: what its data step also takes, by keyword
    needs: str | None = None  # of EXTRAS: a study gets it only when it has some of these
    min_points: int = 0  # a study gets it only with this many measured points
    # its data step takes every training budget's results; else (a figure of points) only
    # the largest budget's, when a study has several (StudyRecords.at_largest_budget)
    all_budgets: bool = False
    min_budgets: int = 0  # a study gets it only with measured results at this many budgets

    def __post_init__(self) -> None:
        """Check that `extras` and `needs` name stored records the registry can pass."""
        for name in (*self.extras, *([self.needs] if self.needs else [])):
            if name not in EXTRAS:
                raise ValueError(f"FigureSpec {self.name!r}: extras and needs must be among "
                                 f"{', '.join(EXTRAS)}, got {name!r}")

    def data(self, records: StudyRecords) -> Any:
        """Run the data step on the study's results and networks, with the stored records
        its `extras` name (latencies, compressions, hypervolume) by keyword.

        Args:
            records: the study's records (Store.study_records).

        Returns:
            What the data step returns.
        """
        records = records if self.all_budgets else records.at_largest_budget()
        return self.info(records.results, records.archs,
                         **{name: getattr(records, name) for name in self.extras})

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
    FigureSpec("table2", None, table2_info, plot_table2, table=table2_html, text=table2_text,
               extras=("compressions",), needs="compressions"),
    FigureSpec("fig3a", FIG3A.key, FIG3A.info, plot_sweep),
    FigureSpec("fig3b", FIG3B.key, FIG3B.info, plot_sweep),
    FigureSpec("table3", "bypass", table3_info, plot_table3, table=table3_html),
    FigureSpec("accuracy_vs_size", None, pareto_info, plot_pareto,
               extras=("latencies", "compressions")),
    FigureSpec("hypervolume", None, hypervolume_info, plot_hypervolume,
               extras=("hypervolume",), needs="hypervolume"),
    FigureSpec("edf", None, edf_info, plot_edf, min_points=MIN_EDF_POINTS),
    FigureSpec("learning_curves", None, curves_info, plot_curves, extras=("curves",),
               needs="curves", all_budgets=True),  # a line per budget
    FigureSpec("claims_by_budget", None, claims_budget_info, plot_claims_budget,
               extras=("compressions",), all_budgets=True, min_budgets=MIN_BUDGETS),
)}


def select_figures(records: StudyRecords) -> list[FigureSpec]:
    """The figures a study gets: the paper's figure of each swept key, and accuracy vs size.

    A paper figure (sr: Figure 3a, pct3x3: Figure 3b, bypass: Table 3) needs its key among the
    study's swept keys and no other swept key taking more than one value: a search over many
    keys at once reproduces none of them, and gets accuracy vs size only. Table 2 needs
    stored compressions, the hypervolume history a multi-objective study's reference point,
    the EDF view MIN_EDF_POINTS measured points (fewer say little of a distribution), the
    learning curves stored curves, and the claims against the budget measured results at
    MIN_BUDGETS training budgets.

    Args:
        records: the study's records (Store.study_records).

    Returns:
        The figures, in registry order.
    """
    results = records.results
    keys, varying = set(swept_keys(results)), set(varying_keys(results))
    points = sum(g.top1.mean is not None for g in group_points(results, []))
    budgets = {r.budget for r in results if r.status.measured and r.budget is not None}
    return [spec for spec in FIGURES.values()
            if (spec.key is None or (spec.key in keys and varying <= {spec.key}))
            and (spec.needs is None or bool(getattr(records, spec.needs)))
            and points >= spec.min_points and len(budgets) >= spec.min_budgets]
