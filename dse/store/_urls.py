"""Database URLs: the supported dialects and drivers, validation, and password redaction."""

from __future__ import annotations

import re

from sqlalchemy.engine import URL, make_url

__all__ = ["SUPPORTED_DIALECTS", "driver_url", "one_line", "parse_url", "redact_url", "secrets_of"]

# dialect -> the one driver the store uses with it: the stdlib sqlite3, and psycopg 3.
_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
SUPPORTED_DIALECTS = tuple(_DRIVERS)
_HIDDEN = "***"
_QUERY_SECRET = re.compile(r"(?i)([?&][^=&#]*password[^=&#]*=)[^&#]*")
_URL_FORMS = "dialect://user:password@host:port/database or sqlite:///path/to/file.db"


def one_line(text: str) -> str:
    """Collapse all whitespace (newlines included) to single spaces."""
    return " ".join(text.split())


def _redact_unparsed(url: str) -> str:
    """Hide everything that could be a password in a string that is not a valid URL."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    userinfo, at, hostpart = rest.rpartition("@")  # the last "@": over-hiding is safe
    if at and ":" in userinfo:
        rest = f"{userinfo.split(':', 1)[0]}:{_HIDDEN}@{hostpart}"
    return _QUERY_SECRET.sub(rf"\1{_HIDDEN}", f"{scheme}{sep}{rest}")


def _is_secret_key(key: str) -> bool:
    """Whether a URL query key carries a password (password, sslpassword, ...)."""
    return "password" in key.lower()


def redact_url(url: str) -> str:
    """Return `url` with its password (and any password query parameter) replaced by ***.

    Strings that do not parse as a URL are redacted conservatively: everything between the
    user name and the last "@" is hidden. The result never contains the password.

    Args:
        url: a database URL as the user wrote it.

    Returns:
        The URL, safe to print, log or store.
    """
    try:
        parsed = make_url(url)
    except Exception:  # any unparsable input takes the conservative path
        return _redact_unparsed(str(url))
    if parsed.host and "@" in parsed.host:
        # An unescaped "@" in the password: the URL parser put the rest of it into the host.
        return _redact_unparsed(url)
    hidden = {key: _HIDDEN for key in parsed.query if _is_secret_key(key)}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    # The renderer percent-encodes the query's "***"; show it as written.
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", _HIDDEN)


def secrets_of(url: URL) -> list[str]:
    """Every password the parsed URL carries, for scrubbing them out of driver messages."""
    found = [url.password] if url.password else []
    for key, value in url.query.items():
        if _is_secret_key(key):
            found.extend([value] if isinstance(value, str) else value)
    return [secret for secret in found if secret]


def parse_url(url: str) -> URL:
    """Parse and check a store URL; return it with the store's driver made explicit.

    Raises:
        ValueError: the URL is malformed or names an unsupported dialect or driver; the
            one-line message shows the URL with its password hidden.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"storage.url must be a non-empty database URL, got {url!r}")
    shown = one_line(redact_url(url))
    try:
        parsed = make_url(url)
    except Exception:  # its message might quote the URL
        raise ValueError(
            f"storage.url is not a valid database URL: {shown}; expected {_URL_FORMS}"
        ) from None
    if parsed.host and "@" in parsed.host:
        raise ValueError(
            f"storage.url is not a valid database URL: {shown}; write an '@' in the "
            f"password as %40"
        )
    dialect, _, driver = parsed.drivername.partition("+")
    if dialect not in _DRIVERS:
        raise ValueError(
            f"storage.url uses unsupported dialect {dialect!r} ({shown}); "
            f"supported: {', '.join(SUPPORTED_DIALECTS)}"
        )
    if driver and driver != _DRIVERS[dialect]:
        raise ValueError(
            f"storage.url uses driver {driver!r} for {dialect} ({shown}); the store uses "
            f"{_DRIVERS[dialect]}: write {dialect}://..."
        )
    if dialect == "sqlite" and (parsed.host or parsed.username or parsed.port):
        # sqlite://name.db would silently open a file named after the path's tail.
        raise ValueError(
            f"storage.url is not a valid SQLite URL: {shown}; a SQLite URL has no host: write "
            f"sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    return parsed.set(drivername=f"{dialect}+{_DRIVERS[dialect]}")


def driver_url(url: str) -> str:
    """The URL with the store's driver made explicit, as Optuna and optuna-dashboard take it.

    Args:
        url: sqlite:///file.db or postgresql://user:password@host:port/database.

    Returns:
        sqlite+pysqlite:///file.db or postgresql+psycopg://... (password included: never print it).
    """
    return parse_url(url).render_as_string(hide_password=False)
