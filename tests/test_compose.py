"""docker-compose.yml: no Docker engine here, so parse it and run its commands for real."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run_module
from pgserver import PG_PASSWORD

from dse.cli import compose, to_plain
from dse.store import load_results

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _env(service: str, **local: str) -> dict[str, str]:
    """The service's environment with ${VAR:-default} resolved, then local replacements."""
    values = {}
    for key, value in SERVICES[service].get("environment", {}).items():
        text = str(value)
        if text.startswith("${") and ":-" in text:
            text = text.split(":-", 1)[1].rstrip("}")
        values[key] = text
    return {**values, **local}


def _overrides(service: str) -> list[str]:
    """The Hydra overrides of a service's `python -m <module> ...` command."""
    command = SERVICES[service]["command"]
    assert command[:2] == ["python", "-m"]
    return command[3:]


def test_services_images_ports_and_volume() -> None:
    assert set(SERVICES) == {"postgres", "dashboard", "worker"}
    assert SERVICES["postgres"]["image"] == "postgres:15"  # the server version the tests use
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    assert "pgdata" in COMPOSE["volumes"]
    assert SERVICES["dashboard"]["ports"] == ["127.0.0.1:8080:8080"]  # loopback only
    assert "dashboard.port=8080" in _overrides("dashboard")
    assert SERVICES["dashboard"]["command"][2] == "dse.dashboard"
    assert SERVICES["worker"]["command"][2] == "dse.run"
    # Scalable with --scale worker=N: no fixed name and no host port.
    assert "container_name" not in SERVICES["worker"] and "ports" not in SERVICES["worker"]
    for service in ("dashboard", "worker"):
        assert SERVICES[service]["build"] == "."
        assert SERVICES[service]["depends_on"]["postgres"]["condition"] == "service_healthy"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "torch==2.13.0" in dockerfile and 'pip install --no-cache-dir -e ".[cluster]"' in dockerfile


def test_urls_point_at_the_compose_database(monkeypatch: pytest.MonkeyPatch) -> None:
    postgres = SERVICES["postgres"]["environment"]
    for service in ("dashboard", "worker"):
        for key, value in _env(service).items():
            monkeypatch.setenv(key, value)
        cfg = to_plain(compose("config", _overrides(service) if service == "worker" else
                               ["storage=postgresql"]))
        user, db = postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]
        assert cfg["storage"]["url"] == f"postgresql://{user}:dse@postgres:5432/{db}"


def _free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
@pytest.mark.postgres
def test_worker_and_dashboard_commands_run_against_postgresql(pg_db_url: str,
                                                              tmp_path: Path) -> None:
    database = pg_db_url.rsplit("/", 1)[1]
    env = _env("worker", DSE_PG_HOST="127.0.0.1", DSE_PG_DB=database, DSE_PG_PASSWORD=PG_PASSWORD)
    tiny = ["sweep.grid.sr=[0.25,0.5]", "study.seeds=1", "train.epochs=1",
            "dataset.input_size=12", "study.report=false", f"study.output_dir={tmp_path}"]
    out = run_module("dse.run", *_overrides("worker"), *tiny, env=env)
    assert out.returncode == 0, out.stderr
    assert len(load_results(pg_db_url, "squeeze_ratio-digits")) == 2

    port = _free_port()
    command = [a if not a.startswith("dashboard.") else a.replace("0.0.0.0", "127.0.0.1")
               for a in _overrides("dashboard")]
    command = [a if a != "dashboard.port=8080" else f"dashboard.port={port}" for a in command]
    dash_env = {**os.environ, **_env("dashboard", DSE_PG_HOST="127.0.0.1", DSE_PG_DB=database,
                                     DSE_PG_PASSWORD=PG_PASSWORD), "CI": "true"}
    proc = subprocess.Popen([sys.executable, "-m", "dse.dashboard", *command], cwd=ROOT,
                            env=dash_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline, body = time.monotonic() + 90, ""
        while time.monotonic() < deadline and not body:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5) as r:
                    body = r.read().decode()
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.5)
        assert "squeeze_ratio-digits" in body
    finally:
        proc.terminate()
        proc.wait(timeout=30)
