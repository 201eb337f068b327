"""A throw-away embedded server for the benchmark scripts, started and stopped through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent


def compile_bytecode() -> None:
    """Compile plinto_db once, as `pip install` does: an environment that sets
    PYTHONDONTWRITEBYTECODE would otherwise recompile every changed module on every run."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "plinto_db")],
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
