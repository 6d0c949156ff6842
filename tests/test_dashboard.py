"""The dashboard: figures and notes published into Optuna's tables, served by optuna-dashboard.

Checked through the dashboard's own API (in process and over HTTP, with plain
`optuna-dashboard` too) and in a real headless Chromium against the session's real study.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import optuna
import pytest
from conftest import ROOT, run_module
from optuna.distributions import CategoricalDistribution
from optuna_dashboard import get_note, save_note, wsgi
from test_report import ARTIFACTS, STUDY, RealStudy, build_real_study, chromium_page

from dse.core.presets import preset
from dse.core.records import ResultRecord, arch_record
from dse.core.spec import BYPASS_KINDS
from dse.dashboard import dashboard_options, optuna_storage_url, publish_to_dashboard
from dse.store import open_store
from dse.training.weights import WEIGHTS_FILENAME, decode_weights

HAND_STUDY = "bypass-digits"


@pytest.fixture(scope="session")
def real_study(tmp_path_factory: pytest.TempPathFactory) -> RealStudy:
    """The session's real study, shared with the report tests."""
    return build_real_study(tmp_path_factory.getbasetemp() / "real-study")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hand.db'}"
    return request.getfixturevalue("pg_db_url")


def _storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's storage on the database (engine disposed by the caller)."""
    return optuna.storages.RDBStorage(optuna_storage_url(url))


def hand_study(url: str) -> None:
    """A bypass study of 3 kinds x 2 seeds, in Optuna's tables and in the store alike."""
    storage = _storage(url)
    study = optuna.create_study(study_name=HAND_STUDY, storage=storage, direction="maximize")
    with open_store(url) as store:
        for kind in BYPASS_KINDS:
            arch = arch_record(preset("cpu_proxy", bypass=kind))
            store.save_arch(arch)
            for seed in (0, 1):
                top1 = 0.5 + 0.1 * seed
                study.add_trial(optuna.trial.create_trial(
                    params={"bypass": kind}, value=top1,
                    distributions={"bypass": CategoricalDistribution(BYPASS_KINDS)},
                    user_attrs={"seed": seed, "status": "complete", "test_top1": top1}))
                store.save_result(ResultRecord(
                    study=HAND_STUDY, trial_number=len(study.trials) - 1, point={"bypass": kind},
                    seed=seed, fingerprint=arch.fingerprint, dataset="digits:x",
                    train_config_hash="t", status="complete", test_top1=top1, test_top5=0.9))
    storage.engine.dispose()


def api(app: Any, path: str) -> Any:
    """GET `path` from a WSGI app in process; the decoded JSON."""
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ["PATH_INFO"], _, environ["QUERY_STRING"] = path.partition("?")
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers, exc=None: status.append(s)))
    assert status[0].startswith("200"), status
    return json.loads(body)


def study_detail(get: Any, name: str) -> dict[str, Any]:
    """The dashboard's view of study `name` (its id looked up by name)."""
    summaries = get("/api/studies")["study_summaries"]
    (study_id,) = [s["study_id"] for s in summaries if s["study_name"] == name]
    return get(f"/api/studies/{study_id}?after=0")


def test_optuna_storage_url_names_the_driver() -> None:
    assert optuna_storage_url("sqlite:///studies/x.db") == "sqlite+pysqlite:///studies/x.db"
    assert optuna_storage_url("postgresql://u:p%40w@h:5432/db") == \
        "postgresql+psycopg://u:p%40w@h:5432/db"
    with pytest.raises(ValueError, match="driver 'psycopg2'"):
        optuna_storage_url("postgresql+psycopg2://u@h/db")


@pytest.mark.parametrize(("values", "message"), [
    ({"port": 70000}, r"dashboard.port must be an integer in \[0, 65535\], got 70000"),
    ({"port": True}, r"dashboard.port must be an integer"),
    ({"host": ""}, r"dashboard.host must be a host name or address"),
    ({"publish": "yes"}, r"dashboard.publish must be true or false"),
    ({"prot": 1}, r"unknown dashboard key\(s\) \['prot'\]; valid: \['host', 'port', 'publish'\]"),
])
def test_bad_dashboard_options(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dashboard_options(values)


def test_publish_puts_figures_and_note_where_the_dashboard_reads_them(store_url: str) -> None:
    hand_study(store_url)
    ids = publish_to_dashboard(store_url, HAND_STUDY)
    assert ids == ["dse-table3", "dse-accuracy_vs_size"]  # bypass swept: Table 3
    storage = _storage(store_url)
    detail = study_detail(lambda path: api(wsgi(storage), path), HAND_STUDY)
    graphs = {g["id"]: json.loads(g["graph_object"]) for g in detail["plotly_graph_objects"]}
    assert set(graphs) == set(ids)
    (table,) = graphs["dse-table3"]["data"]
    assert table["type"] == "table" and table["cells"]["values"][1] == list(BYPASS_KINDS)
    names = {t.get("name") for t in graphs["dse-accuracy_vs_size"]["data"]}
    assert "Pareto front" in names
    note = detail["note"]["body"]
    assert note.startswith(f"## dse summary: {HAND_STUDY}")
    assert "| bypass=none | - | 2 |" in note and "Table 3: bypass connections" in note
    assert "### Paper claims" in note and "| reproduced |" in note  # bypass parameter claims
    assert len(detail["trials"]) == 6
    storage.engine.dispose()


def test_republishing_overwrites_and_keeps_a_users_note(store_url: str) -> None:
    hand_study(store_url)
    publish_to_dashboard(store_url, HAND_STUDY)
    storage = _storage(store_url)
    study = optuna.load_study(study_name=HAND_STUDY, storage=storage)
    first = get_note(study)
    publish_to_dashboard(store_url, HAND_STUDY, storage=storage)
    detail = study_detail(lambda path: api(wsgi(storage), path), HAND_STUDY)
    assert len(detail["plotly_graph_objects"]) == 2 and detail["note"]["body"] == first
    save_note(study, "my own note")
    publish_to_dashboard(store_url, HAND_STUDY, storage=storage)
    assert get_note(study) == "my own note"
    storage.engine.dispose()


def test_publish_refuses_unknown_studies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hand.db'}"
    hand_study(url)
    with pytest.raises(ValueError, match=r"unknown study 'nope' in .*; studies there: "
                                         rf"{HAND_STUDY}$"):
        publish_to_dashboard(url, "nope")
    with open_store(url) as store:  # results in the store, no Optuna study of that name
        store.save_result(ResultRecord(study="orphan", trial_number=0, point={}, seed=0,
                                       fingerprint="0" * 16, dataset="d", train_config_hash="t",
                                       status="failed"))
    with pytest.raises(ValueError, match="study 'orphan' has results .* but no Optuna study"):
        publish_to_dashboard(url, "orphan")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(command: list[str], log: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process until the with-block ends; wait until it accepts on `port`."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{command[:3]} exited with {proc.returncode}: {log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"nothing listens on port {port} after 90 s: {log.read_text()}")
                time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def http_json(port: int, path: str) -> Any:
    """GET http://127.0.0.1:<port><path> as JSON."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_plain_optuna_dashboard_shows_the_published_figures(store_url: str,
                                                            tmp_path: Path) -> None:
    hand_study(store_url)
    publish_to_dashboard(store_url, HAND_STUDY)
    # What a user types: the SQLite URL as is; for PostgreSQL the psycopg driver spelled out.
    url = store_url if store_url.startswith("sqlite") else optuna_storage_url(store_url)
    port = free_port()
    command = [str(Path(sys.executable).parent / "optuna-dashboard"), url, "--host", "127.0.0.1",
               "--port", str(port), "--server", "wsgiref", "--quiet"]
    with serving(command, tmp_path / "plain.log", port):
        detail = study_detail(lambda path: http_json(port, path), HAND_STUDY)
    assert {g["id"] for g in detail["plotly_graph_objects"]} == {"dse-table3",
                                                                 "dse-accuracy_vs_size"}
    assert len(detail["trials"]) == 6 and detail["note"]["body"].startswith("## dse summary")


def test_dashboard_command_refuses_a_bad_port() -> None:
    proc = run_module("dse.dashboard", "storage.url=sqlite:///unused.db", "dashboard.port=70000")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("error: dashboard.port must be an integer in [0, 65535], "
                                   "got 70000")


def test_dashboard_command_refuses_an_unknown_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hand.db'}"
    hand_study(url)
    proc = run_module("dse.dashboard", f"storage.url={url}", "study.name=nope")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unknown study 'nope'")
    assert lines[0].endswith(f"studies there: {HAND_STUDY}")


def test_dashboard_command_says_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_module("dse.dashboard", f"storage.url=sqlite:///{tmp_path / 'x.db'}",
                          f"dashboard.port={port}", "dashboard.publish=false")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")


@pytest.mark.browser
@pytest.mark.slow
def test_dashboard_in_chromium_shows_study_trials_figures_and_note(real_study: RealStudy,
                                                                   tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "dse.dashboard", f"storage.url={real_study.url}",
               f"dashboard.port={port}", f"study.output_dir={real_study.output_dir}"]
    log = tmp_path / "dashboard.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(command, log, port), chromium_page() as page:
        printed = log.read_text()
        match = re.search(r"optuna-dashboard: (http://\S+)", printed)
        assert match and match.group(1) == f"http://127.0.0.1:{port}/dashboard", printed
        assert f"published to study '{STUDY}': dse-fig3a, dse-accuracy_vs_size, " \
            "dse-learning_curves" in printed
        page.goto(match.group(1))
        page.get_by_text(STUDY).first.click()
        page.wait_for_url(re.compile(r".*/dashboard/studies/\d+$"))
        study_url = page.url
        for name in ("fig3a", "accuracy_vs_size"):
            plot = page.locator(f'[id="user-defined-plot:dse-{name}"] svg.main-svg').first
            plot.wait_for(timeout=30_000)
        text = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        page.goto(f"{study_url}/trials")
        page.get_by_text("4 Trials").wait_for(timeout=30_000)
        page.get_by_text(WEIGHTS_FILENAME).first.wait_for(timeout=30_000)  # the trial's artifact
        trials = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "dashboard-trial-artifact.png"), full_page=True)
        served = page.request.get(_artifact_path(real_study, page.url))
        assert served.ok, served.status
        _, meta = decode_weights(served.body())  # the weights file, served by the dashboard
        page.goto(f"{study_url}/note")
        page.get_by_text(f"dse summary: {STUDY}").wait_for(timeout=30_000)
        note = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "dashboard-note.png"), full_page=True)
    assert "Figure 3a: accuracy vs squeeze ratio (SR)" in text
    assert "paper (Figure 3a, ImageNet top-5)" in text
    assert "Accuracy vs model size" in text
    assert all(f"Trial {n}" in trials for n in range(4))
    for attr in ("size_mb", "test_top1", "test_top5", "seed", "arch_sr"):
        assert attr in trials
    assert "Best test top-1" in note and "sr=0.25" in note and "sr=0.75" in note
    assert meta["study"] == STUDY and meta["arch"]["arch"]["sr"] in (0.25, 0.75)


def _artifact_path(study: RealStudy, page_url: str) -> str:
    """The dashboard's URL of trial 0's weights artifact (ids from Optuna's storage)."""
    storage = _storage(study.url)
    loaded = optuna.load_study(study_name=STUDY, storage=storage)
    trial = loaded.trials[0]
    root = page_url.split("/dashboard")[0]
    return (f"{root}/artifacts/{loaded._study_id}/{trial._trial_id}/"
            f"{trial.user_attrs['weights_artifact']}")
