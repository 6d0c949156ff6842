"""Bad input: one clear line, exit code 2, and nothing already stored changes."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from realdata import write_image_folder
from studyrun import dse_run
from workers import optuna_url

from dse.store import load_results, open_store

pytestmark = pytest.mark.slow
STUDY = "squeeze_ratio-digits"
BASE = ("+sweep=squeeze_ratio", "sweep.grid.sr=[0.25,0.5]", "study.seeds=1")


def _snapshot(url: str) -> tuple[object, ...]:
    """Every stored result of every study, and every Optuna trial."""
    with open_store(url) as store:
        results = {name: store.results(name) for name in store.studies()}
    studies = optuna.get_all_study_names(storage=optuna_url(url))
    trials = {name: [(t.number, t.state, t.params, t.values) for t in
                     optuna.load_study(study_name=name, storage=optuna_url(url)).trials]
              for name in studies}
    return results, trials


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A SQLite database holding one finished study."""
    tmp = tmp_path_factory.mktemp("stored")
    done = dse_run(tmp, *BASE)
    assert done.returncode == 0, done.stderr
    return tmp, f"sqlite:///{tmp}/studies.db"


def _refused(out: object, needle: str) -> None:
    """Exit 2 with one error line containing `needle`."""
    assert out.returncode == 2, out.stdout + out.stderr  # type: ignore[attr-defined]
    lines = out.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (("arch.pct3x3=1.5",), "pct3x3 must be in [0, 1], got 1.5"),
        (("arch.freq=0",), "freq must be an integer >= 1, got 0"),
        (("+sweep=nope",), "Could not find 'sweep/nope'"),
        (("+sweep=pareto", "sweep.space.sr.low=2"), "sweep.space.sr needs numbers low < high"),
        (("+sweep=pareto", "sampler=nope"), "Could not find 'sampler/nope'"),
        (("+sweep=pareto", "sampler.name=nope"), "unknown sampler 'nope'; valid: tpe"),
        (("dataset=nope",), "Could not find 'dataset/nope'"),
        (("dataset.name=mnist",), "unknown dataset 'mnist'; valid: digits, cifar10, imagefolder"),
        (("study.max_size_mb=0.01",), "no grid point meets the budget"),
        (("train.epochs=2",), "study 'squeeze_ratio-digits' already exists"),
        (("study.budgets=[0,1]",), "study.budgets must hold positive whole epoch counts, got 0"),
        (("study.budgets=[1,1]",), "study.budgets lists a budget twice: [1, 1]"),
        (("+sweep=pareto", "study.budgets=[1,2]"), "study.budgets applies to grid sweeps"),
    ],
)
def test_refused_and_nothing_changed(stored: tuple[Path, str], overrides: tuple[str, ...],
                                     needle: str) -> None:
    tmp, url = stored
    before = _snapshot(url)
    base = () if any(o.startswith("+sweep") for o in overrides) else BASE
    _refused(dse_run(tmp, *base, *overrides), needle)
    assert _snapshot(url) == before


def test_same_name_different_sweep_suggests_a_new_name(stored: tuple[Path, str]) -> None:
    tmp, url = stored
    before = _snapshot(url)
    out = dse_run(tmp, "+sweep=squeeze_ratio", "sweep.grid.sr=[0.25,0.75]", "study.seeds=1")
    _refused(out, "differs in: sweep")
    assert "study.name=squeeze_ratio-digits-2" in out.stderr
    assert _snapshot(url) == before


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("nonsense://x", "storage.url"),
        ("postgresql://dse:s3cr3t-pw@127.0.0.1:1/dse", "cannot connect to postgresql://dse:***@"),
        ("sqlite:////proc/nope/x.db", "sqlite"),
    ],
)
def test_bad_storage_urls(stored: tuple[Path, str], url: str, needle: str) -> None:
    tmp, good = stored
    before = _snapshot(good)
    out = dse_run(tmp, *BASE, url=url)
    _refused(out, needle)
    assert "s3cr3t" not in out.stdout + out.stderr
    assert _snapshot(good) == before


@pytest.mark.postgres
def test_wrong_password_is_refused_without_printing_it(tmp_path: Path, pg_db_url: str) -> None:
    assert dse_run(tmp_path, *BASE, url=pg_db_url).returncode == 0
    before = _snapshot(pg_db_url)
    wrong = pg_db_url.replace(":dse-test-pw@", ":Wr0ngPassw0rd@")
    out = dse_run(tmp_path, *BASE, url=wrong)
    _refused(out, "password authentication failed")
    assert "Wr0ngPassw0rd" not in out.stdout + out.stderr and "***" in out.stderr
    assert _snapshot(pg_db_url) == before


def test_missing_and_misshapen_dataset_roots(stored: tuple[Path, str]) -> None:
    tmp, url = stored
    before = _snapshot(url)
    _refused(dse_run(tmp, *BASE, "dataset=cifar10", f"dataset.root={tmp}/none",
                     "study.name=c"), "cifar10: dataset.root")
    (tmp / "empty").mkdir()
    _refused(dse_run(tmp, *BASE, "dataset=cifar10", f"dataset.root={tmp}/empty",
                     "study.name=c"), "no CIFAR-10 batches found under")
    _refused(dse_run(tmp, *BASE, "dataset=imagefolder", f"dataset.root={tmp}/empty",
                     "study.name=f"), "lacks train/ or val/")
    assert _snapshot(url) == before


def test_corrupt_image_names_the_file(stored: tuple[Path, str]) -> None:
    tmp, url = stored
    root = write_image_folder(tmp / "folder", 4, 2, classes=("cat", "dog"))
    (root / "train" / "cat" / "0002.jpg").write_bytes(b"not an image")
    before = _snapshot(url)
    out = dse_run(tmp, *BASE, "dataset=imagefolder", f"dataset.root={root}",
                  "study.name=folder")
    _refused(out, "cannot read image")
    assert "cat/0002.jpg" in out.stderr
    assert _snapshot(url) == before
    assert load_results(url, "folder") == []


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (("dataset.input_size=3",), "input_size=3 is too small for the pooling stack"),
        (("+sweep=pareto", "sweep.space.sr.low=0"), "sweep.space.sr.low must be > 0"),
        (("+sweep=pareto", "sweep.space.bypass=[none,bogus]"), "bypass must be one of"),
        (("study.max_size_mb=nan",), "study.max_size_mb must be null or a finite number"),
        (("+sweep=squeeze_ratio", "sweep.grid.sr=[0.5,0.5]"), "sweep.grid.sr lists a value twice"),
    ],
)
def test_refused_before_any_file_is_made(tmp_path: Path, overrides: tuple[str, ...],
                                         needle: str) -> None:
    _refused(dse_run(tmp_path, *overrides), needle)
    assert list(tmp_path.iterdir()) == []  # no database, lock file or output folder
