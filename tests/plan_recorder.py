"""Plans PostgreSQL really produced, recorded for the plan walker's tests (tests/data/plans/).

    python tests/plan_recorder.py          # start each test server, record every scenario
    python tests/plan_recorder.py NAME...  # only these scenarios (and facts.json)

Each scenario is a query with the planner settings `check` would use (natural, forced) or a
few more (parallel costs lowered, join methods off), explained as `check` explains it:
`EXPLAIN (VERBOSE, FORMAT JSON, SETTINGS)` inside a rolled-back transaction. The files are
`tests/data/plans/pg<major>/<scenario>.json`: {"scenario", "server", "settings", "sql",
"plan"}. test_check_recorded_plans.py re-records on the live servers and compares the shape,
so a fixture that stopped being what the server produces fails.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

PLANS = Path(__file__).resolve().parent / "data" / "plans"

SCHEMA = """
CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL, c int NOT NULL,
  email text NOT NULL, created timestamptz NOT NULL, status text NOT NULL);
INSERT INTO t SELECT i, i % 100, i % 97, i % 101, 'a' || i || '@x.io',
  timestamptz '2025-06-01' - i * interval '1 minute',
  CASE WHEN i % 50 = 0 THEN 'active' ELSE 'closed' END
FROM generate_series(1, 20000) i;
CREATE INDEX t_a_idx ON t (a);
CREATE INDEX t_b_idx ON t (b) WHERE b > 0;
CREATE INDEX t_c_idx ON t (c);
CREATE INDEX t_email_idx ON t (email);
CREATE INDEX t_created_idx ON t (created);
CREATE INDEX t_active_idx ON t (created) WHERE status = 'active';
CREATE TABLE u (id int PRIMARY KEY, t_id int NOT NULL, k int NOT NULL);
INSERT INTO u SELECT i, 1 + i % 20000, i % 300 FROM generate_series(1, 30000) i;
CREATE INDEX u_t_idx ON u (t_id);
CREATE TABLE p (id int NOT NULL, k int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE p_2024 PARTITION OF p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE p_2025 PARTITION OF p FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE p_2026 PARTITION OF p FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO p SELECT i, i % 50, date '2024-01-01' + (i % 730) FROM generate_series(1, 40000) i;
INSERT INTO p VALUES (1, 3, '2026-01-05'), (2, 4, '2026-01-06');
INSERT INTO p SELECT i, 7, date '2025-03-01' FROM generate_series(40001, 80000) i;
CREATE INDEX p_k_idx ON p (k);
CREATE INDEX p_2024_at_idx ON p_2024 (at);
CREATE SCHEMA billing;
CREATE TABLE billing.t (id int PRIMARY KEY, a int NOT NULL);
INSERT INTO billing.t SELECT i, i % 100 FROM generate_series(1, 20000) i;
CREATE INDEX t_a_idx ON billing.t (a);
"""

NATURAL = {"plan_cache_mode": "force_custom_plan"}
FORCED = {**NATURAL, "enable_seqscan": "off", "jit": "off"}
PARALLEL = {
    **NATURAL,
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0",
    "min_parallel_table_scan_size": "0",
    "max_parallel_workers_per_gather": "2",
}


@dataclass(frozen=True)
class Scenario:
    settings: dict[str, str]
    sql: str
    analyze: bool = False


SCENARIOS: dict[str, Scenario] = {
    "index_cond": Scenario(NATURAL, "SELECT * FROM t WHERE email = 'a5@x.io'"),
    "index_only_cond": Scenario(NATURAL, "SELECT id FROM t WHERE id < 100"),
    "bitmap_and_or": Scenario(
        {**NATURAL, "enable_indexscan": "off"},
        "SELECT * FROM t WHERE a = 5 AND (b = 7 OR c = 9)",
    ),
    "subplan": Scenario(
        NATURAL,
        "SELECT t.id, (SELECT count(*) FROM u WHERE u.t_id = t.id) FROM t "
        "WHERE t.email = 'a5@x.io'",
    ),
    "initplan": Scenario(NATURAL, "SELECT * FROM t WHERE a = (SELECT max(k) FROM u WHERE id < 5)"),
    "cte": Scenario(
        NATURAL,
        "WITH x AS MATERIALIZED (SELECT id FROM t WHERE email = 'a5@x.io') "
        "SELECT * FROM u WHERE t_id IN (SELECT id FROM x)",
    ),
    "partitions_one_index": Scenario(
        NATURAL, "SELECT * FROM p WHERE at BETWEEN '2024-12-30' AND '2025-01-02'"
    ),
    "partitions_every_index": Scenario(NATURAL, "SELECT * FROM p WHERE k = 3"),
    "partitions_one_seq_scan": Scenario(NATURAL, "SELECT * FROM p WHERE k = 7"),
    "partitions_analyzed": Scenario(NATURAL, "SELECT * FROM p WHERE k = 3", analyze=True),
    "forced_like_full_index": Scenario(FORCED, "SELECT email FROM t WHERE email LIKE '%x5%'"),
    "forced_count": Scenario(FORCED, "SELECT count(*) FROM t"),
    "forced_no_index": Scenario(FORCED, "SELECT * FROM u WHERE k = 3"),
    "forced_order_limit": Scenario(FORCED, "SELECT * FROM t ORDER BY created DESC LIMIT 5"),
    "forced_order": Scenario(FORCED, "SELECT id, created FROM t ORDER BY created"),
    "forced_limit_no_order": Scenario(
        FORCED, "SELECT email FROM t WHERE email LIKE '%x5%' LIMIT 10"
    ),
    "forced_sort_above_index_only": Scenario(FORCED, "SELECT a FROM t ORDER BY a % 7"),
    "forced_limit_index_only": Scenario(FORCED, "SELECT a FROM t WHERE a::text <> 'x' LIMIT 3"),
    "natural_order_limit": Scenario(
        NATURAL, "SELECT id, created FROM t ORDER BY created DESC LIMIT 10"
    ),
    "natural_count": Scenario(NATURAL, "SELECT count(*) FROM t"),
    "partitions_order": Scenario(NATURAL, "SELECT * FROM p ORDER BY k LIMIT 5"),
    "forced_sort_above": Scenario(
        FORCED, "SELECT email FROM t WHERE email LIKE '%x5%' ORDER BY length(email)"
    ),
    "forced_merge_join": Scenario(
        {**FORCED, "enable_hashjoin": "off", "enable_nestloop": "off"},
        "SELECT t.email, u.k FROM t JOIN u ON u.t_id = t.id",
    ),
    "forced_group": Scenario(
        {**FORCED, "enable_hashagg": "off"}, "SELECT a, count(*) FROM t GROUP BY a"
    ),
    "forced_partial": Scenario(FORCED, "SELECT * FROM t WHERE status = 'active'"),
    "forced_partitions": Scenario(FORCED, "SELECT * FROM p WHERE at > '2024-06-01'"),
    "parallel_seq_scan": Scenario(PARALLEL, "SELECT * FROM t WHERE email LIKE '%x5%'"),
    "schemas": Scenario(
        NATURAL, "SELECT * FROM t JOIN billing.t bt ON bt.id = t.id WHERE bt.a = 5"
    ),
    "tid_scan": Scenario(NATURAL, "SELECT * FROM t WHERE ctid = '(0,1)'"),
    "delete": Scenario(NATURAL, "DELETE FROM u WHERE t_id = 7"),
    # an ORDER BY in a sublink only: the top Limit's full index read serves no order
    "forced_limit_subquery_order": Scenario(
        FORCED,
        "SELECT t.id, (SELECT k FROM u WHERE u.t_id = t.id ORDER BY k LIMIT 1) FROM t LIMIT 10",
    ),
    "forced_subquery_order": Scenario(
        FORCED,
        "SELECT * FROM (SELECT id, created FROM t ORDER BY created DESC LIMIT 5) s WHERE s.id > 0",
    ),
    "partitions_order_desc": Scenario(NATURAL, "SELECT * FROM p ORDER BY k DESC LIMIT 5"),
}


def build(dsn: str) -> None:
    """The scenarios' tables, analyzed and never vacuumed: the visibility map stays empty.

    The recordings were taken with no page all-visible. A VACUUM would make that depend on
    timing: on the test servers (synchronous_commit=off) it marks a page all-visible only if
    the WAL writer has flushed the load's commit, and index-only scans follow the map.
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("ANALYZE")


def explain(conn: psycopg.Connection, scenario: Scenario) -> Any:
    """The plan as `check` would read it, in a transaction that is rolled back."""
    conn.execute("BEGIN")
    try:
        for name, value in scenario.settings.items():
            conn.execute(
                sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
        options = "ANALYZE, BUFFERS, " if scenario.analyze else ""
        row = conn.execute(f"EXPLAIN ({options}VERBOSE, FORMAT JSON, SETTINGS) {scenario.sql}")
        return row.fetchone()[0]
    finally:
        conn.execute("ROLLBACK")


def record(dsn: str, folder: Path, only: tuple[str, ...] = ()) -> list[Path]:
    """Every scenario (or `only` these) explained on `dsn` (a database built by `build`),
    written to `folder`, with the server's facts as `check` gathers them (facts.json)."""
    from dataclasses import asdict

    from plinto_db.pg.facts import gather_facts

    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "facts.json"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        written[0].write_text(json.dumps(asdict(gather_facts(conn)), indent=1) + "\n")
        for name, scenario in SCENARIOS.items():
            if only and name not in only:
                continue
            doc = {
                "scenario": name,
                "server": server,
                "settings": scenario.settings,
                "sql": scenario.sql,
                "plan": explain(conn, scenario),
            }
            path = folder / f"{name}.json"
            path.write_text(json.dumps(doc, indent=1) + "\n")
            written.append(path)
    return written


def load(major: int, name: str) -> dict[str, Any]:
    return json.loads((PLANS / f"pg{major}" / f"{name}.json").read_text())


def load_facts(major: int):
    """The recording server's facts (indexes, tables, search_path), as ServerFacts."""
    from plinto_db.pg.facts import IndexFact, ServerFacts, TableFact

    doc = json.loads((PLANS / f"pg{major}" / "facts.json").read_text())
    return ServerFacts(
        version=doc["version"],
        indexes=tuple(IndexFact(**i) for i in doc["indexes"]),
        tables=tuple(TableFact(**t) for t in doc["tables"]),
        search_path=tuple(doc["search_path"]),
        in_recovery=doc["in_recovery"],
    )


def recorded_majors() -> list[int]:
    return sorted(int(p.name[2:]) for p in PLANS.glob("pg*") if p.is_dir())


def shape(plan: Any) -> list[tuple]:
    """What the walker reads from a plan, without costs: the part that must not drift."""
    from plinto_db.check.planwalk import walk

    return [
        (n.depth, n.node_type, n.relation, n.schema, n.index, n.parallel, bool(n.index_cond))
        for n in walk(plan)
    ]


def main() -> None:
    from pg_servers import available_servers, start_server

    for name in available_servers():
        server = start_server(name)
        try:
            dsn = server.create_database()
            build(dsn)
            folder = PLANS / f"pg{server.version_num // 10000}"
            for path in record(dsn, folder, tuple(sys.argv[1:])):
                print(path.relative_to(PLANS.parent.parent.parent))
        finally:
            server.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
