"""--table T / schema.T selects catalog indexes, including the quoted form the reports print
and a qualified name for a catalog written without schemas."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from plinto_db.apply.run import select
from plinto_db.catalog.parse import load_catalog
from plinto_db.errors import UserError


@pytest.fixture
def specs(tmp_path: Path):
    path = tmp_path / "c.sql"
    path.write_text(
        'CREATE INDEX o_name ON "App"."Orders" ("Name");\n'
        "CREATE INDEX u_email ON users (email);\n"
        "CREATE INDEX a_users ON app.users (email);\n"
    )
    return load_catalog(path)


def names(chosen):
    return [s.name for s in chosen]


def test_before_connecting_a_table_keeps_every_statement_it_may_name(specs):
    assert names(select(specs, None, ['"App"."Orders"'])) == ["o_name"]
    # App.Orders is app.orders: the server says there is none, and names "App"."Orders"
    assert names(select(specs, None, ["App.Orders"])) == ["o_name"]
    assert names(select(specs, None, ["users"])) == ["u_email", "a_users"]
    # a qualified name keeps the unqualified statement until its table is resolved
    assert names(select(specs, None, ["public.users"])) == ["u_email"]
    assert names(select(specs, None, ["app.users"])) == ["u_email", "a_users"]
    with pytest.raises(UserError, match=r"^--table App.Items: no catalog index on app.items$"):
        select(specs, None, ["App.Items"])
    with pytest.raises(UserError, match="expected TABLE or SCHEMA.TABLE"):
        select(specs, None, ["a.b.c"])
    with pytest.raises(UserError, match="expected TABLE or SCHEMA.TABLE"):
        select(specs, None, ["Order Lines"])


def test_schema_qualified_table_with_the_bundled_catalog(schema_db, run_cli):
    proc = run_cli(
        "apply", "--dsn", schema_db, "--dry-run", "--format", "json", "--table", "public.users"
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["actions"] and {a["table"] for a in doc["actions"]} == {"public.users"}
    quoted = run_cli(
        "status", "--dsn", schema_db, "--format", "json", "--table", '"public"."users"'
    )
    rows = json.loads(quoted.stdout)["indexes"]
    managed = [r for r in rows if r["managed"]]
    assert {r["table"] for r in rows} == {"public.users"}
    assert {r["name"] for r in managed} == {a["name"] for a in doc["actions"]}
    other = run_cli("apply", "--dsn", schema_db, "--dry-run", "--table", "elsewhere.users")
    assert other.returncode == 2
    assert "error: --table elsewhere.users: no table elsewhere.users\n" in other.stderr


def test_mixed_case_table_selected_as_printed(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "App"')
        conn.execute('CREATE TABLE "App"."Orders" ("Id" int, "Name" text)')
        conn.execute("CREATE TABLE public.other (x int)")
    catalog = tmp_path / "c.sql"
    catalog.write_text(
        'CREATE INDEX "Orders_Name" ON "App"."Orders" ("Name");\n'
        "CREATE INDEX other_x ON other (x);\n"
    )
    proc = run_cli(
        "apply", "--dsn", dsn, "--indexes", str(catalog), "--format", "json",
        "--table", '"App"."Orders"',
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [(a["name"], a["table"], a["result"]) for a in doc["actions"]] == [
        ("Orders_Name", '"App"."Orders"', "done")
    ]
