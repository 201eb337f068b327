"""Only a command that changes things says what it did not do: status refuses a catalog whose
table is missing without "(nothing was applied)"; apply and drop say what they left alone."""

from __future__ import annotations

import json

import pytest

CATALOG = 'CREATE INDEX customers_id ON "Shop"."Customers" (id);\n'


@pytest.fixture
def missing_table(empty_db, tmp_path):
    catalog = tmp_path / "c.sql"
    catalog.write_text(CATALOG)
    return empty_db, catalog


def last_error(proc) -> str:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    return proc.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_status_on_a_database_without_the_table_claims_nothing_about_applying(
    run_cli, missing_table, fmt
):
    dsn, catalog = missing_table
    proc = run_cli("status", "--dsn", dsn, "--indexes", str(catalog), "--format", fmt)
    line = last_error(proc)
    assert line == (
        f'plinto-db: error: {catalog}:1: index \'customers_id\': table "Shop"."Customers" '
        "does not exist"
    )


@pytest.mark.parametrize(
    ("command", "suffix"), [("apply", "(nothing was applied)"), ("drop", "(nothing was dropped)")]
)
def test_commands_that_change_things_say_what_they_left_alone(
    run_cli, missing_table, command, suffix
):
    dsn, catalog = missing_table
    line = last_error(run_cli(command, "--dsn", dsn, "--indexes", str(catalog)))
    assert "does not exist" in line and line.endswith(suffix), line


def test_history_on_a_database_apply_never_touched_says_so(run_cli, empty_db):
    proc = run_cli("history", "--dsn", empty_db)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "no apply has been recorded in this database\n"
    doc = json.loads(run_cli("history", "--dsn", empty_db, "--format", "json").stdout)
    assert doc == {"command": "history", "entries": []}
