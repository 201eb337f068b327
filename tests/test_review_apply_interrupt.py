"""Review of issue 3 (apply): Ctrl-C (SIGINT) during a build.

The README promises exit code 1 ("the run was interrupted") and result `interrupted`; the
build is cancelled, its invalid index dropped, the action recorded in the ledger, and the
next apply converges.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent


def test_sigint_mid_build_reports_interrupted_and_the_rerun_converges(new_db, tmp_path):
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA app")
        conn.execute("CREATE TABLE app.items (id int, name text, sku text)")
        conn.execute(
            "INSERT INTO app.items SELECT g, 'n' || g, 's' || g FROM generate_series(1, 5000) g"
        )
    catalog = tmp_path / "c.sql"
    catalog.write_text(
        "CREATE INDEX items_name ON app.items (name);\nCREATE INDEX items_sku ON app.items (sku);\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PLINTO_DB_DSN", "DATABASE_URL")}
    env["PLINTO_DB_DATA_DIR"] = str(tmp_path / "no-embedded-here")
    env["PLINTO_DB_CACHE_DIR"] = str(tmp_path / "cache")
    command = [sys.executable, "-m", "plinto_db", "apply", "--dsn", dsn, "--indexes", str(catalog)]
    # an old snapshot keeps the first build waiting ("waiting for old snapshots")
    blocker = psycopg.connect(dsn)
    blocker.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    blocker.execute("SELECT 1")
    proc = subprocess.Popen(
        [*command, "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        with psycopg.connect(dsn, autocommit=True) as watch:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                building = watch.execute(
                    "SELECT count(*) FROM pg_stat_progress_create_index p "
                    "JOIN pg_class c ON c.oid = p.relid WHERE c.relname = 'items'"
                ).fetchone()[0]
                if building:
                    break
                time.sleep(0.1)
            assert building, "the build never started"
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        blocker.close()
    assert proc.returncode == 1, (proc.returncode, out, err)
    assert "Traceback" not in err
    doc = json.loads(out)
    results = {a["name"]: a["result"] for a in doc["actions"]}
    assert results == {"items_name": "interrupted", "items_sku": "interrupted"}
    assert doc["converged"] is False and doc["exit_code"] == 1
    with psycopg.connect(dsn, autocommit=True) as conn:
        left = conn.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'app.items'::regclass"
        ).fetchall()
        assert left == []  # the cancelled build's invalid index was dropped
        ledger = conn.execute(
            "SELECT index_name, outcome FROM plinto_db.apply_ledger ORDER BY id"
        ).fetchall()
        assert ("items_name", "interrupted") in ledger
    rerun = subprocess.run(
        [*command, "--format", "json"], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["converged"] is True


def test_sigint_while_waiting_for_the_lock_exits_1_with_one_line(new_db, tmp_path):
    from plinto_db.apply_lock import LOCK_KEY

    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int, name text)")
    catalog = tmp_path / "c.sql"
    catalog.write_text("CREATE INDEX items_name ON items (name);\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PLINTO_DB_DSN", "DATABASE_URL")}
    env["PLINTO_DB_DATA_DIR"] = str(tmp_path / "no-embedded-here")
    holder = psycopg.connect(dsn, autocommit=True)
    try:
        holder.execute("SELECT pg_advisory_lock(%s::bigint)", (LOCK_KEY,))
        proc = subprocess.Popen(
            [sys.executable, "-m", "plinto_db", "apply", "--dsn", dsn, "--indexes", str(catalog),
             "--wait"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            waiting = holder.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'plinto-db%'"
            ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.1)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        holder.close()
    assert proc.returncode == 1, (proc.returncode, err)
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("plinto-db: error: interrupted"), err
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('items_name')").fetchone()[0] is None
