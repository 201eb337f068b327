"""The short steps (drop, swap, analyze) wait for a lock no longer than --lock-timeout, retry
--retries times, then give up: exit 4 for a drop or a swap, a note for the optional ANALYZE.
A DDL session without lock_timeout would queue behind the holder for good (and every query
on the table behind it): each test fails instead of hanging."""

from __future__ import annotations

import json
import threading
import time

import psycopg
import pytest

from plinto_db.apply.actions import Action, ActionKind, Step, StepKind
from plinto_db.apply.outcome import Events, Outcome, Result
from plinto_db.apply.sessions import DdlSessions
from plinto_db.apply.steps import Blocked, StepRunner

GIVE_UP_WITHIN = 30.0  # seconds; the steps below give up after well under 2 s


@pytest.fixture
def table_db(new_db):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int, name text)")
        conn.execute("INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 500) g")
        conn.execute("CREATE INDEX items_name ON items (name)")
    return dsn


def _hold(dsn: str, statement: str) -> psycopg.Connection:
    """A session that holds a lock in an open transaction until the test closes it."""
    holder = psycopg.connect(dsn)
    holder.execute(statement)
    return holder


def _catalog(tmp_path, text: str):
    path = tmp_path / "catalog.sql"
    path.write_text(text)
    return str(path)


def test_drop_blocked_by_a_lock_gives_up_after_the_retries_with_exit_4(table_db, run_cli, tmp_path):
    catalog = _catalog(tmp_path, "CREATE INDEX items_name ON items (name);\n")
    holder = _hold(table_db, "LOCK TABLE items IN SHARE MODE")
    try:
        started = time.monotonic()
        result = run_cli(
            "drop", "--dsn", table_db, "--indexes", catalog, "--yes", "--format", "json",
            "--lock-timeout", "0.2", "--retries", "1", timeout=GIVE_UP_WITHIN,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    finally:
        holder.close()
    assert result.returncode == 4, result.stderr
    (action,) = json.loads(result.stdout)["actions"]
    assert action["result"] == "blocked"
    assert "could not get a lock within --lock-timeout 0.2s after 2 attempts" in action["detail"]
    assert elapsed < GIVE_UP_WITHIN
    with psycopg.connect(table_db) as conn:  # nothing half done: the index is still there
        assert conn.execute("SELECT to_regclass('items_name')").fetchone()[0] is not None


def test_apply_blocked_dropping_an_invalid_index_exits_4(table_db, run_cli, tmp_path):
    with psycopg.connect(table_db, autocommit=True) as conn:
        conn.execute("INSERT INTO items VALUES (1, 'dup'), (2, 'dup')")
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY items_name_u ON items (name)")
    catalog = _catalog(tmp_path, "CREATE INDEX items_name_u ON items (name);\n")
    holder = _hold(table_db, "LOCK TABLE items IN SHARE MODE")
    try:
        result = run_cli(
            "apply", "--dsn", table_db, "--indexes", catalog, "--format", "json",
            "--lock-timeout", "200ms", "--retries", "0", timeout=GIVE_UP_WITHIN,
        )  # fmt: skip
    finally:
        holder.close()
    assert result.returncode == 4, result.stderr
    (action,) = json.loads(result.stdout)["actions"]
    assert (action["action"], action["result"]) == ("rebuild-invalid", "blocked")


def _runner(dsn: str, lock_timeout: float = 0.2, retries: int = 1) -> StepRunner:
    sessions = DdlSessions(dsn, "plinto-db test", lock_timeout)
    return StepRunner(
        sessions, Events(), lock_timeout=lock_timeout, retries=retries, build_timeout=None
    )


def _run_guarded(dsn: str, holder: psycopg.Connection, work) -> BaseException | None:
    """Run `work` in a thread; if it still waits after GIVE_UP_WITHIN, release the lock
    (so the test ends) and fail: the session had no lock_timeout."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # handed back to the test
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(GIVE_UP_WITHIN)
    if thread.is_alive():
        holder.rollback()
        thread.join()
        pytest.fail("the step waited past --lock-timeout: the DDL session has no lock_timeout")
    return failure[0] if failure else None


def test_a_swap_waits_no_longer_than_the_lock_timeout(table_db):
    with psycopg.connect(table_db, autocommit=True) as conn:
        conn.execute("CREATE INDEX items_name_plnew ON items (name)")
    swap = Step(
        StepKind.SWAP,
        (
            "ALTER INDEX public.items_name RENAME TO items_name_plold",
            "ALTER INDEX public.items_name_plnew RENAME TO items_name",
        ),
        "items_name",
        "public.items_name",
    )
    action = Action("items_name", "public.items", ActionKind.REPLACE_DRIFTED, None, (swap,))
    runner = _runner(table_db)
    # ALTER INDEX RENAME locks the index, not its table: hold a lock on the index itself
    holder = _hold(table_db, "ALTER INDEX items_name SET (fillfactor = 90)")
    conn = runner.sessions.acquire(action)
    try:
        failure = _run_guarded(
            table_db, holder, lambda: runner.short_lock(conn, swap, Outcome(action, Result.DONE))
        )
    finally:
        holder.close()
        conn.close()
    assert isinstance(failure, Blocked), failure
    with psycopg.connect(table_db) as check:  # the swap is one transaction: nothing renamed
        names = {r[0] for r in check.execute("SELECT relname FROM pg_class WHERE relkind = 'i'")}
    assert {"items_name", "items_name_plnew"} <= names


def test_a_blocked_analyze_is_skipped_with_a_note_and_the_action_succeeds(table_db):
    analyze = Step(
        StepKind.ANALYZE,
        ("ANALYZE public.items",),
        "items_name",
        "public.items_name",
        optional=True,
        why="autovacuum will analyze later",
    )
    action = Action("items_name", "public.items", ActionKind.CREATE, None, (analyze,))
    runner = _runner(table_db)
    outcome = Outcome(action, Result.DONE)
    holder = _hold(table_db, "LOCK TABLE items IN SHARE UPDATE EXCLUSIVE MODE")
    conn = runner.sessions.acquire(action)
    try:
        failure = _run_guarded(table_db, holder, lambda: runner.run(conn, action, analyze, outcome))
    finally:
        holder.close()
        conn.close()
    assert failure is None
    assert outcome.result == Result.DONE
    assert outcome.detail.startswith("ANALYZE skipped (ANALYZE public.items: could not get a lock")
    assert outcome.detail.endswith("autovacuum will analyze later")
