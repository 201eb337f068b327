"""`plinto-db bench` and `plinto-db demo` against their targets (issue 10, part B).

1. On `seed --users 200000` data: "my sessions" (25_sessions_list_mine) p50 speedup >= 300x at
   the database level, and shared buffers >= 1,000x fewer.
2. Our database-level p50 for session validation (03_sessions_validate_fast) <= 1.5x pgbench's
   mean latency for it at one client, measured in the same run (each phase).
3. `plinto-db demo` with the default 50,000 users under 5 minutes wall on a 2-core machine,
   first run included (a fresh data directory), and the second run (data reused).

Each round of part 1 is one real `plinto-db bench` process (before and after, the catalog
restored), restricted to those two checks, pgbench 5 s per check and phase; the script prints
every round and the medians. It starts its own throw-away embedded server for each part
(`plinto-db server start --data-dir <tmp>`, stopped at the end) unless --dsn names a database
that is already seeded (then part 1 runs there, with --yes: a copy, never production).

Usage: python benchmarks/bench_targets.py [--part all|db|demo] [--users 200000] [--rounds 3]
                                          [--demo-users 50000] [--dsn DSN]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import compile_bytecode, start_server, stop_server  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MINE, VALIDATE = "25_sessions_list_mine", "03_sessions_validate_fast"


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plinto_db", *args], cwd=REPO, **kwargs)


def prepare(dsn: str, users: int) -> None:
    started = time.perf_counter()
    cli("migrate", "--to", "0001", "--dsn", dsn, check=True, capture_output=True)
    cli("seed", "--users", str(users), "--dsn", dsn, check=True, capture_output=True)
    print(f"seeded {users:,} users in {time.perf_counter() - started:.0f} s", flush=True)


def bench_round(dsn: str, out: Path) -> dict:
    done = cli(
        "bench",
        "--dsn",
        dsn,
        "--yes",
        "--only",
        f"{VALIDATE},{MINE}",
        "--write-tables",
        "none",
        "--pgbench-seconds",
        "5",
        "--format",
        "json",
        "--out",
        str(out),
        "--jobs",
        "2",
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)


def figures(doc: dict) -> dict[str, float]:
    rows = {q["check"]: q for q in doc["queries"]}
    mine = rows[MINE]
    out = {
        "mine_speedup_p50": mine["speedup_p50"],
        "mine_buffers_ratio": mine["buffers_ratio"],
        "mine_before_p50_ms": mine["before"]["p50_ms"],
        "mine_after_p50_ms": mine["after"]["p50_ms"],
        "mine_before_buffers": mine["before"]["buffers"],
        "mine_after_buffers": mine["after"]["buffers"],
    }
    for phase in ("before", "after"):
        run = doc["pgbench"][phase][VALIDATE]
        out[f"validate_{phase}_p50_ms"] = run["ours_p50_ms"]
        out[f"validate_{phase}_pgbench_ms"] = run["latency_ms"]
        out[f"validate_{phase}_ratio"] = run["ours_mean_over_pgbench"]
    return out


def part_db(args: argparse.Namespace) -> None:
    own = args.dsn is None
    work = Path(tempfile.mkdtemp(prefix="plinto-bench-targets-"))
    data_dir = work / "pgdata"
    try:
        dsn = args.dsn or start_server(data_dir)
        if own:
            prepare(dsn, args.users)
        rounds = []
        for number in range(1, args.rounds + 1):
            got = figures(bench_round(dsn, work / f"round{number}"))
            rounds.append(got)
            print(
                f"round {number}: " + ", ".join(f"{k}={v:.4g}" for k, v in got.items()), flush=True
            )
        medians = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        print(f"\nmedians of {len(rounds)} rounds ({args.users:,} users):")
        for key, value in medians.items():
            print(f"  {key:<28} {value:.4g}")
        checks = [
            ("my sessions p50 speedup >= 300x", medians["mine_speedup_p50"] >= 300),
            ("my sessions buffers >= 1,000x fewer", medians["mine_buffers_ratio"] >= 1000),
            (
                "validation p50 <= 1.5x pgbench mean (after)",
                medians["validate_after_ratio"] <= 1.5,
            ),
            (
                "validation p50 <= 1.5x pgbench mean (before)",
                medians["validate_before_ratio"] <= 1.5,
            ),
        ]
        for name, ok in checks:
            print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    finally:
        if own:
            stop_server(data_dir)
        shutil.rmtree(work, ignore_errors=True)


def part_demo(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="plinto-demo-target-"))
    data_dir = work / "pgdata"
    try:
        walls = []
        for label in ("first run (from nothing)", "second run (data reused)"):
            started = time.perf_counter()
            done = cli(
                "demo",
                "--users",
                str(args.demo_users),
                "--data-dir",
                str(data_dir),
                "--out",
                str(work / f"demo{len(walls)}"),
                "--format",
                "json",
                capture_output=True,
                text=True,
            )
            wall = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"demo failed: {done.stderr.strip()[-500:]}")
            steps = json.loads(done.stdout)["demo"]["steps"]
            walls.append(wall)
            shown = ", ".join(f"{k} {v:.0f} s" for k, v in steps.items())
            print(f"demo {label}: {wall:.0f} s wall ({shown})", flush=True)
        verdict = "PASS" if walls[0] < 300 else "FAIL"
        print(f"  {verdict}  demo --users {args.demo_users:,} under 5 minutes, first run included")
    finally:
        stop_server(data_dir)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=("all", "db", "demo"), default="all")
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--demo-users", type=int, default=50_000)
    parser.add_argument("--dsn", help="an already seeded database (a copy) instead of our own")
    args = parser.parse_args()
    compile_bytecode()
    if args.part in ("all", "db"):
        part_db(args)
    if args.part in ("all", "demo"):
        part_demo(args)


if __name__ == "__main__":
    main()
