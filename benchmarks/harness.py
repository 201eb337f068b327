"""A throw-away embedded server for the benchmark scripts, started and stopped through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent


def compile_bytecode(tree: Path = REPO) -> None:
    """Compile plinto_db once, as `pip install` does: an environment that sets
    PYTHONDONTWRITEBYTECODE would otherwise recompile every changed module on every run."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "plinto_db")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def plinto_db() -> list[str]:
    exe = Path(sys.executable).parent / "plinto-db"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "plinto_db"]


def start_server(data_dir: Path) -> str:
    """Start an embedded server in data_dir; returns its DSN."""
    out = subprocess.run(
        [*plinto_db(), "server", "start", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def stop_server(data_dir: Path) -> None:
    subprocess.run([*plinto_db(), "server", "stop", "--data-dir", str(data_dir)], check=False)


def with_db(dsn: str, dbname: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**params)


def prepare_indexed(dsn: str, users: int) -> None:
    """The Plinto schema, `users` seeded users and the whole catalog built (not concurrently:
    nobody else uses a benchmark's throw-away database), then VACUUM ANALYZE."""
    from plinto_db.catalog import load_catalog
    from plinto_db.seed.run import run_seed
    from plinto_db.server.migrate import upgrade

    upgrade(dsn, "0001")
    run_seed(dsn, users=users, seed=42)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for spec in load_catalog(REPO / "indexes"):
            conn.execute(spec.create_sql(concurrently=False))
        conn.execute("VACUUM ANALYZE")
