"""A study's summary: result counts, every point over seeds, the best point, the front.

The data step gives a StudySummary; the drawing steps give Markdown (the dashboard's note) and
an HTML table (the report).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from dse.analysis.figures._pareto import pareto_front
from dse.analysis.figures._stats import PointGroup, dataset_name, group_points
from dse.core.metaparams import METAPARAMETERS
from dse.core.records import ArchRecord, ResultRecord, percent
from dse.core.sweep import point_label

__all__ = ["StudySummary", "aligned_lines", "front_text", "html_table", "study_summary",
           "summary_html", "summary_markdown", "summary_text"]

COLUMNS = ("point", "budget", "n seeds", "size MB", "test top-1", "test top-5", "statuses")


@dataclass(frozen=True)
class StudySummary:
    """What a study holds, in numbers."""

    study: str
    dataset: str
    results: int
    statuses: dict[str, int]  # status -> count
    points: list[PointGroup]  # in the study's order
    best: PointGroup | None  # highest mean test top-1 (at the largest training budget)
    # Pareto front of (size, mean validation top-1), by size, at the largest budget: picked on
    # the model-selection split, so the test accuracy it reports stays an honest estimate
    front: list[PointGroup]


def study_summary(study: str, results: Sequence[ResultRecord],
                  archs: Mapping[str, ArchRecord] | Iterable[ArchRecord]) -> StudySummary:
    """Summarise a study's results.

    Args:
        study: the study's name.
        results: its results (any status).
        archs: the networks, by fingerprint or as a list.

    Returns:
        The summary.
    """
    points = group_points(results, archs)
    largest = max((g.budget for g in points if g.budget is not None), default=None)
    final = [g for g in points if g.budget in (largest, None)]
    scored = [g for g in final if g.val1.mean is not None and g.size_mb is not None]
    pairs = [(g.size_mb or 0.0, g.val1.mean or 0.0) for g in scored]
    best = max((g for g in final if g.top1.mean is not None),
               key=lambda g: g.top1.mean or 0.0, default=None)
    return StudySummary(
        study=study, dataset=dataset_name(results), results=len(results),
        statuses=dict(Counter(r.status.value for r in results)), points=points, best=best,
        front=[scored[i] for i in pareto_front(pairs)],
    )


def _label(group: PointGroup) -> str:
    """'sr=0.25' (or 'base' for the empty point)."""
    return point_label(group.point)


def _cells(group: PointGroup) -> list[str]:
    """The displayed cells of one point, in COLUMNS order."""
    size = "-" if group.size_mb is None else f"{group.size_mb:.3f}"
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(group.statuses.items()))
    budget = "-" if group.budget is None else str(group.budget)
    return [_label(group), budget, str(group.n), size, group.top1.as_percent(),
            group.top5.as_percent(), statuses]


def summary_markdown(summary: StudySummary, *,
                     figures: Sequence[tuple[str, str]] = ()) -> str:
    """The summary as Markdown (optuna-dashboard's study note).

    Args:
        summary: from study_summary.
        figures: (title, caption) of each figure shown with it.

    Returns:
        The Markdown text.
    """
    counts = ", ".join(f"{v} {k}" for k, v in sorted(summary.statuses.items()))
    lines = [f"## dse summary: {summary.study}", "",
             f"Dataset **{summary.dataset}**; {summary.results} results ({counts}). "
             "Test accuracy: mean ± sd over seeds; size in MB = 2^20 bytes (32-bit weights).",
             ""]
    if summary.best is not None:
        at = "" if summary.best.budget is None else f", {summary.best.budget} epochs"
        lines += [f"Best test top-1: **{_label(summary.best)}**, {summary.best.top1.as_percent()} "
                  f"at {summary.best.size_mb or 0:.3f} MB{at}.", ""]
    if summary.front:
        lines += ["Pareto front (max validation top-1, min size; picked on validation): "
                  + "; ".join(f"{_label(g)} ({g.size_mb or 0:.3f} MB)" for g in summary.front),
                  ""]
    lines += ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cells(g)) + " |" for g in summary.points]
    if figures:
        lines += ["", "### Figures", ""]
        lines += [f"- **{title}**: {caption}" for title, caption in figures]
    return "\n".join(lines) + "\n"


def summary_html(summary: StudySummary) -> str:
    """The summary's points as an HTML table.

    Args:
        summary: from study_summary.

    Returns:
        The <table> element.
    """
    return html_table("points", COLUMNS, [_cells(g) for g in summary.points])


def summary_text(summary: StudySummary, *, title: str) -> str:
    """The summary as aligned text for a terminal: one row per point, mean ± sd over seeds.

    Args:
        summary: from study_summary.
        title: the first line.

    Returns:
        The text, without a trailing newline.
    """
    return "\n".join([title, *aligned_lines(COLUMNS, [_cells(g) for g in summary.points])])


FRONT_COLUMNS = ("size MB", "val top-1", "test top-1", *METAPARAMETERS)


def _front_cells(group: PointGroup) -> list[str]:
    """One front member: size, accuracies, and each metaparameter of its network."""
    return [f"{group.size_mb or 0:.3f}", percent(group.val1.mean), percent(group.top1.mean),
            *(m.show(group.arch.get(k, group.point.get(k, "-"))) for k, m in METAPARAMETERS.items())]


def front_text(summary: StudySummary, *, title: str) -> str:
    """A search study's Pareto front as aligned text: one member per row, by size, with its
    metaparameters; picked on validation top-1, test top-1 reported for the picks.

    Args:
        summary: from study_summary.
        title: the first line.

    Returns:
        The text, without a trailing newline.
    """
    note = (f"{len(summary.front)} of {len(summary.points)} points on the Pareto front "
            "(max validation top-1, min size; test top-1 reported for the points it picks)")
    return "\n".join([title, note, *aligned_lines(FRONT_COLUMNS,
                                                  [_front_cells(g) for g in summary.front])])


def aligned_lines(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A header and rows of cells, each column padded to its widest cell (two spaces apart)."""
    widths = [max([len(c), *(len(row[i]) for row in rows)]) for i, c in enumerate(columns)]
    return ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
            *("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)]


def html_table(css_class: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *,
               row_classes: Sequence[str] | None = None, caption_html: str = "") -> str:
    """An HTML table of text cells (escaped), with a class on the table and on each row, and a
    caption when given (as HTML, its text already escaped)."""
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    classes = row_classes or [""] * len(rows)
    body = "".join((f'<tr class="{escape(k)}">' if k else "<tr>")
                   + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                   for row, k in zip(rows, classes))
    caption = f"<caption>{caption_html}</caption>" if caption_html else ""
    return (f'<table class="{escape(css_class)}">{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")
