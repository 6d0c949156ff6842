"""Figures of a study, from its records: one module per figure, a pure data step + drawing.

Data steps take ResultRecord lists and ArchRecords (as dse.store returns them) and give plain
dataclasses with `rows()` for CSV; drawing steps turn those into Plotly figures. The registry
(`select_figures` picks a study's entries) carries each figure's steps and how it goes into an
HTML page. Nothing here imports Optuna, torch or SQLAlchemy; Plotly is imported only when drawing.
"""

from __future__ import annotations

from dse.analysis.figures._export import Section, compact, render_page, write_csv, write_static
from dse.analysis.figures._select import FigureSpec, select_figures
from dse.analysis.figures._stats import (
    MEASURED_STATUSES,
    PointGroup,
    Stat,
    group_points,
    swept_keys,
    varying_keys,
)
from dse.analysis.figures._summary import (
    StudySummary,
    front_text,
    study_summary,
    summary_html,
    summary_markdown,
    summary_text,
)
from dse.analysis.figures._verdicts import verdicts_html, verdicts_markdown, verdicts_text

__all__ = [
    "MEASURED_STATUSES",
    "FigureSpec",
    "PointGroup",
    "Section",
    "Stat",
    "StudySummary",
    "compact",
    "front_text",
    "group_points",
    "render_page",
    "select_figures",
    "study_summary",
    "summary_text",
    "summary_html",
    "summary_markdown",
    "swept_keys",
    "varying_keys",
    "verdicts_html",
    "verdicts_markdown",
    "verdicts_text",
    "write_csv",
    "write_static",
]
