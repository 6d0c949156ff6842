"""Compression inside a real study and after it: records per (trial, setting), the bytes users
ship decode to the accuracy stored, the objective, and bad input that stores nothing.

Every run is a real `python -m dse.run` or `python -m dse.compress` on digits with SQLite.
"""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
import torch
from conftest import run_module
from optuna.artifacts import get_all_artifact_meta
from studyrun import dse_run
from workers import optuna_url

from dse.core.compression_codec import decode_network
from dse.core.config import DigitsConfig
from dse.core.expand import expand
from dse.core.records import Status
from dse.core.spec import ArchSpec
from dse.search._artifacts import read_artifact
from dse.store import open_store
from dse.training.compression_stage import load_decoded
from dse.training.data import build_data
from dse.training.train import evaluate

pytestmark = pytest.mark.slow
STUDY = "compression-digits"
SETTINGS = "compress.settings=[{keep: 0.33, bits: 8}, {name: small, keep: 0.2, bits: 5}]"
GRID = ("+sweep=compression", "sweep.grid.sr=[0.25]", "study.seeds=2", "study.workers=1",
        SETTINGS)


@pytest.fixture(scope="module")
def compressed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A finished compression study of one point and two seeds: folder, database URL, stdout."""
    tmp = tmp_path_factory.mktemp("compressed")
    done = dse_run(tmp, *GRID)
    assert done.returncode == 0, done.stderr
    return tmp, f"sqlite:///{tmp}/studies.db", done.stdout


def _test_split() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The digits test split at 12x12, as the networks take it."""
    data = build_data(DigitsConfig(input_size=12), input_size=12)
    data.setup()
    data.configure(batch_size=1024, seeds=[0], device=torch.device("cpu"))
    return list(data.eval_batches("test"))


def test_each_trial_is_compressed_with_each_setting_and_decodes_to_what_was_stored(
        compressed: tuple[Path, str, str]) -> None:
    tmp, url, stdout = compressed
    with open_store(url) as store:
        results, records = store.results(STUDY), store.compressions(STUDY)
        archs = store.archs(r.fingerprint for r in results)
    assert [r.status for r in results] == [Status.COMPLETE] * 2
    assert sorted((c.trial_number, c.setting) for c in records) == \
        [(0, "8bit-33pct"), (0, "small"), (1, "8bit-33pct"), (1, "small")]
    folder = str((tmp / "out" / "artifacts").resolve())
    study = optuna.load_study(study_name=STUDY, storage=optuna_url(url))
    batches = _test_split()
    for c in records:
        arch = archs[c.fingerprint]
        data = read_artifact(folder, str(c.artifact))
        assert c.compressed_bytes == len(data) and c.original_bytes == arch.size_bytes
        assert c.ratio == arch.size_bytes / len(data) > 5
        model = load_decoded(expand(ArchSpec.from_dict(arch.arch)), decode_network(data),
                             folded=True)
        top1, top5 = evaluate(model, batches, torch.device("cpu"))
        assert (top1, top5) == (c.test_top1, c.test_top5)  # what a user ships scores this
        assert c.kept_fraction == pytest.approx(c.keep, abs=1e-3) and c.time_s > 0
        files = {m.filename for m in get_all_artifact_meta(study.trials[c.trial_number],
                                                           storage=study._storage)}
        assert f"compressed-{c.setting}.dsec" in files and "weights.safetensors" in files
    first = next(c for c in records if c.trial_number == 0 and c.setting == "8bit-33pct")
    assert f"({first.compressed_mb:.3f} MB compressed, {first.ratio:.1f}x)" in stdout


def test_a_reusing_study_compresses_from_the_reused_weights(
        compressed: tuple[Path, str, str]) -> None:
    tmp, url, _ = compressed
    again = dse_run(tmp, *GRID, "study.name=again")
    assert again.returncode == 0, again.stderr
    with open_store(url) as store:
        reused, records = store.results("again"), store.compressions("again")
        first = store.compressions(STUDY)
    assert [r.status for r in reused] == [Status.REUSED] * 2
    assert len(records) == 4
    sizes = {(c.trial_number, c.setting): c.compressed_bytes for c in first}
    for c in records:  # the same weights and fine-tune seeds: the same network, near enough
        assert abs(c.compressed_bytes - sizes[(c.trial_number, c.setting)]) < 0.02 * c.compressed_bytes


def test_compress_command_adds_only_the_settings_a_study_lacks(
        compressed: tuple[Path, str, str]) -> None:
    tmp, url, _ = compressed
    with open_store(url) as store:
        before = store.compressions(STUDY)
    proc = run_module("dse.compress", *GRID[:-1], "train.epochs=1", "dataset.input_size=12",
                      "train.threads=1", f"storage.url={url}", f"study.output_dir={tmp}/out",
                      "study.report=false",
                      "compress.settings=[{keep: 0.33, bits: 8}, {keep: 0.5, bits: 4}]")
    assert proc.returncode == 0, proc.stderr
    with open_store(url) as store:
        after = store.compressions(STUDY)
    assert after[: len(before)] == before  # nothing stored before changes
    assert sorted((c.trial_number, c.setting) for c in after[len(before):]) == \
        [(0, "4bit-50pct"), (1, "4bit-50pct")]
    assert "compressing 2 result(s) of study 'compression-digits' with 2 setting(s)" in proc.stdout
    assert "4bit-50pct" in proc.stdout and "8bit-33pct" in proc.stdout


@pytest.mark.parametrize(("overrides", "needle"), [
    (("compress.settings=[{keep: 0, bits: 8}]",), "compress.settings[0].keep must be in (0, 1], got 0"),
    (("compress.settings=[{keep: 0.5, bits: 17}]",),
     "compress.settings[0].bits must be an integer in [1, 16], got 17"),
    (("compress.settings=[{keep: 0.5, bits: {fc: 5}}]",), "unknown layer kind 'fc'; valid: conv1"),
    (("train.epochs=3",), "this config's training"),
])
def test_bad_compress_input_exits_2_and_stores_nothing(
        compressed: tuple[Path, str, str], overrides: tuple[str, ...], needle: str) -> None:
    tmp, url, _ = compressed
    with open_store(url) as store:
        before = store.compressions(STUDY)
    proc = run_module("dse.compress", *GRID[:-1], "dataset.input_size=12", f"storage.url={url}",
                      f"study.output_dir={tmp}/out", *(overrides if "train" in overrides[0]
                                                       else ("train.epochs=1", *overrides)))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    with open_store(url) as store:
        assert store.compressions(STUDY) == before


def test_a_study_without_kept_weights_cannot_be_compressed(tmp_path: Path) -> None:
    done = dse_run(tmp_path, "sweep.grid.sr=[0.25]", "+sweep=squeeze_ratio", "study.seeds=1",
                   "artifacts.keep=false")
    assert done.returncode == 0, done.stderr
    url = f"sqlite:///{tmp_path}/studies.db"
    proc = run_module("dse.compress", "+sweep=squeeze_ratio", "sweep.grid.sr=[0.25]",
                      "study.seeds=1", "train.epochs=1", "dataset.input_size=12",
                      f"storage.url={url}", f"study.output_dir={tmp_path}/out")
    assert proc.returncode == 2
    assert "none kept its weights" in proc.stderr and "artifacts.keep=true" in proc.stderr
    with open_store(url) as store:
        assert store.compressions("squeeze_ratio-digits") == []
    # and a run that would compress without keeping weights is refused before it starts
    refused = dse_run(tmp_path, *GRID, "artifacts.keep=false", "study.name=refused")
    assert refused.returncode == 2
    assert "compress.enabled=true needs artifacts.keep=true" in refused.stderr
    objective = dse_run(tmp_path, "+sweep=pareto", "sweep.objectives=[accuracy,compressed_mb]")
    assert objective.returncode == 2 and "needs compress.enabled=true" in objective.stderr


def test_compressed_size_is_an_objective_of_the_pareto_search(tmp_path: Path) -> None:
    done = dse_run(tmp_path, "+sweep=pareto", "sweep.n_trials=2", "study.workers=1",
                   "sweep.objectives=[accuracy,compressed_mb]", "compress.enabled=true",
                   "compress.settings=[{keep: 0.33, bits: 6}]", "sampler=random")
    assert done.returncode == 0, done.stderr
    url = f"sqlite:///{tmp_path}/studies.db"
    with open_store(url) as store:
        results = {r.trial_number: r for r in store.results("pareto-digits")}
        records = {c.trial_number: c for c in store.compressions("pareto-digits")}
    study = optuna.load_study(study_name="pareto-digits", storage=optuna_url(url))
    finished = [t for t in study.trials if t.values is not None]
    assert len(finished) == 2
    for trial in finished:
        assert trial.values == [results[trial.number].val_top1,
                                records[trial.number].compressed_mb]
