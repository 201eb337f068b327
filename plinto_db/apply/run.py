"""The apply use case: catalog -> state -> plan -> execute -> verify, and its exit code.

Shared by `plinto-db apply`, `status`, `drop` and the alembic revision 0002.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from plinto_db import __version__
from plinto_db.apply.executor import Events, ExecOptions, Executor, Outcome, Result
from plinto_db.apply.introspect import read_state, refuse_read_only
from plinto_db.apply.plan import Action, ActionKind, NameTaken, Plan, State, classify, make_plan
from plinto_db.apply.state import DatabaseState
from plinto_db.catalog.spec import IndexSpec
from plinto_db.errors import ExitCode, PlintoError, UserError
from plinto_db.pg.connect import connect, format_version

# PG 14.0-14.3: CIC and REINDEX CONCURRENTLY could miss rows (fixed in 14.4, F15).
BROKEN_CIC = range(140000, 140004)


@dataclass
class ApplyResult:
    server_version: int
    plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False
    converged: bool = False
    remaining: tuple[str, ...] = ()  # catalog indexes not valid after the run

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


def select(
    specs: tuple[IndexSpec, ...], only: list[str] | None, tables: list[str] | None
) -> tuple[IndexSpec, ...]:
    """The part of the catalog chosen by --only NAME and --table T (both repeatable).

    `--table` takes `T`, `schema.T`, or the quoted forms the reports print
    (`"App"."Orders"`). A catalog statement without a schema is kept here when its table
    name matches a qualified `--table`; `narrow` decides once the table is resolved.
    """
    chosen = specs
    if only:
        known = {s.name for s in specs}
        unknown = [n for n in only if n not in known]
        if unknown:
            raise UserError(f"--only: not in the catalog: {', '.join(unknown)}")
        chosen = tuple(s for s in chosen if s.name in set(only))
    if tables:
        wanted = [_table_arg(t) for t in tables]
        chosen = tuple(s for s in chosen if any(_may_match(s.schema, s.table, w) for w in wanted))
        if not chosen:
            raise UserError(f"--table: no catalog index on {', '.join(tables)}")
    return chosen


def narrow(
    specs: tuple[IndexSpec, ...], state: DatabaseState, tables: list[str] | None
) -> tuple[tuple[IndexSpec, ...], DatabaseState]:
    """Apply --table to the resolved tables (a catalog statement without a schema names
    the table its search_path finds); the state keeps only the chosen tables."""
    if not tables:
        return specs, state
    wanted = [_table_arg(t) for t in tables]
    kept = tuple(
        s
        for s in specs
        if any(
            _may_match(state.tables[s.name].schema, state.tables[s.name].name, w) for w in wanted
        )
    )
    if not kept:
        raise UserError(f"--table: no catalog index on {', '.join(tables)}")
    names = {s.name for s in kept}
    chosen = {n: t for n, t in state.tables.items() if n in names}
    return kept, dataclasses.replace(state, tables=chosen)


_Part = tuple[str, bool]  # (text, quoted)


def _table_arg(text: str) -> tuple[_Part | None, _Part]:
    """`T`, `s.T`, `"S"."T"` -> ((schema, quoted) or None, (table, quoted))."""
    parts: list[_Part] = []
    current, quoted, inside, i = "", False, False, 0
    while i < len(text):
        ch = text[i]
        if inside:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                current += '"'
                i += 1
            elif ch == '"':
                inside = False
            else:
                current += ch
        elif ch == '"':
            inside, quoted = True, True
        elif ch == ".":
            parts.append((current, quoted))
            current, quoted = "", False
        else:
            current += ch
        i += 1
    parts.append((current, quoted))
    if len(parts) > 2 or not all(p for p, _ in parts):
        raise UserError(f"--table: expected TABLE or SCHEMA.TABLE, got {text!r}")
    return (parts[0] if len(parts) == 2 else None), parts[-1]


def _same(stored: str, part: _Part) -> bool:
    text, quoted = part
    return stored == text or (not quoted and stored == text.lower())


def _may_match(schema: str | None, table: str, wanted: tuple[_Part | None, _Part]) -> bool:
    want_schema, want_table = wanted
    if not _same(table, want_table):
        return False
    return want_schema is None or schema is None or _same(schema, want_schema)


def load(indexes: Path, only: list[str] | None, tables: list[str] | None):
    from plinto_db.catalog.cache import load_catalog_cached

    return select(load_catalog_cached(indexes), only, tables)


def inspect(conn: psycopg.Connection, specs: tuple[IndexSpec, ...]) -> DatabaseState:
    from plinto_db.apply.shape_cache import ShapeCache

    return read_state(conn, specs, ShapeCache(conn.info.server_version))


def plan_for(specs: tuple[IndexSpec, ...], state: DatabaseState, *, replace_drifted: bool) -> Plan:
    try:
        return make_plan(specs, state, replace_drifted=replace_drifted)
    except NameTaken as exc:
        raise UserError(f"{exc} (nothing was applied)") from None


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
    from plinto_db.apply import ledger
    from plinto_db.apply import lock as apply_lock

    control = connect(dsn, application_name=f"{options.application_name} (control)")
    try:
        version = control.info.server_version
        if dry_run:
            state = inspect(control, specs)
            specs, state = narrow(specs, state, tables)
            plan = plan_for(specs, state, replace_drifted=replace_drifted)
            refuse_not_owned(control, plan, state, "create or drop")
            outcomes = [_planned(a) for a in plan.actions]
            return ApplyResult(version, plan, outcomes, dry_run=True, converged=not plan.work)

        apply_lock.acquire(control, wait=wait_for_lock, note=note)
        state = inspect(control, specs)
        specs, state = narrow(specs, state, tables)
        plan = plan_for(specs, state, replace_drifted=replace_drifted)
        refuse_not_owned(control, plan, state, "create or drop")
        if plan.work:
            refuse_broken_cic(version)
            refuse_read_only(control, "build or drop indexes")
        if not plan.work:
            outcomes = [_skipped(a) for a in plan.actions]
            return ApplyResult(version, plan, outcomes, converged=not plan.refused)

        ledger.ensure(control)
        run_id = uuid.uuid4()
        server = format_version(version)

        def replan(action: Action) -> Action:
            fresh = inspect_single(dsn, specs, action.name)
            if fresh is None:
                return Action(  # a leftover another session works on: left to it
                    action.name,
                    action.table,
                    ActionKind.SKIP,
                    action.state,
                    reason=f"{action.reason}; left alone, the next apply drops it if it remains",
                    table_oid=action.table_oid,
                )
            return fresh

        def inspect_single(dsn: str, specs, name: str) -> Action | None:
            spec = next((s for s in specs if s.name == name), None)
            if spec is None:
                return None
            with connect(dsn, application_name=f"{options.application_name} (replan)") as c:
                fresh_state = read_state(c, (spec,))
            return plan_for((spec,), fresh_state, replace_drifted=replace_drifted).actions[0]

        recorder = _Recorder(events or Events(), control, run_id, server)
        executor = Executor(options, recorder, replan=replan)
        work = plan.work
        done = {id(a): o for a, o in zip(work, executor.run(work), strict=True)}
        outcomes = [done[id(a)] if id(a) in done else _skipped(a) for a in plan.actions]
        final = inspect(control, specs)
        remaining = tuple(s.name for s in specs if classify(s, final)[0] != State.VALID)
        result = ApplyResult(version, plan, outcomes, remaining=remaining)
        result.converged = not remaining
        return result
    except psycopg.OperationalError as exc:
        if not (control.closed or control.broken):
            raise
        raise _lost(exc) from None
    finally:
        control.close()


def _lost(exc: psycopg.Error) -> PlintoError:
    """The server went away (shut down, restarted, network cut) in the middle of a run."""
    reason = (getattr(exc.diag, "message_primary", None) or str(exc)).strip().splitlines()[0]
    return PlintoError(
        f"lost the connection to the server ({reason}); the indexes may be half done: run "
        "the command again once the server is back (apply converges from any state)",
        exit_code=ExitCode.FAILED,
    )


def _planned(action: Action) -> Outcome:
    if action.kind == ActionKind.SKIP:
        return Outcome(action, Result.SKIPPED)
    if action.kind == ActionKind.REFUSE_DRIFTED:
        return Outcome(action, Result.REFUSED, detail=action.reason)
    return Outcome(action, Result.PLANNED, detail=action.reason)


def _skipped(action: Action) -> Outcome:
    if action.kind == ActionKind.REFUSE_DRIFTED:
        return Outcome(action, Result.REFUSED, detail=action.reason)
    return Outcome(action, Result.SKIPPED)


def status_rows(specs: tuple[IndexSpec, ...], state: DatabaseState) -> list[dict]:
    """Every catalog index with its state, then the other indexes on the catalog's tables."""
    from plinto_db.apply.state import is_leftover

    rows = []
    names = {s.name for s in specs}
    for spec in specs:
        found, rel, reason = classify(spec, state)
        if found == State.NAME_TAKEN and rel is not None and not reason:
            reason = f"name taken by {rel.kind_name} {rel.qualified}"
        rows.append(
            {
                "name": spec.name,
                "table": state.tables[spec.name].qualified,
                "state": str(found),
                "managed": True,
                "size_bytes": rel.size_bytes if rel is not None and rel.is_index else None,
                "scans": rel.scans if rel is not None and rel.is_index else None,
                "detail": reason or None,
                "definition": rel.shape.definition if rel is not None and rel.shape else None,
                "file": f"{spec.file}:{spec.line}",
            }
        )
    table_oids = sorted({t.oid for t in state.tables.values()})
    for oid in table_oids:
        for rel in state.indexes_on(oid):
            if rel.name in names:
                continue
            leftover = is_leftover(rel.name)
            detail = []
            if rel.constraint:
                detail.append(f"backs constraint {rel.constraint}")
            if leftover:
                detail.append("leftover of an interrupted rebuild: apply drops it")
            if not rel.valid:
                detail.append("INVALID")
            rows.append(
                {
                    "name": rel.name,
                    "table": rel.table.qualified if rel.table else "",
                    "state": "leftover" if leftover else "unknown",
                    "managed": False,
                    "size_bytes": rel.size_bytes,
                    "scans": rel.scans,
                    "detail": "; ".join(detail) or "not in the catalog",
                    "definition": rel.shape.definition if rel.shape else None,
                    "file": None,
                }
            )
    return rows


def drop_catalog(
    dsn: str,
    specs: tuple[IndexSpec, ...],
    *,
    options: ExecOptions,
    confirm: Callable[[list[str]], bool],
    tables: list[str] | None = None,
) -> ApplyResult:
    """DROP INDEX CONCURRENTLY the catalog's indexes, under the same lock as apply."""
    from plinto_db.apply import ledger
    from plinto_db.apply import lock as apply_lock
    from plinto_db.apply.plan import make_drop_plan

    control = connect(dsn, application_name=f"{options.application_name} (control)")
    try:
        version = control.info.server_version
        apply_lock.acquire(control, wait=False)
        state = inspect(control, specs)
        specs, state = narrow(specs, state, tables)
        try:
            plan = make_drop_plan(specs, state)
        except NameTaken as exc:
            raise UserError(f"{exc} (nothing was dropped)") from None
        refuse_not_owned(control, plan, state, "drop")
        work = tuple(a for a in plan.actions if a.kind == ActionKind.DROP)
        if work:
            refuse_read_only(control, "drop indexes")
        building = [a.name for a in plan.actions if a.kind == ActionKind.WAIT]
        if building:
            raise PlintoError(
                f"not dropping while another session builds: {', '.join(building)}",
                exit_code=ExitCode.BLOCKED,
            )
        if work and not confirm([a.name for a in work]):
            raise UserError("not confirmed: nothing was dropped")
        if work:
            ledger.ensure(control)
        recorder = _Recorder(Events(), control, uuid.uuid4(), format_version(version))
        done = dict(zip((id(a) for a in work), Executor(options, recorder).run(work), strict=True))
        outcomes = [done[id(a)] if id(a) in done else _skipped(a) for a in plan.actions]
        result = ApplyResult(version, plan, outcomes)
        result.converged = all(o.result in (Result.DONE, Result.SKIPPED) for o in outcomes)
        return result
    except psycopg.OperationalError as exc:
        if not (control.closed or control.broken):
            raise
        raise _lost(exc) from None
    finally:
        control.close()


class _Recorder(Events):
    """Passes events on, and writes each finished action to the ledger as it ends
    (on the control connection, from the executor's main thread)."""

    def __init__(self, inner: Events, conn: psycopg.Connection, run_id, server: str):
        self.inner = inner
        self.conn = conn
        self.run_id = run_id
        self.server = server

    def started(self, action) -> None:
        self.inner.started(action)

    def step(self, action, step) -> None:
        self.inner.step(action, step)

    def progress(self, action, progress) -> None:
        self.inner.progress(action, progress)

    def waiting(self, action, blocker, phase) -> None:
        self.inner.waiting(action, blocker, phase)

    def finished(self, outcome: Outcome) -> None:
        from plinto_db.apply import ledger

        if outcome.statements:
            ledger.record(
                self.conn,
                run_id=self.run_id,
                started=outcome.started,
                index_name=outcome.name,
                table_name=outcome.action.table,
                action=str(outcome.action.kind),
                outcome=str(outcome.result),
                seconds=outcome.seconds,
                detail=outcome.detail or outcome.action.reason or None,
                statements=";\n".join(outcome.statements),
                server_version=self.server,
                tool_version=__version__,
            )
        self.inner.finished(outcome)


def refuse_broken_cic(version: int) -> None:
    """PG 14.0-14.3 could silently corrupt indexes built concurrently (F15)."""
    if version in BROKEN_CIC:
        raise UserError(
            f"refusing to build concurrently on PostgreSQL {format_version(version)}: "
            "14.0-14.3 can silently corrupt indexes built with CREATE INDEX CONCURRENTLY "
            "(fixed in 14.4); upgrade the server first"
        )
