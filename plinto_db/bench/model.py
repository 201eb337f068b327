"""The facts a bench run gathers, as frozen dataclasses, and the verdicts it draws.

Pure: nothing here connects to a database. The use case (run.py) fills these in; the
document (document.py), the Markdown report and the terminal table only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Phase(StrEnum):
    BEFORE = "before"  # the catalog's indexes dropped (keys, constraints and base indexes stay)
    AFTER = "after"  # the catalog's indexes built through apply's engine


CLIENT_P50 = "client p50"  # the round trip as the application sees it
SERVER_MEAN = "server mean"  # the server's own execution time


class PhaseStatus(StrEnum):
    DONE = "done"
    FAILED = "failed"  # no numbers for it


class Verdict(StrEnum):
    """What the catalog did for one query."""

    HELPED = "helped"  # a catalog index reads a table the before plan scanned sequentially
    # a catalog index took over from another index: anything from 1x (an equivalent index)
    # to hundreds of times (a better one than a poor base index); the speedup says which
    REPLACED = "replaced"
    SAME_INDEX = "same-index"  # the same index(es) in both phases: about 1x, and why
    NOT_HELPED = "not-helped"  # the after plan uses no catalog index
    FAILED = "failed"  # a phase has no numbers for this query
    NOT_MEASURED = "not-measured"  # only one phase was run
    SKIPPED = "skipped"  # no parameter values, or nothing to time


class FinalState(StrEnum):
    FOUND = "found"  # restore exactly the catalog indexes that were valid at the start
    CATALOG = "catalog"  # leave every catalog index built (the demo)


@dataclass(frozen=True)
class Timing:
    """Latency of N timed executions (nearest-rank percentiles of the sorted sample)."""

    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    qps: float  # iterations / wall time of the timed loop
    iterations: int
    warmup: int
    seconds: float
    budget_hit: bool = False  # stopped by --max-seconds-per-query before --iterations
    p50_low_ms: float | None = None  # the median's 95 % interval (intervals.median_interval)
    p50_high_ms: float | None = None


@dataclass(frozen=True)
class ServerTiming:
    """The server's own execution time of the timed executions (no client round trip)."""

    mean_ms: float
    stddev_ms: float
    calls: int
    source: str  # "pg_stat_statements" | "executor" (EXPLAIN ANALYZE, timing off)


@dataclass(frozen=True)
class QueryPhase:
    """One query in one phase: its timing and the plan that served it, or why not."""

    timing: Timing | None = None
    buffers: int | None = None  # shared hit + read of the top plan node
    shared_hit: int | None = None
    shared_read: int | None = None
    indexes: tuple[str, ...] = ()  # index names in plan order, each once
    index_tables: tuple[tuple[str, str], ...] = ()  # (index, the table it reads)
    seq_tables: tuple[str, ...] = ()  # tables read by a sequential scan
    plan: str = ""  # the scans, e.g. "Seq Scan on sessions"
    execution_ms: float | None = None  # EXPLAIN ANALYZE's own figure
    plan_cache: str | None = None  # "generic" or "custom" (PostgreSQL 14+)
    rolled_back: bool = False  # a data-changing query, each execution rolled back
    server: ServerTiming | None = None
    error: str | None = None
    skipped: bool = False  # not timed on purpose (error says why)
    notes: tuple[str, ...] = ()

    @property
    def measured(self) -> bool:
        return self.error is None and self.timing is not None


@dataclass(frozen=True)
class QueryRow:
    check: str
    description: str
    before: QueryPhase | None
    after: QueryPhase | None
    speedup_p50: float | None
    buffers_ratio: float | None
    verdict: Verdict
    reason: str
    speedup_low: float | None = None  # the client p50 speedup's interval
    speedup_high: float | None = None
    same_plan: bool = False  # same scans and indexes before and after: a control for noise
    server_speedup: float | None = None  # before / after of the server's mean execution time
    server_low: float | None = None
    server_high: float | None = None
    decided_on: str | None = None  # "client p50" | "server mean": the tighter interval

    @property
    def speedup(self) -> float | None:
        """The speedup read from the figure whose interval is tighter."""
        return self.server_speedup if self.decided_on == SERVER_MEAN else self.speedup_p50

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.decided_on == SERVER_MEAN:
            low, high = self.server_low, self.server_high
        else:
            low, high = self.speedup_low, self.speedup_high
        return None if low is None or high is None else (low, high)


@dataclass(frozen=True)
class WriteFigure:
    ops_per_s: float
    rows: int
    rounds: int
    seconds: float  # median seconds of one batch


@dataclass(frozen=True)
class WriteTarget:
    table: str
    column: str | None = None  # the column the update changes; None: chosen from the catalog


@dataclass(frozen=True)
class WritePhase:
    """Insert or update throughput on one table in one phase (or why there is none)."""

    table: str
    operation: str  # "insert" | "update"
    statement: str  # what was timed, for the report
    figure: WriteFigure | None = None
    error: str | None = None


@dataclass(frozen=True)
class WriteRow:
    table: str
    operation: str
    statement: str
    before: WritePhase | None
    after: WritePhase | None

    @property
    def after_over_before(self) -> float | None:
        b = self.before.figure if self.before else None
        a = self.after.figure if self.after else None
        if b is None or a is None or b.ops_per_s <= 0:
            return None
        return a.ops_per_s / b.ops_per_s


@dataclass(frozen=True)
class CatalogSize:
    table: str
    indexes: int
    bytes: int
    table_bytes: int  # the heap, for scale


@dataclass(frozen=True)
class PgbenchRun:
    """One `pgbench -M prepared -c 1` run of one check's statement, next to ours."""

    check: str
    latency_ms: float | None = None  # pgbench's "latency average"
    tps: float | None = None
    transactions: int | None = None
    seconds: float | None = None
    error: str | None = None
    left_out: str | None = None  # not run on purpose, and why (a check that changes data)


@dataclass(frozen=True)
class PhaseOutcome:
    phase: Phase
    status: PhaseStatus
    seconds: float
    catalog_action: str  # e.g. "dropped 45 catalog indexes in 0.8 s"
    error: str | None = None
    queries: dict[str, QueryPhase] = field(default_factory=dict)
    writes: tuple[WritePhase, ...] = ()
    sizes: tuple[CatalogSize, ...] = ()
    pgbench: tuple[PgbenchRun, ...] = ()
    http: dict | None = None  # what run_http_phase returned
    http_error: str | None = None
