"""Write cost: what the catalog's indexes cost inserts and updates, and disk.

Inserts copy a batch of existing rows with fresh values for every column a unique index
needs (uuid: gen_random_uuid(); text: a uuid prefix; integers: above the current maximum);
updates move one column that the catalog indexes (a timestamp by a second, by default), by
ctid, so the update cannot be HOT once the catalog indexes that column: the pessimistic
case (an update touching only unindexed columns may stay HOT and cost no index work).
Each batch runs in its own transaction that is rolled back, and the table is vacuumed after,
so the rows are exactly as found.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import pq, sql

from plinto_db.apply.state import TableRef
from plinto_db.bench.model import CatalogSize, WriteFigure, WritePhase, WriteTarget
from plinto_db.pg.messages import server_message

Q_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, t.typname,
       a.attgenerated <> '' OR a.attidentity = 'a',
       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c
               WHERE c.conrelid = a.attrelid AND c.contype = 'f' AND a.attnum = ANY (c.conkey))
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %s::oid AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
# key columns of each unique index (0 = an expression)
Q_UNIQUE_KEYS = """
SELECT c.relname, array(SELECT coalesce(a.attname, '')
                        FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) AS k(n)
                        LEFT JOIN pg_catalog.pg_attribute a
                          ON a.attrelid = i.indrelid AND a.attnum = k.n)
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = %s::oid AND i.indisunique
ORDER BY c.relname
"""
Q_CATALOG_SIZES = """
SELECT i.indrelid, count(*), sum(pg_relation_size(i.indexrelid))::bigint,
       pg_relation_size(i.indrelid)
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = %s::oid AND c.relname = ANY (%s::text[])
GROUP BY i.indrelid
"""
Q_CTIDS = "SELECT array_agg(ctid)::text FROM (SELECT ctid FROM {} LIMIT %s) s"
UPDATABLE = {"timestamptz": "{} + interval '1 second'", "timestamp": "{} + interval '1 second'",
             "date": "{} + 1", "int2": "{} + 1", "int4": "{} + 1", "int8": "{} + 1",
             "bool": "NOT {}"}  # fmt: skip
INTEGERS = {"int2", "int4", "int8", "numeric"}


@dataclass(frozen=True)
class Column:
    name: str
    type_sql: str  # format_type, e.g. character varying(255)
    category: str  # pg_type.typcategory
    type_name: str
    generated: bool  # GENERATED ... STORED or GENERATED ALWAYS AS IDENTITY: left to the server
    foreign_key: bool


@dataclass(frozen=True)
class WriteOptions:
    targets: tuple[WriteTarget, ...] = (WriteTarget("sessions"), WriteTarget("activity_logs"))
    rows: int = 2_000
    rounds: int = 3
    # the user named the targets (--write-tables): one the write cost cannot use is refused;
    # a default one (sessions, activity_logs) is left out with a note
    named: bool = False


class WriteSetupError(Exception):
    """The table cannot be written this way (a unique column of an unsupported type...)."""


def fresh_value(column: Column, source: str, table_sql: str) -> str:
    """An SQL expression giving `column` a value no existing row has (pure text)."""
    ident = f"{source}.{_quote(column.name)}"
    if column.type_name == "uuid":
        return "gen_random_uuid()"
    if column.category == "S":
        return f"(gen_random_uuid()::text || coalesce({ident}::text, ''))::{column.type_sql}"
    if column.type_name in INTEGERS:
        return (
            f"((SELECT coalesce(max({_quote(column.name)}), 0) FROM {table_sql}) "
            f"+ row_number() OVER ())::{column.type_sql}"
        )
    raise WriteSetupError(
        f"cannot make a new value for unique column {column.name} of type {column.type_sql}"
    )


def insert_statement(
    table_sql: str, columns: Sequence[Column], unique_keys: Sequence[tuple[str, list[str]]]
) -> str:
    """INSERT ... SELECT copying rows, with fresh values where a unique index needs them."""
    by_name = {c.name: c for c in columns}
    fresh: set[str] = set()
    for index, keys in unique_keys:
        if any(k in fresh for k in keys):
            continue
        usable = [
            by_name[k]
            for k in keys
            if k in by_name and not by_name[k].foreign_key and not by_name[k].generated
        ]
        chosen = next((c for c in usable if _can_refresh(c)), None)
        if chosen is None:
            raise WriteSetupError(f"cannot make rows unique in index {index} ({', '.join(keys)})")
        fresh.add(chosen.name)
    written = [c for c in columns if not c.generated]
    exprs = [
        fresh_value(c, "s", table_sql) if c.name in fresh else f"s.{_quote(c.name)}"
        for c in written
    ]
    names = ", ".join(_quote(c.name) for c in written)
    return (
        f"INSERT INTO {table_sql} ({names}) SELECT {', '.join(exprs)} "
        f"FROM (SELECT * FROM {table_sql} LIMIT $1) AS s"
    )


def choose_update_column(
    columns: Sequence[Column], unique: set[str], catalog_keys: Iterable[str], wanted: str | None
) -> Column:
    """The column an update moves: the one asked for, else the first the catalog indexes."""
    updatable = [
        c
        for c in columns
        if c.type_name in UPDATABLE
        and not c.generated
        and not c.foreign_key
        and c.name not in unique
    ]
    if wanted is not None:
        found = next((c for c in columns if c.name == wanted), None)
        if found is None:
            raise WriteSetupError(f"no column {wanted}")
        if found not in updatable:
            raise WriteSetupError(
                f"column {wanted} ({found.type_sql}) cannot be moved by the update "
                "(a timestamp, date, integer or boolean that is not in a unique index or "
                "foreign key)"
            )
        return found
    keys = list(catalog_keys)
    indexed = [c for c in updatable if c.name in keys]
    chosen = (indexed or updatable or [None])[0]
    if chosen is None:
        raise WriteSetupError("no timestamp, date, integer or boolean column to update")
    return chosen


def update_statement(table_sql: str, column: Column) -> str:
    target = _quote(column.name)
    return (
        f"UPDATE {table_sql} SET {target} = {UPDATABLE[column.type_name].format(target)} "
        "WHERE ctid = ANY ($1::tid[])"
    )


def _can_refresh(column: Column) -> bool:
    return column.type_name == "uuid" or column.category == "S" or column.type_name in INTEGERS


def _quote(name: str) -> str:
    return sql.Identifier(name).as_string(None)


def measure_writes(
    conn: psycopg.Connection,
    targets: Sequence[tuple[TableRef, WriteTarget, tuple[str, ...]]],
    options: WriteOptions,
) -> tuple[WritePhase, ...]:
    """Insert and update throughput of each (table, target, catalog key columns)."""
    results: list[WritePhase] = []
    for table, target, catalog_keys in targets:
        results.extend(_measure_table(conn, table, target, catalog_keys, options))
    return tuple(results)


def _measure_table(
    conn: psycopg.Connection,
    table: TableRef,
    target: WriteTarget,
    catalog_keys: tuple[str, ...],
    options: WriteOptions,
) -> list[WritePhase]:
    table_sql = sql.Identifier(table.schema, table.name).as_string(conn)
    try:
        columns = [Column(*row) for row in conn.execute(Q_COLUMNS, (table.oid,)).fetchall()]
        unique_keys = [(n, list(k)) for n, k in conn.execute(Q_UNIQUE_KEYS, (table.oid,))]
    except psycopg.Error as exc:
        error = server_message(exc)
        return [WritePhase(table.qualified, op, "", error=error) for op in ("insert", "update")]
    unique = {k for _, keys in unique_keys for k in keys}
    phases = []
    try:
        insert = insert_statement(table_sql, columns, unique_keys)
        phases.append(_timed(conn, table, "insert", insert, str(options.rows), options))
    except WriteSetupError as exc:
        phases.append(WritePhase(table.qualified, "insert", "", error=str(exc)))
    try:
        column = choose_update_column(columns, unique, catalog_keys, target.column)
        update = update_statement(table_sql, column)
        ctids = conn.execute(sql.SQL(Q_CTIDS).format(sql.SQL(table_sql)), (options.rows,))
        ctid_array = ctids.fetchone()[0] or "{}"
        phases.append(_timed(conn, table, "update", update, ctid_array, options))
    except WriteSetupError as exc:
        phases.append(WritePhase(table.qualified, "update", "", error=str(exc)))
    _vacuum(conn, table_sql)
    return phases


def _timed(
    conn: psycopg.Connection,
    table: TableRef,
    operation: str,
    statement: str,
    param: str,
    options: WriteOptions,
) -> WritePhase:
    """The batch `rounds` times, each in a transaction rolled back; the median batch."""
    shown = statement.replace("$1", str(options.rows) if operation == "insert" else "<ctids>")
    pg = conn.pgconn
    seconds: list[float] = []
    rows = 0
    for _ in range(max(1, options.rounds)):
        pg.exec_(b"BEGIN")
        try:
            pg.exec_(b"SET LOCAL lock_timeout = '5s'")
            started = time.perf_counter()
            result = pg.exec_params(statement.encode(), [param.encode()])
            seconds.append(time.perf_counter() - started)
        finally:
            pg.exec_(b"ROLLBACK")
        if result.status != pq.ExecStatus.COMMAND_OK:
            primary = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY)
            error = primary.decode(errors="replace") if primary else "failed"
            return WritePhase(table.qualified, operation, shown, error=error)
        rows = int(result.command_tuples or 0)
    median = statistics.median(seconds)
    figure = WriteFigure(
        ops_per_s=rows / median if median > 0 else 0.0,
        rows=rows,
        rounds=len(seconds),
        seconds=median,
    )
    return WritePhase(table.qualified, operation, shown, figure=figure)


def _vacuum(conn: psycopg.Connection, table_sql: str) -> None:
    try:
        conn.execute(sql.SQL("VACUUM {}").format(sql.SQL(table_sql)))
    except psycopg.Error:
        pass  # not the owner, or locked: autovacuum removes the rolled-back rows later


def catalog_sizes(
    conn: psycopg.Connection, tables: Sequence[TableRef], names: Sequence[str]
) -> tuple[CatalogSize, ...]:
    """The catalog's indexes on disk, per table, each table once (only those that exist)."""
    sizes = []
    for table in dict.fromkeys(tables):
        row = conn.execute(Q_CATALOG_SIZES, (table.oid, list(names))).fetchone()
        if row:
            sizes.append(CatalogSize(table.qualified, row[1], row[2], row[3]))
    return tuple(sizes)
