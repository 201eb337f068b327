"""A converged fleet of 50 databases on one server, in one process (issue 18).

`status --targets` and a no-op `apply --targets --parallel 8` against the single-database
command on one of them: the fleet, beyond the start-up of its one process (`plinto-db
--help`), within 3x of the single command's time:

    ratio = (fleet - start-up) / single      target: <= 3

Also printed: both beyond start-up, (fleet - start-up) / (single - start-up). That one is
bounded by the server: each database costs a new backend with cold catalog caches (about
0.1 s of server CPU here), 50 of them against one.

The databases are copies of one template: the Plinto schema with the bundled catalog
built, converged by one apply (so its shapes are recorded). Starts its own throw-away
embedded server and stops it at the end, unless --dsn names a server (the databases are
created there and dropped).

Usage: python benchmarks/fleet_bench.py [--databases 50] [--runs 7] [--dsn DSN]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).parent))
from harness import compile_bytecode, plinto_db, start_server, stop_server, with_db  # noqa: E402
from timing import interleaved, print_table, summary, wall  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TARGET = 3.0


def make_fleet(dsn: str, count: int, folder: Path) -> list[str]:
    """`count` databases copied from a converged template; the targets file naming them."""
    from plinto_db.server.migrate import upgrade

    tag = uuid.uuid4().hex[:8]
    template = f"fleet_bench_{tag}_t"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
    upgrade(with_db(dsn, template), "0001")
    subprocess.run(
        [*plinto_db(), "apply", "--dsn", with_db(dsn, template), "--format", "json"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    names = [f"fleet_bench_{tag}_{i:02d}" for i in range(count)]
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
    lines = [f'[[target]]\nname = "shard-{i:02d}"\ndsn = {json.dumps(with_db(dsn, n))}\n'
             for i, n in enumerate(names)]  # fmt: skip
    (folder / "fleet.toml").write_text("\n".join(lines))
    return [template, *names]


def drop_fleet(dsn: str, names: list[str]) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def check_converged(command: list[str]) -> None:
    """Every measured run must be the no-op it claims to be."""
    result = subprocess.run([*command, "--format", "json"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"not converged: {' '.join(command)} exited {result.returncode}\n{result.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--databases", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dsn", help="use this server instead of a throw-away embedded one")
    args = parser.parse_args()
    compile_bytecode()
    folder = Path(tempfile.mkdtemp(prefix="plinto-db-fleet-bench-"))
    os.environ["PLINTO_DB_CACHE_DIR"] = str(folder / "cache")
    data_dir = folder / "pgdata"
    dsn = args.dsn or start_server(data_dir)
    names: list[str] = []
    try:
        names = make_fleet(dsn, args.databases, folder)
        one = with_db(dsn, names[1])
        targets = str(folder / "fleet.toml")
        exe = plinto_db()
        commands = {
            "plinto-db --help (start-up)": [*exe, "--help"],
            "status --dsn (one database)": [*exe, "status", "--dsn", one],
            f"status --targets ({args.databases})": [*exe, "status", "--targets", targets],
            "apply --dsn (one, no-op)": [*exe, "apply", "--dsn", one],
            f"apply --targets --parallel 8 ({args.databases}, no-op)": [
                *exe, "apply", "--targets", targets, "--parallel", "8",
            ],
        }  # fmt: skip
        for name, command in commands.items():
            if "--help" not in name:
                check_converged(command)
        cases = {name: (lambda c=command: wall(c)) for name, command in commands.items()}
        medians = summary(interleaved(cases, args.runs))
        print_table(medians, "plinto-db --help (start-up)", args.runs)
        start_up = medians["plinto-db --help (start-up)"]
        keys = list(medians)
        for single, fleet in ((keys[1], keys[2]), (keys[3], keys[4])):
            beyond = medians[fleet] - start_up
            ratio = beyond / medians[single]
            verdict = "OK" if ratio <= TARGET else "OVER"
            print(f"{fleet}: beyond one start-up {beyond:.2f}s = {ratio:.2f}x {single} "
                  f"(target <= {TARGET:.0f}x): {verdict}")  # fmt: skip
            work = beyond / (medians[single] - start_up)
            print(f"  (both beyond start-up: {work:.2f}x; {args.databases} new backends "
                  "on one server against one)")  # fmt: skip
    finally:
        if names:
            drop_fleet(dsn, names)
        if not args.dsn:
            stop_server(data_dir)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
