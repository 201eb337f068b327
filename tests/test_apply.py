"""`plinto-db apply` against real servers (PG15 and PG18): convergence, healing, drift,
waits, timeouts, locking, bad input. Every test gets a fresh database."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from live_apply import cli_env, wait_for_build

from plinto_db.apply.lock import LOCK_KEY

REPO = Path(__file__).resolve().parent.parent
INDEXES = REPO / "indexes"


def apply_json(run_cli, dsn, *args, **kwargs):
    proc = run_cli("apply", "--dsn", dsn, "--format", "json", *args, **kwargs)
    assert proc.stdout, proc.stderr
    return proc, json.loads(proc.stdout)


def catalog_indexes(dsn) -> dict[str, tuple[int, int, bool]]:
    """name -> (oid, relfilenode, valid) of every idx_* index."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.oid, c.relfilenode, i.indisvalid FROM pg_class c "
            "JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname LIKE 'idx\\_%'"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def execute(dsn, *statements):
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def test_apply_converges_and_the_second_run_issues_no_ddl(new_db, run_cli):
    dsn = new_db("schema")
    proc, doc = apply_json(run_cli, dsn)
    assert proc.returncode == 0, proc.stderr
    assert doc["converged"] is True
    assert len(doc["actions"]) == 45
    assert {(a["action"], a["result"]) for a in doc["actions"]} == {("create", "done")}
    for a in doc["actions"]:
        assert set(a) >= {"name", "action", "result", "seconds"}
        assert a["sql"][0].startswith("CREATE ") and "CONCURRENTLY" in a["sql"][0]
    expression = next(
        a for a in doc["actions"] if a["name"] == "idx_users_user_metadata_external_id"
    )
    assert expression["sql"][-1] == "ANALYZE public.users"  # statistics for the expression
    before = catalog_indexes(dsn)
    assert len(before) == 45 and all(valid for _, _, valid in before.values())

    history = json.loads(run_cli("history", "--dsn", dsn, "--format", "json").stdout)
    assert len(history["entries"]) == 45

    proc, doc = apply_json(run_cli, dsn)
    assert proc.returncode == 0, proc.stderr
    assert doc["converged"] is True
    assert {a["result"] for a in doc["actions"]} == {"skipped"}
    assert all(a["sql"] == [] for a in doc["actions"])
    # no DDL: same relations, same storage, nothing new in the ledger
    assert catalog_indexes(dsn) == before
    history = json.loads(run_cli("history", "--dsn", dsn, "--format", "json").stdout)
    assert len(history["entries"]) == 45


def test_the_same_index_written_differently_is_the_same(new_db, run_cli, tmp_path):
    dsn = new_db("schema")
    execute(
        dsn,
        "CREATE INDEX idx_sessions_active_user ON public.sessions USING btree "
        "(user_id ASC NULLS LAST, last_active_at DESC NULLS FIRST) "
        "WHERE ((status)::text = 'active'::text) AND (revoked = false)",
        'CREATE INDEX "idx_users_user_metadata_external_id" ON users USING GIN '
        "((user_metadata->'external_id') jsonb_ops) WHERE (user_metadata ? 'external_id'::text)",
    )
    before = catalog_indexes(dsn)
    proc, doc = apply_json(
        run_cli,
        dsn,
        "--only",
        "idx_sessions_active_user",
        "--only",
        "idx_users_user_metadata_external_id",
    )
    assert proc.returncode == 0, proc.stderr
    assert [a["result"] for a in doc["actions"]] == ["skipped", "skipped"]
    assert catalog_indexes(dsn) == before


def test_an_invalid_index_from_a_failed_build_is_healed(new_db, run_cli):
    dsn = new_db("schema")
    with psycopg.connect(dsn, autocommit=True) as conn:
        user = conn.execute(
            "INSERT INTO users (email) VALUES ('a@example.com') RETURNING id"
        ).fetchone()[0]
        for n in range(2):
            conn.execute(
                "INSERT INTO magic_links (user_id, token, expires_at) "
                "VALUES (%s, %s, now() + interval '1 hour')",
                (user, f"t{n}"),
            )
        # a failing concurrent build (unique over duplicates) leaves an INVALID index (F3)
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "CREATE UNIQUE INDEX CONCURRENTLY idx_magic_links_user_id ON magic_links (user_id)"
            )
    assert catalog_indexes(dsn)["idx_magic_links_user_id"][2] is False

    status = json.loads(run_cli("status", "--dsn", dsn, "--format", "json").stdout)
    states = {r["name"]: r["state"] for r in status["indexes"]}
    assert states["idx_magic_links_user_id"] == "invalid"

    proc, doc = apply_json(run_cli, dsn, "--table", "magic_links")
    assert proc.returncode == 0, proc.stderr
    healed = next(a for a in doc["actions"] if a["name"] == "idx_magic_links_user_id")
    assert healed["action"] == "rebuild-invalid" and healed["result"] == "done"
    assert healed["sql"][0] == "DROP INDEX CONCURRENTLY IF EXISTS public.idx_magic_links_user_id"
    assert catalog_indexes(dsn)["idx_magic_links_user_id"][2] is True


def test_a_failing_build_leaves_no_invalid_index(new_db, run_cli, tmp_path):
    dsn = new_db("schema")
    execute(dsn, "INSERT INTO users (email, username) VALUES ('a', 'x'), ('b', 'x2')")
    catalog = tmp_path / "unique.sql"
    catalog.write_text("CREATE UNIQUE INDEX idx_same_status ON users (status);\n")
    proc, doc = apply_json(run_cli, dsn, "--indexes", str(catalog))
    assert proc.returncode == 1
    (action,) = doc["actions"]
    assert action["result"] == "failed"
    assert "could not create unique index" in action["detail"]
    assert "dropped" in action["detail"]
    assert "idx_same_status" not in catalog_indexes(dsn)


def test_drift_is_refused_then_replaced(new_db, run_cli):
    dsn = new_db("schema")
    # ASC where the catalog says DESC
    execute(
        dsn, "CREATE INDEX idx_users_unverified ON users (created_at) WHERE email_verified = false"
    )
    oid_before = catalog_indexes(dsn)["idx_users_unverified"][0]

    proc, doc = apply_json(run_cli, dsn, "--only", "idx_users_unverified")
    assert proc.returncode == 3, proc.stderr
    (action,) = doc["actions"]
    assert action["action"] == "refuse-drifted" and action["result"] == "refused"
    assert "ASC instead of DESC" in action["detail"]
    assert catalog_indexes(dsn)["idx_users_unverified"][0] == oid_before

    status = json.loads(run_cli("status", "--dsn", dsn, "--format", "json").stdout)
    assert {r["name"]: r["state"] for r in status["indexes"]}["idx_users_unverified"] == "drifted"

    proc, doc = apply_json(run_cli, dsn, "--only", "idx_users_unverified", "--replace-drifted")
    assert proc.returncode == 0, proc.stderr
    (action,) = doc["actions"]
    assert action["action"] == "replace-drifted" and action["result"] == "done"
    after = catalog_indexes(dsn)
    assert after["idx_users_unverified"][0] != oid_before
    assert not [n for n in after if n.endswith(("_plnew", "_plold"))]
    with psycopg.connect(dsn) as conn:
        definition = conn.execute(
            "SELECT pg_get_indexdef('idx_users_unverified'::regclass)"
        ).fetchone()[0]
    assert "created_at DESC" in definition
    proc, doc = apply_json(run_cli, dsn, "--only", "idx_users_unverified")
    assert proc.returncode == 0 and doc["actions"][0]["result"] == "skipped"


def test_name_taken_by_a_table_is_an_error_before_any_ddl(new_db, run_cli):
    dsn = new_db("schema")
    execute(dsn, "CREATE TABLE idx_users_id_status (x int)")
    proc = run_cli("apply", "--dsn", dsn)
    assert proc.returncode == 2
    assert "01_critical_authentication.sql:10: index name 'idx_users_id_status'" in proc.stderr
    assert "table public.idx_users_id_status" in proc.stderr
    assert catalog_indexes(dsn) == {}


def test_leftovers_of_reindex_are_reported_and_dropped(new_db, run_cli):
    dsn = new_db("schema")
    execute(dsn, "CREATE INDEX idx_passkeys_user_id_ccnew ON passkeys (user_id)")
    status = json.loads(run_cli("status", "--dsn", dsn, "--format", "json").stdout)
    row = next(r for r in status["indexes"] if r["name"] == "idx_passkeys_user_id_ccnew")
    assert row["state"] == "leftover" and row["managed"] is False
    proc, doc = apply_json(run_cli, dsn, "--table", "passkeys")
    assert proc.returncode == 0, proc.stderr
    assert {a["name"]: a["action"] for a in doc["actions"]} == {
        "idx_passkeys_user_id": "create",
        "idx_passkeys_user_id_ccnew": "drop-leftover",
    }
    assert "idx_passkeys_user_id_ccnew" not in catalog_indexes(dsn)


def test_dry_run_prints_exact_sql_and_changes_nothing(new_db, run_cli):
    dsn = new_db("schema")
    proc = run_cli("apply", "--dsn", dsn, "--dry-run", "--table", "policies")
    assert proc.returncode == 0, proc.stderr
    assert (
        "CREATE INDEX CONCURRENTLY idx_policies_attributes_gin ON public.policies USING gin "
        "(attributes) WHERE attributes IS NOT NULL;" in proc.stdout.replace("\n", " ")
    )
    assert catalog_indexes(dsn) == {}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("CREATE INDEX ok ON users (email);\nCREATE INDEX ON users (status);\n", ":2:"),
        ("CREATE INDEX ok ON users (email);\n\nDROP TABLE users;\n", ":3:"),
        ("CREATE INDEX ok ON users (email);\nCREATE INDEX bad ON users (emial);\n", ":2:"),
        ("CREATE INDEX ok ON users (email);\nCREATE INDEX bad ON nosuch (email);\n", ":2:"),
        ("CREATE INDEX ok ON users (email);\nCREATE INDEX ok ON users (status);\n", ":2:"),
        ("CREATE INDEX ok ON users (email;\n", ":1:"),
    ],
)
def test_bad_catalog_exits_2_with_file_line_and_applies_nothing(
    new_db, run_cli, tmp_path, text, where
):
    dsn = new_db("schema")
    catalog = tmp_path / "bad.sql"
    catalog.write_text(text)
    proc = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog))
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith(f"plinto-db: error: {catalog}{where}"), line
    assert "Traceback" not in proc.stderr
    assert "ok" not in catalog_indexes(dsn)  # all or nothing


def test_a_second_apply_exits_4_naming_the_holder_or_waits(new_db, run_cli, tmp_path):
    dsn = new_db("schema")
    holder = psycopg.connect(dsn, autocommit=True, application_name="the-other-apply")
    try:
        assert holder.execute("SELECT pg_try_advisory_lock(%s::bigint)", (LOCK_KEY,)).fetchone()[0]
        proc = run_cli("apply", "--dsn", dsn, "--table", "passkeys")
        assert proc.returncode == 4
        assert f"pid {holder.info.backend_pid}" in proc.stderr
        assert "the-other-apply" in proc.stderr
        assert catalog_indexes(dsn) == {}

        waiting = subprocess.Popen(
            [sys.executable, "-m", "plinto_db", "apply", "--dsn", dsn, "--table", "passkeys",
             "--wait"],
            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
            env=cli_env(tmp_path),
        )  # fmt: skip
        try:
            said = [waiting.stderr.readline() for _ in range(2)]  # which server, then the wait
            assert any("waiting for the apply lock" in line for line in said), said
            holder.execute("SELECT pg_advisory_unlock(%s::bigint)", (LOCK_KEY,))
            out, err = waiting.communicate(timeout=120)
        finally:
            if waiting.poll() is None:
                waiting.kill()
                waiting.wait()
        assert waiting.returncode == 0, err
        assert "idx_passkeys_user_id" in catalog_indexes(dsn)
    finally:
        holder.close()


def test_old_snapshot_wait_is_reported_and_build_timeout_cleans_up(new_db, run_cli):
    dsn = new_db("schema")
    blocker = psycopg.connect(dsn, application_name="old-report")
    try:
        # a transaction holding a snapshot, touching no catalog table (F8)
        blocker.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        blocker.execute("SELECT count(*) FROM pg_class").fetchone()
        started = time.monotonic()
        proc = run_cli(
            "apply", "--dsn", dsn, "--only", "idx_passkeys_user_id", "--build-timeout", "3"
        )
        assert time.monotonic() - started < 60
        assert proc.returncode == 4, proc.stderr
        assert f"waiting for pid {blocker.info.backend_pid} [old-report]" in proc.stderr
        assert "idle in transaction" in proc.stderr
        assert "timed-out" in proc.stdout or "timed-out" in proc.stderr
        assert "idx_passkeys_user_id" not in catalog_indexes(dsn)  # invalid leftover dropped

        proc, doc = apply_json(
            run_cli, dsn, "--only", "idx_passkeys_user_id", "--build-timeout", "2"
        )
        assert proc.returncode == 4
        (action,) = doc["actions"]
        assert action["result"] == "timed-out"
        assert [w["pid"] for w in action["waits"]] == [blocker.info.backend_pid]
    finally:
        blocker.rollback()
        blocker.close()
    proc = run_cli("apply", "--dsn", dsn, "--only", "idx_passkeys_user_id")
    assert proc.returncode == 0, proc.stderr
    assert catalog_indexes(dsn)["idx_passkeys_user_id"][2] is True


def test_an_index_being_built_by_another_session_is_never_dropped(new_db, run_cli):
    dsn = new_db("schema")
    snapshot = psycopg.connect(dsn)
    other = psycopg.connect(dsn, autocommit=True, application_name="someone-else")
    errors: list[Exception] = []

    def build():
        try:
            other.execute("CREATE INDEX CONCURRENTLY idx_passkeys_user_id ON passkeys (user_id)")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    try:
        snapshot.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        snapshot.execute("SELECT 1").fetchone()
        thread = threading.Thread(target=build)
        thread.start()
        wait_for_build(dsn, "idx_passkeys_user_id")
        proc, doc = apply_json(
            run_cli, dsn, "--only", "idx_passkeys_user_id", "--build-timeout", "2"
        )
        assert proc.returncode == 4
        (action,) = doc["actions"]
        assert action["action"] == "wait" and action["result"] == "timed-out"
        assert "never drop" in action["detail"]
        assert [w["application"] for w in action["waits"]] == ["someone-else"]
        assert "idx_passkeys_user_id" in catalog_indexes(dsn)  # still there, still building
        snapshot.rollback()
        thread.join(30)
        assert not errors
    finally:
        snapshot.close()
        other.close()
    proc, doc = apply_json(run_cli, dsn, "--only", "idx_passkeys_user_id")
    assert proc.returncode == 0 and doc["actions"][0]["result"] == "skipped"


def test_status_and_drop(new_db, run_cli):
    dsn = new_db("schema")
    status = run_cli("status", "--dsn", dsn, "--format", "json")
    assert status.returncode == 1
    rows = json.loads(status.stdout)["indexes"]
    managed = [r for r in rows if r["managed"]]
    assert len(managed) == 45 and {r["state"] for r in managed} == {"missing"}
    assert {"name", "table", "state"} <= set(managed[0])
    unknown = {r["name"]: r for r in rows if not r["managed"]}
    assert unknown["ix_users_email"]["state"] == "not-in-catalog"

    assert run_cli("apply", "--dsn", dsn, "--table", "passkeys").returncode == 0
    status = json.loads(
        run_cli("status", "--dsn", dsn, "--format", "json", "--table", "passkeys").stdout
    )
    (row,) = [r for r in status["indexes"] if r["managed"]]
    assert row["state"] == "valid" and row["size_bytes"] > 0 and row["scans"] == 0

    # no confirmation: nothing dropped
    proc = run_cli("drop", "--dsn", dsn, "--only", "idx_passkeys_user_id", input="n\n")
    assert proc.returncode == 2
    assert "idx_passkeys_user_id" in catalog_indexes(dsn)
    proc = run_cli("drop", "--dsn", dsn, "--only", "idx_passkeys_user_id", "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "idx_passkeys_user_id" not in catalog_indexes(dsn)
    entries = json.loads(run_cli("history", "--dsn", dsn, "--format", "json").stdout)["entries"]
    assert [(e["index"], e["action"], e["outcome"]) for e in entries[:2]] == [
        ("idx_passkeys_user_id", "drop", "done"),
        ("idx_passkeys_user_id", "create", "done"),
    ]
    assert entries[0]["server_version"] and entries[0]["tool_version"]


def test_jobs_never_build_two_indexes_on_one_table_at_once(new_db, run_cli):
    dsn = new_db("seeded")
    proc, doc = apply_json(run_cli, dsn, "--jobs", "4")
    assert proc.returncode == 0, proc.stderr
    assert doc["converged"] is True
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT table_name, extract(epoch FROM started_at), "
            "extract(epoch FROM started_at) + seconds FROM plinto_db.apply_ledger ORDER BY 2"
        ).fetchall()
    assert len(rows) == 45
    spans: dict[str, list[tuple[float, float]]] = {}
    for table, start, end in rows:
        spans.setdefault(table, []).append((float(start), float(end)))
    for table, intervals in spans.items():
        for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
            assert start >= end - 0.01, f"two builds overlapped on {table}"
    all_spans = sorted(s for v in spans.values() for s in v)
    overlapping = sum(1 for a, b in zip(all_spans, all_spans[1:], strict=False) if b[0] < a[1])
    assert overlapping > 0, "--jobs 4 never ran two builds at once"
