"""Forced mode (`enable_seqscan = off`): can an index serve the query at all?

When the planner prefers a competing index on the same table, the competitor is hidden
(dropped inside a rolled-back savepoint) and the query planned again. Real PostgreSQL 15
and 18, on a user's own schema (tests/check_helpers.py).
"""

from __future__ import annotations

import psycopg
from check_helpers import build_app, by_name, run, write_inputs

from plinto_db.check.judge import Verdict


def test_forced_mode_hides_a_competitor_outside_the_search_path(app_db, tmp_path):
    checks = {
        "created_active": (
            "-- expect: index accounts_created_idx\n"
            'SELECT "Id" FROM app."Accounts" WHERE created > \'2025-05-30\' '
            "AND status = 'active';\n"
        )
    }
    result = by_name(run(app_db, write_inputs(tmp_path, checks), mode="forced"))
    found = result["created_active"]
    assert found.verdict is Verdict.PASS, found.message
    assert any("hid app.accounts_active_idx" in note for note in found.notes), found.notes
    with psycopg.connect(app_db) as conn:  # the hidden index is back
        row = conn.execute("SELECT to_regclass('app.accounts_active_idx')").fetchone()
        assert row[0] is not None


def test_forced_mode_hides_a_competing_partitioned_index(pg_server, tmp_path):
    dsn = pg_server.create_database()
    try:
        build_app(dsn, data=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE INDEX events_account_at_idx ON app.events (account_id, at)")
        checks = {
            "account_since": (
                "-- expect: index events_account_idx\n"
                "SELECT * FROM app.events WHERE account_id = 42 AND at > '2024-05-01'\n"
            )
        }
        result = by_name(run(dsn, write_inputs(tmp_path, checks), mode="forced"))["account_since"]
        assert result.verdict is Verdict.PASS, result.message
        assert result.used == ("events_account_idx",)
        assert any("hid app.events_account_at_idx" in note for note in result.notes), result.notes
        with psycopg.connect(dsn) as conn:  # rolled back: every partition keeps its index
            count = conn.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%(account_id, at)'"
            ).fetchone()[0]
            assert count == 3
    finally:
        pg_server.drop_database(dsn)


def test_forced_mode_hides_a_partitions_own_competing_index(pg_server, tmp_path):
    dsn = pg_server.create_database()
    try:
        build_app(dsn, data=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE INDEX events_2024_own_idx ON app.events_2024 (account_id, at)")
        checks = {
            "account_in_may": (
                "-- expect: index events_account_idx\n"
                "SELECT * FROM app.events WHERE account_id = 42 "
                "AND at > '2024-05-01' AND at < '2024-06-01'\n"
            )
        }
        result = by_name(run(dsn, write_inputs(tmp_path, checks), mode="forced"))["account_in_may"]
        assert result.verdict is Verdict.PASS, result.message
        assert any("hid app.events_2024_own_idx" in note for note in result.notes), result.notes
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT to_regclass('app.events_2024_own_idx')").fetchone()
            assert row[0] is not None
    finally:
        pg_server.drop_database(dsn)


# --- reading an index is not using it (issue 9), on a real server

FULL_READS = {
    "like_anywhere": (  # no btree can serve LIKE '%…%': seq scans off, it reads the index whole
        '-- expect: index "Accounts_Email_idx"\n'
        'SELECT "Email" FROM app."Accounts" WHERE "Email" LIKE \'%u42%\'\n'
    ),
    "count_all": '-- expect: index-on app."Accounts"\nSELECT count(*) FROM app."Accounts"\n',
    "count_no_seq": '-- expect: no-seqscan app."Accounts"\nSELECT count(*) FROM app."Accounts"\n',
    "count_gap": '-- expect: seqscan app."Accounts"\nSELECT count(*) FROM app."Accounts"\n',
    "newest_first": (  # ORDER BY ... LIMIT: the index delivers the order, no condition needed
        "-- expect: index accounts_created_idx\n"
        'SELECT "Id" FROM app."Accounts" ORDER BY created DESC LIMIT 10\n'
    ),
    "by_uuid": (
        "-- expect: index accounts_ext_idx\n"
        "SELECT 1 FROM app.\"Accounts\" WHERE ext_id = '00000000-0000-0000-0000-000000000001'\n"
    ),
}


def test_forced_mode_fails_a_full_index_read_and_keeps_filtering_or_ordering_ones(app_db, tmp_path):
    result = run(app_db, write_inputs(tmp_path, FULL_READS), mode="forced")
    got = by_name(result)
    verdicts = {name: r.verdict for name, r in got.items()}
    assert verdicts == {
        "like_anywhere": Verdict.FAIL,
        "count_all": Verdict.FAIL,
        "count_no_seq": Verdict.FAIL,
        "count_gap": Verdict.PASS,
        "newest_first": Verdict.PASS,
        "by_uuid": Verdict.PASS,
    }, {name: r.message for name, r in got.items()}
    forced_off = "with no condition (the planner was forced off a sequential scan)"
    assert got["like_anywhere"].reasons == (f'full scan of app."Accounts_Email_idx" {forced_off}',)
    for name in ("count_all", "count_no_seq"):
        assert got[name].reasons[0].startswith("full scan of "), got[name].reasons
        assert got[name].reasons[0].endswith(forced_off)
    assert got["count_gap"].reasons == ()
    # coverage: only indexes used to filter or order, named by a passing check
    coverage = {c.name: c for c in result.coverage}
    assert coverage["accounts_ext_idx"].state.value == "proven"
    assert coverage["Accounts_Email_idx"].state.value == "unproven"
    assert coverage["Accounts_Email_idx"].reason == "used only by failing checks: like_anywhere"
