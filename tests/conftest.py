"""Shared fixtures and paths."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import PG_PASSWORD, create_pg_database, drop_pg_database, ensure_server, pg_url
from procs import SIGINT_DEFAULT

__all__ = ["PG_PASSWORD", "ROOT", "create_pg_database", "drop_pg_database", "pg_url",
           "run_module"]

ROOT = Path(__file__).resolve().parents[1]


def run_module(module: str, *args: str, cwd: Path = ROOT, timeout: float = 600,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m module args...` in a fresh interpreter and capture its output."""
    full_env = {**os.environ, "CI": "true", "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env, **SIGINT_DEFAULT,
    )


@pytest.fixture(autouse=True, scope="session")
def _folder_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Image-folder caches of every test (and its subprocesses) go to a temporary folder."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture
def default_sigint() -> Iterator[None]:
    """Python's own Ctrl-C handler for the test, even when pytest started with SIGINT ignored.

    Started with SIGINT ignored (a background job of a script, `trap '' INT`), Python installs
    no KeyboardInterrupt handler and dse.core.interrupt.guard() rightly leaves it so: a test of what
    Ctrl-C does must put the default handler in place itself. The previous handler comes back.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if previous is not None:  # None: a handler not set from Python, nothing to put back
            signal.signal(signal.SIGINT, previous)


@pytest.fixture
def run() -> object:
    """The run_module helper as a fixture."""
    return run_module


# --- PostgreSQL ----------------------------------------------------------------------------
# A server that cannot be started fails the tests: it never skips them.

@pytest.fixture(scope="session")
def postgres_server() -> None:
    """The local PostgreSQL server, running, with the test role in place."""
    try:
        ensure_server()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        pytest.fail(f"cannot start the local PostgreSQL 15 server: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: None) -> Iterator[str]:
    """URL of a database made for this test session (dropped at the end)."""
    name = create_pg_database()
    yield pg_url(name)
    drop_pg_database(name)


@pytest.fixture
def pg_db_url(postgres_server: None) -> Iterator[str]:
    """URL of a database made for this one test (dropped after it)."""
    name = create_pg_database()
    yield pg_url(name)
    drop_pg_database(name)
