"""Ctrl-C (a real SIGINT) in the middle of a fleet: the running targets' builds are
cancelled and cleaned up as apply alone does it, no other target starts, the summary says
where each target stands (exit 1), and a re-run converges the rest."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psycopg
from fleet_support import CATALOG, by_name, index_names, items_db, write_targets
from live_apply import REPO, cli_env, wait_for_build


def test_sigint_cancels_the_running_targets_starts_no_other_and_a_rerun_converges(
    pg_server, tmp_path
):
    dsns = [items_db(pg_server, rows=5000) for _ in range(4)]
    names = ["one", "two", "three", "four"]
    targets = write_targets(
        tmp_path / "fleet.toml", [{"name": n, "dsn": d} for n, d in zip(names, dsns, strict=True)]
    )
    catalog = tmp_path / "catalog.sql"
    catalog.write_text(CATALOG)
    env = cli_env(tmp_path)
    env["PLINTO_DB_CACHE_DIR"] = str(tmp_path / "cache")
    args = ["apply", "--targets", str(targets), "--indexes", str(catalog)]
    # an old snapshot in each of the first two databases keeps their first build waiting
    blockers = [psycopg.connect(dsn) for dsn in dsns[:2]]
    for blocker in blockers:
        blocker.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        blocker.execute("SELECT 1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "plinto_db", *args, "--parallel", "2", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    try:
        for dsn in dsns[:2]:
            wait_for_build(dsn, "items_name", timeout=60)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for blocker in blockers:
            blocker.close()
    assert proc.returncode == 1, (proc.returncode, out, err)
    assert "Traceback" not in err
    targets = by_name(json.loads(out))
    assert {n: t["state"] for n, t in targets.items()} == {
        "one": "interrupted", "two": "interrupted",
        "three": "not started", "four": "not started",
    }  # fmt: skip
    for name in ("one", "two"):  # apply's own report of the cancelled run, inside
        actions = {a["name"]: a["result"] for a in targets[name]["result"]["actions"]}
        assert actions == {"items_name": "interrupted", "items_sku": "interrupted"}
    assert targets["three"]["exit_code"] is None and targets["three"]["result"] is None
    for dsn in dsns:  # the cancelled builds' invalid indexes were dropped; nothing else began
        assert index_names(dsn) == {}
    with psycopg.connect(dsns[0], autocommit=True) as conn:
        ledger = conn.execute("SELECT index_name, outcome FROM plinto_db.apply_ledger").fetchall()
    assert ("items_name", "interrupted") in ledger
    rerun = subprocess.run(
        [sys.executable, "-m", "plinto_db", *args, "--format", "json"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert {t["state"] for t in json.loads(rerun.stdout)["targets"]} == {"ok"}
    for dsn in dsns:
        assert index_names(dsn) == {"items_name": True, "items_sku": True}
