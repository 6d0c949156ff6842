"""Sweep definitions: the shipped sweeps, grid points and validation."""

from __future__ import annotations

import pytest

from dse.cli import compose, to_plain
from dse.core.sweep import Param, SweepSpec, point_key


@pytest.mark.parametrize(
    ("name", "key", "values"),
    [
        ("squeeze_ratio", "sr", [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0]),
        ("pct3x3", "pct3x3", [0.01, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 0.99]),
        ("bypass", "bypass", ["none", "simple", "complex"]),
    ],
)
def test_shipped_grid_sweeps(name: str, key: str, values: list[object]) -> None:
    sweep = SweepSpec.from_dict(to_plain(compose("config", [f"+sweep={name}"]).sweep))
    assert sweep.kind == "grid" and sweep.grid == {key: values}
    assert [p[key] for p in sweep.points()] == values


def test_figure_sweeps_fix_the_other_metaparameter() -> None:
    sr = SweepSpec.from_dict(to_plain(compose("config", ["+sweep=squeeze_ratio"]).sweep))
    assert sr.fixed == {"pct3x3": 0.5}
    arch = sr.arch_for({"base_e": 32, "pct3x3": 0.9}, {"sr": 0.25})
    assert arch.meta.pct3x3 == 0.5 and arch.meta.sr == 0.25
    pct = SweepSpec.from_dict(to_plain(compose("config", ["+sweep=pct3x3"]).sweep))
    assert pct.fixed == {"sr": 0.5}


def test_pareto_is_a_two_objective_search_over_all_metaparameters() -> None:
    sweep = SweepSpec.from_dict(to_plain(compose("config", ["+sweep=pareto"]).sweep))
    assert sweep.kind == "search" and sweep.directions == ["maximize", "minimize"]
    assert set(sweep.space) == {"base_e", "incr_e", "freq", "sr", "pct3x3", "bypass"}
    assert sweep.space["bypass"].choices == ("none", "simple", "complex")
    assert sweep.space["base_e"].integer and not sweep.space["sr"].integer


def test_no_sweep_runs_one_point() -> None:
    sweep = SweepSpec.from_dict(to_plain(compose("config", []).sweep))
    assert sweep.points() == [{}]


def test_cartesian_grid_and_point_keys() -> None:
    sweep = SweepSpec(grid={"sr": [0.25, 0.5], "bypass": ["none", "simple"]})
    assert len(sweep.points()) == 4
    assert point_key({"sr": 0.5, "bypass": "none"}) == point_key({"bypass": "none", "sr": 0.5})


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"kind": "random"}, "sweep.kind must be one of grid, search"),
        ({"grid": {"dropout": [0.1]}}, "sweep key 'dropout' cannot be swept"),
        ({"grid": {"sr": []}}, "sweep.grid.sr must be a non-empty list"),
        ({"objectives": ["speed"]}, "sweep.objectives must be from accuracy, size_mb, macs"),
        ({"kind": "search"}, "a search sweep needs sweep.space"),
        ({"space": {"sr": {"low": 1, "high": 0}}}, "sweep.space.sr needs numbers low < high"),
        ({"srr": 1}, "unknown sweep key(s) ['srr']"),
    ],
)
def test_bad_sweeps(values: dict[str, object], needle: str) -> None:
    with pytest.raises(ValueError) as info:
        SweepSpec.from_dict(values)
    assert needle in str(info.value)


def test_param_forms() -> None:
    assert Param.from_dict("bypass", ["none", "simple"]).choices == ("none", "simple")
    p = Param.from_dict("sr", {"low": 0.1, "high": 1.0, "log": True})
    assert (p.low, p.high, p.log) == (0.1, 1.0, True)


def test_point_label_and_key() -> None:
    from dse.core.sweep import point_key, point_label

    assert point_label({"sr": 0.25, "bypass": "simple"}) == "sr=0.25 bypass=simple"
    assert point_label({}) == "base"
    assert point_key({"b": 1, "a": 0.5}) == point_key({"a": 0.5, "b": 1}) == '{"a":0.5,"b":1}'
