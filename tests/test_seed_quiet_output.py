"""Without a terminal, seed prints nothing on stderr but the line naming the server, and no
terminal escapes on stdout."""

from __future__ import annotations


def test_without_a_terminal_seed_prints_only_the_server_line_on_stderr(new_db, run_cli):
    dsn = new_db("schema")
    result = run_cli("seed", "--users", "20", "--dsn", dsn)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if line.startswith("plinto-db: using")
    ]
    assert len(result.stderr.strip().splitlines()) == 1
    assert "\x1b[" not in result.stdout  # no terminal escapes in piped output
