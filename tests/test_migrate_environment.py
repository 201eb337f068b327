"""Which alembic environment migrate runs, and where it takes the DSN from: a folder that is
not alembic is a usage error, an application's own ./migrations is never run, and plain alembic
on the installed copy reads $DATABASE_URL."""

from __future__ import annotations

import subprocess
import sys

import psycopg


def _relations(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE nspname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


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


def test_an_env_py_that_runs_nothing_is_an_error_not_revisions_reported_as_run(
    new_db, run_cli, tmp_path
):
    """alembic returns quietly when env.py never runs the migrations: migrate must not list
    revisions the database does not record."""
    dsn = new_db("empty")
    folder = tmp_path / "mine"
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text("# configures nothing, runs nothing\n")
    (folder / "alembic.ini").write_text("[alembic]\nscript_location = .\n")
    (folder / "versions" / "a1_first.py").write_text(
        '"""First."""\nrevision = "a1"\ndown_revision = None\n'
        "def upgrade():\n    pass\ndef downgrade():\n    pass\n"
    )
    result = run_cli("migrate", "--migrations", str(folder), "--dsn", dsn, "--to", "a1")
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line == (
        "plinto-db: error: migration to a1 (First) did not take effect: the database records "
        "revision none; does the migrations folder's env.py run the migrations?"
    ), result.stderr
    assert result.stdout == ""
