"""Listed grid points (`sweep.points`): order, validation, the grid they fill, and the hash of
every shipped sweep, which must not change where no points are listed (stored studies open)."""

from __future__ import annotations

import pytest

from dse.cli import compose, to_plain
from dse.core.sweep import SweepSpec, stable_hash

POINTS = [{"sr": 0.75, "bypass": "none"}, {"sr": 0.125, "bypass": "simple"},
          {"sr": 0.125, "bypass": "none"}]

# stable_hash(definition()) of each shipped sweep as stored before sweep.points existed
STORED_HASHES = {"squeeze_ratio": "785a6a057c17", "pct3x3": "806f6092d47c",
                 "bypass": "1369a6f62d64", "compression": "d41db4644fbb",
                 "pareto": "342aea3fcd57", None: "b5876ca1870d"}


def _shipped(name: str | None) -> SweepSpec:
    """A shipped sweep as the config composes it."""
    return SweepSpec.from_dict(to_plain(compose("config", [f"+sweep={name}"] if name else []).sweep))


@pytest.mark.parametrize("name", list(STORED_HASHES))
def test_shipped_sweeps_hash_as_before(name: str | None) -> None:
    sweep = _shipped(name)
    assert "points" not in sweep.definition()
    assert stable_hash(sweep.definition()) == STORED_HASHES[name]


def test_squeeze_ratio_definition_is_its_old_fields() -> None:
    sweep = _shipped("squeeze_ratio")
    old = {"name": "squeeze_ratio", "kind": "grid", "grid": sweep.grid, "fixed": {"pct3x3": 0.5},
           "space": {}, "objectives": ["accuracy"], "n_trials": None}
    assert sweep.definition() == old


def test_listed_points_run_in_order_and_fill_the_grid() -> None:
    sweep = SweepSpec.from_dict({"points": POINTS})
    assert sweep.points() == POINTS
    assert sweep.grid == {"sr": [0.75, 0.125], "bypass": ["none", "simple"]}
    assert sweep.definition()["points"] == POINTS
    assert stable_hash(sweep.definition()) != stable_hash(SweepSpec.from_dict(
        {"points": POINTS[:2]}).definition())


def test_a_grid_beside_points_lists_the_values_they_may_take() -> None:
    sweep = SweepSpec.from_dict({"points": POINTS, "grid": {"sr": [0.125, 0.5, 0.75]}})
    assert sweep.points() == POINTS
    assert sweep.grid == {"sr": [0.125, 0.5, 0.75], "bypass": ["none", "simple"]}


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"points": "claims"}, "sweep.points must be a list of points"),
        ({"points": [0.5]}, "sweep.points must be a list of points"),
        ({"points": [{"dropout": 0.1}]}, "sweep key 'dropout' cannot be swept"),
        ({"points": [{"sr": 0.5}, {"sr": 0.5}]}, "sweep.points lists a point twice: sr=0.5"),
        ({"points": [{"sr": 0.5}, {"pct3x3": 0.5}]},
         "sweep.points[1] sets ['pct3x3'] but sweep.points[0] sets ['sr']"),
        ({"points": [{"sr": 0.5}], "grid": {"sr": [0.25]}},
         "sweep.points[0] has sr=0.5, not one of sweep.grid.sr [0.25]"),
        ({"points": [{"sr": 0.5}], "grid": {"bypass": ["none"]}},
         "sweep.grid.bypass is not a key of sweep.points (sr)"),
        ({"points": [{"sr": 0.5}], "kind": "search", "space": {"sr": [0.5]}},
         "sweep.points applies to grid sweeps, got kind 'search'"),
    ],
)
def test_bad_points(values: dict[str, object], needle: str) -> None:
    with pytest.raises(ValueError) as info:
        SweepSpec.from_dict(values)
    assert needle in str(info.value)
