"""Workers stopped or cut off at the worst moment, on a real PostgreSQL server: a worker paused
inside its claim delays no other worker's claim, and a database that drops every connection
mid-run costs a clean retry or one line of error, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from studyrun import TINY
from workers import optuna_url, start_worker, trials

from dse.cli import compose, to_plain
from dse.core.config import run_config
from dse.core.records import counted_results
from dse.core.sweep import point_key
from dse.search._claim import claim
from dse.search._study import open_study, study_storage
from dse.store import load_results, open_store

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
GRID = ("+sweep=squeeze_ratio", "sweep.grid.sr=[0.25,0.5,1.0]", "study.seeds=1",
        "study.heartbeat_s=1", "study.seed_batching=false")
STOP_INSIDE_CLAIM = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from dse.cli import compose, to_plain
from dse.core.config import run_config
from dse.search._claim import claim
from dse.search._study import open_study, study_storage
from dse.store import open_store

def stop_in_the_claim(conn, cursor, statement, *args):
    if statement.startswith("UPDATE dse_work_items") and "lease_until" in statement and \
            cursor.rowcount > 0:  # it took an item
        os.kill(os.getpid(), signal.SIGSTOP)  # a suspended VM, right inside the transaction

cfg = run_config(to_plain(compose("config", sys.argv[1:])))
with open_store(cfg.storage_url) as store:
    storage = study_storage(cfg, store)
    study = open_study(cfg, storage, store)
    event.listen(Engine, "after_cursor_execute", stop_in_the_claim)
    claim(cfg, store, study, storage)
"""


def _overrides(url: str, tmp_path: Path) -> list[str]:
    """The study's overrides, as a worker is started with them."""
    return [*TINY, f"storage.url={url}", f"study.output_dir={tmp_path}", *GRID]


def _stopped(pid: int) -> bool:
    """Whether the process is stopped (SIGSTOP)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"


def test_a_worker_paused_inside_its_claim_delays_no_other_claim(pg_db_url: str,
                                                                 tmp_path: Path) -> None:
    overrides = _overrides(pg_db_url, tmp_path)
    cfg = run_config(to_plain(compose("config", overrides)))
    with open_store(pg_db_url) as store:
        storage = study_storage(cfg, store)
        study = open_study(cfg, storage, store)
        assert study is not None
        paused = subprocess.Popen([sys.executable, "-c", STOP_INSIDE_CLAIM, *overrides], cwd=ROOT)
        try:
            deadline = time.monotonic() + 120
            while not _stopped(paused.pid):
                assert paused.poll() is None and time.monotonic() < deadline, "never paused"
                time.sleep(0.05)
            took, keys = [], []
            for _ in range(2):  # the paused worker holds the first item's row lock, and stays
                start = time.monotonic()
                lease = claim(cfg, store, study, storage)
                took.append(time.monotonic() - start)
                keys += [t.user_attrs["point_key"] for t in lease.trials]
            assert keys == [point_key({"sr": 0.5}), point_key({"sr": 1.0})]
            assert max(took) < 10.0, took  # no wait on the paused worker (30 s until its session
            # is ended; the old study lock: forever)
        finally:
            os.kill(paused.pid, signal.SIGKILL)
            paused.wait()
        lease = claim(cfg, store, study, storage)  # its transaction died with it: the item is back
        assert [t.user_attrs["point_key"] for t in lease.trials] == [point_key({"sr": 0.25})]


def _drop_connections(url: str) -> int:
    """Terminate every other session of the database (a restart, a failover); how many."""
    engine = create_engine(optuna_url(url))
    with engine.begin() as conn:
        dropped = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND usename = current_user "
            "AND pid <> pg_backend_pid()")).scalar()
    engine.dispose()
    return int(dropped or 0)


def test_dropped_connections_mid_run_are_a_clean_retry_or_one_line(pg_db_url: str,
                                                                    tmp_path: Path) -> None:
    worker = start_worker(tmp_path, pg_db_url, *GRID, "study.seeds=2", "study.workers=1",
                          log=tmp_path / "w.log")
    drops, log = 0, tmp_path / "w.log"
    try:
        deadline = time.monotonic() + 240
        while worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.7)
            if "to run," in log.read_text():  # its trials have begun
                drops += _drop_connections(pg_db_url)
        assert worker.poll() is not None, "the worker hung"
    finally:
        worker.kill()
    out = log.read_text()
    assert drops >= 1, out  # it was cut off mid-run
    assert "Traceback" not in out, out
    if worker.returncode != 0:
        assert worker.returncode == 1, out
        last = out.strip().splitlines()[-1]
        assert last.startswith("error: the database failed") and "run the same command" in last
        again = start_worker(tmp_path, pg_db_url, *GRID, "study.seeds=2", "study.workers=1",
                             log=tmp_path / "again.log")
        assert again.wait(timeout=300) == 0, (tmp_path / "again.log").read_text()
    results = load_results(pg_db_url, "squeeze_ratio-digits")
    assert len(counted_results(results)) == 6  # every item once, whatever was cut off


def _waiting_on_a_lock(engine: Engine, app: str) -> bool:
    """Whether a session of `app` waits on a lock now (a fresh read: pg_stat_activity is read
    once per transaction)."""
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app "
            "AND wait_event_type = 'Lock'"), {"app": app}).scalar())


def test_sigterm_while_opening_a_trial_behind_optunas_lock_ends_the_worker_at_once(
        pg_db_url: str, tmp_path: Path) -> None:
    cfg = run_config(to_plain(compose("config", _overrides(pg_db_url, tmp_path))))
    with open_store(pg_db_url) as store:
        assert open_study(cfg, study_storage(cfg, store), store) is not None
        engine = create_engine(optuna_url(pg_db_url))
        with engine.connect() as holder:  # a worker paused inside Optuna's trial creation
            holder.execute(text("SELECT 1 FROM studies WHERE study_name = :s FOR UPDATE"),
                           {"s": cfg.study_name})
            worker = start_worker(tmp_path, pg_db_url, *GRID, "study.workers=1",
                                  log=tmp_path / "w.log", env={"PGAPPNAME": "dse-waiter"})
            deadline = time.monotonic() + 120
            while not _waiting_on_a_lock(engine, "dse-waiter"):
                assert worker.poll() is None and time.monotonic() < deadline, \
                    (tmp_path / "w.log").read_text()
                time.sleep(0.1)
            worker.send_signal(signal.SIGTERM)
            try:  # while the lock is still held: it did not wait for it (lock_timeout is 60 s)
                code = worker.wait(timeout=30)
            finally:
                worker.kill()
                holder.rollback()
        engine.dispose()
        out = (tmp_path / "w.log").read_text()
        assert code == 143, out
        assert "Traceback" not in out, out
        counts = store.queue(cfg.study_name).counts()
        assert (counts.waiting, counts.running) == (3, 0)  # given back ...
        assert [i.tries for i in store.queue(cfg.study_name).claim(
            "next", lease_s=9, group=3, max_retries=0)] == [0]  # ... using no try
    running = [t for t in trials(pg_db_url, cfg.study_name) if t.state.name == "RUNNING"]
    assert running == []
