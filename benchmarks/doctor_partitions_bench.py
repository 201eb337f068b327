"""Benchmark: `plinto-db doctor --no-checks` on a catalog of 10,000 partition indexes.

Target (issue 15, "Scale"): with partitioned indexes that add up to 10,000 partition indexes
(1,000 daily partitions x 10 indexes on the parent), doctor's static checks stay under 3 s.
The script builds that layout in a throw-away database, then times, median of --runs runs:

- the whole command, `plinto-db doctor --no-checks` as a user runs it (a new process);
- the static checks in process (run_doctor, every static check, no workload), with the time
  of each catalog query as the client saw it.

The machine is shared and loaded, so absolute seconds move from run to run: `--compare DIR`
also times the command from another source tree (e.g. the code before a change, unpacked with
`git archive <commit> plinto_db | tar -x -C DIR`), interleaved run by run with this one, and
prints the ratio of the medians.

    python benchmarks/doctor_partitions_bench.py               # own throw-away embedded server
    python benchmarks/doctor_partitions_bench.py --dsn URL     # a server you run (a database
                                                               # is created there and dropped)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import compile_bytecode, plinto_db, start_server, stop_server, with_db  # noqa: E402

TARGET_SECONDS = 3.0
DATABASE = "plinto_doctor_partitions_bench"
# the parent's indexes: (c1) is a leading prefix of (c1, c2), so doctor has a finding and a
# drop candidate to judge across 1,000 partitions; (r) supports the foreign key
INDEXED = ["c1, c2", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "day", "r"]


def build_layout(dsn: str, partitions: int, indexes: int) -> None:
    """A daily range-partitioned table with a foreign key and `indexes` indexes on the parent
    (PostgreSQL creates one on each partition: partitions x indexes partition indexes)."""
    import psycopg

    first = date(2023, 1, 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE ref (id int PRIMARY KEY)")
        conn.execute(
            "CREATE TABLE big (day date NOT NULL, r int REFERENCES ref, c1 int, c2 int, c3 int,"
            " c4 int, c5 int, c6 int, c7 int) PARTITION BY RANGE (day)"
        )
        for start in range(0, partitions, 100):  # batches: the lock table is finite
            with conn.transaction():
                for n in range(start, min(start + 100, partitions)):
                    day = first + timedelta(days=n)
                    conn.execute(
                        f"CREATE TABLE big_{day:%Y%m%d} PARTITION OF big"
                        f" FOR VALUES FROM ('{day}') TO ('{day + timedelta(days=1)}')"
                    )
        for columns in INDEXED[:indexes]:
            conn.execute(f"CREATE INDEX ON big ({columns})")
        conn.execute("VACUUM ANALYZE")


def command_seconds(dsn: str, source: Path | None) -> float:
    """Wall time of one `doctor --no-checks` process (from `source` when given)."""
    if source is None:
        argv, env = plinto_db(), None
    else:
        argv = [sys.executable, "-m", "plinto_db"]
        env = {**os.environ, "PYTHONPATH": str(source)}
    started = time.perf_counter()
    done = subprocess.run(
        [*argv, "doctor", "--no-checks", "--dsn", dsn],
        capture_output=True,
        text=True,
        env=env,
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: findings at the failing level
        sys.exit(f"doctor failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def static_seconds(dsn: str) -> tuple[float, dict[str, float]]:
    """In-process wall time of the static checks, and each catalog query's seconds."""
    from plinto_db.doctor.model import Kind
    from plinto_db.doctor.registry import CHECKS
    from plinto_db.doctor.run import DoctorRequest, run_doctor

    static = tuple(c.id for c in CHECKS if c.kind is Kind.STATIC)
    started = time.perf_counter()
    report = run_doctor(DoctorRequest(dsn=lambda: dsn, only=static))
    return time.perf_counter() - started, dict(report.timings)


def measure(dsn: str, runs: int, compare: Path | None) -> bool:
    command_seconds(dsn, None)  # warm the OS caches once
    ours, theirs, static, queries = [], [], [], []
    for _ in range(runs):
        ours.append(command_seconds(dsn, None))
        if compare is not None:
            theirs.append(command_seconds(dsn, compare))
        seconds, timings = static_seconds(dsn)
        static.append(seconds)
        queries.append(timings)
    median_ours = statistics.median(ours)
    print(f"\nmedian of {runs} runs")
    print(f"  doctor --no-checks (a new process)        {median_ours:7.2f} s")
    if compare is not None:
        median_theirs = statistics.median(theirs)
        print(f"  doctor --no-checks from {compare}  {median_theirs:7.2f} s")
        print(f"  ratio this / compared                     {median_ours / median_theirs:7.2f}")
    print(f"  static checks in process (run_doctor)     {statistics.median(static):7.2f} s")
    for name in queries[0]:
        ms = statistics.median(t.get(name, 0.0) for t in queries) * 1000
        print(f"    query {name:<20} {ms:9.0f} ms")
    passed = median_ours < TARGET_SECONDS
    print(f"target: doctor --no-checks < {TARGET_SECONDS:.0f} s: " + ("PASS" if passed else "FAIL"))
    return passed


def run(server_dsn: str, args: argparse.Namespace) -> bool:
    import psycopg

    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    dsn = with_db(server_dsn, DATABASE)
    try:
        print(f"building {args.partitions} partitions x {args.indexes} indexes ...", flush=True)
        started = time.perf_counter()
        build_layout(dsn, args.partitions, args.indexes)
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
        with psycopg.connect(dsn) as conn:
            version, count = conn.execute(
                "SELECT current_setting('server_version'), count(*) FROM pg_class"
                " WHERE relkind = 'i' AND relispartition"
            ).fetchone()
        print(f"PostgreSQL {version}: {count} partition indexes")
        return measure(dsn, args.runs, args.compare)
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="a server to build the throw-away database on")
    parser.add_argument("--partitions", type=int, default=1_000)
    parser.add_argument("--indexes", type=int, default=10, choices=range(1, len(INDEXED) + 1))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another source tree to time side by side")
    args = parser.parse_args()
    compile_bytecode()
    if args.compare is not None:  # else the compared tree is compiled anew on every run
        compile_bytecode(args.compare)
    if args.dsn:
        sys.exit(0 if run(args.dsn, args) else 1)
    with tempfile.TemporaryDirectory(prefix="doctor-partitions-bench-") as tmp:
        data_dir = Path(tmp) / "pgdata"
        dsn = start_server(data_dir)
        try:
            passed = run(dsn, args)
        finally:
            stop_server(data_dir)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
