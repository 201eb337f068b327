"""The ledger: every apply/drop action recorded in the tool's own schema, shown by `history`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

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


def ensure(conn: psycopg.Connection) -> None:
    """Create the ledger on first use (autocommit: each statement commits on its own)."""
    if conn.execute(EXISTS_SQL).fetchone()[0]:
        return
    conn.execute(CREATE_SCHEMA_SQL)
    conn.execute(CREATE_TABLE_SQL)


def record(conn: psycopg.Connection, **values: object) -> None:
    conn.execute(INSERT_SQL, values)


def history(conn: psycopg.Connection, limit: int = 50) -> list[Entry]:
    if not conn.execute(EXISTS_SQL).fetchone()[0]:
        return []
    return [Entry(*row[:9], str(row[9])) for row in conn.execute(HISTORY_SQL, {"limit": limit})]
