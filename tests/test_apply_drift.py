"""Drift: a collation drift names both collations; --replace-drifted refuses (exit 3, saying
why) to replace an index a foreign key references (its retired `_plold` could never be
dropped) or that is the table's replica identity, and still applies the others."""

from __future__ import annotations

import json

import psycopg


def execute(dsn, *statements):
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def indexes(dsn, table):
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass ORDER BY 1",
            (table,),
        ).fetchall()
    return [r[0] for r in rows]


def test_replace_drifted_refuses_an_index_a_foreign_key_or_replica_identity_needs(
    new_db, run_cli, tmp_path
):
    dsn = new_db("empty")
    execute(
        dsn,
        "CREATE TABLE parent (id int NOT NULL, v text)",
        "CREATE UNIQUE INDEX parent_id_u ON parent (id)",
        "CREATE TABLE child (pid int REFERENCES parent (id))",
        "CREATE TABLE ident (id int NOT NULL, v text)",
        "CREATE UNIQUE INDEX ident_id_u ON ident (id)",
        "ALTER TABLE ident REPLICA IDENTITY USING INDEX ident_id_u",
        "CREATE TABLE free (id int NOT NULL, v text)",
        "CREATE UNIQUE INDEX free_id_u ON free (id)",
    )
    catalog = tmp_path / "c.sql"
    catalog.write_text(
        "CREATE UNIQUE INDEX parent_id_u ON parent (id) INCLUDE (v);\n"
        "CREATE UNIQUE INDEX ident_id_u ON ident (id) INCLUDE (v);\n"
        "CREATE UNIQUE INDEX free_id_u ON free (id) INCLUDE (v);\n"
    )
    proc = run_cli(
        "apply", "--dsn", dsn, "--indexes", str(catalog), "--replace-drifted", "--format", "json"
    )
    assert proc.returncode == 3, proc.stderr
    actions = {a["name"]: a for a in json.loads(proc.stdout)["actions"]}
    assert actions["free_id_u"]["result"] == "done"  # the others still apply
    assert actions["parent_id_u"]["result"] == "refused"
    assert "foreign key child_pid_fkey on public.child" in actions["parent_id_u"]["detail"]
    assert actions["ident_id_u"]["result"] == "refused"
    assert "replica identity" in actions["ident_id_u"]["detail"]
    assert indexes(dsn, "parent") == ["parent_id_u"]
    assert indexes(dsn, "ident") == ["ident_id_u"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute(
            "SELECT indisreplident FROM pg_index WHERE indexrelid = 'ident_id_u'::regclass"
        ).fetchone()[0]


def test_collation_drift_names_both_collations(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    execute(
        dsn,
        'CREATE TABLE "Orders" ("Name" text)',
        'CREATE INDEX orders_name ON "Orders" ("Name" COLLATE "C")',
    )
    catalog = tmp_path / "c.sql"
    catalog.write_text('CREATE INDEX orders_name ON "Orders" ("Name" COLLATE "POSIX");\n')
    proc = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog), "--format", "json")
    assert proc.returncode == 3, proc.stderr
    detail = json.loads(proc.stdout)["actions"][0]["detail"]
    assert detail == '"Name" collation C instead of POSIX'
