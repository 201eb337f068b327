"""The catalog's indexes during a bench: what was found, drop, build, restore.

The one room that talks to apply's engine: `before` drops through `drop_catalog`, `after`
builds through `apply_catalog` (its progress, its ledger, its lock), and the run ends by
converging the catalog back to the set of indexes that were valid when it started.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

import psycopg

from plinto_db.catalog.spec import IndexSpec
from plinto_db.errors import ExitCode, PlintoError, UserError
from plinto_db.pg.connect import connection

APPLICATION_NAME = "plinto-db bench"
VALID = "valid"
MISSING = "missing"
# states a bench cannot restore faithfully: it would drop an index it cannot rebuild as found
UNRESTORABLE = {"drifted": "differs from the catalog", "name-taken": "name is taken"}


@dataclass(frozen=True)
class CatalogStep:
    """What one drop or build did."""

    ok: bool
    seconds: float
    summary: str
    changed: tuple[str, ...] = ()
    interrupted: bool = False
    error: str | None = None


class Interrupted(Exception):
    """Ctrl-C reached the bench (directly, or as an interrupted apply/drop)."""


def catalog_states(dsn: str, specs: tuple[IndexSpec, ...]) -> dict[str, str]:
    """name -> valid | missing | invalid | building | drifted | name-taken."""
    from plinto_db.apply.plan import classify
    from plinto_db.apply.run import inspect

    with connection(dsn, application_name=f"{APPLICATION_NAME} (inspect)") as conn:
        state = inspect(conn, specs)
    return {spec.name: str(classify(spec, state)[0]) for spec in specs}


def refuse_unrestorable(states: dict[str, str]) -> None:
    """A drifted index or a taken name could not be put back as found; a build in flight
    belongs to another session."""
    building = [n for n, s in states.items() if s == "building"]
    if building:
        raise PlintoError(
            f"another session is building {', '.join(building[:4])}: bench waits for no one; "
            "run it when the build is over",
            exit_code=ExitCode.BLOCKED,
        )
    for name, state in states.items():
        if state in UNRESTORABLE:
            raise UserError(
                f"catalog index {name}: {UNRESTORABLE[state]} (`plinto-db status` shows how): "
                "bench drops and rebuilds the catalog, and could not restore it as found; "
                "fix it first (`plinto-db apply --replace-drifted`)"
            )


def _options(dsn: str, jobs: int):
    from plinto_db.apply.executor import ExecOptions

    return ExecOptions(dsn=dsn, jobs=jobs, application_name=APPLICATION_NAME)


def drop(dsn: str, specs: tuple[IndexSpec, ...], jobs: int = 1) -> CatalogStep:
    """DROP INDEX CONCURRENTLY every catalog index in `specs` that exists."""
    from plinto_db.apply.drop import drop_catalog

    started = time.perf_counter()
    if not specs:
        return CatalogStep(True, 0.0, "no catalog index to drop")
    try:
        result = drop_catalog(dsn, specs, options=_options(dsn, jobs), confirm=lambda names: True)
    except PlintoError as exc:
        return CatalogStep(False, time.perf_counter() - started, "drop failed", error=exc.message)
    except psycopg.Error as exc:
        return _interrupted_or_raise(exc, started)
    return _step(result, "dropped", started)


def build(dsn: str, specs: tuple[IndexSpec, ...], events, jobs: int = 1) -> CatalogStep:
    """CREATE INDEX CONCURRENTLY the catalog indexes in `specs`, through apply's engine."""
    from plinto_db.apply.run import apply_catalog

    started = time.perf_counter()
    if not specs:
        return CatalogStep(True, 0.0, "no catalog index to build")
    try:
        result = apply_catalog(dsn, specs, options=_options(dsn, jobs), events=events)
    except PlintoError as exc:
        return CatalogStep(False, time.perf_counter() - started, "build failed", error=exc.message)
    except psycopg.Error as exc:
        return _interrupted_or_raise(exc, started)
    return _step(result, "built", started)


def _interrupted_or_raise(exc: psycopg.Error, started: float) -> CatalogStep:
    """A driver error raised while the engine handled Ctrl-C (a ledger write cut short leaves
    its connection busy) is the interrupt, not a failure of its own."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, KeyboardInterrupt):
            seconds = time.perf_counter() - started
            return CatalogStep(False, seconds, "interrupted", interrupted=True, error="interrupted")
        cause = cause.__context__
    raise exc


def _step(result, verb: str, started: float) -> CatalogStep:
    seconds = time.perf_counter() - started
    outcomes = list(result.outcomes)
    interrupted = any(str(o.result) == "interrupted" for o in outcomes)
    changed = tuple(o.name for o in outcomes if str(o.result) == "done")
    problems = [
        f"{o.name}: {o.result}{f' ({o.detail})' if o.detail else ''}"
        for o in outcomes
        if str(o.result) not in ("done", "skipped")
    ]
    summary = f"{verb} {len(changed)} catalog index(es) in {seconds:.1f} s"
    if interrupted:
        return CatalogStep(False, seconds, summary, changed, interrupted=True, error="interrupted")
    if not result.converged or problems:
        error = "; ".join(problems[:3]) or "the catalog did not converge"
        return CatalogStep(False, seconds, summary, changed, error=error)
    return CatalogStep(True, seconds, summary, changed)


def restore(
    dsn: str,
    specs: tuple[IndexSpec, ...],
    wanted: Collection[str],
    events_factory: Callable[[], object],
    jobs: int = 1,
) -> tuple[CatalogStep, CatalogStep]:
    """Converge to exactly `wanted` valid: drop the others that exist, build the missing."""
    states = catalog_states(dsn, specs)
    extra = tuple(s for s in specs if s.name not in wanted and states[s.name] != MISSING)
    absent = tuple(s for s in specs if s.name in wanted and states[s.name] != VALID)
    dropped = drop(dsn, extra, jobs)
    if dropped.interrupted:
        return dropped, CatalogStep(False, 0.0, "not started", interrupted=True)
    with events_factory() as events:  # type: ignore[attr-defined]
        built = build(dsn, absent, events, jobs)
    return dropped, built


def unrestored(dsn: str, specs: tuple[IndexSpec, ...], wanted: Collection[str]) -> list[str]:
    """Catalog indexes whose state is not as found (for the message after a failed restore)."""
    try:
        states = catalog_states(dsn, specs)
    except PlintoError:
        return [s.name for s in specs]
    return [
        s.name
        for s in specs
        if (s.name in wanted and states[s.name] != VALID)
        or (s.name not in wanted and states[s.name] != MISSING)
    ]
