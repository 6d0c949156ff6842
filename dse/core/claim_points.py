"""What each of the paper's claims compares, and the points that decide them (pure Python).

A claim (Figure 3a, 3b, Table 3) compares value `a` of one metaparameter with value `b`, the
other swept metaparameters held where the paper held them: Figure 3a at pct3x3 0.5 and Figure
3b at SR 0.5, both without bypass (Sec. 5.2, 5.3); Table 3 on vanilla SqueezeNet, SR 0.125 and
pct3x3 0.5 (Sec. 6). COMPARISONS is the one place these values are written:
dse.analysis.paper_claims reads each claim's key, a and b from it, and `+sweep=claims` runs
`claim_points`, every claim's two sides in its context, each network once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dse.core.expand import expand, fingerprint
from dse.core.metaparams import NAMES
from dse.core.spec import ArchSpec
from dse.core.sweep import point_label

__all__ = ["COMPARISONS", "ClaimPoint", "Comparison", "claim_points", "describe", "missing_points"]


@dataclass(frozen=True)
class Comparison:
    """What one claim compares: metaparameter `key` at `a` against `b`, the others at `context`."""

    key: str  # the metaparameter compared
    a: Any
    b: Any
    context: Mapping[str, Any]  # the other swept metaparameters, as the paper held them

    def __post_init__(self) -> None:
        """Key and context name metaparameters; the context does not set the key."""
        for name in (self.key, *self.context):
            if name not in NAMES:
                raise ValueError(f"comparison key {name!r} is not a metaparameter; valid: "
                                 f"{', '.join(NAMES)}")
        if self.key in self.context:
            raise ValueError(f"comparison of {self.key} sets {self.key} in its context too")

    @property
    def compared(self) -> tuple[str, Any, Any]:
        """(key, a, b), in PaperClaim's order."""
        return self.key, self.a, self.b

    def sides(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The two points compared: the context with the key at `a`, and at `b` (keys in
        table order, e.g. sr, pct3x3, bypass)."""
        a, b = {**self.context, self.key: self.a}, {**self.context, self.key: self.b}
        return {k: a[k] for k in NAMES if k in a}, {k: b[k] for k in NAMES if k in b}


FIGURE_3A = {"pct3x3": 0.5, "bypass": "none"}  # SR varies (Sec. 5.2)
FIGURE_3B = {"sr": 0.5, "bypass": "none"}  # pct3x3 varies (Sec. 5.3)
TABLE_3 = {"sr": 0.125, "pct3x3": 0.5}  # vanilla SqueezeNet; bypass varies (Sec. 6)

# claim id (as dse.analysis.paper_claims.PAPER_CLAIMS names it) -> what it compares
COMPARISONS: dict[str, Comparison] = {
    "fig3a_rise": Comparison("sr", 0.75, 0.125, FIGURE_3A),
    "fig3a_plateau": Comparison("sr", 1.0, 0.75, FIGURE_3A),
    "fig3b_plateau": Comparison("pct3x3", 0.99, 0.5, FIGURE_3B),
    "fig3b_drop": Comparison("pct3x3", 0.25, 0.01, FIGURE_3B),
    "table3_simple": Comparison("bypass", "simple", "none", TABLE_3),
    "table3_complex": Comparison("bypass", "complex", "none", TABLE_3),
    "table3_simple_vs_complex": Comparison("bypass", "simple", "complex", TABLE_3),
    "table3_simple_params": Comparison("bypass", "simple", "none", TABLE_3),
    "table3_complex_params": Comparison("bypass", "complex", "none", TABLE_3),
}


@dataclass(frozen=True)
class ClaimPoint:
    """One network the claims compare, and which claims compare it."""

    point: dict[str, Any]  # metaparameters over the base network
    claims: tuple[str, ...]  # claim ids, in COMPARISONS' order
    fingerprint: str  # of the expanded network (dse.core.expand.fingerprint)


def _fingerprint(base: Mapping[str, Any], point: Mapping[str, Any]) -> str:
    """The fingerprint of `point` over the arch keys `base`."""
    return fingerprint(expand(ArchSpec.from_dict({**base, **point})))


def claim_points(base: Mapping[str, Any],
                 comparisons: Mapping[str, Comparison] = COMPARISONS) -> list[ClaimPoint]:
    """Every point the claims compare, once per network, in claim order (a then b).

    Args:
        base: the arch keys the points override (the run's arch, then sweep.fixed).
        comparisons: claim id -> what it compares.

    Returns:
        One ClaimPoint per distinct fingerprint; where two sides expand to the same network
        (SR 0.125 of Figure 3a and Table 3's vanilla), the first spelling is kept.
    """
    found: dict[str, ClaimPoint] = {}
    for claim, comparison in comparisons.items():
        for point in comparison.sides():
            digest = _fingerprint(base, point)
            known = found.get(digest)
            if known is None:
                found[digest] = ClaimPoint(point, (claim,), digest)
            elif claim not in known.claims:
                found[digest] = ClaimPoint(known.point, (*known.claims, claim), digest)
    return list(found.values())


def missing_points(points: Iterable[Mapping[str, Any]], base: Mapping[str, Any],
                   comparisons: Mapping[str, Comparison] = COMPARISONS) -> list[ClaimPoint]:
    """The claims' points whose network none of `points` gives (over the same `base`)."""
    have = {_fingerprint(base, p) for p in points}
    return [c for c in claim_points(base, comparisons) if c.fingerprint not in have]


def describe(points: Iterable[ClaimPoint]) -> str:
    """Points with the claims that need them, e.g. 'sr=1.0 pct3x3=0.5 (fig3a_plateau)'."""
    return "; ".join(f"{point_label(c.point)} ({', '.join(c.claims)})" for c in points)
