"""The catalog's normalised shapes, recorded in the database by apply on the primary.

Normalising a catalog definition builds it on an empty temporary table (introspect.py),
which a hot standby cannot do. So apply records each shape it normalised in
plinto_db.catalog_shapes, next to its ledger; the table replicates, and `status` on a
standby reads the shapes from it and reaches the primary's verdicts. The key is the local
cache's key (statement, table columns, search_path, code) plus the server's major version.
"""

from __future__ import annotations

import json

import psycopg

from plinto_db.apply.shape_cache import shape_from_dict, shape_to_dict
from plinto_db.apply.state import DatabaseState, IndexShape

CREATE_SQL = """
CREATE TABLE IF NOT EXISTS plinto_db.catalog_shapes (
    key text PRIMARY KEY,
    shape jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
)
"""
READABLE_SQL = """
SELECT t.oid IS NOT NULL AND pg_catalog.has_table_privilege(t.oid, 'SELECT')
FROM (SELECT pg_catalog.to_regclass('plinto_db.catalog_shapes') AS oid) AS t
"""
READ_SQL = "SELECT key, shape FROM plinto_db.catalog_shapes WHERE key = ANY(%(keys)s)"
READ_ONLY_SQL = (
    "SELECT pg_catalog.pg_is_in_recovery(), "
    "pg_catalog.current_setting('transaction_read_only')::bool"
)
WRITE_SQL = """
INSERT INTO plinto_db.catalog_shapes (key, shape) VALUES (%(key)s, %(shape)s::jsonb)
ON CONFLICT (key) DO UPDATE SET shape = EXCLUDED.shape, recorded_at = now()
"""


def record_key(cache_key: str, server_version: int) -> str:
    return f"{server_version // 10000}:{cache_key}"


def read_recorded(
    cur: psycopg.Cursor, keys: dict[str, str], server_version: int
) -> dict[str, IndexShape]:
    """Catalog index name -> its recorded shape, for the names whose shape was recorded."""
    if not keys or not cur.execute(READABLE_SQL).fetchone()[0]:
        return {}
    wanted = {record_key(key, server_version): name for name, key in keys.items()}
    found: dict[str, IndexShape] = {}
    for key, data in cur.execute(READ_SQL, {"keys": list(wanted)}).fetchall():
        shape = shape_from_dict(data if isinstance(data, dict) else json.loads(data))
        if shape is not None:
            found[wanted[key]] = shape
    return found


def record(conn: psycopg.Connection, state: DatabaseState) -> bool:
    """Record this run's desired shapes that are not recorded yet (autocommit session).

    False when they could not be: a read-only server, a role that may not write the ledger
    schema. Only `status` on a standby misses them then (it says so), so apply goes on."""
    from plinto_db.apply import ledger
    from plinto_db.errors import UserError

    try:
        _record(conn, state, ledger.ensure)
    except (UserError, psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction):
        return False
    return True


def _record(conn: psycopg.Connection, state: DatabaseState, ensure_ledger) -> None:
    in_recovery, read_only = conn.execute(READ_ONLY_SQL).fetchone()
    if in_recovery or read_only:
        return
    keys = {
        record_key(state.shape_keys[name], state.server_version): shape
        for name, shape in state.desired.items()
        if name in state.shape_keys
    }
    if not keys:
        return
    if conn.execute(READABLE_SQL).fetchone()[0]:
        present = {row[0] for row in conn.execute(READ_SQL, {"keys": list(keys)}).fetchall()}
        keys = {key: shape for key, shape in keys.items() if key not in present}
        if not keys:
            return
    ensure_ledger(conn)
    conn.execute(CREATE_SQL)
    rows = [{"key": key, "shape": json.dumps(shape_to_dict(s))} for key, s in keys.items()]
    with conn.cursor() as cur:
        cur.executemany(WRITE_SQL, rows)
