"""The shape of an index as PostgreSQL normalises it, read from pg_index.

Two indexes are the same index iff their shapes are equal: method, uniqueness, NULLS NOT
DISTINCT, key columns/expressions (pg_get_indexdef per column), operator classes,
collations, ASC/DESC and NULLS order, INCLUDE columns, predicate and storage parameters.
Read with a pinned search_path so names print the same way for both sides (F14).
"""

from __future__ import annotations

import psycopg

from plinto_db.apply.state import IndexShape

# One row per index oid in %(oids)s: everything that makes two indexes the same index.
# {nnd} is `i.indnullsnotdistinct` on PG15+, `false` before.
SHAPE_SQL = """
SELECT c.oid, am.amname, i.indisunique, {nnd} AS nulls_not_distinct,
       i.indnkeyatts, i.indnatts,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(c.oid, k, false)
             FROM generate_series(1, i.indnatts) AS k ORDER BY k) AS columns,
       ARRAY(SELECT coalesce(opc.opcname, '')
             FROM unnest(i.indclass::oid[]) WITH ORDINALITY AS u(o, n)
             LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = u.o ORDER BY u.n) AS opclasses,
       ARRAY(SELECT coalesce(col.collname, '')
             FROM unnest(i.indcollation::oid[]) WITH ORDINALITY AS u(o, n)
             LEFT JOIN pg_catalog.pg_collation col ON col.oid = u.o ORDER BY u.n) AS collations,
       i.indoption::int2[] AS options,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS predicate,
       coalesce(c.reloptions, '{{}}') AS reloptions,
       pg_catalog.pg_get_indexdef(c.oid) AS definition
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.oid = ANY(%(oids)s)
"""


def read_shapes(cur: psycopg.Cursor, oids: list[int]) -> dict[int, IndexShape]:
    nnd = "i.indnullsnotdistinct" if cur.connection.info.server_version >= 150000 else "false"
    rows = cur.execute(SHAPE_SQL.format(nnd=nnd), {"oids": oids}).fetchall()
    return {
        row[0]: IndexShape(
            method=row[1],
            unique=row[2],
            nulls_not_distinct=row[3],
            key_count=row[4],
            columns=tuple(row[6]),
            opclasses=tuple(row[7]),
            collations=tuple(row[8]),
            options=tuple(row[9] or ()),
            predicate=row[10],
            reloptions=tuple(sorted(row[11] or ())),
            definition=row[12],
        )
        for row in rows
    }
