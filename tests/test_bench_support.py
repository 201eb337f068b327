"""Helpers for the bench and demo tests (no tests here): a real `plinto-db bench` process,
the catalog's state, and a fingerprint of the rows a bench must leave as found."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
SMALL = ("--iterations", "20", "--warmup", "2", "--max-seconds-per-query", "0.3")


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PLINTO_DB_DSN", "DATABASE_URL", "GITHUB_ACTIONS")
    }
    env["PLINTO_DB_DATA_DIR"] = str(tmp_path / "no-embedded-here")
    env.update(extra)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "plinto_db", *args]


def run(tmp_path: Path, *args: str, timeout: float = 600, **env: str):
    return subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        env=cli_env(tmp_path, **env),
        timeout=timeout,
        cwd=tmp_path,
    )


def catalog_states(dsn: str) -> dict[str, str]:
    from plinto_db.bench.indexes import catalog_states as states
    from plinto_db.catalog.cache import load_catalog_cached
    from plinto_db.resources import resolve_dir

    return states(dsn, load_catalog_cached(resolve_dir("indexes")))


def fingerprint(dsn: str) -> tuple:
    """Row counts and a digest of every sessions and activity_logs row."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        return tuple(
            conn.execute(
                f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t.id)) FROM {table} t"
            ).fetchone()
            for table in ("sessions", "activity_logs", "users")
        )


def apply_some(dsn: str, names: list[str]) -> None:
    from plinto_db.apply.executor import ExecOptions
    from plinto_db.apply.run import apply_catalog, load
    from plinto_db.resources import resolve_dir

    specs = load(resolve_dir("indexes"), names, None)
    result = apply_catalog(dsn, specs, options=ExecOptions(dsn=dsn))
    assert result.converged
