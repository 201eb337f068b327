"""bench's write tables on a database with its own schema (PG15, PG18): the default
--write-tables (sessions, activity_logs) never stops a run, they are left out with a note and
the report says so; a table the user names must be an ordinary or partitioned table, else a
one-line refusal (exit 2) before anything is built; a quoted name keeps its `,` and `:`."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from test_bench_support import SMALL, run

from plinto_db.bench.facts import write_tables
from plinto_db.errors import UserError

SCHEMA = """
CREATE TABLE products (id int PRIMARY KEY, title text, price int);
INSERT INTO products SELECT g, 'title ' || g, g FROM generate_series(1, 2000) g;
CREATE VIEW cheap_products AS SELECT * FROM products WHERE price < 10;
CREATE SEQUENCE product_numbers;
CREATE TABLE events (id int, at timestamptz) PARTITION BY RANGE (id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (1000);
CREATE SCHEMA "a,b";
CREATE TABLE "a,b"."c:d" (id int PRIMARY KEY, "Moved At" timestamptz, note text);
INSERT INTO "a,b"."c:d" SELECT g, now(), 'n' FROM generate_series(1, 300) g;
ANALYZE;
"""
CATALOG = "CREATE INDEX products_title ON products (title);\n"
CHECK = """-- products by title
-- expect: index products_title
-- sample: SELECT title FROM products ORDER BY id LIMIT 1
SELECT * FROM products WHERE title = $1;
"""
QUICK = ("--yes", "--pgbench-seconds", "0", "--write-rows", "20", "--write-rounds", "1")


@pytest.fixture
def shop(new_db, tmp_path: Path) -> tuple[str, Path, Path]:
    """A database without sessions or activity_logs, its catalog and its one check."""
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    indexes, checks = tmp_path / "indexes", tmp_path / "checks"
    indexes.mkdir()
    checks.mkdir()
    (indexes / "shop.sql").write_text(CATALOG)
    (checks / "01_products_by_title.sql").write_text(CHECK)
    return dsn, checks, indexes


def bench(shop, tmp_path: Path, *args: str):
    dsn, checks, indexes = shop
    where = ("--dsn", dsn, "--checks", str(checks), "--indexes", str(indexes))
    out = ("--out", str(tmp_path / "out"))
    return run(tmp_path, "bench", *where, *out, *QUICK, *SMALL, *args)


def catalog_built(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT to_regclass('products_title') IS NOT NULL").fetchone()[0]


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("plinto-db: error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0].removeprefix("plinto-db: error: ")


def test_the_default_write_tables_missing_from_the_database_are_left_out_with_a_note(
    shop, tmp_path
):
    done = bench(shop, tmp_path)

    assert done.returncode == 0, done.stderr
    note = (
        "write cost not measured on the default --write-tables (sessions: the database "
        "has no such table; activity_logs: the database has no such table)"
    )
    assert " ".join(done.stderr.split()).count(note) == 1, done.stderr
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["writes"] == []
    assert doc["writes_not_measured"] == [
        {"table": "sessions", "reason": "the database has no such table"},
        {"table": "activity_logs", "reason": "the database has no such table"},
    ]
    assert note in doc["notes"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert (
        "## Write cost\n\nNot measured (a default `--write-tables` table): `sessions` (the "
        "database has no such table); `activity_logs` (the database has no such table).\n"
    ) in report
    assert doc["queries"][0]["after"]["indexes"] == ["products_title"]
    summary = " ".join(done.stdout.split())
    assert "write sessions: not measured (the database has no such table)" in summary, summary


def test_a_named_write_table_missing_from_the_database_is_refused_before_anything_is_built(
    shop, tmp_path
):
    done = bench(shop, tmp_path, "--write-tables", "products,sessions")

    assert done.returncode == 2
    assert one_error_line(done.stderr) == (
        "--write-tables sessions: the database has no such table"
    )
    assert not catalog_built(shop[0])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("cheap_products", "public.cheap_products is a view"),
        ("products_pkey", "public.products_pkey is an index"),
        ("product_numbers", "public.product_numbers is a sequence"),
    ],
)
def test_a_named_write_table_that_is_not_a_table_is_refused_saying_what_it_is(
    shop, tmp_path, name, message
):
    done = bench(shop, tmp_path, "--write-tables", name)

    assert done.returncode == 2
    assert one_error_line(done.stderr) == (
        f"--write-tables {name}: {message}, not an ordinary or partitioned table"
    )
    assert not catalog_built(shop[0])


def test_ordinary_and_partitioned_tables_are_write_tables_and_a_default_view_is_left_out(shop):
    with psycopg.connect(shop[0], autocommit=True) as conn:
        tables, left_out = write_tables(conn, ["products", "events", "cheap_products"], named=False)
        assert {name: table.qualified for name, table in tables.items()} == {
            "products": "public.products",
            "events": "public.events",
        }
        assert left_out == {
            "cheap_products": "public.cheap_products is a view, not an ordinary or "
            "partitioned table"
        }
        with pytest.raises(UserError) as refused:
            write_tables(conn, ["products", "cheap_products"], named=True)
    assert refused.value.message == (
        "--write-tables cheap_products: public.cheap_products is a view, not an ordinary or "
        "partitioned table"
    )


def test_a_quoted_write_table_keeps_its_comma_and_colon_and_its_quoted_column(shop, tmp_path):
    done = bench(shop, tmp_path, "--write-tables", '"a,b"."c:d":"Moved At"', "--format", "json")

    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["writes_not_measured"] == []
    assert [(w["table"], w["operation"]) for w in doc["writes"]] == [
        ('"a,b"."c:d"', "insert"),
        ('"a,b"."c:d"', "update"),
    ]
    update = doc["writes"][1]
    assert 'SET "Moved At" = "Moved At" + interval' in update["statement"]
    assert update["before"]["rows"] == 20 and update["after"]["rows"] == 20


FAILING = """
CREATE TABLE audit (id int PRIMARY KEY, at timestamptz);
INSERT INTO audit SELECT g, now() FROM generate_series(1, 100) g;
CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION 'audit is append-never'; END $$;
CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION refuse();
"""
FAILING_CHECKS = {
    "02_divides_by_zero.sql": """-- a query the server refuses
-- expect: index products_title
-- params: 'title 1'
SELECT 1 / (price - price) FROM products WHERE title = $1;
""",
    "03_bad_params.sql": """-- parameters the server cannot compute
-- expect: index products_title
-- params: 1 / 0
SELECT * FROM products WHERE price = $1;
""",
}


def test_what_the_server_refuses_is_a_failed_row_with_its_message_not_a_crash(shop, tmp_path):
    dsn, checks, _ = shop
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(FAILING)
    for name, text in FAILING_CHECKS.items():
        (checks / name).write_text(text)

    done = bench(shop, tmp_path, "--write-tables", "audit", "--format", "json")

    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    for write in doc["writes"]:
        for phase in ("before", "after"):
            assert write[phase] == {"error": "audit is append-never"}, write
    queries = {q["check"]: q for q in doc["queries"]}
    assert queries["02_divides_by_zero"]["verdict"] == "failed"
    assert "division by zero" in queries["02_divides_by_zero"]["before"]["error"]
    assert queries["03_bad_params"]["before"]["error"] == "line 3 failed: division by zero"
