"""The typed run configuration (dse.core.config): every group, a valid value and a bad one."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import FrozenInstanceError, fields
from pathlib import Path
from typing import Any

import pytest

from dse.cli import compose, to_plain
from dse.core.config import LAYER_KINDS, ImageFolderConfig, RunConfig, Status, run_config, run_target

HEAVY = ["torch", "optuna", "sqlalchemy", "hydra", "lightning", "pytorch_lightning", "omegaconf"]


def _config(*overrides: str) -> RunConfig:
    """run_config of the composed config with command-line style overrides."""
    return run_config(to_plain(compose("config", list(overrides))))


def test_weights_are_kept_beside_the_studies_unless_told_otherwise(tmp_path: Path) -> None:
    cfg = _config(f"study.output_dir={tmp_path}")
    assert cfg.artifact_location == str(tmp_path.resolve() / "artifacts")
    assert _config(f"artifacts.store=file://{tmp_path}/w").artifact_location == \
        str(tmp_path / "w")
    assert _config("artifacts.store=s3://bucket/dse").artifact_location == "s3://bucket/dse"
    assert _config("artifacts.keep=false").artifact_location is None
    assert not _config().measures_latency and _config("latency.measure=true").measures_latency
    assert _config("+sweep=pareto", "sweep.objectives=[accuracy,latency_ms]").measures_latency
    # neither node changes what a study is: same definition, so a study resumes under either
    assert _config("artifacts.keep=false", "latency.measure=true").definition() == \
        _config().definition()


def test_every_group_is_typed() -> None:
    cfg = _config("+sweep=pareto", "sampler=anneal")
    assert cfg.arch.meta.sr == 0.125 and cfg.arch.num_classes == 10
    assert cfg.dataset.name == "digits" and cfg.train.epochs == 20
    assert cfg.sampler.name == "anneal" and cfg.sampler.cooling == 0.9
    assert cfg.storage.url.startswith("sqlite:///") and cfg.study.seeds == 3
    assert cfg.sweep.kind == "search" and cfg.study_name == "pareto-digits"
    assert cfg.total() == 30 and cfg.input_sizes() == [16]
    assert [f.name for f in fields(cfg)] == ["arch", "dataset", "train", "sampler", "storage",
                                             "study", "sweep", "artifacts", "latency", "compress"]
    # no data cache rides along
    with pytest.raises(FrozenInstanceError):
        cfg.study = cfg.study  # type: ignore[misc]


def test_compression_is_off_by_default_and_on_in_its_sweep() -> None:
    plain = _config()
    assert not plain.compress.enabled and [s.name for s in plain.compress.settings] == \
        ["8bit-33pct", "6bit-33pct", "5bit-25pct"]
    cfg = _config("+sweep=compression")
    assert cfg.compress.enabled and cfg.sweep.name == "compression" and cfg.sweep.grid["sr"]
    paper = cfg.compress.settings[0]
    assert (paper.keep, paper.uniform_bits) == (0.33, 8) and set(paper.bits) == set(LAYER_KINDS)
    mixed = _config("compress.settings=[{keep: 0.5, bits: {expand3x3: 4, default: 6}}]")
    [setting] = mixed.compress.settings
    assert setting.name == "mixed-50pct" and setting.uniform_bits is None
    assert setting.bits == {**dict.fromkeys(LAYER_KINDS, 6), "expand3x3": 4}
    # what a setting's hash covers: the setting, the stage and the training, nothing else
    hashes = {cfg.compress.setting_hash(s, cfg.train_hash) for s in cfg.compress.settings}
    assert len(hashes) == 3
    other = _config("+sweep=compression", "compress.lr_scale=0.3")
    assert other.compress.setting_hash(paper, cfg.train_hash) not in hashes
    # compression does not change what a study is: a study resumes with it on or off
    assert cfg.definition() == _config("+sweep=compression", "compress.enabled=false").definition()


def test_grid_items_and_names() -> None:
    cfg = _config("+sweep=squeeze_ratio", "study.seeds=2", "study.name=mine")
    assert cfg.total() == 16 and cfg.grid_items()[:2] == [({"sr": 0.125}, 0, 20),
                                                           ({"sr": 0.125}, 1, 20)]
    assert cfg.study_name == "mine" and cfg.output_dir() == Path("studies/mine")
    assert cfg.arch_for({"sr": 0.5}).meta.sr == 0.5


def test_each_budget_is_a_full_schedule_of_its_own_and_the_default_changes_nothing() -> None:
    plain = _config("+sweep=squeeze_ratio", "train.warmup_epochs=2")
    cfg = _config("+sweep=squeeze_ratio", "train.warmup_epochs=2", "study.budgets=[40,5,20]")
    assert plain.budgets == (20,) and cfg.budgets == (5, 20, 40)  # the cheapest first
    assert cfg.total() == 3 * plain.total()
    assert [b for _, _, b in cfg.grid_items()] == [5] * 24 + [20] * 24 + [40] * 24
    assert cfg.at_budget(20) is cfg and cfg.at_budget(None) is cfg
    short, long = cfg.at_budget(5), cfg.at_budget(40)
    assert (short.train.epochs, short.train.warmup_epochs) == (5, 0)  # 2 x 5/20, rounded
    assert (long.train.epochs, long.train.warmup_epochs) == (40, 4)
    hashes = {plain.train_hash, short.train_hash, long.train_hash}
    assert len(hashes) == 3 and cfg.train_hash == plain.train_hash  # reuse is per budget
    # budgets are items, not what a study is: a study resumes with budgets added
    assert cfg.definition() == plain.definition()


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (("study.budgets=[0]",), "study.budgets must hold positive whole epoch counts, got 0"),
        (("study.budgets=[2.5]",), "study.budgets must hold positive whole epoch counts, got 2.5"),
        (("study.budgets=[5,20,5]",), "study.budgets lists a budget twice: [5, 20, 5]"),
        (("study.budgets=[]",), "study.budgets must be a non-empty list of epoch counts"),
        (("study.budgets=5",), "study.budgets must be a non-empty list of epoch counts"),
        (("+sweep=pareto", "study.budgets=[5,20]"), "study.budgets applies to grid sweeps"),
        (("arch.sr=1.5",), "sr must be in (0, 1], got 1.5"),
        (("dataset.input_size=3",), "input_size=3 is too small for the pooling stack"),
        (("dataset.val_fraction=1.5",), "dataset.val_fraction must be in (0, 1), got 1.5"),
        (("dataset.num_classes=5",), "dataset.num_classes must be 10 for digits, got 5"),
        (("+dataset.root=/x",), "unknown dataset key(s) ['root'] for digits"),
        (("train.label_smoothing=1.5",), "train.label_smoothing must be in [0, 1), got 1.5"),
        (("train.epochs=0",), "train.epochs must be an integer >= 1, got 0"),
        (("artifacts.keep=maybe",), "artifacts.keep must be true or false, got 'maybe'"),
        (("+artifacts.bucket=x",), "unknown artifacts key(s) ['bucket']"),
        (("latency.runtimes=[tflite]",), "latency.runtimes must list distinct runtimes of torch, "
                                         "onnxruntime, got ['tflite']"),
        (("latency.repeats=2",), "latency.repeats must be an integer >= 3, got 2"),
        (("+sweep=pareto", "sweep.objectives=[accuracy,speed]"),
         "sweep.objectives must be from accuracy, size_mb, macs, latency_ms, compressed_mb"),
        (("+sweep=pareto", "sweep.objectives=[accuracy,compressed_mb]"),
         "sweep.objectives has compressed_mb, which needs compress.enabled=true"),
        (("+sweep=compression", "artifacts.keep=false"),
         "compress.enabled=true needs artifacts.keep=true"),
        (("compress.enabled=true", "compress.settings=[]"),
         "compress.enabled=true needs at least one entry in compress.settings"),
        (("compress.settings=[{keep: 1.5, bits: 8}]",),
         "compress.settings[0].keep must be in (0, 1], got 1.5"),
        (("compress.settings=[{keep: 0.5, bits: 0}]",),
         "compress.settings[0].bits must be an integer in [1, 16], got 0"),
        (("compress.settings=[{keep: 0.5, bits: {fc: 5}}]",),
         "compress.settings[0].bits: unknown layer kind 'fc'; valid: conv1, squeeze, expand1x1, "
         "expand3x3, bypass, conv10 (and default)"),
        (("compress.settings=[{keep: 0.5, bits: {squeeze: 5}}]",),
         "compress.settings[0].bits has no entry for layer kind 'conv1'; give every kind or a "
         "default"),
        (("compress.settings=[{keep: 0.5}]",), "compress.settings[0] needs keep and bits"),
        (("compress.settings=[{keep: 0.5, bits: 4, size: 1}]",),
         "unknown compress.settings[0] key(s) ['size']"),
        (("compress.settings=[{keep: 0.5, bits: 4}, {keep: 0.5, bits: 4}]",),
         "compress.settings names must differ, got ['4bit-50pct', '4bit-50pct']"),
        (("compress.prune=random",), "compress.prune must be one of global, layer, got 'random'"),
        (("compress.index_bits=0",), "compress.index_bits must be an integer in [1, 16], got 0"),
        (("compress.lr_scale=0",), "compress.lr_scale must be in (0, 10], got 0"),
        (("+compress.epochs=3",), "unknown compress key(s) ['epochs']"),
        (("+sweep=pareto", "sampler.name=sa"), "unknown sampler 'sa'; valid: tpe, gp, nsga2"),
        (("+sweep=pareto", "+sampler.cooling=0.5"), "unknown option(s) ['cooling'] for sampler tpe"),
        (("+sweep=pareto", "sampler=anneal", "sampler.cooling=2"),
         "sampler.cooling must be in (0, 1], got 2"),
        (("storage.url=nonsense",), "storage.url must be a database URL"),
        (("study.max_size_mb=nan",), "study.max_size_mb must be null or a finite number, got nan"),
        (("study.max_macs=1.5",), "study.max_macs must be null or an integer >= 1, got 1.5"),
        (("study.pruner=asha",), "study.pruner must be one of none, median, hyperband"),
        (("study.seed_batching=sometimes",),
         "study.seed_batching must be one of auto, true, false, got 'sometimes'"),
        (("study.seed_batching=1",), "study.seed_batching must be one of auto, true, false, got 1"),
        (("study.max_size_mb=0.01",), "no grid point meets the budget"),
        (("+sweep=squeeze_ratio", "sweep.grid.sr=[0.5,0.5]"), "sweep.grid.sr lists a value twice"),
        (("+sweep=pareto", "sweep.space.sr.high=2"),
         "sweep.space.sr.high=2 is not a valid network: sr must be in (0, 1], got 2"),
        (("+sweep=pareto", "sweep.space.freq.low=0"),
         "sweep.space.freq.low=0 is not a valid network: freq must be an integer >= 1"),
        (("+sweep=pareto", "sweep.space.bypass=[none,bogus]"),
         "sweep.space.bypass.choices='bogus' is not a valid network: bypass must be one of"),
        (("+sweep=pareto", "sweep.space.sr.low=0"), "sweep.space.sr.low must be > 0 for a log range"),
        (("+sweep=pareto", "sweep.space.base_e.low=1.5"),
         "sweep.space.base_e.low must be an integer >= 0, got 1.5"),
    ],
)
def test_bad_values_are_refused_with_the_rule(overrides: tuple[str, ...], needle: str) -> None:
    with pytest.raises(ValueError) as info:
        _config(*overrides)
    message = str(info.value)
    assert needle in message and "\n" not in message, message


def test_image_folder_classes_are_counted_without_reading_images(tmp_path: Path) -> None:
    for split, cls in (("train", "cat"), ("train", "dog"), ("val", "cat")):
        (tmp_path / split / cls).mkdir(parents=True)
    cfg = _config("dataset=imagefolder", f"dataset.root={tmp_path}", "dataset.input_size=32")
    assert isinstance(cfg.dataset, ImageFolderConfig) and cfg.arch.num_classes == 2
    with pytest.raises(FileNotFoundError, match="lacks train/ or val/"):
        _config("dataset=imagefolder", f"dataset.root={tmp_path / 'train'}")


def test_how_data_are_read_is_not_part_of_a_results_identity(tmp_path: Path) -> None:
    for split, cls in (("train", "cat"), ("train", "dog"), ("val", "cat")):
        (tmp_path / split / cls).mkdir(parents=True)
    folder = ("dataset=imagefolder", f"dataset.root={tmp_path}", "dataset.input_size=32")
    base = _config(*folder)
    # Reading settings and the cache never change a result's identity.
    same = _config(*folder, "dataset.workers=0", "dataset.cache=false",
                   "dataset.in_memory_bytes=0", "dataset.cache_dir=/elsewhere")
    assert same.dataset_key == base.dataset_key
    # crop came in a later release: at its old behaviour (scale) studies keep their identity,
    # and CIFAR-style pad crops are a different measurement.
    assert "crop" not in base.dataset_identity()
    assert _config(*folder, "dataset.crop=pad").dataset_key != base.dataset_key
    assert _config(*folder, "dataset.input_size=24").dataset_key != base.dataset_key


def test_run_target_reads_only_where_results_are() -> None:
    values: dict[str, Any] = {"study": {"name": None}, "storage": {"url": "sqlite:///x.db"},
                              "sweep": {"name": "bypass"}, "dataset": {"name": "digits"}}
    target = run_target(values)
    assert (target.study_name, target.storage_url) == ("bypass-digits", "sqlite:///x.db")
    assert target.output_dir == Path("studies/bypass-digits")


def test_status_rules() -> None:
    assert [s for s in Status if s.measured] == [Status.COMPLETE, Status.REUSED]
    assert [s for s in Status if s.reusable] == [Status.COMPLETE, Status.DIVERGED]


def test_config_loads_no_framework() -> None:
    code = ("import sys, json, dse.core.config\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
