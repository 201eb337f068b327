"""Two migrations of one database at the same moment run one after the other; both succeed."""

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
