"""Review of issue 3 (apply): the --dry-run plan is SQL psql runs to the same end state,
on mixed-case names in a schema that is not on the search_path."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

SETUP = (
    'CREATE SCHEMA "App"',
    'CREATE TABLE "App"."Orders" ("Id" int, "CustomerName" text, status text)',
    "INSERT INTO \"App\".\"Orders\" SELECT g, 'n' || g, 'active' FROM generate_series(1, 500) g",
    'CREATE UNIQUE INDEX "Orders_Name_uq" ON "App"."Orders" ("CustomerName") INCLUDE (status)',
)
CATALOG = (
    'CREATE UNIQUE INDEX "Orders_Name_uq" ON "App"."Orders" ("CustomerName" DESC) '
    "INCLUDE (status);\n"
    'CREATE INDEX "Mixed Name" ON "App"."Orders" (\n'
    '   "CustomerName", -- the name\n'
    "   (lower(status)) /* lower */\n"
    ") WHERE status <> 'it''s';\n"
)


@pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql")
def test_dry_run_replace_drifted_is_a_psql_script(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in SETUP:
            conn.execute(statement)
    catalog = tmp_path / "c.sql"
    catalog.write_text(CATALOG)
    args = ("--dsn", dsn, "--indexes", str(catalog))
    dry = run_cli("apply", *args, "--dry-run", "--replace-drifted")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    swap = lines.index("BEGIN;")
    assert lines[swap + 1].startswith('ALTER INDEX "App"."Orders_Name_uq" RENAME TO ')
    assert lines[swap + 2].startswith('ALTER INDEX "App"."Orders_Name_uq_plnew" RENAME TO ')
    assert lines[swap + 3] == "COMMIT;"
    psql = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", "-"],
        input=dry.stdout,
        capture_output=True,
        text=True,
    )
    assert psql.returncode == 0, psql.stderr
    after = run_cli("apply", *args, "--format", "json")
    assert after.returncode == 0, after.stderr
    assert {a["action"] for a in json.loads(after.stdout)["actions"]} == {"skip"}


def test_the_catalog_tablespace_is_used_for_the_build(new_db, run_cli, tmp_path):
    import os
    import uuid

    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        data_dir = conn.execute("SELECT current_setting('data_directory')").fetchone()[0]
    owner = os.stat(data_dir)
    location = Path(tempfile.mkdtemp(prefix="plinto-review-ts-"))  # traversable by the server
    try:
        os.chown(location, owner.st_uid, owner.st_gid)
    except PermissionError:
        shutil.rmtree(location, ignore_errors=True)
        pytest.skip("cannot give the server's OS user a tablespace directory")
    name = f"rev_ts_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLESPACE {name} LOCATION '{location}'")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE items (id int)")
        catalog = tmp_path / "c.sql"
        catalog.write_text(f"CREATE INDEX items_id ON items (id) TABLESPACE {name};\n")
        proc = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog))
        assert proc.returncode == 0, proc.stderr
        with psycopg.connect(dsn, autocommit=True) as conn:
            used = conn.execute(
                "SELECT t.spcname FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace "
                "WHERE c.oid = 'items_id'::regclass"
            ).fetchone()
            assert used == (name,)
            conn.execute("DROP TABLE items")
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP TABLESPACE IF EXISTS {name}")
        shutil.rmtree(location, ignore_errors=True)
