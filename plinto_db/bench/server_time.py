"""The server's own execution time of a timed statement, next to the client's round trip.

Where pg_stat_statements is loaded, its per-statement figures (calls, total, standard
deviation) are read just before and just after the timed loop, and the difference is the
loop's own: no reset, so nobody else's statistics are lost and earlier phases do not count.
Elsewhere, a few `EXPLAIN (ANALYZE, TIMING OFF)` executions give the executor's own
"Execution Time" (per-node timing off, so the instrumentation costs little).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

import psycopg
from psycopg import pq

from plinto_db.bench.model import ServerTiming

Q_PGSS = """
SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(total_exec_time), 0)::float8,
       coalesce(sum(stddev_exec_time ^ 2 * calls), 0)::float8
FROM pg_stat_statements
WHERE queryid = %s AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND userid = current_user::regrole
"""
Q_PGSS_LOADED = """
SELECT count(*) > 0 FROM pg_extension WHERE extname = 'pg_stat_statements'
"""
EXECUTOR_RUNS = 10  # at most; at least MIN_EXECUTOR_RUNS, within a quarter of the budget
MIN_EXECUTOR_RUNS = 3
PG_STAT_STATEMENTS = "pg_stat_statements"
EXECUTOR = "executor"


@dataclass(frozen=True)
class Snapshot:
    """pg_stat_statements' running figures for one statement: calls, total ms, and the sum
    of squared deviations (stddev² × calls)."""

    calls: int
    total_ms: float
    squares: float


def pgss_available(conn: psycopg.Connection) -> bool:
    """pg_stat_statements is created in this database and loaded (its view answers)."""
    try:
        if not conn.execute(Q_PGSS_LOADED).fetchone()[0]:
            return False
        conn.execute("SELECT 1 FROM pg_stat_statements LIMIT 1")
    except psycopg.Error:
        return False
    return True


def snapshot(conn: psycopg.Connection, queryid: int | None) -> Snapshot | None:
    if queryid is None:
        return None
    try:
        calls, total, squares = conn.execute(Q_PGSS, (queryid,)).fetchone()
    except psycopg.Error:
        return None
    return Snapshot(int(calls), float(total), float(squares))


def difference(first: Snapshot, last: Snapshot) -> ServerTiming | None:
    """The figures of the executions between two snapshots (pure): the parallel form of
    the variance, run backwards, takes the earlier executions out."""
    n = last.calls - first.calls
    if n < 1 or first.calls < 0:
        return None
    total = last.total_ms - first.total_ms
    mean = total / n
    squares = last.squares - first.squares
    if first.calls:
        mean_first = first.total_ms / first.calls
        squares -= (mean - mean_first) ** 2 * first.calls * n / last.calls
    return ServerTiming(mean, math.sqrt(max(squares, 0.0) / n), n, PG_STAT_STATEMENTS)


def executor_timing(
    conn: psycopg.Connection, explain: bytes, modifies: bool, budget_seconds: float
) -> ServerTiming | None:
    """A few `EXPLAIN (ANALYZE, TIMING OFF)` runs of the prepared statement (each rolled
    back when it changes data): the mean and standard deviation of "Execution Time"."""
    pg = conn.pgconn
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < EXECUTOR_RUNS:
        if modifies:
            pg.exec_(b"BEGIN")
        try:
            result = pg.exec_(explain)
            if result.status != pq.ExecStatus.TUPLES_OK:
                return None
            document = json.loads(bytes(result.get_value(0, 0)).decode())
        finally:
            if modifies:
                pg.exec_(b"ROLLBACK")
        top = document[0] if isinstance(document, list) else document
        if top.get("Execution Time") is None:
            return None
        times.append(float(top["Execution Time"]))
        spent = time.perf_counter() - started
        if len(times) >= MIN_EXECUTOR_RUNS and spent > budget_seconds:
            break
    mean = sum(times) / len(times)
    spread = math.sqrt(sum((t - mean) ** 2 for t in times) / len(times))
    return ServerTiming(mean, spread, len(times), EXECUTOR)
