"""Benchmark: server time of `plinto-db doctor`'s static checks on the seeded, indexed Plinto
database.

Target (issue 11): under 1 s of server time for all static checks. doctor reads the catalogs
once for all checks (one query per kind of fact, see plinto_db/doctor/sql.py), so the script
times each query doctor sends with EXPLAIN (ANALYZE) (planning + execution, as the server
reports it), takes the median of --runs runs, and adds up, per check, the queries that check
needs. It also reports the client-side wall time of the whole static run (run_doctor in
process, the workload off) for comparison.

    python benchmarks/doctor_bench.py                 # own throw-away embedded server, seed 50000
    python benchmarks/doctor_bench.py --dsn URL       # an already seeded database, catalog applied

Without --dsn the script starts an embedded PostgreSQL in a temporary folder, migrates, seeds
`--users` users, builds the catalog's indexes, runs VACUUM ANALYZE, and stops the server after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import prepare_indexed, start_server, stop_server  # noqa: E402

TARGET_SECONDS = 1.0


# gather.py's name for each query, and the Need it answers
QUERIES = {
    "indexes": ("INDEXES", True),
    "tables": ("TABLES", True),
    "foreign_keys": ("FOREIGN_KEYS", True),
    "equality_operators": ("EQUALITY_OPERATORS", False),
    "builds": ("BUILDS_IN_PROGRESS", False),
    "btree_sizes": ("BTREE_SIZE_INPUTS", True),
}


def server_times(dsn: str, runs: int) -> dict[str, float]:
    """Median server time (planning + execution, ms) of each query doctor may send."""
    import psycopg

    from plinto_db.doctor import sql

    medians = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        version = conn.info.server_version
        for name, (constant, with_params) in QUERIES.items():
            query = sql.statement(getattr(sql, constant), version)
            params = {"schemas": None} if with_params else None
            samples = []
            for _ in range(runs + 1):  # the first run warms the caches and is dropped
                (plan,) = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}", params).fetchone()
                samples.append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
            medians[name] = statistics.median(samples[1:])
    return medians


def static_wall(dsn: str, runs: int) -> tuple[float, dict[str, float]]:
    """Median client wall time (s) of run_doctor with every static check, and query timings."""
    from plinto_db.doctor.model import Kind
    from plinto_db.doctor.registry import CHECKS
    from plinto_db.doctor.run import DoctorRequest, run_doctor

    static = tuple(c.id for c in CHECKS if c.kind is Kind.STATIC)
    request = DoctorRequest(dsn=lambda: dsn, only=static)
    run_doctor(request)
    samples, last = [], None
    for _ in range(runs):
        started = time.perf_counter()
        last = run_doctor(request)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), {k: v * 1000 for k, v in last.timings.items()}


def report(dsn: str, runs: int) -> bool:
    import psycopg

    from plinto_db.doctor.model import Kind, Need
    from plinto_db.doctor.registry import CHECKS

    with psycopg.connect(dsn) as conn:
        tables, indexes, size, version = conn.execute(
            "SELECT count(DISTINCT x.indrelid), count(*), "
            "pg_size_pretty(pg_database_size(current_database())), "
            "current_setting('server_version') FROM pg_index x "
            "JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        ).fetchone()
        users = (
            conn.execute("SELECT count(*) FROM users").fetchone()[0]
            if conn.execute("SELECT to_regclass('users')").fetchone()[0]
            else 0
        )
    print(
        f"PostgreSQL {version}: {indexes} indexes on {tables} tables, {size}"
        + (f", {users} users" if users else "")
    )
    times = server_times(dsn, runs)
    print(f"\nserver time per query (EXPLAIN ANALYZE: planning + execution; median of {runs})")
    for name, ms in times.items():
        print(f"  {name:<20} {ms:8.2f} ms")
    print("\nper check (the queries it needs, as when run alone with --only)")
    static_needs: set[Need] = set()
    for check in CHECKS:
        needs = sorted(n.value for n in check.needs)
        ms = sum(times[n] for n in needs)
        if check.kind is Kind.STATIC:
            static_needs |= set(check.needs)
        print(f"  {check.id:<22} {check.kind.value:<8} {ms:8.2f} ms  ({', '.join(needs)})")
    # a full run also reads foreign keys and equality operators to protect FK indexes
    static_needs |= {Need.FOREIGN_KEYS, Need.EQUALITY_OPERATORS}
    total = sum(times[n.value] for n in static_needs)
    wall, client = static_wall(dsn, runs)
    print(f"\nall static checks: {total:.2f} ms of server time (each query once)")
    print(f"client wall time of run_doctor (static checks, no workload): {wall * 1000:.1f} ms")
    print("  its queries as the client saw them: " + ", ".join(
        f"{name} {ms:.1f} ms" for name, ms in client.items()
    ))  # fmt: skip
    passed = total / 1000 < TARGET_SECONDS
    print(
        f"target: server time < {TARGET_SECONDS:.0f} s for all static checks: "
        + ("PASS" if passed else "FAIL")
    )
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="an already seeded database with the catalog applied")
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if args.dsn:
        sys.exit(0 if report(args.dsn, args.runs) else 1)
    with tempfile.TemporaryDirectory(prefix="doctor-bench-") as tmp:
        data_dir = Path(tmp) / "pgdata"
        dsn = start_server(data_dir)
        try:
            print(f"seeding {args.users} users into a throw-away embedded server ...", flush=True)
            started = time.perf_counter()
            prepare_indexed(dsn, args.users)
            print(f"prepared in {time.perf_counter() - started:.0f} s", flush=True)
            passed = report(dsn, args.runs)
        finally:
            stop_server(data_dir)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
