"""bench knows a table by what the server resolves its name to, as apply does (PG15, PG18): a
catalog writing `products` and `public.products`, a mixed-case `"Products"` that is another
table, and `"Customers"` found through the search_path as `"Shop"."Customers"` give one
entry per table, counted once, shown as apply and status show it."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from plinto_db.bench.model import FinalState, WriteTarget
from plinto_db.bench.output import write_outputs
from plinto_db.bench.run import BenchRequest, run_bench
from plinto_db.bench.timing import TimingOptions
from plinto_db.bench.writes import WriteOptions
from plinto_db.errors import UserError
from plinto_db.report.bench import summary_lines

SCHEMA = """
CREATE TABLE products (id int PRIMARY KEY, title text, price int);
INSERT INTO products SELECT g, 'title ' || g, g FROM generate_series(1, 3000) g;
CREATE TABLE "Products" (id int PRIMARY KEY, "Title" text);
INSERT INTO "Products" SELECT g, 'Title ' || g FROM generate_series(1, 500) g;
CREATE SCHEMA "Shop";
CREATE TABLE "Shop"."Customers" (id int PRIMARY KEY, email text, created_at timestamptz);
INSERT INTO "Shop"."Customers" SELECT g, 'c' || g || '@example.com', now() - g * interval '1h'
FROM generate_series(1, 800) g;
ANALYZE;
"""
CATALOG = """
CREATE INDEX products_title ON products (title);
CREATE INDEX products_price ON public.products (price);
CREATE INDEX "Products_Title" ON "Products" ("Title");
CREATE INDEX customers_email ON "Customers" (email);
CREATE INDEX customers_created ON "Shop"."Customers" (created_at);
"""
CHECKS = {
    "01_products_by_title.sql": """-- products by title
-- expect: index products_title
-- sample: SELECT title FROM products ORDER BY id LIMIT 1
SELECT * FROM products WHERE title = $1;
""",
    "02_customers_by_email.sql": """-- customers by email
-- expect: index customers_email
-- sample: SELECT email FROM "Shop"."Customers" ORDER BY id LIMIT 1
SELECT * FROM "Shop"."Customers" WHERE email = $1;
""",
}
TABLES = ["public.products", 'public."Products"', '"Shop"."Customers"']
CATALOG_INDEXES = [
    "products_title",
    "products_price",
    "Products_Title",
    "customers_email",
    "customers_created",
]


@pytest.fixture
def shop(new_db, tmp_path: Path) -> tuple[str, Path, Path]:
    """A database whose search_path finds "Shop", the catalog, and the checks."""
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        database = conn.info.dbname
        conn.execute(f'ALTER DATABASE "{database}" SET search_path = "$user", public, "Shop"')
    indexes, checks = tmp_path / "indexes", tmp_path / "checks"
    indexes.mkdir()
    checks.mkdir()
    (indexes / "shop.sql").write_text(CATALOG)
    for name, text in CHECKS.items():
        (checks / name).write_text(text)
    return dsn, checks, indexes


def request(shop, out: Path, *targets: str, named: bool = False) -> BenchRequest:
    dsn, checks, indexes = shop
    return BenchRequest(
        dsn=dsn,
        checks_dir=checks,
        indexes_dir=indexes,
        out_dir=out,
        timing=TimingOptions(iterations=5, warmup=1, max_seconds=0.3),
        writes=WriteOptions(tuple(WriteTarget(t) for t in targets), rows=50, rounds=1, named=named),
        pgbench_seconds=0,
        confirmed=True,
        final=FinalState.CATALOG,  # left built, so their size can be read after
    )


def index_bytes(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)",
            (CATALOG_INDEXES,),
        ).fetchall()
    return dict(rows)


def test_each_table_is_one_entry_shown_as_apply_shows_it_and_sized_once(shop, tmp_path):
    result = run_bench(
        request(shop, tmp_path / "out", "products", "public.products", '"Shop"."Customers"')
    )
    written = write_outputs(result)
    doc = json.loads(written.results.read_text())

    assert int(result.exit_code) == 0, doc["phases"]
    assert doc["rows"] == {"public.products": 3000, 'public."Products"': 500, TABLES[2]: 800}
    sizes = {s["table"]: s for s in doc["catalog_size"]}
    assert list(sizes) == TABLES
    assert [sizes[t]["indexes"] for t in TABLES] == [2, 1, 2]
    on_disk = index_bytes(shop[0])
    assert len(on_disk) == 5
    assert sum(s["bytes"] for s in doc["catalog_size"]) == sum(on_disk.values())
    assert sizes["public.products"]["bytes"] == (
        on_disk["products_title"] + on_disk["products_price"]
    )
    assert f"catalog on disk: {sum(on_disk.values()) / 2**20:,.1f} MB in 3 tables" in (
        summary_lines(doc)
    )
    report = (tmp_path / "out" / "report.md").read_text()
    assert '- **Rows**: public.products 3,000, public."Products" 500, "Shop"."Customers" 800' in (
        report
    )
    assert [line.split(" | ")[0] for line in report.splitlines() if " | 2 | " in line] == [
        "| public.products",
        '| "Shop"."Customers"',
    ]


def test_two_spellings_of_a_write_table_are_timed_once_on_the_columns_the_catalog_indexes(
    shop, tmp_path
):
    result = run_bench(
        request(shop, tmp_path / "out", "products", "public.products", '"Shop"."Customers"')
    )
    writes = [(w.table, w.operation) for w in result.writes]
    assert writes == [
        ("public.products", "insert"),
        ("public.products", "update"),
        ('"Shop"."Customers"', "insert"),
        ('"Shop"."Customers"', "update"),
    ]
    updates = {w.table: w.statement for w in result.writes if w.operation == "update"}
    assert 'SET "price" = "price" + 1' in updates["public.products"]
    assert '"created_at" = "created_at" + interval' in updates['"Shop"."Customers"']
    assert all(w.before and w.before.figure and w.after and w.after.figure for w in result.writes)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nosuch", "--write-tables nosuch: the database has no such table"),
        (
            "a.b.c.d",
            "--write-tables a.b.c.d: improper relation name (too many dotted names): a.b.c.d",
        ),
    ],
)
def test_a_named_write_table_that_is_not_there_is_refused_before_anything_changes(
    shop, tmp_path, target, message
):
    with pytest.raises(UserError) as refused:
        run_bench(request(shop, tmp_path / "out", "products", target, named=True))
    assert refused.value.message == message
    assert index_bytes(shop[0]) == {}  # nothing was built
