"""open_store: bad URLs, SQLite settings, table creation beside Optuna, no data loss."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from conftest import pg_url

from dse.store import open_store
from store._records import as_older_release, proxy_arch, result

SECRET = "sekrit-Pw-42"


def _open_error(url: str) -> str:
    """The message of the ValueError that open_store(url) raises."""
    with pytest.raises(ValueError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "\n" not in message
    assert SECRET not in message and "dse-test-pw" not in message
    return message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "storage.url is not a valid database URL: not a url; expected "),
        (f"postgresql://dse:{SECRET}@127.0.0.1:notaport/db",
         "storage.url is not a valid database URL: postgresql://dse:***@127.0.0.1:notaport/db"),
        (f"dse:{SECRET}@127.0.0.1/db", "storage.url is not a valid database URL: dse:***@"),
        (f"postgresql://dse:{SECRET}@x@127.0.0.1/db", "write an '@' in the password as %40"),
        ("", "storage.url must be a non-empty database URL, got ''"),
        (f"mysql://dse:{SECRET}@127.0.0.1/db",
         "storage.url uses unsupported dialect 'mysql' (mysql://dse:***@127.0.0.1/db); "
         "supported: sqlite, postgresql"),
        (f"postgres://dse:{SECRET}@127.0.0.1/db", "unsupported dialect 'postgres'"),
        (f"postgresql+psycopg2://dse:{SECRET}@127.0.0.1/db",
         "storage.url uses driver 'psycopg2' for postgresql"),
        ("sqlite://runs/dse.db", "storage.url is not a valid SQLite URL: sqlite://runs/dse.db; "),
    ],
)
def test_malformed_or_unsupported_url(url: str, expected: str) -> None:
    assert expected in _open_error(url)


def test_unreachable_server_fails_fast() -> None:
    start = time.monotonic()
    message = _open_error(pg_url("db", password=SECRET, port=1))
    assert message == "cannot connect to postgresql://dse:***@127.0.0.1:1/db: Connection refused"
    assert time.monotonic() - start < 10


@pytest.mark.postgres
def test_wrong_password(postgres_url: str) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    message = _open_error(pg_url(database, password=SECRET))
    assert message == (f"cannot connect to postgresql://dse:***@127.0.0.1:5432/{database}: "
                       'password authentication failed for user "dse"')


@pytest.mark.postgres
def test_password_in_the_query_is_hidden_too(postgres_url: str) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    message = _open_error(f"postgresql://dse@127.0.0.1:5432/{database}?password={SECRET}")
    assert f"/{database}?password=***: password authentication failed" in message


@pytest.mark.postgres
def test_missing_database(postgres_server: None) -> None:
    message = _open_error(pg_url("dse_no_such_db", password="dse-test-pw"))
    assert message.endswith('dse_no_such_db: database "dse_no_such_db" does not exist')


def test_sqlite_directory_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    message = _open_error(f"sqlite:///{tmp_path / 'file' / 'dse.db'}")
    assert message.startswith(f"cannot create the directory {tmp_path / 'file'} for sqlite:///")


def test_sqlite_file_is_made_with_its_directory_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "dse.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.postgres
def test_store_url_and_repr_hide_the_password(pg_db_url: str) -> None:
    with open_store(pg_db_url) as store:
        assert "dse-test-pw" not in store.url and "dse-test-pw" not in repr(store)
        assert store.url.startswith("postgresql+psycopg://dse:***@127.0.0.1:5432/")


def test_a_bad_url_leaves_an_existing_store_unchanged(store_url: str) -> None:
    arch = proxy_arch()
    with open_store(store_url) as store:
        store.save_arch(arch)
        store.save_result(result(arch))
        before = (store.results("s"), store.archs([arch.fingerprint]))
    dialect, rest = store_url.split("://", 1)
    bad = [f"{dialect}+nodriver://{rest}", f"mysql://{rest}", f"{dialect}//{rest}"]
    if dialect == "postgresql":
        bad.append(store_url.replace(":dse-test-pw@", f":{SECRET}@"))
    for url in bad:
        _open_error(url)
    with open_store(store_url) as store:
        assert (store.results("s"), store.archs([arch.fingerprint])) == before


def test_older_tables_are_reported_not_altered(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE dse_results (id INTEGER PRIMARY KEY, study TEXT)")
        conn.execute("INSERT INTO dse_results (study) VALUES ('kept')")
    message = _open_error(f"sqlite:///{path}")
    assert "lacks columns dse_results.trial_number, dse_results.point" in message
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT id, study FROM dse_results").fetchall() == [(1, "kept")]


def test_tables_live_beside_optunas(store_url: str) -> None:
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    arch = proxy_arch()
    with open_store(store_url) as store:  # first: it also makes the SQLite file's directory
        store.save_arch(arch)
    study = optuna.create_study(storage=store_url, study_name="beside")
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    with open_store(store_url) as store:
        store.save_result(result(arch, study="beside"))
    with open_store(store_url) as store:
        assert store.count_results("beside") == 1
    loaded = optuna.load_study(storage=store_url, study_name="beside")
    assert len(loaded.trials) == 2


def test_a_store_of_an_older_release_gains_the_new_columns_and_keeps_its_rows(
        store_url: str) -> None:
    from sqlalchemy import Connection, text

    added = ("threads", "seed_batch", "weights_artifact", "weights_store", "weights_bytes",
             "budget")

    def first_release(conn: Connection) -> None:
        """The first release's schema: no column added since."""
        for column in added:
            conn.execute(text(f"ALTER TABLE dse_results DROP COLUMN {column}"))

    arch = as_older_release(store_url, first_release)
    with open_store(store_url) as store:
        old = store.results("s")
        store.save_result(result(arch, threads=1, seed_batch=3, trial_number=1,
                                 weights_artifact="a-b", weights_store="/w", weights_bytes=9,
                                 budget=20))
        both = store.results("s")
    assert [(r.trial_number, *(getattr(r, c) for c in added)) for r in old] == [(0, *[None] * 6)]
    assert [tuple(getattr(r, c) for c in added) for r in both] == [
        (None,) * 6, (1, 3, "a-b", "/w", 9, 20)]


@pytest.mark.postgres
def test_a_connection_lost_while_the_tables_are_checked_is_a_database_failure(
        pg_db_url: str) -> None:
    from sqlalchemy import Engine, create_engine, event, text
    from sqlalchemy.exc import DBAPIError

    from dse.store import database_failure, driver_url

    killer, killed = create_engine(driver_url(pg_db_url)), []

    def drop(conn: object, cursor: object, statement: str, *_args: object) -> None:
        """Terminate the session as it asks for the schema lock (a server restart, a pooler)."""
        if "pg_advisory_xact_lock" in statement and not killed:
            killed.append(cursor.connection.info.backend_pid)  # type: ignore[attr-defined]
            with killer.begin() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed[0]})

    event.listen(Engine, "before_cursor_execute", drop)
    try:
        with pytest.raises(DBAPIError) as caught:  # not "cannot create the store's tables"
            open_store(pg_db_url)
    finally:
        event.remove(Engine, "before_cursor_execute", drop)
        killer.dispose()
    assert killed and (database_failure(caught.value) or "").startswith("the database failed (")
    open_store(pg_db_url).close()  # the next run goes on
