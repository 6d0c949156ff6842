"""Figures of a study, from its records: one module per figure, a pure data step + drawing.

Data steps take ResultRecord lists and ArchRecords (as dse.store returns them) and give plain
dataclasses with `rows()` for CSV; drawing steps turn those into Plotly figures. Nothing here
imports Optuna, torch or SQLAlchemy; Plotly is imported only when drawing.
"""

from __future__ import annotations

from dse.figures._export import (
    STATIC_FORMATS,
    Section,
    compact,
    render_page,
    write_csv,
    write_static,
)
from dse.figures._fig3a import fig3a_info, plot_fig3a
from dse.figures._fig3b import fig3b_info, plot_fig3b
from dse.figures._paper import (
    FIG3A_PAPER,
    FIG3B_PAPER,
    PAPER_SOURCE,
    TABLE3_PAPER,
    PaperPoint,
    PaperReference,
    PaperRow,
)
from dse.figures._pareto import ParetoInfo, ParetoPoint, pareto_front, pareto_info, plot_pareto
from dse.figures._select import FIGURES, FigureData, FigureSpec, select_figures
from dse.figures._stats import (
    MEASURED_STATUSES,
    PointGroup,
    Stat,
    group_points,
    stat,
    swept_keys,
    varying_keys,
)
from dse.figures._summary import StudySummary, study_summary, summary_html, summary_markdown
from dse.figures._sweep import SweepInfo, SweepPoint
from dse.figures._table3 import Table3Info, Table3Row, plot_table3, table3_html, table3_info

__all__ = [
    "FIG3A_PAPER",
    "FIG3B_PAPER",
    "FIGURES",
    "MEASURED_STATUSES",
    "PAPER_SOURCE",
    "STATIC_FORMATS",
    "TABLE3_PAPER",
    "FigureData",
    "FigureSpec",
    "PaperPoint",
    "PaperReference",
    "PaperRow",
    "ParetoInfo",
    "ParetoPoint",
    "PointGroup",
    "Section",
    "Stat",
    "StudySummary",
    "SweepInfo",
    "SweepPoint",
    "Table3Info",
    "Table3Row",
    "compact",
    "fig3a_info",
    "fig3b_info",
    "group_points",
    "pareto_front",
    "pareto_info",
    "plot_fig3a",
    "plot_fig3b",
    "plot_pareto",
    "plot_table3",
    "render_page",
    "select_figures",
    "stat",
    "study_summary",
    "summary_html",
    "summary_markdown",
    "swept_keys",
    "table3_html",
    "table3_info",
    "varying_keys",
    "write_csv",
    "write_static",
]
