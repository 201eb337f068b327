"""apply builds exactly the index its catalog statement describes.

Expressions and predicates are kept as written: a rendering that changes a function
(date_part -> EXTRACT, strpos -> POSITION) or a literal ('day' -> 'DAY') builds an index
the queries written like the catalog cannot use. NULLS NOT DISTINCT and the catalog's
TABLESPACE are built (and NULLS NOT DISTINCT compared) too; several statements may share a
line.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from plinto_db.catalog.parse import load_catalog


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


def test_the_catalog_tablespace_is_used_for_the_build(new_db, run_cli, tmp_path):
    import os
    import uuid

    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        data_dir = conn.execute("SELECT current_setting('data_directory')").fetchone()[0]
    owner = os.stat(data_dir)
    location = Path(tempfile.mkdtemp(prefix="plinto-review-ts-"))  # traversable by the server
    try:
        os.chown(location, owner.st_uid, owner.st_gid)
    except PermissionError:
        shutil.rmtree(location, ignore_errors=True)
        pytest.skip("cannot give the server's OS user a tablespace directory")
    name = f"rev_ts_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLESPACE {name} LOCATION '{location}'")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE items (id int)")
        catalog = tmp_path / "c.sql"
        catalog.write_text(f"CREATE INDEX items_id ON items (id) TABLESPACE {name};\n")
        proc = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog))
        assert proc.returncode == 0, proc.stderr
        with psycopg.connect(dsn, autocommit=True) as conn:
            used = conn.execute(
                "SELECT t.spcname FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace "
                "WHERE c.oid = 'items_id'::regclass"
            ).fetchone()
            assert used == (name,)
            conn.execute("DROP TABLE items")
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP TABLESPACE IF EXISTS {name}")
        shutil.rmtree(location, ignore_errors=True)
