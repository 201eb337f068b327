"""Helpers for tests that drive a real `plinto-db apply` process against a live server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent


def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment without any DSN, so only --dsn counts and no embedded server starts."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PLINTO_DB_DSN", "DATABASE_URL", "GITHUB_ACTIONS")
    }
    env["PLINTO_DB_DATA_DIR"] = str(tmp_path / "no-embedded-here")
    return env


def wait_for_build(dsn: str, name: str, timeout: float = 20) -> int:
    """The pid of the backend building index `name`, once its build shows up."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT p.pid FROM pg_stat_progress_create_index p "
                "JOIN pg_class c ON c.oid = p.index_relid WHERE c.relname = %s",
                (name,),
            ).fetchone()
            if row:
                return row[0]
            time.sleep(0.1)
    raise AssertionError(f"no build of {name} appeared")


@contextmanager
def apply_held_by_old_snapshot(
    dsn: str, args: list[str], env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen, psycopg.Connection]]:
    """`plinto-db apply ARGS` started while a transaction holds an old snapshot, so each
    concurrent build waits ("waiting for old snapshots") until the test rolls it back.
    The process is killed and the snapshot released whatever the test does."""
    blocker = psycopg.connect(dsn)
    blocker.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    blocker.execute("SELECT 1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "plinto_db", "apply", "--dsn", dsn, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        yield proc, blocker
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        blocker.close()
