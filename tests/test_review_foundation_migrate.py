"""Review of `plinto-db migrate`: unknown targets, no-ops that touch nothing, odd folders."""

from __future__ import annotations

import subprocess
import sys

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


def test_a_migrations_folder_that_is_not_alembic_is_a_usage_error(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    result = run_cli("migrate", "--migrations", str(tmp_path), "--dsn", dsn)
    assert result.returncode == 2, result.stderr
    assert str(tmp_path) in result.stderr and "env.py" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_plain_alembic_from_the_installed_copy_with_database_url(new_db, tmp_path):
    from plinto_db.resources import resolve_dir

    dsn = new_db("empty")
    ini = resolve_dir("migrations") / "alembic.ini"
    url = psycopg.conninfo.conninfo_to_dict(dsn)
    sqlalchemy_url = "postgresql+psycopg://?" + "&".join(f"{k}={v}" for k, v in url.items())
    env = {k: v for k, v in __import__("os").environ.items() if k != "PLINTO_DB_DSN"}
    env["DATABASE_URL"] = sqlalchemy_url
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "upgrade", "0001"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "users" in _relations(dsn)


def test_an_applications_own_migrations_folder_in_the_working_directory_is_not_run(
    new_db, run_cli, tmp_path
):
    """Many projects have ./migrations (alembic, Flask-Migrate): its env.py ignores --dsn and
    would migrate whatever database it is configured for. Only a plinto-db environment (one
    that reads the DSN plinto-db passes) is picked up from the working directory."""
    project = tmp_path / "someapp"
    (project / "migrations" / "versions").mkdir(parents=True)
    marker = project / "foreign-env-ran"
    (project / "migrations" / "env.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (project / "migrations" / "alembic.ini").write_text("[alembic]\nscript_location = .\n")
    dsn = new_db("empty")
    result = run_cli("migrate", "--to", "0001", "--dsn", dsn, cwd=project)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert "users" in _relations(dsn)


def test_two_migrations_of_one_database_at_the_same_moment(new_db):
    """The loser used to fail on a catalog unique index (pg_type_typname_nsp_index)."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("PLINTO_DB_DSN", "DATABASE_URL")}
    for _ in range(2):
        dsn = new_db("empty")
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "plinto_db", "migrate", "--to", "0001", "--dsn", dsn],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(2)
        ]
        outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        for code, stderr in outcomes:
            assert code == 0, stderr
        assert "users" in _relations(dsn)
