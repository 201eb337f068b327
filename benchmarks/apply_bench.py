"""`plinto-db apply` wall time against its floors (issue 3).

1. Re-run on a converged database (45 indexes, nothing to do) against
   `python -c "import typer, rich, psycopg, sqlglot"`. Target: <= 1.5x.
2. Full apply on `seed --users 50000` data against the same 45 CREATE INDEX CONCURRENTLY
   statements run one after another by `psql -f`, in the same run, interleaved.
   Target: <= 1.10x; with --jobs 2, faster than psql.

Starts its own throw-away embedded server (`plinto-db server start --data-dir <tmp>`) and
stops it at the end, unless --dsn names a server (a database is created there and dropped).

Usage: python benchmarks/apply_bench.py [--users 50000] [--rounds 3] [--reruns 11] [--dsn DSN]
"""

from __future__ import annotations

import argparse
import os
import shutil
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
from timing import interleaved, print_table, summary, wall  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def drop_catalog_indexes(dsn: str, names: list[str]) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3, help="full-apply rounds per case")
    parser.add_argument("--reruns", type=int, default=11, help="converged re-run samples")
    parser.add_argument("--dsn", help="use this server instead of a throw-away embedded one")
    parser.add_argument("--part", choices=("all", "full", "rerun"), default="all")
    args = parser.parse_args()

    compile_bytecode()

    from plinto_db.catalog import load_catalog
    from plinto_db.seed.run import run_seed
    from plinto_db.server.migrate import upgrade

    specs = load_catalog(REPO / "indexes")
    names = [s.name for s in specs]
    psql = shutil.which("psql")
    if psql is None:
        sys.exit("psql is needed for the baseline")

    tmp = Path(tempfile.mkdtemp(prefix="plinto-apply-bench-"))
    data_dir = tmp / "pgdata"
    server_dsn = args.dsn or start_server(data_dir)
    dbname = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        version = conn.info.server_version
    dsn = with_db(server_dsn, dbname)
    try:
        upgrade(dsn, "0001")
        started = time.perf_counter()
        seeded = run_seed(dsn, users=args.users, seed=42)
        print(
            f"PostgreSQL {version // 10000}.{version % 10000}; seeded {args.users} users "
            f"({sum(seeded.rows.values())} rows) in {time.perf_counter() - started:.0f}s"
        )
        script = tmp / "catalog_cic.sql"
        script.write_text("".join(f"{s.create_sql(True)};\n" for s in specs))
        apply = [*plinto_db(), "apply", "--dsn", dsn, "--format", "json"]

        def fresh(run):
            def case() -> float:
                drop_catalog_indexes(dsn, names)
                return run()

            return case

        full = {
            "psql -f (45 CIC, one after another)": fresh(
                lambda: wall(
                    [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(script)]
                )
            ),
            "plinto-db apply": fresh(lambda: wall(apply)),
            "plinto-db apply --jobs 2": fresh(lambda: wall([*apply, "--jobs", "2"])),
        }
        if args.part in ("all", "full"):
            print("\n== full apply on seeded data ==")
            medians = summary(interleaved(full, args.rounds))
            print_table(medians, "psql -f (45 CIC, one after another)", args.rounds)
            base = medians["psql -f (45 CIC, one after another)"]
            r1 = medians["plinto-db apply"] / base
            r2 = medians["plinto-db apply --jobs 2"] / base
            print(f"apply / psql      {r1:.2f} (target <= 1.10): {'OK' if r1 <= 1.10 else 'OVER'}")
            print(f"apply -j2 / psql  {r2:.2f} (target < 1.00): {'OK' if r2 < 1.0 else 'OVER'}")
        if args.part == "full":
            return

        # converged database for the re-run case
        subprocess.run(apply, check=True, capture_output=True)
        rerun = {
            'python -c "import typer, rich, psycopg, sqlglot"': lambda: wall(
                [sys.executable, "-c", "import typer, rich, psycopg, sqlglot"]
            ),
            "plinto-db apply (converged, 45 skips)": lambda: wall(apply),
            "  same, PLINTO_DB_NO_CACHE=1 (cold)": lambda: wall(
                apply, env={**os.environ, "PLINTO_DB_NO_CACHE": "1"}
            ),
        }
        print("\n== re-run on a converged database ==")
        medians = summary(interleaved(rerun, args.reruns))
        print_table(medians, 'python -c "import typer, rich, psycopg, sqlglot"', args.reruns)
        ratio = (
            medians["plinto-db apply (converged, 45 skips)"]
            / medians['python -c "import typer, rich, psycopg, sqlglot"']
        )
        print(f"ratio {ratio:.2f} (target <= 1.50): {'OK' if ratio <= 1.5 else 'OVER'}")
        cold = (
            medians["  same, PLINTO_DB_NO_CACHE=1 (cold)"]
            / medians['python -c "import typer, rich, psycopg, sqlglot"']
        )
        print(f"without the local cache: {cold:.2f}")
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
        if not args.dsn:
            stop_server(data_dir)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
