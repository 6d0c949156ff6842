"""The `sweep` node: a SweepSpec, a claims sweep's points derived from the claims (pure Python).

`from_claims: true` (conf/sweep/claims.yaml) runs every point that decides one of the paper's
claims (dse.core.claim_points), each network once, for the run's base network. An override may
narrow nothing: a sweep.grid that leaves out a claim's point, or sweep.points that lack one,
is refused with the points and the claims that need them.
"""

from __future__ import annotations

from typing import Any

from dse.core.claim_points import claim_points, describe, missing_points
from dse.core.sweep import SweepSpec
from dse.core.typed import require, require_bool

__all__ = ["sweep_config"]

FIX = "+sweep=claims runs both points of every claim: drop the override, or run another sweep"


def sweep_config(values: dict[str, Any], arch: dict[str, Any]) -> SweepSpec:
    """Build the sweep from its config node; with `from_claims`, its points from the claims.

    Args:
        values: the `sweep` node as plain containers.
        arch: the run's arch keys (the base network the points override).

    Returns:
        The SweepSpec; a claims sweep lists its points (sweep.points, when set, as given).

    Raises:
        ValueError: a bad key or value, or a claim's point left out (naming it and the claim).
    """
    values = dict(values)
    from_claims = values.pop("from_claims", False)
    require_bool("sweep.from_claims", from_claims)
    if not from_claims:
        return SweepSpec.from_dict(values)
    require(values.get("kind", "grid") == "grid",
            f"sweep.from_claims needs kind grid, got {values.get('kind')!r}")
    base = {**arch, **(values.get("fixed") or {})}
    if values.get("points") is not None:  # given: they must hold every claim's networks
        sweep = SweepSpec.from_dict(values)
        lacking = missing_points(sweep.points(), base)
        require(not lacking, f"sweep.points lacks point(s) the paper's claims compare: "
                             f"{describe(lacking)}; {FIX}")
        return sweep
    needed = claim_points(base)
    dropped = [c for c in needed if not _in_grid(c.point, values.get("grid") or {})]
    require(not dropped, f"sweep.grid leaves out point(s) the paper's claims compare: "
                         f"{describe(dropped)}; {FIX}")
    return SweepSpec.from_dict({**values, "points": [c.point for c in needed]})


def _in_grid(point: dict[str, Any], grid: dict[str, Any]) -> bool:
    """Whether each value of `point` is among the grid's values of its key (where listed)."""
    return not isinstance(grid, dict) or all(
        point[key] in values for key, values in grid.items()
        if key in point and isinstance(values, list | tuple))
