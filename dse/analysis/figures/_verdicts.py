"""Drawing steps of the paper-claim verdicts (the data step is dse.analysis.study_verdicts): text
for the end of a run, Markdown for the dashboard's note, an HTML table for the report.

Every table says the metric each verdict is on (test top-1 or top-5; size; parameters) and the
metric the paper stated the claim in. A study trained at one budget gets one row per claim and
metric. A study trained at several gets, in the text and the note, one row per claim and metric
with each budget's effect and verdict and the stability word (dse.analysis.budgets), and in the
report every verdict with its budget.
"""

from __future__ import annotations

from collections.abc import Sequence

from dse.analysis.budgets import budget_label, verdict_series
from dse.analysis.claims import Outcome, Unit, Verdict
from dse.analysis.figures._summary import aligned_lines, html_table

__all__ = ["BUDGET_COLUMNS", "VERDICT_COLUMNS", "verdicts_html", "verdicts_markdown",
           "verdicts_text"]

VERDICT_COLUMNS = ("claim", "metric", "paper", "paper's metric", "this study", "effect [95% CI]",
                   "verdict", "note")
BUDGET_COLUMNS = ("budget", "stability")  # the detail table's extra columns at several budgets
TEXT_TITLE = "Paper claims (95 % t intervals over seeds; each (point, seed) once)"


def _side(mean: float | None, n: int, unit: Unit) -> str:
    """'61.2% (3)' (test accuracy), '4.770 MB (3)' (a size, for a ratio claim), or '-'."""
    if mean is None:
        return "-"
    return f"{mean:.3f} MB ({n})" if unit is Unit.RATIO else f"{mean:.1f}% ({n})"


def _amount(value: float, unit: Unit) -> str:
    """'+1.2 pp' or '7.3x'."""
    return f"{value:.1f}x" if unit is Unit.RATIO else f"{value:+.1f} pp"


def _effect(v: Verdict) -> str:
    """'+1.2 pp [+0.3, +2.1]', '+1.2 pp' without an interval, or '-'."""
    effect = "-" if v.effect is None else _amount(v.effect, v.unit)
    if v.low is not None and v.high is not None:
        low, high = (_amount(x, v.unit).removesuffix(" pp") for x in (v.low, v.high))
        effect += f" [{low}, {high}]"
    return effect


def _claim(v: Verdict) -> str:
    """'Figure 3a: accuracy rises ...', with the network of a claim judged per network."""
    return f"{v.source}: {v.text}" + (f" [{v.network}]" if v.network else "")


def _cells(v: Verdict, *, budgets: bool = False) -> list[str]:
    """The displayed cells of one verdict, in VERDICT_COLUMNS order (+ BUDGET_COLUMNS)."""
    study = "-" if v.mean_a is None else \
        f"{_side(v.mean_a, v.n_a, v.unit)} vs {_side(v.mean_b, v.n_b, v.unit)}"
    note = v.note
    if v.threshold not in (None, 0.0) and v.verdict is not Outcome.NOT_TESTED:
        bound = f"target {v.threshold:.1f}x" if v.unit is Unit.RATIO else \
            f"margin {abs(v.threshold or 0):.1f} pp"
        note = bound + (f"; {note}" if note else "")
    cells = [_claim(v), v.metric.value, v.paper, v.paper_metric or "-", study, _effect(v),
             v.verdict.value, note]
    return cells + ([budget_label(v.budget), v.stability] if budgets else [])


def _budgets(verdicts: Sequence[Verdict]) -> list[int | None]:
    """The budgets the verdicts are at, in the engine's order (smallest first, None last)."""
    return list(dict.fromkeys(v.budget for v in verdicts))


def _by_budget(verdicts: Sequence[Verdict]) -> tuple[list[str], list[list[str]]]:
    """One row per claim, metric and network that some budget tests: each budget's effect and
    verdict, and the stability word."""
    budgets = _budgets(verdicts)
    columns = ["claim", "metric", "paper's metric",
               *(f"at {budget_label(b)} epochs" if b is not None else "no budget" for b in budgets),
               "stability"]
    rows = []
    for series in verdict_series(verdicts):
        if all(v.verdict is Outcome.NOT_TESTED for v in series):
            continue
        at = {v.budget: v for v in series}
        cells = [(f"{_effect(at[b])} {at[b].verdict.value}".removeprefix("- ") if b in at
                  else "-") for b in budgets]
        rows.append([_claim(series[0]), series[0].metric.value, series[0].paper_metric or "-",
                     *cells, series[0].stability])
    return columns, rows


def _untested(verdicts: Sequence[Verdict]) -> int:
    """How many claims no metric, network or budget of the study can test."""
    claims = dict.fromkeys(v.claim for v in verdicts)
    tested = {v.claim for v in verdicts if v.verdict is not Outcome.NOT_TESTED}
    return len([c for c in claims if c not in tested])


def verdicts_text(verdicts: Sequence[Verdict]) -> str:
    """The tested claims as aligned text, and one line naming those not tested: one row per
    claim and metric, or at several budgets one row per claim and metric across budgets."""
    tested = [v for v in verdicts if v.verdict is not Outcome.NOT_TESTED]
    if not tested:
        return "Paper claims: none can be tested by this study"
    if len(_budgets(verdicts)) > 1:
        columns, rows = _by_budget(verdicts)
        lines = [TEXT_TITLE.replace("(", "at each training budget (", 1),
                 *aligned_lines(columns, rows)]
    else:
        lines = [TEXT_TITLE, *aligned_lines(VERDICT_COLUMNS, [_cells(v) for v in tested])]
    untested = _untested(verdicts)
    if untested:
        lines.append(f"({untested} other claim(s) cannot be tested by this study's points)")
    return "\n".join(lines)


def _markdown_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table's lines ('|' in cells replaced)."""
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns),
            *("| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows)]


def verdicts_markdown(verdicts: Sequence[Verdict]) -> str:
    """The verdicts as a Markdown section (the dashboard's note): every verdict, or at several
    budgets one row per claim and metric across budgets."""
    if len(_budgets(verdicts)) > 1:
        table = _markdown_table(*_by_budget(verdicts))
    else:
        table = _markdown_table(VERDICT_COLUMNS, [_cells(v) for v in verdicts])
    return "\n".join(["### Paper claims", "", *table]) + "\n"


def verdicts_html(verdicts: Sequence[Verdict]) -> str:
    """The verdicts as an HTML table (the report): every verdict, with its budget and the
    stability word when the study has several budgets."""
    budgets = len(_budgets(verdicts)) > 1
    columns = (*VERDICT_COLUMNS, *BUDGET_COLUMNS) if budgets else VERDICT_COLUMNS
    return html_table("verdicts", columns, [_cells(v, budgets=budgets) for v in verdicts],
                      row_classes=[v.verdict.value.replace(" ", "-") for v in verdicts])
