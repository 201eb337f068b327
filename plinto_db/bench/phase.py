"""One phase of a bench: the catalog dropped or built, then everything measured on it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from plinto_db.apply.state import TableRef
from plinto_db.bench import indexes
from plinto_db.bench.cancel import cancel_on_interrupt
from plinto_db.bench.events import BenchEvents
from plinto_db.bench.indexes import Interrupted
from plinto_db.bench.model import (
    PgbenchRun,
    Phase,
    PhaseOutcome,
    PhaseStatus,
    QueryPhase,
    WriteTarget,
)
from plinto_db.bench.request import BenchRequest
from plinto_db.bench.values import Values
from plinto_db.catalog.spec import IndexSpec
from plinto_db.check.workload import Check
from plinto_db.errors import PlintoError
from plinto_db.pg.connect import connection


@dataclass
class PhaseContext:
    """Everything the phases share: decided once, before the first phase."""

    request: BenchRequest
    checks: tuple[Check, ...]
    specs: tuple[IndexSpec, ...]
    values: dict[str, Values]
    pgbench_checks: tuple[Check, ...]
    server_version: int
    events: BenchEvents
    tables: dict[str, TableRef] = field(default_factory=dict)  # catalog index -> its table
    write_tables: dict[str, TableRef] = field(default_factory=dict)  # --write-tables entry
    http_isolated: list[str] | None = None  # the endpoints the first HTTP phase ran alone
    _binary: Any = field(default=None, repr=False)

    def pgbench_binary(self) -> tuple[Path | None, str | None]:
        if self._binary is None:
            from plinto_db.bench.pgbench import find_pgbench

            self._binary = find_pgbench(self.server_version // 10000)
        return self._binary


def run_phase(context: PhaseContext, phase: Phase) -> PhaseOutcome:
    """Drop (before) or build (after) the catalog, then measure; a failed step: no numbers."""
    request, events = context.request, context.events
    started = time.perf_counter()
    verb = "dropping" if phase is Phase.BEFORE else "building"
    events.note(
        f"{phase.value}: {verb} the catalog's indexes ({len(context.specs)} in the catalog)"
    )
    if phase is Phase.BEFORE:
        step = indexes.drop(request.dsn, context.specs, request.jobs)
    else:
        with events.build_events() as build_events:
            step = indexes.build(request.dsn, context.specs, build_events, request.jobs)
    if step.interrupted:
        raise Interrupted()
    if not step.ok:
        events.note(f"{phase.value}: failed: {step.error}")
        return PhaseOutcome(
            phase, PhaseStatus.FAILED, time.perf_counter() - started, step.summary, step.error
        )
    events.note(f"{phase.value}: {step.summary}")
    if phase is Phase.AFTER and request.after_build is not None:
        request.after_build(phase.value)
    measured = _measure(context, phase)
    return PhaseOutcome(
        phase, PhaseStatus.DONE, time.perf_counter() - started, step.summary, **measured
    )


def _measure(context: PhaseContext, phase: Phase) -> dict[str, Any]:
    from plinto_db.bench.timing import time_checks
    from plinto_db.bench.writes import catalog_sizes, measure_writes

    request, events = context.request, context.events
    name = f"{indexes.APPLICATION_NAME} ({phase.value})"
    measured: dict[str, Any] = {}
    with connection(request.dsn, application_name=name) as conn, cancel_on_interrupt(conn):
        with events.queries(phase, len(context.checks)) as tick:
            measured["queries"] = time_checks(
                conn, context.checks, context.values, request.timing, tick
            )
        for check, figures in measured["queries"].items():
            for note in figures.notes:
                if note.startswith("VACUUM "):
                    events.note(f"{phase.value}: {check}: {note}")
        targets = _write_targets(context)
        if request.writes is not None and targets:
            events.note(f"{phase.value}: write cost ({request.writes.rows:,} rows per batch)")
            measured["writes"] = measure_writes(conn, targets, request.writes)
        if phase is Phase.AFTER:
            tables = tuple(context.tables.values())
            measured["sizes"] = catalog_sizes(conn, tables, [s.name for s in context.specs])
    measured["pgbench"] = _pgbench_runs(context, phase, measured["queries"])
    if request.http is not None:
        measured["http"], measured["http_error"] = _http(context, phase, measured["queries"])
    return measured


def _write_targets(context: PhaseContext) -> list[tuple[TableRef, WriteTarget, tuple[str, ...]]]:
    """(table, target, key columns the catalog indexes on it) for each --write-tables table
    (two spellings of one table: the first; a default table the database lacks: none)."""
    targets: list[tuple[TableRef, WriteTarget, tuple[str, ...]]] = []
    for target in context.request.writes.targets if context.request.writes else ():
        table = context.write_tables.get(target.table)
        if table is None or any(table == chosen for chosen, _, _ in targets):
            continue
        keys = tuple(
            key.column
            for spec in context.specs
            if context.tables[spec.name] == table
            for key in spec.keys
            if key.column is not None
        )
        targets.append((table, target, tuple(dict.fromkeys(keys))))
    return targets


def _pgbench_runs(
    context: PhaseContext, phase: Phase, timed: dict[str, QueryPhase]
) -> tuple[PgbenchRun, ...]:
    from plinto_db.bench.pgbench import left_out, run_pgbench

    if not context.pgbench_checks:
        return ()
    binary, _ = context.pgbench_binary()
    if binary is None:
        return tuple(PgbenchRun(c.name, error="pgbench not found") for c in context.pgbench_checks)
    request = context.request
    runs = []
    for check in context.pgbench_checks:
        values = context.values.get(check.name, Values())
        why = left_out(timed.get(check.name))
        if why:
            runs.append(PgbenchRun(check.name, left_out=why))
            continue
        if values.error:
            runs.append(PgbenchRun(check.name, error=values.error))
            continue
        context.events.note(f"{phase.value}: pgbench {check.name} ({request.pgbench_seconds} s)")
        runs.append(
            run_pgbench(
                binary,
                request.dsn,
                check,
                values.texts,
                request.pgbench_seconds,
                request.out_dir / "pgbench",
                phase.value,
            )
        )
    return tuple(runs)


@cache
def _http_module():
    try:
        from plinto_db.bench import http
    except ImportError:
        return None
    return http


def _http(context: PhaseContext, phase: Phase, queries) -> tuple[dict | None, str | None]:
    """The HTTP level of this phase, through run_http_phase; a failure: no numbers. The
    endpoints run alone are chosen in the first phase (from its query timings) and kept."""
    module = _http_module()
    if module is None:
        return None, "the HTTP level is not available (plinto_db.bench.http is missing)"
    request = context.request
    context.events.note(f"{phase.value}: HTTP load through the API (Locust)")
    try:
        result = module.run_http_phase(
            request.dsn,
            request.checks_dir,
            request.http,
            request.out_dir,
            phase.value,
            note=context.events.note,
            isolate=context.http_isolated,
            ranked=module.winners(context.checks, queries, {s.name for s in context.specs}),
        )
    except PlintoError as exc:
        return None, exc.message
    context.http_isolated = result["isolated_paths"]
    return result, None
