"""Start `python -m dse.run` workers as real processes and watch their trials in the database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import optuna
from conftest import ROOT
from studyrun import TINY

optuna.logging.set_verbosity(optuna.logging.WARNING)


def optuna_url(url: str) -> str:
    """The URL Optuna's SQLAlchemy needs (psycopg 3 for PostgreSQL)."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def start_worker(tmp: Path, url: str, *overrides: str) -> subprocess.Popen[str]:
    """Start one worker process; its output goes to a log file under `tmp`."""
    log = open(tmp / f"worker-{time.monotonic_ns()}.log", "w")  # noqa: SIM115 - closed by the OS
    env = {**os.environ, "CI": "true", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "dse.run", *TINY, f"storage.url={url}",
         f"study.output_dir={tmp}/out", *overrides],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True, env=env,
    )


def trials(url: str, study: str) -> list[optuna.trial.FrozenTrial]:
    """The study's trials (empty while it does not exist yet)."""
    try:
        return optuna.load_study(study_name=study, storage=optuna_url(url)).trials
    except KeyError:
        return []


def wait_for_running_trial(url: str, study: str, proc: subprocess.Popen[str], *,
                           timeout: float = 120) -> optuna.trial.FrozenTrial:
    """Wait until `proc` is in the middle of a trial (after its first epoch started)."""
    owner = f"{socket.gethostname()}:{proc.pid}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for trial in trials(url, study):
            if trial.state.name == "RUNNING" and trial.user_attrs.get("worker") == owner:
                time.sleep(1.0)  # let it get into training
                return trial
        if proc.poll() is not None:
            raise AssertionError(f"worker exited with {proc.returncode} before running a trial")
        time.sleep(0.2)
    raise AssertionError(f"no running trial of {owner} within {timeout} s")


def interrupt(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C."""
    proc.send_signal(signal.SIGINT)
