"""The use case: run_doctor(request) -> DoctorReport.

Choose the checks -> gather the facts they need (one read-only transaction) -> judge each
check, or skip it saying why (runtime checks need statistics that cover enough time,
the workload check needs checks/) -> pick the drop candidates -> a report for any renderer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import psycopg

from plinto_db.doctor import candidates, registry
from plinto_db.doctor.checks.write_amplification import TableLoad, loads
from plinto_db.doctor.gather import gather
from plinto_db.doctor.model import Check, Facts, Finding, Kind, Need, Severity, StatsWindow
from plinto_db.doctor.workload import WorkloadResult
from plinto_db.errors import UserError
from plinto_db.pg.messages import server_message

DEFAULT_MIN_STATS_AGE_DAYS = 7.0


@dataclass(frozen=True)
class DoctorRequest:
    dsn: Callable[[], str]
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()
    min_stats_age_days: float = DEFAULT_MIN_STATS_AGE_DAYS
    # runs the workload (check's use case) once the DSN is known; None: --no-checks
    workload: Callable[[str], WorkloadResult] | None = None
    # index catalog for file:line of catalog indexes: (folder, given explicitly)
    catalog: tuple[Path, bool] | None = None


@dataclass(frozen=True)
class CheckOutcome:
    check: Check
    judged: bool
    reason: str  # why it was skipped ("" when judged)
    findings: tuple[Finding, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class DoctorReport:
    server: str
    target: str
    schemas: tuple[str, ...]
    outcomes: tuple[CheckOutcome, ...]
    drops: candidates.DropPlan
    tables: tuple[TableLoad, ...]
    stats: StatsWindow | None
    workload: WorkloadResult | None
    locations: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)  # seconds per catalog query

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for outcome in self.outcomes for f in outcome.findings)

    def failing(self, level: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity.rank >= level.rank)


def run_doctor(request: DoctorRequest) -> DoctorReport:
    from plinto_db.pg.connect import connect, describe, require_server_version
    from plinto_db.pg.versions import format_version

    if request.min_stats_age_days < 0:
        raise UserError(f"--min-stats-age {request.min_stats_age_days:g}: give days, 0 or more")
    checks = registry.select(request.only, request.exclude)
    notes: list[str] = []
    locations = _catalog_locations(request.catalog, notes)
    needs = {need for check in checks for need in check.needs}
    if any(c.id in registry.COVERED_REASONS + registry.STANDALONE_REASONS for c in checks):
        # FK protection; a partitioned index drops what is attached under it (in any schema),
        # and a partitioned table's foreign key holds on each partition
        needs |= {Need.INDEXES, Need.FOREIGN_KEYS, Need.EQUALITY_OPERATORS}
        needs |= {Need.ATTACHED_INDEXES, Need.PARTITIONS, Need.TABLES}
    runtime = any(c.kind is Kind.RUNTIME for c in checks)
    dsn = request.dsn()
    timings: dict[str, float] = {}
    conn = connect(dsn, application_name="plinto-db doctor")
    try:
        version = require_server_version(conn)
        facts = gather(
            conn,
            needs,
            schemas=request.schemas,
            min_stats_age_days=request.min_stats_age_days if runtime else None,
            timings=timings,
        )
    except psycopg.Error as exc:
        raise UserError(f"doctor could not read {describe(dsn)}: {server_message(exc)}") from None
    finally:
        conn.close()
    _unknown_schemas(request.schemas, facts, notes)
    workload = None
    if any(c.kind is Kind.WORKLOAD for c in checks) and request.workload is not None:
        workload = request.workload(dsn)
        notes.append(workload.note)
        if workload.unproven is not None:
            facts = replace(facts, unproven=workload.unproven)
    outcomes = tuple(_judge(check, facts, request, workload) for check in checks)
    findings = [f for outcome in outcomes for f in outcome.findings]
    drops = candidates.plan(
        findings,
        facts,
        covered=registry.COVERED_REASONS,
        standalone=registry.STANDALONE_REASONS,
    )
    return DoctorReport(
        server=f"PostgreSQL {format_version(version)}",
        target=describe(dsn),
        schemas=request.schemas,
        outcomes=outcomes,
        drops=drops,
        tables=loads(facts) if facts.tables else (),
        stats=facts.stats,
        workload=workload,
        locations=locations,
        notes=tuple(notes),
        timings=timings,
    )


def _judge(
    check: Check, facts: Facts, request: DoctorRequest, workload: WorkloadResult | None
) -> CheckOutcome:
    if check.kind is Kind.RUNTIME and facts.stats is not None and not facts.stats.enough:
        return CheckOutcome(
            check,
            False,
            f"{facts.stats.describe()}; need {request.min_stats_age_days:g} (--min-stats-age)",
        )
    if check.kind is Kind.WORKLOAD:
        if request.workload is None:
            return CheckOutcome(check, False, "the workload was not run (--no-checks)")
        if workload is None or workload.unproven is None:
            return CheckOutcome(check, False, workload.note if workload else "no workload")
    started = time.perf_counter()
    findings = check.find(facts)
    return CheckOutcome(check, True, "", findings, time.perf_counter() - started)


def _unknown_schemas(schemas: tuple[str, ...], facts: Facts, notes: list[str]) -> None:
    seen = {t.schema for t in facts.tables} | {i.table_schema for i in facts.indexes}
    missing = [s for s in schemas if s not in seen]
    if missing and (facts.tables or facts.indexes or len(missing) == len(schemas)):
        notes.append(f"--schema {', '.join(missing)}: no tables there")


def _catalog_locations(
    catalog: tuple[Path, bool] | None, notes: list[str]
) -> dict[tuple[str, str], tuple[str, int]]:
    """(schema or "", index name) -> (file, line) of the catalog's CREATE INDEX statements."""
    if catalog is None:
        return {}
    folder, explicit = catalog
    from plinto_db.catalog.cache import load_catalog_cached

    try:
        specs = load_catalog_cached(folder)
    except UserError as exc:
        if explicit:
            raise
        notes.append(f"index catalog not read ({exc.message})")
        return {}
    return {(spec.schema or "", spec.name): (_display(spec.file), spec.line) for spec in specs}


def _display(path: Path) -> str:
    """Relative to the working directory when inside it (how CI and code scanning name files)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
