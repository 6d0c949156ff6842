"""URL checks and password redaction (no database needed)."""

from __future__ import annotations

import pytest

from dse.store import redact_url
from dse.store._urls import parse_url

SECRET = "s3cr3t-Pw"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"postgresql://dse:{SECRET}@db.example:5432/dse", "postgresql://dse:***@db.example:5432/dse"),
        (f"postgresql+psycopg://dse:{SECRET}@h/d", "postgresql+psycopg://dse:***@h/d"),
        ("postgresql://dse@h/d", "postgresql://dse@h/d"),
        ("sqlite:///runs/dse.db", "sqlite:///runs/dse.db"),
        ("sqlite:////abs/path/dse.db", "sqlite:////abs/path/dse.db"),
        (f"postgresql://dse@h/d?password={SECRET}&sslmode=require",
         "postgresql://dse@h/d?password=***&sslmode=require"),
        # An unescaped "@" in the password: the parser would put part of it in the host.
        (f"postgresql://dse:{SECRET}@x@h:5432/d", "postgresql://dse:***@h:5432/d"),
        # Not URLs at all: whatever could be a password is hidden anyway.
        (f"dse:{SECRET}@h/d", "dse:***@h/d"),
        (f"postgresql://dse:{SECRET}@h:port/d", "postgresql://dse:***@h:port/d"),
        (f"://dse:{SECRET}@h/d?password={SECRET}", "://dse:***@h/d?password=***"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url_hides_the_password(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert SECRET not in redact_url(url)


def test_redact_url_keeps_an_escaped_password_hidden() -> None:
    assert redact_url("postgresql://dse:p%40ss%2Fword@h/d") == "postgresql://dse:***@h/d"


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u:p@h/d", "postgresql+psycopg"),
        ("postgresql+psycopg://u:p@h/d", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite+pysqlite"),
    ],
)
def test_parse_url_names_the_store_driver(url: str, driver: str) -> None:
    parsed = parse_url(url)
    assert parsed.drivername == driver
    assert parsed.password == ("p" if parsed.host else None)
