"""The apply use case: catalog -> state -> plan -> execute -> verify, and its exit code.

Shared by `plinto-db apply`, `drop` (drop.py), `status` (status.py), `bench` and the
alembic revision 0002.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from plinto_db.apply.actions import Action, ActionKind, NameTaken, Plan, State
from plinto_db.apply.executor import ExecOptions, Executor
from plinto_db.apply.introspect import read_state, refuse_read_only
from plinto_db.apply.outcome import Events, Outcome, Result
from plinto_db.apply.plan import after_wait, classify, make_plan, merged, taken_meanwhile
from plinto_db.apply.select import narrow, select
from plinto_db.apply.state import DatabaseState
from plinto_db.catalog.spec import IndexSpec
from plinto_db.errors import ExitCode, PlintoError, UserError
from plinto_db.pg.connect import connect
from plinto_db.pg.messages import server_message
from plinto_db.pg.versions import format_version

# PG 14.0-14.3: CIC and REINDEX CONCURRENTLY could miss rows (fixed in 14.4, F15).
BROKEN_CIC = range(140000, 140004)


@dataclass
class ApplyResult:
    server_version: int
    plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False
    converged: bool = False
    # catalog indexes not valid and as in the catalog after the run (dry run: as found)
    remaining: tuple[str, ...] = ()
    seconds: float = 0.0  # the whole run, wall clock

    @property
    def exit_code(self) -> ExitCode:
        results = {o.result for o in self.outcomes}
        if results & {Result.FAILED, Result.INTERRUPTED}:
            return ExitCode.FAILED
        if results & {Result.TIMED_OUT, Result.BLOCKED}:
            return ExitCode.BLOCKED
        if results & {Result.REFUSED}:
            return ExitCode.DRIFT
        if self.dry_run:
            return ExitCode.DRIFT if self.plan.refused else ExitCode.OK
        return ExitCode.OK if self.converged else ExitCode.FAILED


def load(indexes: Path, only: list[str] | None, tables: list[str] | None) -> tuple[IndexSpec, ...]:
    from plinto_db.catalog.cache import load_catalog_cached

    return select(load_catalog_cached(indexes), only, tables)


def inspect(conn: psycopg.Connection, specs: tuple[IndexSpec, ...]) -> DatabaseState:
    from plinto_db.apply.shape_cache import ShapeCache

    return read_state(conn, specs, ShapeCache(conn.info.server_version))


def preflight(conn: psycopg.Connection, specs: tuple[IndexSpec, ...], then: str) -> DatabaseState:
    """inspect() before a command that changes things: a refusal says what was not done
    (read-only commands call inspect() and never claim it)."""
    try:
        return inspect(conn, specs)
    except UserError as exc:
        raise UserError(f"{exc} ({then})") from None


def not_converged(specs: tuple[IndexSpec, ...], state: DatabaseState) -> tuple[str, ...]:
    """The catalog indexes that are not valid and as in the catalog, in catalog order."""
    return tuple(s.name for s in specs if classify(s, state)[0] != State.VALID)


def plan_for(specs: tuple[IndexSpec, ...], state: DatabaseState, *, replace_drifted: bool) -> Plan:
    try:
        return make_plan(specs, state, replace_drifted=replace_drifted)
    except NameTaken as exc:
        raise UserError(f"{exc} (nothing was applied)") from None


def refuse_partitioned(specs: tuple[IndexSpec, ...], state: DatabaseState) -> None:
    """What PostgreSQL would refuse about partitioned indexes: every entry in one line."""
    from plinto_db.apply.partition_state import refusals

    found = refusals(specs, state)
    if found:
        raise UserError("; ".join(found) + " (nothing was applied)")


def refuse_not_owned(conn: psycopg.Connection, plan: Plan, state: DatabaseState, verb: str) -> None:
    """CREATE INDEX and DROP INDEX need the table's owner: say so before any DDL, naming
    the catalog statement, rather than fail action after action."""
    owners = {t.oid: t for t in state.tables.values()}
    for action in plan.actions:
        table = owners.get(action.table_oid)
        if not action.steps or table is None or table.owned:
            continue
        role = conn.execute("SELECT current_user").fetchone()[0]
        where = f"{action.spec.location}: " if action.spec is not None else ""
        raise UserError(
            f"{where}index {action.name!r}: role {role} does not own {table.qualified}; "
            f"only its owner (or a member of the owning role) can {verb} its indexes "
            "(nothing was changed)"
        )


def refuse_broken_cic(version: int) -> None:
    """PG 14.0-14.3 could silently corrupt indexes built concurrently (F15)."""
    if version in BROKEN_CIC:
        raise UserError(
            f"refusing to build concurrently on PostgreSQL {format_version(version)}: "
            "14.0-14.3 can silently corrupt indexes built with CREATE INDEX CONCURRENTLY "
            "(fixed in 14.4); upgrade the server first"
        )


@contextmanager
def control_session(dsn: str, options: ExecOptions) -> Iterator[psycopg.Connection]:
    """The run's control connection: the apply lock, the state reads, the ledger.

    A server lost mid-run (shut down, restarted, network cut) ends the run with one line.
    """
    control = connect(dsn, application_name=f"{options.application_name} (control)")
    try:
        yield control
    except psycopg.OperationalError as exc:
        if not (control.closed or control.broken):
            raise
        raise PlintoError(
            f"lost the connection to the server ({server_message(exc, detail=False)}); the "
            "indexes may be half done: run the command again once the server is back "
            "(apply converges from any state)",
            exit_code=ExitCode.FAILED,
        ) from None
    finally:
        control.close()


def apply_catalog(
    dsn: str,
    specs: tuple[IndexSpec, ...],
    *,
    options: ExecOptions,
    replace_drifted: bool = False,
    dry_run: bool = False,
    wait_for_lock: bool = False,
    events: Events | None = None,
    note: Callable[[str], None] | None = None,
    tables: list[str] | None = None,
) -> ApplyResult:
    """Converge the database to `specs`. Errors in the catalog or against the live schema
    raise UserError before any DDL."""
    from plinto_db.apply import ledger, lock, shape_record

    started = time.monotonic()
    with control_session(dsn, options) as control:
        version = control.info.server_version
        if not dry_run:
            lock.acquire(control, wait=wait_for_lock, note=note)
        state = preflight(control, specs, "nothing was applied")
        specs, state = narrow(control, specs, state, tables)
        refuse_partitioned(specs, state)
        plan = plan_for(specs, state, replace_drifted=replace_drifted)
        refuse_not_owned(control, plan, state, "create or drop")
        found = not_converged(specs, state)
        if dry_run:  # nothing runs: converged and remaining describe the state found
            outcomes = [_planned(a) for a in plan.actions]
            return ApplyResult(
                version, plan, outcomes, dry_run=True, converged=not found, remaining=found
            )
        if not plan.work:
            shape_record.record(control, state)
            outcomes = [skipped_outcome(a) for a in plan.actions]
            return ApplyResult(version, plan, outcomes, converged=not found, remaining=found)
        refuse_broken_cic(version)
        refuse_read_only(control, "build or drop indexes")
        ledger.ensure(control)
        shape_record.record(control, state)
        recorder = ledger.LedgerEvents(
            events or Events(), control, uuid.uuid4(), format_version(version)
        )
        replan = _replanner(dsn, specs, options, replace_drifted)
        try:
            done = _execute(plan.work, Executor(options, recorder, replan=replan))
            final = inspect(recorder.writer(), specs)  # the control, unless a Ctrl-C left it busy
        finally:
            recorder.close()
        outcomes = [done.get(id(a)) or skipped_outcome(a) for a in plan.actions]
        remaining = not_converged(specs, final)
        seconds = time.monotonic() - started
        return ApplyResult(
            version, plan, outcomes, remaining=remaining, converged=not remaining, seconds=seconds
        )


def _execute(work: tuple[Action, ...], executor: Executor) -> dict[int, Outcome]:
    return {id(a): o for a, o in zip(work, executor.run(work), strict=True)}


def _replanner(
    dsn: str, specs: tuple[IndexSpec, ...], options: ExecOptions, replace_drifted: bool
) -> Callable[[Action], Action]:
    """After another session's build ended: read that index's state afresh and plan again."""
    by_name = {spec.name: spec for spec in specs}

    def replan(action: Action) -> Action:
        spec = by_name.get(action.name)
        if spec is None:  # a leftover another session worked on
            return after_wait(action, None)
        with connect(dsn, application_name=f"{options.application_name} (replan)") as conn:
            fresh_state = read_state(conn, (spec,))
        try:
            fresh = make_plan((spec,), fresh_state, replace_drifted=replace_drifted).actions
        except NameTaken as exc:  # the run goes on: other indexes may be built already
            return taken_meanwhile(action, exc)
        return after_wait(action, merged(fresh))

    return replan


def _planned(action: Action) -> Outcome:
    if action.kind == ActionKind.SKIP:
        return Outcome(action, Result.SKIPPED)
    if action.kind == ActionKind.REFUSE_DRIFTED:
        return Outcome(action, Result.REFUSED, detail=action.reason)
    return Outcome(action, Result.PLANNED, detail=action.reason)


def skipped_outcome(action: Action) -> Outcome:
    if action.kind == ActionKind.REFUSE_DRIFTED:
        return Outcome(action, Result.REFUSED, detail=action.reason)
    return Outcome(action, Result.SKIPPED)


@dataclass(frozen=True)
class ApplyRequest:
    """What `plinto-db apply` was asked to do."""

    indexes: Path | None = None  # the catalog folder or file; None: ./indexes, then bundled
    only: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    dry_run: bool = False
    replace_drifted: bool = False
    wait_for_lock: bool = False
    jobs: int = 1
    lock_timeout: float = 5.0
    retries: int = 5
    build_timeout: float | None = None


def run_apply(
    request: ApplyRequest,
    dsn: Callable[[], str],
    *,
    events: Events | None = None,
    note: Callable[[str], None] | None = None,
) -> ApplyResult:
    """Read the catalog (a bad one fails before any server is touched), then converge."""
    from plinto_db.resources import resolve_dir

    specs = load(resolve_dir("indexes", request.indexes), list(request.only), list(request.tables))
    target = dsn()
    options = ExecOptions(
        dsn=target,
        jobs=request.jobs,
        lock_timeout=request.lock_timeout,
        retries=request.retries,
        build_timeout=request.build_timeout,
    )
    return apply_catalog(
        target,
        specs,
        options=options,
        replace_drifted=request.replace_drifted,
        dry_run=request.dry_run,
        wait_for_lock=request.wait_for_lock,
        events=events,
        note=note,
        tables=list(request.tables) or None,
    )
