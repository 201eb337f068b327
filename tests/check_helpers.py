"""Helpers for the `check` tests: running the use case, and a user's own schema (not Plinto).

`APP_SCHEMA` is what a CI engineer would bring: a non-public schema, mixed-case quoted
identifiers, jsonb/array/uuid columns, a partial index, and a partitioned table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from pg_servers import vacuum_analyze

from plinto_db.check.results import CheckResult, CheckRun
from plinto_db.check.run import CheckRequest, run_checks

APP_SCHEMA = """
CREATE SCHEMA app;
CREATE TABLE app."Accounts" ("Id" bigint PRIMARY KEY, "Email" text NOT NULL, ext_id uuid NOT NULL,
  meta jsonb NOT NULL, tags int[] NOT NULL, created timestamptz NOT NULL, status text NOT NULL);
CREATE INDEX "Accounts_Email_idx" ON app."Accounts" ("Email");
CREATE INDEX accounts_ext_idx ON app."Accounts" (ext_id);
CREATE INDEX accounts_created_idx ON app."Accounts" (created);
CREATE INDEX accounts_active_idx ON app."Accounts" (created) WHERE status = 'active';
CREATE INDEX accounts_meta_idx ON app."Accounts" USING gin (meta);
CREATE INDEX accounts_tags_idx ON app."Accounts" USING gin (tags);
CREATE TABLE app.events (id bigint NOT NULL, account_id bigint NOT NULL, at date NOT NULL)
  PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX events_account_idx ON app.events (account_id);
"""

APP_DATA = """
INSERT INTO app."Accounts" SELECT i, 'u' || i || '@x.io', md5(i::text)::uuid,
  jsonb_build_object('k', i % 100), ARRAY[i % 50, i % 7],
  timestamptz '2025-06-01' - i * interval '1 minute',
  CASE WHEN i % 10 = 0 THEN 'active' ELSE 'gone' END
FROM generate_series(1, 20000) i;
INSERT INTO app.events SELECT i, 1 + i % 20000, date '2024-01-01' + (i % 700)
FROM generate_series(1, 40000) i;
"""

APP_CATALOG = """
CREATE INDEX CONCURRENTLY "Accounts_Email_idx" ON app."Accounts" ("Email");
CREATE INDEX CONCURRENTLY accounts_ext_idx ON app."Accounts" (ext_id);
CREATE INDEX CONCURRENTLY events_account_idx ON app.events (account_id);
"""

# a check on the partitioned table: every partition holds rows for account 42
EVENTS_OF_ACCOUNT = {
    "events_of_account": (
        "-- expect: index events_account_idx\n-- params: 42\n"
        "SELECT * FROM app.events WHERE account_id = $1;\n"
    )
}


def build_app(dsn: str, *, data: bool = True) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(APP_SCHEMA)
        if data:
            conn.execute(APP_DATA)
            vacuum_analyze(conn)


@contextmanager
def analyzed_database(server, schema: str) -> Iterator[str]:
    """A throw-away database on `server` holding `schema`, vacuumed and analyzed; dropped after."""
    dsn = server.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(schema)
        vacuum_analyze(conn)
    try:
        yield dsn
    finally:
        server.drop_database(dsn)


def write_inputs(
    root: Path, checks: dict[str, str], catalog: str = APP_CATALOG
) -> tuple[Path, Path]:
    """A checks/ folder with one file per entry, and an indexes/ folder holding `catalog`."""
    checks_dir, indexes_dir = root / "checks", root / "indexes"
    checks_dir.mkdir(parents=True, exist_ok=True)
    indexes_dir.mkdir(parents=True, exist_ok=True)
    for name, text in checks.items():
        (checks_dir / f"{name}.sql").write_text(text)
    (indexes_dir / "catalog.sql").write_text(catalog)
    return checks_dir, indexes_dir


def run(dsn: str, inputs: tuple[Path, Path], mode: str = "natural", **kw: object) -> CheckRun:
    """The use case, as the API and the benchmark call it."""
    checks_dir, indexes_dir = inputs
    request = CheckRequest(
        dsn=dsn, checks_path=checks_dir, indexes_path=indexes_dir, mode=mode, **kw
    )
    return run_checks(request)


def by_name(result_run: CheckRun) -> dict[str, CheckResult]:
    return {r.check.name: r for r in result_run.results}


def failures(result_run: CheckRun) -> list[tuple[str, str]]:
    return [(r.check.name, r.message) for r in result_run.failed]
