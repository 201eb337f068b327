"""A check that cannot be explained is an `error` pointing at its line; the run goes on.
A server that goes away mid-run ends the run with exit 2, in one line.

Real PostgreSQL 15 and 18, on a user's own schema (tests/check_helpers.py).
"""

from __future__ import annotations

import json
import threading
import time

import psycopg
from check_helpers import by_name, run, write_inputs

from plinto_db.check.judge import Verdict


def test_an_error_points_at_the_statement_or_the_sample(run_cli, app_db, tmp_path):
    checks = {
        "a_syntax": '-- about\n-- expect: index accounts_ext_idx\nSELEC "Id" FROM app."Accounts"\n',
        "b_sample": (
            "-- expect: index accounts_ext_idx\n-- sample: SELECT 1, 2\n"
            'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1\n'
        ),
    }
    checks_dir, indexes_dir = write_inputs(tmp_path, checks)
    done = run_cli(
        "check", "--dsn", app_db, "--checks", str(checks_dir), "--indexes", str(indexes_dir),
        "--format", "json", env={"GITHUB_ACTIONS": "true"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = {r["check"]: r["line"] for r in json.loads(done.stdout)["results"]}
    assert lines == {"a_syntax": 3, "b_sample": 2}
    assert "::error file=" in done.stderr and "a_syntax.sql,line=3," in done.stderr
    assert "Traceback" not in done.stderr


def test_coverage_of_an_index_whose_checks_errored(app_db, tmp_path):
    """An unexplainable check is an error, and its index says why (not "a cheaper plan wins")."""
    checks = {
        "broken": (
            "-- expect: index accounts_ext_idx\n"
            'SELEC "Id" FROM app."Accounts" WHERE ext_id = gen_random_uuid()\n'
        )
    }
    result = run(app_db, write_inputs(tmp_path, checks))
    assert by_name(result)["broken"].verdict is Verdict.ERROR
    coverage = {c.name: c for c in result.coverage}
    reason = coverage["accounts_ext_idx"].reason
    assert "could not be explained: broken" in reason
    assert "cheaper" not in reason


def test_a_server_that_goes_away_mid_run_is_exit_2(run_cli, app_db, tmp_path):
    slow = (
        "-- expect: index accounts_ext_idx\n"
        '-- sample: SELECT ext_id FROM app."Accounts", pg_sleep(1) ORDER BY "Id" LIMIT 1\n'
        'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1\n'
    )
    checks_dir, indexes_dir = write_inputs(tmp_path, {f"s{i}": slow for i in range(4)})
    killed: list[int] = []

    def terminate() -> None:
        deadline = time.monotonic() + 20
        with psycopg.connect(app_db, autocommit=True) as conn:
            while not killed and time.monotonic() < deadline:
                rows = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'plinto-db check' AND query LIKE '%pg_sleep%'"
                ).fetchall()
                killed.extend(1 for row in rows if row[0])
                time.sleep(0.1)

    killer = threading.Thread(target=terminate)
    killer.start()
    done = run_cli(
        "check", "--dsn", app_db, "--checks", str(checks_dir), "--indexes", str(indexes_dir)
    )
    killer.join()
    assert killed
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "lost the connection" in done.stderr and "during the run" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
