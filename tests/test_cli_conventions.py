"""Conventions every command keeps: --debug adds the traceback and keeps the exit code."""

from __future__ import annotations

import pytest


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


def test_every_timeout_takes_seconds_or_a_unit():
    from plinto_db.commands.durations import seconds

    assert seconds("2", "--lock-timeout") == 2.0
    assert seconds("0.5", "--lock-timeout") == 0.5
    assert seconds("500ms", "--lock-timeout") == 0.5
    assert seconds("2s", "--lock-timeout", bare_milliseconds=True) == 2.0
    assert seconds("1min", "--build-timeout") == 60.0
    assert seconds(" 1.5 S ", "--build-timeout") == 1.5


def test_a_bare_zero_is_no_limit_in_any_unit_without_a_warning(capsys):
    from plinto_db.commands.durations import seconds

    assert seconds("0", "--statement-timeout", bare_milliseconds=True) == 0.0
    assert capsys.readouterr().err == ""


def test_a_bare_number_where_milliseconds_were_the_unit_still_means_them_with_a_warning(
    capsys,
):
    from plinto_db.commands.durations import seconds

    assert seconds("2000", "--lock-timeout", bare_milliseconds=True) == 2.0
    warning = capsys.readouterr().err
    assert "--lock-timeout 2000: a bare number is read as milliseconds" in warning
    assert "write 2s" in warning


def test_check_accepts_the_old_milliseconds_with_a_warning(run_cli, new_db, tmp_path):
    import psycopg

    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE things (id int, name text)")
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "one.sql").write_text("-- expect: seqscan things\nSELECT * FROM things;\n")
    done = run_cli(
        "check", "--dsn", dsn, "--checks", str(checks), "--mode", "forced",
        "--lock-timeout", "2000", "--statement-timeout", "30s",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "--lock-timeout 2000: a bare number is read as milliseconds" in done.stderr
    assert "--statement-timeout" not in done.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("apply", "--jobs", "0"), "Invalid value for '--jobs' / '-j': 0 is not in the range"),
        (("apply", "--bogus"), "No such option: --bogus"),
        (("check", "--format", "xml"), "'xml' is not one of 'table', 'json', 'markdown'"),
        (("lint", "--rule"), "Option '--rule' requires an argument"),
        (("nosuch",), "No such command 'nosuch'"),
    ],
)
def test_a_bad_option_is_one_line_with_exit_2_like_every_other_error(run_cli, args, says):
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("plinto-db: error: ") and says in line, line
    assert "--help" in line and result.stdout == ""


def test_an_empty_only_is_refused_rather_than_running_every_check(run_cli):
    result = run_cli("check", "--only", "", "--only", " , ")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        "plinto-db: error: --only '': give a check name or a glob (e.g. '*sessions*')"
    )


@pytest.mark.parametrize("args", [(), ("server",)])
def test_a_command_group_without_its_command_shows_its_help_with_exit_2(run_cli, args):
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("Usage: plinto-db") and "Commands:" in result.stderr


def test_ctrl_c_ends_a_command_with_one_line_and_exit_130(new_db):
    import os
    import signal
    import subprocess
    import sys
    import time

    dsn = new_db("schema")
    env = {k: v for k, v in os.environ.items() if k not in ("PLINTO_DB_DSN", "DATABASE_URL")}
    seed = subprocess.Popen(
        [sys.executable, "-m", "plinto_db", "seed", "--users", "400000", "--dsn", dsn],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        time.sleep(4)  # well into loading the rows
        seed.send_signal(signal.SIGINT)
        _, err = seed.communicate(timeout=120)
    finally:
        if seed.poll() is None:
            seed.kill()
            seed.wait(30)
    assert seed.returncode == 130, err
    assert err.strip().splitlines()[-1] == "plinto-db: interrupted", err
    assert "Traceback" not in err and "error ignored" not in err  # psycopg's own warning
