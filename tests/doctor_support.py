"""Helpers for the doctor tests: building a fixture schema, running doctor in-process or as a
real process (`python -m plinto_db doctor`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from pg_servers import run_vacuum

from plinto_db.doctor.run import DoctorReport, DoctorRequest, run_doctor

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "data" / "doctor"


def expected(path: Path) -> set[tuple[str, ...]]:
    """The `-- expect: obj obj ...` lines of a fixture: one finding's objects each."""
    return {
        tuple(match.split())
        for match in re.findall(r"^-- expect: (.+)$", path.read_text(), re.MULTILINE)
    }


def statements(path: Path) -> list[str]:
    """Statements ending with `;` at a line's end (comments kept: `-- fails` marks)."""
    text = "\n".join(
        line for line in path.read_text().splitlines() if not line.startswith("-- expect:")
    )
    parts = re.split(r";[ \t]*(?:(--[^\n]*))?\n", text + "\n")
    found, pending = [], None
    for i, part in enumerate(parts):
        if i % 2 == 0:
            pending = part.strip()
        else:
            body = "\n".join(ln for ln in pending.splitlines() if not ln.startswith("--"))
            if body.strip():
                found.append(body.strip() + (f" {part}" if part else ""))
    return found


def build(dsn: str, path: Path) -> None:
    """Run a fixture's statements one by one (autocommit); `-- fails` ones must fail."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements(path):
            if "-- fails" in statement:
                try:
                    conn.execute(statement)
                except psycopg.Error:
                    continue
                raise AssertionError(f"{path}: expected to fail: {statement}")
            if statement.upper().startswith("VACUUM"):
                run_vacuum(conn, statement)  # its result must not wait on the WAL writer
            else:
                conn.execute(statement)
    for name in re.findall(r"^-- wait-scanned: (\S+)$", path.read_text(), re.MULTILINE):
        wait_scanned(dsn, name)


def wait_scanned(dsn: str, index: str, timeout: float = 10.0) -> None:
    """Statistics reach the shared counters when the scanning session reports them."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = %s", (index,)
            ).fetchone()
            if row and row[0] > 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{index}: no scan counted after {timeout} s")
            time.sleep(0.1)
            conn.execute("SELECT pg_stat_clear_snapshot()")


def doctor(dsn: str, *only: str, **options) -> DoctorReport:
    options.setdefault("min_stats_age_days", 0.0)
    return run_doctor(DoctorRequest(dsn=lambda: dsn, only=only, **options))


def run_doctor_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`plinto-db doctor ARGS` as a real process (the same environment rules as run_cli)."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PLINTO_DB_DSN", "DATABASE_URL", "GITHUB_ACTIONS")
    }
    full_env["PLINTO_DB_DATA_DIR"] = "/nonexistent/no-embedded-here"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "plinto_db", "doctor", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=cwd or REPO,
    )
