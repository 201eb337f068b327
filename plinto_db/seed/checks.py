"""Before seeding: the schema is there, the role owns the tables, the tables are empty."""

from __future__ import annotations

from collections.abc import Sequence

from plinto_db.errors import UserError

LOCK_TIMEOUT = "10s"  # never wait forever behind another session's lock

Q_NOT_OWNED = """
SELECT c.relname, pg_get_userbyid(c.relowner)
FROM unnest(%s::text[]) WITH ORDINALITY AS t(name, n)
JOIN pg_class c ON c.oid = to_regclass(quote_ident(t.name))
WHERE NOT pg_has_role(current_user, c.relowner, 'USAGE')
ORDER BY t.n
"""
Q_MISSING_TABLES = """
SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass(quote_ident(t)) IS NULL
"""


def preflight(conn, names: Sequence[str], *, reset: bool) -> None:
    """Refuse (one line, nothing changed) a missing schema, tables the role does not own,
    and tables with rows unless `reset`. Leaves `conn` outside a transaction."""
    import psycopg

    conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")  # for the session, not a LOCAL
    conn.commit()
    require_schema(conn, names)
    require_ownership(conn, names)
    try:
        occupied = occupied_tables(conn, names)  # waits behind e.g. a seed in progress
    except psycopg.errors.LockNotAvailable:
        raise UserError(lock_message()) from None
    conn.rollback()
    if occupied and not reset:
        raise UserError(occupied_message(occupied, names))


def require_schema(conn, names: Sequence[str]) -> None:
    missing = [row[0] for row in conn.execute(Q_MISSING_TABLES, (list(names),))]
    if missing:
        raise UserError(
            f"the Plinto schema is missing (no table {some(missing)}); "
            "run `plinto-db migrate --to 0001` on this database first (with the same --dsn, "
            "if you gave one)"
        )


def require_ownership(conn, names: Sequence[str]) -> None:
    """Seeding truncates the tables and drops and re-adds their foreign keys: owners only."""
    rows = conn.execute(Q_NOT_OWNED, (list(names),)).fetchall()
    if rows:
        owners = sorted({owner for _, owner in rows})
        raise UserError(
            f"seeding needs to own the seed tables: user {conn.info.user!r} does not own "
            f"{some([table for table, _ in rows])}; connect as {' or '.join(map(repr, owners))} "
            "(or a member of that role)"
        )


def occupied_tables(conn, names: Sequence[str]) -> list[str]:
    from psycopg import sql

    query = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {name} FROM (SELECT 1 FROM {table} LIMIT 1) AS x").format(
            name=sql.Literal(name), table=sql.Identifier(name)
        )
        for name in names
    )
    return [row[0] for row in conn.execute(query)]


def lock_message() -> str:
    return f"could not lock the tables to seed within {LOCK_TIMEOUT}: another session is using them"


def occupied_message(occupied: Sequence[str], names: Sequence[str]) -> str:
    return (
        f"the database already holds rows ({some(occupied)}); "
        f"pass --reset to truncate the {len(names)} seed tables first"
    )


def some(names: Sequence[str], shown: int = 4) -> str:
    text = ", ".join(names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")
