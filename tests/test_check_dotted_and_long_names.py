"""A name in `-- expect:` is a (schema, name) pair from the header to the plan: a quoted part may
hold a dot (`"my.schema"."idx.v2"`), and each part is cut to 63 bytes as PostgreSQL cuts an
identifier (never inside a UTF-8 character). On real PostgreSQL 15 and 18."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from check_helpers import analyzed_database, by_name, run, write_inputs

from plinto_db.check.judge import Verdict
from plinto_db.check.workload import parse_expectation
from plinto_db.errors import UserError

LONG = "orders_by_customer_and_creation_time_for_the_monthly_report_index"  # 65 bytes
ACCENTED = "é" * 40  # 80 bytes: PostgreSQL keeps 31 characters (62 bytes), not half of one

SCHEMA = f"""
CREATE SCHEMA "my.schema";
CREATE TABLE "my.schema".t (id int PRIMARY KEY, v int NOT NULL, w int NOT NULL, x int NOT NULL);
INSERT INTO "my.schema".t SELECT i, i % 5000, i % 4000, i % 3000 FROM generate_series(1, 20000) i;
CREATE INDEX "idx.v2" ON "my.schema".t (v);
CREATE INDEX {LONG}_with_more ON "my.schema".t (w);
CREATE INDEX "{ACCENTED}" ON "my.schema".t (x);
CREATE SCHEMA my;
CREATE TABLE my."schema.t" (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO my."schema.t" SELECT i, i % 5000 FROM generate_series(1, 20000) i;
"""

CATALOG = 'CREATE INDEX CONCURRENTLY schema_t_v ON my."schema.t" (v);\n'  # not built


def check(expect: str, where: str) -> str:
    return f'-- expect: {expect}\n-- params: 7\nSELECT * FROM "my.schema".t WHERE {where} = $1;\n'


CHECKS = {
    "dotted_index": check('index "idx.v2"', "v"),
    "dotted_schema_and_index": check('index "my.schema"."idx.v2"', "v"),
    "dotted_schema_table": check('index-on "my.schema".t', "v"),
    "dotted_schema_no_seqscan": check('no-seqscan "my.schema".t', "v"),
    "long_unquoted_name": check(f"index {LONG.upper()}_WITH_MORE", "w"),
    "long_quoted_multibyte_name": check(f'index "{ACCENTED}"', "x"),
}


@pytest.fixture(scope="module")
def dotted_db(pg_server) -> Iterator[str]:
    with analyzed_database(pg_server, SCHEMA) as dsn:
        yield dsn


def test_postgresql_cut_the_long_names_the_checks_use(dotted_db):
    """The premise: the server holds the indexes under their 63-byte names."""
    with psycopg.connect(dotted_db) as conn:
        names = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes").fetchall()}
    assert (LONG + "_with_more")[:63] in names
    assert "é" * 31 in names


def test_names_with_dots_and_long_names_match_the_indexes_postgresql_has(dotted_db, tmp_path):
    results = by_name(run(dotted_db, write_inputs(tmp_path, CHECKS, CATALOG)))
    failed = {name: r.reasons for name, r in results.items() if r.verdict is not Verdict.PASS}
    assert failed == {}
    assert results["dotted_index"].used == ("idx.v2",)
    assert results["long_unquoted_name"].used == ((LONG + "_with_more")[:63],)
    assert results["long_quoted_multibyte_name"].used == ("é" * 31,)


def test_a_dotted_table_name_is_not_another_schema_s_table(dotted_db, tmp_path):
    """`my."schema.t"` and `"my.schema".t` are two tables: each expectation names its own."""
    query = '-- params: 7\nSELECT * FROM my."schema.t" WHERE v = $1;\n'
    checks = {
        "its_own_table": '-- expect: seqscan my."schema.t"\n' + query,
        "the_other_table": '-- expect: seqscan "my.schema".t\n' + query,
    }
    results = by_name(run(dotted_db, write_inputs(tmp_path, checks, CATALOG)))
    assert results["its_own_table"].verdict is Verdict.PASS, results["its_own_table"].reasons
    assert results["the_other_table"].reasons == (
        'documented a sequential scan of "my.schema".t, but the plan changed ("my.schema".t '
        "is not in the plan): update the check",
    )


def test_an_unknown_dotted_name_is_refused_naming_it_whole(dotted_db, tmp_path):
    checks = {"missing": check('index "idx.v3"', "v")}
    with pytest.raises(UserError) as info:
        run(dotted_db, write_inputs(tmp_path, checks, CATALOG))
    assert info.value.message.startswith(
        f"{tmp_path / 'checks' / 'missing.sql'}:1: unknown index 'idx.v3': "
    ), info.value.message


def expect(text: str):
    return parse_expectation(text, Path("checks/x.sql"), 3)


@pytest.mark.parametrize(
    ("written", "pair"),
    [
        ('"my.schema".t', ("my.schema", "t")),
        ('"my"."schema.t"', ("my", "schema.t")),
        ('my."schema.t"', ("my", "schema.t")),
        ('"idx.v2"', (None, "idx.v2")),
        ("A" * 70, (None, "a" * 63)),
        (f'"{ACCENTED}"', (None, "é" * 31)),
        (f'"{"S" * 64}"."{"T" * 64}"', ("S" * 63, "T" * 63)),
    ],
)
def test_each_part_is_kept_apart_and_cut_to_63_bytes(written, pair):
    expectation = expect(f"index-on {written}")
    assert expectation.names == (pair,)
    assert expectation.written == (written,)


def test_json_gives_each_expected_name_as_a_schema_and_name_pair(dotted_db, run_cli, tmp_path):
    import json

    checks_dir, indexes_dir = write_inputs(
        tmp_path, {"dotted_schema_and_index": CHECKS["dotted_schema_and_index"]}, CATALOG
    )
    done = run_cli(
        "check", "--dsn", dotted_db, "--checks", str(checks_dir), "--indexes", str(indexes_dir),
        "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (expected,) = json.loads(done.stdout)["results"][0]["expected"]
    assert expected["names"] == [["my.schema", "idx.v2"]]
    assert expected["targets"] == ["my.schema.idx.v2"]  # the ambiguous text the pairs resolve
