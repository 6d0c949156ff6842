"""Named locks shared by every process that uses one store.

The lock must not block other connections' writes (Optuna writes through its own engine while
a worker holds it), so it is never a database write lock:
- PostgreSQL: a session-level advisory lock on a connection held for the duration;
- SQLite file: flock() on a file beside the database (SQLite stores are single-machine);
- in-memory SQLite: a lock local to the process.
A lock dies with the process that holds it: a crashed worker never leaves one behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["named_lock"]

_LOCAL: dict[str, threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()


def _digest(name: str) -> bytes:
    """A stable hash of the lock's name."""
    return hashlib.sha256(f"dse-lock:{name}".encode()).digest()


@contextmanager
def _advisory_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock on one pooled connection."""
    key = int.from_bytes(_digest(name)[:8], "big", signed=True)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()  # the lock outlives the transaction; no snapshot stays open
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


@contextmanager
def _file_lock(database: str, name: str) -> Iterator[None]:
    """Hold an exclusive flock() on <database>.locks/<hash of name>."""
    folder = Path(f"{database}.locks")
    folder.mkdir(exist_ok=True)
    fd = os.open(folder / _digest(name).hex()[:16], os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


@contextmanager
def _process_lock(name: str) -> Iterator[None]:
    """Hold a lock that only this process sees (for an in-memory database)."""
    with _LOCAL_GUARD:
        lock = _LOCAL.setdefault(name, threading.Lock())
    with lock:
        yield


def named_lock(engine: Engine, name: str) -> AbstractContextManager[None]:
    """The lock called `name` on the database behind `engine` (blocks until it is free)."""
    if engine.dialect.name == "postgresql":
        return _advisory_lock(engine, name)
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return _process_lock(name)
    return _file_lock(database, name)
