"""Markdown tables escape `|` in names (apply, status, history, check): a row has as
many cells as its header, and the name reads back as written. Real processes, real servers."""

from __future__ import annotations

import re

import psycopg
import pytest
from pg_servers import vacuum_analyze

PIPE_TABLE = """
CREATE SCHEMA "Shop";
CREATE TABLE "Shop"."Customers" (id bigint PRIMARY KEY, status text NOT NULL);
INSERT INTO "Shop"."Customers" SELECT i, 's' || i FROM generate_series(1, 20000) i;
"""
CATALOG = 'CREATE INDEX "a|b" ON "Shop"."Customers" (status);\n'
CHECK = """\
-- expect: index "a|b"
-- params: 's5'
SELECT * FROM "Shop"."Customers" WHERE status = $1;
"""


@pytest.fixture
def pipes(new_db, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(PIPE_TABLE)
        vacuum_analyze(conn)
    (tmp_path / "indexes").mkdir()
    (tmp_path / "indexes" / "catalog.sql").write_text(CATALOG)
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "p.sql").write_text(CHECK)
    return dsn, tmp_path / "indexes", tmp_path / "checks"


def table_rows(markdown: str) -> list[list[str]]:
    """Each row of the Markdown tables, as its cells (a `\\|` stays inside its cell)."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            assert line.endswith("|"), line
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def assert_every_row_fits_the_header(markdown: str) -> list[list[str]]:
    rows = table_rows(markdown)
    assert rows, markdown
    header = rows[0]
    assert all(len(row) == len(header) for row in rows), markdown
    return rows


def test_apply_and_status_markdown_escape_a_pipe_in_an_index_name(run_cli, pipes):
    dsn, indexes, _ = pipes
    apply = run_cli("apply", "--dsn", dsn, "--indexes", str(indexes), "--format", "markdown")
    assert apply.returncode == 0, apply.stderr
    rows = assert_every_row_fits_the_header(apply.stdout)
    assert rows[0] == ["index", "table", "action", "result", "seconds", "detail"]
    assert rows[2][:4] == [r"a\|b", '"Shop"."Customers"', "create", "done"]
    status = run_cli("status", "--dsn", dsn, "--indexes", str(indexes), "--format", "markdown")
    assert assert_every_row_fits_the_header(status.stdout)[2][0] == r"a\|b"
    history = run_cli("history", "--dsn", dsn, "--format", "markdown")
    assert assert_every_row_fits_the_header(history.stdout)[2][1] == r"a\|b"


def test_check_markdown_escapes_a_pipe_in_an_index_name(run_cli, pipes):
    dsn, indexes, checks = pipes
    assert run_cli("apply", "--dsn", dsn, "--indexes", str(indexes)).returncode == 0
    proc = run_cli(
        "check", "--dsn", dsn, "--checks", str(checks), "--indexes", str(indexes),
        "--format", "markdown",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = assert_every_row_fits_the_header(proc.stdout)
    assert rows[0][:3] == ["query", "expected", "indexes used"]
    assert rows[2][:3] == ["p", r'index "a\|b"', r'"Shop"."a\|b"']
