"""Bad connection input: one line naming what failed and where, exit 2, no password."""

from __future__ import annotations

import socket


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _one_clean_line(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = [
        line
        for line in result.stderr.strip().splitlines()
        if not line.startswith("plinto-db: using ")
    ]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_unreachable_server(run_cli):
    port = _free_port()
    line = _one_clean_line(
        run_cli("migrate", "--dsn", f"postgresql://alice:s3cret@127.0.0.1:{port}/db")
    )
    assert f"127.0.0.1:{port}" in line and "'db'" in line and "'alice'" in line
    assert "s3cret" not in line


def test_malformed_dsn(run_cli):
    line = _one_clean_line(run_cli("migrate", "--dsn", "host=localhost port"))
    assert "malformed connection string" in line


def test_wrong_password_or_unknown_database(pg_server, run_cli):
    dsn = pg_server.dsn("no_such_database_here")
    line = _one_clean_line(run_cli("migrate", "--dsn", dsn))
    assert "no_such_database_here" in line


def test_debug_shows_the_traceback(run_cli):
    port = _free_port()
    result = run_cli("--debug", "migrate", "--dsn", f"postgresql://127.0.0.1:{port}/db")
    assert result.returncode != 0 and "Traceback" in result.stderr
