"""Ctrl-C (SIGINT) during apply: exit code 1 and result `interrupted`; the build is
cancelled, its invalid index dropped, the action recorded in the ledger, and the next apply
converges. Interrupted while waiting for another apply's lock: one line, exit 1."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psycopg
from live_apply import REPO, apply_held_by_old_snapshot, cli_env, wait_for_build


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
    env = cli_env(tmp_path)
    env["PLINTO_DB_CACHE_DIR"] = str(tmp_path / "cache")
    args = ["--indexes", str(catalog)]
    # an old snapshot keeps the first build waiting ("waiting for old snapshots")
    with apply_held_by_old_snapshot(dsn, [*args, "--format", "json"], env) as (proc, _):
        wait_for_build(dsn, "items_name", timeout=60)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
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
        [sys.executable, "-m", "plinto_db", "apply", "--dsn", dsn, *args, "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["converged"] is True


def test_sigint_while_waiting_for_the_lock_exits_1_with_one_line(new_db, tmp_path):
    from plinto_db.apply.lock import LOCK_KEY

    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int, name text)")
    catalog = tmp_path / "c.sql"
    catalog.write_text("CREATE INDEX items_name ON items (name);\n")
    env = cli_env(tmp_path)
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
