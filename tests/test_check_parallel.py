"""A parallel plan: `no-seqscan` fails on a Parallel Seq Scan (EXPLAIN's JSON calls it "Seq Scan"
with "Parallel Aware": true). Real PostgreSQL 15 and 18, with the parallel costs lowered for the
session so the planner goes parallel on a small table.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from check_helpers import by_name, run, write_inputs
from pg_servers import vacuum_analyze

from plinto_db.check.judge import Verdict

PARALLEL = (
    "-c parallel_setup_cost=0 -c parallel_tuple_cost=0 -c min_parallel_table_scan_size=0 "
    "-c max_parallel_workers_per_gather=2"
)
QUERY = "SELECT id FROM big WHERE note LIKE '%77%'\n"
CHECKS = {
    "no_seq": f"-- expect: no-seqscan big\n{QUERY}",
    "index_on": f"-- expect: index-on big\n{QUERY}",
    "gap": f"-- expect: seqscan big\n{QUERY}",
}


@pytest.fixture(scope="module")
def big_db(pg_server) -> Iterator[str]:
    dsn = pg_server.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE big (id int PRIMARY KEY, note text NOT NULL);"
            "INSERT INTO big SELECT i, md5(i::text) FROM generate_series(1, 50000) i;"
        )
        vacuum_analyze(conn, "big")
    yield dsn
    pg_server.drop_database(dsn)


def test_no_seqscan_fails_on_a_parallel_seq_scan(big_db, tmp_path):
    parallel = psycopg.conninfo.make_conninfo(big_db, options=PARALLEL)
    inputs = write_inputs(tmp_path, CHECKS, "CREATE INDEX big_note_idx ON big (note);\n")
    results = by_name(run(parallel, inputs))
    nodes = results["no_seq"].nodes
    assert [n.node_type for n in nodes] == ["Gather", "Seq Scan"]
    assert nodes[1].parallel  # the plan really is parallel
    assert results["no_seq"].verdict is Verdict.FAIL
    assert results["no_seq"].reasons == ("sequential scan of big: Parallel Seq Scan on big",)
    assert results["index_on"].verdict is Verdict.FAIL
    assert results["gap"].verdict is Verdict.PASS
    assert "Parallel Seq Scan on big" in results["gap"].plan_text
