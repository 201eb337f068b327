"""A build whose session dies (terminated by a DBA, a pooler, a network cut), a lost control
session, a name taken after the plan: apply leaves no INVALID index of its own behind, never
drops another session's index, and says what happened in one line."""

from __future__ import annotations

import json

import psycopg
from live_apply import apply_held_by_old_snapshot, cli_env, wait_for_build


def test_terminated_build_session_is_cleaned_up(new_db, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int, name text)")
        conn.execute("INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 2000) g")
    catalog = tmp_path / "c.sql"
    catalog.write_text("CREATE INDEX items_name ON items (name);\n")
    args = ["--indexes", str(catalog), "--format", "json"]
    with apply_held_by_old_snapshot(dsn, args, cli_env(tmp_path)) as (proc, _):
        build_pid = wait_for_build(dsn, "items_name", timeout=60)
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (build_pid,))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, (out, err)
    (action,) = json.loads(out)["actions"]
    assert action["result"] == "failed"
    assert "the invalid index was dropped" in action["detail"], action["detail"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('items_name')").fetchone()[0] is None


def test_losing_the_control_session_is_one_line_not_an_internal_error(new_db, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int, name text)")
    catalog = tmp_path / "c.sql"
    catalog.write_text("CREATE INDEX items_name ON items (name);\n")
    args = ["--indexes", str(catalog)]
    with apply_held_by_old_snapshot(dsn, args, cli_env(tmp_path)) as (proc, blocker):
        wait_for_build(dsn, "items_name", timeout=60)
        with psycopg.connect(dsn, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name LIKE '%(control)'"
            ).fetchall()
            assert killed == [(True,)]
        blocker.rollback()  # the build can finish now; recording it needs the lost session
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, (out, err)
    assert "internal error" not in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("plinto-db: error: lost the connection"), err


def test_a_name_taken_after_the_plan_is_not_dropped_by_the_cleanup(new_db, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE a (x int)")
        conn.execute("CREATE TABLE b (y int)")
    catalog = tmp_path / "c.sql"
    catalog.write_text("CREATE INDEX a_x ON a (x);\nCREATE INDEX b_y ON b (y);\n")
    args = ["--indexes", str(catalog), "--format", "json"]
    with apply_held_by_old_snapshot(dsn, args, cli_env(tmp_path)) as (proc, blocker):
        wait_for_build(dsn, "a_x", timeout=60)
        with psycopg.connect(dsn, autocommit=True) as admin:
            # someone else creates the second index while apply waits on the first
            admin.execute("CREATE INDEX b_y ON b (y)")
        blocker.rollback()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, (out, err)
    actions = {a["name"]: a for a in json.loads(out)["actions"]}
    assert actions["a_x"]["result"] == "done"
    assert actions["b_y"]["result"] == "failed"
    assert "already exists" in actions["b_y"]["detail"]
    assert "dropped" not in actions["b_y"]["detail"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        valid = conn.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('b_y')"
        ).fetchone()
    assert valid == (True,)  # the other session's index is still there
