"""Partitioned tables: apply against psql doing the same steps, and scale (issue 15).

1. build: a table of --rows rows (default 2,000,000) in --partitions range partitions
   (default 24), two partitioned catalog indexes. `plinto-db apply` against `psql -f` running
   the same ON ONLY + per-partition CREATE INDEX CONCURRENTLY + ATTACH one after another,
   interleaved, medians. Targets: apply <= 1.15x psql; apply --jobs 2 < psql.
2. scale: --scale-partitions partitions (default 1,000) x 10 catalog indexes = 10,000
   partition indexes, built. `status`, a converged `apply` and `doctor --no-checks` (its
   static checks) each < 3 s; `apply --dry-run` of the whole plan (indexes dropped) < 5 s.

Starts its own throw-away embedded server and stops it at the end, unless --dsn names a
server (a database is created there and dropped).

Usage: python benchmarks/partition_bench.py [--part all|build|scale] [--rounds 3]
       [--baseline DIR]   (scale: also time an older source tree in the same run, e.g.
       git archive OLD plinto_db | tar -x -C DIR)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).parent))
from harness import compile_bytecode, plinto_db, start_server, stop_server, with_db  # noqa: E402
from timing import interleaved, print_table, summary, wall  # noqa: E402

BUILD_CATALOG = """\
CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id);
CREATE INDEX CONCURRENTLY orders_placed_total ON orders (placed_on, total);
"""
SCALE_COLUMNS = ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")


def build_schema(conn: psycopg.Connection, rows: int, partitions: int) -> None:
    conn.execute(
        "CREATE TABLE orders (id bigint, customer_id int, placed_on int, total numeric) "
        "PARTITION BY RANGE (placed_on)"
    )
    for n in range(partitions):
        conn.execute(
            f"CREATE TABLE orders_p{n:03d} PARTITION OF orders "
            f"FOR VALUES FROM ({n * 1000}) TO ({(n + 1) * 1000})"
        )
    conn.execute(
        f"INSERT INTO orders SELECT g, (g::bigint * 7919) % 100000, g % {partitions * 1000}, "
        f"(g % 9973) / 7.0 FROM generate_series(1, {rows}) g"
    )
    conn.execute("VACUUM (FREEZE, ANALYZE) orders")
    conn.execute("CHECKPOINT")


def steps_script(dsn: str, catalog: Path, out: Path) -> None:
    """The SQL apply's --dry-run prints is the serial psql script: the same statements."""
    plan = subprocess.run(
        [*plinto_db(), "apply", "--dsn", dsn, "--indexes", str(catalog), "--dry-run"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    out.write_text(plan.stdout)


def drop_indexes(dsn: str, names: list[str]) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute("CHECKPOINT")


def run_build(dsn: str, tmp: Path, args) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        started = time.perf_counter()
        build_schema(conn, args.rows, args.partitions)
    print(
        f"{args.rows} rows in {args.partitions} partitions ({time.perf_counter() - started:.0f}s)"
    )
    catalog = tmp / "build.sql"
    catalog.write_text(BUILD_CATALOG)
    script = tmp / "steps.sql"
    steps_script(dsn, catalog, script)
    names = ["orders_customer", "orders_placed_total"]
    psql = shutil.which("psql")
    apply = [*plinto_db(), "apply", "--dsn", dsn, "--indexes", str(catalog), "--format", "json"]

    def fresh(run):
        def case() -> float:
            drop_indexes(dsn, names)
            return run()

        return case

    base = "psql -f (ON ONLY + CIC + ATTACH, serial)"
    cases = {
        base: fresh(
            lambda: wall([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(script)])
        ),  # fmt: skip
        "plinto-db apply": fresh(lambda: wall(apply)),
        "plinto-db apply --jobs 2": fresh(lambda: wall([*apply, "--jobs", "2"])),
    }
    # what every run pays whatever it builds: interpreter, imports, preflight, verification
    fixed = "plinto-db apply (converged: the fixed cost)"
    cases[fixed] = lambda: wall(apply)
    print("\n== two partitioned indexes, built ==")
    medians = summary(interleaved(cases, args.rounds))
    print_table(medians, base, args.rounds)
    r1 = medians["plinto-db apply"] / medians[base]
    r2 = medians["plinto-db apply --jobs 2"] / medians[base]
    print(f"apply / psql      {r1:.2f} (target <= 1.15): {'OK' if r1 <= 1.15 else 'OVER'}")
    print(f"apply -j2 / psql  {r2:.2f} (target < 1.00): {'OK' if r2 < 1.0 else 'OVER'}")
    work = (medians["plinto-db apply"] - medians[fixed]) / medians[base]
    print(f"(apply - its fixed cost) / psql  {work:.2f}: the per-partition work against psql's")


def run_scale(dsn: str, tmp: Path, args) -> None:
    parts = args.scale_partitions
    with psycopg.connect(dsn, autocommit=True) as conn:
        started = time.perf_counter()
        columns = ", ".join(f"{c} int" for c in SCALE_COLUMNS)
        conn.execute(f"CREATE TABLE events (day int, {columns}) PARTITION BY RANGE (day)")
        for n in range(parts):
            conn.execute(
                f"CREATE TABLE events_d{n:04d} PARTITION OF events "
                f"FOR VALUES FROM ({n}) TO ({n + 1})"
            )
        for c in SCALE_COLUMNS:  # nobody else uses this database: built the plain way
            conn.execute(f"CREATE INDEX events_{c} ON events ({c})")
        count = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relkind = 'i' AND relname LIKE 'events_d%'"
        ).fetchone()[0]
    print(f"\n{parts} partitions x 10 indexes = {count} partition indexes "
          f"({time.perf_counter() - started:.0f}s)")  # fmt: skip
    catalog = tmp / "scale.sql"
    catalog.write_text(
        "".join(f"CREATE INDEX events_{c} ON events ({c});\n" for c in SCALE_COLUMNS)
    )
    cli = [sys.executable, "-S", "-m", "plinto_db"] if args.baseline else plinto_db()
    here = _tree_env(str(Path(__file__).resolve().parent.parent)) if args.baseline else None
    common = ["--dsn", dsn, "--indexes", str(catalog)]
    for env in (here, _tree_env(args.baseline)) if args.baseline else (None,):  # warm caches
        subprocess.run([*cli, "apply", *common], check=True, capture_output=True, env=env, cwd=tmp)
    cpu: dict[str, list[float]] = {}
    floor = 'python -c "import typer, rich, psycopg, sqlglot"'
    commands = {
        "status": ["status", *common],
        "apply (converged)": ["apply", *common],
        "doctor --no-checks (static checks)": ["doctor", *common, "--no-checks"],
    }
    cases = {
        floor: _timed(cpu, floor, [sys.executable, "-c", "import typer, rich, psycopg, sqlglot"])
    }
    cases.update(_versions(cpu, cli, commands, here, args.baseline))
    medians = summary(interleaved(cases, args.rounds))
    drop_indexes(dsn, [f"events_{c}" for c in SCALE_COLUMNS])
    dry_run = {"apply --dry-run (10,000 steps)": ["apply", *common, "--dry-run"]}
    dry = summary(interleaved(_versions(cpu, cli, dry_run, here, args.baseline), args.rounds))
    print(f"{'case':<44} {'median s':>10} {'client cpu':>10} {'target':>8}   "
          f"({args.rounds} runs each)")  # fmt: skip
    for name, value in {**medians, **dry}.items():
        target = 5.0 if "dry-run" in name else 3.0
        used = statistics.median(cpu[name])
        verdict = ("OK" if value < target else "OVER") if name != floor else "(the floor)"
        print(f"{name:<44} {value:>10.2f} {used:>10.2f} {target:>8.1f}   {verdict}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (2 cores)")


def _versions(cpu, cli: list[str], commands: dict[str, list[str]], here, baseline):
    """Each command timed on this tree, and with --baseline also on that source tree,
    interleaved in the same run: before and after under one load."""
    cases = {}
    for name, command in commands.items():
        cases[name] = _timed(cpu, name, [*cli, *command], here)
        if baseline:
            label = f"{name} [baseline]"
            cases[label] = _timed(cpu, label, [*cli, *command], _tree_env(baseline))
    return cases


def _tree_env(tree: str) -> dict[str, str]:
    """Run `python -S -m plinto_db` from `tree`: without site, the editable install's
    finder does not pick this worktree, so both trees start the same way."""
    return {**os.environ, "PYTHONPATH": f"{tree}:{sysconfig.get_paths()['purelib']}"}


def _timed(cpu: dict[str, list[float]], name: str, command: list[str], env=None):
    """Wall time of `command`, and its CPU (user + system) into `cpu[name]`: on a loaded
    machine the wall clock says more about the neighbours than about the command.
    A non-zero exit (doctor's findings) is an answer, not a failure."""

    def case() -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=tempfile.gettempdir(),
        )  # not the repository: `-m` puts the working directory first on sys.path
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        cpu.setdefault(name, []).append(used)
        return seconds

    return case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=("all", "build", "scale"), default="all")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--partitions", type=int, default=24)
    parser.add_argument("--scale-partitions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dsn", help="use this server instead of a throw-away embedded one")
    parser.add_argument("--data-dir", help="embedded server's data dir (default: a temp dir)")
    parser.add_argument(
        "--baseline",
        help="scale: also time a source tree holding plinto_db (e.g. `git archive` of an "
        "older commit) side by side with this one",
    )
    args = parser.parse_args()
    compile_bytecode()
    if shutil.which("psql") is None:
        sys.exit("psql is needed for the baseline")
    tmp = Path(tempfile.mkdtemp(prefix="plinto-partition-bench-"))
    data_dir = Path(args.data_dir) if args.data_dir else tmp / "pgdata"
    server_dsn = args.dsn or start_server(data_dir)
    try:
        for part, run in (("build", run_build), ("scale", run_scale)):
            if args.part not in ("all", part):
                continue
            dbname = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(server_dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
                version = conn.info.server_version
            print(f"PostgreSQL {version // 10000}.{version % 10000}")
            try:
                run(with_db(server_dsn, dbname), tmp, args)
            finally:
                with psycopg.connect(server_dsn, autocommit=True) as conn:
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(dbname)
                        )
                    )
    finally:
        if not args.dsn:
            stop_server(data_dir)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
