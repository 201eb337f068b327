"""The bench use case: preflight, values once, each phase, and the catalog restored.

    preflight (schema, data, other sessions, --yes) -> what the catalog looks like now
    -> parameter values, once -> for each phase: drop or build the catalog, then time the
    queries, the writes, pgbench and (--http) the API -> restore the catalog as found.

The restore runs in a `finally`: after a normal run, a failed phase, a bug, and Ctrl-C.
A second Ctrl-C during the restore stops it where apply's engine can converge from.
"""

from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from plinto_db.apply.state import TableRef
from plinto_db.bench import facts, indexes
from plinto_db.bench.events import BenchEvents
from plinto_db.bench.finish import finishing_statements
from plinto_db.bench.indexes import Interrupted
from plinto_db.bench.model import (
    CatalogSize,
    FinalState,
    Phase,
    PhaseOutcome,
    PhaseStatus,
    QueryPhase,
    QueryRow,
    WriteRow,
)
from plinto_db.bench.phase import PhaseContext, run_phase
from plinto_db.bench.request import BenchRequest
from plinto_db.bench.stats import compare, pgbench_comparison
from plinto_db.bench.values import resolve_values
from plinto_db.catalog.spec import IndexSpec
from plinto_db.check.workload import Check
from plinto_db.errors import ExitCode, PlintoError, UserError
from plinto_db.pg.connect import connection

PGBENCH_DEFAULT = ("03_sessions_validate_fast", "25_sessions_list_mine")


@dataclass(frozen=True)
class BenchResult:
    request: BenchRequest
    started_at: str
    seconds: float
    server: dict
    machine: dict
    rows: dict[str, int]
    catalog: dict
    phases: tuple[PhaseOutcome, ...]
    queries: tuple[QueryRow, ...]
    writes: tuple[WriteRow, ...]
    sizes: tuple[CatalogSize, ...]
    pgbench: dict | None
    notes: tuple[str, ...] = field(default_factory=tuple)
    writes_not_measured: dict[str, str] = field(default_factory=dict)  # default table -> why

    @property
    def exit_code(self) -> ExitCode:
        failed = any(p.status is PhaseStatus.FAILED for p in self.phases)
        failed = failed or any(p.http_error or (p.http or {}).get("bugs") for p in self.phases)
        return ExitCode.FAILED if failed or not self.catalog.get("restored") else ExitCode.OK


def select_checks(checks: tuple[Check, ...], only: tuple[str, ...]) -> tuple[Check, ...]:
    if not only:
        return checks
    chosen = tuple(c for c in checks if any(fnmatch.fnmatchcase(c.name, p) for p in only))
    if not chosen:
        raise UserError(f"--only {', '.join(only)}: no check matches")
    return chosen


def catalog_tables(conn, specs: tuple[IndexSpec, ...]) -> dict[str, TableRef]:
    """Each catalog index -> the table the server resolves its statement's table to."""
    tables = facts.require_schema(conn, [s.qualified_table for s in specs])
    return {s.name: tables[s.qualified_table] for s in specs}


def pgbench_checks(
    checks: tuple[Check, ...], asked: tuple[str, ...] | None, catalog: set[str]
) -> tuple[Check, ...]:
    """The checks pgbench runs: those asked for, else validation + my sessions when present,
    else the first two whose expectations name a catalog index."""
    by_name = {c.name: c for c in checks}
    if asked is not None:
        unknown = [n for n in asked if n not in by_name]
        if unknown:
            raise UserError(f"--pgbench-check: no such check: {', '.join(unknown)}")
        return tuple(by_name[n] for n in asked)
    chosen = [by_name[n] for n in PGBENCH_DEFAULT if n in by_name]
    if len(chosen) < len(PGBENCH_DEFAULT):
        served = [c for c in checks if set(c.index_names()) & catalog and c not in chosen]
        chosen += served[: len(PGBENCH_DEFAULT) - len(chosen)]
    return tuple(chosen)


def run_bench(request: BenchRequest, events: BenchEvents | None = None) -> BenchResult:
    from plinto_db.apply.run import load
    from plinto_db.check.workload import load_workload

    events = events or BenchEvents()
    started, clock = datetime.now(UTC), time.perf_counter()
    machine = facts.machine_facts()  # the load average before the run adds its own
    checks = select_checks(load_workload(request.checks_dir), request.only)
    specs = load(request.indexes_dir, None, None)
    names = {s.name for s in specs}
    chosen = (
        pgbench_checks(checks, request.pgbench_checks, names) if request.pgbench_seconds else ()
    )
    with connection(request.dsn, application_name=indexes.APPLICATION_NAME) as conn:
        server, tables, rows, notes = _preflight(conn, request, specs)
        targets, not_measured = _write_targets(conn, request)
        states = indexes.catalog_states(request.dsn, specs)
        indexes.refuse_unrestorable(states)
        found = tuple(n for n, s in states.items() if s == indexes.VALID)
        _require_confirmation(request, specs, found)
        values = resolve_values(conn, checks)
    if not_measured:
        notes.append(_not_measured_note(not_measured))
        events.note(notes[-1])
    context = PhaseContext(
        request, checks, specs, values, chosen, server["version_num"], events, tables, targets
    )
    outcomes, restore = _phases_then_restore(context, found)
    notes += vacuum_notes(outcomes)
    phases = {o.phase: o for o in outcomes}
    catalog = {
        "indexes": len(specs),
        "found_valid": list(found),
        "final": request.final.value,
        **restore,
    }
    return BenchResult(
        request=request,
        started_at=started.isoformat(timespec="seconds"),
        seconds=time.perf_counter() - clock,
        server=server,
        machine=machine,
        rows=rows,
        catalog=catalog,
        phases=tuple(outcomes),
        queries=_rows(checks, request.phases, phases, names),
        writes=_write_rows(phases),
        sizes=next((o.sizes for o in outcomes if o.sizes), ()),
        pgbench=_pgbench(chosen, phases, context),
        notes=tuple(notes),
        writes_not_measured=not_measured,
    )


def _preflight(
    conn, request: BenchRequest, specs
) -> tuple[dict, dict[str, TableRef], dict[str, int], list[str]]:
    """The server's facts, each catalog index's table, the row counts, and notes."""
    tables = catalog_tables(conn, specs)
    rows = facts.row_counts(conn, tables.values())
    facts.require_data(rows)
    notes = []
    activity = facts.refuse_activity(facts.other_sessions(conn), request.allow_activity)
    if activity:
        notes.append(activity)
    server = facts.server_facts(conn, embedded=request.embedded, where=request.where)
    return server, tables, rows, notes


def _write_targets(conn, request: BenchRequest) -> tuple[dict[str, TableRef], dict[str, str]]:
    """The tables the write cost times, and the default ones it leaves out (name -> why)."""
    if request.writes is None:
        return {}, {}
    names = [t.table for t in request.writes.targets]
    return facts.write_tables(conn, names, named=request.writes.named)


def _not_measured_note(not_measured: dict[str, str]) -> str:
    shown = "; ".join(f"{name}: {why}" for name, why in not_measured.items())
    return f"write cost not measured on the default --write-tables ({shown})"


def _require_confirmation(request: BenchRequest, specs, found: tuple[str, ...]) -> None:
    if request.embedded or request.confirmed:
        return
    if found and Phase.BEFORE in request.phases:
        shown = ", ".join(found[:6]) + (f" and {len(found) - 6} more" if len(found) > 6 else "")
        what = f"it would DROP INDEX CONCURRENTLY {len(found)} catalog index(es) ({shown})"
        what += " and build them again"
    else:
        what = f"it would build the catalog's {len(specs)} index(es) and drop them again"
    raise UserError(
        f"{request.where or 'this server'} is not the embedded server: {what}; bench a copy, "
        "never production, and pass --yes to go ahead"
    )


def _phases_then_restore(context: PhaseContext, found: tuple[str, ...]):
    request, events = context.request, context.events
    wanted = set(found) if request.final is FinalState.FOUND else {s.name for s in context.specs}
    outcomes: list[PhaseOutcome] = []
    current: Phase | None = None
    try:
        for phase in request.phases:
            current = phase
            outcomes.append(run_phase(context, phase))
    except (KeyboardInterrupt, Interrupted):
        where = f" during the {current.value} phase" if current else ""
        events.note(f"interrupted{where}: restoring the catalog as found ({len(found)} valid)")
        restore = _restore(context, set(found))
        raise PlintoError(
            f"interrupted{where}; {_restore_sentence(context, found, restore)}",
            exit_code=ExitCode.FAILED,
        ) from None
    except BaseException:
        restore = _restore(context, set(found))
        if not restore["restored"]:
            events.note(_restore_sentence(context, found, restore))
        raise
    restore = _restore(context, wanted)
    return outcomes, restore


def _restore_sentence(context: PhaseContext, found: tuple[str, ...], restore: dict) -> str:
    """What the restore really did, and when it failed the statements that finish it."""
    total = len(context.specs)
    if restore["restored"]:
        return f"the catalog is restored as found ({len(found)} of {total} catalog indexes valid)"
    statements = "\n".join(f"  {line}" for line in restore["finish"])
    return (
        f"the catalog is NOT restored as found ({restore['restore_error']}); `plinto-db "
        "apply` and `plinto-db drop --only NAME` converge it, or these statements finish "
        f"the job:\n{statements}"
    )


def _restore(context: PhaseContext, wanted: set[str]) -> dict:
    request, specs, events = context.request, context.specs, context.events
    try:
        dropped, built = indexes.restore(
            request.dsn, specs, wanted, events.build_events, request.jobs
        )
    except KeyboardInterrupt:
        dropped = built = indexes.CatalogStep(False, 0.0, "interrupted", interrupted=True)
    except (PlintoError, psycopg.Error) as exc:  # the server went away, a driver error
        reason = getattr(exc, "message", None) or str(exc).strip().splitlines()[0]
        dropped = built = indexes.CatalogStep(False, 0.0, "failed", error=reason)
    if dropped.interrupted or built.interrupted:
        left = indexes.unrestored(request.dsn, specs, wanted)
        raise PlintoError(
            f"interrupted while restoring the catalog: {len(left)} catalog index(es) not as "
            f"found ({', '.join(left[:5])}{', ...' if len(left) > 5 else ''}); "
            "`plinto-db apply` builds the missing ones, `plinto-db drop --only NAME` drops "
            "one that should not be there",
            exit_code=ExitCode.FAILED,
        )
    ok = dropped.ok and built.ok
    error = "; ".join(dict.fromkeys(e for e in (dropped.error, built.error) if e)) or None
    if ok:
        changed = len(dropped.changed) + len(built.changed)
        events.note(f"catalog restored ({len(wanted)} valid; {changed} change(s))")
        finish: list[str] = []
    else:
        events.note(f"the catalog could not be restored as found: {error}")
        finish = _finishing(context, wanted)
    return {
        "restored": ok,
        "restore_error": error,
        "valid_at_end": len(wanted) if ok else None,
        "finish": finish,
    }


def _finishing(context: PhaseContext, wanted: set[str]) -> list[str]:
    """The statements left to run, from the catalog's state now (or, when the server
    cannot tell it, idempotent ones for every index)."""
    try:
        states: dict[str, str] | None = indexes.catalog_states(context.request.dsn, context.specs)
    except (PlintoError, psycopg.Error):
        states = None
    schemas = {name: table.schema for name, table in context.tables.items()}
    return finishing_statements(context.specs, schemas, wanted, states)


def vacuum_notes(outcomes: list[PhaseOutcome]) -> list[str]:
    """Every VACUUM after a data-changing check that did not happen, by phase and check."""
    return [
        f"{outcome.phase.value}: {check}: {note}"
        for outcome in outcomes
        for check, figures in outcome.queries.items()
        for note in figures.notes
        if note.startswith("VACUUM ")
    ]


def _rows(checks, phases_run, phases: dict[Phase, PhaseOutcome], catalog) -> tuple[QueryRow, ...]:
    rows = []
    for check in checks:
        per = {}
        for phase in phases_run:
            outcome = phases.get(phase)
            if outcome is None:
                continue
            figures = outcome.queries.get(check.name)
            if outcome.status is PhaseStatus.FAILED or figures is None:
                figures = QueryPhase(error=f"the {phase.value} phase failed: {outcome.error}")
            per[phase] = figures
        row = compare(
            check.name,
            check.description,
            phases_run,
            per.get(Phase.BEFORE),
            per.get(Phase.AFTER),
            catalog,
        )
        rows.append(row)
    return tuple(rows)


def _write_rows(phases: dict[Phase, PhaseOutcome]) -> tuple[WriteRow, ...]:
    keys: dict[tuple[str, str], dict[Phase, Any]] = {}
    for phase, outcome in phases.items():
        for write in outcome.writes:
            keys.setdefault((write.table, write.operation), {})[phase] = write
    rows = []
    for (table, operation), per in keys.items():
        statement = next((w.statement for w in per.values() if w.statement), "")
        rows.append(
            WriteRow(table, operation, statement, per.get(Phase.BEFORE), per.get(Phase.AFTER))
        )
    return tuple(rows)


def _pgbench(chosen, phases: dict[Phase, PhaseOutcome], context: PhaseContext) -> dict | None:
    if not context.request.pgbench_seconds:
        return None
    binary, version = context.pgbench_binary()
    document: dict[str, Any] = {
        "binary": str(binary) if binary else None,
        "version": version,
        "checks": [c.name for c in chosen],
        "seconds": context.request.pgbench_seconds,
        "command": "pgbench -n -M prepared -c 1 -T SECONDS -f SCRIPT -Dp1=VALUE ... DSN",
        "compared": "our mean to pgbench's latency average (both include the round trip)",
        "error": None if binary else "pgbench not found",
    }
    left_out: dict[str, str] = {}
    for phase, outcome in phases.items():
        runs = {}
        for run in outcome.pgbench:
            if run.left_out:
                left_out.setdefault(run.check, run.left_out)
                continue
            ours = outcome.queries.get(run.check)
            runs[run.check] = {
                "latency_ms": run.latency_ms,
                "tps": run.tps,
                "transactions": run.transactions,
                "error": run.error,
                **pgbench_comparison(ours.timing if ours else None, run.latency_ms),
            }
        document[phase.value] = runs
    document["left_out"] = [{"check": c, "reason": why} for c, why in left_out.items()]
    return document
