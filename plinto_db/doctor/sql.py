"""Every query doctor sends: read-only reads of pg_catalog and the statistics views.

Each returns plain rows; gather.py turns them into frozen facts. `{...}` fragments are filled
by `statement()` for the server version (columns that older servers lack).
"""

from __future__ import annotations

# Non-system schemas, and no objects an extension owns (they are the extension's business).
USER_TABLE_FILTER = """
    tn.nspname NOT IN ('pg_catalog', 'information_schema')
    AND tn.nspname !~ '^pg_(toast|temp_)'
    AND (%(schemas)s::text[] IS NULL OR tn.nspname = ANY(%(schemas)s::text[]))
    AND NOT EXISTS (
        SELECT 1 FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.objid = tc.oid AND d.deptype = 'e')
"""

# pg_constraint has no index on conindid: the constraints that back or reference an index
# are read once (the CTEs), not looked up per index. A partitioned index's size and scans add
# up its leaves; every leaf is measured once (`measured`), whether it is listed itself or only
# under its parent (a partition in another schema), so 1,000 partitions cost 1,000 calls.
INDEXES = """
WITH RECURSIVE backing AS (
    SELECT DISTINCT ON (c.conindid) c.conindid, c.conrelid, c.contype::text AS contype
    FROM pg_constraint c WHERE c.contype IN ('p', 'u', 'x') AND c.conindid <> 0
    ORDER BY c.conindid, c.contype
), referencing AS (
    SELECT f.conindid, array_agg(f.conname::text ORDER BY f.conname) AS names
    FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid <> 0
    GROUP BY f.conindid
), listed AS MATERIALIZED (
    SELECT x.indexrelid, x.indrelid, ic.relkind
    FROM pg_index x
    JOIN pg_class ic ON ic.oid = x.indexrelid
    JOIN pg_class tc ON tc.oid = x.indrelid
    JOIN pg_namespace tn ON tn.oid = tc.relnamespace
    WHERE tc.relkind IN ('r', 'p', 'm') AND {table_filter}
), tree AS (
    SELECT l.indexrelid AS root, l.indexrelid AS relid FROM listed l WHERE l.relkind = 'I'
    UNION ALL
    SELECT t.root, i.inhrelid FROM tree t JOIN pg_inherits i ON i.inhparent = t.relid
), measured AS MATERIALIZED (
    SELECT u.relid, pg_relation_size(u.relid) AS size, pg_stat_get_numscans(u.relid) AS scans
    FROM (SELECT relid FROM tree UNION SELECT indexrelid FROM listed) u
    JOIN pg_class c ON c.oid = u.relid
    WHERE c.relkind = 'i'
), totals AS (
    SELECT t.root, sum(m.size)::bigint AS size, sum(m.scans)::bigint AS scans
    FROM tree t JOIN measured m ON m.relid = t.relid
    GROUP BY t.root
), keys AS (
    SELECT l.indexrelid,
           array_agg(CASE WHEN k.attnum <> 0 THEN quote_ident(a.attname::text)
                          ELSE pg_get_indexdef(l.indexrelid, k.k::int, false) END
                     ORDER BY k.k) AS texts
    FROM listed l
    JOIN pg_index x ON x.indexrelid = l.indexrelid
    CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, k)
    LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
    GROUP BY l.indexrelid
), opclasses AS (
    SELECT l.indexrelid, array_agg(o.opcdefault ORDER BY c.k) AS defaults
    FROM listed l
    JOIN pg_index x ON x.indexrelid = l.indexrelid
    CROSS JOIN LATERAL unnest(x.indclass::oid[]) WITH ORDINALITY AS c(oid, k)
    JOIN pg_opclass o ON o.oid = c.oid
    GROUP BY l.indexrelid
)
SELECT x.indexrelid::bigint, n.nspname, ic.relname, x.indrelid::bigint, tn.nspname, tc.relname,
       am.amname, ic.relkind::text, x.indnkeyatts, x.indkey::int2[],
       COALESCE(ky.texts, '{{}}'::text[]),
       x.indclass::oid[]::bigint[], x.indcollation::oid[]::bigint[], x.indoption::int2[],
       COALESCE(op.defaults, '{{}}'::bool[]),
       pg_get_expr(x.indpred, x.indrelid), x.indpred::text,
       x.indisunique, x.indisprimary, x.indisvalid, x.indisready, x.indisreplident,
       {nulls_not_distinct},
       b.contype,
       COALESCE(r.names, '{{}}'::text[]),
       (SELECT i.inhparent::bigint FROM pg_inherits i WHERE i.inhrelid = x.indexrelid LIMIT 1),
       CASE WHEN ic.relkind = 'I' THEN COALESCE(tot.size, 0) ELSE own.size END,
       CASE WHEN ic.relkind = 'I' THEN COALESCE(tot.scans, 0) ELSE own.scans END,
       {last_scan},
       CASE WHEN NOT x.indisvalid THEN pg_get_indexdef(x.indexrelid) END  -- for the report
FROM listed l
JOIN pg_index x ON x.indexrelid = l.indexrelid
JOIN pg_class ic ON ic.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_class tc ON tc.oid = x.indrelid
JOIN pg_namespace tn ON tn.oid = tc.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN keys ky ON ky.indexrelid = x.indexrelid
LEFT JOIN opclasses op ON op.indexrelid = x.indexrelid
LEFT JOIN measured own ON own.relid = x.indexrelid
LEFT JOIN totals tot ON tot.root = x.indexrelid
LEFT JOIN backing b ON b.conindid = x.indexrelid AND b.conrelid = x.indrelid
LEFT JOIN referencing r ON r.conindid = x.indexrelid
ORDER BY tn.nspname, tc.relname, ic.relname
"""

# As for INDEXES: a partitioned table's size adds up its leaves, each measured once
TABLES = """
WITH RECURSIVE listed AS MATERIALIZED (
    SELECT tc.oid, tc.relkind
    FROM pg_class tc
    JOIN pg_namespace tn ON tn.oid = tc.relnamespace
    WHERE tc.relkind IN ('r', 'p') AND {table_filter}
), tree AS (
    SELECT l.oid AS root, l.oid AS relid FROM listed l WHERE l.relkind = 'p'
    UNION ALL
    SELECT t.root, i.inhrelid FROM tree t JOIN pg_inherits i ON i.inhparent = t.relid
), measured AS MATERIALIZED (
    SELECT u.relid, pg_table_size(u.relid) AS size
    FROM (SELECT relid FROM tree UNION SELECT oid FROM listed) u
    JOIN pg_class c ON c.oid = u.relid
    WHERE c.relkind NOT IN ('p', 'I')
), totals AS (
    SELECT t.root, sum(m.size)::bigint AS size
    FROM tree t JOIN measured m ON m.relid = t.relid
    GROUP BY t.root
)
SELECT tc.oid::bigint, tn.nspname, tc.relname, tc.relkind::text, tc.relispartition,
       EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = tc.oid AND c.contype = 'p'),
       CASE WHEN tc.relkind = 'p' THEN COALESCE(tot.size, 0) ELSE own.size END,
       ARRAY(SELECT a.attnum FROM pg_attribute a
             WHERE a.attrelid = tc.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       ARRAY(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = tc.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       ARRAY(SELECT a.attnotnull AND NOT EXISTS (
               SELECT 1 FROM pg_constraint n  -- NOT NULL ... NOT VALID (PostgreSQL 18+)
               WHERE n.conrelid = tc.oid AND n.contype = 'n' AND NOT n.convalidated
                 AND a.attnum = ANY (n.conkey))
             FROM pg_attribute a
             WHERE a.attrelid = tc.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
FROM listed l
JOIN pg_class tc ON tc.oid = l.oid
JOIN pg_namespace tn ON tn.oid = tc.relnamespace
LEFT JOIN measured own ON own.relid = tc.oid
LEFT JOIN totals tot ON tot.root = tc.oid
ORDER BY tn.nspname, tc.relname
"""

# conparentid <> 0: a partition's clone of its partitioned table's foreign key
FOREIGN_KEYS = """
SELECT c.conname::text, c.conrelid::bigint, c.conkey::int2[], rn.nspname, r.relname,
       c.confdeltype::text
FROM pg_constraint c
JOIN pg_class tc ON tc.oid = c.conrelid
JOIN pg_namespace tn ON tn.oid = tc.relnamespace
JOIN pg_class r ON r.oid = c.confrelid
JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE c.contype = 'f' AND c.conparentid = 0 AND {table_filter}
ORDER BY tn.nspname, tc.relname, c.conname
"""

# Every partition of a partitioned table, at every level: a partition may live in another
# schema (and outside --schema), and its index is built there
PARTITIONS = """
SELECT c.oid::bigint, i.inhparent::bigint, n.nspname, c.relname, c.relkind::text
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relkind = 'p' AND c.relispartition
ORDER BY n.nspname, c.relname
"""

# Every index attached to a partitioned index, in every schema: a partition (and its index)
# may live outside --schema, and a fix must not build a second one there
ATTACHED_INDEXES = """
SELECT c.oid::bigint, i.inhparent::bigint, x.indrelid::bigint, n.nspname, c.relname,
       c.relkind::text, x.indisvalid
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_index x ON x.indexrelid = c.oid
JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relkind = 'I'
ORDER BY n.nspname, c.relname
"""

# The names a new index must not take: every relation of a schema shares one namespace
RELATION_NAMES = """
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
"""

# Operators the planner treats as equality (btree strategy 3, hash strategy 1)
EQUALITY_OPERATORS = """
SELECT DISTINCT o.amopopr::bigint
FROM pg_amop o JOIN pg_am m ON m.oid = o.amopmethod
WHERE (m.amname = 'btree' AND o.amopstrategy = 3) OR (m.amname = 'hash' AND o.amopstrategy = 1)
"""

# Index counters count from the database's last pg_stat_reset(); NULL = never reset, so
# they count at most from the server's start (stats are discarded after a crash)
STATS_WINDOW = """
SELECT d.stats_reset, pg_postmaster_start_time(), now()
FROM pg_stat_database d WHERE d.datname = current_database()
"""

BUILDS_IN_PROGRESS = """
SELECT p.index_relid::bigint, p.pid, p.phase
FROM pg_stat_progress_create_index p
WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
"""

# Inputs of the btree size estimate (bloat.py): the index's tuples and pages, and the average
# width of each key from pg_stats (a plain column's stats live on the table, an expression's
# on the index). `stats` counts the keys that have statistics. An index smaller than
# index-bloat's MIN_BYTES cannot hold that much bloat, so it is left out: 10,000 empty
# partition indexes cost 0.3-0.5 s of pg_stats lookups for a check that cannot fire on them.
BTREE_SIZE_INPUTS = """
SELECT x.indexrelid::bigint, ic.reltuples, ic.relpages, current_setting('block_size')::int,
       COALESCE((SELECT substring(o FROM '^fillfactor=([0-9]+)$')::int
                 FROM unnest(ic.reloptions) AS o WHERE o LIKE 'fillfactor=%%'), 90),
       COALESCE(sum((1 - COALESCE(s.null_frac, 0)) * s.avg_width), 0)::float8,
       COALESCE(bool_or(s.null_frac > 0), false),
       count(s.avg_width)::int, count(*)::int
FROM pg_index x
JOIN pg_class ic ON ic.oid = x.indexrelid
JOIN pg_am am ON am.oid = ic.relam
JOIN pg_class tc ON tc.oid = x.indrelid
JOIN pg_namespace tn ON tn.oid = tc.relnamespace
JOIN pg_attribute a ON a.attrelid = x.indexrelid AND a.attnum > 0
LEFT JOIN pg_attribute ta
  ON ta.attrelid = x.indrelid AND ta.attnum = (x.indkey::int2[])[a.attnum - 1]
LEFT JOIN pg_stats s ON NOT s.inherited AND s.schemaname = tn.nspname AND (
     (ta.attnum IS NOT NULL AND s.tablename = tc.relname AND s.attname = ta.attname)
  OR (ta.attnum IS NULL AND s.tablename = ic.relname AND s.attname = a.attname))
WHERE am.amname = 'btree' AND ic.relkind = 'i' AND x.indisvalid AND tc.relkind IN ('r', 'm')
  AND ic.relpages::bigint * current_setting('block_size')::int >= %(min_bytes)s
  AND {table_filter}
GROUP BY x.indexrelid, ic.reltuples, ic.relpages, ic.reloptions
"""


def statement(template: str, version: int) -> str:
    """The query for this server version, with the user-schema filter filled in."""
    return template.format(
        table_filter=USER_TABLE_FILTER.strip(),
        nulls_not_distinct="x.indnullsnotdistinct" if version >= 150000 else "false",
        last_scan=(
            "CASE WHEN ic.relkind = 'i' THEN pg_stat_get_lastscan(x.indexrelid) END"
            if version >= 160000
            else "NULL::timestamptz"
        ),
    )
