"""The local PostgreSQL 15 server for tests and benchmarks: started if down, a role of
their own, and throwaway databases."""

from __future__ import annotations

import secrets
import subprocess
import time

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_USER, PG_PASSWORD = "dse", "dse-test-pw"
PG_ROLE_SQL = f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PG_USER}') THEN
    CREATE ROLE {PG_USER} LOGIN CREATEDB PASSWORD '{PG_PASSWORD}';
  ELSE
    ALTER ROLE {PG_USER} LOGIN CREATEDB PASSWORD '{PG_PASSWORD}';
  END IF;
END $$;
"""


def pg_url(database: str, *, password: str = PG_PASSWORD, port: int = PG_PORT) -> str:
    """URL of `database` on the local server, as the test role."""
    return f"postgresql://{PG_USER}:{password}@{PG_HOST}:{port}/{database}"


def _pg_ready() -> bool:
    """Whether the local server accepts connections."""
    done = subprocess.run(["pg_isready", "-q", "-h", PG_HOST, "-p", str(PG_PORT)],
                          capture_output=True, timeout=30)
    return done.returncode == 0


def start_postgres() -> None:
    """Start the local PostgreSQL 15 cluster if it is down, and wait until it is ready."""
    if _pg_ready():
        return
    attempts = [["pg_ctlcluster", "15", "main", "start"],
                ["su", "postgres", "-c", "pg_ctlcluster 15 main start"]]
    errors = []
    for command in attempts:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode == 0:
            break
        errors.append(f"{' '.join(command)}: {(done.stderr or done.stdout).strip()}")
    for _ in range(60):
        if _pg_ready():
            return
        time.sleep(0.5)
    raise RuntimeError(f"PostgreSQL at {PG_HOST}:{PG_PORT} is not ready; {'; '.join(errors)}")


def psql_as_superuser(sql: str) -> None:
    """Run SQL as the postgres superuser (the SQL goes through stdin, untouched by a shell)."""
    done = subprocess.run(["su", "postgres", "-c", "psql -q -v ON_ERROR_STOP=1 -d postgres"],
                          input=sql, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"psql as postgres failed: {done.stderr.strip()}")


def _admin(sql: str) -> None:
    """Run one statement as the test role on the maintenance database, outside a transaction."""
    import psycopg  # lazy: only the PostgreSQL tests need it

    with psycopg.connect(pg_url("postgres"), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


def create_pg_database() -> str:
    """Create a fresh database owned by the test role; return its name."""
    name = f"dse_test_{secrets.token_hex(6)}"
    _admin(f"CREATE DATABASE {name}")
    return name


def drop_pg_database(name: str) -> None:
    """Drop a test database, closing any connection still open on it."""
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def ensure_server() -> None:
    """Start the server if needed and put the test role in place."""
    start_postgres()
    psql_as_superuser(PG_ROLE_SQL)
