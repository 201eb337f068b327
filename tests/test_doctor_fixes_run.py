"""Every CREATE INDEX fix doctor prints runs: executed statement by statement (autocommit) on
real PostgreSQL 15 and 18 it succeeds, the finding is gone afterwards, plinto-db lint accepts
it, and the index names are the ones PostgreSQL itself would choose."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from doctor_support import doctor

from plinto_db.doctor.fixes import BLOCKING_OK, IndexShape, Names, build_index
from plinto_db.doctor.model import Facts, PartitionFact, TableFact
from plinto_db.lint.run import LintRequest, lint

SCHEMA = """
CREATE SCHEMA sales;
CREATE TABLE customers (id int PRIMARY KEY);
CREATE TABLE sales.orders (
  id int, customer_id int REFERENCES customers, created date NOT NULL
) PARTITION BY RANGE (created);
CREATE TABLE sales.orders_2024 PARTITION OF sales.orders
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE sales.orders_2025 PARTITION OF sales.orders
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY RANGE (created);
CREATE TABLE sales.orders_2025_h1 PARTITION OF sales.orders_2025
  FOR VALUES FROM ('2025-01-01') TO ('2025-07-01');
CREATE TABLE sales.orders_2025_rest PARTITION OF sales.orders_2025 DEFAULT;
CREATE TABLE public."Order Lines" (id int PRIMARY KEY, "Customer Id" int REFERENCES customers);
-- the name PostgreSQL would pick first is taken: the fix must take the next one
CREATE TABLE sales.orders_customer_id_idx (x int);
INSERT INTO customers VALUES (1);
INSERT INTO sales.orders VALUES (1, 1, '2024-05-01'), (2, 1, '2025-03-01'), (3, 1, '2025-09-01');
"""


def _execute(dsn: str, statements: list[str]) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _lint_errors(tmp_path: Path, statements: list[str]) -> list[str]:
    path = tmp_path / "fix.sql"
    path.write_text("\n".join(statements) + "\n")
    outcome = lint(LintRequest(paths=(path,)))
    return [f"{f.rule}: {f.message}" for f in outcome.findings if f.path.endswith("fix.sql")]


def _fixes(report, check: str) -> dict[tuple[str, ...], list[str]]:
    return {f.objects: list(f.statements) for f in report.findings if f.check == check}


def test_fk_fixes_run_on_a_plain_and_a_partitioned_table_and_clear_the_findings(new_db, tmp_path):
    dsn = new_db("empty")
    _execute(dsn, [SCHEMA])
    fixes = _fixes(doctor(dsn, "fk-without-index"), "fk-without-index")
    assert fixes[('public."Order Lines"."Order Lines_Customer Id_fkey"',)] == [
        'CREATE INDEX CONCURRENTLY "Order Lines_Customer Id_idx" '
        'ON public."Order Lines" ("Customer Id");'
    ]
    parted = fixes[("sales.orders.orders_customer_id_fkey",)]
    assert parted[0] == "CREATE INDEX orders_customer_id_idx1 ON ONLY sales.orders (customer_id);"
    assert not any("CONCURRENTLY" in s for s in parted if "ON ONLY" in s)
    leaves = ("orders_2024", "orders_2025_h1", "orders_2025_rest")
    for leaf in leaves:  # every leaf, the sub-partitioned one's too, built without blocking
        assert (
            f"CREATE INDEX CONCURRENTLY {leaf}_customer_id_idx ON sales.{leaf} (customer_id);"
            in parted
        )
    assert parted[-1] == (
        "ALTER INDEX sales.orders_customer_id_idx1 "
        "ATTACH PARTITION sales.orders_2025_customer_id_idx;"
    )
    every = [s for statements in fixes.values() for s in statements]
    assert _lint_errors(tmp_path, every) == []
    _execute(dsn, every)  # each one, autocommit, as a DBA would paste them
    assert _fixes(doctor(dsn, "fk-without-index", "invalid-index"), "fk-without-index") == {}
    with psycopg.connect(dsn) as conn:
        valid = conn.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = "
            "'sales.orders_customer_id_idx1'::regclass"
        ).fetchone()
    assert valid == (True,)


def test_an_invalid_partitioned_index_fix_attaches_what_is_missing_and_runs(new_db, tmp_path):
    dsn = new_db("empty")
    _execute(
        dsn,
        [
            SCHEMA,
            'CREATE INDEX "Orders by day" ON ONLY sales.orders (created, lower(id::text)) '
            "INCLUDE (customer_id) WHERE id > 0",
            "CREATE INDEX o25 ON ONLY sales.orders_2025 (created, lower(id::text)) "
            "INCLUDE (customer_id) WHERE id > 0",
            'ALTER INDEX sales."Orders by day" ATTACH PARTITION sales.o25',
        ],
    )
    fixes = _fixes(doctor(dsn, "invalid-index"), "invalid-index")
    # the attached, INVALID o25 is completed by its parent's fix, not reported twice
    assert list(fixes) == [('sales.orders."Orders by day"',)]
    statements = fixes[('sales.orders."Orders by day"',)]
    assert len(statements) == 6 and not any("ON ONLY" in s for s in statements)
    assert _lint_errors(tmp_path, statements) == []
    _execute(dsn, statements)
    assert doctor(dsn, "invalid-index").findings == ()


def test_partitioned_drop_fixes_run_without_concurrently(new_db):
    dsn = new_db("empty")
    _execute(
        dsn,
        [
            "CREATE TABLE p (a int, b int) PARTITION BY RANGE (a)",
            "CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM (0) TO (10)",
            "CREATE INDEX p_a_b ON p (a, b)",
            "CREATE INDEX p_a ON p (a)",
        ],
    )
    (finding,) = doctor(dsn, "redundant-index").findings
    statement = finding.message.rsplit("Fix: ", 1)[1]
    assert statement == "DROP INDEX public.p_a;"
    _execute(dsn, [statement])


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("a_table_name_long_enough_to_be_cut_when_the_columns_are_added_xx", ("customer_id",)),
        ("ünïcödé_tablé_ñame_with_many_twó_byte_characters_in_it", ("çolumn_öne", "b")),
        ("t", ("a", "a")),
        ("Mixed Case", ("Some Column",)),
    ],
)
def test_index_names_are_the_ones_postgresql_chooses(new_db, table, columns):
    dsn = new_db("empty")
    definitions = ", ".join(f'"{c}" int' for c in dict.fromkeys(columns))
    keys = ", ".join(f'"{c}"' for c in columns)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{table}" ({definitions})')
        taken = set(conn.execute("SELECT 'public', relname::text FROM pg_class").fetchall())
        for _ in range(2):  # the second one clashes with the first: idx1
            conn.execute(f'CREATE INDEX ON "{table}" ({keys})')
        chosen = [
            name
            for (name,) in conn.execute(
                "SELECT relname::text FROM pg_class WHERE relkind = 'i' AND relname <> ALL(%s) "
                "ORDER BY oid",
                ([name for _, name in taken],),
            )
        ]
    names = Names(taken)
    assert chosen == [names.choose("public", table, columns) for _ in range(2)]


def test_a_foreign_table_partition_gets_the_blocking_build_and_says_why():
    facts = Facts(version=180000, partitions=(PartitionFact(2, 1, "public", "p_remote", "f"),))
    table = TableFact(oid=1, schema="public", name="p", relkind="p", partition=False,
                      has_primary_key=False, size=0)  # fmt: skip
    build = build_index(facts, Names(()), table, IndexShape("(c)", ("c",)))
    assert build.statements == ("CREATE INDEX p_c_idx ON public.p (c);" + BLOCKING_OK,)
    assert build.blocking == "partition public.p_remote is a foreign table, which takes no index"
