"""The sections every study gets beside its figures: the summary and the paper-claim verdicts.

Like a figure, each is a data step (StudyRecords -> an info with title, caption() and rows())
and its renderings: HTML for the report, Markdown for the dashboard's note, text for the end of
a run. `study_text` and `study_note` put a study's sections (and figures' texts) together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dse.analysis.figures import _summary as summaries
from dse.analysis.figures._select import select_figures
from dse.analysis.figures._verdicts import verdicts_html, verdicts_markdown, verdicts_text
from dse.analysis.study_verdicts import study_verdicts
from dse.analysis.verdicts import Verdict
from dse.core.study_records import StudyRecords

__all__ = ["SECTIONS", "SectionSpec", "SummaryInfo", "VerdictsInfo", "study_note", "study_text"]

SUMMARY_CAPTION = "Test accuracy: mean ± sd over seeds; size in MB = 2^20 bytes."
VERDICTS_CAPTION = (
    "Each claim compares two values of one metaparameter, each (point, seed) counted once; "
    "effect = difference of means over seeds, with Welch's 95 % interval. Every accuracy "
    "claim is judged on test top-1 (primary) and on test top-5 (metric); 'paper's metric' is "
    "what the paper stated it in (Figure 3: top-5). 'No better' claims allow a 1 pp margin. "
    "A study trained at several budgets is judged at each apart, and 'stability' says whether "
    "the verdict holds as the budget grows: stable, settles at B (undecided below B), flips at "
    "B, undecided, or one budget. A claim this study's points cannot test is 'not tested'. "
    "Every column: verdicts.csv.")
COMPRESSION_CAPTION = (
    " Table 2 claims compare each compressed network with the same trial at 32 bits, network "
    "by network: the accuracy drop (paired t interval, 1 pp allowed) and the size ratio (t "
    "interval over trials, against the paper's 7.3x and 10.2x); 2 trials of a network at least.")


@dataclass(frozen=True)
class SummaryInfo:
    """The summary section's data: every point over seeds, the best point, the front."""

    summary: summaries.StudySummary
    title: str = "Summary: every point over seeds"

    def caption(self) -> str:
        """What the section shows (plain text)."""
        return SUMMARY_CAPTION

    def rows(self) -> list[dict[str, Any]]:
        """None of its own: its CSV is the store's results.csv (written by the report)."""
        return []


@dataclass(frozen=True)
class VerdictsInfo:
    """The verdicts section's data: a verdict on every claim the study can test."""

    verdicts: list[Verdict]
    compressed: bool  # the study has compressions: Table 2's claims are judged too
    title: str = "Paper claims: reproduced, contradicted or not"

    def caption(self) -> str:
        """What the section shows (plain text)."""
        return VERDICTS_CAPTION + (COMPRESSION_CAPTION if self.compressed else "")

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows: every column of every verdict."""
        return [v.to_dict() for v in self.verdicts]


def _summary(records: StudyRecords) -> SummaryInfo:
    """The summary's data step."""
    return SummaryInfo(summaries.study_summary(records.study, records.results, records.archs))


def _summary_markdown(info: SummaryInfo, figures: Sequence[tuple[str, str]]) -> str:
    """The summary in the dashboard's note, listing the figures shown with it."""
    return summaries.summary_markdown(info.summary, figures=figures)


def _summary_text(info: SummaryInfo, title: str, front: bool) -> str:
    """The summary at the end of a run: a search's Pareto front, else every point."""
    return (summaries.front_text if front else summaries.summary_text)(info.summary, title=title)


def _verdicts(records: StudyRecords) -> VerdictsInfo:
    """The verdicts' data step."""
    return VerdictsInfo(study_verdicts(records), bool(records.compressions))


@dataclass(frozen=True)
class SectionSpec:
    """One section of every study's pages: its name, data step, renderings and files."""

    name: str  # the page anchor; its CSV is <name>.csv when `files` names that
    info: Callable[[StudyRecords], Any]  # the data step: an info with title, caption(), rows()
    html: Callable[[Any], str]  # the report's
    markdown: Callable[[Any, Sequence[tuple[str, str]]], str]  # the note's: (info, figures)
    text: Callable[[Any, str, bool], str]  # the terminal's: (info, title, front), as study_text
    files: tuple[str, ...]  # the data files the report lists under it

    def data(self, records: StudyRecords) -> Any:
        """Run the data step on the study's records."""
        return self.info(records)


SECTIONS: dict[str, SectionSpec] = {spec.name: spec for spec in (
    SectionSpec("summary", _summary, lambda i: summaries.summary_html(i.summary), _summary_markdown,
                _summary_text, files=("results.csv",)),
    SectionSpec("verdicts", _verdicts, lambda i: verdicts_html(i.verdicts),
                lambda i, _figures: verdicts_markdown(i.verdicts),
                lambda i, _title, _front: verdicts_text(i.verdicts), files=("verdicts.csv",)),
)}


def study_text(records: StudyRecords, *, title: str, front: bool = False) -> str:
    """What the end of a run prints: the summary, each figure's text (Table 2), the verdicts.

    Args:
        records: the study's records (Store.study_records).
        title: the summary's first line.
        front: show a search's Pareto front instead of every point.

    Returns:
        The text, without a trailing newline.
    """
    summary, judged = SECTIONS["summary"], SECTIONS["verdicts"]
    texts = [summary.text(summary.data(records), title, front)]
    texts += [spec.text(spec.data(records)) for spec in select_figures(records) if spec.text]
    texts.append(judged.text(judged.data(records), title, front))
    return "\n".join(texts)


def study_note(records: StudyRecords, *, figures: Sequence[tuple[str, str]] = ()) -> str:
    """The dashboard's study note: every section in Markdown.

    Args:
        records: the study's records (Store.study_records).
        figures: (title, caption) of each figure published with it.

    Returns:
        The Markdown text.
    """
    return "\n".join(spec.markdown(spec.data(records), figures) for spec in SECTIONS.values())
