"""A role that may not do what apply needs (own the table, use its schema, use the ledger,
write at all) gets one clear line and exit 2 before any DDL, not an internal error or a failed
build per index; status stays read-only and works for a reader."""

from __future__ import annotations

import json
import uuid

import psycopg
from psycopg.conninfo import make_conninfo


def execute(dsn, *statements):
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def index_names(dsn):
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'app.items'::regclass"
        ).fetchall()
    return {r[0] for r in rows}


def test_roles_without_ownership_or_ledger_access(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    reader, owner = f"rev_reader_{uuid.uuid4().hex[:8]}", f"rev_owner_{uuid.uuid4().hex[:8]}"
    execute(
        dsn,
        f"CREATE ROLE {reader} LOGIN",
        f"CREATE ROLE {owner} LOGIN",
        "CREATE SCHEMA app",
        "CREATE TABLE app.items (id int, name text)",
        f"GRANT USAGE ON SCHEMA app TO {reader}, {owner}",
        f"GRANT SELECT ON app.items TO {reader}",
        "CREATE TABLE app.owned (id int, name text)",
        f"ALTER TABLE app.owned OWNER TO {owner}",
    )
    try:
        catalog = tmp_path / "c.sql"
        catalog.write_text("-- by name\nCREATE INDEX items_name ON app.items (name);\n")
        as_reader = make_conninfo(dsn, user=reader)
        proc = run_cli("apply", "--dsn", as_reader, "--indexes", str(catalog))
        assert proc.returncode == 2, proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith(f"plinto-db: error: {catalog}:2: "), last
        assert f"role {reader} does not own app.items" in last
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        assert index_names(dsn) == set()
        # status stays read-only and works for that role
        status = run_cli(
            "status", "--dsn", as_reader, "--indexes", str(catalog), "--format", "json"
        )
        assert status.returncode == 1, status.stderr
        assert json.loads(status.stdout)["indexes"][0]["state"] == "missing"

        # the owner of a table, while the ledger belongs to someone else
        execute(
            dsn,
            "CREATE SCHEMA plinto_db",
            "CREATE TABLE plinto_db.apply_ledger (id int)",
        )
        owned = tmp_path / "o.sql"
        owned.write_text("CREATE INDEX owned_name ON app.owned (name);\n")
        as_owner = make_conninfo(dsn, user=owner)
        proc = run_cli("apply", "--dsn", as_owner, "--indexes", str(owned))
        assert proc.returncode == 2, proc.stderr
        assert "internal error" not in proc.stderr
        assert f"role {owner} may not use the ledger schema plinto_db" in proc.stderr
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute("SELECT to_regclass('app.owned_name')").fetchone()[0] is None
        history = run_cli("history", "--dsn", as_owner)
        assert history.returncode == 2, history.stderr
        assert "internal error" not in history.stderr
        assert "may not use the ledger schema plinto_db" in history.stderr
    finally:
        execute(
            dsn,
            "DROP SCHEMA IF EXISTS app, plinto_db CASCADE",
            f"DROP OWNED BY {reader}, {owner}",
            f"DROP ROLE {reader}",
            f"DROP ROLE {owner}",
        )


def test_read_only_database_is_one_clear_line(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    execute(dsn, "CREATE SCHEMA app", "CREATE TABLE app.items (id int, name text)")
    catalog = tmp_path / "c.sql"
    catalog.write_text("CREATE INDEX items_name ON app.items (name);\n")
    cached = {"PLINTO_DB_CACHE_DIR": str(tmp_path / "cache")}
    # a status while the database is writable fills the shape cache
    assert run_cli("status", "--dsn", dsn, "--indexes", str(catalog), env=cached).returncode == 1
    dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    execute(dsn, f'ALTER DATABASE "{dbname}" SET default_transaction_read_only = on')
    for env in ({"PLINTO_DB_NO_CACHE": "1"}, cached):
        proc = run_cli("apply", "--dsn", dsn, "--indexes", str(catalog), env=env)
        assert proc.returncode == 2, proc.stderr
        assert "the session is read-only" in proc.stderr, proc.stderr
        assert "internal error" not in proc.stderr
    assert index_names(dsn) == set()


def test_schema_the_role_may_not_use_names_the_statement(new_db, run_cli, tmp_path):
    dsn = new_db("empty")
    role = f"rev_nousage_{uuid.uuid4().hex[:8]}"
    execute(
        dsn,
        f"CREATE ROLE {role} LOGIN",
        "CREATE SCHEMA open_s",
        "CREATE TABLE open_s.a (id int)",
        f"GRANT USAGE ON SCHEMA open_s TO {role}",
        "CREATE SCHEMA secret",
        "CREATE TABLE secret.t (id int)",
    )
    try:
        catalog = tmp_path / "c.sql"
        catalog.write_text(
            "CREATE INDEX a_id ON open_s.a (id);\n\nCREATE INDEX t_id ON secret.t (id);\n"
        )
        as_role = make_conninfo(dsn, user=role)
        for command in ("status", "apply"):
            proc = run_cli(command, "--dsn", as_role, "--indexes", str(catalog))
            assert proc.returncode == 2, proc.stderr
            last = proc.stderr.strip().splitlines()[-1]
            assert last.startswith(f"plinto-db: error: {catalog}:3: index 't_id'"), last
            assert "permission denied for schema secret" in last
    finally:
        execute(
            dsn, "DROP SCHEMA open_s, secret CASCADE", f"DROP OWNED BY {role}", f"DROP ROLE {role}"
        )
