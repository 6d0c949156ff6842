"""Drawing steps of the paper-claim verdicts (the data step is dse.analysis.verdicts): text for the end
of a run, Markdown for the dashboard's note, an HTML table for the report."""

from __future__ import annotations

from collections.abc import Sequence

from dse.analysis.claims import Outcome, Unit, Verdict
from dse.analysis.figures._summary import aligned_lines, html_table

__all__ = ["VERDICT_COLUMNS", "verdicts_html", "verdicts_markdown", "verdicts_text"]

VERDICT_COLUMNS = ("claim", "paper", "this study", "effect [95% CI]", "verdict", "note")


def _side(mean: float | None, n: int, unit: Unit) -> str:
    """'61.2% (3)' (test top-1), '4.770 MB (3)' (a size, for a ratio claim), or '-'."""
    if mean is None:
        return "-"
    return f"{mean:.3f} MB ({n})" if unit is Unit.RATIO else f"{mean:.1f}% ({n})"


def _amount(value: float, unit: Unit) -> str:
    """'+1.2 pp' or '7.3x'."""
    return f"{value:.1f}x" if unit is Unit.RATIO else f"{value:+.1f} pp"


def _cells(v: Verdict) -> list[str]:
    """The displayed cells of one verdict, in VERDICT_COLUMNS order."""
    study = "-" if v.mean_a is None else \
        f"{_side(v.mean_a, v.n_a, v.unit)} vs {_side(v.mean_b, v.n_b, v.unit)}"
    effect = "-" if v.effect is None else _amount(v.effect, v.unit)
    if v.low is not None and v.high is not None:
        low, high = (_amount(x, v.unit).removesuffix(" pp") for x in (v.low, v.high))
        effect += f" [{low}, {high}]"
    note = v.note
    if v.threshold not in (None, 0.0) and v.verdict is not Outcome.NOT_TESTED:
        bound = f"target {v.threshold:.1f}x" if v.unit is Unit.RATIO else \
            f"margin {abs(v.threshold or 0):.1f} pp"
        note = bound + (f"; {note}" if note else "")
    return [f"{v.source}: {v.text}", v.paper, study, effect, v.verdict.value, note]


def verdicts_text(verdicts: Sequence[Verdict]) -> str:
    """The tested claims as aligned text, and one line naming those not tested."""
    tested = [v for v in verdicts if v.verdict is not Outcome.NOT_TESTED]
    if not tested:
        return "Paper claims: none can be tested by this study"
    lines = ["Paper claims (95 % t intervals over seeds; each (point, seed) once)",
             *aligned_lines(VERDICT_COLUMNS, [_cells(v) for v in tested])]
    untested = len(verdicts) - len(tested)
    if untested:
        lines.append(f"({untested} other claim(s) cannot be tested by this study's points)")
    return "\n".join(lines)


def verdicts_markdown(verdicts: Sequence[Verdict]) -> str:
    """The verdicts as a Markdown section (the dashboard's note)."""
    lines = ["### Paper claims", "",
             "| " + " | ".join(VERDICT_COLUMNS) + " |", "|" + "---|" * len(VERDICT_COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in _cells(v)) + " |" for v in verdicts]
    return "\n".join(lines) + "\n"


def verdicts_html(verdicts: Sequence[Verdict]) -> str:
    """The verdicts as an HTML table (the report)."""
    return html_table("verdicts", VERDICT_COLUMNS, [_cells(v) for v in verdicts],
                      row_classes=[v.verdict.value.replace(" ", "-") for v in verdicts])
