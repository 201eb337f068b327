"""bench never surprises a database (PG15, PG18): a real process refuses, in one line and
exit 2, with nothing changed: a server other than the embedded one without --yes, other
client sessions without --allow-activity, a database without the schema or without data."""

from __future__ import annotations

import psycopg
from test_bench_support import SMALL, apply_some, catalog_states, run

QUICK = ("--only", "25_sessions_list_mine", "--write-tables", "none", "--pgbench-seconds", "0")


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("plinto-db: error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_without_yes_it_names_what_it_would_drop_and_changes_nothing(new_db, tmp_path):
    dsn = new_db("seeded")
    apply_some(dsn, ["idx_sessions_user_id"])
    found = catalog_states(dsn)
    done = run(tmp_path, "bench", "--dsn", dsn, *QUICK, *SMALL)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "is not the embedded server" in line
    assert "DROP INDEX CONCURRENTLY 1 catalog index(es) (idx_sessions_user_id)" in line
    assert "--yes" in line and "never production" in line
    assert catalog_states(dsn) == found


def test_another_client_session_blocks_the_run_unless_allowed(new_db, tmp_path):
    dsn = new_db("seeded")
    with psycopg.connect(dsn, autocommit=True, application_name="the-application"):
        done = run(tmp_path, "bench", "--dsn", dsn, "--yes", *QUICK, *SMALL)
        assert done.returncode == 2
        line = one_line(done.stderr)
        assert "1 other client session(s)" in line and "the-application" in line
        assert "--allow-activity" in line
        allowed = run(
            tmp_path,
            "bench",
            "--dsn",
            dsn,
            "--yes",
            "--allow-activity",
            *QUICK,
            *SMALL,
            "--format",
            "json",
        )
        assert allowed.returncode == 0, allowed.stderr
        assert "the-application" in allowed.stdout  # the note in results.json


def test_a_database_without_the_schema_says_run_migrate(new_db, tmp_path):
    done = run(tmp_path, "bench", "--dsn", new_db("empty"), "--yes", *QUICK, *SMALL)
    assert done.returncode == 2
    assert "run `plinto-db migrate` first" in one_line(done.stderr)


def test_a_database_without_data_says_run_seed(new_db, tmp_path):
    dsn = new_db("schema")
    done = run(tmp_path, "bench", "--dsn", dsn, "--yes", *QUICK, *SMALL)
    assert done.returncode == 2
    assert "run `plinto-db seed` first" in one_line(done.stderr)
    assert all(state == "missing" for state in catalog_states(dsn).values())


def test_bad_options_are_one_line_before_connecting(tmp_path):
    nowhere = "host=/nonexistent dbname=x"
    for args, text in (
        (("--phases", "during"), "--phases 'during'"),
        (("--phases", "before,before"), "--phases 'before,before': before is given twice"),
        (("--write-tables", "sessions:"), "TABLE:COLUMN"),
        (("--write-tables", ""), "--write-tables is empty: name the tables, or give none"),
        (("--only", "no_such_check*"), "no check matches"),
        (("--pgbench-check", "no_such_check"), "no such check"),
    ):
        done = run(tmp_path, "bench", "--dsn", nowhere, "--yes", *args)
        assert done.returncode == 2, done.stderr
        assert text in one_line(done.stderr)


def test_bad_http_options_name_the_option_before_anything_runs(tmp_path):
    """Refused before connecting (the DSN leads nowhere), so Locust is never needed."""
    nowhere = "host=/nonexistent dbname=x"
    for args, line in (
        (("--http-users", "0"), "--http-users 0: give 1 or more"),
        (("--http-seconds", "0"), "--http-seconds 0: give a number above 0"),
        (("--http-spawn-rate", "-1"), "--http-spawn-rate -1: give a number above 0"),
        (("--http-rps", "0"), "--http-rps 0: give a number above 0"),
        (("--http-api-workers", "0"), "--http-api-workers 0: give 1 or more"),
        (("--http-workers", "-1"), "--http-workers -1: give 0 or more"),
    ):
        done = run(tmp_path, "bench", "--dsn", nowhere, "--yes", "--http", *args)
        assert done.returncode == 2, done.stderr
        assert one_line(done.stderr) == f"plinto-db: error: {line}"


def test_an_unknown_http_endpoint_is_refused_before_the_catalog_changes(new_db, tmp_path):
    dsn = new_db("seeded")
    apply_some(dsn, ["idx_sessions_user_id"])
    found = catalog_states(dsn)
    args = ("--http", "--http-endpoint", "session-validation", "--http-endpoint", "nope")
    done = run(tmp_path, "bench", "--dsn", dsn, "--yes", *QUICK, *SMALL, *args)
    assert done.returncode == 2, done.stderr
    line = one_line(done.stderr)
    assert line.startswith("plinto-db: error: --http-endpoint 'nope': no such check or flow")
    assert "session-validation" in line  # the flows it knows
    assert "dropping" not in done.stderr and "timing" not in done.stderr
    assert catalog_states(dsn) == found
    assert not (tmp_path / "plinto-bench").exists()
