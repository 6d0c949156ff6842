"""Figures of a study, from its records: one module per figure, a pure data step + drawing.

Data steps take a study's StudyRecords (Store.study_records) and give plain dataclasses with
`rows()` for CSV; drawing steps turn those into Plotly figures. The registry (`select_figures`
picks a study's entries) carries each figure's steps and how it goes into an HTML page; the
summary and the verdicts are sections of every study (SECTIONS), with a data step and their
renderings too. Nothing here imports Optuna, torch or SQLAlchemy; Plotly only when drawing.
"""

from __future__ import annotations

from dse.analysis.figures._export import Section, compact, render_page, write_csv, write_static
from dse.analysis.figures._pareto import pareto_front
from dse.analysis.figures._sections import SECTIONS, SectionSpec, study_note, study_text
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
    "SECTIONS",
    "FigureSpec",
    "PointGroup",
    "Section",
    "SectionSpec",
    "Stat",
    "StudySummary",
    "compact",
    "front_text",
    "group_points",
    "pareto_front",
    "render_page",
    "select_figures",
    "study_note",
    "study_summary",
    "study_text",
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
