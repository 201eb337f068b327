"""Connecting to PostgreSQL: one place for connection options, errors and version checks."""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import conninfo

from plinto_db.errors import UserError
from plinto_db.pg.versions import format_version

APPLICATION_NAME = "plinto-db"
CONNECT_TIMEOUT_SECONDS = 10
MIN_SERVER_VERSION = 130000


def parse_dsn(dsn: str) -> dict[str, str]:
    """The DSN's parameters; a malformed DSN is a UserError that does not echo a password."""
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        reason = _first_line(str(exc))
        raise UserError(f"malformed connection string: {_scrub(reason, dsn)}") from None
    port = str(params.get("port") or "")
    if not all(_is_port(part) for part in port.split(",")):  # else blamed on the host
        raise UserError(
            f"malformed connection string: port {port!r} is not a number from 1 to 65535"
        )
    return params


def _is_port(text: str) -> bool:
    text = text.strip()
    return not text or (text.isdigit() and 0 < int(text) < 65536)  # empty: the default


def describe(dsn: str) -> str:
    """host:port/dbname as user, without the password: for messages and logs."""
    params = parse_dsn(dsn)
    host = params.get("host") or os.environ.get("PGHOST") or "local socket"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    user = params.get("user") or os.environ.get("PGUSER") or getpass.getuser()
    dbname = params.get("dbname") or os.environ.get("PGDATABASE") or user
    where = f"{host}:{port}" if not host.startswith("/") else f"socket {host} port {port}"
    return f"{where}, database {dbname!r}, user {user!r}"


def connect(
    dsn: str,
    *,
    autocommit: bool = True,
    application_name: str = APPLICATION_NAME,
    **kwargs: object,
) -> psycopg.Connection:
    """Open a connection, autocommit by default so no session sits idle in a transaction.

    Any failure to connect is a UserError naming where, never the password.
    """
    parse_dsn(dsn)
    try:
        return psycopg.connect(
            dsn,
            autocommit=autocommit,
            application_name=application_name,
            connect_timeout=kwargs.pop("connect_timeout", CONNECT_TIMEOUT_SECONDS),
            **kwargs,
        )
    except psycopg.OperationalError as exc:
        reason = _scrub(_last_meaningful_line(str(exc)), dsn)
        raise UserError(f"cannot connect to {describe(dsn)}: {reason}") from None


@contextmanager
def connection(dsn: str, **kwargs: object) -> Iterator[psycopg.Connection]:
    conn = connect(dsn, **kwargs)
    try:
        yield conn
    finally:
        conn.close()


def idle(conn: psycopg.Connection) -> bool:
    """Open, and between commands: a Ctrl-C can cut a query short and leave a connection
    busy with it, where the next command would fail."""
    return (
        not conn.closed
        and not conn.broken
        and conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
    )


def server_version(conn: psycopg.Connection) -> int:
    """server_version_num, e.g. 150018 or 180006."""
    return conn.info.server_version


def require_server_version(conn: psycopg.Connection, minimum: int = MIN_SERVER_VERSION) -> int:
    version = server_version(conn)
    if version < minimum:
        raise UserError(
            f"server version {format_version(version)} is too old: plinto-db needs "
            f"PostgreSQL {format_version(minimum)} or newer"
        )
    return version


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _last_meaningful_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return "unknown error"
    # libpq says "connection to server at ... failed: CAUSE" once per address tried, then hints
    failed = [i for i, line in enumerate(lines) if " failed: " in line] or [len(lines) - 1]
    cause = lines[failed[-1]].rsplit(" failed: ", 1)[-1]
    hints = " ".join(lines[failed[-1] + 1 :])
    return f"{cause} ({hints.rstrip('?').lower()}?)" if hints else cause


def _scrub(message: str, dsn: str) -> str:
    """The message without the DSN's password, even when libpq cannot parse the DSN."""
    try:
        password = conninfo.conninfo_to_dict(dsn).get("password")
    except psycopg.ProgrammingError:  # unparsable: find the password as written
        written = _URL_PASSWORD.search(dsn) or _KV_PASSWORD.search(dsn)
        password = (
            written.group(0)[len(written.group(1)) :].rstrip("@").strip("'") if written else None
        )
    if password:
        message = message.replace(password, "***")
    message = _URL_PASSWORD.sub(r"\1***@", message)
    return _KV_PASSWORD.sub(r"\1***", message)


# user:password@ in anything URL-shaped (libpq echoes the unparsable DSN in its message)
_URL_PASSWORD = re.compile(r"(://[^:/@\s\"]*:)[^\s\"]*@")
# password=value in key=value strings, quoted or not (an unterminated quote runs to the end)
_KV_PASSWORD = re.compile(r"(\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*(?:'|$)|[^\s\"]+)")
