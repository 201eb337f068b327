"""Every CREATE INDEX fix doctor prints runs: executed statement by statement (autocommit) on
real PostgreSQL 15 and 18 it succeeds, the finding is gone afterwards, plinto-db lint accepts
it, the index names are the ones PostgreSQL itself would choose, and no two fixes of one
report pick the same name."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from doctor_support import doctor

from plinto_db.doctor.fixes import BLOCKING_OK, IndexShape, Names, build_index, index_columns
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
    body = "USING btree (created, lower((id)::text)) INCLUDE (customer_id) WHERE (id > 0);"
    # named after the key columns, the expression's function and the INCLUDE column, as
    # PostgreSQL names them; each attached to the index of its own parent table
    built = [
        (f"sales.{leaf}", f"{leaf}_created_lower_customer_id_idx", parent)
        for leaf, parent in (
            ("orders_2024", 'sales."Orders by day"'),
            ("orders_2025_h1", "sales.o25"),
            ("orders_2025_rest", "sales.o25"),
        )
    ]
    assert fixes[('sales.orders."Orders by day"',)] == [
        statement
        for table, name, parent in built
        for statement in (
            f"CREATE INDEX CONCURRENTLY {name} ON {table} {body}",
            f"ALTER INDEX {parent} ATTACH PARTITION sales.{name};",
        )
    ]
    statements = fixes[('sales.orders."Orders by day"',)]
    assert _lint_errors(tmp_path, statements) == []
    _execute(dsn, statements)
    assert doctor(dsn, "invalid-index").findings == ()


def test_fk_and_invalid_index_fixes_of_one_report_take_different_names_and_all_run(new_db):
    dsn = new_db("empty")
    _execute(
        dsn,
        [
            "CREATE TABLE customers (id int PRIMARY KEY)",
            "CREATE TABLE orders (id int, customer_id int REFERENCES customers, "
            "created date NOT NULL) PARTITION BY RANGE (created)",
            "CREATE TABLE orders_2024 PARTITION OF orders "
            "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
            "CREATE INDEX orders_customer_id_idx ON ONLY orders (customer_id)",
        ],
    )
    report = doctor(dsn, "invalid-index", "fk-without-index")
    assert {f.check for f in report.findings} == {"invalid-index", "fk-without-index"}
    statements = [s for finding in report.findings for s in finding.statements]
    created = [re.match(r"CREATE INDEX (?:CONCURRENTLY )?(\S+) ON", s) for s in statements]
    names = [m.group(1) for m in created if m]
    assert names == [
        "orders_2024_customer_id_idx",  # invalid-index: the partition orders_2024 lacks one
        "orders_customer_id_idx1",  # fk-without-index: its own ON ONLY index...
        "orders_2024_customer_id_idx1",  # ...and the partition's, not the name taken above
    ]
    _execute(dsn, statements)  # in report order, as a DBA would paste them: every one runs
    assert doctor(dsn, "invalid-index", "fk-without-index").findings == ()


def test_with_schema_a_partition_attached_in_another_schema_is_not_built_again(new_db):
    dsn = new_db("empty")
    _execute(
        dsn,
        [
            "CREATE SCHEMA sales",
            "CREATE SCHEMA archive",
            "CREATE TABLE sales.orders (id int, status text, created date NOT NULL) "
            "PARTITION BY RANGE (created)",
            "CREATE TABLE archive.orders_2022 PARTITION OF sales.orders "
            "FOR VALUES FROM ('2022-01-01') TO ('2023-01-01') PARTITION BY RANGE (created)",
            "CREATE TABLE archive.orders_2022_h1 PARTITION OF archive.orders_2022 "
            "FOR VALUES FROM ('2022-01-01') TO ('2022-07-01')",
            "CREATE TABLE archive.orders_2022_h2 PARTITION OF archive.orders_2022 "
            "FOR VALUES FROM ('2022-07-01') TO ('2023-01-01')",
            "CREATE TABLE archive.orders_2023 PARTITION OF sales.orders "
            "FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')",
            "CREATE TABLE sales.orders_2024 PARTITION OF sales.orders "
            "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
            "CREATE INDEX orders_status ON ONLY sales.orders (status)",
            # archive: one partition's index attached, one sub-partitioned with half of its own
            "CREATE INDEX o23 ON archive.orders_2023 (status)",
            "ALTER INDEX sales.orders_status ATTACH PARTITION archive.o23",
            "CREATE INDEX o22 ON ONLY archive.orders_2022 (status)",
            "CREATE INDEX o22_h1 ON archive.orders_2022_h1 (status)",
            "ALTER INDEX archive.o22 ATTACH PARTITION archive.o22_h1",
            "ALTER INDEX sales.orders_status ATTACH PARTITION archive.o22",
        ],
    )
    fixes = _fixes(doctor(dsn, "invalid-index", schemas=("sales",)), "invalid-index")
    assert fixes == {
        ("sales.orders.orders_status",): [
            "CREATE INDEX CONCURRENTLY orders_2022_h2_status_idx ON archive.orders_2022_h2 "
            "USING btree (status);",
            "ALTER INDEX archive.o22 ATTACH PARTITION archive.orders_2022_h2_status_idx;",
            "CREATE INDEX CONCURRENTLY orders_2024_status_idx ON sales.orders_2024 "
            "USING btree (status);",
            "ALTER INDEX sales.orders_status ATTACH PARTITION sales.orders_2024_status_idx;",
        ]
    }
    _execute(dsn, fixes[("sales.orders.orders_status",)])
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


@pytest.mark.parametrize(
    "keys",
    [
        "(lower(email))",
        "((a::text))",
        "((a + b), (b * 2))",  # expr, expr1
        "(coalesce(a, b), nullif(a, b), greatest(a, b), least(a, b))",
        "((CASE WHEN a > 0 THEN 'x y' END), (CASE WHEN a > 0 THEN 1 ELSE b END))",
        '((email COLLATE "C"), lower(email), lower(email))',  # email, lower, lower1
        '((ARRAY[a, b]), upper("Some Col"), ((1 + a)::text))',
        '(a, "Some Col") INCLUDE (b, email)',
    ],
)
@pytest.mark.parametrize("create", ["CREATE INDEX", "CREATE UNIQUE INDEX"])
def test_expression_and_unique_index_names_are_the_ones_postgresql_chooses(new_db, create, keys):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute('CREATE TABLE t (a int, b int, email text, "Some Col" text)')
        taken = set(conn.execute("SELECT 'public', relname::text FROM pg_class").fetchall())
        for _ in range(2):  # the second one clashes with the first: idx1
            conn.execute(f"{create} ON t {keys}")
        chosen = conn.execute(
            "SELECT relname::text, pg_get_indexdef(oid) FROM pg_class "
            "WHERE relkind = 'i' AND relname <> ALL(%s) ORDER BY oid",
            ([name for _, name in taken],),
        ).fetchall()
    # doctor's fixes reuse pg_get_indexdef's text: the name comes from that
    columns = index_columns(chosen[0][1])
    names = Names(taken)
    assert [name for name, _ in chosen] == [names.choose("public", "t", columns) for _ in range(2)]


def test_a_foreign_table_partition_gets_the_blocking_build_and_says_why():
    facts = Facts(version=180000, partitions=(PartitionFact(2, 1, "public", "p_remote", "f"),))
    table = TableFact(oid=1, schema="public", name="p", relkind="p", partition=False,
                      has_primary_key=False, size=0)  # fmt: skip
    build = build_index(facts, Names(()), table, IndexShape("(c)", ("c",)))
    assert build.statements == ("CREATE INDEX p_c_idx ON public.p (c);" + BLOCKING_OK,)
    assert build.blocking == "partition public.p_remote is a foreign table, which takes no index"
