"""The ledger: every apply/drop action recorded in the tool's own schema, shown by `history`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from plinto_db import __version__
from plinto_db.apply.outcome import Events, Outcome
from plinto_db.pg.messages import server_message

SCHEMA = "plinto_db"
TABLE = "apply_ledger"

EXISTS_SQL = "SELECT pg_catalog.to_regclass('plinto_db.apply_ledger') IS NOT NULL"
CREATE_SCHEMA_SQL = "CREATE SCHEMA IF NOT EXISTS plinto_db"
CREATE_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS plinto_db.apply_ledger (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id uuid NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    index_name text NOT NULL,
    table_name text NOT NULL,
    action text NOT NULL,
    outcome text NOT NULL,
    seconds double precision NOT NULL,
    detail text,
    statements text,
    server_version text NOT NULL,
    tool_version text NOT NULL
)
"""
INSERT_SQL = """
INSERT INTO plinto_db.apply_ledger
    (run_id, started_at, index_name, table_name, action, outcome, seconds, detail, statements,
     server_version, tool_version)
VALUES (%(run_id)s, to_timestamp(%(started)s), %(index_name)s, %(table_name)s, %(action)s,
        %(outcome)s, %(seconds)s, %(detail)s, %(statements)s, %(server_version)s,
        %(tool_version)s)
"""
HISTORY_SQL = """
SELECT at, index_name, table_name, action, outcome, seconds, detail, server_version,
       tool_version, run_id
FROM plinto_db.apply_ledger
ORDER BY id DESC
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class Entry:
    at: datetime
    index_name: str
    table_name: str
    action: str
    outcome: str
    seconds: float
    detail: str | None
    server_version: str
    tool_version: str
    run_id: str

    def as_dict(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "index": self.index_name,
            "table": self.table_name,
            "action": self.action,
            "outcome": self.outcome,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
            "server_version": self.server_version,
            "tool_version": self.tool_version,
            "run_id": self.run_id,
        }


# Whether this role may read/write the ledger; never raises for a missing schema or table.
ACCESS_SQL = """
SELECT n.oid IS NOT NULL AS schema_exists,
       n.oid IS NOT NULL AND pg_catalog.has_schema_privilege(n.oid, 'USAGE') AS usable,
       pg_catalog.pg_get_userbyid(n.nspowner) AS owner,
       c.oid IS NOT NULL AS table_exists,
       c.oid IS NOT NULL AND pg_catalog.has_table_privilege(c.oid, %(privilege)s) AS allowed
FROM (SELECT 1) AS one
LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = 'plinto_db'
LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = 'apply_ledger'
"""


def _check_access(conn: psycopg.Connection, privilege: str) -> bool:
    """True when the ledger table exists and this role may `privilege` it; False when it
    does not exist yet; UserError when it exists but belongs to another role."""
    from plinto_db.errors import UserError

    schema_exists, usable, owner, table_exists, allowed = conn.execute(
        ACCESS_SQL, {"privilege": privilege}
    ).fetchone()
    role = conn.execute("SELECT current_user").fetchone()[0]
    grant = (
        f"the schema belongs to role {owner}: GRANT USAGE ON SCHEMA plinto_db TO {role}, and "
        f"GRANT SELECT, INSERT ON plinto_db.apply_ledger TO {role}"
    )
    if schema_exists and not usable:
        raise UserError(f"role {role} may not use the ledger schema plinto_db ({grant})")
    if table_exists and not allowed:
        raise UserError(f"role {role} may not {privilege} plinto_db.apply_ledger ({grant})")
    return bool(table_exists)


def ensure(conn: psycopg.Connection) -> None:
    """Create the ledger on first use (autocommit: each statement commits on its own).

    Raises UserError (before any DDL on indexes) when the role cannot write it."""
    from plinto_db.errors import UserError

    if _check_access(conn, "INSERT"):
        return
    try:
        conn.execute(CREATE_SCHEMA_SQL)
        conn.execute(CREATE_TABLE_SQL)
    except psycopg.errors.InsufficientPrivilege as exc:
        role = conn.execute("SELECT current_user").fetchone()[0]
        reason = server_message(exc, detail=False)
        raise UserError(
            f"cannot create the ledger plinto_db.apply_ledger as role {role}: {reason} "
            "(create it once as a role that may, or GRANT CREATE ON DATABASE; nothing was "
            "changed)"
        ) from None


def record(conn: psycopg.Connection, **values: object) -> None:
    conn.execute(INSERT_SQL, values)


def history(conn: psycopg.Connection, limit: int = 50) -> list[Entry]:
    if not _check_access(conn, "SELECT"):
        return []
    return [Entry(*row[:9], str(row[9])) for row in conn.execute(HISTORY_SQL, {"limit": limit})]


class LedgerEvents(Events):
    """Passes events on, and writes each finished action to the ledger as it ends (on the
    control connection, from the executor's main thread; on a fresh one when a Ctrl-C cut
    a write short and left the control connection busy)."""

    def __init__(self, inner: Events, conn: psycopg.Connection, run_id, server: str):
        self.inner = inner
        self.conn = conn
        self.run_id = run_id
        self.server = server
        self.spare: psycopg.Connection | None = None
        # a partitioned index writes one row per partition, between builds: no row waits
        # for its WAL flush (the WAL writer flushes within wal_writer_delay; only a server
        # crash in that instant loses a row, and that crash ends the run anyway)
        conn.execute("SET synchronous_commit = off")

    def writer(self) -> psycopg.Connection:
        from plinto_db.pg.connect import connect, idle

        if idle(self.conn):
            return self.conn
        if self.spare is None or not idle(self.spare):
            params = self.conn.info.get_parameters()
            dsn = psycopg.conninfo.make_conninfo(**params, password=self.conn.info.password)
            self.spare = connect(dsn, application_name="plinto-db apply (ledger)")
        return self.spare

    def close(self) -> None:
        if self.spare is not None:
            self.spare.close()

    def started(self, action) -> None:
        self.inner.started(action)

    def step(self, action, step) -> None:
        self.inner.step(action, step)

    def progress(self, action, progress) -> None:
        self.inner.progress(action, progress)

    def waiting(self, action, blocker, phase) -> None:
        self.inner.waiting(action, blocker, phase)

    def finished(self, outcome: Outcome) -> None:
        if outcome.statements:
            record(
                self.writer(),
                run_id=self.run_id,
                started=outcome.started,
                index_name=outcome.action.catalog_name,
                table_name=outcome.action.table,
                action=str(outcome.action.kind),
                outcome=str(outcome.result),
                seconds=outcome.seconds,
                detail=_detail(outcome),
                statements=";\n".join(outcome.statements),
                server_version=self.server,
                tool_version=__version__,
            )
        self.inner.finished(outcome)


def _detail(outcome: Outcome) -> str | None:
    """A partition's step is recorded under its catalog index, naming the partition's index."""
    text = outcome.detail or outcome.action.reason or ""
    action = outcome.action
    if action.name != action.catalog_name:
        where = f"partition index {action.name} ({action.position})"
        text = f"{where}: {text}" if text else where
    return text or None


def read_history(dsn: str, limit: int = 50) -> list[Entry]:
    from plinto_db.pg.connect import connect

    with connect(dsn, application_name="plinto-db history") as conn:
        return history(conn, limit)
