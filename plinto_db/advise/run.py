"""The `advise` use case: which checks need an index, which index, proven on the statistics.

    run = run_advise(AdviseRequest(dsn=..., checks_path=Path("checks")))

check (natural) -> the targets: checks that fail or read a big table sequentially ->
candidates from each target's parsed query (pure) -> each costed with each target on its
table (HypoPG, or trial builds rolled back) -> chosen and merged (pure) -> verified all
together -> an AdviseRun; `write.py` turns it into a catalog file and updated expectations.
Nothing is ever left built: every EXPLAIN runs in one transaction that is rolled back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from plinto_db.advise.model import DEFAULT_MIN_GAIN, DEFAULT_MIN_PAGES, AdviseRun
from plinto_db.errors import UserError

if TYPE_CHECKING:
    from plinto_db.check.results import CheckRun


@dataclass(frozen=True)
class AdviseRequest:
    dsn: str | Callable[[], str]
    checks_path: Path | None = None
    indexes_path: Path | None = None
    write: Path | None = None  # the catalog file to write
    update_checks: bool = True  # with --write: name the new indexes in the checks' expect lines
    trial_builds: bool = False
    allow_activity: bool = False
    min_gain: float = DEFAULT_MIN_GAIN
    min_pages: int = DEFAULT_MIN_PAGES
    force: bool = False  # overwrite a --write file edited by hand
    statement_timeout_ms: int = 30_000
    lock_timeout_ms: int = 2_000


def validate(request: AdviseRequest) -> None:
    if not 0 < request.min_gain < 1:
        raise UserError(
            f"--min-gain {request.min_gain:g}: give a fraction between 0 and 1 "
            "(0.5: halve the cost)"
        )
    if request.min_pages < 0:
        raise UserError(f"--min-pages {request.min_pages}: give 0 or more")
    if request.write is not None:
        from plinto_db.advise.write import check_writable

        check_writable(request.write, request.force)


def run_advise(request: AdviseRequest) -> AdviseRun:
    from plinto_db.check.run import CheckRequest, run_checks
    from plinto_db.resources import resolve_dir

    validate(request)
    started = time.perf_counter()
    target = request.dsn() if callable(request.dsn) else request.dsn
    checks_dir = resolve_dir("checks", request.checks_path)
    today = run_checks(
        CheckRequest(
            dsn=target,
            checks_path=request.checks_path,  # None: check's defaults, the bundled catalog too
            indexes_path=request.indexes_path,
            statement_timeout_ms=request.statement_timeout_ms,
            lock_timeout_ms=request.lock_timeout_ms,
        )
    )
    run = _advise_on_server(target, today, request)
    run.checks_dir = str(checks_dir)
    if request.write is not None and run.proposals:
        from plinto_db.advise.write import update_expectations, write_catalog

        run.written = write_catalog(run, request.write, force=request.force)
        if request.update_checks:
            bundled = request.checks_path is None and not (Path.cwd() / "checks").is_dir()
            run.expect_changes = update_expectations(run, today, bundled=bundled)
    run.seconds = time.perf_counter() - started
    return run


def _advise_on_server(target: str, today: CheckRun, request: AdviseRequest) -> AdviseRun:
    from plinto_db.advise import session
    from plinto_db.check import explain
    from plinto_db.check.modes import Mode, RunOptions
    from plinto_db.pg.connect import describe

    with explain.open_connection(target) as conn:
        notes: list[str] = []
        if request.trial_builds:
            from plinto_db.advise.cost import refuse_activity

            note = refuse_activity(conn, request.allow_activity)
            if note:
                notes.append(note)
        state = session.gather(conn, today, request.min_pages)
        options = RunOptions(
            mode=Mode.NATURAL,
            statement_timeout_ms=request.statement_timeout_ms,
            lock_timeout_ms=request.lock_timeout_ms,
            forced_checks=frozenset(state.forced),
            forced_reasons={
                name: "a table under 10 pages: planned forced" for name in state.forced
            },
        )
        explain.begin_run(conn, options)
        try:
            backend = session.backend(conn, options, request.trial_builds)
            run = session.advise(conn, backend, state, request.min_gain)
        finally:
            if not conn.closed:
                conn.execute("ROLLBACK")
    run.server = today.server
    run.target = describe(target)
    run.notes = notes + run.notes
    run.checks_total = len(today.results)
    return replace(run)
