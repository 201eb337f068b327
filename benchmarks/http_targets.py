"""The HTTP targets of issue 10, measured through `run_http_phase` (the API and Locust as
subprocesses, uvicorn with 2 workers, one Locust process), on `seed --users 50000` data:

1. after the catalog, the session-validation flow at saturation (50 Locust users, no wait):
   at least 1,500 requests/s;
2. after the catalog, the session-validation flow at 1,000 requests/s offered (50 users x 20/s,
   Locust's constant_throughput): p99 at most 30 ms;
3. "my sessions" through HTTP (the flow, and GET /q/25_sessions_list_mine) at saturation:
   requests/s after the catalog at least 20x before.

Each case runs --runs times (default 3), interleaved as far as the phases allow, and the median
is quoted with the range; the load average before each run is printed, since the machine is
shared. Starts its own throw-away embedded server and stops it at the end, unless --dsn names
a server (a database is created there and dropped). The catalog is built with `plinto-db apply`.

Usage: python benchmarks/http_targets.py [--users 50000] [--runs 3] [--seconds 20] [--dsn DSN]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import REPO, compile_bytecode, plinto_db, start_server, stop_server, with_db  # noqa: E402

SV = "session-validation"
MINE = ("my-sessions", "25_sessions_list_mine")


def server_cpu_seconds(data_dir: Path | None) -> float | None:
    """CPU seconds of the embedded server: its postmaster, its live backends and those that
    ended (in the postmaster's cutime/cstime once reaped) (Linux /proc)."""
    if data_dir is None:
        return None
    try:
        postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    from plinto_db.bench.http_procs import proc_stats

    total = 0
    for pid, fields in proc_stats():
        if pid == postmaster:  # its own, and that of the backends it reaped
            total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        elif int(fields[1]) == postmaster:  # live backends
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (Linux /proc/stat: all but idle)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def measure(
    dsn: str, out: Path, phase: str, endpoint: str, args: argparse.Namespace, rate=None
) -> dict:
    from plinto_db.bench.http import HttpLoad, run_http_phase

    load = HttpLoad(
        users=50, spawn_rate=50, seconds=args.seconds, target_rps=rate, endpoints=(endpoint,)
    )
    load_average = os.getloadavg()[0]
    pg_before, busy_before = server_cpu_seconds(args.data_dir), machine_busy_seconds()
    result = run_http_phase(dsn, REPO / "checks", load, out, phase)
    pg_after, busy_after = server_cpu_seconds(args.data_dir), machine_busy_seconds()
    (figures,) = result["endpoints"]
    cpu = dict(result["cpu"])
    if pg_before is not None and pg_after is not None:  # the API's start-up sampling included
        cpu["postgres_cores"] = round((pg_after - pg_before) / cpu["wall_seconds"], 2)
    used = cpu["api_cores"] + cpu["locust_cores"] + cpu.get("postgres_cores", 0.0)
    # everything else the machine ran meanwhile (other users' work, this script's start-ups)
    cpu["others_cores"] = round((busy_after - busy_before) / cpu["wall_seconds"] - used, 2)
    figures = {**figures, "load_average_before": load_average, "cpu": cpu}
    # what the three would reach at this CPU per request with the 2 cores to themselves
    figures["rps_if_cores_were_ours"] = round(figures["rps"] * 2 / used) if used else None
    print(
        f"  {phase:6} {endpoint:24} {'sat' if rate is None else f'{rate:g}/s':>6}  "
        f"rps {figures['rps']:8.1f}  p50 {figures['p50_ms']}  p95 {figures['p95_ms']}  "
        f"p99 {figures['p99_ms']}  fail {figures['failures']}  (cores: API {cpu['api_cores']}, "
        f"Locust {cpu['locust_cores']}, PostgreSQL {cpu.get('postgres_cores', '?')}, "
        f"others {cpu['others_cores']}; "
        f"load avg before {load_average:.2f})",
        flush=True,
    )
    return figures


def median_of(runs: list[dict], key: str) -> tuple[float, float, float]:
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values), min(values), max(values)


def report(results: dict[str, list[dict]]) -> dict:
    sat, _, _ = median_of(results["after sv saturation"], "rps")
    p99, _, _ = median_of(results["after sv 1000/s"], "p99_ms")
    verdict = {
        "session-validation rps at saturation (>= 1500)": (sat, sat >= 1500),
        "session-validation p99 ms at 1000/s offered (<= 30)": (p99, p99 <= 30),
    }
    for name in MINE:
        before, _, _ = median_of(results[f"before {name}"], "rps")
        after, _, _ = median_of(results[f"after {name}"], "rps")
        verdict[f"{name} rps after / before (>= 20)"] = (after / before, after / before >= 20)
    print("\n== medians (range) ==")
    for case, runs in results.items():
        rps, lo, hi = median_of(runs, "rps")
        p99, p99lo, p99hi = median_of(runs, "p99_ms")
        line = (
            f"  {case:32} rps {rps:8.1f} ({lo:.0f}-{hi:.0f})  p99 {p99:g} ms ({p99lo:g}-{p99hi:g})"
        )
        if "1000/s" not in case and all(r.get("rps_if_cores_were_ours") for r in runs):
            own, _, _ = median_of(runs, "rps_if_cores_were_ours")
            line += f"  [2 cores of their own at this CPU per request: ~{own:.0f} rps]"
        print(line)
    print("\n== targets ==")
    for name, (value, ok) in verdict.items():
        print(f"  {name:56} {value:10.1f}  {'OK' if ok else 'MISSED'}")
    return {name: {"value": value, "met": ok} for name, (value, ok) in verdict.items()}


def run_cases(dsn: str, out: Path, args: argparse.Namespace) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {}

    def case(name: str, phase: str, endpoint: str, rate=None) -> None:
        results.setdefault(name, []).append(measure(dsn, out, phase, endpoint, args, rate))

    print("\n== before the catalog ==", flush=True)
    for _ in range(args.runs):
        for name in MINE:
            case(f"before {name}", "before", name)
    started = time.perf_counter()
    subprocess.run([*plinto_db(), "apply", "--dsn", dsn, "--format", "json"], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    print(f"\n== after the catalog (plinto-db apply: {time.perf_counter() - started:.0f} s) ==")
    for _ in range(args.runs):
        case("after sv saturation", "after", SV)
        case("after sv 1000/s", "after", SV, 1000.0)
        for name in MINE:
            case(f"after {name}", "after", name)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--dsn", help="use this server instead of a throw-away embedded one")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    compile_bytecode()
    from plinto_db.seed.run import run_seed
    from plinto_db.server.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="plinto-http-targets-"))
    server_dsn = args.dsn or start_server(tmp / "pgdata")
    args.data_dir = None if args.dsn else tmp / "pgdata"
    dbname = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        version = conn.info.server_version
    dsn = with_db(server_dsn, dbname)
    try:
        upgrade(dsn, "0001")
        started = time.perf_counter()
        run_seed(dsn, users=args.users, seed=42)
        print(
            f"PostgreSQL {version // 10000}.{version % 10000}; {os.cpu_count()} cores; seeded "
            f"{args.users} users in {time.perf_counter() - started:.0f} s; {args.runs} runs of "
            f"{args.seconds:g} s per case; uvicorn 2 workers, one Locust process"
        )
        results = run_cases(dsn, tmp / "out", args)
        verdict = report(results)
        if args.json:
            args.json.write_text(json.dumps({"runs": results, "targets": verdict}, indent=1))
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(dbname)))  # fmt: skip
        if not args.dsn:
            stop_server(tmp / "pgdata")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
