"""bench on a catalog holding a partitioned index (PG15, PG18): its before phase drops the
index through apply's engine (a plain DROP of the parent), its after phase builds it again
(ON ONLY, a concurrent build per partition, ATTACH), and the run ends with the indexes as
found: the same set, valid, attached."""

from __future__ import annotations

import json

import psycopg
from test_apply_partition import INDEXES_SQL
from test_apply_partition_interrupt import CATALOG
from test_apply_partition_interrupt import SCHEMA as SHOP

from plinto_db.bench.output import write_outputs
from plinto_db.bench.run import BenchRequest, run_bench
from plinto_db.bench.timing import TimingOptions

SCHEMA = (
    SHOP
    + """
INSERT INTO shop.payment SELECT g, g % 500, date '2024-01-01' + (g % 90)
    FROM generate_series(3001, 30000) g;
ANALYZE shop.payment;
"""
)
CHECK = """-- a customer's payments, every month
-- expect: index-on shop.payment
-- sample: SELECT 7
SELECT id FROM shop.payment WHERE customer_id = $1;
"""


def shop(new_db, tmp_path) -> tuple[str, BenchRequest]:
    dsn = new_db("empty")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    (tmp_path / "indexes").mkdir()
    (tmp_path / "indexes" / "shop.sql").write_text(CATALOG)
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "01_payment_by_customer.sql").write_text(CHECK)
    request = BenchRequest(
        dsn=dsn,
        checks_dir=tmp_path / "checks",
        indexes_dir=tmp_path / "indexes",
        out_dir=tmp_path / "out",
        timing=TimingOptions(iterations=10, warmup=1, max_seconds=0.5),
        writes=None,
        pgbench_seconds=0,
        confirmed=True,
    )
    return dsn, request


def indexes(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(INDEXES_SQL).fetchall()


def test_bench_drops_and_rebuilds_a_partitioned_index_and_restores_it_attached(new_db, tmp_path):
    dsn, request = shop(new_db, tmp_path)
    from plinto_db.apply.executor import ExecOptions
    from plinto_db.apply.run import apply_catalog, load

    specs = load(request.indexes_dir, None, None)
    assert apply_catalog(dsn, specs, options=ExecOptions(dsn=dsn)).converged
    found = indexes(dsn)
    assert len(found) == 4 and all(row[3] for row in found)

    result = run_bench(request)
    doc = json.loads(write_outputs(result).results.read_text())

    assert int(result.exit_code) == 0, doc["phases"]
    assert [p["status"] for p in doc["phases"]] == ["done", "done"]
    query = doc["queries"][0]
    assert query["before"]["index"] is None  # dropped: every partition scanned
    assert query["after"]["index"].startswith("payment_")  # a partition's index, rebuilt
    assert indexes(dsn) == found  # the same indexes, valid, attached under the parent


def test_bench_leaves_a_partitioned_index_that_was_missing_missing(new_db, tmp_path):
    dsn, request = shop(new_db, tmp_path)
    result = run_bench(request)
    assert int(result.exit_code) == 0
    assert indexes(dsn) == []
