"""lint's setting-not-null trusts a CHECK (col IS NOT NULL) only once it is validated, on that
table and that column, before the SET NOT NULL; and PostgreSQL itself (a real server) skips
the scan with a validated check and scans with one that is still NOT VALID."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from plinto_db.lint.run import LintRequest, lint

ADD = "ALTER TABLE {t} ADD CONSTRAINT {c} CHECK ({col} IS NOT NULL) NOT VALID;"
VALIDATE = "ALTER TABLE {t} VALIDATE CONSTRAINT {c};"
SET = "ALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL;"


def _flagged(tmp_path: Path, *statements: str) -> list[int]:
    """Lines where setting-not-null fires in a migration of these statements."""
    path = tmp_path / "migration.sql"
    path.write_text("SET lock_timeout = '2s';\n" + "\n".join(statements) + "\n")
    findings = lint(LintRequest(paths=(path,), only=("setting-not-null",))).findings
    return [f.line for f in findings]


def _sql(template: str, t: str = "users", c: str = "nn", col: str = "email") -> str:
    return template.format(t=t, c=c, col=col)


def test_a_validated_check_makes_set_not_null_safe(tmp_path):
    assert _flagged(tmp_path, _sql(ADD), _sql(VALIDATE), _sql(SET)) == []


def test_a_not_valid_check_never_validated_does_not(tmp_path):
    assert _flagged(tmp_path, _sql(ADD), _sql(SET)) == [3]


def test_a_check_validated_only_after_the_set_not_null_does_not(tmp_path):
    assert _flagged(tmp_path, _sql(ADD), _sql(SET), _sql(VALIDATE)) == [3]


def test_validating_another_tables_constraint_of_the_same_name_does_not(tmp_path):
    statements = (_sql(ADD), _sql(ADD, t="orgs", col="slug"), _sql(VALIDATE, t="orgs"))
    assert _flagged(tmp_path, *statements, _sql(SET)) == [5]


def test_validating_a_constraint_of_the_same_name_on_another_table_proves_nothing_here(tmp_path):
    orgs = (_sql(ADD), _sql(ADD, t="orgs", col="slug"), _sql(VALIDATE))  # users' nn validated
    assert _flagged(tmp_path, *orgs, _sql(SET, t="orgs", col="slug")) == [5]


def test_a_validated_check_on_another_column_does_not(tmp_path):
    assert _flagged(tmp_path, _sql(ADD, col="name"), _sql(VALIDATE), _sql(SET)) == [4]


SKIPPED_SCAN = "sufficient to prove that it does not contain nulls"


@pytest.mark.parametrize(("validate", "skips"), [(True, True), (False, False)])
def test_postgresql_skips_the_scan_only_with_a_validated_check(new_db, validate, skips):
    notices: list[str] = []
    with psycopg.connect(new_db("empty"), autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id int PRIMARY KEY, email text)")
        conn.execute("INSERT INTO users SELECT i, 'u' || i FROM generate_series(1, 100) i")
        conn.execute(_sql(ADD))
        if validate:
            conn.execute(_sql(VALIDATE))
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        conn.execute("SET client_min_messages = debug1")
        conn.execute(_sql(SET))
    assert any(SKIPPED_SCAN in n for n in notices) is skips, notices
