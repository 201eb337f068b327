"""The partition trees under the catalog's partitioned tables, read in one query (P8).

Read-only; part of introspect's single rolled-back transaction.
"""

from __future__ import annotations

import psycopg

from plinto_db.apply.state import Partition, TableRef

# A partitioned table's key: its columns in order, NULL for an expression (attnum 0).
PARTITION_KEY_SQL = """
ARRAY(SELECT a.attname::text
      FROM pg_catalog.pg_partitioned_table pt
      CROSS JOIN LATERAL unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, pos)
      LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum
      WHERE pt.partrelid = {rel} ORDER BY k.pos)
"""

# Every partition under the catalog's partitioned tables, all levels, parents first (P8):
# one query however many partitions there are.
PARTITIONS_SQL = f"""
SELECT r.root, c.oid, n.nspname, c.relname, c.relkind, t.parentrelid::oid, c.relpages,
       CASE WHEN c.relkind = 'p' THEN {PARTITION_KEY_SQL.format(rel="c.oid")} END
FROM unnest(%(roots)s::oid[]) AS r(root)
CROSS JOIN LATERAL pg_catalog.pg_partition_tree(r.root) AS t
JOIN pg_catalog.pg_class c ON c.oid = t.relid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE t.level > 0
ORDER BY r.root, t.level, c.relname
"""


def read_partitions(
    cur: psycopg.Cursor, tables: dict[str, TableRef]
) -> dict[int, tuple[Partition, ...]]:
    roots = sorted({t.oid for t in tables.values() if t.partitioned})
    if not roots:
        return {}
    trees: dict[int, list[Partition]] = {root: [] for root in roots}
    for root, oid, schema, name, relkind, parent, pages, key in cur.execute(
        PARTITIONS_SQL, {"roots": roots}
    ).fetchall():
        part = Partition(oid, schema, name, relkind, parent, max(0, int(pages or 0)))
        trees[root].append(
            part if key is None else Partition(**{**part.__dict__, "key": tuple(key)})
        )
    return {root: tuple(parts) for root, parts in trees.items()}
