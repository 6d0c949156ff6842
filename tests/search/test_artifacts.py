"""Trained weights kept as Optuna artifacts by real runs, read back, reused, and exported.

Every run here is a real `python -m dse.run` on the embedded digits with a SQLite file; the
exports are real `python -m dse.export` calls whose ONNX files ONNX Runtime runs again here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
import optuna
import pytest
import torch
from conftest import run_module
from optuna.artifacts import FileSystemArtifactStore, get_all_artifact_meta
from studyrun import dse_run
from workers import optuna_url

from dse.analysis.figures._pareto import pareto_front
from dse.core.config import DigitsConfig
from dse.core.presets import preset
from dse.core.records import Status, arch_record
from dse.core.spec import ArchSpec
from dse.search._artifacts import read_artifact, upload_weights
from dse.store import open_store
from dse.training.data import build_data
from dse.training.train import TrainConfig, evaluate, fit
from dse.training.weights import WEIGHTS_FILENAME, decode_weights, encode_weights, rebuild

pytestmark = pytest.mark.slow
STUDY = "squeeze_ratio-digits"
GRID = ("+sweep=squeeze_ratio", "sweep.grid.sr=[0.25]", "study.seeds=2",
        "study.seed_batching=false", "study.workers=1")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A finished study of one point and two seeds: its folder, database URL and stdout."""
    tmp = tmp_path_factory.mktemp("kept")
    done = dse_run(tmp, *GRID)
    assert done.returncode == 0, done.stderr
    return tmp, f"sqlite:///{tmp}/studies.db", done.stdout


def _test_split(input_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The digits test split at `input_size`, as the networks take it."""
    data = build_data(DigitsConfig(input_size=input_size), input_size=input_size)
    data.setup()
    data.configure(batch_size=1024, seeds=[0], device=torch.device("cpu"))
    images, labels = zip(*data.eval_batches("test"), strict=True)
    return torch.cat(images).float(), torch.cat(labels)


def test_a_trained_networks_weights_go_up_and_come_back_bit_for_bit(tmp_path: Path) -> None:
    spec = ArchSpec.from_dict({**preset("cpu_proxy").to_dict(), "num_classes": 10,
                               "in_channels": 1, "input_size": 12})
    data = build_data(DigitsConfig(input_size=12), input_size=12)
    result = fit(spec, data, TrainConfig(epochs=1, threads=1, progress=False), seed=0)
    assert result.weights is not None
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'o.db'}")
    trial = study.ask()
    store = FileSystemArtifactStore(str(tmp_path))
    artifact = upload_weights(trial, store, encode_weights(result.weights, arch_record(spec)))
    state, meta = decode_weights(read_artifact(str(tmp_path), artifact))
    assert state.keys() == result.weights.keys()
    assert all(torch.equal(state[k], result.weights[k]) for k in state)
    assert meta["arch"]["fingerprint"] == arch_record(spec).fingerprint
    [listed] = get_all_artifact_meta(trial)
    assert (listed.artifact_id, listed.filename) == (artifact, WEIGHTS_FILENAME)


def test_a_run_keeps_each_seeds_weights_and_they_score_what_was_stored(
        trained: tuple[Path, str, str]) -> None:
    tmp, url, stdout = trained
    with open_store(url) as store:
        results = store.results(STUDY)
    assert [r.status for r in results] == [Status.COMPLETE] * 2
    folder = (tmp / "out" / "artifacts").resolve()
    assert {r.weights_store for r in results} == {str(folder)}
    assert len({r.weights_artifact for r in results}) == 2
    images, labels = _test_split(12)
    study = optuna.load_study(study_name=STUDY, storage=optuna_url(url))
    for result in results:
        data = read_artifact(str(folder), str(result.weights_artifact))
        assert result.weights_bytes == len(data) == (folder / str(result.weights_artifact)).stat().st_size
        model, meta = rebuild(data)
        assert (meta["seed"], meta["trial"]) == (result.seed, result.trial_number)
        top1, _ = evaluate(model, [(images, labels)], torch.device("cpu"))
        assert abs(top1 - result.test_top1) <= 1 / len(labels)  # the trained network itself
        trial = study.trials[result.trial_number]
        assert trial.user_attrs["weights_artifact"] == result.weights_artifact
        assert [m.artifact_id for m in get_all_artifact_meta(trial, storage=study._storage)] == \
            [result.weights_artifact]
    size = sum(r.weights_bytes or 0 for r in results) / 2**20
    assert f"weights: 2 artifact(s), {size:.2f} MB in {folder}" in stdout


def test_a_reused_result_points_to_the_artifact_it_reuses(trained: tuple[Path, str, str]) -> None:
    tmp, url, _ = trained
    again = dse_run(tmp, *GRID, "study.name=again")
    assert again.returncode == 0, again.stderr
    with open_store(url) as store:
        first, reused = store.results(STUDY), store.results("again")
    assert [r.status for r in reused] == [Status.REUSED] * 2
    assert [(r.weights_artifact, r.weights_store, r.weights_bytes) for r in reused] == \
        [(r.weights_artifact, r.weights_store, r.weights_bytes) for r in first]
    assert "weights:" not in again.stdout  # the study's own trials keep none


def test_export_writes_a_verified_onnx_that_onnx_runtime_runs_like_torch(
        trained: tuple[Path, str, str]) -> None:
    tmp, url, _ = trained
    out = tmp / "exports"
    proc = run_module("dse.export", f"storage.url={url}", f"study.name={STUDY}",
                      "export.trial=1", f"export.out={out}", "latency.batch=8",
                      "latency.repeats=5", "latency.warmup=1")
    assert proc.returncode == 0, proc.stderr
    folder = out / STUDY / "trial-1"
    assert sorted(p.name for p in folder.iterdir()) == ["model.onnx", "spec.json",
                                                         WEIGHTS_FILENAME]
    assert "top-1 agreement 100.0%" in proc.stdout and ": ok" in proc.stdout
    spec = json.loads((folder / "spec.json").read_text())
    model, meta = rebuild((folder / WEIGHTS_FILENAME).read_bytes())
    assert spec["network"]["fingerprint"] == meta["arch"]["fingerprint"]
    assert spec["onnx_check"]["top1_agreement"] == 1.0 and spec["onnx_check"]["images"] == 256
    images, _ = _test_split(12)
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"),
                                           providers=["CPUExecutionProvider"])
    for batch in (images[:1], images[:100]):
        got = session.run(None, {"images": batch.numpy()})[0]
        with torch.inference_mode():
            want = model(batch).numpy()
        assert np.abs(got - want).max() < 1e-4 and (got.argmax(1) == want.argmax(1)).all()
    with open_store(url) as store:
        stored = store.latencies([meta["arch"]["fingerprint"]])
    assert {(r.runtime, r.batch) for r in stored} == {("torch", 1), ("torch", 8),
                                                      ("onnxruntime", 1), ("onnxruntime", 8)}
    assert all(0 < r.q1_ms <= r.median_ms <= r.q3_ms and r.repeats == 5 for r in stored)


@pytest.mark.parametrize(("args", "needle"), [
    (("study.name=nope", "export.trial=0"), "unknown study 'nope'"),
    (("export.trial=9",), "has no counted result for trial 9; trials with results: 0..1"),
    (("export.point={sr: 0.5}",), "has no counted result for point sr=0.5 seed 0"),
    (("export.trial=0", "export.pareto=true"), "give exactly one of export.trial"),
    (("export.trial=0", "export.images=0"), "export.images must be an integer >= 1, got 0"),
])
def test_export_refuses_bad_input_in_one_line(trained: tuple[Path, str, str], args: tuple[str, ...],
                                              needle: str) -> None:
    tmp, url, _ = trained
    proc = run_module("dse.export", f"storage.url={url}", f"study.name={STUDY}", *args,
                      f"export.out={tmp / 'refused'}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines
    assert not (tmp / "refused").exists()


def test_export_to_an_unwritable_folder_writes_nothing(trained: tuple[Path, str, str]) -> None:
    tmp, url, _ = trained
    blocker = tmp / "a-file"
    blocker.write_text("not a folder")
    proc = run_module("dse.export", f"storage.url={url}", f"study.name={STUDY}",
                      "export.trial=0", f"export.out={blocker / 'sub'}")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"error: cannot write to {blocker / 'sub' / STUDY} (export.out): "
                                   f"{blocker} is not a folder")
    assert blocker.read_text() == "not a folder"


def test_without_kept_weights_export_says_how_to_keep_them(tmp_path: Path) -> None:
    done = dse_run(tmp_path, "+sweep=squeeze_ratio", "sweep.grid.sr=[0.5]", "study.seeds=1",
                   "artifacts.keep=false")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "out" / "artifacts").exists() and "weights:" not in done.stdout
    proc = run_module("dse.export", f"storage.url=sqlite:///{tmp_path}/studies.db",
                      f"study.name={STUDY}", "export.point={sr: 0.5}",
                      f"export.out={tmp_path / 'x'}")
    assert proc.returncode == 2
    assert "it has no stored weights: it ran with artifacts.keep=false" in proc.stderr
    assert not (tmp_path / "x").exists()


def test_export_of_a_weights_file_that_is_gone_says_so_and_writes_nothing(tmp_path: Path) -> None:
    done = dse_run(tmp_path, "+sweep=squeeze_ratio", "sweep.grid.sr=[0.5]", "study.seeds=1")
    assert done.returncode == 0, done.stderr
    folder = (tmp_path / "out" / "artifacts").resolve()
    [kept] = list(folder.iterdir())
    kept.unlink()  # the store lost it (a wiped disk, a bucket lifecycle rule)
    proc = run_module("dse.export", f"storage.url=sqlite:///{tmp_path}/studies.db",
                      f"study.name={STUDY}", "export.trial=0", f"export.out={tmp_path / 'x'}")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: cannot read artifact {kept.name} from {folder}")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("store", "needle"), [
    ("ftp://host/x", "artifacts.store must be null, a folder, or a URL with a scheme of file, "
                     "s3, gs, got 'ftp://host/x'"),
    ("{tmp}/a-file", "cannot create the artifact folder {tmp}/a-file (artifacts.store)"),
])
def test_an_artifact_store_that_cannot_be_used_stops_the_run_before_anything_is_stored(
        tmp_path: Path, store: str, needle: str) -> None:
    (tmp_path / "a-file").write_text("x")
    done = dse_run(tmp_path, "+sweep=squeeze_ratio", "sweep.grid.sr=[0.5]", "study.seeds=1",
                   f"artifacts.store={store.format(tmp=tmp_path)}")
    assert done.returncode == 2
    assert needle.format(tmp=tmp_path) in done.stderr and len(done.stderr.strip().splitlines()) == 1
    with open_store(f"sqlite:///{tmp_path}/studies.db") as db:
        assert db.studies() == []


def test_latency_is_an_objective_of_a_pareto_search_and_its_front_exports(tmp_path: Path) -> None:
    done = dse_run(tmp_path, "+sweep=pareto", "sweep.n_trials=4", "sampler=random",
                   "sweep.objectives=[accuracy,latency_ms]", "latency.repeats=5",
                   "latency.warmup=1", "latency.batch=4", "study.workers=1")
    assert done.returncode == 0, done.stderr
    url = f"sqlite:///{tmp_path}/studies.db"
    with open_store(url) as store:
        results = store.results("pareto-digits")
        archs = store.archs(r.fingerprint for r in results)
        latency = {(r.fingerprint, r.batch): r for r in store.latencies(archs)
                   if r.runtime == "torch" and r.threads == 1 and r.device == "cpu"}
    study = optuna.load_study(study_name="pareto-digits", storage=optuna_url(url))
    assert study.metric_names == ["val_top1", "latency_ms"]
    for trial in study.trials:
        [result] = [r for r in results if r.trial_number == trial.number]
        assert trial.values == [result.val_top1, latency[(result.fingerprint, 1)].median_ms]
        assert (result.fingerprint, 4) in latency
    front = pareto_front([(archs[r.fingerprint].size_mb, r.val_top1) for r in results])
    out = tmp_path / "exports"
    proc = run_module("dse.export", f"storage.url={url}", "study.name=pareto-digits",
                      "export.pareto=true", f"export.out={out}", "export.latency=false")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(": ok") == len(front)
    assert sorted(p.name for p in (out / "pareto-digits").iterdir()) == \
        sorted(f"trial-{results[i].trial_number}" for i in front)
