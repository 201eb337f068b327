"""Every command's output on a terminal of 80 and of 200 columns: no line is wider than the
terminal and every name (index, table, check) is whole. Real processes, a terminal faked
through rich's FORCE_COLOR and COLUMNS (colours off, so the text can be compared)."""

from __future__ import annotations

import json
import re

import psycopg
import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTHS = (80, 200)
SOME_INDEXES = ("idx_users_email_status", "idx_sessions_management", "idx_org_members_org_role")


def terminal(width: int) -> dict[str, str]:
    return {"FORCE_COLOR": "1", "NO_COLOR": "1", "COLUMNS": str(width), "TERM": "xterm"}


def screen(run_cli, width: int, *args: str) -> list[str]:
    done = run_cli(*args, env=terminal(width))
    assert done.returncode in (0, 1), done.stderr
    lines = [ANSI.sub("", line) for line in done.stdout.splitlines()]
    too_wide = [line for line in lines if len(line) > width]
    assert not too_wide, "\n".join(too_wide)
    return lines


def assert_whole(lines: list[str], names) -> None:
    words = {w.strip("(),:;") for line in lines for w in line.split()}
    missing = [n for n in names if n not in words and not any(n in line for line in lines)]
    assert not missing, f"cut or missing: {missing}"


@pytest.fixture(scope="module")
def applied_db(pg_server):
    """A seeded database with part of the catalog applied (status and doctor have work)."""
    from conftest import _database

    dsn = _database(pg_server, "seeded")
    from plinto_db.apply.executor import ExecOptions
    from plinto_db.apply.run import apply_catalog, load
    from plinto_db.resources import resolve_dir

    specs = load(resolve_dir("indexes"), list(SOME_INDEXES), None)
    result = apply_catalog(dsn, specs, options=ExecOptions(dsn=dsn))
    assert result.converged
    yield dsn
    pg_server.drop_database(dsn)


@pytest.mark.parametrize("width", WIDTHS)
def test_status_fits_and_keeps_names_whole(run_cli, applied_db, width):
    lines = screen(run_cli, width, "status", "--dsn", applied_db)
    document = json.loads(run_cli("status", "--dsn", applied_db, "--format", "json").stdout)
    assert_whole(lines, [row["name"] for row in document["indexes"]])
    assert_whole(lines, {row["table"] for row in document["indexes"]})
    assert any(line.startswith("45 catalog index(es): 3 valid, 42 missing") for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_check_fits_and_keeps_check_and_index_names_whole(run_cli, applied_db, width):
    lines = screen(run_cli, width, "check", "--dsn", applied_db)
    document = json.loads(run_cli("check", "--dsn", applied_db, "--format", "json").stdout)
    assert_whole(lines, [r["check"] for r in document["results"]])
    assert_whole(lines, {name for r in document["results"] for name in r["used"]})
    assert any(line.startswith(f"{document['summary']['passed']} passed") for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_doctor_fits_and_keeps_index_names_whole(run_cli, applied_db, width):
    lines = screen(run_cli, width, "doctor", "--dsn", applied_db, "--no-checks")
    document = json.loads(
        run_cli("doctor", "--dsn", applied_db, "--no-checks", "--format", "json").stdout
    )
    names = [c["index"] for c in document["drop_candidates"]]
    assert names and all(
        any(n.split(".")[-1] in line for line in lines) for n in names
    ), names  # fmt: skip
    assert_whole(lines, [o for f in document["findings"] for o in f["objects"]])


@pytest.mark.parametrize("width", WIDTHS)
def test_apply_and_history_fit_and_keep_names_whole(run_cli, new_db, width):
    dsn = new_db("schema")
    only = [arg for name in SOME_INDEXES for arg in ("--only", name)]
    lines = screen(run_cli, width, "apply", "--dsn", dsn, *only)
    assert_whole(lines, SOME_INDEXES)
    assert any(line.startswith("converged in ") for line in lines)
    assert "3 create" in " ".join(lines)
    history = screen(run_cli, width, "history", "--dsn", dsn)
    assert_whole(history, SOME_INDEXES)


@pytest.mark.parametrize("width", WIDTHS)
def test_seed_and_migrate_fit_and_keep_names_whole(run_cli, new_db, width):
    from plinto_db.seed.run import TABLE_NAMES

    dsn = new_db("empty")
    migrated = screen(run_cli, width, "migrate", "--to", "0001", "--dsn", dsn)
    assert_whole(migrated, [f"public.{name}" for name in TABLE_NAMES])
    seeded = screen(run_cli, width, "seed", "--dsn", dsn, "--users", "200")
    assert_whole(seeded, TABLE_NAMES)


def test_a_pipe_gets_one_line_per_row_as_wide_as_its_content(run_cli, applied_db):
    done = run_cli("status", "--dsn", applied_db)  # not a terminal
    assert "\x1b[" not in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.startswith("idx_")]
    assert len(rows) == 45  # one line each, never folded or moved under another
    with psycopg.connect(applied_db) as conn:
        longest = conn.execute(
            "SELECT max(length(relname)) FROM pg_class WHERE relname LIKE 'idx_%'"
        ).fetchone()[0]
    assert longest and max(len(line) for line in rows) > longest


def test_apply_at_80_columns_keeps_its_header_with_long_names(run_cli, new_db, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "Shop"')
        conn.execute('CREATE TABLE "Shop"."Customers" (id int, country text, since date)')
        conn.execute('CREATE INDEX customers_country_since ON "Shop"."Customers" (country, since)')
    catalog = tmp_path / "c.sql"
    catalog.write_text(
        'CREATE INDEX customers_country_since ON "Shop"."Customers" (country, since DESC);\n'
        'CREATE INDEX customers_id ON "Shop"."Customers" (id);\n'
    )
    done = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog), env=terminal(80))
    assert done.returncode == 3, done.stderr  # the drift is refused, the other one built
    lines = [ANSI.sub("", line) for line in done.stdout.splitlines()]
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    header = lines.index(next(line for line in lines if line.startswith("index ")))
    assert lines[header].split() == ["index", "table", "action", "result"]
    rows = [i for i, line in enumerate(lines) if line.startswith("customers_")]
    assert [lines[i].split()[:2] for i in rows] == [
        ["customers_country_since", '"Shop"."Customers"'],
        ["customers_id", '"Shop"."Customers"'],
    ]
    for i in rows:  # the seconds below every row, under a label
        assert lines[i + 1].startswith("    seconds: "), lines


@pytest.mark.parametrize("width", WIDTHS)
def test_lint_list_rules_fits_and_keeps_rule_ids_whole(run_cli, width):
    from plinto_db.lint.rules import RULES

    lines = screen(run_cli, width, "lint", "--list-rules")
    assert lines[0].split() == ["rule", "severity", "summary"]
    assert_whole(lines, [rule.id for rule in RULES])
