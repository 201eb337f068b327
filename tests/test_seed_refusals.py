"""seed refuses, in one line with exit 2 and without changing a row: a role that does not own
the tables, a schema that drifted from revision 0001, a user count that is not an integer,
rows committed while it waited for its lock (without --reset), tables another session keeps
locked past the lock timeout."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest


def _count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def other_role(new_db) -> Iterator[tuple[str, str]]:
    """(owner dsn, dsn of a login role that does not own the tables) on a migrated database."""
    dsn = new_db("schema")
    role = f"r_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    params["user"] = role
    params.pop("password", None)
    yield dsn, psycopg.conninfo.make_conninfo(**params)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")


def _one_error_line(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = [
        ln for ln in result.stderr.strip().splitlines() if not ln.startswith("plinto-db: using")
    ]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("grant", [None, "SELECT", "ALL"])
def test_a_role_that_does_not_own_the_tables_gets_one_clear_line(run_cli, other_role, grant):
    owner_dsn, role_dsn = other_role
    if grant:
        role = psycopg.conninfo.conninfo_to_dict(role_dsn)["user"]
        with psycopg.connect(owner_dsn, autocommit=True) as conn:
            conn.execute(f"GRANT {grant} ON ALL TABLES IN SCHEMA public TO {role}")
    line = _one_error_line(run_cli("seed", "--users", "20", "--dsn", role_dsn))
    assert "own" in line and "users" in line, line
    assert _count(owner_dsn, "users") == 0


def test_a_schema_that_drifted_from_0001_is_a_usage_error_and_nothing_changes(new_db, run_cli):
    dsn = new_db("schema")
    assert run_cli("seed", "--users", "20", "--dsn", dsn).returncode == 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "ALTER TABLE sessions ADD CONSTRAINT no_expired CHECK (status <> 'expired') NOT VALID"
        )
    line = _one_error_line(run_cli("seed", "--users", "30", "--reset", "--dsn", dsn))
    assert "sessions" in line and "no_expired" in line, line
    assert _count(dsn, "users") == 20  # the TRUNCATE was rolled back with the rest


@pytest.mark.parametrize("value", ["abc", "1.5"])
def test_a_non_integer_user_count_is_a_usage_error(run_cli, value):
    result = run_cli("seed", "--users", value, "--dsn", "host=/nonexistent dbname=x")
    assert result.returncode == 2 and "--users" in result.stderr
    assert "Traceback" not in result.stderr


def test_rows_committed_while_seed_waits_for_its_lock_are_not_truncated(new_db):
    """The emptiness check ran before the tables were locked: a row committed meanwhile (or
    a second seed started at the same moment) was silently truncated without --reset."""
    import os
    import subprocess
    import sys
    import time

    dsn = new_db("schema")
    writer = psycopg.connect(dsn)
    writer.execute("INSERT INTO users (email) VALUES ('meanwhile@example.com')")  # uncommitted
    env = {k: v for k, v in os.environ.items() if k not in ("PLINTO_DB_DSN", "DATABASE_URL")}
    seeding = subprocess.Popen(
        [sys.executable, "-m", "plinto_db", "seed", "--users", "50", "--dsn", dsn],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        with psycopg.connect(dsn, autocommit=True) as watcher:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and seeding.poll() is None:
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                    "WHERE NOT l.granted AND a.application_name = 'plinto-db'"
                ).fetchone()[0]
                if waiting:
                    break
                time.sleep(0.05)
        writer.commit()
        code = seeding.wait(timeout=60)
        stderr = seeding.stderr.read()
    finally:
        writer.close()
        if seeding.poll() is None:
            seeding.kill()
    assert code == 2, stderr
    assert "--reset" in stderr
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT array_agg(email) FROM users").fetchone()[0] == [
            "meanwhile@example.com"
        ]


def test_tables_locked_by_another_session_give_up_after_the_lock_timeout(new_db, run_cli):
    """The emptiness check waited without a timeout behind e.g. a seed in progress."""
    import time

    dsn = new_db("schema")
    with psycopg.connect(dsn) as holder:
        holder.execute("LOCK TABLE audit_logs IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        result = run_cli("seed", "--users", "20", "--dsn", dsn, timeout=60)
        elapsed = time.monotonic() - started
    line = _one_error_line(result)
    assert "could not lock" in line, line
    assert elapsed < 30
