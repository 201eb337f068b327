"""Reading what the server has: one read-only, repeatable-read transaction, only the queries
the selected checks need. The only room of doctor that talks to PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime

import psycopg

from plinto_db.doctor import sql
from plinto_db.doctor.checks import index_bloat
from plinto_db.doctor.model import (
    AttachedIndexFact,
    BtreeSize,
    Build,
    Facts,
    ForeignKeyFact,
    IndexFact,
    KeyFact,
    Need,
    PartitionFact,
    StatsWindow,
    TableFact,
    qualified,
)

LOCK_TIMEOUT = "5s"  # pg_relation_size() waits behind an ACCESS EXCLUSIVE lock (a migration)
STATEMENT_TIMEOUT = "120s"


def gather(
    conn: psycopg.Connection,
    needs: Iterable[Need],
    *,
    schemas: Sequence[str] = (),
    min_stats_age_days: float | None = None,
    timings: dict[str, float] | None = None,
) -> Facts:
    """The facts for `needs` (and the statistics window when `min_stats_age_days` is set)."""
    needs = set(needs)
    version = conn.info.server_version
    params = {"schemas": list(schemas) or None}
    timings = timings if timings is not None else {}

    def rows(name: str, template: str, with_params: bool = True) -> list[tuple]:
        started = time.perf_counter()
        query = sql.statement(template, version)
        result = conn.execute(query, params if with_params else None).fetchall()
        timings[name] = time.perf_counter() - started
        return result

    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        conn.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'")
        # catalog reads run in milliseconds, but their estimates on 10,000 partition indexes
        # pass jit_above_cost: compiling them took seconds (5.6 s of a 9.7 s query on PG15)
        conn.execute("SET LOCAL jit = off")
        indexes = tables = foreign_keys = builds = sizes = ()
        operators: frozenset[int] = frozenset()
        if Need.INDEXES in needs:
            indexes = tuple(_index(row) for row in rows("indexes", sql.INDEXES))
        if Need.TABLES in needs:
            tables = tuple(_table(row) for row in rows("tables", sql.TABLES))
        if Need.FOREIGN_KEYS in needs:
            foreign_keys = tuple(
                _foreign_key(row) for row in rows("foreign_keys", sql.FOREIGN_KEYS)
            )
        if Need.EQUALITY_OPERATORS in needs:
            found = rows("equality_operators", sql.EQUALITY_OPERATORS, with_params=False)
            operators = frozenset(int(oid) for (oid,) in found)
        if Need.BUILDS in needs:
            builds = tuple(
                Build(int(oid), pid, phase)
                for oid, pid, phase in rows("builds", sql.BUILDS_IN_PROGRESS, with_params=False)
            )
        if Need.BTREE_SIZES in needs:
            params["min_bytes"] = index_bloat.MIN_BYTES  # smaller indexes cannot be reported
            sizes = tuple(BtreeSize(*row) for row in rows("btree_sizes", sql.BTREE_SIZE_INPUTS))
        partitions: tuple[PartitionFact, ...] = ()
        if Need.PARTITIONS in needs:
            found = rows("partitions", sql.PARTITIONS, with_params=False)
            partitions = tuple(PartitionFact(*row) for row in found)
        attached: tuple[AttachedIndexFact, ...] = ()
        if Need.ATTACHED_INDEXES in needs:
            found = rows("attached_indexes", sql.ATTACHED_INDEXES, with_params=False)
            attached = tuple(AttachedIndexFact(*row) for row in found)
        names: frozenset[tuple[str, str]] = frozenset()
        if Need.RELATION_NAMES in needs:
            found = rows("relation_names", sql.RELATION_NAMES, with_params=False)
            names = frozenset((schema, name) for schema, name in found)
        stats = None
        if min_stats_age_days is not None:
            reset, started, now = rows("stats_window", sql.STATS_WINDOW, with_params=False)[0]
            stats = _window(reset, started, now, min_stats_age_days)
    return Facts(
        version=version,
        indexes=indexes,
        tables=tables,
        foreign_keys=foreign_keys,
        equality_operators=operators,
        builds=builds,
        btree_sizes=sizes,
        stats=stats,
        partitions=partitions,
        attached_indexes=attached,
        relation_names=names,
    )


def _window(
    reset: datetime | None, started: datetime, now: datetime, min_age: float
) -> StatsWindow:
    return StatsWindow(
        since=reset or started, reset=reset is not None, now=now, min_age_days=min_age
    )


def _index(row: tuple) -> IndexFact:
    (
        oid, schema, name, table_oid, table_schema, table, method, relkind, nkeys, attnums,
        texts, opclasses, collations, options, defaults, predicate, tree, unique, primary, valid,
        ready, replident, nulls_not_distinct, constraint, referenced_by, parent, size, scans,
        last_scan, definition,
    ) = row  # fmt: skip
    keys = tuple(
        KeyFact(attnums[k], texts[k], opclasses[k], collations[k], options[k], defaults[k])
        for k in range(nkeys)
    )
    return IndexFact(
        oid=oid,
        schema=schema,
        name=name,
        table_oid=table_oid,
        table_schema=table_schema,
        table=table,
        method=method,
        relkind=relkind,
        keys=keys,
        include=tuple(attnums[nkeys:]),
        include_names=tuple(texts[nkeys:]),
        predicate=predicate,
        predicate_tree=tree,
        unique=unique,
        primary=primary,
        valid=valid,
        ready=ready,
        replica_identity=replident,
        nulls_not_distinct=nulls_not_distinct,
        constraint=constraint,
        referenced_by=tuple(referenced_by),
        parent=parent,
        size=int(size or 0),
        scans=int(scans or 0),
        last_scan=last_scan,
        definition=definition,
    )


def _table(row: tuple) -> TableFact:
    oid, schema, name, relkind, partition, has_pk, size, attnums, names, not_null = row
    return TableFact(
        oid=oid,
        schema=schema,
        name=name,
        relkind=relkind,
        partition=partition,
        has_primary_key=has_pk,
        size=int(size or 0),
        columns=dict(zip(attnums, names, strict=True)),
        not_null=frozenset(a for a, n in zip(attnums, not_null, strict=True) if n),
    )


def _foreign_key(row: tuple) -> ForeignKeyFact:
    name, table_oid, columns, ref_schema, ref_table, on_delete = row
    return ForeignKeyFact(
        name, table_oid, tuple(columns), qualified(ref_schema, ref_table), on_delete
    )
