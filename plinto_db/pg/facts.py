"""What `check` knows about the server before it explains anything: its indexes and tables.

One read of the catalogs per run; the decisions made from it are pure (guard, decide,
coverage), so this module imports psycopg only for type checking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

INDEXES_SQL = """
SELECT n.nspname, ic.relname, tc.relname, x.indpred IS NOT NULL,
       pg_get_expr(x.indpred, x.indrelid), x.indisvalid,
       CASE WHEN ic.relispartition THEN
         (SELECT r.relname FROM pg_class r WHERE r.oid = pg_partition_root(ic.oid)) END
FROM pg_index x
JOIN pg_class ic ON ic.oid = x.indexrelid
JOIN pg_class tc ON tc.oid = x.indrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
"""

TABLES_SQL = """
SELECT n.nspname, c.relname, c.relkind::text, c.relpages, c.reltuples,
       c.reltuples >= 0 OR s.last_analyze IS NOT NULL OR s.last_autoanalyze IS NOT NULL
         OR s.last_vacuum IS NOT NULL OR s.last_autovacuum IS NOT NULL,
       CASE WHEN c.relispartition THEN
         (SELECT r.relname FROM pg_class r WHERE r.oid = pg_partition_root(c.oid)) END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
"""


@dataclass(frozen=True)
class IndexFact:
    schema: str
    name: str
    table: str
    partial: bool
    predicate: str | None
    valid: bool
    root: str | None  # the partitioned index this partition's index belongs to


@dataclass(frozen=True)
class TableFact:
    schema: str
    name: str
    kind: str  # r table, p partitioned table, m materialized view
    pages: int
    tuples: float
    analyzed: bool
    root: str | None  # the partitioned table this partition belongs to


@dataclass(frozen=True)
class ServerFacts:
    version: int
    indexes: tuple[IndexFact, ...]
    tables: tuple[TableFact, ...]

    def index(self, name: str) -> IndexFact | None:
        schema, _, bare = name.rpartition(".")
        return next(
            (i for i in self.indexes if i.name == bare and (not schema or i.schema == schema)), None
        )

    def table(self, name: str) -> TableFact | None:
        schema, _, bare = name.rpartition(".")
        return next(
            (t for t in self.tables if t.name == bare and (not schema or t.schema == schema)), None
        )


def gather_facts(conn: psycopg.Connection) -> ServerFacts:
    indexes = tuple(IndexFact(*row) for row in conn.execute(INDEXES_SQL).fetchall())
    tables = tuple(
        TableFact(s, n, k, int(p), float(t), bool(a), r)
        for s, n, k, p, t, a, r in conn.execute(TABLES_SQL).fetchall()
    )
    return ServerFacts(version=conn.info.server_version, indexes=indexes, tables=tables)
