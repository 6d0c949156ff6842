"""Named locks shared by every process that uses one store.

The lock must not block other connections' writes (Optuna writes through its own engine while
a worker holds it), so it is never a database write lock:
- PostgreSQL: a session-level advisory lock on a connection held for the duration;
- SQLite file: flock() on a file beside the database (SQLite stores are single-machine);
- in-memory SQLite: a lock local to the process.
A lock dies with the process that holds it: a crashed worker never leaves one behind.

Waiting for a lock is never a blocking call: the waiter tries, sleeps a moment (backing off up
to POLL_MAX_S), and tries again, checking dse.core.interrupt between tries. So a worker that
waits for a lock honours Ctrl-C and SIGTERM within POLL_MAX_S, even inside interrupt.deferred()
(nothing has been done yet when the lock is not held). A holder that is paused still keeps the
lock; what bounds that is the claim protocol's business, not the lock's.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from dse.core import interrupt

__all__ = ["POLL_MAX_S", "named_lock"]

log = logging.getLogger(__name__)
POLL_MIN_S, POLL_MAX_S = 0.02, 0.25  # the waiter's first and longest sleep between two tries

_LOCAL: dict[str, threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()


def _digest(name: str) -> bytes:
    """A stable hash of the lock's name."""
    return hashlib.sha256(f"dse-lock:{name}".encode()).digest()


def _wait_for(take: Callable[[], bool]) -> None:
    """Call `take` until it returns True, sleeping (with backoff and jitter) between tries and
    raising a stop (Ctrl-C, SIGTERM) that arrives meanwhile."""
    pause = POLL_MIN_S
    while not take():
        interrupt.check()
        time.sleep(pause * random.uniform(0.5, 1.0))
        interrupt.check()
        pause = min(POLL_MAX_S, pause * 2)


@contextmanager
def _advisory_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock on one pooled connection."""
    key = int.from_bytes(_digest(name)[:8], "big", signed=True)
    with engine.connect() as connection:
        def take() -> bool:
            """One try; the lock outlives the transaction, so no snapshot stays open."""
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
            connection.commit()
            return bool(got)

        _wait_for(take)
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
            except DBAPIError as exc:  # the server ended the session, and the lock with it
                log.warning("the connection holding lock %r was lost (%s); the server released "
                            "the lock with it", name, " ".join(str(exc.orig or exc).split())[:200])


@contextmanager
def _file_lock(database: str, name: str) -> Iterator[None]:
    """Hold an exclusive flock() on <database>.locks/<hash of name>."""
    folder = Path(f"{database}.locks")
    folder.mkdir(exist_ok=True)
    fd = os.open(folder / _digest(name).hex()[:16], os.O_RDWR | os.O_CREAT, 0o644)

    def take() -> bool:
        """One try of the exclusive flock()."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        _wait_for(take)
        yield
    finally:
        os.close(fd)  # closing releases the flock


@contextmanager
def _process_lock(name: str) -> Iterator[None]:
    """Hold a lock that only this process sees (for an in-memory database)."""
    with _LOCAL_GUARD:
        lock = _LOCAL.setdefault(name, threading.Lock())
    _wait_for(lambda: lock.acquire(blocking=False))
    try:
        yield
    finally:
        lock.release()


def named_lock(engine: Engine, name: str) -> AbstractContextManager[None]:
    """The lock called `name` on the database behind `engine` (waits until it is free, honouring
    Ctrl-C and SIGTERM while it waits)."""
    if engine.dialect.name == "postgresql":
        return _advisory_lock(engine, name)
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return _process_lock(name)
    return _file_lock(database, name)
