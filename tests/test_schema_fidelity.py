"""Revision 0001 builds exactly the canonical schema of the spec (a copy in tests/data/spec/)."""

from __future__ import annotations

from pathlib import Path

import psycopg

SPEC = Path(__file__).resolve().parent / "data" / "spec" / "plinto-schema.sql"

SHAPE = """
SELECT 'column', c.relname, a.attname,
       format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> 'alembic_version'
UNION ALL
SELECT 'constraint', c.relname, k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
WHERE c.relname <> 'alembic_version'
UNION ALL
SELECT 'index', tablename, indexname, regexp_replace(indexdef, ' INDEX \\S+ ON ', ' INDEX ON ')
FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'alembic_version'
ORDER BY 1, 2, 3
"""


def test_revision_0001_matches_the_spec_schema(new_db):
    migrated = new_db("schema")
    reference = new_db("empty")
    with psycopg.connect(reference, autocommit=True) as conn:
        conn.execute(SPEC.read_text())  # several statements, no parameters: simple protocol
    with psycopg.connect(migrated) as a, psycopg.connect(reference) as b:
        ours = a.execute(SHAPE).fetchall()
        spec = b.execute(SHAPE).fetchall()
    assert len(ours) > 200
    assert ours == spec
