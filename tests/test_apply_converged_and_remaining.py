"""apply's `converged` and `remaining` tell the truth on every path: a dry run judges the
state it found (nothing ran), a run with nothing to do lists the drift it refused, and a run
that built everything says converged with nothing remaining (real servers, real processes)."""

from __future__ import annotations

import json

import psycopg
import pytest

TABLE = 'CREATE TABLE "Shop"."Customers" (id int, country text, created_at timestamptz)'
CATALOG = (
    'CREATE INDEX customers_country ON "Shop"."Customers" (country, created_at DESC);\n'
    'CREATE INDEX customers_id ON "Shop"."Customers" (id);\n'
)


@pytest.fixture
def drifted_and_missing(new_db, tmp_path):
    """customers_country exists with another direction (drift), customers_id is missing."""
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "Shop"')
        conn.execute(TABLE)
        conn.execute('CREATE INDEX customers_country ON "Shop"."Customers" (country, created_at)')
    catalog = tmp_path / "c.sql"
    catalog.write_text(CATALOG)
    return dsn, catalog


def apply(run_cli, dsn, catalog, *args):
    proc = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog), *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def document(run_cli, dsn, catalog, *args):
    proc = apply(run_cli, dsn, catalog, "--format", "json", *args)
    return proc.returncode, json.loads(proc.stdout)


def index_names(dsn) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'Shop'")
        return {row[0] for row in rows}


def test_a_dry_run_is_not_converged_and_lists_the_drifted_and_the_missing_index(
    run_cli, drifted_and_missing
):
    dsn, catalog = drifted_and_missing
    code, doc = document(run_cli, dsn, catalog, "--dry-run")
    assert code == doc["exit_code"] == 3  # drift would be refused
    assert doc["dry_run"] is True
    assert doc["converged"] is False
    assert doc["remaining"] == ["customers_country", "customers_id"]
    text = apply(run_cli, dsn, catalog, "--dry-run")
    assert text.returncode == 3
    assert text.stdout.splitlines()[-1] == (
        "-- as found: NOT converged; not valid or not as in the catalog: "
        "customers_country, customers_id"
    )
    assert index_names(dsn) == {"customers_country"}  # nothing ran


def test_a_dry_run_with_only_a_missing_index_exits_0_and_lists_it(run_cli, new_db, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "Shop"')
        conn.execute(TABLE)
    catalog = tmp_path / "c.sql"
    catalog.write_text('CREATE INDEX customers_id ON "Shop"."Customers" (id);\n')
    code, doc = document(run_cli, dsn, catalog, "--dry-run")
    assert code == doc["exit_code"] == 0  # the plan can run
    assert doc["converged"] is False and doc["remaining"] == ["customers_id"]


def test_a_run_with_only_refused_drift_lists_it_as_remaining(run_cli, drifted_and_missing):
    dsn, catalog = drifted_and_missing
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute('CREATE INDEX customers_id ON "Shop"."Customers" (id)')
    code, doc = document(run_cli, dsn, catalog)
    assert code == doc["exit_code"] == 3
    assert [a["action"] for a in doc["actions"]] == ["refuse-drifted", "skip"]
    assert doc["converged"] is False
    assert doc["remaining"] == ["customers_country"]
    text = apply(run_cli, dsn, catalog)
    conclusion = text.stdout.splitlines()[-1]  # a pipe: one line, never wrapped
    assert conclusion.startswith("NOT converged")
    assert "drift refused: customers_country" in conclusion
    assert "not valid" not in conclusion  # the refused index is named once, with its reason


def test_a_converged_run_has_nothing_remaining(run_cli, drifted_and_missing):
    dsn, catalog = drifted_and_missing
    code, doc = document(run_cli, dsn, catalog, "--replace-drifted")
    assert code == doc["exit_code"] == 0
    assert doc["converged"] is True and doc["remaining"] == []
    for args in ((), ("--dry-run",)):  # nothing to do, and a dry run of nothing
        code, doc = document(run_cli, dsn, catalog, *args)
        assert code == 0
        assert doc["converged"] is True and doc["remaining"] == []
    dry = apply(run_cli, dsn, catalog, "--dry-run")
    assert dry.stdout.splitlines()[-1] == "-- as found: converged"
