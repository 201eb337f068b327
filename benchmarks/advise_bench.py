"""`plinto-db advise` against the hand-written catalog (issue 17), and advise's speed.

On seeded Plinto with the 45-index catalog dropped:
1. speed: `advise` over the 55 checks with HypoPG, median of --runs runs. Target: < 15 s.
2. compare: advise over a copy of checks/ (--write, expectations updated), apply what it
   wrote, and measure; then drop it, apply the hand-written catalog, and measure the same
   way (plinto_db/advise/versus.py): checks passing in natural mode (and which fail), indexes
   a passing check uses, size on disk, bench's write cost (insert and update throughput on
   sessions and activity_logs, against no catalog at all; and, as the timing is noisy on a
   shared machine, the WAL bytes each written row costs), and doctor's redundant-index and
   duplicate-index findings. Targets: at least as many checks pass, smaller, cheaper writes,
   no redundant or duplicate index.

With --dsn (a server with HypoPG, e.g. PostgreSQL 15): a database is created there and
dropped. Without: a throw-away embedded server (PostgreSQL 18, no HypoPG: trial builds for
everything, and the speed part is skipped). The comparison always passes --trial-builds:
with HypoPG it only builds what HypoPG cannot simulate (the GIN candidates).

Usage: python benchmarks/advise_bench.py [--users 50000] [--runs 5] [--dsn ADMIN_DSN]
       [--part all|speed|compare] [--json FILE]
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
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).parent))
from harness import compile_bytecode, plinto_db, start_server, stop_server, with_db  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def seeded_database(admin_dsn: str, users: int) -> str:
    from plinto_db.seed.run import run_seed
    from plinto_db.server.migrate import upgrade

    name = f"advise_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = with_db(admin_dsn, name)
    upgrade(dsn, "0001")  # the schema without the catalog
    run_seed(dsn, users=users, seed=42)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = on")
        conn.execute("VACUUM ANALYZE")
    return dsn


def drop_database(admin_dsn: str, dsn: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def has_hypopg(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        query = "SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"
        return conn.execute(query).fetchone() is not None


def speed(dsn: str, runs: int) -> dict:
    from plinto_db.advise.run import AdviseRequest, run_advise

    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = run_advise(AdviseRequest(dsn, REPO / "checks", REPO / "indexes"))
        seconds.append(time.perf_counter() - started)
    assert result is not None
    return {
        "runs": seconds,
        "median_s": statistics.median(seconds),
        "checks": result.checks_total,
        "candidates_costed": result.candidates_costed,
        "proposals": len(result.proposals),
        "method": result.method,
    }


def apply(dsn: str, indexes: Path) -> None:
    subprocess.run(
        [*plinto_db(), "apply", "--dsn", dsn, "--indexes", str(indexes), "--jobs", "2"],
        check=True,
        capture_output=True,
    )


def drop_indexes(dsn: str, names: list[str]) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))


def compare(dsn: str, trial_builds: bool, work: Path, rounds: int, min_gain: float) -> dict:
    from plinto_db.advise.run import AdviseRequest, run_advise
    from plinto_db.advise.versus import measure
    from plinto_db.catalog import load_catalog

    checks, advised_dir, names_dir = work / "checks", work / "advised", work / "all"
    shutil.copytree(REPO / "checks", checks)
    written = advised_dir / "50_advised.sql"
    started = time.perf_counter()
    run = run_advise(
        AdviseRequest(
            dsn,
            checks,
            REPO / "indexes",
            write=written,
            trial_builds=trial_builds,
            min_gain=min_gain,
        )
    )
    advise_s = time.perf_counter() - started
    names_dir.mkdir()
    for file in [*(REPO / "indexes").glob("*.sql"), written]:
        shutil.copy(file, names_dir / file.name)
    hand_specs = load_catalog(REPO / "indexes")
    advised_specs = load_catalog(advised_dir)
    apply(dsn, advised_dir)  # the way a user builds it: apply, concurrently
    advised = measure(dsn, "advised", checks, names_dir, [s.name for s in advised_specs])
    drop_indexes(dsn, [s.name for s in advised_specs])
    apply(dsn, REPO / "indexes")
    hand = measure(
        dsn, "hand-written", REPO / "checks", REPO / "indexes", [s.name for s in hand_specs]
    )
    drop_indexes(dsn, [s.name for s in hand_specs])
    writes = interleaved_writes(
        dsn, {"none": [], "hand": hand_specs, "advised": advised_specs}, rounds
    )
    return {
        "advise_seconds": advise_s,
        "method": run.method,
        "catalog": written.read_text(),
        "hand": {**_figures(hand), "writes": writes["hand"]},
        "advised": {**_figures(advised), "writes": writes["advised"]},
        "none": {"writes": writes["none"]},
    }


def interleaved_writes(dsn: str, catalogs: dict[str, list], rounds: int) -> dict[str, list]:
    """bench's write cost with each catalog built in turn, `rounds` times interleaved (the
    machine's load drifts; interleaving spreads it over all three); medians, and each
    catalog's throughput over no catalog's."""
    from plinto_db.advise.versus import WRITE_TARGETS, wal_per_row, write_cost
    from plinto_db.bench.writes import WriteOptions

    options = WriteOptions(targets=WRITE_TARGETS, rounds=3)
    samples: dict[tuple[str, str, str], list[float]] = {}
    wal: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for label, specs in catalogs.items():
            with psycopg.connect(dsn, autocommit=True) as conn:
                for spec in specs:  # nobody else uses this database: plain builds are faster
                    conn.execute(spec.create_sql(concurrently=False))
                for phase in write_cost(conn, options):
                    if phase.figure:
                        key = (label, phase.table, phase.operation)
                        samples.setdefault(key, []).append(phase.figure.ops_per_s)
                for what, size in wal_per_row(conn, options).items():
                    wal.setdefault((label, what), []).append(size)
            drop_indexes(dsn, [spec.name for spec in specs])
    medians = {key: statistics.median(values) for key, values in samples.items()}
    wal_medians = {key: statistics.median(values) for key, values in wal.items()}
    result: dict[str, list] = {label: [] for label in catalogs}
    for (label, table, operation), ops in medians.items():
        base = medians.get(("none", table, operation))
        result[label].append(
            {"table": table, "operation": operation, "ops_per_s": round(ops),
             "vs_no_catalog": ops / base if base else None,
             "wal_bytes_per_row": wal_medians.get((label, f"{table} {operation}"))}
        )  # fmt: skip
    return result


def _figures(figures) -> dict:
    return {
        "indexes": figures.indexes,
        "bytes": figures.bytes,
        "passed": figures.passed,
        "checks": figures.checks,
        "failed": list(figures.failed),
        "proven": figures.proven,
        "redundant_or_duplicate": list(figures.redundant),
    }


def print_compare(result: dict) -> None:
    hand, advised = result["hand"], result["advised"]
    print(f"\nadvise ({result['method']}) took {result['advise_seconds']:.1f} s\n")
    print(f"{'':34} {'hand-written':>16} {'advised':>16}")
    rows = [
        ("indexes", hand["indexes"], advised["indexes"]),
        ("size on disk (MB)", f"{hand['bytes'] / 2**20:.1f}", f"{advised['bytes'] / 2**20:.1f}"),
        ("checks passing (natural)", f"{hand['passed']}/{hand['checks']}",
         f"{advised['passed']}/{advised['checks']}"),
        ("indexes a passing check uses", hand["proven"], advised["proven"]),
        ("doctor: redundant or duplicate", len(hand["redundant_or_duplicate"]),
         len(advised["redundant_or_duplicate"])),
    ]  # fmt: skip
    for hand_w, advised_w in zip(hand["writes"], advised["writes"], strict=True):
        label = f"{hand_w['operation']}s/s {hand_w['table'].split('.')[-1]} (x none)"
        rows.append((label, _ratio(hand_w["vs_no_catalog"]), _ratio(advised_w["vs_no_catalog"])))
    for hand_w, advised_w in zip(hand["writes"], advised["writes"], strict=True):
        label = f"WAL B/row {hand_w['operation']} {hand_w['table'].split('.')[-1]}"
        rows.append(
            (label, _bytes(hand_w["wal_bytes_per_row"]), _bytes(advised_w["wal_bytes_per_row"]))
        )
    for label, a, b in rows:
        print(f"{label:34} {a!s:>16} {b!s:>16}")
    print(f"\nfailing with the hand-written catalog: {', '.join(hand['failed']) or 'none'}")
    print(f"failing with the advised catalog:     {', '.join(advised['failed']) or 'none'}")
    for message in advised["redundant_or_duplicate"]:
        print(f"doctor on the advised catalog: {message}")


def _bytes(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "-"


def _ratio(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5, help="advise runs for the speed median")
    parser.add_argument("--dsn", help="an admin DSN of a server to use (a database is created)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved write-cost rounds")
    parser.add_argument("--part", choices=("all", "speed", "compare"), default="all")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--reuse", help="a seeded database's DSN to use as it is (the catalog dropped); kept"
    )
    parser.add_argument("--min-gain", type=float, default=0.5, help="advise's --min-gain")
    args = parser.parse_args()
    compile_bytecode()
    data_dir = None
    admin = args.dsn or args.reuse
    if admin is None:
        data_dir = Path(tempfile.mkdtemp(prefix="advise-bench-"))
        admin = start_server(data_dir)
    work = Path(tempfile.mkdtemp(prefix="advise-bench-work-"))
    dsn = None
    try:
        dsn = args.reuse or seeded_database(admin, args.users)
        hypopg = has_hypopg(dsn)
        with psycopg.connect(dsn) as conn:
            server = conn.execute("SHOW server_version").fetchone()[0]
        report: dict = {"server": server, "users": args.users, "hypopg": hypopg}
        report["min_gain"] = args.min_gain
        print(
            f"PostgreSQL {server}, seed --users {args.users}, HypoPG: {hypopg}, "
            f"--min-gain {args.min_gain}"
        )
        if args.part in ("all", "speed") and hypopg:
            report["speed"] = speed(dsn, args.runs)
            s = report["speed"]
            print(
                f"advise over {s['checks']} checks with {s['method']}: median "
                f"{s['median_s']:.2f} s of {len(s['runs'])} ({s['candidates_costed']} candidates, "
                f"{s['proposals']} proposals); target < 15 s"
            )
        if args.part in ("all", "compare"):
            # trial builds too: with HypoPG only for what it cannot simulate (GIN)
            report["compare"] = compare(dsn, True, work, args.rounds, args.min_gain)
            print_compare(report["compare"])
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
    finally:
        if dsn and not args.reuse:
            drop_database(admin, dsn)
        shutil.rmtree(work, ignore_errors=True)
        if data_dir:
            stop_server(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
