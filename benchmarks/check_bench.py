"""Benchmark: `plinto-db check` (natural mode, every check) against psql running the same EXPLAINs.

Target (issues 4 and 9): the wall time of `plinto-db check` beyond the import floor
(`python -c "import typer, rich, psycopg, sqlglot"`) is at most 2x the wall time of `psql`
running the same EXPLAIN (VERBOSE, FORMAT JSON, SETTINGS) statements from one file. Medians of
interleaved runs, same machine.

    python benchmarks/check_bench.py                 # own throw-away embedded server, seed 50000
    python benchmarks/check_bench.py --dsn URL       # an already seeded database (catalog applied)

Without --dsn the script starts an embedded PostgreSQL in a temporary folder, migrates, seeds
`--users` users, builds the catalog's indexes, runs VACUUM ANALYZE, and stops the server after.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import compile_bytecode, prepare_indexed  # noqa: E402
from timing import interleaved, print_table, summary, wall  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLI = [PYTHON, "-m", "plinto_db"]
FLOOR = [PYTHON, "-c", "import typer, rich, psycopg, sqlglot"]


def psql_script(dsn: str, checks_dir: Path) -> str:
    """The EXPLAIN statements `check` sends, with sample values resolved once, for psql."""
    import psycopg
    from psycopg import sql

    from plinto_db.check.workload import load_workload

    lines = [
        "BEGIN;",
        "SET LOCAL statement_timeout = '30s';",
        "SET LOCAL lock_timeout = '2s';",
        "SET LOCAL plan_cache_mode = force_custom_plan;",
    ]
    with psycopg.connect(dsn, autocommit=True) as conn:
        for number, check in enumerate(load_workload(checks_dir), start=1):
            if not check.param_count:
                lines.append(f"EXPLAIN (VERBOSE, FORMAT JSON, SETTINGS) {check.sql};")
                continue
            if check.params is not None:
                values = check.params
            else:
                row = conn.execute(check.sample).fetchone()
                values = tuple(sql.Literal(v).as_string(conn) for v in row)
            lines.append(f"PREPARE p{number} AS {check.sql};")
            args = ", ".join(values)
            lines.append(f"EXPLAIN (VERBOSE, FORMAT JSON, SETTINGS) EXECUTE p{number}({args});")
            lines.append(f"DEALLOCATE p{number};")
    lines.append("ROLLBACK;")
    return "\n".join(lines) + "\n"


def measure(dsn: str, runs: int, workdir: Path) -> dict[str, float]:
    script = workdir / "explains.sql"
    script.write_text(psql_script(dsn, REPO / "checks"))
    check_cmd = [*CLI, "check", "--dsn", dsn, "--checks", str(REPO / "checks")]
    check_cmd += ["--indexes", str(REPO / "indexes"), "--format", "json"]
    # one warm-up of each (page cache, .pyc files) before timing
    result = subprocess.run(check_cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(
            f"check failed (exit {result.returncode}):\n{result.stderr}{result.stdout[-2000:]}"
        )
    psql = shutil.which("psql") or sys.exit("psql is not on PATH")
    psql_cmd = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(script)]
    wall(psql_cmd)
    samples = interleaved(
        {
            "import floor (typer, rich, psycopg, sqlglot)": lambda: wall(FLOOR),
            "plinto-db check (natural, json)": lambda: wall(check_cmd),
            "psql -f explains.sql": lambda: wall(psql_cmd),
        },
        runs,
    )
    medians = summary(samples)
    print_table(medians, "psql -f explains.sql", runs)
    floor = medians["import floor (typer, rich, psycopg, sqlglot)"]
    beyond = medians["plinto-db check (natural, json)"] - floor
    ratio = beyond / medians["psql -f explains.sql"]
    checks = len(list((REPO / "checks").glob("*.sql")))
    print(f"\n{checks} checks; check beyond the import floor: {beyond:.3f} s")
    print(
        f"ratio (check - floor) / psql = {ratio:.2f}  (target <= 2.00): "
        + ("PASS" if ratio <= 2.0 else "FAIL")
    )
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="an already seeded database with the catalog applied")
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="check-bench-") as tmp:
        workdir = Path(tmp)
        if args.dsn:
            measure(args.dsn, args.runs, workdir)
            return
        data_dir = workdir / "pgdata"
        subprocess.run([*CLI, "server", "start", "--data-dir", str(data_dir)], check=True)
        try:
            dsn = subprocess.run(
                [*CLI, "server", "dsn", "--data-dir", str(data_dir)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            print(f"seeding {args.users} users into a throw-away embedded server ...", flush=True)
            prepare_indexed(dsn, args.users)
            measure(dsn, args.runs, workdir)
        finally:
            subprocess.run([*CLI, "server", "stop", "--data-dir", str(data_dir)], check=False)


if __name__ == "__main__":
    main()
