"""`+sweep=claims`: exactly the points the paper's claims compare, each network once, derived
from the one table of what each claim compares (dse.core.claim_points); overrides that drop a
claim's point are refused before anything is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run_module
from figures.figrecords import net, records, result

from dse.analysis.claims import Outcome
from dse.analysis.paper_claims import PAPER_CLAIMS, PaperClaim
from dse.cli import CONF_DIR, compose, to_plain
from dse.core.claim_points import COMPARISONS, claim_points
from dse.core.config import RunConfig, run_config
from dse.core.expand import expand, fingerprint
from dse.core.metaparams import NAMES


def _config(*overrides: str) -> RunConfig:
    """The run configuration of `+sweep=claims` with `overrides` (nothing is opened)."""
    return run_config(to_plain(compose("config", ["+sweep=claims", *overrides])))


def _fingerprint(cfg: RunConfig, point: dict[str, Any]) -> str:
    """The fingerprint of a point's network in this run."""
    return fingerprint(expand(cfg.arch_for(point)))


def _sides(claim: PaperClaim) -> list[dict[str, Any]]:
    """The claim's two points: its own key, a and b in the context the paper compared them."""
    context = COMPARISONS[claim.id].context
    return [{**context, claim.key: claim.a}, {**context, claim.key: claim.b}]


def test_paper_claims_read_what_they_compare_from_the_core_table() -> None:
    assert [c.id for c in PAPER_CLAIMS] == list(COMPARISONS)
    for claim in PAPER_CLAIMS:
        assert (claim.key, claim.a, claim.b) == COMPARISONS[claim.id].compared, claim.id


@pytest.mark.parametrize("base", [(), ("arch.sr=0.25", "arch.pct3x3=0.75", "arch.bypass=simple"),
                                  ("arch.base_e=16", "arch.incr_e=8")])
def test_points_are_every_claims_sides_once_per_network(base: tuple[str, ...]) -> None:
    cfg = _config(*base)
    points = cfg.sweep.points()
    have = [_fingerprint(cfg, p) for p in points]
    wanted = {_fingerprint(cfg, side) for claim in PAPER_CLAIMS for side in _sides(claim)}
    assert len(set(have)) == len(have) == len(wanted) and set(have) == wanted
    assert len(points) < 2 * len(PAPER_CLAIMS)  # shared sides run once
    for claim in PAPER_CLAIMS:
        for side in _sides(claim):
            archs = [cfg.arch_for(p).to_dict() for p in points]
            assert any(all(a[k] == v for k, v in side.items()) for a in archs), (claim.id, side)


def test_each_claims_sides_differ_in_its_key_alone() -> None:
    cfg = _config()
    for claim in PAPER_CLAIMS:
        a, b = (cfg.arch_for(side).to_dict() for side in _sides(claim))
        assert [k for k in NAMES if a[k] != b[k]] == [claim.key], claim.id


def test_shared_sides_are_kept_once_in_claim_order() -> None:
    cfg = _config()
    derived = claim_points(cfg.arch.to_dict())
    assert cfg.sweep.points() == [c.point for c in derived] == _config().sweep.points()
    rise, simple = (next(c for c in PAPER_CLAIMS if c.id == i) for i in ("fig3a_rise", "table3_simple"))
    vanilla = _sides(rise)[1]
    assert _fingerprint(cfg, vanilla) == _fingerprint(cfg, _sides(simple)[1])
    shared = [c for c in derived if c.fingerprint == _fingerprint(cfg, vanilla)]
    assert len(shared) == 1 and {"fig3a_rise", "table3_simple"} <= set(shared[0].claims)
    assert shared[0].point == vanilla  # the first spelling


def test_overrides_that_keep_every_point_are_taken() -> None:
    points = _config().sweep.points()
    assert _config("+sweep.grid.bypass=[none,simple,complex]").sweep.points() == points
    extra = [*points, {"sr": 0.25, "pct3x3": 0.5, "bypass": "none"}]
    listed = "[" + ",".join("{" + ",".join(f"{k}:{v}" for k, v in p.items()) + "}"
                            for p in extra) + "]"
    assert _config(f"sweep.points={listed}").sweep.points() == extra


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("+sweep.grid.sr=[0.125,0.5]", "sweep.grid leaves out point(s) the paper's claims compare: "
         "sr=0.75 pct3x3=0.5 bypass=none (fig3a_rise, fig3a_plateau); sr=1.0 pct3x3=0.5 "
         "bypass=none (fig3a_plateau); +sweep=claims runs both points of every claim"),
        ("+sweep.grid.bypass=[none]", "bypass=simple (table3_simple, table3_simple_vs_complex, "
         "table3_simple_params)"),
        ("sweep.points=[{sr:0.125,pct3x3:0.5,bypass:none}]",
         "sweep.points lacks point(s) the paper's claims compare: sr=0.75 pct3x3=0.5 bypass=none"),
    ],
)
def test_overrides_that_drop_a_claims_point_are_refused(override: str, needle: str) -> None:
    with pytest.raises(ValueError) as info:
        _config(override)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_cli_refuses_a_dropped_point_in_one_line_and_stores_nothing(tmp_path: Path) -> None:
    out = run_module("dse.run", "+sweep=claims", "+sweep.grid.sr=[0.125,0.5]",
                     f"storage.url=sqlite:///{tmp_path}/studies.db",
                     f"study.output_dir={tmp_path}/out", timeout=300)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: sweep.grid leaves out point(s)"), lines
    assert "(fig3a_rise, fig3a_plateau)" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_a_claims_study_tests_every_claim() -> None:
    cfg = _config()
    results, archs = [], []
    for number, point in enumerate(cfg.sweep.points(), start=1):
        network = net(number, size_mb=float(number), **point)
        archs.append(network)
        results += [result(network, point, seed=seed, top1=0.5 + 0.01 * number, top5=0.9,
                           trial=len(results)) for seed in range(3)]
    verdicts = {c.id: c.judge(records(results, archs)) for c in PAPER_CLAIMS}
    assert [i for i, v in verdicts.items() if v.verdict is Outcome.NOT_TESTED] == []


@pytest.mark.parametrize("name", sorted(p.stem for p in (CONF_DIR / "sweep").glob("*.yaml")))
def test_every_shipped_sweep_loads(name: str) -> None:
    cfg = run_config(to_plain(compose("config", [f"+sweep={name}"])))
    assert cfg.sweep.name == name and cfg.total() >= 1
