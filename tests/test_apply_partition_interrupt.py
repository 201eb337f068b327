"""kill -9 of a partitioned apply at each point, then an apply that converges to the same
indexes as an uninterrupted run: after the ON ONLY, between two partitions' builds, after a
build before its ATTACH, and in the middle of a build.

Each point is reached for real: another session holds a lock (or an old snapshot) that the
next statement of apply waits for; the apply process is killed with SIGKILL while it waits,
and its orphaned backend is terminated as a lost client's would be.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from live_apply import REPO, cli_env
from test_apply_partition import INDEXES_SQL

SCHEMA = """
CREATE SCHEMA shop;
CREATE TABLE shop.payment (id bigint, customer_id int, paid_on date)
    PARTITION BY RANGE (paid_on);
CREATE TABLE shop.payment_a PARTITION OF shop.payment
    FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE shop.payment_b PARTITION OF shop.payment
    FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE shop.payment_c PARTITION OF shop.payment
    FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
INSERT INTO shop.payment SELECT g, g % 50, date '2024-01-01' + (g % 90)
    FROM generate_series(1, 3000) g;
"""
CATALOG = "CREATE INDEX payment_customer ON shop.payment (customer_id);\n"
APPLY = "plinto-db apply"


def start_apply(dsn, catalog, env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "plinto_db", "apply", "--dsn", dsn, "--indexes", str(catalog),
         "--lock-timeout", "60", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip


def wait_for_statement(dsn: str, fragment: str, *, waiting: str, timeout: float = 60) -> None:
    """Until apply's DDL session runs a statement containing `fragment`, waiting on
    `waiting` (a wait_event_type: Lock, or a build's phase)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name LIKE %s "
                "AND query LIKE %s AND wait_event_type = %s",
                (f"{APPLY}%", f"%{fragment}%", waiting),
            ).fetchone()
            if row:
                return
            time.sleep(0.1)
    raise AssertionError(f"apply never waited in {fragment!r}")


def kill_apply(proc: subprocess.Popen, dsn: str) -> None:
    """SIGKILL the client, then end its backends as the server ends a lost client's."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE %s",
            (f"{APPLY}%",),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            left = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s",
                (f"{APPLY}%",),
            ).fetchone()[0]
            if not left:
                return
            time.sleep(0.1)


def converge(dsn, catalog, env) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "plinto_db", "apply", "--dsn", dsn, "--indexes", str(catalog),
         "--format", "json"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def final_indexes(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(INDEXES_SQL).fetchall()


# (what holds apply, the statement apply is killed in, the wait it shows)
POINTS = {
    # ON ONLY done, the first partition's build waits for its table
    "after-on-only": ("LOCK shop.payment_a IN SHARE UPDATE EXCLUSIVE MODE", "payment_a", "Lock"),
    # partition a built and attached, b's build waits
    "between-builds": ("LOCK shop.payment_b IN SHARE UPDATE EXCLUSIVE MODE", "payment_b", "Lock"),
    # partition a built, its ATTACH waits for the parent index (a COMMENT holds it)
    "before-attach": ("LOCK shop.payment_a IN SHARE UPDATE EXCLUSIVE MODE", "ATTACH", "Lock"),
}


@pytest.fixture
def shop(new_db, tmp_path):
    def make() -> tuple[str, object, dict]:
        dsn = new_db("empty")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SCHEMA)
        catalog = tmp_path / "c.sql"
        catalog.write_text(CATALOG)
        env = cli_env(tmp_path)
        env["PLINTO_DB_CACHE_DIR"] = str(tmp_path / "cache")
        return dsn, catalog, env

    return make


@pytest.fixture
def uninterrupted(shop):
    dsn, catalog, env = shop()
    converge(dsn, catalog, env)
    return final_indexes(dsn)


@pytest.mark.parametrize("point", sorted(POINTS))
def test_kill_9_then_apply_converges_to_the_uninterrupted_indexes(point, shop, uninterrupted):
    dsn, catalog, env = shop()
    lock_sql, fragment, waiting = POINTS[point]
    holder, parent_holder = psycopg.connect(dsn), psycopg.connect(dsn)
    try:
        holder.execute(lock_sql)
        proc = start_apply(dsn, catalog, env)
        if point == "before-attach":  # hold the ON ONLY index, then let the build through
            _hold_after_on_only(dsn, parent_holder)
            holder.rollback()
        wait_for_statement(dsn, fragment, waiting=waiting)
        kill_apply(proc, dsn)
    finally:
        for conn in (holder, parent_holder):
            conn.rollback()
            conn.close()
    partial = final_indexes(dsn)
    assert any(row[0] == "payment_customer" and row[3] is False for row in partial), partial
    doc = converge(dsn, catalog, env)
    assert doc["converged"] is True
    built = [s for a in doc["actions"] for s in a["sql"] if s.startswith("CREATE INDEX")]
    attached_before = sum(1 for row in partial if row[4] == "payment_customer")
    assert len(built) == 3 - attached_before - (point == "before-attach")  # nothing twice
    assert final_indexes(dsn) == uninterrupted


def _hold_after_on_only(dsn: str, holder: psycopg.Connection) -> None:
    """Once the ON ONLY index exists, a COMMENT on it (rolled back later) holds the SHARE
    UPDATE EXCLUSIVE lock an ATTACH needs on the parent index."""
    deadline = time.monotonic() + 60
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT to_regclass('shop.payment_customer')").fetchone()[0]:
                wait_for_statement(dsn, "CONCURRENTLY", waiting="Lock")
                holder.execute("COMMENT ON INDEX shop.payment_customer IS 'held'")
                return
            time.sleep(0.02)
    raise AssertionError("the ON ONLY index never appeared")


def test_kill_9_mid_build_leaves_an_invalid_index_the_next_apply_drops_and_rebuilds(
    shop, uninterrupted
):
    dsn, catalog, env = shop()
    _killed_mid_build(dsn, catalog, env)
    partial = {row[0]: row for row in final_indexes(dsn)}
    assert partial["payment_a_payment_customer"][3] is False  # the killed build's leftover
    doc = converge(dsn, catalog, env)
    sql = [s for a in doc["actions"] for s in a["sql"]]
    assert "DROP INDEX CONCURRENTLY IF EXISTS shop.payment_a_payment_customer" in sql
    assert final_indexes(dsn) == uninterrupted


def _killed_mid_build(dsn, catalog, env) -> None:
    """The first partition's build waits in its last phase for an old snapshot; killed."""
    blocker = psycopg.connect(dsn)
    blocker.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    blocker.execute("SELECT 1")
    try:
        proc = start_apply(dsn, catalog, env)
        wait_for_statement(dsn, "CONCURRENTLY", waiting="Lock")
        kill_apply(proc, dsn)
    finally:
        blocker.rollback()
        blocker.close()


def test_a_partition_build_running_in_another_session_is_waited_for_then_attached(
    shop, uninterrupted
):
    """apply's sessions make the server cancel a killed apply's build within seconds
    (client_connection_check_interval), so a build found running is another session's: apply
    waits for it, then attaches what it built instead of building it again."""
    import threading

    dsn, catalog, env = shop()
    blocker = psycopg.connect(dsn)  # an old snapshot holds the other session's build
    blocker.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    blocker.execute("SELECT 1")
    other = psycopg.connect(dsn, autocommit=True)
    build = threading.Thread(
        target=other.execute,
        args=("CREATE INDEX CONCURRENTLY payment_a_payment_customer ON shop.payment_a "
              "(customer_id)",),
    )  # fmt: skip
    rerun = None
    try:
        build.start()
        _wait_for_build(dsn)
        rerun = start_apply(dsn, catalog, env)
        _wait_for_the_wait(dsn)
    finally:
        blocker.rollback()
        blocker.close()
        build.join(timeout=120)
        other.close()
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, out + err
    sql = [s for a in json.loads(out)["actions"] for s in a["sql"]]
    assert not any("payment_a_payment_customer ON" in s for s in sql), sql  # not built twice
    assert (
        "ALTER INDEX shop.payment_customer ATTACH PARTITION shop.payment_a_payment_customer" in sql
    )
    assert final_indexes(dsn) == uninterrupted


def _wait_for_build(dsn: str) -> None:
    deadline = time.monotonic() + 60
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT 1 FROM pg_stat_progress_create_index").fetchone():
                return
            time.sleep(0.1)
    raise AssertionError("the other session's build never started")


def _wait_for_the_wait(dsn: str) -> None:
    """Until apply's DDL session polls pg_stat_progress_create_index: it waits for the
    other session's build."""
    deadline = time.monotonic() + 60
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name LIKE %s AND query LIKE %s",
                (f"{APPLY}: wait%", "%pg_stat_progress_create_index%"),
            ).fetchone():
                return
            time.sleep(0.1)
    raise AssertionError("apply never waited for the other session's build")


def drop(dsn, catalog, env, *extra: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "plinto_db", "drop", "--dsn", dsn, "--indexes", str(catalog),
         "--yes", "--format", "json", *extra],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def _killed_before_attach(dsn, catalog, env) -> None:
    """Partition a's index built, the apply killed while its ATTACH waits."""
    holder, parent_holder = psycopg.connect(dsn), psycopg.connect(dsn)
    try:
        holder.execute(POINTS["before-attach"][0])
        proc = start_apply(dsn, catalog, env)
        _hold_after_on_only(dsn, parent_holder)
        holder.rollback()
        wait_for_statement(dsn, "ATTACH", waiting="Lock")
        kill_apply(proc, dsn)
    finally:
        for conn in (holder, parent_holder):
            conn.rollback()
            conn.close()


def test_drop_after_a_kill_before_attach_drops_the_unattached_partition_index_concurrently(
    shop,
):
    dsn, catalog, env = shop()
    _killed_before_attach(dsn, catalog, env)
    left = {row[0]: row for row in final_indexes(dsn)}
    assert left["payment_a_payment_customer"][3:] == (True, "")  # built, never attached
    doc = drop(dsn, catalog, env)
    sql = [s for a in doc["actions"] for s in a["sql"]]
    assert "DROP INDEX IF EXISTS shop.payment_customer" in sql
    assert "DROP INDEX CONCURRENTLY IF EXISTS shop.payment_a_payment_customer" in sql
    assert final_indexes(dsn) == []


def test_drop_after_a_kill_mid_build_drops_the_invalid_partition_index(shop):
    dsn, catalog, env = shop()
    _killed_mid_build(dsn, catalog, env)
    assert {row[0] for row in final_indexes(dsn)} == {
        "payment_customer",
        "payment_a_payment_customer",
    }
    drop(dsn, catalog, env)
    assert final_indexes(dsn) == []


def test_drop_leaves_alone_an_index_of_apply_s_name_with_another_definition(shop):
    dsn, catalog, env = shop()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE INDEX payment_customer ON ONLY shop.payment (customer_id)")
        conn.execute("CREATE INDEX payment_a_payment_customer ON shop.payment_a (paid_on)")
    drop(dsn, catalog, env)
    assert [row[0] for row in final_indexes(dsn)] == ["payment_a_payment_customer"]


def test_replace_drifted_after_a_kill_before_attach_rebuilds_the_old_definition_s_leftover(
    shop, tmp_path
):
    dsn, catalog, env = shop()
    _killed_before_attach(dsn, catalog, env)
    with psycopg.connect(dsn, autocommit=True) as conn:  # the parent made valid by hand
        for part in ("b", "c"):
            conn.execute(f"CREATE INDEX p_{part} ON shop.payment_{part} (customer_id)")
            conn.execute(f"ALTER INDEX shop.payment_customer ATTACH PARTITION shop.p_{part}")
        conn.execute("CREATE INDEX p_a ON shop.payment_a (customer_id)")
        conn.execute("ALTER INDEX shop.payment_customer ATTACH PARTITION shop.p_a")
    changed = tmp_path / "changed.sql"
    changed.write_text("CREATE INDEX payment_customer ON shop.payment (customer_id, id);\n")
    done = subprocess.run(
        [sys.executable, "-m", "plinto_db", "apply", "--dsn", dsn, "--indexes", str(changed),
         "--replace-drifted", "--format", "json"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    rows = final_indexes(dsn)
    assert sorted(r[0] for r in rows) == [
        "payment_a_payment_customer",
        "payment_b_payment_customer",
        "payment_c_payment_customer",
        "payment_customer",
    ]
    assert all(r[3] and "(customer_id, id)" in r[2] for r in rows)
