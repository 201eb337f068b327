"""`plinto-db status` and `history` renderings on a real server (PG15, PG18)."""

from __future__ import annotations

import json

import psycopg


def test_status_reports_every_state_in_each_format(new_db, run_cli, tmp_path):
    dsn = new_db("schema")
    catalog = tmp_path / "c.sql"
    catalog.write_text(
        "-- three indexes on passkeys\n"
        "CREATE INDEX st_valid ON passkeys (user_id);\n"
        "CREATE INDEX st_drift ON passkeys (created_at DESC);\n"
        "CREATE INDEX st_missing ON passkeys (name);\n"
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE INDEX st_valid ON passkeys USING btree (user_id ASC)")
        conn.execute("CREATE INDEX st_drift ON passkeys (created_at)")
        conn.execute("CREATE INDEX st_valid_ccold ON passkeys (user_id)")

    proc = run_cli("status", "--dsn", dsn, "--indexes", str(catalog), "--format", "json")
    assert proc.returncode == 1
    rows = {r["name"]: r for r in json.loads(proc.stdout)["indexes"]}
    assert rows["st_valid"]["state"] == "valid"
    assert rows["st_drift"]["state"] == "drifted"
    assert "created_at ASC instead of DESC" in rows["st_drift"]["detail"]
    assert rows["st_missing"]["state"] == "missing" and rows["st_missing"]["size_bytes"] is None
    assert rows["st_missing"]["file"] == f"{catalog}:4"
    assert rows["st_valid_ccold"]["state"] == "leftover"
    assert rows["passkeys_pkey"]["state"] == "not-in-catalog"
    assert "backs constraint passkeys_pkey" in rows["passkeys_pkey"]["detail"]

    markdown = run_cli("status", "--dsn", dsn, "--indexes", str(catalog), "--format", "markdown")
    assert markdown.returncode == 1
    assert "| name | table | state | size | scans | detail |" in markdown.stdout
    assert "| st_missing | public.passkeys | missing |" in markdown.stdout

    table = run_cli("status", "--dsn", dsn, "--indexes", str(catalog), env={"COLUMNS": "200"})
    assert table.returncode == 1
    assert "st_drift" in table.stdout and "drifted" in table.stdout

    # once applied (drift replaced), status is all valid and exits 0
    applied = run_cli(
        "apply",
        "--dsn",
        dsn,
        "--indexes",
        str(catalog),
        "--replace-drifted",
        "--format",
        "markdown",
    )
    assert applied.returncode == 0, applied.stderr
    assert "| st_drift | public.passkeys | replace-drifted | done |" in applied.stdout
    assert run_cli("status", "--dsn", dsn, "--indexes", str(catalog)).returncode == 0

    history = run_cli("history", "--dsn", dsn, "--format", "markdown")
    assert "| st_drift | public.passkeys | replace-drifted | done |" in history.stdout
    assert run_cli("history", "--dsn", dsn, "--limit", "1", env={"COLUMNS": "200"}).returncode == 0


def test_history_without_a_ledger(new_db, run_cli):
    dsn = new_db("schema")
    proc = run_cli("history", "--dsn", dsn)
    assert proc.returncode == 0
    assert "no apply has been recorded" in proc.stdout
    assert json.loads(run_cli("history", "--dsn", dsn, "--format", "json").stdout)["entries"] == []
