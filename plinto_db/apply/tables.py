"""The tables the catalog names, as PostgreSQL resolves them in this session: through the
search_path, with their partition key, and a file:line error for a table that does not
exist, is not a table, or lives in a schema the role may not use. Read-only.
"""

from __future__ import annotations

import psycopg

from plinto_db.apply.partition_tree import PARTITION_KEY_SQL
from plinto_db.apply.state import RELKIND_NAMES, TableRef
from plinto_db.catalog.spec import IndexSpec
from plinto_db.errors import UserError
from plinto_db.pg.identifiers import quote_ident
from plinto_db.pg.messages import server_message

# The tables the catalog names, resolved through the session's search_path.
TABLES_SQL = f"""
SELECT t.name, c.oid, n.nspname, c.relname, c.relkind,
       c.oid IS NOT NULL AND pg_catalog.pg_has_role(c.relowner, 'USAGE') AS owned, c.relpages,
       CASE WHEN c.relkind = 'p' THEN {PARTITION_KEY_SQL.format(rel="c.oid")} END
FROM unnest(%(names)s::text[]) AS t(name)
LEFT JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(t.name)
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
"""


def resolve_tables(cur: psycopg.Cursor, specs: tuple[IndexSpec, ...]) -> dict[str, TableRef]:
    """Each catalog index's table, by index name, read in the caller's transaction."""
    names = sorted({s.qualified_table for s in specs})
    cur.execute("SAVEPOINT plinto_tables")
    try:
        rows = cur.execute(TABLES_SQL, {"names": names}).fetchall()
    except psycopg.errors.InsufficientPrivilege:
        cur.execute("ROLLBACK TO SAVEPOINT plinto_tables")
        _refuse_unusable_schema(cur, specs)
        raise
    found = {row[0]: row[1:] for row in rows}
    tables: dict[str, TableRef] = {}
    for spec in specs:
        oid, schema, name, relkind, owned, pages, key = found[spec.qualified_table]
        if oid is None:
            raise UserError(
                f"{spec.location}: index {spec.name!r}: table {spec.qualified_table} does not "
                f"exist{_elsewhere(cur, spec)}"
            )
        if relkind not in ("r", "m", "p"):
            raise UserError(
                f"{spec.location}: index {spec.name!r}: {spec.qualified_table} is a "
                f"{RELKIND_NAMES.get(relkind, relkind)}, not a table"
            )
        key = tuple(key) if relkind == "p" else None
        pages = max(0, int(pages or 0))
        tables[spec.name] = TableRef(oid, schema, name, bool(owned), pages, partition_key=key)
    return tables


def find_relations(conn: psycopg.Connection, names: list[str]) -> tuple[dict[str, int | None], str]:
    """What each name (SQL text, quoted as needed) means to PostgreSQL in this session: the
    oid of the relation it resolves to through the search_path, None when there is none (or
    its schema is one the role may not use); and that search_path."""
    found: dict[str, int | None] = {}
    for name in names:
        try:
            with conn.transaction():
                row = conn.execute("SELECT pg_catalog.to_regclass(%s)::oid", (name,)).fetchone()
        except psycopg.errors.InsufficientPrivilege:
            row = (None,)
        found[name] = row[0]
    path = conn.execute("SELECT pg_catalog.current_setting('search_path')").fetchone()[0]
    return found, path


def _refuse_unusable_schema(cur: psycopg.Cursor, specs: tuple[IndexSpec, ...]) -> None:
    """Name the catalog statement whose table is in a schema this role may not use."""
    for spec in specs:
        cur.execute("SAVEPOINT plinto_table")
        try:
            cur.execute(TABLES_SQL, {"names": [spec.qualified_table]})
        except psycopg.errors.InsufficientPrivilege as exc:
            cur.execute("ROLLBACK TO SAVEPOINT plinto_table")
            reason = server_message(exc, detail=False)
            role = cur.execute("SELECT current_user").fetchone()[0]
            raise UserError(
                f"{spec.location}: index {spec.name!r}: table {spec.qualified_table}: "
                f"{reason}; role {role} needs USAGE on it"
            ) from None
        cur.execute("RELEASE SAVEPOINT plinto_table")


def _elsewhere(cur: psycopg.Cursor, spec: IndexSpec) -> str:
    """For an unqualified table name: the search_path it was looked up in, and the schemas
    that do have such a table (the usual cause: a schema that is not on the search_path)."""
    if spec.schema:
        return ""
    path = cur.execute("SELECT pg_catalog.current_setting('search_path')").fetchone()[0]
    found = [
        f"{quote_ident(row[0])}.{quote_ident(spec.table)}"
        for row in cur.execute(
            "SELECT n.nspname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND c.relkind IN ('r', 'p', 'm') ORDER BY 1",
            (spec.table,),
        ).fetchall()
    ]
    hint = f" in the search_path ({path})"
    if found:
        hint += f"; found {', '.join(found)}: qualify the table in the catalog"
    return hint
