"""The drop use case: DROP INDEX CONCURRENTLY the catalog's indexes, under apply's lock."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from plinto_db.apply.actions import ActionKind, NameTaken
from plinto_db.apply.executor import ExecOptions, Executor
from plinto_db.apply.introspect import refuse_read_only
from plinto_db.apply.outcome import Events, Result
from plinto_db.apply.plan import make_drop_plan
from plinto_db.apply.run import (
    ApplyResult,
    control_session,
    preflight,
    refuse_not_owned,
    skipped_outcome,
)
from plinto_db.apply.select import narrow
from plinto_db.catalog.spec import IndexSpec
from plinto_db.errors import ExitCode, PlintoError, UserError
from plinto_db.pg.versions import format_version


def drop_catalog(
    dsn: str,
    specs: tuple[IndexSpec, ...],
    *,
    options: ExecOptions,
    confirm: Callable[[list[str]], bool],
    tables: list[str] | None = None,
    events: Events | None = None,
) -> ApplyResult:
    """Drop the catalog's indexes that exist; never one another session is building, never
    a name that belongs to something else. `confirm` sees the names before anything runs."""
    from plinto_db.apply import ledger, lock

    with control_session(dsn, options) as control:
        version = control.info.server_version
        lock.acquire(control, wait=False)
        state = preflight(control, specs, "nothing was dropped")
        specs, state = narrow(control, specs, state, tables)
        try:
            plan = make_drop_plan(specs, state)
        except NameTaken as exc:
            raise UserError(f"{exc} (nothing was dropped)") from None
        refuse_not_owned(control, plan, state, "drop")
        work = tuple(a for a in plan.actions if a.kind == ActionKind.DROP)
        building = [a.name for a in plan.actions if a.kind == ActionKind.WAIT]
        if building:
            raise PlintoError(
                f"not dropping while another session builds: {', '.join(building)}",
                exit_code=ExitCode.BLOCKED,
            )
        if work:
            refuse_read_only(control, "drop indexes")
            if not confirm([a.name for a in work]):
                raise UserError("not confirmed: nothing was dropped")
            ledger.ensure(control)
        recorder = ledger.LedgerEvents(
            events or Events(), control, uuid.uuid4(), format_version(version)
        )
        try:
            ran = Executor(options, recorder).run(work)
        finally:
            recorder.close()
        done = dict(zip((id(a) for a in work), ran, strict=True))
        outcomes = [done.get(id(a)) or skipped_outcome(a) for a in plan.actions]
        converged = all(o.result in (Result.DONE, Result.SKIPPED) for o in outcomes)
        return ApplyResult(version, plan, outcomes, converged=converged)
