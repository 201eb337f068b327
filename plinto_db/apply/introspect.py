"""What the server has: tables, indexes, their exact shape, builds in progress. Read-only.

Index definitions are compared as PostgreSQL normalises them, never as our own strings:
the catalog's desired index is built on an empty temporary copy of its table inside a
transaction that is rolled back, and both it and the live index are read back through
the same structured pg_index query with a pinned search_path. The same pass is the
preflight: an unknown table or column fails there, before any DDL.
"""

from __future__ import annotations

import psycopg

from plinto_db.apply.partition_tree import read_partitions
from plinto_db.apply.shape import read_shapes
from plinto_db.apply.shape_cache import ShapeCache
from plinto_db.apply.shape_record import read_recorded
from plinto_db.apply.state import (
    Build,
    DatabaseState,
    IndexShape,
    Partition,
    Relation,
    TableRef,
    replacement_name,
    retired_name,
)
from plinto_db.apply.tables import resolve_tables
from plinto_db.catalog.spec import IndexSpec
from plinto_db.errors import UserError
from plinto_db.pg.messages import server_message

PINNED_SEARCH_PATH = "pg_catalog, pg_temp"

# Every index on the catalog's tables and their partitions, plus any relation carrying a
# catalog index name; for a partition's index, the partitioned index it is attached to.
RELATIONS_SQL = """
SELECT c.oid, n.nspname, c.relname, c.relkind, t.oid AS table_oid, t.relname AS table_name,
       tn.nspname AS table_schema, i.indisvalid, i.indisready, i.indislive,
       con.conname AS constraint_name,
       -- a partition's index by relpages (set by its build, VACUUM and ANALYZE):
       -- pg_relation_size would lock each of thousands of relations in one transaction
       CASE WHEN t.relispartition
            THEN c.relpages::bigint * pg_catalog.current_setting('block_size')::bigint
            ELSE pg_catalog.pg_relation_size(c.oid) END AS size_bytes,
       coalesce(pg_catalog.pg_stat_get_numscans(c.oid), 0) AS scans,
       -- (only for a catalog table's own indexes: a partition's are never swapped alone)
       CASE WHEN t.relispartition THEN '{}'::text[] ELSE
       ARRAY(SELECT 'foreign key ' || pg_catalog.quote_ident(fk.conname) || ' on '
                    || fk.conrelid::pg_catalog.regclass::text
             FROM pg_catalog.pg_constraint fk
             WHERE fk.conindid = c.oid AND fk.contype = 'f' ORDER BY 1) END
       || CASE WHEN i.indisreplident THEN ARRAY['the replica identity of the table']
               ELSE '{}'::text[] END AS dependents,
       inh.inhparent AS parent_index,
       coalesce(c.reloptions, '{}') AS reloptions
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
LEFT JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = c.oid AND con.contype IN ('p','u','x')
LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhrelid = c.oid AND c.relkind IN ('i', 'I')
WHERE (c.relkind IN ('i', 'I') AND i.indrelid = ANY(%(tables)s))
   OR (c.relnamespace = ANY(%(schemas)s) AND c.relname = ANY(%(names)s))
"""

# CREATE INDEX / REINDEX runs in this database (F5, F13). Columns are NULL for other roles'
# sessions unless we have pg_read_all_stats: then we cannot tell which index is building.
BUILDS_SQL = """
SELECT p.pid, p.relid, p.index_relid, p.command, p.phase
FROM pg_catalog.pg_stat_progress_create_index p
WHERE p.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND p.pid <> pg_catalog.pg_backend_pid()
"""

# What a normalised index shape depends on, per table: its live columns, in order.
FINGERPRINT_SQL = """
SELECT a.attrelid,
       string_agg(pg_catalog.quote_ident(a.attname) || ' '
                  || pg_catalog.format_type(a.atttypid, a.atttypmod) || ' '
                  || a.attcollation::text, ', ' ORDER BY a.attnum)
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = ANY(%(oids)s) AND a.attnum > 0 AND NOT a.attisdropped
GROUP BY a.attrelid
"""


def read_state(
    conn: psycopg.Connection, specs: tuple[IndexSpec, ...], cache: ShapeCache | None = None
) -> DatabaseState:
    """Preflight the catalog against the live schema and read everything the planner needs.

    Runs in one transaction on `conn` that is always rolled back, so nothing persists and
    no snapshot outlives this call. Raises UserError naming file:line for an unknown
    table, a column that does not exist, or any definition PostgreSQL rejects.

    With a `cache` (see shape_cache.py), an index already normalised on an
    identical table is not built on a temporary table again.
    """
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise RuntimeError("read_state needs a connection outside a transaction")
    version = conn.info.server_version
    desired: dict[str, IndexShape] = {}
    keys: dict[str, str] = {}
    scratch: dict[int, str] = {}
    try:
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            tables = resolve_tables(cur, specs)
            if cache is not None:
                keys = _cache_keys(cur, specs, tables, cache)
                desired = _known_shapes(cur, keys, cache, version)
            missing = tuple(s for s in specs if s.name not in desired)
            if missing and not _read_only(cur):
                scratch = _build_scratch_indexes(cur, missing, tables)
            cur.execute(f"SET LOCAL search_path = {PINNED_SEARCH_PATH}")
            partitions = read_partitions(cur, tables)
            relations = _read_relations(cur, specs, tables, partitions)
            shapes = read_shapes(cur, [r.oid for r in relations if _needs_shape(r)] + list(scratch))
            builds = read_builds(cur)
    finally:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
    for oid, name in scratch.items():
        desired[name] = shapes[oid]
    if cache is not None:
        for name, key in keys.items():
            if name in desired and cache.get(key) is None:
                cache.put(key, desired[name])
        cache.save()
    relations = tuple(
        Relation(**{**r.__dict__, "shape": shapes.get(r.oid)}) if r.is_index else r
        for r in relations
    )
    return DatabaseState(
        version, tables, relations, builds, desired, shape_keys=keys, partitions=partitions
    )


def _needs_shape(rel: Relation) -> bool:
    """Every index but a partition's attached one: ATTACH already proved it has its parent's
    definition but for storage parameters (P3), compared through `reloptions`; reading
    10,000 shapes would cost seconds."""
    return rel.is_index and rel.parent_index is None


def _known_shapes(
    cur: psycopg.Cursor, keys: dict[str, str], cache: ShapeCache, version: int
) -> dict[str, IndexShape]:
    """Shapes normalised before: in the local cache, else recorded by apply on the primary."""
    known = {name: shape for name, key in keys.items() if (shape := cache.get(key)) is not None}
    unknown = {name: key for name, key in keys.items() if name not in known}
    return {**known, **read_recorded(cur, unknown, version)}


def _read_only(cur: psycopg.Cursor) -> bool:
    """A hot standby or a read-only session: nothing can be built, not even temp tables."""
    in_recovery, read_only = cur.execute(READ_ONLY_SQL).fetchone()
    return bool(in_recovery or read_only)


def read_builds(cur: psycopg.Cursor | psycopg.Connection) -> tuple[Build, ...]:
    """The CREATE INDEX / REINDEX commands other backends run in this database now."""
    return tuple(Build(*row) for row in cur.execute(BUILDS_SQL).fetchall())


def _cache_keys(
    cur: psycopg.Cursor,
    specs: tuple[IndexSpec, ...],
    tables: dict[str, TableRef],
    cache: ShapeCache,
) -> dict[str, str]:
    oids = sorted({t.oid for t in tables.values()})
    fingerprints = dict(cur.execute(FINGERPRINT_SQL, {"oids": oids}).fetchall())
    search_path = cur.execute("SELECT pg_catalog.current_setting('search_path')").fetchone()[0]
    return {
        s.name: cache.key(s, fingerprints.get(tables[s.name].oid, ""), search_path) for s in specs
    }


READ_ONLY_SQL = """
SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('transaction_read_only')::bool
"""


def refuse_read_only(cur: psycopg.Cursor | psycopg.Connection, doing: str) -> None:
    """A hot standby or a read-only session cannot build anything, not even the empty
    temporary copies the comparison uses: say which, instead of a failing statement."""
    in_recovery, read_only = cur.execute(READ_ONLY_SQL).fetchone()
    if in_recovery:
        raise UserError(
            f"cannot {doing}: the server is a read-only hot standby (pg_is_in_recovery()); "
            "point --dsn at the primary, whose indexes replicate to the standbys"
        )
    if read_only:
        raise UserError(
            f"cannot {doing}: the session is read-only (default_transaction_read_only is on "
            "for this database, role or server); connect as a role or to a database that "
            "may write"
        )


def _build_scratch_indexes(
    cur: psycopg.Cursor, specs: tuple[IndexSpec, ...], tables: dict[str, TableRef]
) -> dict[int, str]:
    """Build each desired index on an empty temp copy of its table: oid -> spec name.

    The first statement PostgreSQL rejects aborts the (rolled back) transaction and is
    reported with the catalog's file:line.
    """
    scratch_tables: dict[int, str] = {}
    names: dict[str, str] = {}
    for number, spec in enumerate(specs):
        table = tables[spec.name]
        if table.oid not in scratch_tables:
            temp = f"pg_temp.plinto_scratch_{len(scratch_tables)}"
            try:
                cur.execute(f"CREATE TEMP TABLE {temp} (LIKE {table.qualified}) ON COMMIT DROP")
            except psycopg.Error as exc:
                reason = server_message(exc, detail=False)
                raise UserError(
                    f"cannot compare index definitions on {table.qualified}: an empty temporary "
                    f"copy of the table is needed and PostgreSQL said: {reason}"
                ) from None
            scratch_tables[table.oid] = temp
        scratch_name = f"plinto_scratch_index_{number}"
        try:
            cur.execute(spec.create_sql(False, name=scratch_name, table=scratch_tables[table.oid]))
        except psycopg.Error as exc:
            reason = server_message(exc, detail=False)
            raise UserError(
                f"{spec.location}: index {spec.name!r} does not fit {table.qualified}: {reason}"
            ) from None
        names[scratch_name] = spec.name
    rows = cur.execute(
        "SELECT relname, oid FROM pg_catalog.pg_class "
        "WHERE relnamespace = pg_catalog.pg_my_temp_schema() AND relname = ANY(%s)",
        (list(names),),
    ).fetchall()
    return {oid: names[relname] for relname, oid in rows}


def _read_relations(
    cur: psycopg.Cursor,
    specs: tuple[IndexSpec, ...],
    tables: dict[str, TableRef],
    partitions: dict[int, tuple[Partition, ...]],
) -> list[Relation]:
    table_oids = sorted(
        {t.oid for t in tables.values()} | {p.oid for tree in partitions.values() for p in tree}
    )
    schemas = sorted({t.schema for t in tables.values()})
    schema_oids = [
        row[0]
        for row in cur.execute(
            "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ANY(%s)", (schemas,)
        ).fetchall()
    ]
    names = sorted(
        {s.name for s in specs}
        | {replacement_name(s.name) for s in specs}
        | {retired_name(s.name) for s in specs}
    )
    rows = cur.execute(
        RELATIONS_SQL, {"tables": table_oids, "schemas": schema_oids, "names": names}
    ).fetchall()
    out = []
    for row in rows:
        (
            oid,
            schema,
            name,
            relkind,
            t_oid,
            t_name,
            t_schema,
            valid,
            ready,
            live,
            con,
            size,
            scans,
            dependents,
            parent_index,
            reloptions,
        ) = row
        table = TableRef(t_oid, t_schema, t_name) if t_oid is not None else None
        out.append(
            Relation(
                oid,
                schema,
                name,
                relkind,
                table,
                bool(valid),
                bool(ready),
                bool(live),
                con,
                int(size or 0),
                int(scans or 0),
                dependents=tuple(dependents or ()),
                parent_index=parent_index,
                reloptions=tuple(sorted(reloptions or ())),
            )
        )
    return out
