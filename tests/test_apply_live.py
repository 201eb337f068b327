"""apply under live traffic and hard failure: a writer loses nothing; SIGKILL mid-build
leaves a state the next apply converges from. Real servers (PG15, PG18)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
from live_apply import cli_env, wait_for_build
from test_apply import catalog_indexes

REPO = Path(__file__).resolve().parent.parent


class Writer(threading.Thread):
    """Inserts and updates sessions in autocommit, as an application would."""

    def __init__(self, dsn: str):
        super().__init__(daemon=True)
        self.dsn = dsn
        self.stop = threading.Event()
        self.inserted = 0
        self.updated = 0
        self.errors: list[BaseException] = []

    def run(self) -> None:
        rng = random.Random(7)
        try:
            with psycopg.connect(self.dsn, autocommit=True, application_name="writer") as conn:
                users = [r[0] for r in conn.execute("SELECT id FROM users LIMIT 500")]
                sessions = [r[0] for r in conn.execute("SELECT id FROM sessions LIMIT 500")]
                n = 0
                while not self.stop.is_set():
                    n += 1
                    conn.execute(
                        "INSERT INTO sessions (user_id, access_token_jti, refresh_token_jti, "
                        "status, revoked, expires_at) VALUES (%s, %s, %s, 'active', false, "
                        "now() + interval '7 days')",
                        (rng.choice(users), f"writer-a-{n}", f"writer-r-{n}"),
                    )
                    self.inserted += 1
                    conn.execute(
                        "UPDATE sessions SET status = %s, revoked = %s, last_active_at = now() "
                        "WHERE id = %s",
                        (
                            rng.choice(["active", "expired", "revoked"]),
                            rng.random() < 0.2,
                            rng.choice(sessions),
                        ),
                    )
                    self.updated += 1
        except BaseException as exc:  # noqa: BLE001 - every error is a test failure
            self.errors.append(exc)


def test_a_writer_loses_no_rows_and_sees_no_errors_during_apply(new_db, run_cli):
    dsn = new_db("seeded")
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows_before = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    writer = Writer(dsn)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while writer.inserted < 20 and time.monotonic() < deadline and not writer.errors:
            time.sleep(0.05)
        during_start = writer.inserted
        proc = run_cli("apply", "--dsn", dsn, "--jobs", "2", "--format", "json")
        during = writer.inserted - during_start
    finally:
        writer.stop.set()
        writer.join(30)
    assert not writer.errors, writer.errors
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["converged"] is True
    assert during > 0, "the writer did not run during the apply"

    with psycopg.connect(dsn, autocommit=True) as conn:
        rows_after = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        assert rows_after == rows_before + writer.inserted
        # every index is valid, and every heap row is in every btree index (amcheck)
        assert all(valid for _, _, valid in catalog_indexes(dsn).values())
        conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        btrees = conn.execute(
            "SELECT c.oid, c.relname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
            "WHERE c.relname LIKE 'idx\\_%' AND am.amname = 'btree'"
        ).fetchall()
        assert len(btrees) == 41
        for oid, _name in btrees:
            conn.execute("SELECT bt_index_check(%s::regclass, true)", (oid,))
        # the partial indexes agree with the heap for the rows the writer touched
        conn.execute("SET enable_seqscan = off")
        via_index = conn.execute(
            "SELECT count(*) FROM sessions WHERE status = 'active' AND revoked = false "
            "AND access_token_jti LIKE 'writer-a-%'"
        ).fetchone()[0]
        conn.execute("RESET enable_seqscan")
        conn.execute("SET enable_indexscan = off")
        conn.execute("SET enable_bitmapscan = off")
        via_heap = conn.execute(
            "SELECT count(*) FROM sessions WHERE status = 'active' AND revoked = false "
            "AND access_token_jti LIKE 'writer-a-%'"
        ).fetchone()[0]
        assert via_index == via_heap
    status = run_cli("status", "--dsn", dsn)
    assert status.returncode == 0, status.stdout


def test_sigkill_mid_build_leaves_a_state_the_next_apply_converges_from(new_db, run_cli, tmp_path):
    dsn = new_db("schema")
    snapshot = psycopg.connect(dsn, application_name="old-snapshot")
    try:
        # the build will wait in "waiting for old snapshots" until this transaction ends
        snapshot.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        snapshot.execute("SELECT 1").fetchone()
        proc = subprocess.Popen(
            [sys.executable, "-m", "plinto_db", "apply", "--dsn", dsn, "--table", "passkeys"],
            cwd=REPO,
            env=cli_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            build_pid = wait_for_build(dsn, "idx_passkeys_user_id")
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        # mid-build: the index exists, invalid
        assert catalog_indexes(dsn)["idx_passkeys_user_id"][2] is False
        # the orphaned build notices its client is gone (client_connection_check_interval)
        deadline = time.monotonic() + 20
        with psycopg.connect(dsn, autocommit=True) as conn:
            while time.monotonic() < deadline:
                alive = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (build_pid,)
                ).fetchone()[0]
                if not alive:
                    break
                time.sleep(0.2)
        assert not alive, "the killed apply's build kept running"
    finally:
        snapshot.rollback()
        snapshot.close()

    status = json.loads(run_cli("status", "--dsn", dsn, "--format", "json").stdout)
    assert {r["name"]: r["state"] for r in status["indexes"]}["idx_passkeys_user_id"] == "invalid"
    proc = run_cli("apply", "--dsn", dsn, "--format", "json", "--wait")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["converged"] is True
    healed = next(a for a in doc["actions"] if a["name"] == "idx_passkeys_user_id")
    assert healed["action"] == "rebuild-invalid" and healed["result"] == "done"
    indexes = catalog_indexes(dsn)
    assert len(indexes) == 45 and all(valid for _, _, valid in indexes.values())


def test_a_second_apply_while_one_runs_exits_4_naming_it(new_db, run_cli, tmp_path):
    dsn = new_db("schema")
    snapshot = psycopg.connect(dsn)
    first = None
    try:
        snapshot.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        snapshot.execute("SELECT 1").fetchone()
        first = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "plinto_db",
                "apply",
                "--dsn",
                dsn,
                "--table",
                "passkeys",
                "--format",
                "json",
            ],
            cwd=REPO,
            env=cli_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        wait_for_build(dsn, "idx_passkeys_user_id")
        second = run_cli("apply", "--dsn", dsn, "--table", "passkeys")
        assert second.returncode == 4
        assert "another plinto-db apply holds the lock" in second.stderr
        assert "plinto-db apply (control)" in second.stderr
        snapshot.rollback()
        out, _ = first.communicate(timeout=60)
        assert first.returncode == 0
        assert json.loads(out)["converged"] is True
    finally:
        snapshot.close()
        if first is not None and first.poll() is None:
            first.kill()
            first.wait(30)


def test_apply_waits_for_another_sessions_build_then_decides_again(new_db, run_cli):
    dsn = new_db("schema")
    snapshot = psycopg.connect(dsn)
    other = psycopg.connect(dsn, autocommit=True, application_name="someone-else")
    thread = None
    try:
        snapshot.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        snapshot.execute("SELECT 1").fetchone()
        thread = threading.Thread(
            target=other.execute,
            args=("CREATE INDEX CONCURRENTLY idx_passkeys_user_id ON passkeys (user_id)",),
        )
        thread.start()
        wait_for_build(dsn, "idx_passkeys_user_id")
        oid = catalog_indexes(dsn)["idx_passkeys_user_id"][0]
        releaser = threading.Timer(2.0, snapshot.rollback)
        releaser.start()
        proc = run_cli("apply", "--dsn", dsn, "--table", "passkeys", "--format", "json")
        releaser.join()
        thread.join(30)
    finally:
        snapshot.close()
        other.close()
    assert proc.returncode == 0, proc.stderr
    (action,) = json.loads(proc.stdout)["actions"]
    assert action["action"] == "skip" and action["result"] == "skipped"
    assert "waited" in action["detail"]
    assert [w["application"] for w in action["waits"]] == ["someone-else"]
    # the other session's index was kept, not rebuilt
    assert catalog_indexes(dsn)["idx_passkeys_user_id"][0] == oid
