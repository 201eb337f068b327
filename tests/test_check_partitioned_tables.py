"""`check` on partitioned tables of every kind, on real PostgreSQL 15 and 18: a range-partitioned
table with a list-partitioned (sub-partitioned) month and a default partition, a list-
partitioned table with a default partition, and a hash-partitioned table.

- generic mode: before PostgreSQL 16 the generic plan is executed with the check's values, so
  initial pruning keeps the partitions a driver's cached plan reads (NULLs pruned them all);
  on 16+ `EXPLAIN (GENERIC_PLAN)`;
- sizes: a partitioned index weighs what its partitions' indexes hold;
- advice: a command that works (apply for what it can build, the reason for what PostgreSQL
  refuses);
- the scan column names the partitions read;
- an index serves an ORDER BY when the plan says so: a Merge Append of index scans under the
  Limit, no Sort above it.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from check_helpers import analyzed_database, by_name, run, write_inputs

from plinto_db.check.explain import GENERIC_PLAN_MIN_VERSION, NULL_GENERIC_NOTE
from plinto_db.check.judge import Verdict
from plinto_db.check.results import CoverageState

SHOP = """
CREATE SCHEMA shop;
CREATE TABLE shop.sales (id bigint NOT NULL, customer_id int NOT NULL, region text NOT NULL,
  at date NOT NULL, amount int NOT NULL) PARTITION BY RANGE (at);
DO $$ BEGIN FOR m IN 1..11 LOOP
  EXECUTE format('CREATE TABLE shop.sales_2025_%s PARTITION OF shop.sales '
    'FOR VALUES FROM (%L) TO (%L)', lpad(m::text, 2, '0'), make_date(2025, m, 1),
    make_date(2025, m, 1) + interval '1 month');
END LOOP; END $$;
CREATE TABLE shop.sales_2025_12 PARTITION OF shop.sales
  FOR VALUES FROM ('2025-12-01') TO ('2026-01-01') PARTITION BY LIST (region);
CREATE TABLE shop.sales_2025_12_eu PARTITION OF shop.sales_2025_12 FOR VALUES IN ('eu');
CREATE TABLE shop.sales_2025_12_rest PARTITION OF shop.sales_2025_12 DEFAULT;
CREATE TABLE shop.sales_other PARTITION OF shop.sales DEFAULT;
INSERT INTO shop.sales SELECT i, i % 3000, (ARRAY['eu', 'us', 'apac'])[1 + i % 3],
  date '2025-01-01' + (i % 365), i % 1000 FROM generate_series(1, 120000) i;
CREATE INDEX sales_customer_idx ON shop.sales (customer_id);
CREATE INDEX sales_at_idx ON shop.sales (at);
CREATE INDEX sales_eu_idx ON shop.sales (customer_id) WHERE region = 'eu';
CREATE TABLE shop.tickets (id bigint NOT NULL, region text NOT NULL, opened timestamptz NOT NULL)
  PARTITION BY LIST (region);
CREATE TABLE shop.tickets_eu PARTITION OF shop.tickets FOR VALUES IN ('eu');
CREATE TABLE shop.tickets_us PARTITION OF shop.tickets FOR VALUES IN ('us');
CREATE TABLE shop.tickets_other PARTITION OF shop.tickets DEFAULT;
INSERT INTO shop.tickets SELECT i, (ARRAY['eu', 'us', 'apac'])[1 + i % 3],
  timestamptz '2025-01-01' + i * interval '7 minutes' FROM generate_series(1, 60000) i;
CREATE INDEX tickets_opened_idx ON shop.tickets (opened);
CREATE TABLE shop.logs (id bigint NOT NULL, user_id int NOT NULL, body text NOT NULL)
  PARTITION BY HASH (id);
CREATE TABLE shop.logs_0 PARTITION OF shop.logs FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE shop.logs_1 PARTITION OF shop.logs FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE shop.logs_2 PARTITION OF shop.logs FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE shop.logs_3 PARTITION OF shop.logs FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO shop.logs SELECT i, i % 4000, repeat('x', 40) FROM generate_series(1, 60000) i;
CREATE INDEX logs_user_idx ON shop.logs (user_id);
"""

CATALOG = """
CREATE INDEX CONCURRENTLY sales_customer_idx ON shop.sales (customer_id);
CREATE INDEX CONCURRENTLY sales_at_idx ON shop.sales (at);
CREATE INDEX CONCURRENTLY sales_eu_idx ON shop.sales (customer_id) WHERE region = 'eu';
CREATE INDEX CONCURRENTLY tickets_opened_idx ON shop.tickets (opened);
CREATE INDEX CONCURRENTLY logs_user_idx ON shop.logs (user_id);
-- not built: apply can build it
CREATE INDEX CONCURRENTLY sales_amount_idx ON shop.sales (amount);
-- not built: PostgreSQL refuses a unique index without the partition key (at)
CREATE UNIQUE INDEX CONCURRENTLY sales_id_key ON shop.sales (id);
"""

THREE_MONTHS = "'2025-03-01', '2025-06-01'"
CHECKS = {
    # the real generic plan reads March, April and May through the index
    "three_months": (
        f"-- expect: index sales_customer_idx\n-- params: {THREE_MONTHS}, 42\n"
        "SELECT * FROM shop.sales WHERE at >= $1 AND at < $2 AND customer_id = $3;\n"
    ),
    # a custom plan proves the partial index's predicate from 'eu'; a generic plan cannot
    "three_months_eu": (
        f"-- expect: index sales_eu_idx\n-- params: {THREE_MONTHS}, 'eu', 42\n"
        "SELECT * FROM shop.sales\n"
        "WHERE at >= $1 AND at < $2 AND region = $3 AND customer_id = $4;\n"
    ),
    "latest_sales": (
        "-- expect: index sales_at_idx\nSELECT * FROM shop.sales ORDER BY at DESC LIMIT 10;\n"
    ),
    "first_tickets": (
        "-- expect: index tickets_opened_idx\n"
        "SELECT * FROM shop.tickets ORDER BY opened LIMIT 10;\n"
    ),
    "eu_tickets_of_a_day": (
        "-- expect: index tickets_opened_idx\n"
        "SELECT * FROM shop.tickets WHERE region = 'eu' AND opened < '2025-01-02';\n"
    ),
    "user_logs": (
        "-- expect: index logs_user_idx\n-- params: 7\n"
        "SELECT * FROM shop.logs WHERE user_id = $1;\n"
    ),
}


@pytest.fixture(scope="module")
def shop_db(pg_server) -> Iterator[str]:
    with analyzed_database(pg_server, SHOP) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def version(shop_db) -> int:
    with psycopg.connect(shop_db) as conn:
        return conn.info.server_version


@pytest.fixture(scope="module")
def natural(shop_db, tmp_path_factory):
    return run(shop_db, write_inputs(tmp_path_factory.mktemp("natural"), CHECKS, CATALOG))


@pytest.fixture(scope="module")
def generic(shop_db, tmp_path_factory):
    inputs = write_inputs(tmp_path_factory.mktemp("generic"), CHECKS, CATALOG)
    return run(shop_db, inputs, mode="generic")


def _reads(plan) -> list[str]:
    """The relations the plan's scan nodes read, as EXPLAIN names them."""
    from plinto_db.check.planwalk import walk

    return sorted({n.relation for n in walk(plan) if n.relation})


def test_generic_plan_reads_three_partitions_through_the_index(generic, version):
    result = by_name(generic)["three_months"]
    assert result.verdict is Verdict.PASS, result.message
    assert result.mode.value == "generic"
    assert NULL_GENERIC_NOTE not in result.notes
    if version < GENERIC_PLAN_MIN_VERSION:
        # executed with the values: initial pruning left 3 of the 14 leaves, as a cached
        # plan's execution does (with NULLs it removed all 14 and read nothing)
        assert result.plan[0]["Plan"]["Subplans Removed"] == 11
        assert _reads(result.plan) == ["sales_2025_03", "sales_2025_04", "sales_2025_05"]
        assert any("3 partitions of shop.sales" in scan for scan in result.scans), result.scans
    else:  # EXPLAIN (GENERIC_PLAN): no values, so every partition is in the plan
        assert len(_reads(result.plan)) == 14


def test_generic_plan_fails_where_a_cached_plan_cannot_use_the_partial_index(
    natural, generic, version
):
    assert by_name(natural)["three_months_eu"].verdict is Verdict.PASS
    result = by_name(generic)["three_months_eu"]
    assert result.verdict is Verdict.FAIL
    assert result.reasons == (
        "expected index sales_eu_idx; plan uses shop.sales_customer_idx, shop.sales_at_idx",
    )
    assert any("is partial (WHERE (region = 'eu'::text))" in note for note in result.notes)
    if version < GENERIC_PLAN_MIN_VERSION:  # the months of the values, not an empty plan
        assert _reads(result.plan) == ["sales_2025_03", "sales_2025_04", "sales_2025_05"]


def test_generic_mode_without_values_says_nulls_prune_before_16(shop_db, tmp_path, version):
    checks = {"no_values": CHECKS["three_months"].replace(f"-- params: {THREE_MONTHS}, 42\n", "")}
    result = run(shop_db, write_inputs(tmp_path, checks, CATALOG), mode="generic").results[0]
    if version < GENERIC_PLAN_MIN_VERSION:
        assert NULL_GENERIC_NOTE in result.notes
    else:
        assert NULL_GENERIC_NOTE not in result.notes
        assert result.verdict is Verdict.PASS, result.message


def test_partitioned_index_sizes_add_up_their_partitions(shop_db, natural):
    with psycopg.connect(shop_db) as conn:
        (on_disk,) = conn.execute(
            "SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree('shop.sales_at_idx') "
            "WHERE isleaf"
        ).fetchone()
    sizes = {item.name: item.size_bytes for item in natural.coverage}
    assert on_disk > 1_000_000
    assert sizes["sales_at_idx"] == on_disk
    assert sizes["sales_amount_idx"] is None  # not built


def test_advice_names_a_command_that_works(natural):
    reasons = {item.name: item.reason for item in natural.coverage}
    assert reasons["sales_amount_idx"] == (
        "not built in the database (run plinto-db apply, or check with --mode hypothetical)"
    )
    assert reasons["sales_id_key"] == (
        "not built in the database (PostgreSQL cannot build it: a unique index on partitioned "
        "table shop.sales must include its partition key (at missing); add it to the index, or "
        "make it unique on each partition (plinto-db apply refuses it))"
    )


def test_the_scan_column_names_the_partitions_read(natural):
    results = by_name(natural)
    eu = results["eu_tickets_of_a_day"]
    assert eu.verdict is Verdict.PASS, eu.message
    assert any(
        scan.endswith(" on shop.tickets_eu (partition of shop.tickets)") for scan in eu.scans
    ), eu.scans
    logs = results["user_logs"]
    assert logs.verdict is Verdict.PASS, logs.message
    assert any(
        "on shop.logs_0, shop.logs_1, shop.logs_2, shop.logs_3" not in scan
        and "shop.logs_0 … shop.logs_3 (4 partitions of shop.logs)" in scan
        for scan in logs.scans
    ), logs.scans


def test_an_order_served_by_a_merge_append_of_index_scans_proves_the_index(natural):
    results = by_name(natural)
    for name in ("latest_sales", "first_tickets"):
        result = results[name]
        assert result.verdict is Verdict.PASS, result.message
        types = [n.node_type for n in result.nodes]
        assert types[:2] == ["Limit", "Merge Append"], types
        assert "Sort" not in types
    proven = {i.name: i for i in natural.coverage}
    for name, by in (("sales_at_idx", "latest_sales"), ("tickets_opened_idx", "first_tickets")):
        assert proven[name].state is CoverageState.PROVEN, proven[name].reason
        assert by in proven[name].proven_by


def test_an_order_the_index_does_not_serve_fails(shop_db, tmp_path):
    """A Sort above the scans (an order no index has): the expected index serves nothing."""
    checks = {
        "sorted_by_expression": (
            "-- expect: index sales_at_idx\nSELECT * FROM shop.sales ORDER BY at + 1 LIMIT 10;\n"
        )
    }
    for mode in ("natural", "forced"):
        result = run(shop_db, write_inputs(tmp_path, checks, CATALOG), mode=mode).results[0]
        assert result.verdict is Verdict.FAIL, (mode, result.message)


REFUSED = """
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE SERVER archive FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'nowhere');
CREATE SCHEMA arc;
CREATE TABLE arc.orders (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE arc.orders_2025 PARTITION OF arc.orders
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE FOREIGN TABLE arc.orders_2020 PARTITION OF arc.orders
  FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') SERVER archive;
CREATE TABLE arc.notes (id bigint NOT NULL, code text NOT NULL)
  PARTITION BY LIST ((lower(code)));
CREATE TABLE arc.notes_a PARTITION OF arc.notes FOR VALUES IN ('a');
"""
REFUSED_CATALOG = """
CREATE UNIQUE INDEX CONCURRENTLY orders_id_at_key ON arc.orders (id, at);
CREATE UNIQUE INDEX CONCURRENTLY notes_id_key ON arc.notes (id, code);
CREATE INDEX CONCURRENTLY orders_at_idx ON arc.orders (at);
"""


def test_advice_for_unique_indexes_postgresql_refuses(pg_server, tmp_path):
    """A foreign-table partition cannot carry a unique index, and a table partitioned by an
    expression cannot have one at all: PostgreSQL refuses both, so the advice is not apply."""
    dsn = pg_server.create_database()  # not analyzed: ANALYZE would reach the foreign server
    try:
        checks = {"orders": "-- expect: seqscan arc.orders_2025\nSELECT * FROM arc.orders_2025;\n"}
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(REFUSED)
            for statement in REFUSED_CATALOG.strip().splitlines()[:2]:  # refused indeed
                with pytest.raises(psycopg.Error, match="unique|UNIQUE"):
                    conn.execute(statement.replace(" CONCURRENTLY", "").rstrip(";"))
        result = run(dsn, write_inputs(tmp_path, checks, REFUSED_CATALOG), mode="forced")
        reasons = {item.name: item.reason for item in result.coverage}
    finally:
        pg_server.drop_database(dsn)
    assert reasons["orders_id_at_key"] == (
        "not built in the database (PostgreSQL cannot build it: partition arc.orders_2020 of "
        "arc.orders is a foreign table, which cannot carry a unique index; make it unique on "
        "each local partition instead (plinto-db apply refuses it))"
    )
    assert reasons["notes_id_key"].startswith(
        "not built in the database (PostgreSQL cannot build it: arc.notes is partitioned by an "
        "expression"
    )
    assert reasons["orders_at_idx"] == (
        "not built in the database (run plinto-db apply, or check with --mode hypothetical)"
    )
