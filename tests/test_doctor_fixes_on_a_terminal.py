"""Doctor's fix statements as a terminal of 80 columns shows them paste as the statements
themselves: a line breaks only between tokens, never inside a string literal or a quoted
name, and lint's ignore comment stays on the line of its statement's `;`. Pasted line by
line (as into psql), each one runs and equals the JSON `statements` entry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
from pglast import parse_sql
from pglast.stream import RawStream

from plinto_db.doctor.fixes import BLOCKING_OK, IndexShape, Names, build_index
from plinto_db.doctor.model import Facts, PartitionFact, TableFact
from plinto_db.lint.run import LintRequest, lint
from plinto_db.report.doctor import sql_lines

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTH = 80
TERMINAL = {"FORCE_COLOR": "1", "NO_COLOR": "1", "COLUMNS": str(WIDTH), "TERM": "xterm"}

SCHEMA = [
    "CREATE TABLE customers (id int PRIMARY KEY)",
    'CREATE TABLE "Order Lines" (id int, "Customer Id" int REFERENCES customers)',
    "CREATE TABLE orders (id int, status text, note text, created date NOT NULL) "
    "PARTITION BY RANGE (created)",
    "CREATE TABLE orders_of_2024 PARTITION OF orders "
    "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
    # literals with spaces, two spaces and a `--` in them: none of them a place to break (a
    # wrap between words would break 'waiting for payment' and 'sent back to the warehouse')
    "CREATE INDEX waiting_orders ON ONLY orders (created) WHERE status = 'waiting for payment'"
    " AND note <> 'paid  -- twice' AND note <> 'sent back to the warehouse'",
]


def _printed(lines: list[str], statement: str) -> list[str]:
    """The lines that show `statement`: joined with single spaces they give it back."""
    for start, line in enumerate(lines):
        text = line.strip()
        if not text or not statement.startswith(text):
            continue
        end = start
        while len(text) < len(statement) and end + 1 < len(lines):
            end += 1
            text += " " + lines[end].strip()
        if text == statement:
            return lines[start : end + 1]
    raise AssertionError(f"not printed as a whole: {statement}\n" + "\n".join(lines))


def _same_sql(pasted: str, statement: str) -> bool:
    return RawStream()(parse_sql(pasted)) == RawStream()(parse_sql(statement))


def _lint_errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "pasted.sql"
    path.write_text(text + "\n")
    return [f"{f.rule}: {f.message}" for f in lint(LintRequest(paths=(path,))).findings]


def test_fix_statements_on_an_80_column_terminal_paste_and_run_as_printed(
    run_cli, new_db, tmp_path
):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in SCHEMA:
            conn.execute(statement)
    only = ("--only", "invalid-index", "--only", "fk-without-index")
    shown = run_cli("doctor", "--dsn", dsn, *only, env=TERMINAL)
    assert shown.returncode == 1, shown.stderr
    lines = [ANSI.sub("", line) for line in shown.stdout.splitlines()]
    document = json.loads(run_cli("doctor", "--dsn", dsn, *only, "--format", "json").stdout)
    statements = [s for finding in document["findings"] for s in finding["statements"]]
    assert any("'waiting for payment'::text" in s for s in statements), statements
    pasted = []
    for statement in statements:
        printed = _printed(lines, statement)
        assert all(len(line) <= WIDTH for line in printed), printed
        pasted.append("\n".join(printed))
        assert _same_sql(pasted[-1], statement), pasted[-1]
    assert len(pasted) > 2 and any(text.count("\n") for text in pasted)  # it did wrap
    assert _lint_errors(tmp_path, "\n".join(pasted)) == []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for text in pasted:  # as pasted into psql: the literal intact, or ATTACH would fail
            conn.execute(text)
    again = run_cli("doctor", "--dsn", dsn, *only, "--format", "json")
    assert json.loads(again.stdout)["findings"] == []


def test_the_ignore_comment_stays_on_the_line_of_its_statement_at_80_columns(tmp_path):
    # PostgreSQL refuses a foreign key on a partitioned table with a foreign-table partition,
    # so a live run never prints this fix; its statement is rendered as doctor renders fixes
    facts = Facts(
        version=180000,
        partitions=(PartitionFact(2, 1, "sales", "orders_kept_on_the_remote_server", "f"),),
    )
    table = TableFact(oid=1, schema="sales", name="orders_of_every_year", relkind="p",
                      partition=False, has_primary_key=False, size=0)  # fmt: skip
    shape = IndexShape("(customer_id)", ("customer_id",))
    (statement,) = build_index(facts, Names(()), table, shape).statements
    assert statement.endswith(BLOCKING_OK)
    printed = sql_lines(statement, WIDTH, first=" " * 8, indent=" " * 10)
    assert len(printed) > 1 and all(len(line) <= WIDTH for line in printed), printed
    assert printed[-1].strip().startswith("(customer_id);  -- plinto-db: ignore[")
    assert " ".join(line.strip() for line in printed) == statement
    pasted = "\n".join(printed)
    assert _same_sql(pasted, statement)
    assert _lint_errors(tmp_path, pasted) == []  # the directive still covers its statement
