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
        (("--write-tables", "sessions:"), "TABLE:COLUMN"),
        (("--only", "no_such_check*"), "no check matches"),
        (("--pgbench-check", "no_such_check"), "no such check"),
    ):
        done = run(tmp_path, "bench", "--dsn", nowhere, "--yes", *args)
        assert done.returncode == 2, done.stderr
        assert text in one_line(done.stderr)
