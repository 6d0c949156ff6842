"""95 % t intervals and the sample sizes that would narrow them (pure; scipy's t quantile only).

Two intervals serve every claim: Welch's for the difference of two independent means (seeds on
each side of a paper claim), and the one-sample t interval (per-trial differences of a paired
comparison, or per-trial ratios). Each returns (centre, half-width, degrees of freedom); the
sample-size helpers answer "how many would decide it at this spread".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["MAX_SEEDS", "seeds_needed", "samples_needed", "t_interval", "t_quantile", "welch_interval"]

LEVEL = 0.975  # upper quantile of a two-sided 95 % interval
MAX_SEEDS = 1000  # beyond this, "would need more seeds" is not a useful answer


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile (scipy; imported here so that importing this module stays light)."""
    from scipy.stats import t

    return float(t.ppf(p, df))


def welch_interval(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """Difference of the means of a and b, with the half-width and the Welch-Satterthwaite degrees
    of freedom of its 95 % interval (unequal variances).

    Args:
        a: one side (two or more values).
        b: the other side (two or more values).

    Returns:
        (mean of a - mean of b, half-width, degrees of freedom).
    """
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    diff = statistics.fmean(a) - statistics.fmean(b)
    if va + vb == 0:
        return diff, 0.0, float(len(a) + len(b) - 2)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return diff, t_quantile(LEVEL, df) * math.sqrt(va + vb), df


def t_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean of two or more values, and the half-width and degrees of freedom of its one-sample
    95 % t interval (half-width 0 when the values are all equal).

    Args:
        values: the sample, e.g. per-trial differences of a paired comparison.

    Returns:
        (mean, half-width, degrees of freedom).
    """
    if len(values) < 2:
        raise ValueError(f"a t interval needs at least 2 values, got {len(values)}")
    mean, sd, df = statistics.fmean(values), statistics.stdev(values), len(values) - 1
    if sd == 0:
        return mean, 0.0, float(df)
    return mean, t_quantile(LEVEL, df) * sd / math.sqrt(len(values)), float(df)


def samples_needed(values: Sequence[float], distance: float) -> int | None:
    """Values for the one-sample interval's half-width to fall below `distance` at this spread.

    Args:
        values: the sample so far (two or more).
        distance: how far the mean lies from the threshold it is compared with.

    Returns:
        The sample size, or None when the distance is 0 or more than MAX_SEEDS would be needed.
    """
    sd = statistics.stdev(values)
    if distance <= 0:
        return None
    for n in range(len(values) + 1, MAX_SEEDS + 1):
        if t_quantile(LEVEL, n - 1) * sd / math.sqrt(n) < distance:
            return n
    return None


def seeds_needed(a: Sequence[float], b: Sequence[float], distance: float) -> int | None:
    """Values per side for Welch's interval of the difference to fall below `distance` in
    half-width, were both sides to keep their spreads (the same interval the verdict uses).

    Args:
        a: one side so far (two or more values).
        b: the other side so far (two or more values).
        distance: how far the difference of means lies from the threshold it is compared with.

    Returns:
        The size per side, or None when the distance is 0 or more than MAX_SEEDS would be needed.
    """
    va, vb = statistics.variance(a), statistics.variance(b)
    if distance <= 0:
        return None
    for n in range(max(len(a), len(b)) + 1, MAX_SEEDS + 1):
        if va + vb == 0:
            return n
        df = (n - 1) * (va + vb) ** 2 / (va**2 + vb**2)  # Welch-Satterthwaite at n per side
        if t_quantile(LEVEL, df) * math.sqrt((va + vb) / n) < distance:
            return n
    return None
