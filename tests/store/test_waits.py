"""Waits that end: a worker waiting for a lock honours SIGTERM and Ctrl-C, a lost lock
connection is one warning line, and PostgreSQL sessions keep their clocks in UTC."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from sqlalchemy import text

from dse.search import optuna_storage
from dse.store import open_store

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from dse.store import open_store
with open_store(sys.argv[1]) as store, store.lock("study:s"):
    print("held", flush=True)
    time.sleep(120)
"""
WAIT = """
import sys
from dse.core import interrupt
from dse.store import open_store
store = open_store(sys.argv[1])
try:
    with interrupt.guard():
        print("waiting", flush=True)
        with interrupt.deferred(), store.lock("study:s"):
            print("took the lock", flush=True)
except KeyboardInterrupt as exc:
    print("stopped", flush=True)
    sys.exit(interrupt.exit_code(exc))
"""
STOP_BOUND_S = 30.0  # far below the 120 s a blocked waiter takes: it shows no wait, not speed


def _start(code: str, url: str, **env: str) -> subprocess.Popen[str]:
    """A Python process running `code` with the store URL as its argument."""
    return subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, **env})


def _read_until(proc: subprocess.Popen[str], word: str) -> None:
    """Read the process's lines until one is `word`."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == word:
            return
    raise AssertionError(f"the process ended (code {proc.wait()}) before saying {word!r}")


@pytest.mark.usefixtures("default_sigint")  # its waiter gets Ctrl-C even if pytest ignores it
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_worker_waiting_for_the_study_lock_stops_at_once(store_url: str, signum: int,
                                                            code: int) -> None:
    open_store(store_url).close()
    holder = _start(HOLD, store_url)
    try:
        _read_until(holder, "held")
        waiter = _start(WAIT, store_url)
        _read_until(waiter, "waiting")
        time.sleep(1.0)  # inside the wait by now
        assert waiter.poll() is None, "the waiter got past a held lock"
        start = time.monotonic()
        waiter.send_signal(signum)
        returncode = waiter.wait(timeout=60)
        took = time.monotonic() - start
        assert waiter.stdout is not None
        assert (returncode, waiter.stdout.read().split()) == (code, ["stopped"])
        assert took < STOP_BOUND_S, f"the waiter took {took:.1f} s to stop"
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.postgres
def test_a_lost_lock_connection_is_one_warning_not_a_traceback(
        pg_db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with open_store(pg_db_url) as store:
        with store.lock("study:s"):
            with store._engine.connect() as admin:  # the server ends the lock's session
                admin.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"))
                admin.commit()
        with store.lock("study:s"):  # and the lock is free again
            pass
    assert any("was lost" in r.getMessage() for r in caplog.records)


BEAT = """
import sys
from dse.search import optuna_storage
optuna_storage(sys.argv[1], heartbeat_s=1).record_heartbeat(int(sys.argv[2]))
"""
CHECK = """
import sys, optuna
from dse.search import optuna_storage
storage = optuna_storage(sys.argv[1], heartbeat_s=1)
study = optuna.load_study(study_name="tz", storage=storage)
optuna.storages.fail_stale_trials(study)
print(study.trials[0].state.name, flush=True)
"""


def _run(code: str, *args: str, tz: str) -> str:
    """Run `code` with PGTZ=`tz`; its output."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PGTZ": tz}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.mark.postgres
def test_heartbeats_agree_whatever_time_zone_each_worker_sets(pg_db_url: str) -> None:
    storage = optuna_storage(pg_db_url, heartbeat_s=1)
    study = optuna.create_study(study_name="tz", storage=storage)
    trial = study.ask()
    trial_id = trial._trial_id
    _run(BEAT, pg_db_url, str(trial_id), tz="America/New_York")  # 5 hours behind UTC
    # a worker in Tokyo (9 hours ahead) sees a live trial, not one silent for 14 hours
    assert _run(CHECK, pg_db_url, tz="Asia/Tokyo") == "RUNNING"
    time.sleep(3 * 1 + 1.5)  # past the grace period of 3 heartbeats
    assert _run(CHECK, pg_db_url, tz="Asia/Tokyo") == "FAIL"  # and a silent one as failed
    assert study.trials[0].state == TrialState.FAIL
