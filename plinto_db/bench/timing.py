"""Timing every check's statement on one connection, as a server-side prepared statement.

Per check: PREPARE (protocol level, parameters untyped so the server infers them), a plain
EXPLAIN to learn whether it changes data, a warm-up, then the timed loop of PQexecPrepared
calls (each execution timed on its own, rows received and discarded, as pgbench does), until
--iterations or the per-query time budget. Then EXPLAIN (ANALYZE, BUFFERS) EXECUTE of the
same prepared statement (so the plan reported is the one the plan cache really used), and
DEALLOCATE. A data-changing statement runs each execution inside a transaction that is
rolled back, and its tables are vacuumed afterwards, so both phases see the same rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import pq, sql

from plinto_db.bench.model import QueryPhase, ServerTiming
from plinto_db.bench.server_time import difference, executor_timing, pgss_available, snapshot
from plinto_db.bench.stats import summarize
from plinto_db.bench.values import Values
from plinto_db.check.planwalk import scan_summary, used_indexes, walk
from plinto_db.check.workload import Check

Q_PARAMETER_TYPES = """
SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = %s
"""
# generic_plans/custom_plans exist from PostgreSQL 14 on
Q_PLAN_CACHE = "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s"
PLAN_CACHE_MIN_VERSION = 140000
MIN_TIMED = 3  # neither --iterations nor the budget cuts the timed loop below this
OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)


@dataclass(frozen=True)
class TimingOptions:
    iterations: int = 200
    warmup: int = 10
    max_seconds: float = 2.0  # per query and phase: warm-up plus timed loop
    statement_timeout_ms: int = 30_000


class _ExecError(Exception):
    pass


def time_checks(
    conn: psycopg.Connection,
    checks: Sequence[Check],
    values: dict[str, Values],
    options: TimingOptions,
    on_done: Callable[[str], None] | None = None,
) -> dict[str, QueryPhase]:
    """Every check timed in turn on `conn` (autocommit, ours alone)."""
    conn.execute(
        sql.SQL("SET statement_timeout = {}").format(
            sql.Literal(f"{options.statement_timeout_ms}ms")
        )
    )
    conn.execute("SET lock_timeout = '5s'")
    results: dict[str, QueryPhase] = {}
    for number, check in enumerate(checks, start=1):
        given = values.get(check.name, Values())
        if given.error is not None:
            results[check.name] = QueryPhase(error=given.error, skipped=given.skipped)
        else:
            results[check.name] = _time_one(conn, check, number, given, options)
        if on_done:
            on_done(check.name)
    return results


def _time_one(
    conn: psycopg.Connection, check: Check, number: int, values: Values, options: TimingOptions
) -> QueryPhase:
    pg = conn.pgconn
    name = f"plinto_bench_{number}"
    params = values.encoded()
    vacuum_notes: list[str] = []
    try:
        _ok(pg.prepare(name.encode(), check.sql.encode(), None), "PREPARE")
        try:
            literals = _literals(conn, name, values)
            modifies, queryid = _plain_explain(conn, name, literals)
            server = _ServerClock(conn, queryid if _pgss(conn) else None)
            samples, wall, warm, budget_hit = _loop(
                pg, name, params, bool(modifies), options, server.start
            )
            timed_server = server.stop(name, literals, bool(modifies), options.max_seconds / 4)
            explained = _explain(conn, name, literals, bool(modifies))
            cache = _plan_cache(conn, name)
        finally:
            _ok(pg.exec_(f"DEALLOCATE {name}".encode()), "DEALLOCATE")
        if modifies:
            vacuum_notes = _vacuum(conn, modifies)
    except _ExecError as exc:
        if pg.transaction_status != pq.TransactionStatus.IDLE:
            pg.exec_(b"ROLLBACK")
        return QueryPhase(error=str(exc))
    nodes = walk(explained)
    top = explained[0] if isinstance(explained, list) else explained
    plan = top.get("Plan", {})
    hit = int(plan.get("Shared Hit Blocks", 0) or 0)
    read = int(plan.get("Shared Read Blocks", 0) or 0)
    notes = ("each execution rolled back (the statement changes data)",) if modifies else ()
    return QueryPhase(
        timing=summarize(samples, wall, warmup=warm, budget_hit=budget_hit),
        buffers=hit + read,
        shared_hit=hit,
        shared_read=read,
        indexes=used_indexes(nodes),
        index_tables=tuple(
            dict.fromkeys((n.index, n.relation or "") for n in nodes if n.uses_index and n.index)
        ),
        seq_tables=tuple(dict.fromkeys(n.relation for n in nodes if n.is_seqscan and n.relation)),
        plan="; ".join(scan_summary(nodes)),
        execution_ms=top.get("Execution Time"),
        plan_cache=cache,
        rolled_back=bool(modifies),
        server=timed_server,
        notes=notes + tuple(vacuum_notes),
    )


class _ServerClock:
    """pg_stat_statements' figures of one statement around the timed loop (or nothing)."""

    def __init__(self, conn: psycopg.Connection, queryid: int | None):
        self.conn, self.queryid, self.first = conn, queryid, None

    def start(self) -> None:
        self.first = snapshot(self.conn, self.queryid)

    def stop(
        self, name: str, literals: list[str], modifies: bool, budget_seconds: float
    ) -> ServerTiming | None:
        """The loop's own pg_stat_statements figures, else a few executor timings."""
        last = snapshot(self.conn, self.queryid)
        if self.first is not None and last is not None:
            measured = difference(self.first, last)
            if measured is not None:
                return measured
        explain = _explain_text(name, literals, "ANALYZE, TIMING OFF, ")
        return executor_timing(self.conn, explain, modifies, budget_seconds)


def _pgss(conn: psycopg.Connection) -> bool:
    """Asked once per connection (the answer cannot change during a phase)."""
    known = getattr(conn, "_plinto_pgss", None)
    if known is None:
        known = pgss_available(conn)
        conn._plinto_pgss = known  # type: ignore[attr-defined]
    return known


def _loop(
    pg: pq.abc.PGconn,
    name: str,
    params: list[bytes | None],
    modifies: bool,
    options: TimingOptions,
    between: Callable[[], None] = lambda: None,
) -> tuple[list[int], float, int, bool]:
    """Warm-up (at most a quarter of the budget), then the timed executions: --iterations,
    never fewer than MIN_TIMED whatever --iterations or the budget say."""
    stmt = name.encode()
    clock = time.perf_counter_ns
    started = time.perf_counter()
    warm = 0
    while warm < options.warmup:
        _execute(pg, stmt, params, modifies)
        warm += 1
        if time.perf_counter() - started > options.max_seconds / 4:
            break
    between()
    deadline = started + options.max_seconds
    samples: list[int] = []
    loop_started = time.perf_counter()
    while len(samples) < max(options.iterations, MIN_TIMED):
        if modifies:
            _ok(pg.exec_(b"BEGIN"), "BEGIN")
        t0 = clock()
        result = pg.exec_prepared(stmt, params)
        samples.append(clock() - t0)
        if modifies:
            pg.exec_(b"ROLLBACK")
        _ok(result, "EXECUTE")
        if len(samples) >= MIN_TIMED and time.perf_counter() > deadline:
            break
    wall = time.perf_counter() - loop_started
    return samples, wall, warm, len(samples) < options.iterations


def _execute(pg: pq.abc.PGconn, stmt: bytes, params: list[bytes | None], modifies: bool) -> None:
    if modifies:
        _ok(pg.exec_(b"BEGIN"), "BEGIN")
        try:
            _ok(pg.exec_prepared(stmt, params), "EXECUTE")
        finally:
            pg.exec_(b"ROLLBACK")
    else:
        _ok(pg.exec_prepared(stmt, params), "EXECUTE")


def _literals(conn: psycopg.Connection, name: str, values: Values) -> list[str]:
    """The values as typed SQL literals, for EXPLAIN EXECUTE name(...)."""
    row = conn.execute(Q_PARAMETER_TYPES, (name,)).fetchone()
    types = list(row[0]) if row and row[0] else []
    literals = []
    for text, type_name in zip(values.texts, types + [None] * len(values.texts), strict=False):
        if text is None:
            literals.append("NULL")
            continue
        literal = sql.Literal(text).as_string(conn)
        literals.append(f"{literal}::{type_name}" if type_name else literal)
    return literals


def _explain_text(name: str, literals: list[str], options: str) -> bytes:
    args = f"({', '.join(literals)})" if literals else ""
    return f"EXPLAIN ({options}FORMAT JSON) EXECUTE {name}{args}".encode()


def _plain_explain(
    conn: psycopg.Connection, name: str, literals: list[str]
) -> tuple[list[tuple], int | None]:
    """The tables a ModifyTable node writes (empty for a read-only statement), and the
    statement's query identifier (PostgreSQL 14+ when computed, for pg_stat_statements)."""
    result = conn.pgconn.exec_(_explain_text(name, literals, "VERBOSE, "))
    _ok(result, "EXPLAIN")
    document = json.loads(bytes(result.get_value(0, 0)).decode())
    tables = []
    stack = [document[0]["Plan"]]
    while stack:
        node = stack.pop()
        if node.get("Node Type") == "ModifyTable" and node.get("Relation Name"):
            tables.append((node.get("Schema"), node["Relation Name"]))
        stack.extend(node.get("Plans") or ())
    queryid = document[0].get("Query Identifier")
    return list(dict.fromkeys(tables)), int(queryid) if queryid else None


def _explain(conn: psycopg.Connection, name: str, literals: list[str], modifies: bool):
    pg = conn.pgconn
    if modifies:
        _ok(pg.exec_(b"BEGIN"), "BEGIN")
    try:
        result = pg.exec_(_explain_text(name, literals, "ANALYZE, BUFFERS, "))
        _ok(result, "EXPLAIN ANALYZE")
        return json.loads(bytes(result.get_value(0, 0)).decode())
    finally:
        if modifies:
            pg.exec_(b"ROLLBACK")


def _plan_cache(conn: psycopg.Connection, name: str) -> str | None:
    if conn.info.server_version < PLAN_CACHE_MIN_VERSION:
        return None
    row = conn.execute(Q_PLAN_CACHE, (name,)).fetchone()
    if not row:
        return None
    generic, custom = row
    return "generic" if generic > custom else "custom"


def _vacuum(conn: psycopg.Connection, tables: list[tuple]) -> list[str]:
    """Remove the rolled-back row versions, so the next statements see the table as found;
    what did not happen is said (a lock it could not get, a table it may not vacuum)."""
    notes = []
    for schema, table in tables:
        target = sql.Identifier(schema, table) if schema else sql.Identifier(table)
        shown = f"{schema}.{table}" if schema else table
        warnings: list[str] = []

        def keep(diagnostic: psycopg.errors.Diagnostic, into: list[str] = warnings) -> None:
            if diagnostic.severity_nonlocalized == "WARNING" and diagnostic.message_primary:
                into.append(diagnostic.message_primary)

        conn.add_notice_handler(keep)
        try:
            conn.execute(sql.SQL("VACUUM {}").format(target))
        except psycopg.Error as exc:
            reason = exc.diag.message_primary or str(exc).strip()
            notes.append(f"VACUUM {shown} failed ({reason}): its rolled-back row versions stay")
        finally:
            conn.remove_notice_handler(keep)
        notes += [f"VACUUM {shown}: {text}: its rolled-back row versions stay" for text in warnings]
    return notes


def _ok(result: pq.abc.PGresult, what: str) -> pq.abc.PGresult:
    if result.status in OK:
        return result
    primary = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY)
    text = (
        primary.decode(errors="replace")
        if primary
        else result.error_message.decode(errors="replace").strip()
    )
    raise _ExecError(f"{what}: {text or result.status.name}")
