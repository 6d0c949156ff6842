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
from procs import SIGINT_DEFAULT
from studyrun import TINY

optuna.logging.set_verbosity(optuna.logging.WARNING)


def optuna_url(url: str) -> str:
    """The URL Optuna's SQLAlchemy needs (psycopg 3 for PostgreSQL)."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def start_worker(tmp: Path, url: str, *overrides: str, log: Path | None = None,
                 env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start one worker process; its output goes to a log file under `tmp`.

    `log` names that file (default: a fresh worker-<ns>.log); `env` adds environment variables.
    """
    path = log or tmp / f"worker-{time.monotonic_ns()}.log"
    out = open(path, "w")  # noqa: SIM115 - closed by the OS
    full_env = {**os.environ, "CI": "true", "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "dse.run", *TINY, f"storage.url={url}",
         f"study.output_dir={tmp}/out", *overrides],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True, env=full_env,
        **SIGINT_DEFAULT,  # it answers `interrupt` even where pytest started ignoring SIGINT
    )


def trials(url: str, study: str) -> list[optuna.trial.FrozenTrial]:
    """The study's trials (empty while it does not exist yet)."""
    try:
        return optuna.load_study(study_name=study, storage=optuna_url(url)).trials
    except KeyError:
        return []


def owner(proc: subprocess.Popen[str]) -> str:
    """The `worker` user attr that `proc` sets on the trials it takes."""
    return f"{socket.gethostname()}:{proc.pid}"


def owned(url: str, study: str, proc: subprocess.Popen[str], state: str) -> list[int]:
    """Numbers of the trials taken by `proc` that are now in `state` (e.g. FAIL)."""
    return [t.number for t in trials(url, study)
            if t.state.name == state and t.user_attrs.get("worker") == owner(proc)]


def wait_for_running_trial(url: str, study: str, proc: subprocess.Popen[str], *,
                           timeout: float = 120) -> None:
    """Wait until `proc` is in the middle of a trial (its trials must last seconds).

    The trial seen running may end before a signal sent next arrives: find the trial the
    signal hit afterwards, with `owned`.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for trial in trials(url, study):
            if trial.state.name == "RUNNING" and trial.user_attrs.get("worker") == owner(proc):
                time.sleep(0.5)  # let it get into training
                return
        if proc.poll() is not None:
            raise AssertionError(f"worker exited with {proc.returncode} before running a trial")
        time.sleep(0.2)
    raise AssertionError(f"no running trial of {owner} within {timeout} s")


def interrupt(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C."""
    proc.send_signal(signal.SIGINT)
