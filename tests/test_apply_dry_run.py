"""apply --dry-run prints SQL that psql runs to the same end state, on mixed-case names in a
schema that is not on the search_path (the --replace-drifted swap inside BEGIN; ... COMMIT;)."""

from __future__ import annotations

import json
import shutil
import subprocess

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
