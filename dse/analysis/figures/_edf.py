"""A sweep read as a design space (pycls, Radosavovic et al. 2019, arXiv 1905.13214): the error
EDF, the complexity-normalised EDF, and a bootstrap good range of each metaparameter.

- EDF: F(e) = the share of the study's networks with error below e.
- Complexity-normalised EDF: each network weighted so that every size bin (ten equal bins of
  log size over the study's range) carries the same total weight; two design spaces whose
  networks differ in size then compare on error alone.
- Good range (pycls' empirical bootstrap): draw 25 % of the (value, error) pairs with
  replacement, keep the value of the lowest error, 1,000 times; the good range is the central
  95 % of those values (for choices: the most frequent choices that make up 95 %).
Errors are validation errors (1 - validation top-1): these views pick ranges, and picking is
done on the model-selection split. One point per distinct network point (its seeds' mean).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dse.analysis.figures._stats import dataset_name, group_points
from dse.core.metaparams import NAMES
from dse.core.records import ArchRecord, ResultRecord

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["MIN_EDF_POINTS", "EdfInfo", "GoodRange", "edf", "edf_info", "good_range", "normalised_edf",
           "plot_edf"]

TITLE = "Error EDF of the design space (and complexity-normalised)"
MIN_EDF_POINTS = 10  # a study gets the view with this many measured points (a search's do)
SIZE_BINS = 10
BOOTSTRAP_DRAWS = 1000
BOOTSTRAP_SHARE = 0.25
COVER = 0.95


def edf(errors: Sequence[float], weights: Sequence[float] | None = None
        ) -> list[tuple[float, float]]:
    """(error, share of the weight at or below it), by error: the empirical distribution."""
    weights = list(weights) if weights is not None else [1.0] * len(errors)
    total = sum(weights)
    steps, acc = [], 0.0
    for error, weight in sorted(zip(errors, weights, strict=True)):
        acc += weight
        steps.append((error, acc / total))
    return steps


def normalised_edf(errors: Sequence[float], sizes: Sequence[float]) -> list[tuple[float, float]]:
    """The EDF with every log-size bin given the same total weight."""
    logs = [math.log(s) for s in sizes]
    low, high = min(logs), max(logs)
    width = (high - low) / SIZE_BINS or 1.0
    bins = [min(SIZE_BINS - 1, int((x - low) / width)) for x in logs]
    counts = Counter(bins)
    return edf(errors, [1.0 / counts[b] for b in bins])


@dataclass(frozen=True)
class GoodRange:
    """Where the best networks' values of one metaparameter lie (bootstrap, 95 %)."""

    key: str
    best: Any  # the value of the lowest error
    low: Any = None  # numeric keys: the range
    high: Any = None
    choices: tuple[Any, ...] = ()  # categorical keys: the choices that make up 95 %
    n: int = 0  # networks it was estimated from

    def text(self) -> str:
        """'[0.25, 0.75]' or '{simple, none}'."""
        if self.choices:
            return "{" + ", ".join(map(str, self.choices)) + "}"
        return f"[{self.low:.4g}, {self.high:.4g}]"


def good_range(key: str, values: Sequence[Any], errors: Sequence[float], *,
               seed: int = 0) -> GoodRange:
    """The bootstrap good range of one metaparameter (module docstring); seeded, so the same
    study gives the same range."""
    rng = random.Random(seed)
    pairs = list(zip(values, errors, strict=True))
    take = max(1, round(BOOTSTRAP_SHARE * len(pairs)))
    winners = [min(rng.choices(pairs, k=take), key=lambda p: p[1])[0]
               for _ in range(BOOTSTRAP_DRAWS)]
    best = min(pairs, key=lambda p: p[1])[0]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        ordered = sorted(winners)
        cut = (1 - COVER) / 2
        return GoodRange(key, best, ordered[int(cut * len(ordered))],
                         ordered[min(len(ordered) - 1, int((1 - cut) * len(ordered)))],
                         n=len(pairs))
    chosen, covered = [], 0
    for choice, count in Counter(winners).most_common():
        if covered >= COVER * len(winners):
            break
        chosen.append(choice)
        covered += count
    return GoodRange(key, best, choices=tuple(chosen), n=len(pairs))


@dataclass(frozen=True)
class EdfInfo:
    """Plot data of the EDFs, and the good range of each metaparameter that varies."""

    dataset: str
    errors: list[float]  # validation error of each network point
    sizes: list[float]  # its size in MB
    plain: list[tuple[float, float]]
    normalised: list[tuple[float, float]]
    ranges: list[GoodRange]
    title: str = TITLE

    def caption(self) -> str:
        """What the figure shows (plain text)."""
        ranges = "; ".join(f"{r.key} {r.text()}" for r in self.ranges) or "none vary"
        return (f"Share of the study's {len(self.errors)} networks on {self.dataset} with "
                "validation error below x, plain and with every log-size bin weighted alike "
                f"(pycls). Bootstrap good ranges (95 %): {ranges}.")

    def rows(self) -> list[dict[str, Any]]:
        """CSV rows: each network's error and both EDF values, then each good range."""
        normal = dict(self.normalised)
        rows: list[dict[str, Any]] = [
            {"kind": "edf", "error": e, "edf": f, "normalised_edf": normal.get(e)}
            for e, f in self.plain]
        rows += [{"kind": "good_range", "key": r.key, "best": r.best, "low": r.low,
                  "high": r.high, "choices": " ".join(map(str, r.choices)), "n": r.n}
                 for r in self.ranges]
        return rows


def edf_info(results: Sequence[ResultRecord],
             archs: Mapping[str, ArchRecord] | Iterable[ArchRecord]) -> EdfInfo:
    """EDFs and good ranges of a study (points without a validation top-1 or size left out).

    Args:
        results: the study's results.
        archs: the networks, by fingerprint or as a list.

    Returns:
        The plot data.
    """
    groups = [g for g in group_points(results, archs)
              if g.val1.mean is not None and g.size_mb is not None]
    errors = [1.0 - (g.val1.mean or 0.0) for g in groups]
    sizes = [g.size_mb or 0.0 for g in groups]
    ranges = []
    for key in NAMES:
        values = [g.arch.get(key) for g in groups]
        if len(groups) >= 2 and None not in values and len(set(values)) > 1:
            ranges.append(good_range(key, values, errors))
    return EdfInfo(dataset_name(results), errors, sizes, edf(errors) if errors else [],
                   normalised_edf(errors, sizes) if errors else [], ranges)


def plot_edf(info: EdfInfo) -> go.Figure:
    """Draw both EDFs as steps against validation error.

    Args:
        info: from edf_info.

    Returns:
        The Plotly figure.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, steps, color in (("EDF", info.plain, "#1f77b4"),
                               ("complexity-normalised EDF", info.normalised, "#d62728")):
        fig.add_scatter(x=[e for e, _ in steps], y=[f for _, f in steps], name=name,
                        mode="lines", line={"shape": "hv", "color": color})
    fig.update_xaxes(title="validation error (1 - top-1)", tickformat=".0%")
    fig.update_yaxes(title="share of networks with lower error", range=[0, 1.02],
                     tickformat=".0%")
    fig.update_layout(title=f"{info.title}: {info.dataset}", template="plotly_white",
                      height=480, legend={"orientation": "h", "y": -0.2})
    return fig
