"""`plinto-db demo`: from nothing to a report, on the embedded server.

start the server -> migrate (schema only) -> seed, or reuse data whose row counts match
`seed --users N` -> bench before (the catalog dropped) -> apply (with progress) -> check ->
bench after -> a short conclusion. The catalog stays built at the end (the demo's apply);
Ctrl-C restores it as it was found.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plinto_db.bench.events import BenchEvents
from plinto_db.bench.model import FinalState
from plinto_db.bench.run import BenchRequest, BenchResult, run_bench
from plinto_db.bench.timing import TimingOptions
from plinto_db.bench.writes import WriteOptions
from plinto_db.seed.load import LoadProgress

HISTORY_PER_USER = 16  # seed's default: the data `plinto-db seed --users N` makes
SIZE_TOLERANCE = 0.05


@dataclass(frozen=True)
class DemoRequest:
    data_dir: Path
    out_dir: Path
    users: int = 50_000
    timing: TimingOptions = TimingOptions()
    pgbench_seconds: int = 3
    writes: WriteOptions = WriteOptions()
    jobs: int = 2
    allow_activity: bool = False
    progress: LoadProgress | None = None  # seed's progress (a bar on a terminal)
    advise: bool = True  # end with the catalog `advise` writes, side by side (demo_advise.py)


@dataclass
class DemoResult:
    bench: BenchResult
    server: str
    data: str  # what happened to the data: seeded, reused, reseeded
    reused: bool
    check: str | None = None
    steps: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    ending: Any = None  # demo_advise.DemoEnding: hand-written and advised, side by side


def matching_sizes(counts: dict[str, int], users: int) -> bool:
    """Do the row counts match `plinto-db seed --users N`? users exactly; the other tables
    within 5 % (webhook_deliveries comes from a random draw; organization_members, decided
    by the membership draw, is not compared)."""
    from plinto_db.seed.world import Sizes

    expected = Sizes(users=users, history_per_user=HISTORY_PER_USER).table_rows()
    if counts.get("users") != users:
        return False
    return all(
        abs(counts.get(table, 0) - rows) <= SIZE_TOLERANCE * rows
        for table, rows in expected.items()
        if rows >= 0
    )


def run_demo(request: DemoRequest, events: BenchEvents) -> DemoResult:
    from plinto_db.server import embedded

    started = time.perf_counter()
    steps: dict[str, float] = {}
    if any(os.environ.get(v) for v in ("PLINTO_DB_DSN", "DATABASE_URL")):
        events.note("the demo runs on the embedded server: PLINTO_DB_DSN/DATABASE_URL ignored")
    mark = time.perf_counter()
    status = embedded.start(request.data_dir, note=events.note)
    dsn = status.dsn()
    server = f"embedded PostgreSQL {status.version} in {request.data_dir}"
    events.note(f"server: {server}")
    steps["server"] = time.perf_counter() - mark
    steps["migrate"] = _timed(lambda: _migrate(dsn, events))
    mark = time.perf_counter()
    data, reused = _data(dsn, request, events)
    steps["seed"] = time.perf_counter() - mark
    check: dict[str, Any] = {}
    bench = run_bench(_bench_request(dsn, request, check, events), events)
    steps["bench"] = bench.seconds
    ending = None
    if request.advise and int(bench.exit_code) == 0:
        from plinto_db.bench.demo_advise import three_catalogs

        mark = time.perf_counter()
        ending = three_catalogs(dsn, request, bench, events)
        steps["advise"] = time.perf_counter() - mark
    return DemoResult(
        bench, server, data, reused, check.get("summary"), steps, time.perf_counter() - started,
        ending,
    )  # fmt: skip


def _timed(work: Callable[[], None]) -> float:
    mark = time.perf_counter()
    work()
    return time.perf_counter() - mark


def _migrate(dsn: str, events: BenchEvents) -> None:
    from plinto_db.server.migrate import current_revision, migrate_to

    current = current_revision(dsn)
    if current is None:
        result = migrate_to(dsn, "0001")
        events.note(f"migrate: base -> {result.after} (the Plinto schema)")
    else:
        events.note(f"migrate: the schema is there (revision {current}): nothing to do")


def _data(dsn: str, request: DemoRequest, events: BenchEvents) -> tuple[str, bool]:
    from plinto_db.seed.run import run_seed

    counts = _seeded_counts(dsn)
    users = f"{request.users:,} users"
    if matching_sizes(counts, request.users):
        text = (
            f"reusing the seeded data ({users}: the row counts match "
            f"`plinto-db seed --users {request.users}`)"
        )
        events.note(f"seed: {text}")
        return text, True
    reset = any(counts.values())
    if reset:
        events.note(
            f"seed: the data does not match --users {request.users} "
            f"(users: {counts.get('users', 0):,}): seeding again (reset)"
        )
    else:
        events.note(f"seed: {users} (this takes a while the first time)")
    result = run_seed(dsn, users=request.users, reset=reset, progress=request.progress)
    text = f"seeded {users} ({result.total_rows:,} rows in {result.seconds:.0f} s)"
    events.note(f"seed: {text}")
    return text, False


def _seeded_counts(dsn: str) -> dict[str, int]:
    """Row counts of seed's tables, by their name in seed (a missing table: absent)."""
    from plinto_db.bench.facts import resolve_tables, row_counts
    from plinto_db.pg.connect import connection
    from plinto_db.seed.run import TABLE_NAMES

    with connection(dsn, application_name="plinto-db demo") as conn:
        tables = {n: t for n, t in resolve_tables(conn, TABLE_NAMES).items() if t is not None}
        rows = row_counts(conn, tables.values())
    return {name: rows[table.qualified] for name, table in tables.items()}


def _bench_request(
    dsn: str, request: DemoRequest, check: dict[str, Any], events: BenchEvents
) -> BenchRequest:
    from plinto_db.resources import resolve_dir

    checks_dir = resolve_dir("checks")
    indexes_dir = resolve_dir("indexes")

    def after_build(_phase: str) -> None:
        summary = run_checks(dsn)
        check["summary"] = summary
        events.note(f"check: {summary}")

    return BenchRequest(
        dsn=dsn,
        checks_dir=checks_dir,
        indexes_dir=indexes_dir,
        out_dir=request.out_dir,
        timing=request.timing,
        writes=request.writes,
        pgbench_seconds=request.pgbench_seconds,
        embedded=True,
        allow_activity=request.allow_activity,
        jobs=request.jobs,
        final=FinalState.CATALOG,
        after_build=after_build,
        where="the embedded server",
    )


def run_checks(dsn: str) -> str:
    """`plinto-db check` (natural mode) on the freshly built catalog, as one line."""
    try:
        run = _check_run(dsn)
    except (ImportError, TypeError) as exc:  # check's use case moved under our feet
        return f"not run here ({exc}); run `plinto-db check` yourself"
    failed = list(run.failed)
    if not failed:
        return f"{len(run.results)} checks, all pass"
    names = ", ".join(r.check.name for r in failed[:3])
    return f"{len(run.results)} checks, {len(failed)} FAILED ({names}): see `plinto-db check`"


def _check_run(dsn: str):
    from plinto_db.check.run import CheckRequest, run_checks

    return run_checks(CheckRequest(dsn=dsn))


def conclusion(doc: dict[str, Any], top: int = 5) -> dict[str, Any]:
    """The demo's closing lines, from results.json: largest speedups, what the catalog
    does not help, what it costs."""
    measured = [q for q in doc["queries"] if q.get("speedup_p50") is not None]
    fastest = sorted(
        (q for q in measured if q["verdict"] == "helped"),
        key=lambda q: -q["speedup_p50"],
    )[:top]
    not_helped = [q for q in doc["queries"] if q["verdict"] in ("not-helped", "same-index")]
    sizes = doc.get("catalog_size") or []
    return {
        "largest_speedups": [
            {"check": q["check"], "speedup_p50": q["speedup_p50"], "reason": q["reason"]}
            for q in fastest
        ],
        "not_helped": [{"check": q["check"], "reason": q["reason"]} for q in not_helped],
        "writes": [
            {
                "table": w["table"],
                "operation": w["operation"],
                "after_over_before": w["after_over_before"],
            }
            for w in doc.get("writes", [])
        ],
        "catalog_bytes": sum(s["bytes"] for s in sizes),
        "catalog_indexes": sum(s["indexes"] for s in sizes),
    }
