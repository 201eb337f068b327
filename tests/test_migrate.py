"""Revision 0001 on real servers: the schema, idempotency, downgrade, conflicts, bad DSNs."""

from __future__ import annotations

import psycopg

PLINTO_TABLES = {
    "users",
    "organizations",
    "sessions",
    "organization_members",
    "organization_invitations",
    "activity_logs",
    "magic_links",
    "password_resets",
    "email_verifications",
    "oauth_accounts",
    "passkeys",
    "webhook_endpoints",
    "webhook_events",
    "webhook_deliveries",
    "scim_resources",
    "audit_logs",
    "policies",
}


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows} - {"alembic_version"}


def _indexes(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        return {row[0] for row in rows.fetchall()}


def test_migrate_creates_the_17_tables_and_no_catalog_index(new_db, run_cli):
    dsn = new_db("empty")
    result = run_cli("migrate", "--to", "0001", "--dsn", dsn)
    assert result.returncode == 0, result.stderr
    assert _tables(dsn) == PLINTO_TABLES
    indexes = _indexes(dsn)
    assert "ix_users_email" in indexes and "uq_org_member" in indexes
    assert not any(name.startswith("idx_") for name in indexes)


def test_migrate_twice_is_a_no_op_and_downgrade_removes_everything(new_db, run_cli):
    dsn = new_db("empty")
    assert run_cli("migrate", "--to", "0001", "--dsn", dsn).returncode == 0
    again = run_cli("migrate", "--to", "0001", "--dsn", dsn)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    down = run_cli("migrate", "--to", "base", "--dsn", dsn)
    assert down.returncode == 0, down.stderr
    assert _tables(dsn) == set()


def test_migrate_lists_what_each_revision_created_and_dropped(new_db, run_cli):
    import json

    dsn = new_db("empty")
    up = run_cli("migrate", "--to", "head", "--dsn", dsn, "--format", "json")
    assert up.returncode == 0, up.stderr
    schema, catalog = json.loads(up.stdout)["revisions"]
    assert schema["revision"] == "0001" and catalog["revision"] == "0002"
    assert {n.split(".")[-1] for n in schema["created"]["table"]} == PLINTO_TABLES
    assert "public.ix_users_email" in schema["created"]["index"]
    assert len(catalog["created"]["index"]) == 45 and "table" not in catalog["created"]
    assert all(n.startswith("public.idx_") for n in catalog["created"]["index"])
    down = run_cli("migrate", "--to", "0001", "--dsn", dsn)
    assert down.returncode == 0, down.stderr
    lines = down.stdout.splitlines()
    assert lines[0].startswith("0002 (") and lines[0].endswith("dropped 45 indexes")
    assert lines[1].startswith("  dropped indexes: public.idx_")
    assert lines[-1] == "migrated: 0002 -> 0001"


def test_schema_constraints_are_enforced(schema_db):
    with psycopg.connect(schema_db) as conn:
        try:
            conn.execute("INSERT INTO users (email, status) VALUES ('a@example.com', 'ACTIVE')")
        except psycopg.errors.CheckViolation:
            conn.rollback()
        else:
            raise AssertionError("status CHECK constraint missing")


def test_conflicting_tables_are_a_clear_error_and_nothing_is_half_applied(new_db, run_cli):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE sessions (id int)")
    result = run_cli("migrate", "--dsn", dsn)
    assert result.returncode == 2
    assert "sessions" in result.stderr and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("plinto-db: error:")]
    assert len(errors) == 1, result.stderr
    assert _tables(dsn) == {"sessions"}


def test_plain_alembic_upgrade_with_x_dsn(new_db):
    import subprocess
    import sys

    dsn = new_db("empty")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "alembic",
            "-c",
            "migrations/alembic.ini",
            "-x",
            f"dsn={dsn}",
            "upgrade",
            "0001",
        ],
        capture_output=True,
        text=True,
        cwd=__import__("conftest").REPO,
    )
    assert result.returncode == 0, result.stderr
    assert _tables(dsn) == PLINTO_TABLES
