"""Conventions every command keeps: --debug adds the traceback and keeps the exit code."""

from __future__ import annotations


def test_debug_shows_the_traceback_and_keeps_exit_code_2_for_bad_input(run_cli, tmp_path):
    missing = tmp_path / "nowhere"
    plain = run_cli("apply", "--indexes", str(missing))
    debug = run_cli("--debug", "apply", "--indexes", str(missing))
    assert plain.returncode == debug.returncode == 2
    assert "Traceback" not in plain.stderr and "Traceback" in debug.stderr
    last = f"plinto-db: error: {missing}: no such file or folder (given for indexes)"
    assert plain.stderr.strip().splitlines()[-1] == last
    assert debug.stderr.strip().splitlines()[-1] == last


def test_debug_keeps_the_exit_code_of_a_refusal_by_the_database(run_cli, empty_db, tmp_path):
    catalog = tmp_path / "c.sql"
    catalog.write_text("CREATE INDEX i ON no_such_table (a);\n")
    for args in (("apply",), ("--debug", "apply")):
        result = run_cli(*args, "--dsn", empty_db, "--indexes", str(catalog))
        assert result.returncode == 2, result.stderr
        assert "does not exist" in result.stderr.strip().splitlines()[-1]
