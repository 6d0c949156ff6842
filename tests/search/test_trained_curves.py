"""A real short training stores each result's learning curve; a reused result gets a copy."""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path

import pytest

from dse.analysis.figures import select_figures
from dse.cli import compose, to_plain
from dse.core.candidate import Candidate
from dse.core.config import RunConfig, Status, run_config
from dse.report import write_report
from dse.search._objective import reject_or_reuse, train_seeds
from dse.store import open_store

# two epochs of a narrow network on 12x12 digits: seconds on one thread
TINY_NET = ("train.epochs=2", "dataset.input_size=12", "train.threads=1", "arch.base_e=16",
            "arch.incr_e=16", "arch.stem_channels=8", "study.report=false")


def _config(url: str, tmp_path: Path, *overrides: str) -> RunConfig:
    """The one-point study of the configured (tiny) network on digits, in `url`."""
    return run_config(to_plain(compose("config", [*TINY_NET, f"storage.url={url}",
                                                  f"study.output_dir={tmp_path}", *overrides])))


@pytest.mark.slow
def test_training_stores_one_curve_point_per_epoch_and_a_reuse_copies_the_curve(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    cfg = _config(url, tmp_path)
    candidate = Candidate.of(cfg.arch_for({}), {})
    with open_store(url) as store:
        store.save_arch(candidate.arch)
        outcomes = train_seeds(cfg, store, candidate, trial_numbers=[0, 1], seeds=[0, 1],
                               threads=1)
        assert [o.record.status for o in outcomes] == [Status.COMPLETE, Status.COMPLETE]
        curves = store.curves(cfg.study_name)
        assert [(p.trial_number, p.epoch) for p in curves] == [(0, 1), (0, 2), (1, 1), (1, 2)]
        for p in curves:
            assert p.val_top1 is not None and p.val_top5 is not None and p.train_loss is not None
            assert 0.0 <= p.val_top1 <= p.val_top5 <= 1.0
            assert 0.0 < p.train_loss < 5.0 and math.isfinite(p.train_loss)  # ln 10 = 2.3 at chance
        for outcome in outcomes:  # the last epoch is what the result measured and stored
            last = store.curves(cfg.study_name, trial_number=outcome.record.trial_number)[-1]
            assert last.val_top1 == outcome.record.val_top1
            assert last.val_top5 == outcome.record.val_top5
            assert last.train_loss == outcome.record.train_loss
        assert curves[0] != curves[2]  # each seed its own curve

        other = _config(url, tmp_path, "study.name=other")
        reused = reject_or_reuse(other, store, candidate, trial_number=5, seed=1)
        assert reused is not None and reused.record.status is Status.REUSED
        assert store.curves("other") == [replace(p, study="other", trial_number=5)
                                         for p in curves if p.trial_number == 1]

        records = store.study_records(cfg.study_name)
        assert "learning_curves" in [spec.name for spec in select_figures(records)]
        spec = next(s for s in select_figures(records) if s.name == "learning_curves")
        (line,) = spec.data(records).curves
        assert line.seeds == (0, 1) and [e.epoch for e in line.epochs] == [1, 2]
        assert [e.top1.n for e in line.epochs] == [2, 2]

    page = write_report(url, cfg.study_name, out_dir=tmp_path / "report", static=False)
    assert 'id="fig-learning_curves"' in page.read_text(encoding="utf-8")
    with (tmp_path / "report" / "learning_curves.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["epoch"], r["n"]) for r in rows] == [("1", "2"), ("2", "2")]
    assert float(rows[1]["val_top1_min"]) <= float(rows[1]["val_top1_mean"]) <= \
        float(rows[1]["val_top1_max"])
