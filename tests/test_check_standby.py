"""`check` on a hot standby: the same verdicts as on its primary, in every mode; where forced
mode would have to hide a competing index (impossible read-only) the check says so and the
run goes on. A real streaming standby (pg_basebackup -R) of the PostgreSQL 15 and 18 test
servers (tests/standby.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from check_helpers import APP_CATALOG, build_app, run, write_inputs
from standby import NoStandby, start_standby

from plinto_db.check.judge import Verdict

CHECKS = {
    "by_uuid": (
        "-- expect: index accounts_ext_idx\n"
        '-- sample: SELECT ext_id FROM app."Accounts" ORDER BY "Id" LIMIT 1\n'
        'SELECT "Id" FROM app."Accounts" WHERE ext_id = $1;\n'
    ),
    "by_email": (
        "-- expect: index \"Accounts_Email_idx\"\n-- params: 'u42@x.io'\n"
        'SELECT * FROM app."Accounts" WHERE "Email" = $1;\n'
    ),
    "events_of_account": (
        "-- expect: index events_account_idx\n-- params: 42\n"
        "SELECT * FROM app.events WHERE account_id = $1;\n"
    ),
    "like_anywhere": (
        '-- expect: index "Accounts_Email_idx"\n'
        'SELECT "Email" FROM app."Accounts" WHERE "Email" LIKE \'%u42%\';\n'
    ),
    "gap": '-- expect: seqscan app."Accounts"\nSELECT count(*) FROM app."Accounts";\n',
}
# forced mode must hide accounts_active_idx (partial, cheaper) to show accounts_created_idx
NEEDS_HIDING = {
    "created_active": (
        "-- expect: index accounts_created_idx\n"
        "SELECT \"Id\" FROM app.\"Accounts\" WHERE created > '2025-05-30' AND status = 'active';\n"
    )
}


@pytest.fixture(scope="module")
def replica(pg_server) -> Iterator[tuple[str, str]]:
    """(primary DSN, standby DSN) of one database, replayed on the standby."""
    dsn = pg_server.create_database()
    build_app(dsn)
    try:
        standby = start_standby(pg_server)
    except NoStandby as exc:
        pg_server.drop_database(dsn)
        pytest.skip(str(exc))
    try:
        standby.catch_up(dsn)
        yield dsn, standby.dsn(dsn)
    finally:
        standby.stop()
        pg_server.drop_database(dsn)


def test_the_standby_is_read_only(replica):
    _, on_standby = replica
    with psycopg.connect(on_standby, autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE nope (x int)")


@pytest.mark.parametrize("mode", ["natural", "forced", "generic"])
def test_a_standby_gives_its_primarys_verdicts(replica, tmp_path, mode):
    primary, on_standby = replica
    inputs = write_inputs(tmp_path, CHECKS, APP_CATALOG)
    here, there = run(primary, inputs, mode=mode), run(on_standby, inputs, mode=mode)
    verdicts = {r.check.name: (r.verdict, r.mode, r.used) for r in here.results}
    assert verdicts == {r.check.name: (r.verdict, r.mode, r.used) for r in there.results}
    assert [c.state for c in here.coverage] == [c.state for c in there.coverage]
    # not vacuous: both verdicts occur, and the standby's server is the one that answered
    assert {r.verdict for r in there.results} == {Verdict.PASS, Verdict.FAIL}
    assert there.target != here.target


def test_forced_mode_on_a_standby_says_it_could_not_hide_a_competitor(replica, tmp_path):
    primary, on_standby = replica
    inputs = write_inputs(tmp_path, {**NEEDS_HIDING, **CHECKS}, APP_CATALOG)
    here = {r.check.name: r for r in run(primary, inputs, mode="forced").results}
    assert here["created_active"].verdict is Verdict.PASS
    there = {r.check.name: r for r in run(on_standby, inputs, mode="forced").results}
    hidden = there["created_active"]
    assert hidden.verdict is Verdict.FAIL  # the competitor stays: the plan uses it
    assert any(
        "could not hide app.accounts_active_idx" in note and "read-only (a hot standby)" in note
        for note in hidden.notes
    ), hidden.notes
    # the run went on: every other check has its primary's verdict
    assert {n: r.verdict for n, r in there.items() if n != "created_active"} == {
        n: r.verdict for n, r in here.items() if n != "created_active"
    }


def test_check_on_a_standby_as_a_process(run_cli, replica, tmp_path):
    _, on_standby = replica
    checks_dir, indexes_dir = write_inputs(tmp_path, {**NEEDS_HIDING, **CHECKS}, APP_CATALOG)
    base = (
        "check",
        "--dsn",
        on_standby,
        "--checks",
        str(checks_dir),
        "--indexes",
        str(indexes_dir),
    )
    done = run_cli(*base, "--format", "json", "--only", "by_*,events_*")
    assert done.returncode == 0, done.stderr
    assert {r["verdict"] for r in json.loads(done.stdout)["results"]} == {"pass"}
    done = run_cli(*base, "--mode", "forced")
    assert done.returncode == 1  # like_anywhere and created_active fail, nothing crashes
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "a hot standby" in done.stdout
