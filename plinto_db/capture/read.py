"""Reading pg_stat_statements on the target server: this database's statements, summed over
the roles that ran them; on PostgreSQL 14+ only top-level ones (what the application sent, not
the statements inside its functions). Read-only.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from plinto_db.capture.statements import Statement
from plinto_db.errors import UserError
from plinto_db.pg.identifiers import quote_ident

EXTENSION_SQL = """
SELECT n.nspname
FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_stat_statements'
"""

PRELOADED_SQL = "SELECT current_setting('shared_preload_libraries')"

# {view}: the extension's view, qualified; {toplevel}: a filter on 14+, else TRUE
STATEMENTS_SQL = """
SELECT s.queryid, min(s.query), sum(s.calls)::bigint, sum(s.total_exec_time)::float8,
       (sum(s.total_exec_time) / nullif(sum(s.calls), 0))::float8, sum(s.rows)::bigint
FROM {view} s
WHERE s.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND s.queryid IS NOT NULL AND {toplevel}
GROUP BY s.queryid
"""

TOPLEVEL_MIN_VERSION = 140000

ENABLE_HINT = (
    "add pg_stat_statements to shared_preload_libraries in postgresql.conf, restart the "
    "server, then run CREATE EXTENSION pg_stat_statements in this database"
)


def stop_tracking_this_session(conn: psycopg.Connection) -> bool:
    """Keep capture's own statements (sample queries, PREPAREs, EXPLAINs) out of
    pg_stat_statements, where thousands of them could evict the workload's entries. Only a
    superuser (or a role granted SET on the parameter) may; False when refused."""
    try:
        with conn.transaction():
            conn.execute("SET pg_stat_statements.track = 'none'")
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True


def read_statements(conn: psycopg.Connection) -> tuple[Statement, ...]:
    """Every statement pg_stat_statements holds for the connected database."""
    schema = extension_schema(conn)
    view = sql.SQL(f"{quote_ident(schema)}.pg_stat_statements")
    toplevel = sql.SQL("s.toplevel" if conn.info.server_version >= TOPLEVEL_MIN_VERSION else "TRUE")
    query = sql.SQL(STATEMENTS_SQL).format(view=view, toplevel=toplevel)
    try:
        rows = conn.execute(query).fetchall()
    except psycopg.errors.ObjectNotInPrerequisiteState:  # created, but not preloaded
        raise UserError(f"pg_stat_statements is not loaded on this server: {ENABLE_HINT}") from None
    return tuple(
        Statement(
            queryid=int(queryid),
            query=text or "",
            calls=int(calls or 0),
            total_ms=float(total or 0.0),
            mean_ms=float(mean or 0.0),
            rows=int(row_count or 0),
        )
        for queryid, text, calls, total, mean, row_count in rows
    )


def extension_schema(conn: psycopg.Connection) -> str:
    """The schema the extension lives in; a UserError saying how to enable it when missing."""
    row = conn.execute(EXTENSION_SQL).fetchone()
    if row is not None:
        return str(row[0])
    preloaded = str(conn.execute(PRELOADED_SQL).fetchone()[0])
    if "pg_stat_statements" in preloaded:
        raise UserError(
            "pg_stat_statements is preloaded but not created in this database: run "
            "CREATE EXTENSION pg_stat_statements"
        )
    raise UserError(f"pg_stat_statements is not enabled on this server: {ENABLE_HINT}")


# every user relation a statement may read, with its columns (views too: they are workload)
COLUMNS_SQL = """
SELECT n.nspname, c.relname, array_agg(a.attname::text ORDER BY a.attnum)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
GROUP BY n.nspname, c.relname
"""


def read_columns(conn: psycopg.Connection) -> dict[tuple[str, str], frozenset[str]]:
    """(schema, relation) -> its column names."""
    return {
        (schema, name): frozenset(columns)
        for schema, name, columns in conn.execute(COLUMNS_SQL).fetchall()
    }
