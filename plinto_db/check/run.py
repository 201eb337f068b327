"""The `check` use case: load the workload and catalog, EXPLAIN each check, decide, summarise.

    run = run_checks(CheckRequest(dsn=..., checks_path=..., mode="forced"))

Read inputs (checks/, the catalog) -> gather facts from the server (catalogs, EXPLAIN JSON)
-> decide in pure code (decide.py, coverage.py) -> a CheckRun any renderer takes. Bad input
raises UserError (exit 2) before anything connects where it can.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plinto_db.check.modes import Mode, parse_mode
from plinto_db.check.results import CheckRun, Explained
from plinto_db.check.workload import Check
from plinto_db.errors import UserError

if TYPE_CHECKING:
    import psycopg

    from plinto_db.check.modes import RunOptions
    from plinto_db.pg.facts import ServerFacts

MAX_TIMEOUT_MS = 2_147_483_647  # PostgreSQL's limit for statement_timeout and lock_timeout


@dataclass(frozen=True)
class CheckRequest:
    """What to check, where, and how. `dsn` may be a callable, called only once the inputs are
    known to be good (so a bad header never starts an embedded server)."""

    dsn: str | Callable[[], str]
    checks_path: Path | None = None  # None: ./checks, then the bundled workload
    indexes_path: Path | None = None  # None: ./indexes (then the bundled catalog, see below)
    mode: Mode | str = Mode.NATURAL
    analyze: bool = False
    only: tuple[str, ...] = ()  # globs on check names
    statement_timeout_ms: int = 30_000
    lock_timeout_ms: int = 2_000
    require_coverage: bool = False
    on_check: Callable[[str, int], None] | None = field(default=None, compare=False)


def validate(request: CheckRequest) -> Mode:
    """Refuse options that cannot go together; the mode they name."""
    if request.only and request.require_coverage:
        raise UserError("--require-coverage needs the whole workload: drop --only")
    mode = parse_mode(request.mode)
    if mode is None:
        choices = ", ".join(m.value for m in Mode)
        raise UserError(f"--mode {request.mode!r}: choose one of {choices}")
    if request.analyze and mode in (Mode.GENERIC, Mode.HYPOTHETICAL):
        why = (
            "a generic plan has no parameter values to execute with"
            if mode is Mode.GENERIC
            else "EXPLAIN ANALYZE never sees hypothetical indexes"
        )
        raise UserError(f"--analyze cannot be combined with --mode {mode.value}: {why}")
    for option, value in (
        ("--statement-timeout", request.statement_timeout_ms),
        ("--lock-timeout", request.lock_timeout_ms),
    ):
        if not 0 <= value <= MAX_TIMEOUT_MS:
            raise UserError(
                f"{option} {f'{value / 1000:,.3f}'.rstrip('0').rstrip('.')}s: out of range; "
                "give 0 (no limit) to "
                f"{MAX_TIMEOUT_MS // 1000:,} seconds"
            )
    return mode


def run_checks(request: CheckRequest) -> CheckRun:
    """The use case: load the workload and catalog, EXPLAIN each check, decide, summarise."""
    from plinto_db.check.catalog import CatalogLoader
    from plinto_db.check.workload import load_workload
    from plinto_db.resources import resolve_dir

    mode = validate(request)
    checks_dir = resolve_dir("checks", request.checks_path)
    workload = _select(load_workload(checks_dir), request.only)
    # your own checks never pair with the bundled (Plinto) catalog: ./indexes or --indexes only
    loader = CatalogLoader(request.indexes_path, bundled=request.checks_path is None)
    if request.require_coverage and loader.folder is None:
        raise UserError("--require-coverage needs an index catalog: give --indexes")
    if mode is not Mode.GENERIC:
        for item in workload:
            if not item.has_values:
                raise UserError(
                    f"{item.file}:{item.sql_line}: the query uses ${item.param_count} but the "
                    "header gives no `-- params:` or `-- sample:` (add one, or use --mode generic)"
                )
    target = request.dsn() if callable(request.dsn) else request.dsn
    return _run_on_server(target, workload, loader, mode, request, checks_dir)


@dataclass
class _Session:
    """What the run learned from the server before and while explaining."""

    version: int
    facts: ServerFacts
    catalog_early: tuple = ()
    explained: tuple[Explained, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)  # HypoPG plan name -> catalog name
    skipped: dict[str, str] = field(default_factory=dict)  # catalog index -> why not simulated
    notes: list[str] = field(default_factory=list)


def _run_on_server(
    target: str,
    workload: tuple[Check, ...],
    loader: Any,
    mode: Mode,
    request: CheckRequest,
    checks_dir: Path,
) -> CheckRun:
    from plinto_db.check import explain
    from plinto_db.pg.connect import require_server_version
    from plinto_db.pg.facts import gather_facts

    with explain.open_connection(target) as conn, _lost_connection(conn, target):
        session = _Session(version=require_server_version(conn), facts=gather_facts(conn))
        options = _prepare(session, workload, loader, mode, request)
        explain.begin_run(conn, options)
        try:
            _explain(conn, session, workload, options, request.on_check)
        finally:
            if not conn.closed:
                conn.execute("ROLLBACK")
    return _assemble(session, target, loader, mode, request, checks_dir)


def _prepare(
    session: _Session,
    workload: tuple[Check, ...],
    loader: Any,
    mode: Mode,
    request: CheckRequest,
) -> RunOptions:
    """Validate names against the server and catalog; decide which checks run forced."""
    from plinto_db.check import guard
    from plinto_db.check.decide import names_from
    from plinto_db.check.modes import RunOptions

    facts = session.facts
    # named indexes the server lacks: only the catalog can vouch for them
    unbuilt = {n for c in workload for n in c.indexes() if facts.index(n) is None}
    if unbuilt or mode is Mode.HYPOTHETICAL:
        session.catalog_early = loader.get()
    guard.validate_names(workload, session.catalog_early, facts, loader.folder)
    catalog_tables = {spec.name: spec.table for spec in session.catalog_early}
    forced: dict[str, str] = {}
    if mode is not Mode.FORCED:
        forced = guard.natural_guard(workload, facts, catalog_tables)
    return RunOptions(
        mode=mode,
        analyze=request.analyze,
        statement_timeout_ms=request.statement_timeout_ms,
        lock_timeout_ms=request.lock_timeout_ms,
        forced_checks=frozenset(forced),
        forced_reasons=forced,
        names=names_from(facts, {}, session.catalog_early),
        read_only=facts.in_recovery,
    )


def _explain(
    conn: psycopg.Connection,
    session: _Session,
    workload: tuple[Check, ...],
    options: RunOptions,
    on_check: Callable[[str, int], None] | None,
) -> None:
    from plinto_db.check import explain

    if options.mode is Mode.HYPOTHETICAL:
        from plinto_db.check import hypothetical

        session.notes.append(hypothetical.ensure_hypopg(conn))
        built = {index.name for index in session.facts.indexes}
        missing = [spec for spec in session.catalog_early if spec.name not in built]
        session.aliases, session.skipped = hypothetical.create_hypothetical(conn, missing)
        session.notes.append(f"{len(session.aliases)} catalog index(es) created hypothetically")
    total = len(workload)
    session.explained = explain.explain_all(
        conn,
        workload,
        options,
        (lambda e: on_check(e.check.name, total)) if on_check else None,
    )


def _assemble(
    session: _Session,
    target: str,
    loader: Any,
    mode: Mode,
    request: CheckRequest,
    checks_dir: Path,
) -> CheckRun:
    from plinto_db.check.advice import build_advice
    from plinto_db.check.coverage import coverage
    from plinto_db.check.decide import decide, names_from
    from plinto_db.pg.connect import describe

    facts = session.facts
    catalog, indexes_dir = loader.get(), loader.folder
    names = names_from(facts, session.aliases, catalog)
    results = tuple(
        decide(e, names, facts=facts, catalog=catalog, index_notes=session.skipped)
        for e in session.explained
    )
    present = {index.name for index in facts.indexes} | set(session.aliases.values())
    notes = list(session.notes)
    if request.only:
        notes.append("coverage not computed: --only runs part of the workload")
    elif indexes_dir is None:
        notes.append("coverage not computed: no index catalog (give --indexes)")
    version = session.version
    return CheckRun(
        mode=mode,
        analyze=request.analyze,
        server=f"PostgreSQL {version // 10000}.{version % 10000}",
        target=describe(target),
        checks_dir=str(checks_dir),
        indexes_dir=str(indexes_dir) if indexes_dir else None,
        results=results,
        coverage=()
        if request.only
        else _with_sizes(
            coverage(
                catalog,
                results,
                names,
                present=present,
                skipped=session.skipped,
                advice={spec.name: build_advice(spec, facts) for spec in catalog},
            ),
            catalog,
            facts,
        ),
        notes=tuple(notes),
    )


def _with_sizes(items, catalog, facts) -> tuple:
    """Each catalog index's size on disk, so a DBA can weigh an unproven one."""
    schemas = {spec.name: spec.schema for spec in catalog}
    sized = []
    for item in items:
        schema = schemas.get(item.name)
        fact = facts.index((schema, item.name))
        sized.append(replace(item, size_bytes=fact.size_bytes if fact else None))
    return tuple(sized)


@contextmanager
def _lost_connection(conn: psycopg.Connection, target: str) -> Iterator[None]:
    """A server that goes away mid-run makes the database unusable (exit 2), not N errors."""
    import psycopg

    from plinto_db.pg.connect import describe
    from plinto_db.pg.messages import server_message

    try:
        yield
    except psycopg.Error as exc:
        if not (conn.broken or conn.closed):
            raise
        raise UserError(
            f"lost the connection to {describe(target)} during the run: {server_message(exc)}"
        ) from None


def _select(workload: Sequence[Check], only: tuple[str, ...]) -> tuple[Check, ...]:
    if not only:
        return tuple(workload)
    from fnmatch import fnmatchcase

    chosen = tuple(c for c in workload if any(fnmatchcase(c.name, p) for p in only))
    if not chosen:
        raise UserError(f"--only {', '.join(only)}: no check matches")
    return chosen
