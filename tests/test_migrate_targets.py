"""migrate --to: an unknown revision is named before anything runs (also for a role that may
not create anything), and a no-op target touches nothing."""

from __future__ import annotations

import psycopg
import pytest


def _relations(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE nspname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


@pytest.mark.parametrize("target", ["0099", "xyz", "00"])
def test_an_unknown_target_revision_is_named_before_anything_runs(new_db, run_cli, target):
    dsn = new_db("empty")
    result = run_cli("migrate", "--to", target, "--dsn", dsn)
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert f"unknown revision {target!r}" in line and "0001" in line, line
    assert _relations(dsn) == set()


def test_unknown_target_on_a_role_without_create_privilege_names_the_revision(
    new_db, run_cli, pg_server
):
    """It used to report "permission denied for schema public" for a typo in --to."""
    dsn = new_db("empty")
    role = f"r_{__import__('uuid').uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
        params["user"] = role
        params.pop("password", None)
        result = run_cli(
            "migrate", "--to", "0099", "--dsn", psycopg.conninfo.make_conninfo(**params)
        )
        assert result.returncode == 2
        assert "unknown revision '0099'" in result.stderr, result.stderr
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP ROLE {role}")


def test_base_when_already_at_base_touches_nothing(new_db, run_cli):
    dsn = new_db("empty")
    result = run_cli("migrate", "--to", "base", "--dsn", dsn, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert '"changed": false' in result.stdout
    assert _relations(dsn) == set()  # not even an empty alembic_version table
