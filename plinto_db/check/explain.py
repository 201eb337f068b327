"""Gathering plan facts from the server: one EXPLAIN (FORMAT JSON) per check, in a chosen mode.

Everything runs in one transaction that is rolled back, with `lock_timeout` and
`statement_timeout` set; each check runs under a savepoint that is rolled back too, so
`--analyze` of a data-changing query leaves nothing behind. Parameterised queries are
PREPAREd so the server infers the parameter types, then EXPLAIN EXECUTE'd with the check's
values: a custom plan, or under `force_generic_plan` before PostgreSQL 16 the generic plan
(pruned at executor start-up with those values, as a driver's cached plan is; NULLs only when
the check gives none); on 16+ the generic plan comes from `EXPLAIN (GENERIC_PLAN)`, sent
through the simple protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from plinto_db.check.isolate import isolate
from plinto_db.check.modes import FORCED_SETTINGS, MODE_SETTINGS, Mode, RunOptions
from plinto_db.check.results import Explained
from plinto_db.check.samples import (
    CheckError,
    NoSample,
    SampleError,
    Samples,
    null_notes,
    sample_values,
    values_for,
)
from plinto_db.check.workload import Check
from plinto_db.pg.messages import server_message

GENERIC_PLAN_MIN_VERSION = 160000
NULL_GENERIC_NOTE = (
    "generic plan executed with NULL parameters (the check gives no values): a partition-key "
    "parameter prunes every partition; give `-- params:` or `-- sample:`"
)


def _set_local(conn: psycopg.Connection, settings: Iterable[tuple[str, str]]) -> None:
    for name, value in settings:
        conn.execute(sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(name), sql.Literal(value)))


def begin_run(conn: psycopg.Connection, options: RunOptions) -> None:
    conn.execute("BEGIN")
    conn.execute(
        sql.SQL("SET LOCAL statement_timeout = {}").format(
            sql.Literal(f"{options.statement_timeout_ms}ms")
        )
    )
    conn.execute(
        sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{options.lock_timeout_ms}ms"))
    )
    _set_local(conn, MODE_SETTINGS[options.mode])


def explain_all(
    conn: psycopg.Connection,
    checks: Sequence[Check],
    options: RunOptions,
    on_done: Callable[[Explained], None] | None = None,
) -> tuple[Explained, ...]:
    """EXPLAIN every check in the current transaction.

    Each check is one round trip: roll back to the run's savepoint (undoing the previous
    check: --analyze changes, forced settings, hidden indexes), PREPARE, EXPLAIN EXECUTE.
    """
    version = conn.info.server_version
    samples = sample_values(conn, checks)
    conn.execute("SAVEPOINT plinto_check")
    results = []
    for number, check in enumerate(checks, start=1):
        forced = check.name in options.forced_checks
        result = _explain_one(conn, check, number, options, version, forced, samples)
        results.append(result)
        if on_done:
            on_done(result)
    conn.execute("ROLLBACK TO SAVEPOINT plinto_check")
    conn.execute("DEALLOCATE ALL")  # the connection is ours and auto-prepares nothing
    return tuple(results)


@dataclass
class _Statement:
    """What one check sends: the steps before its EXPLAIN, the EXPLAIN, the values used."""

    steps: list[str]
    text: str = ""
    values: tuple[str, ...] = ()


def _explain_one(
    conn: psycopg.Connection,
    check: Check,
    number: int,
    options: RunOptions,
    version: int,
    forced: bool,
    samples: Samples,
) -> Explained:
    mode = Mode.FORCED if forced else options.mode
    notes: list[str] = []
    statement = _Statement(["ROLLBACK TO SAVEPOINT plinto_check"])
    if forced and options.mode is not Mode.FORCED:
        notes.append(options.forced_reasons.get(check.name, "run in forced mode"))
        statement.steps += [_set_local_sql(name, value) for name, value in FORCED_SETTINGS]
    try:
        _compose(statement, check, number, options, version, mode, samples, notes)
        # one simple-protocol round trip; ";\n" so a trailing -- comment cannot swallow it
        plan = _plan(conn, ";\n".join([*statement.steps, statement.text]))
        if mode is Mode.FORCED and not options.analyze:
            plan = isolate(conn, check, plan, lambda: _plan(conn, statement.text), options, notes)
        return Explained(check, mode, plan, None, tuple(notes), statement.values, options.analyze)
    except psycopg.errors.QueryCanceled as exc:
        message = f"timed out: {server_message(exc)}"
        return Explained(
            check, mode, None, message, tuple(notes), statement.values, error_line=check.sql_line
        )
    except SampleError as exc:
        return Explained(
            check, mode, None, str(exc), tuple(notes), statement.values,
            error_line=check.sample_line,
        )  # fmt: skip
    except (psycopg.Error, CheckError) as exc:
        if conn.broken or conn.closed:
            raise  # the server went away: the run is over, not just this check
        message = server_message(exc) if isinstance(exc, psycopg.Error) else str(exc)
        return Explained(
            check, mode, None, message, tuple(notes), statement.values, error_line=check.sql_line
        )


def _compose(
    statement: _Statement,
    check: Check,
    number: int,
    options: RunOptions,
    version: int,
    mode: Mode,
    samples: Samples,
    notes: list[str],
) -> None:
    """Fill in the statement's steps, EXPLAIN text and values; raises a CheckError."""
    # VERBOSE: every scan node names its relation's schema
    explain = "EXPLAIN (" + ("ANALYZE, BUFFERS, " if options.analyze else "") + "VERBOSE, "
    generic = options.mode is Mode.GENERIC and check.param_count > 0
    with_values = check.param_count and (not generic or _pre16_generic(check, version, options))
    if with_values:
        try:
            statement.values = values_for(check, samples)
            if check.params is None:
                notes.extend(null_notes(check, statement.values))
        except NoSample:
            if generic:  # before 16, a sample with no row leaves the generic plan to NULLs
                statement.values = ()
            elif mode is not Mode.FORCED:
                raise
            else:
                # forced mode must work on an empty schema: no sample row, so plan generically
                notes.append("the sample query returned no rows: planned as a generic plan")
                statement.steps.append(_set_local_sql("plan_cache_mode", "force_generic_plan"))
                generic = True
    name = f"plinto_check_{number}"
    if generic and version >= GENERIC_PLAN_MIN_VERSION and not options.analyze:
        statement.text = f"EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON, SETTINGS) {check.sql}"
    elif check.param_count:
        statement.steps.append(f"PREPARE {name} AS {check.sql}")
        if options.mode is Mode.GENERIC and generic and not statement.values:
            notes.append(NULL_GENERIC_NOTE)
        args = statement.values or ("NULL",) * check.param_count
        statement.text = f"{explain}FORMAT JSON, SETTINGS) EXECUTE {name}({', '.join(args)})"
    else:
        statement.text = f"{explain}FORMAT JSON, SETTINGS) {check.sql}"


def _pre16_generic(check: Check, version: int, options: RunOptions) -> bool:
    """Before 16 the generic plan is executed: with the check's values, so that initial
    partition pruning is what a driver's cached plan gets (NULLs would prune every partition a
    partition-key comparison touches)."""
    return version < GENERIC_PLAN_MIN_VERSION and check.has_values and not options.analyze


def _set_local_sql(name: str, value: str) -> str:
    return f"SET LOCAL {name} = '{value}'"  # names and values are our own constants


def _plan(conn: psycopg.Connection, statements: str) -> Any:
    """The EXPLAIN result of a simple-protocol string (no parameters: GENERIC_PLAN needs that)."""
    cursor = conn.execute(statements)
    while cursor.description is None or cursor.description[0].name != "QUERY PLAN":
        if not cursor.nextset():
            raise CheckError("EXPLAIN returned nothing")
    row = cursor.fetchone()
    if row is None:
        raise CheckError("EXPLAIN returned nothing")
    doc = row[0]
    if isinstance(doc, str):  # a server or adapter that did not decode json
        import json

        doc = json.loads(doc)
    return doc


def open_connection(dsn: str) -> psycopg.Connection:
    from plinto_db.pg.connect import connect

    conn = connect(dsn, autocommit=True, application_name="plinto-db check")
    conn.prepare_threshold = None  # our own PREPARE/DEALLOCATE only
    return conn
