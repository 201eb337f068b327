"""docs/apply.md's examples are what apply and status print, run here on a real server: the
dry-run plan (one drifted index, one missing), the --table/--only refusals, and the keys of
apply's, status's and history's JSON documents (status: a catalog row, a plain index outside
the catalog, a constraint-backed one, a partitioned catalog index)."""

from __future__ import annotations

import json
import re

import psycopg
import pytest
from test_docs_examples import DOCS, assert_same_keys, example

# the catalog of the dry-run example, cut to what it shows plus one index already built
DRY_RUN_CATALOG = """\
CREATE INDEX CONCURRENTLY idx_users_email_status ON users (email, status) WHERE status = 'active';
CREATE INDEX idx_users_unverified ON users (created_at DESC) WHERE email_verified = false;
CREATE INDEX CONCURRENTLY idx_passkeys_user_id ON passkeys (user_id);
"""

SHOP = """
CREATE SCHEMA "Shop"; CREATE SCHEMA shop;
CREATE TABLE "Shop"."Customers" (email text); CREATE TABLE shop.customers (email text);
CREATE TABLE "Shop"."Orders" (id int); CREATE TABLE public.orders (id int);
"""
SHOP_CATALOG = """\
CREATE INDEX "Idx Email" ON "Shop"."Customers" (email);
CREATE INDEX idx_lower_email ON shop.customers (lower(email));
CREATE INDEX "Orders_Id" ON "Shop"."Orders" (id);
"""


def schema_with_one_built(new_db, run_cli, tmp_path):
    """The schema, the dry-run example's catalog, and its first index built."""
    dsn = new_db("schema")
    catalog = tmp_path / "catalog.sql"
    catalog.write_text(DRY_RUN_CATALOG)
    built = run_cli(
        "apply", "--dsn", dsn, "--indexes", str(catalog), "--only", "idx_users_email_status"
    )
    assert built.returncode == 0, built.stderr
    return dsn, catalog


def test_dry_run_example_is_what_apply_prints(new_db, run_cli, tmp_path):
    dsn, catalog = schema_with_one_built(new_db, run_cli, tmp_path)
    with psycopg.connect(dsn, autocommit=True) as conn:  # drifted: ascending
        conn.execute(
            "CREATE INDEX idx_users_unverified ON users (created_at) WHERE email_verified = false"
        )
    done = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog), "--dry-run")
    assert done.returncode == 3, done.stderr
    shown = example("apply.md", "-- plan: 2 action(s)").strip().splitlines()
    # the page's database holds the whole catalog: 43 others already built, here 1
    shown = [line.replace("43 index(es)", "1 index(es)") for line in shown]
    assert done.stdout.splitlines() == shown


def shop_refusals() -> list[str]:
    block = example("apply.md", "--table Shop.Orders: no table")
    return [line for line in block.splitlines() if line.startswith("plinto-db: error:")]


@pytest.fixture(scope="module")
def shop_db(pg_server):
    dsn = pg_server.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SHOP)
    yield dsn
    pg_server.drop_database(dsn)


@pytest.mark.parametrize("line", shop_refusals(), ids=lambda line: line[18:45])
def test_table_and_only_refusals_are_what_apply_prints(shop_db, run_cli, tmp_path, line):
    option, value = re.match(r"plinto-db: error: (--\w+) (.+?): ", line).groups()
    catalog = tmp_path / "shop.sql"
    catalog.write_text(SHOP_CATALOG)
    done = run_cli("apply", "--dsn", shop_db, "--indexes", str(catalog), "--dry-run", option, value)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == line


def test_apply_and_status_json_examples_have_the_real_keys(new_db, run_cli, tmp_path):
    dsn, catalog = schema_with_one_built(new_db, run_cli, tmp_path)
    applied = run_cli(
        "apply", "--dsn", dsn, "--indexes", str(catalog), "--format", "json",
        "--only", "idx_passkeys_user_id",
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    assert_same_keys(
        json.loads(example("apply.md", '"command": "apply"')), json.loads(applied.stdout)
    )

    status = run_cli("status", "--dsn", dsn, "--indexes", str(catalog), "--format", "json")
    real = json.loads(status.stdout)
    shown = json.loads(example("apply.md", '"command": "status"').replace('"…"', "null"))
    assert set(shown) == set(real)
    rows = {row["name"]: row for row in real["indexes"]}
    for row in shown["indexes"]:
        assert_same_keys(row, rows[row["name"]], row["name"])
        assert (rows[row["name"]]["state"], rows[row["name"]]["detail"]) == (
            row["state"],
            row["detail"],
        )

    history = run_cli("history", "--dsn", dsn, "--format", "json")
    entry = json.loads(history.stdout)["entries"][0]
    page = " ".join((DOCS / "apply.md").read_text().split())
    shown = re.search(r'JSON: `\{"command": "history", "entries": \[\{(.*?)\}\]\}`', page).group(1)
    assert set(entry) == set(re.findall(r'"(\w+)"', shown))


EVENTS = """
CREATE TABLE events (id bigint, account_id int, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
"""


def test_status_json_partitioned_row_has_the_keys_shown(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(EVENTS)
    catalog = tmp_path / "events.sql"
    catalog.write_text("CREATE INDEX events_account_idx ON events (account_id);\n")
    assert run_cli("apply", "--dsn", dsn, "--indexes", str(catalog)).returncode == 0
    status = run_cli("status", "--dsn", dsn, "--indexes", str(catalog), "--format", "json")
    (real,) = json.loads(status.stdout)["indexes"]
    shown = json.loads(example("apply.md", '"partitions": {"attached"'))
    assert_same_keys(shown, real)
    assert (real["definition"], real["partitions"]) == (shown["definition"], shown["partitions"])
