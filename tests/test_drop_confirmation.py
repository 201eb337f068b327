"""drop asks on stderr only: stdout is exactly the report (the JSON document, or the text
lines), whatever the answer (real processes, a real server)."""

from __future__ import annotations

import json

import psycopg
import pytest


@pytest.fixture
def one_index(new_db, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE products (id int, title text)")
        conn.execute("CREATE INDEX products_title ON products (title)")
    catalog = tmp_path / "c.sql"
    catalog.write_text("CREATE INDEX products_title ON products (title);\n")
    return dsn, catalog


def still_there(one_index) -> bool:
    dsn, _ = one_index
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT to_regclass('products_title')").fetchone()[0] is not None


def drop(run_cli, one_index, answer, *args):
    dsn, catalog = one_index
    return run_cli("drop", "--dsn", dsn, "--indexes", str(catalog), *args, input=answer)


def test_no_leaves_stdout_empty_and_asks_on_stderr(run_cli, one_index):
    proc = drop(run_cli, one_index, "n\n", "--format", "json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Drop them? [y/N]: " in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        "plinto-db: error: not confirmed: nothing was dropped"
    )
    assert still_there(one_index)


def test_end_of_input_drops_nothing_and_leaves_stdout_empty(run_cli, one_index):
    proc = drop(run_cli, one_index, "")
    assert proc.returncode == 2 and proc.stdout == ""
    assert still_there(one_index)


def test_yes_prints_exactly_the_json_document(run_cli, one_index):
    proc = drop(run_cli, one_index, "y\n", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("{")
    doc = json.loads(proc.stdout)
    assert doc["command"] == "drop"
    assert [(a["name"], a["result"]) for a in doc["actions"]] == [("products_title", "done")]
    assert not still_there(one_index)


def test_yes_prints_the_text_report_from_its_first_byte(run_cli, one_index):
    proc = drop(run_cli, one_index, "yes\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["products_title: done", "dropped 1 index(es)"]
