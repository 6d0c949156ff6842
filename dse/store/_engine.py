"""Engines for SQLite files and PostgreSQL servers, and creation of the store's tables.

Every failure here becomes a one-line ValueError that shows the URL with its password hidden:
open_store is where user configuration meets the database.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError

from dse.store._lock import named_lock
from dse.store._tables import ADDED_COLUMNS, Base
from dse.store._urls import one_line, parse_url, redact_url, secrets_of

__all__ = ["connect", "database_failure", "pg_connect_args", "prepare_pg_engine"]

SQLITE_BUSY_TIMEOUT_S = 30  # how long a writer waits for another process's write lock
PG_CONNECT_TIMEOUT_S = 5  # an unreachable server fails fast
# Every PostgreSQL session of dse (the store's and Optuna's) runs with these settings
# (_pg_session, on each new connection; set there because libpq's PGTZ overrides `options`):
# - TimeZone UTC: Optuna stores heartbeats as naive timestamps of now() in the session's zone,
#   so workers whose sessions had different zones (PGTZ) failed each other's live trials;
# - idle_in_transaction_session_timeout: a worker paused (SIGSTOP, a suspended VM) inside a
#   write loses its session after this long, and with it the row locks others wait on;
# - lock_timeout: no statement waits on a row lock longer than this (it is then an error).
PG_IDLE_IN_TRANSACTION_S = 30
PG_LOCK_TIMEOUT_S = 60
PG_SESSION_SQL = ("SET TIME ZONE 'UTC'",
                  f"SET idle_in_transaction_session_timeout = {PG_IDLE_IN_TRANSACTION_S * 1000}",
                  f"SET lock_timeout = {PG_LOCK_TIMEOUT_S * 1000}")
_CREATE_ATTEMPTS = 5
_SCHEMA_LOCK = 0x6473655F73746F72  # pg_advisory_xact_lock key ("dse_stor") for creating tables
_REASON_CHARS = 300
PG_OVERFLOW = 2  # connections a store opens beyond its one kept (closed when given back)


def _json_dumps(value: Any) -> str:
    """Strict JSON: PostgreSQL rejects NaN, so SQLite must not accept it either."""
    return json.dumps(value, allow_nan=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Wait for locks instead of failing, and let readers run beside one writer (WAL)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _make_parent_dir(url: URL, shown: str) -> None:
    """Create the directory of a SQLite file if missing (sqlite3 creates only the file)."""
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        parent = Path(database).parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(
                f"cannot create the directory {parent} for {shown}: "
                f"{one_line(exc.strerror or str(exc))}"
            ) from None


def _sqlite_engine(url: URL) -> Engine:
    """Engine for a SQLite file; every connection waits on locks and uses WAL."""
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
        json_serializer=_json_dumps,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _pg_session(dbapi_connection: Any, _record: Any) -> None:
    """Give a new PostgreSQL session the settings above (UTC, bounded waits)."""
    cursor = dbapi_connection.cursor()
    try:
        for statement in PG_SESSION_SQL:
            cursor.execute(statement)
    finally:
        cursor.close()
    dbapi_connection.commit()


def prepare_pg_engine(engine: Engine) -> Engine:
    """Make every session of a PostgreSQL engine (the store's, Optuna's) use the settings above;
    connections it already pooled are closed, so none escapes them. Other dialects pass."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _pg_session)
        engine.dispose()
    return engine


def pg_connect_args(url: URL | str) -> dict[str, Any]:
    """psycopg's connect arguments for a dse session: a connect timeout, unless the URL sets one."""
    query = parse_url(url).query if isinstance(url, str) else url.query
    return {} if "connect_timeout" in query else {"connect_timeout": PG_CONNECT_TIMEOUT_S}


def _postgresql_engine(url: URL) -> Engine:
    """Engine for a PostgreSQL server through psycopg 3."""
    return prepare_pg_engine(create_engine(
        url,
        pool_pre_ping=True,
        pool_size=1,  # one connection kept per process; a second while the lock holds one
        max_overflow=PG_OVERFLOW,
        connect_args=pg_connect_args(url),
        json_serializer=_json_dumps,
    ))


def _reason(exc: BaseException, secrets: list[str]) -> str:
    """The driver's message cut to its gist, on one line, with every password hidden."""
    message = str(exc.orig) if isinstance(exc, DBAPIError) and exc.orig is not None else str(exc)
    first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    # psycopg: 'connection failed: connection to server at "h", port 1 failed: <the gist>'
    gist = first.rpartition(" failed: ")[2].removeprefix("FATAL:").strip() or first
    for secret in secrets:
        gist = gist.replace(secret, "***")
    gist = one_line(gist)
    return gist if len(gist) <= _REASON_CHARS else gist[: _REASON_CHARS - 3] + "..."


def database_failure(exc: BaseException) -> str | None:
    """One line for an error the database raised (itself, or as the cause of a library's
    error, e.g. Optuna's StorageInternalError); None for any other error."""
    while exc is not None and not isinstance(exc, DBAPIError):
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    if exc is None:
        return None
    return f"the database failed ({type(exc.orig or exc).__name__}: {_reason(exc, [])})"


def _already_exists(exc: DBAPIError) -> bool:
    """Whether `exc` is another process winning the race to create a table or index."""
    message = str(exc.orig).lower()
    return "already exists" in message or "duplicate key" in message


def _create_tables(engine: Engine) -> None:
    """Create the store's tables where missing; never alter or drop existing ones.

    Several workers may open a fresh database at once. On PostgreSQL an advisory lock
    serialises them; on SQLite (and as a fallback) the loser of a race sees "already exists",
    and simply checks again.
    """
    for attempt in range(_CREATE_ATTEMPTS):
        try:
            with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": _SCHEMA_LOCK})
                Base.metadata.create_all(connection, checkfirst=True)
            return
        except DBAPIError as exc:
            if not _already_exists(exc) or attempt == _CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _missing_columns(engine: Engine) -> list[str]:
    """Columns of the store's tables that an existing database lacks (an older schema)."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        missing = []
        for table in Base.metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in present]
    return missing


def _add_columns(engine: Engine, missing: list[str]) -> list[str]:
    """Add the missing columns that ADDED_COLUMNS allows; return those still missing."""
    addable = [m for m in missing if m.split(".")[1] in ADDED_COLUMNS.get(m.split(".")[0], ())]
    if not addable or len(addable) < len(missing):
        return missing
    with engine.begin() as connection:
        # Workers opening one old database at once: SQLite ones take turns (store:schema
        # lock); PostgreSQL ones may race, which IF NOT EXISTS makes harmless.
        guard = "IF NOT EXISTS " if connection.dialect.name == "postgresql" else ""
        for name in addable:
            table, column = name.split(".")
            kind = Base.metadata.tables[table].columns[column].type.compile(connection.dialect)
            connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {guard}{column} {kind}"))
    return []


def _check(engine: Engine, shown: str, secrets: list[str]) -> None:
    """Connect once, create missing tables and check existing ones; raise one-line errors."""
    try:
        with engine.connect():
            pass
    except Exception as exc:  # any driver error: its text goes through _reason
        raise ValueError(f"cannot connect to {shown}: {_reason(exc, secrets)}") from None
    try:
        _create_tables(engine)
        missing = _add_columns(engine, _missing_columns(engine))
    except Exception as exc:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            raise  # the connection was lost meanwhile: the database failed (database_failure
            # says so in one line), not the store's set-up
        raise ValueError(
            f"cannot create the store's tables in {shown}: {_reason(exc, secrets)}"
        ) from None
    if missing:
        raise ValueError(
            f"the store in {shown} lacks columns {', '.join(missing)}: an older dse wrote it; "
            f"use a new database (the store only adds the columns of newer releases)"
        )


def connect(url: str) -> Engine:
    """Open an engine on `url` and make sure the store's tables exist.

    Raises:
        ValueError: the URL is invalid or unsupported, the database cannot be reached, or its
            tables cannot be created; one line, password hidden.
    """
    parsed = parse_url(url)
    shown = one_line(redact_url(url))
    secrets = secrets_of(parsed)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        _make_parent_dir(parsed, shown)
    try:
        engine = _sqlite_engine(parsed) if sqlite else _postgresql_engine(parsed)
    except Exception as exc:  # SQLAlchemy's message may quote the URL
        raise ValueError(f"cannot open {shown}: {_reason(exc, secrets)}") from None
    # SQLite: processes opening one fresh file at once take turns (switching it to WAL and
    # creating tables can fail with "database is locked" when they race); PostgreSQL
    # serialises table creation with an advisory lock inside _create_tables.
    guard = named_lock(engine, "store:schema") if sqlite else contextlib.nullcontext()
    try:
        with guard:
            _check(engine, shown, secrets)
    except BaseException:
        engine.dispose()
        raise
    return engine
