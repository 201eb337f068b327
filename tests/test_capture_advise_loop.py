"""The loop, end to end on real servers (PostgreSQL 15 with HypoPG, 18 with trial builds):
a workload runs through a database whose index catalog is absent; `capture` writes its checks,
`advise --write` a catalog for them, `apply` builds it, `check` passes the advised checks and
`bench` finds each one served by the new index instead of a sequential scan.

The same commands, in the same order, are the loop in docs/advise.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from test_advise import costing  # HypoPG where the server has it (15 here), else trial builds

# 5,000 rows of about 150 bytes: some 100 pages, so a sequential read is what an index saves
SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, code text NOT NULL,
  note text NOT NULL);
INSERT INTO orders SELECT i, 1 + i % 500, 'ord-' || i, repeat('n', 120)
FROM generate_series(1, 5000) i;
"""
# what production runs, with real values: pg_stat_statements folds the constants into $1
WORKLOAD = (
    ("SELECT id, note FROM orders WHERE customer_id = {n}", 12),
    ("SELECT id FROM orders WHERE code = 'ord-{n}'", 8),
)
ADVISED = {"customer_id", "code"}  # the column each statement's new index leads with


def build_and_run_the_workload(server) -> str:
    dsn = server.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("SET synchronous_commit = on")
        conn.execute("VACUUM (FREEZE, ANALYZE) orders")
        for text, times in WORKLOAD:
            for n in range(1, times + 1):
                conn.execute(text.format(n=n * 37))
    return dsn


def captured_checks(checks_dir: Path) -> dict[str, str]:
    files = {path.stem: path.read_text() for path in sorted(checks_dir.glob("*.sql"))}
    statements = " | ".join(files.values())
    assert "customer_id = $1" in statements and "code = $1" in statements, statements
    assert all("-- sample:" in text for text in files.values()), files
    return files


def test_capture_advise_apply_check_bench_is_one_loop(pg_server, run_cli, tmp_path):
    dsn = build_and_run_the_workload(pg_server)
    project = tmp_path / "project"  # a user's project: no indexes/ yet, the commands run here
    project.mkdir()
    checks_dir, advised = project / "checks" / "captured", project / "indexes" / "50_advised.sql"

    def plinto(*args: str) -> str:
        result = run_cli(*args, "--dsn", dsn, cwd=project)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    try:
        plinto("capture", "--out", "checks/captured", "--cover", "100%")
        checks = captured_checks(checks_dir)
        for name, text in checks.items():  # today's plans: a sequential read of orders
            assert "-- expect: no-seqscan orders" in text, (name, text)
        today = run_cli("check", "--dsn", dsn, "--checks", "checks/captured", cwd=project)
        assert today.returncode == 1, today.stdout + today.stderr

        plinto("advise", "--checks", "checks/captured", "--write", "indexes/50_advised.sql",
               *costing(dsn))  # fmt: skip
        catalog = advised.read_text()
        assert ("costed with trial builds" if costing(dsn) else "costed with HypoPG") in catalog
        for column in ADVISED:
            assert f"ON orders ({column});" in catalog, catalog
        for name in checks:  # each check now expects its new index
            text = (checks_dir / f"{name}.sql").read_text()
            assert "-- expect: index adv_orders_" in text, text

        plinto("apply", "--indexes", "indexes")
        plinto("check", "--checks", "checks/captured", "--indexes", "indexes")
        plinto(
            "bench", "--checks", "checks/captured", "--indexes", "indexes", "--yes",
            "--iterations", "5", "--warmup", "1", "--write-tables", "none",
            "--pgbench-seconds", "0", "--out", "bench",
        )  # fmt: skip
        results = json.loads((project / "bench" / "results.json").read_text())
        rows = {q["check"]: q for q in results["queries"]}
        assert set(rows) == set(checks)
        for name, row in rows.items():  # decided from the plans, not the clock
            assert row["verdict"] == "helped", (name, row["verdict"], row.get("reason"))
            assert row["after"]["index"].startswith("adv_orders_"), row
            assert row["before"]["buffers"] > row["after"]["buffers"], row
        # and round again: everything advised is built, nothing to add
        assert "nothing to add" in plinto("advise", "--checks", "checks/captured", *costing(dsn))
        # capture again: the files advise edited stay as they are; bench's row counts stay out
        advised_checks = {name: (checks_dir / f"{name}.sql").read_text() for name in checks}
        again = plinto("capture", "--out", "checks/captured", "--cover", "100%")
        assert again.count("edited since capture wrote it (by hand or by advise)") == 2, again
        assert not [p for p in checks_dir.rglob("*.sql") if "count(*)" in p.read_text()], again
        for name, text in advised_checks.items():
            assert (checks_dir / f"{name}.sql").read_text() == text
    finally:
        pg_server.drop_database(dsn)
