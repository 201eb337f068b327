"""`check` on a small schema of our own (not Plinto), the way a new user would run it.

Real PostgreSQL 15 and 18: every mode, the plan shapes (BitmapAnd, SubPlan, CTE, partitions),
and what happens when an index goes away.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from check_helpers import by_name, run
from pg_servers import vacuum_analyze

from plinto_db.check.judge import Verdict
from plinto_db.errors import UserError

SCHEMA = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, status text NOT NULL,
  region int NOT NULL, kind int NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX accounts_email_idx ON accounts (email);
CREATE INDEX accounts_active_region_idx ON accounts (region) WHERE status = 'active';
CREATE INDEX accounts_region_idx ON accounts (region);
CREATE INDEX accounts_kind_idx ON accounts (kind);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint NOT NULL, total int NOT NULL);
CREATE INDEX orders_account_idx ON orders (account_id);
CREATE TABLE events (id bigint NOT NULL, kind int NOT NULL, at date NOT NULL)
  PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX events_kind_idx ON events (kind);
CREATE TABLE tiny (id int PRIMARY KEY, name text NOT NULL);
"""

DATA = """
INSERT INTO accounts SELECT i, 'a' || i || '@example.com',
  CASE WHEN i % 10 = 0 THEN 'active' ELSE 'closed' END, i % 97, i % 101,
  timestamptz '2025-06-01' - i * interval '1 minute' FROM generate_series(1, 20000) i;
INSERT INTO orders SELECT i, 1 + i % 20000, i % 500 FROM generate_series(1, 60000) i;
INSERT INTO events SELECT i, i % 50, date '2024-01-01' + (i % 700) FROM generate_series(1, 40000) i;
INSERT INTO tiny VALUES (1, 'x'), (2, 'y');
"""

# The catalog: what the user wants to exist. accounts_created_idx is not built yet.
CATALOG = """
CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);
CREATE INDEX CONCURRENTLY accounts_active_region_idx ON accounts (region) WHERE status = 'active';
CREATE INDEX CONCURRENTLY accounts_region_idx ON accounts (region);
CREATE INDEX CONCURRENTLY accounts_kind_idx ON accounts (kind);
CREATE INDEX CONCURRENTLY orders_account_idx ON orders (account_id);
CREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);
CREATE INDEX CONCURRENTLY accounts_created_idx ON accounts (created_at);
"""

CHECKS = {
    "by_email": (
        "-- Look an account up by email.\n-- expect: index accounts_email_idx\n"
        "-- params: 'a42@example.com'\nSELECT * FROM accounts WHERE email = $1;\n"
    ),
    "active_region": (
        "-- Active accounts of a region: the partial index.\n"
        "-- expect: index accounts_active_region_idx\n"
        "-- sample: SELECT region, status FROM accounts\n"
        "--    WHERE status = 'active' ORDER BY id LIMIT 1\n"
        "SELECT id FROM accounts WHERE region = $1 AND status = $2;\n"
    ),
    "kind_and_region": (
        "-- Two selective indexes combined.\n"
        "-- expect: index accounts_kind_idx\n"
        "-- expect: any-of accounts_region_idx, accounts_active_region_idx\n"
        "-- params: 5, 7\nSELECT * FROM accounts WHERE kind = $1 AND region = $2;\n"
    ),
    "order_counts": (
        "-- A correlated subquery per account.\n"
        "-- expect: index accounts_email_idx\n-- expect: index orders_account_idx\n"
        "-- params: 'a5@example.com'\n"
        "SELECT a.id, (SELECT count(*) FROM orders o WHERE o.account_id = a.id)\n"
        "FROM accounts a WHERE a.email = $1;\n"
    ),
    "cte_orders": (
        "-- A materialized CTE.\n-- expect: index-on orders\n-- expect: index accounts_email_idx\n"
        "-- params: 'a5@example.com'\n"
        "WITH x AS MATERIALIZED (SELECT id FROM accounts WHERE email = $1)\n"
        "SELECT * FROM orders WHERE account_id IN (SELECT id FROM x);\n"
    ),
    "events_of_kind": (
        "-- A partitioned table: the plan names each partition's index.\n"
        "-- expect: index events_kind_idx\n-- expect: no-seqscan events\n"
        "-- params: 3\nSELECT * FROM events WHERE kind = $1;\n"
    ),
    "recent_accounts": (
        "-- Known gap: nothing indexes created_at yet.\n-- expect: seqscan accounts\n"
        "-- params: timestamptz '2025-05-31'\nSELECT * FROM accounts WHERE created_at > $1;\n"
    ),
    "tiny_lookup": (
        "-- A two-row table.\n-- expect: index tiny_pkey\n-- params: 1\n"
        "SELECT * FROM tiny WHERE id = $1;\n"
    ),
}


def write_inputs(root: Path, checks: dict[str, str] = CHECKS) -> tuple[Path, Path]:
    checks_dir, indexes_dir = root / "checks", root / "indexes"
    checks_dir.mkdir(parents=True, exist_ok=True)
    indexes_dir.mkdir(parents=True, exist_ok=True)
    for name, text in checks.items():
        (checks_dir / f"{name}.sql").write_text(text)
    (indexes_dir / "catalog.sql").write_text(CATALOG)
    return checks_dir, indexes_dir


def build(dsn: str, *, data: bool = True) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        if data:
            conn.execute(DATA)
            vacuum_analyze(conn)


@pytest.fixture(scope="module")
def custom_db(pg_server) -> Iterator[str]:
    dsn = pg_server.create_database()
    build(dsn)
    yield dsn
    pg_server.drop_database(dsn)


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    return write_inputs(tmp_path)


def test_natural_mode_reads_every_plan_shape(custom_db, inputs):
    result = run(custom_db, inputs)
    results = by_name(result)
    assert {n: r.verdict for n, r in results.items()} == {n: Verdict.PASS for n in CHECKS}, [
        (r.check.name, r.message) for r in result.failed
    ]
    kinds = {n.node_type for n in results["kind_and_region"].nodes}
    assert "BitmapAnd" in kinds
    nodes = results["order_counts"].nodes
    subplan = [n for n in nodes if n.parent_relationship == "SubPlan"]
    assert subplan and subplan[0].subplan_name.startswith("SubPlan")
    below = nodes[nodes.index(subplan[0]) + 1 :]
    assert any(n.index == "orders_account_idx" for n in below)
    assert any(n.subplan_name == "CTE x" for n in results["cte_orders"].nodes)
    # partition indexes are reported by their parent's name
    assert results["events_of_kind"].used == ("events_kind_idx",)
    raw = str(results["events_of_kind"].plan)
    assert "events_2024_kind_idx" in raw
    # a two-row table cannot show index use naturally: forced, and it says so
    tiny = results["tiny_lookup"]
    assert tiny.mode.value == "forced" and "tiny has" in tiny.notes[0]
    assert {r.mode.value for n, r in results.items() if n != "tiny_lookup"} == {"natural"}
    coverage = {c.name: c for c in result.coverage}
    assert coverage["accounts_email_idx"].state.value == "proven"
    assert "not built" in coverage["accounts_created_idx"].reason


def test_dropping_an_index_fails_its_checks_with_the_chosen_plan(pg_server, inputs):
    dsn = pg_server.create_database()
    try:
        build(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP INDEX orders_account_idx")
        results = by_name(run(dsn, inputs))
        for name in ("order_counts",):
            result = results[name]
            assert result.verdict is Verdict.FAIL
            assert "orders_account_idx" in result.message
            assert "Seq Scan on orders" in result.plan_text
        assert results["by_email"].verdict is Verdict.PASS
    finally:
        pg_server.drop_database(dsn)


def test_forced_mode_works_on_an_empty_schema(pg_server, inputs):
    dsn = pg_server.create_database()
    try:
        build(dsn, data=False)
        with pytest.raises(UserError, match="never analyzed.*seed"):
            run(dsn, inputs)
        keep = ("by_email", "order_counts", "cte_orders", "events_of_kind", "tiny_lookup")
        checks = {k: v for k, v in CHECKS.items() if k in keep}
        checks_dir, indexes_dir = write_inputs(inputs[0].parent / "empty", checks)
        result = run(dsn, (checks_dir, indexes_dir), mode="forced")
        assert not result.failed, [(r.check.name, r.message) for r in result.failed]
        assert {r.mode.value for r in result.results} == {"forced"}
    finally:
        pg_server.drop_database(dsn)


def test_natural_mode_refuses_tiny_tables(pg_server, tmp_path):
    dsn = pg_server.create_database()
    try:
        build(dsn, data=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
        inputs = write_inputs(tmp_path, {"by_email": CHECKS["by_email"]})
        with pytest.raises(UserError, match="every checked table is tiny"):
            run(dsn, inputs)
    finally:
        pg_server.drop_database(dsn)


def test_generic_mode_notes_partial_indexes(custom_db, inputs):
    result = run(custom_db, inputs, mode="generic")
    results = by_name(result)
    assert {r.mode.value for r in result.results} - {"forced"} == {"generic"}
    partial = results["active_region"]
    assert partial.verdict is Verdict.FAIL
    assert any("is partial" in note and "generic plan" in note for note in partial.notes)
    assert results["by_email"].verdict is Verdict.PASS
    assert "$1" in str(results["by_email"].plan)  # planned without a value


def test_analyze_reports_time_and_rolls_back_changes(custom_db, tmp_path):
    checks = {
        "by_email": CHECKS["by_email"],
        "delete_orders": (
            "-- expect: index orders_account_idx\n-- params: 7\n"
            "DELETE FROM orders WHERE account_id = $1\n"
        ),
    }
    result = run(custom_db, write_inputs(tmp_path, checks), analyze=True)
    assert not result.failed, [(r.check.name, r.message) for r in result.failed]
    for item in result.results:
        assert item.analyze and item.analyze["execution_ms"] is not None
    with psycopg.connect(custom_db) as conn:
        assert conn.execute("SELECT count(*) FROM orders WHERE account_id = 7").fetchone()[0] == 3


def test_analyze_refuses_generic_and_hypothetical(custom_db, inputs):
    for mode in ("generic", "hypothetical"):
        with pytest.raises(UserError, match="--analyze cannot be combined"):
            run(custom_db, inputs, mode=mode, analyze=True)


def _hypopg_available(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'")
        return row.fetchone() is not None


def test_hypothetical_mode_proves_an_index_not_built_yet(custom_db, tmp_path, pg_server):
    if not _hypopg_available(custom_db):
        pytest.skip(f"HypoPG is not installed on {pg_server.name} (e.g. postgresql-15-hypopg)")
    checks = {
        "recent": (
            "-- expect: index accounts_created_idx\n-- params: timestamptz '2025-05-31 23:00'\n"
            "SELECT * FROM accounts WHERE created_at > $1\n"
        )
    }
    inputs = write_inputs(tmp_path, checks)
    natural = by_name(run(custom_db, inputs))["recent"]
    assert natural.verdict is Verdict.FAIL
    assert any("not built in this database" in note for note in natural.notes)
    result = run(custom_db, inputs, mode="hypothetical")
    hypo = by_name(result)["recent"]
    assert hypo.verdict is Verdict.PASS, hypo.message
    assert hypo.mode.value == "hypothetical" and hypo.used == ("accounts_created_idx",)
    assert any("HypoPG" in note for note in result.notes)
    with psycopg.connect(custom_db) as conn:  # nothing left behind
        assert (
            conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'").fetchone() is None
        )


def test_hypothetical_mode_says_when_hypopg_is_missing(custom_db, inputs, pg_server):
    if _hypopg_available(custom_db):
        pytest.skip(f"HypoPG is installed on {pg_server.name}: the missing case cannot happen")
    with pytest.raises(UserError, match="needs the HypoPG extension"):
        run(custom_db, inputs, mode="hypothetical")


def test_unknown_index_and_table_name_the_line(custom_db, tmp_path):
    bad = {"x": "-- about\n-- expect: index-on accounts\n-- expect: index no_such_idx\nSELECT 1\n"}
    with pytest.raises(UserError) as info:
        run(custom_db, write_inputs(tmp_path / "a", bad))
    assert info.value.message.startswith(f"{tmp_path / 'a' / 'checks' / 'x.sql'}:3: unknown index")
    bad = {"x": "-- expect: no-seqscan nowhere\nSELECT 1\n"}
    with pytest.raises(UserError, match=r"x\.sql:1: unknown table 'nowhere'"):
        run(custom_db, write_inputs(tmp_path / "b", bad))


def test_a_failing_query_is_an_error_verdict(custom_db, tmp_path):
    checks = {
        "broken": "-- expect: index-on accounts\nSELECT no_such_column FROM accounts\n",
        "empty_sample": (
            "-- expect: index accounts_email_idx\n"
            "-- sample: SELECT email FROM accounts WHERE false\n"
            "SELECT * FROM accounts WHERE email = $1\n"
        ),
        "by_email": CHECKS["by_email"],
    }
    results = by_name(run(custom_db, write_inputs(tmp_path, checks)))
    assert results["broken"].verdict is Verdict.ERROR
    assert "no_such_column" in results["broken"].message
    assert results["empty_sample"].verdict is Verdict.ERROR
    assert "returned no rows" in results["empty_sample"].message
    assert results["by_email"].verdict is Verdict.PASS  # later checks still run
