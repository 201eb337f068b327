"""What `check` knows about the server before it explains anything: its indexes and tables, the
session's search_path, and whether it is a read-only standby.

One read of the catalogs per run; the decisions made from it are pure (guard, decide,
coverage), so this module imports psycopg only for type checking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import psycopg

INDEXES_SQL = """
SELECT n.nspname, ic.relname, tc.relname, x.indpred IS NOT NULL,
       pg_get_expr(x.indpred, x.indrelid), x.indisvalid, r.relname, rn.nspname,
       CASE WHEN ic.relkind = 'I'  -- a partitioned index: its partitions' indexes hold the data
            THEN (SELECT coalesce(sum(pg_relation_size(t.relid)), 0)::bigint
                  FROM pg_partition_tree(ic.oid) t WHERE t.isleaf)
            ELSE pg_relation_size(ic.oid) END, am.amname,
       ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true)
             FROM generate_series(1, x.indnkeyatts) k ORDER BY k)
FROM pg_index x
JOIN pg_class ic ON ic.oid = x.indexrelid
JOIN pg_am am ON am.oid = ic.relam
JOIN pg_class tc ON tc.oid = x.indrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
LEFT JOIN pg_class r ON ic.relispartition AND r.oid = pg_partition_root(ic.oid)
LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
"""

TABLES_SQL = """
SELECT n.nspname, c.relname, c.relkind::text, c.relpages, c.reltuples,
       c.reltuples >= 0 OR s.last_analyze IS NOT NULL OR s.last_autoanalyze IS NOT NULL
         OR s.last_vacuum IS NOT NULL OR s.last_autovacuum IS NOT NULL,
       r.relname, rn.nspname,
       -- a partitioned table's key columns in order ('' for an expression)
       ARRAY(SELECT coalesce(a.attname, '')
             FROM pg_partitioned_table pt
             CROSS JOIN unnest(pt.partattrs::int2[]) WITH ORDINALITY k(num, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.num
             WHERE pt.partrelid = c.oid ORDER BY k.ord),
       -- a foreign-table partition, at any level (it cannot carry a unique index)
       (SELECT f.oid::regclass::text FROM pg_partition_tree(c.oid) t
        JOIN pg_class f ON f.oid = t.relid
        WHERE c.relkind = 'p' AND f.relkind = 'f' ORDER BY 1 LIMIT 1)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
LEFT JOIN pg_class r ON c.relispartition AND r.oid = pg_partition_root(c.oid)
LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
"""

# the schemas an unqualified name is looked up in, in order; a standby is read-only
SESSION_SQL = "SELECT current_schemas(false)::text[], pg_is_in_recovery()"

QName = tuple[str | None, str]  # (schema, name); schema None: unqualified


@dataclass(frozen=True)
class IndexFact:
    schema: str
    name: str
    table: str
    partial: bool
    predicate: str | None
    valid: bool
    root: str | None  # the partitioned index this partition's index belongs to
    root_schema: str | None = None  # its schema (None: the index's own)
    size_bytes: int | None = None
    method: str | None = None  # btree, gin, ...
    # each key column or expression as pg_get_indexdef prints it (INCLUDE columns are no keys);
    # None: not read
    keys: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TableFact:
    schema: str
    name: str
    kind: str  # r table, p partitioned table, m materialized view
    pages: int
    tuples: float
    analyzed: bool
    root: str | None  # the partitioned table this partition belongs to
    root_schema: str | None = None  # its schema (None: the table's own)
    partition_key: tuple[str, ...] = ()  # a partitioned table's key columns ('': an expression)
    foreign_partition: str | None = None  # a foreign-table partition (as SQL names it), if any


Fact = TypeVar("Fact", IndexFact, TableFact)


@dataclass(frozen=True)
class Found(Generic[Fact]):
    """What a name a check uses resolves to: the fact, or every candidate when it is ambiguous."""

    fact: Fact | None
    candidates: tuple[Fact, ...]


@dataclass(frozen=True)
class ServerFacts:
    version: int
    indexes: tuple[IndexFact, ...]
    tables: tuple[TableFact, ...]
    search_path: tuple[str, ...] = ("public",)
    in_recovery: bool = False  # a hot standby: read-only

    def index(self, name: QName) -> IndexFact | None:
        return self.find_index(name).fact

    def table(self, name: QName) -> TableFact | None:
        return self.find_table(name).fact

    def find_index(self, name: QName) -> Found[IndexFact]:
        return _find(self.indexes, name, self.search_path)

    def find_table(self, name: QName) -> Found[TableFact]:
        return _find(self.tables, name, self.search_path)


def _find(items: tuple[Fact, ...], name: QName, search_path: tuple[str, ...]) -> Found[Fact]:
    """As PostgreSQL resolves a name: `schema.name` there; `name` in the first schema of the
    search_path that has it; else, when exactly one schema has it, there."""
    schema, bare = name
    matches = tuple(i for i in items if i.name == bare and (not schema or i.schema == schema))
    if schema or len(matches) <= 1:
        return Found(matches[0] if matches else None, matches)
    for candidate in search_path:
        for item in matches:
            if item.schema == candidate:
                return Found(item, matches)
    return Found(None, matches)


def gather_facts(conn: psycopg.Connection) -> ServerFacts:
    indexes = tuple(
        IndexFact(*row[:-1], keys=tuple(row[-1])) for row in conn.execute(INDEXES_SQL).fetchall()
    )
    tables = tuple(
        TableFact(s, n, k, int(p), float(t), bool(a), r, rs, tuple(key), foreign)
        for s, n, k, p, t, a, r, rs, key, foreign in conn.execute(TABLES_SQL).fetchall()
    )
    row = conn.execute(SESSION_SQL).fetchone()
    search_path, in_recovery = (tuple(row[0]), bool(row[1])) if row else (("public",), False)
    return ServerFacts(
        version=conn.info.server_version,
        indexes=indexes,
        tables=tables,
        search_path=search_path,
        in_recovery=in_recovery,
    )
