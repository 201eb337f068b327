"""Loading the seed tables in one transaction: lock, check empty again, TRUNCATE, drop the
foreign keys, COPY ... FREEZE each table in foreign-key order, re-add the keys. A failure
rolls everything back, TRUNCATE included."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from plinto_db.errors import UserError
from plinto_db.pg.messages import server_message
from plinto_db.seed.checks import LOCK_TIMEOUT, lock_message, occupied_message, occupied_tables
from plinto_db.seed.world import TableSpec

Q_FOREIGN_KEYS = """
SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
WHERE con.contype = 'f' AND con.conrelid = ANY (
  SELECT to_regclass(quote_ident(t)) FROM unnest(%s::text[]) AS t)
ORDER BY c.relname, con.conname
"""


class LoadProgress:
    """What follows a load: the rows expected per table, each table as it starts, the rows as
    they go, and the steps after them. This base class ignores it all (no terminal)."""

    def expect(self, rows_per_table: dict[str, int]) -> None: ...
    def recount(self, table: str, rows: int) -> None: ...
    def describe(self, table: str) -> None: ...
    def advance(self, rows: int) -> None: ...
    def step(self, label: str) -> None: ...
    def done(self) -> None: ...


def load_tables(
    conn,
    specs: Sequence[TableSpec],
    world,
    *,
    reset: bool,
    progress: LoadProgress,
    timings: dict[str, float],
) -> dict[str, int]:
    """Rows loaded per table. `progress` follows along (describe/advance/step)."""
    import psycopg

    names = [spec.name for spec in specs]
    rows: dict[str, int] = {}
    table: str | None = None
    try:
        with conn.transaction():
            conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            lock_tables(conn, names)
            if not reset:  # again, now that nobody can write: rows may have come
                occupied = occupied_tables(conn, names)
                if occupied:
                    raise UserError(occupied_message(occupied, names))
            truncate(conn, names)
            foreign_keys = drop_foreign_keys(conn, names)
            for spec in specs:
                table = spec.name
                if spec.rows is not None:
                    progress.recount(spec.name, spec.rows(world))
                progress.describe(spec.name)
                started = time.perf_counter()
                rows[spec.name] = copy_table(conn, spec, world, progress.advance)
                timings[f"copy {spec.name}"] = time.perf_counter() - started
            table = None
            progress.step("adding foreign keys")
            started = time.perf_counter()
            restore_foreign_keys(conn, foreign_keys)
            timings["foreign keys"] = time.perf_counter() - started
    except psycopg.errors.LockNotAvailable:
        raise UserError(lock_message()) from None
    except psycopg.Error as exc:  # a constraint or column we do not know, a lost server
        raise UserError(load_failure(exc, table)) from None
    return rows


def lock_tables(conn, names: Sequence[str]) -> None:
    """ACCESS EXCLUSIVE on the seed tables (what TRUNCATE takes), before looking at them."""
    import psycopg
    from psycopg import sql

    try:
        conn.execute(
            sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                sql.SQL(", ").join(sql.Identifier(n) for n in names)
            )
        )
    except psycopg.errors.LockNotAvailable:
        raise
    except psycopg.Error as exc:
        raise UserError(f"cannot lock the seed tables: {server_message(exc)}") from None


def truncate(conn, names: Sequence[str]) -> None:
    import psycopg
    from psycopg import sql

    try:
        conn.execute(
            sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.Identifier(n) for n in names))
        )
    except psycopg.errors.LockNotAvailable:
        raise
    except psycopg.Error as exc:
        raise UserError(f"cannot empty the seed tables: {server_message(exc)}") from None


def drop_foreign_keys(conn, names: Sequence[str]) -> list[tuple[str, str, str]]:
    """Drop the tables' foreign keys for the load; restore_foreign_keys re-adds them.

    Re-adding a foreign key validates every row with one anti-join, much cheaper than a
    trigger query per inserted row (the way pg_restore loads), and it leaves the parent rows
    unlocked, so their pages stay all-visible. Same transaction: nothing changes on failure.
    """
    import psycopg
    from psycopg import sql

    keys = [tuple(row) for row in conn.execute(Q_FOREIGN_KEYS, (list(names),))]
    for table, name, _definition in keys:
        try:
            conn.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.Identifier(table), sql.Identifier(name)
                )
            )
        except psycopg.errors.InsufficientPrivilege:
            raise UserError(
                f"seeding needs to own the seed tables (it cannot alter table {table}); "
                "connect as the schema owner"
            ) from None
    return keys


def restore_foreign_keys(conn, keys: Sequence[tuple[str, str, str]]) -> None:
    from psycopg import sql

    for table, name, definition in keys:
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
            )
        )


def copy_table(conn, spec: TableSpec, world, advance: Callable[[int], None]) -> int:
    from psycopg import sql
    from psycopg.copy import QueuedLibpqWriter

    options = "FORMAT binary, FREEZE" if spec.binary else "FREEZE"
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (" + options + ")").format(
        sql.Identifier(spec.name), sql.SQL(", ").join(sql.Identifier(c) for c in spec.columns)
    )
    count = 0
    with conn.cursor() as cur:
        with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
            for text, n in spec.generate(world):
                copy.write(text)
                count += n
                advance(n)
    return count


def load_failure(exc, table: str | None) -> str:
    """One line for a failed load; the transaction rolled back, so nothing changed."""
    import psycopg

    reason = server_message(exc, detail=False)
    where = f" while loading {table}" if table else ""
    if isinstance(exc, psycopg.errors.OperationalError):
        return f"seeding failed{where}: {reason} (nothing was changed)"
    return (
        f"the database refused the seed data{where}: {reason}; the tables differ from "
        "revision 0001 of the Plinto schema (nothing was changed)"
    )
