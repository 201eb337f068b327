"""Benchmark: `plinto-db capture` over 5,000 pg_stat_statements entries (target: under 2 s).

A throw-away embedded server (which preloads pg_stat_statements, max 10,000) gets 50 tables
and 5,000 distinct statements (`SELECT cA FROM tN WHERE cB = <literal>`), run with skewed call
counts (statement k runs ceil(S / k^1.5) times), as production's are: a few statements dominate.
The CLI runs as a process, each time into an empty folder (every chosen statement sampled,
planned and written), interleaved over the cases:

- `default`: --cover 90% (what a user runs);
- `top 200`: --top 200;
- `cover 100%`: every one of the 5,000 statements planned and written (the worst case);
- `refresh`: the default again over its own files (numbers rewritten, nothing planned);
- `import floor`: `python -c "import psycopg, pglast, plinto_db.cli"`, what any database
  command pays before its work (a loaded machine shows here first).

    python benchmarks/capture_bench.py                # 5 runs each
    python benchmarks/capture_bench.py --runs 9 --statements 5000
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import compile_bytecode, plinto_db, start_server, stop_server, with_db  # noqa: E402
from timing import interleaved, summary, wall  # noqa: E402

# what any database command pays before its work: Python, psycopg, pglast
FLOOR = [sys.executable, "-c", "import psycopg, pglast, plinto_db.cli"]
TABLES = 50
COLUMNS = 10
ROWS = 3000


def prepare(dsn: str, statements: int, scale: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        columns = ", ".join(f"c{i} int" for i in range(COLUMNS))
        values = ", ".join(f"(g * {i + 7}) % 1000" for i in range(COLUMNS))
        for t in range(TABLES):
            conn.execute(f"CREATE TABLE t{t} ({columns})")
            conn.execute(f"INSERT INTO t{t} SELECT {values} FROM generate_series(1, {ROWS}) g")
            conn.execute(f"CREATE INDEX t{t}_c0 ON t{t} (c0)")
        conn.execute("VACUUM ANALYZE")
        conn.execute("SELECT pg_stat_statements_reset()")
        shapes = [(t, a, b) for t in range(TABLES) for a in range(COLUMNS) for b in range(COLUMNS)][
            :statements
        ]
        batch: list[str] = []
        for rank, (t, a, b) in enumerate(shapes, start=1):
            for n in range(math.ceil(scale / rank**1.5)):
                batch.append(f"SELECT c{a} FROM t{t} WHERE c{b} = {n % 1000}")
                if len(batch) == 2000:  # one simple-query string: each statement recorded
                    conn.execute(";".join(batch))
                    batch = []
        if batch:
            conn.execute(";".join(batch))
        count = conn.execute(
            "SELECT count(*) FROM pg_stat_statements WHERE query LIKE 'SELECT c%FROM t%'"
        ).fetchone()[0]
    print(f"pg_stat_statements holds {count:,} benchmark statements", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--statements", type=int, default=5000)
    parser.add_argument("--scale", type=int, default=30000, help="calls of the top statement")
    args = parser.parse_args()
    compile_bytecode()
    root = Path(tempfile.mkdtemp(prefix="plinto-db-capture-bench-"))
    data_dir = root / "data"
    try:
        dsn = with_db(start_server(data_dir), "plinto")
        prepare(dsn, args.statements, args.scale)
        cases = {
            "default": ["--cover", "90%"],
            "top 200": ["--top", "200"],
            "cover 100%": ["--cover", "100%"],
        }
        refresh_out = root / "refresh"
        base = [*plinto_db(), "capture", "--dsn", dsn, "--format", "json"]
        wall([*base, "--out", str(refresh_out)])  # the files the refresh case rewrites

        def run_case(options: list[str]):
            def once() -> float:
                out = root / "out"
                shutil.rmtree(out, ignore_errors=True)
                return wall([*base, "--out", str(out), *options])

            return once

        timed = {name: run_case(options) for name, options in cases.items()}
        timed["refresh"] = lambda: wall([*base, "--out", str(refresh_out)])
        timed["import floor"] = lambda: wall(FLOOR)
        medians = summary(interleaved(timed, args.runs))
        chosen = {name: _chosen(base, root / "count", options) for name, options in cases.items()}
        chosen["refresh"] = _chosen(base, refresh_out, [])
        chosen["import floor"] = 0
        print(f"{'case':<12} {'median s':>9} {'statements chosen':>18}   ({args.runs} runs each)")
        for name, seconds in medians.items():
            print(f"{name:<12} {seconds:>9.3f} {chosen[name]:>18,}")
    finally:
        stop_server(data_dir)
        shutil.rmtree(root, ignore_errors=True)


def _chosen(base: list[str], out: Path, options: list[str]) -> int:
    """How many statements a case chooses (its JSON summary)."""
    import json
    import subprocess

    shutil.rmtree(out, ignore_errors=True) if out.name == "count" else None
    result = subprocess.run(
        [*base, "--out", str(out), *options], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)["summary"]["chosen"]


if __name__ == "__main__":
    main()
