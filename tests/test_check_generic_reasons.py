"""Generic mode says truthfully why an index went unused: a partial index's predicate only when
the query compares the predicate's columns with a parameter, and a pattern that is a parameter
(`LIKE $1`) as its own reason. On the plans PostgreSQL 15 and 18 really produce."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from check_helpers import analyzed_database, by_name, run, write_inputs

from plinto_db.check.judge import Verdict

# 90% of the rows are active: reading the whole partial index is dearer than the table
SCHEMA = """
CREATE TABLE products (id int PRIMARY KEY, title text NOT NULL, code text NOT NULL,
  active bool NOT NULL);
INSERT INTO products SELECT i, 'Title ' || i, 'c' || i, i % 10 <> 0
FROM generate_series(1, 20000) i;
CREATE INDEX "Products_Title_Active" ON products (lower(title) text_pattern_ops) WHERE active;
"""

CATALOG = """
CREATE INDEX CONCURRENTLY "Products_Title_Active" ON products (lower(title) text_pattern_ops)
  WHERE active;
"""

CHECKS = {
    # the predicate is a literal in the query; the pattern is the parameter
    "pattern_is_a_parameter": (
        '-- expect: index "Products_Title_Active"\n'
        "-- params: 'title 5%'\n"
        "SELECT * FROM products WHERE lower(title) LIKE $1 AND active;\n"
    ),
    # the pattern is a literal; the predicate's column is compared with a parameter (and a
    # pattern on a column the index does not hold is no reason for it)
    "predicate_column_is_a_parameter": (
        '-- expect: index "Products_Title_Active"\n'
        "-- params: true, 'c1%'\n"
        "SELECT * FROM products\n"
        "WHERE lower(title) LIKE 'title 5%' AND active = $1 AND code LIKE $2;\n"
    ),
}

PARTIAL_NOTE = (
    '"Products_Title_Active" is partial (WHERE active) and the query compares active with a '
    "parameter: a generic plan cannot prove the predicate from $n parameters; only a literal in "
    "the query can"
)
PATTERN_NOTE = (
    '"Products_Title_Active": a generic plan cannot turn LIKE $1 into a btree index range; only '
    "a known pattern's fixed prefix gives one"
)


@pytest.fixture(scope="module")
def products_db(pg_server) -> Iterator[str]:
    with analyzed_database(pg_server, SCHEMA) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def generic(products_db, tmp_path_factory):
    inputs = write_inputs(tmp_path_factory.mktemp("generic"), CHECKS, CATALOG)
    return by_name(run(products_db, inputs, mode="generic"))


def test_with_values_the_partial_index_serves_both_queries(products_db, tmp_path):
    """What generic mode fails is the missing values, not the index."""
    natural = by_name(run(products_db, write_inputs(tmp_path, CHECKS, CATALOG)))
    assert {name: r.verdict for name, r in natural.items()} == dict.fromkeys(CHECKS, Verdict.PASS)


def test_a_parameter_pattern_is_the_reason_when_the_predicate_is_a_literal(generic):
    result = generic["pattern_is_a_parameter"]
    assert result.mode.value == "generic"
    assert result.verdict is Verdict.FAIL
    assert result.plan_text.startswith("Seq Scan on products"), result.plan_text
    assert "$1" in result.plan_text  # planned without the value
    assert result.notes == (PATTERN_NOTE,)


def test_the_predicate_is_the_reason_when_the_query_compares_its_column_with_a_parameter(
    generic,
):
    result = generic["predicate_column_is_a_parameter"]
    assert result.verdict is Verdict.FAIL
    assert result.plan_text.startswith("Seq Scan on products"), result.plan_text
    # `code LIKE $2` is on a column the index does not hold: not a reason for it
    assert result.notes == (PARTIAL_NOTE,)


def test_a_pattern_is_blamed_on_a_btree_index_only_even_when_the_catalog_does_not_list_it(
    products_db, tmp_path
):
    """The server's own access method decides for an index the catalog does not describe: a
    hash index never serves LIKE, with or without a value, so the pattern is no reason."""
    with psycopg.connect(products_db, autocommit=True) as conn:
        conn.execute("CREATE INDEX IF NOT EXISTS products_code_hash ON products USING hash (code)")
        conn.execute("CREATE INDEX IF NOT EXISTS products_code_btree ON products (code)")
    checks = {
        f"by_{kind}": (
            f"-- expect: index products_code_{kind}\n-- params: 'c1%'\n"
            "SELECT * FROM products WHERE code LIKE $1;\n"
        )
        for kind in ("hash", "btree")
    }
    results = by_name(run(products_db, write_inputs(tmp_path, checks, CATALOG), mode="generic"))
    assert not any("LIKE $1" in note for note in results["by_hash"].notes), results["by_hash"]
    assert any(
        "products_code_btree: a generic plan cannot turn LIKE $1 into a btree index range" in n
        for n in results["by_btree"].notes
    ), results["by_btree"].notes


ITEMS = """
CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, title text NOT NULL, code text NOT NULL);
INSERT INTO items SELECT i, 'Title ' || i, 'c1' FROM generate_series(1, 20000) i
ON CONFLICT DO NOTHING;
CREATE INDEX IF NOT EXISTS items_code ON items (code);
CREATE INDEX IF NOT EXISTS items_title ON items (title);
CREATE INDEX IF NOT EXISTS "Items_Lower_Title" ON items (lower(title)) INCLUDE (code);
ANALYZE items;
"""


def test_a_pattern_is_blamed_only_on_the_key_columns_the_server_says_the_index_has(
    products_db, tmp_path
):
    """Indexes only the database has (not in the catalog): their key columns and expressions
    come from the server. A pattern on another column (or an INCLUDE column) is no reason."""
    with psycopg.connect(products_db, autocommit=True) as conn:
        conn.execute(ITEMS)
    checks = {
        # one code: a generic plan expects `code = $2` to match every row, so it scans the table
        "pattern_beside_the_key": (
            "-- expect: index items_code\n-- params: 'Title 5%', 'c1'\n"
            "SELECT * FROM items WHERE code = $2 AND title LIKE $1;\n"
        ),
        "pattern_on_the_key": (
            "-- expect: index items_title\n-- params: 'Title 5%'\n"
            "SELECT * FROM items WHERE title LIKE $1;\n"
        ),
        "pattern_on_the_key_expression": (
            "-- expect: index \"Items_Lower_Title\"\n-- params: 'title 5%'\n"
            "SELECT * FROM items WHERE lower(title) LIKE $1;\n"
        ),
        "pattern_on_an_included_column": (
            "-- expect: index \"Items_Lower_Title\"\n-- params: 'c1%'\n"
            "SELECT * FROM items WHERE code LIKE $1;\n"
        ),
    }
    results = by_name(run(products_db, write_inputs(tmp_path, checks, CATALOG), mode="generic"))
    assert {name: r.verdict for name, r in results.items()} == dict.fromkeys(checks, Verdict.FAIL)
    assert results["pattern_beside_the_key"].notes == ()
    assert results["pattern_on_the_key"].notes == (
        "items_title: a generic plan cannot turn LIKE $1 into a btree index range; only a known "
        "pattern's fixed prefix gives one",
    )
    assert results["pattern_on_the_key_expression"].notes == (
        '"Items_Lower_Title": a generic plan cannot turn LIKE $1 into a btree index range; only '
        "a known pattern's fixed prefix gives one",
    )
    assert results["pattern_on_an_included_column"].notes == ()
