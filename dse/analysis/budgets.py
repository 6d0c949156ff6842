"""Verdicts per training budget, and whether they hold as the budget grows (pure).

A study may train every point at several budgets (study.budgets: each a full schedule of that
many epochs); a verdict reached at 5 epochs need not survive 200. The engine
(dse.analysis.verdicts.judge_by_budget) judges each budget's results apart (`budget_groups`)
and gives every claim one word for what it does across them (`stability`):

- `stable`: every budget that decides it decides it the same way;
- `settles at B`: undecided below budget B, the same decided verdict from B on;
- `flips at B`: a decided verdict changes at budget B (reproduced, then contradicted, or back);
- `undecided`: two or more budgets test it and none decides it;
- `one budget`: a single budget tests it (nothing to hold across);
- `not tested`: no budget can test it.
A budget at which the claim is not tested is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dse.analysis.claims import Outcome, Verdict
from dse.core.records import ResultRecord

__all__ = ["DECIDED", "budget_groups", "budget_label", "stability", "verdict_series"]

DECIDED = (Outcome.REPRODUCED, Outcome.CONTRADICTED)


def budget_label(budget: int | None) -> str:
    """'20' (epochs), or '-' for results stored without a budget."""
    return "-" if budget is None else str(budget)


def budget_groups(results: Sequence[ResultRecord]) -> list[tuple[int | None, list[ResultRecord]]]:
    """A study's results by training budget, the smallest budget first.

    A result with no budget (stored before budgets; a legacy complete result reads its epochs,
    a legacy reused one does not) joins the study's only budget when it has one, so a study
    trained at one budget is one group, judged as before budgets existed. Beside two or more
    budgets such results form a group of their own, last, when any of them is measured.

    Args:
        results: the study's results (any status).

    Returns:
        (budget, its results) pairs; one (None, results) pair for a study with no budget.
    """
    budgets = sorted({r.budget for r in results if r.budget is not None})
    if len(budgets) <= 1:
        return [(budgets[0] if budgets else None, list(results))]
    groups: list[tuple[int | None, list[ResultRecord]]] = [
        (b, [r for r in results if r.budget == b]) for b in budgets]
    unknown = [r for r in results if r.budget is None]
    if any(r.status.measured for r in unknown):
        groups.append((None, unknown))
    return groups


def stability(outcomes: Iterable[tuple[int | None, Outcome]]) -> str:
    """One word for a claim's verdicts across budgets (the module docstring lists them).

    Args:
        outcomes: (budget, outcome) of each budget the claim was judged at. A budget of None
            (results stored without one) is left out beside numbered budgets: it has no place
            in their order.

    Returns:
        stable, settles at B, flips at B, undecided, one budget or not tested.
    """
    tested = [(b, Outcome(o)) for b, o in outcomes if Outcome(o) is not Outcome.NOT_TESTED]
    if any(b is not None for b, _ in tested):
        tested = sorted(((b, o) for b, o in tested if b is not None), key=lambda p: p[0] or 0)
    if not tested:
        return "not tested"
    if len(tested) == 1:
        return "one budget"
    decided = [(b, o) for b, o in tested if o in DECIDED]
    if not decided:
        return "undecided"
    for (_, before), (budget, after) in zip(decided, decided[1:]):
        if after is not before:
            return f"flips at {budget_label(budget)}"
    first = tested.index(decided[0])
    if first > 0 and all(o is decided[0][1] for _, o in tested[first:]):
        return f"settles at {budget_label(decided[0][0])}"
    return "stable"


def verdict_series(verdicts: Iterable[Verdict]) -> list[list[Verdict]]:
    """The verdicts of each (claim, metric, network), in first-seen order: one claim's verdicts
    across budgets, as the engine lists them (the rows the summary and the figure show)."""
    series: dict[tuple[str, str, str], list[Verdict]] = {}
    for v in verdicts:
        series.setdefault((v.claim, v.metric.value, v.network), []).append(v)
    return list(series.values())
