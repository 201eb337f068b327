"""check names relations as PostgreSQL reads them, on a schema with a mixed-case schema and
table, a spaced schema, table and index, and a non-public schema: quoted where needed,
qualified outside `public`, in text, JSON, Markdown and JUnit. Unquoted names in `-- expect:`
lines fold to lower case, as they do in SQL. Real PostgreSQL 15 and 18."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from check_helpers import analyzed_database, by_name, run, write_inputs

from plinto_db.check.judge import Verdict

SCHEMA = """
CREATE SCHEMA "Shop";
CREATE TABLE "Shop"."Customers" (id bigint PRIMARY KEY, email text NOT NULL, country text NOT NULL);
INSERT INTO "Shop"."Customers" SELECT i, 'u' || i || '@x.io', 'c' || i % 50
FROM generate_series(1, 20000) i;
CREATE UNIQUE INDEX customers_email_lower_uq ON "Shop"."Customers" (lower(email));
CREATE TABLE "Shop"."Orders" (id bigint PRIMARY KEY, at date NOT NULL);
INSERT INTO "Shop"."Orders" SELECT i, date '2025-01-01' + i % 300 FROM generate_series(1, 5000) i;
CREATE INDEX "Orders_At" ON "Shop"."Orders" (at);
CREATE SCHEMA shop;  -- what an unquoted Shop.Customers means
CREATE TABLE shop.customers (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO shop.customers SELECT i, 'u' || i || '@x.io' FROM generate_series(1, 20000) i;
CREATE SCHEMA sales;
CREATE TABLE sales.order_items (id bigint PRIMARY KEY, product_id int NOT NULL, qty int NOT NULL);
INSERT INTO sales.order_items SELECT i, i % 500, i % 7 FROM generate_series(1, 30000) i;
CREATE INDEX order_items_product ON sales.order_items (product_id);
CREATE SCHEMA "my schema";
CREATE TABLE "my schema"."Order Lines" (id int PRIMARY KEY, note text NOT NULL);
INSERT INTO "my schema"."Order Lines" SELECT i, 'n' || i FROM generate_series(1, 20000) i;
CREATE INDEX "OL note" ON "my schema"."Order Lines" (note);
"""

CATALOG = """
CREATE UNIQUE INDEX CONCURRENTLY customers_email_lower_uq ON "Shop"."Customers" (lower(email));
CREATE INDEX CONCURRENTLY "Orders_At" ON "Shop"."Orders" (at);
CREATE INDEX CONCURRENTLY order_items_product ON sales.order_items (product_id);
CREATE INDEX CONCURRENTLY "OL note" ON "my schema"."Order Lines" (note);
"""

CHECKS = {
    "a_customer_by_email": (
        '-- expect: index-on "Shop"."Customers"\n-- params: \'u5@x.io\'\n'
        'SELECT * FROM "Shop"."Customers" WHERE lower(email) = $1;\n'
    ),
    "b_customers_of_country": (
        "-- expect: index \"Shop\".customers_email_lower_uq\n-- params: 'c5'\n"
        'SELECT * FROM "Shop"."Customers" WHERE country = $1;\n'
    ),
    "c_order_line_by_note": (
        "-- expect: index \"OL note\"\n-- params: 'n5'\n"
        'SELECT * FROM "my schema"."Order Lines" WHERE note = $1;\n'
    ),
    "d_items_of_quantity": (
        "-- expect: no-seqscan sales.order_items\n-- params: 5\n"
        "SELECT * FROM sales.order_items WHERE qty = $1;\n"
    ),
}


@pytest.fixture(scope="module")
def shop_db(pg_server) -> Iterator[str]:
    with analyzed_database(pg_server, SCHEMA) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    return write_inputs(tmp_path_factory.mktemp("shop"), CHECKS, CATALOG)


def _cli(run_cli, dsn: str, inputs: tuple[Path, Path], *args: str):
    checks, indexes = inputs
    proc = run_cli("check", "--dsn", dsn, "--checks", str(checks), "--indexes", str(indexes), *args)
    assert proc.returncode == 1, proc.stderr  # b_ and d_ fail
    return proc


def test_reasons_plans_and_coverage_quote_and_qualify_names(shop_db, inputs):
    result = run(shop_db, inputs)
    got = by_name(result)
    assert got["a_customer_by_email"].reasons == ()
    assert got["a_customer_by_email"].scans == ('Index Scan on "Shop"."Customers"',)
    assert got["b_customers_of_country"].reasons == (
        'expected index "Shop".customers_email_lower_uq; plan uses no index',
    )
    assert got["b_customers_of_country"].plan_text.startswith('Seq Scan on "Shop"."Customers"')
    assert got["c_order_line_by_note"].shown_used == ('"my schema"."OL note"',)
    assert got["d_items_of_quantity"].reasons == (
        "sequential scan of sales.order_items: Seq Scan on sales.order_items",
    )
    coverage = {c.name: c for c in result.coverage}
    assert coverage["order_items_product"].shown_table == "sales.order_items"
    assert coverage["order_items_product"].reason == (
        "no query uses it: no check on sales.order_items (d_items_of_quantity) filters or sorts "
        "by product_id"
    )
    assert coverage["Orders_At"].reason == 'no query uses it: no check reads "Shop"."Orders"'


def test_text_output_shows_names_as_sql_writes_them(run_cli, shop_db, inputs):
    out = _cli(run_cli, shop_db, inputs).stdout
    assert 'expected index "Shop".customers_email_lower_uq; plan uses no index' in out
    assert 'Seq Scan on "Shop"."Customers"' in out
    assert 'Bitmap Heap Scan on "my schema"."Order Lines"' in out or (
        'Index Scan on "my schema"."Order Lines"' in out
    )
    assert 'index "OL note"' in out
    assert "unproven order_items_product (sales.order_items, " in out
    assert 'unproven "Orders_At" ("Shop"."Orders", ' in out
    for unquoted in ("Shop.Customers", "my schema.Order Lines", "index OL note", "(order_items,"):
        assert unquoted not in out, unquoted


def test_json_coverage_gives_the_schema_and_the_qualified_table(run_cli, shop_db, inputs):
    doc = json.loads(_cli(run_cli, shop_db, inputs, "--format", "json").stdout)
    coverage = {c["index"]: c for c in doc["coverage"]}
    assert {k: coverage["order_items_product"][k] for k in ("schema", "table", "table_name")} == {
        "schema": "sales",
        "table": "sales.order_items",
        "table_name": "order_items",
    }
    assert {k: coverage["OL note"][k] for k in ("schema", "table", "table_name")} == {
        "schema": "my schema",
        "table": '"my schema"."Order Lines"',
        "table_name": "Order Lines",
    }
    results = {r["check"]: r for r in doc["results"]}
    assert results["a_customer_by_email"]["scans"] == ['Index Scan on "Shop"."Customers"']
    assert results["a_customer_by_email"]["expected"][0]["targets"] == ["Shop.Customers"]


def test_markdown_and_junit_quote_and_qualify_names(run_cli, shop_db, inputs, tmp_path):
    markdown = _cli(run_cli, shop_db, inputs, "--format", "markdown").stdout
    assert '| c_order_line_by_note | index "OL note" | "my schema"."OL note" |' in markdown
    assert '- `"Orders_At"` ("Shop"."Orders"): no query uses it' in markdown
    junit = tmp_path / "check.xml"
    _cli(run_cli, shop_db, inputs, "--junit", str(junit))
    cases = {c.get("name"): c for c in ET.parse(junit).iter("testcase")}
    failure = cases["b_customers_of_country"].find("failure")
    assert failure is not None
    assert failure.get("message") == (
        'expected index "Shop".customers_email_lower_uq; plan uses no index'
    )
    assert 'Seq Scan on "Shop"."Customers"' in (failure.text or "")
    assert 'used: "my schema"."OL note"' in (cases["c_order_line_by_note"].findtext("system-out"))


def test_an_unquoted_name_means_the_lower_case_relation(shop_db, tmp_path):
    """`Shop.Customers` is shop.customers, as in SQL; `"Shop"."Customers"` is the other table."""
    checks = {
        "lower_twin": (
            "-- expect: index-on Shop.Customers\n-- params: 7\n"
            "SELECT * FROM shop.customers WHERE id = $1;\n"
        ),
        "mixed_case": (
            "-- expect: index-on Shop.Customers\n-- params: 7\n"
            'SELECT * FROM "Shop"."Customers" WHERE id = $1;\n'
        ),
    }
    got = by_name(run(shop_db, write_inputs(tmp_path, checks, CATALOG)))
    assert got["lower_twin"].verdict is Verdict.PASS, got["lower_twin"].message
    assert got["lower_twin"].reasons == ()
    assert got["mixed_case"].verdict is Verdict.FAIL
    assert got["mixed_case"].reasons == (
        "no index on shop.customers is used (shop.customers is not in the plan)",
    )


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        (
            "no-seqscan Shop.Orders",
            "unknown table 'shop.orders': not in the database (an unquoted name is folded to "
            'lower case: did you mean "Shop"."Orders"?)',
        ),
        (
            "index orders_at",
            "unknown index 'orders_at': neither in the catalog ({indexes}) nor in the database "
            '(did you mean "Orders_At"?)',
        ),
    ],
)
def test_a_name_that_exists_only_in_another_case_is_refused_with_its_spelling(
    run_cli, shop_db, tmp_path, expect, message
):
    checks, indexes = write_inputs(
        tmp_path, {"x": f'-- expect: {expect}\nSELECT 1 FROM "Shop"."Orders";\n'}, CATALOG
    )
    proc = run_cli("check", "--dsn", shop_db, "--checks", str(checks), "--indexes", str(indexes))
    assert proc.returncode == 2
    assert proc.stdout == ""
    expected = f"{checks / 'x.sql'}:1: " + message.format(indexes=indexes)
    assert proc.stderr.strip().splitlines()[-1] == f"plinto-db: error: {expected}"
    assert "Traceback" not in proc.stderr
