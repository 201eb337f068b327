"""Review of issue 3 (apply): the catalog builds exactly the index its statement describes.

Expressions and predicates are kept as written: a rendering that changes a function
(date_part -> EXTRACT, strpos -> POSITION) or a literal ('day' -> 'DAY') builds an index
the queries written like the catalog cannot use.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from plinto_db.catalog.parse import load_catalog
from plinto_db.errors import UserError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_expressions_and_predicate_are_built_as_written(tmp_path):
    (spec,) = load_catalog(
        write(
            tmp_path,
            "a.sql",
            "CREATE INDEX i ON t (date_part('year', created), (strpos(x, 'a')) text_ops DESC,\n"
            "  lower(d), x) WHERE date_trunc('day', ts) = ts AND created::date > '2020-01-01';",
        )
    )
    assert spec.create_sql() == (
        "CREATE INDEX CONCURRENTLY i ON t USING btree ((date_part('year', created)), "
        "(strpos(x, 'a')) text_ops DESC, (lower(d)), x) "
        "WHERE date_trunc('day', ts) = ts AND created::date > '2020-01-01'"
    )
    assert [k.is_expression for k in spec.keys] == [True, True, True, False]
    assert spec.where == "date_trunc('day', ts) = ts AND created::date > '2020-01-01'"


def test_nested_parentheses_and_qualified_functions(tmp_path):
    (spec,) = load_catalog(
        write(
            tmp_path,
            "a.sql",
            'create index b on t using btree (s.f(x, (y)) collate "C" nulls first, '
            "((a + 1))) where (a > 1);",
        )
    )
    assert spec.keys[0].expression == "s.f(x, (y))"
    assert spec.keys[0].collation == '"C"' and spec.keys[0].nulls_first is True
    assert spec.keys[1].expression == "(a + 1)"
    assert spec.where == "(a > 1)"


SETUP = (
    "CREATE SCHEMA app",
    "CREATE TABLE app.items (id int, created date, ts timestamp, x text)",
    "INSERT INTO app.items SELECT g, DATE '2020-01-01' + g, TIMESTAMP '2020-01-01' + g * "
    "INTERVAL '1 hour', 'x' || g FROM generate_series(1, 2000) g",
)
CATALOG = (
    "CREATE INDEX items_year ON app.items (date_part('year', created));\n"
    "CREATE INDEX items_pos ON app.items (strpos(x, '1'));\n"
    "CREATE INDEX items_day ON app.items (date_trunc('day', ts));\n"
)


def test_the_built_index_is_the_one_psql_builds_and_queries_use_it(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in SETUP:
            conn.execute(statement)
    catalog = write(tmp_path, "c.sql", CATALOG)
    proc = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(dsn, autocommit=True) as conn:
        built = dict(
            conn.execute(
                "SELECT relname, pg_get_indexdef(oid) FROM pg_class "
                "WHERE relname IN ('items_year', 'items_pos', 'items_day')"
            ).fetchall()
        )
        # what psql builds from the same statements, on a copy of the table
        conn.execute("CREATE TABLE app.copy (LIKE app.items)")
        for statement in CATALOG.replace("app.items", "app.copy").split(";")[:-1]:
            conn.execute(statement.replace("CREATE INDEX items_", "CREATE INDEX copy_"))
        by_psql = dict(
            conn.execute(
                "SELECT relname, pg_get_indexdef(oid) FROM pg_class "
                "WHERE relname IN ('copy_year', 'copy_pos', 'copy_day')"
            ).fetchall()
        )
        for name in ("year", "pos", "day"):
            assert built[f"items_{name}"].replace("items", "copy") == by_psql[f"copy_{name}"]
        conn.execute("ANALYZE app.items")
        conn.execute("SET enable_seqscan = off")
        plan = conn.execute(
            "EXPLAIN (FORMAT JSON) SELECT * FROM app.items WHERE date_part('year', created) = 2021"
        ).fetchone()[0]
        assert "items_year" in json.dumps(plan)
    # and an index a DBA built by hand from the same text is the same index, not drift
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP INDEX app.items_day")
        conn.execute("CREATE INDEX items_day ON app.items (date_trunc('day', ts))")
    proc = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {a["name"]: a["action"] for a in doc["actions"]}["items_day"] == "skip"


def test_non_utf8_file_names_its_line(tmp_path):
    path = tmp_path / "latin1.sql"
    path.write_bytes(b"CREATE INDEX a ON t (x);\n-- caf\xe9\nCREATE INDEX b ON t (y);\n")
    with pytest.raises(UserError) as info:
        load_catalog(path)
    assert str(info.value).startswith(f"{path}:2: not UTF-8 (byte 0xe9 at column 7)")


def test_two_statements_on_one_line_and_comment_only_files(tmp_path):
    write(tmp_path, "a.sql", "CREATE INDEX a ON t (x); CREATE INDEX b ON t (y);\n")
    write(tmp_path, "b.sql", "-- nothing yet\n/* still nothing */\n")
    specs = load_catalog(tmp_path)
    assert [(s.name, s.line) for s in specs] == [("a", 1), ("b", 1)]


def test_unique_nulls_not_distinct_is_read(tmp_path):
    (spec,) = load_catalog(
        write(
            tmp_path,
            "a.sql",
            "CREATE UNIQUE INDEX u ON t (x) INCLUDE (y) NULLS NOT DISTINCT WHERE x > 1;",
        )
    )
    assert spec.nulls_not_distinct and spec.where == "x > 1"
    assert spec.create_sql() == (
        "CREATE UNIQUE INDEX CONCURRENTLY u ON t USING btree (x) INCLUDE (y) "
        "NULLS NOT DISTINCT WHERE x > 1"
    )


def test_unique_nulls_not_distinct_is_built_and_compared(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE accounts (id int, email text)")
    catalog = write(
        tmp_path,
        "c.sql",
        "CREATE UNIQUE INDEX accounts_email ON accounts (email) NULLS NOT DISTINCT;",
    )
    proc = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog))
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(dsn, autocommit=True) as conn:
        definition = conn.execute("SELECT pg_get_indexdef('accounts_email'::regclass)").fetchone()[
            0
        ]
    assert definition.endswith("NULLS NOT DISTINCT")
    plain = write(tmp_path, "p.sql", "CREATE UNIQUE INDEX accounts_email ON accounts (email);")
    proc = run_cli("apply", "--dsn", dsn, "--indexes", str(plain), "--format", "json")
    assert proc.returncode == 3, proc.stderr
    assert "NULLS NOT DISTINCT differs" in json.loads(proc.stdout)["actions"][0]["detail"]


def test_index_name_longer_than_postgres_keeps_is_refused(tmp_path):
    long = "items_" + "x" * 60
    path = write(tmp_path, "a.sql", f"CREATE INDEX ok ON t (x);\nCREATE INDEX {long} ON t (y);\n")
    with pytest.raises(UserError) as info:
        load_catalog(path)
    message = str(info.value)
    assert message.startswith(f"{path}:2: index name '{long}' is 66 bytes"), message
    assert f"it would create '{long[:63]}'" in message
    (spec,) = load_catalog(write(tmp_path, "b.sql", f"CREATE INDEX {long[:63]} ON t (y);"))
    assert spec.name == long[:63]


def test_one_name_in_two_schemas_is_refused(tmp_path):
    path = write(
        tmp_path, "a.sql", "CREATE INDEX idx_x ON sa.t (x);\nCREATE INDEX idx_x ON sb.t (x);\n"
    )
    with pytest.raises(UserError, match=r"a\.sql:2: index 'idx_x' is defined twice"):
        load_catalog(path)
