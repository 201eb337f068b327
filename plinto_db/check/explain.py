"""Gathering plan facts from the server: one EXPLAIN (FORMAT JSON) per check, in a chosen mode.

Everything runs in one transaction that is rolled back, with `lock_timeout` and
`statement_timeout` set; each check runs under a savepoint that is rolled back too, so
`--analyze` of a data-changing query leaves nothing behind. Parameterised queries are
PREPAREd so the server infers the parameter types, then EXPLAIN EXECUTE'd with the check's
values (a custom plan) or with NULLs under `force_generic_plan`; on PostgreSQL 16+ the generic
plan comes from `EXPLAIN (GENERIC_PLAN)`, sent through the simple protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import psycopg
from psycopg import sql

from plinto_db.check.planwalk import used_indexes, walk
from plinto_db.check.workload import Check

GENERIC_PLAN_MIN_VERSION = 160000


class Mode(StrEnum):
    NATURAL = "natural"
    FORCED = "forced"
    GENERIC = "generic"
    HYPOTHETICAL = "hypothetical"


# Settings per mode, applied with SET LOCAL inside the rolled-back transaction.
MODE_SETTINGS: dict[Mode, tuple[tuple[str, str], ...]] = {
    Mode.NATURAL: (("plan_cache_mode", "force_custom_plan"),),
    Mode.HYPOTHETICAL: (("plan_cache_mode", "force_custom_plan"),),
    Mode.FORCED: (
        ("plan_cache_mode", "force_custom_plan"),
        ("enable_seqscan", "off"),
        ("jit", "off"),  # the 1e10 disable penalty (before PG18) would otherwise switch JIT on
    ),
    Mode.GENERIC: (("plan_cache_mode", "force_generic_plan"),),
}
# what a check on a tiny table adds to its run's mode (the plan cache mode stays the run's)
FORCED_SETTINGS = tuple(kv for kv in MODE_SETTINGS[Mode.FORCED] if kv[0] != "plan_cache_mode")


@dataclass(frozen=True)
class Explained:
    """What the server said about one check."""

    check: Check
    mode: Mode
    plan: Any | None  # the decoded EXPLAIN (FORMAT JSON) document
    error: str | None = None
    notes: tuple[str, ...] = ()
    values: tuple[str, ...] = ()  # the parameter values used, as SQL literals
    analyzed: bool = False
    error_line: int | None = None  # where an error points: the sample query or the statement


@dataclass(frozen=True)
class RunOptions:
    mode: Mode
    analyze: bool = False
    statement_timeout_ms: int = 30_000
    lock_timeout_ms: int = 2_000
    forced_checks: frozenset[str] = frozenset()  # checks to run forced (tiny tables)
    forced_reasons: dict[str, str] = field(default_factory=dict)
    # forced mode: index -> table, to hide competing indexes on the expected index's table
    index_tables: dict[str, str] = field(default_factory=dict)
    # built index -> its schema, so a competitor outside the search_path can be hidden
    index_schemas: dict[str, str] = field(default_factory=dict)
    # a partition's own index -> the partitioned index it belongs to (hidden as a whole)
    index_roots: dict[str, str] = field(default_factory=dict)
    max_hidden: int = 6


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
    samples = _sample_values(conn, checks)
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


def _explain_one(
    conn: psycopg.Connection,
    check: Check,
    number: int,
    options: RunOptions,
    version: int,
    forced: bool,
    samples: dict[str, tuple[str, ...] | _CheckError],
) -> Explained:
    mode = Mode.FORCED if forced else options.mode
    notes: list[str] = []
    steps = ["ROLLBACK TO SAVEPOINT plinto_check"]
    if forced and options.mode is not Mode.FORCED:
        notes.append(options.forced_reasons.get(check.name, "run in forced mode"))
        steps += [_set_local_sql(name, value) for name, value in FORCED_SETTINGS]
    statement = f"plinto_check_{number}"
    values: tuple[str, ...] = ()
    explain = "EXPLAIN (" + ("ANALYZE, BUFFERS, " if options.analyze else "")
    try:
        generic = options.mode is Mode.GENERIC and check.param_count > 0
        if check.param_count and not generic:
            try:
                values = _values(check, samples)
                if check.params is None:
                    notes.extend(_null_notes(check, values))
            except _NoSample:
                if mode is not Mode.FORCED:
                    raise
                # forced mode must work on an empty schema: no sample row, so plan generically
                notes.append("the sample query returned no rows: planned as a generic plan")
                steps.append(_set_local_sql("plan_cache_mode", "force_generic_plan"))
                generic = True
        if generic and version >= GENERIC_PLAN_MIN_VERSION and not options.analyze:
            text = f"EXPLAIN (GENERIC_PLAN, FORMAT JSON, SETTINGS) {check.sql}"
        elif check.param_count:
            steps.append(f"PREPARE {statement} AS {check.sql}")
            args = ("NULL",) * check.param_count if generic else values
            text = f"{explain}FORMAT JSON, SETTINGS) EXECUTE {statement}({', '.join(args)})"
            if generic:
                values = ()
        else:
            text = f"{explain}FORMAT JSON, SETTINGS) {check.sql}"
        # one simple-protocol round trip; ";\n" so a trailing -- comment cannot swallow it
        plan = _plan(conn, ";\n".join([*steps, text]))
        if mode is Mode.FORCED and not options.analyze:
            plan = _isolate(conn, check, plan, text, options, notes)
        return Explained(check, mode, plan, None, tuple(notes), values, options.analyze)
    except psycopg.errors.QueryCanceled as exc:
        message = f"timed out: {_message(exc)}"
        return Explained(
            check, mode, None, message, tuple(notes), values, error_line=check.sql_line
        )
    except _SampleError as exc:
        return Explained(
            check, mode, None, _message(exc), tuple(notes), values, error_line=check.sample_line
        )
    except (psycopg.Error, _CheckError) as exc:
        if conn.broken or conn.closed:
            raise  # the server went away: the run is over, not just this check
        return Explained(
            check, mode, None, _message(exc), tuple(notes), values, error_line=check.sql_line
        )


def _null_notes(check: Check, values: tuple[str, ...]) -> list[str]:
    nulls = [f"${n}" for n, value in enumerate(values, start=1) if value == "NULL"]
    if not nulls:
        return []
    return [
        f"the sample query (line {check.sample_line}) gave NULL for {', '.join(nulls)}: "
        "a comparison with NULL matches nothing, so the planner needs no index (make the "
        "sample skip NULLs)"
    ]


def _set_local_sql(name: str, value: str) -> str:
    return f"SET LOCAL {name} = '{value}'"  # names and values are our own constants


def _isolate(
    conn: psycopg.Connection,
    check: Check,
    plan: Any,
    replan: str,
    options: RunOptions,
    notes: list[str],
) -> Any:
    """Forced mode proves an index *can* serve the query: when the planner picked a competitor
    on the expected index's table, drop the competitor inside the check's savepoint (rolled
    back right after) and plan again, until the expected index is used or none is left."""
    wanted = {name.rsplit(".", 1)[-1] for name in check.index_names()}
    tables = {options.index_tables.get(name) for name in wanted} - {None}
    hidden: list[str] = []
    roots = options.index_roots
    while wanted and len(hidden) < options.max_hidden:
        nodes = walk(plan)
        raw = set(used_indexes(nodes))
        if wanted & (raw | {roots.get(name, name) for name in raw}):
            break
        rivals = [
            roots.get(n.index, n.index)
            for n in nodes
            if n.uses_index
            and n.index
            and options.index_tables.get(roots.get(n.index, n.index)) in tables
        ]
        keep = hidden + [roots.get(name, name) for name in wanted]  # never the wanted one
        rivals = list(dict.fromkeys(r for r in rivals if r not in keep))
        if not rivals:
            break
        try:
            with conn.transaction():
                for rival in rivals:
                    schema = options.index_schemas.get(rival)
                    name = sql.Identifier(schema, rival) if schema else sql.Identifier(rival)
                    conn.execute(sql.SQL("DROP INDEX {}").format(name))
        except psycopg.Error as exc:
            notes.append(f"could not hide {', '.join(rivals)} to isolate it: {_message(exc)}")
            break
        hidden.extend(rivals)
        plan = _plan(conn, replan)
    if hidden:
        notes.append(
            f"hid {', '.join(hidden)} (dropped inside a rolled-back savepoint) to show that "
            "the expected index can serve the query"
        )
    return plan


class _CheckError(Exception):
    """A problem with one check's values, reported as that check's error."""


class _SampleError(_CheckError):
    """The sample query failed or its row does not fit the parameters."""


class _NoSample(_SampleError):
    """The sample query found no row (an empty table)."""


def _plan(conn: psycopg.Connection, statements: str) -> Any:
    """The EXPLAIN result of a simple-protocol string (no parameters: GENERIC_PLAN needs that)."""
    cursor = conn.execute(statements)
    while cursor.description is None or cursor.description[0].name != "QUERY PLAN":
        if not cursor.nextset():
            raise _CheckError("EXPLAIN returned nothing")
    row = cursor.fetchone()
    if row is None:
        raise _CheckError("EXPLAIN returned nothing")
    doc = row[0]
    if isinstance(doc, str):  # a server or adapter that did not decode json
        import json

        doc = json.loads(doc)
    return doc


def _sample_values(
    conn: psycopg.Connection, checks: Sequence[Check]
) -> dict[str, tuple[str, ...] | _CheckError]:
    """Run every `sample:` query, pipelined in one round trip; one by one if any fails.

    Values are taken as the server's text and rendered as typed literals (`'…'::jsonb`), so
    any type works (jsonb, arrays, ranges, composites, enums), not just those the client can
    convert back and forth.
    """
    wanted = [c for c in checks if c.param_count and c.params is None and c.sample]
    rows: dict[str, _RawRow | None | _CheckError] = {}
    if wanted:
        try:
            with conn.transaction(), conn.pipeline():
                cursors = [(c, conn.execute(c.sample)) for c in wanted]
            rows = {c.name: _raw_row(cur) for c, cur in cursors}
        except psycopg.Error:
            rows = {}
            for check in wanted:
                try:
                    with conn.transaction():
                        rows[check.name] = _raw_row(conn.execute(check.sample))
                except psycopg.Error as exc:
                    if conn.broken or conn.closed:
                        raise
                    rows[check.name] = _SampleError(
                        f"the sample query (line {check.sample_line}) failed: {_message(exc)}"
                    )
    types = _type_names(
        conn, {oid for row in rows.values() if isinstance(row, _RawRow) for oid in row.types}
    )
    return {c.name: _literals(conn, c, rows[c.name], types) for c in wanted}


@dataclass(frozen=True)
class _RawRow:
    """A sample query's first row as the server's text, with each column's type oid."""

    values: tuple[str | None, ...]
    types: tuple[int, ...]


def _raw_row(cursor: psycopg.Cursor) -> _RawRow | None:
    result = cursor.pgresult
    if cursor.description is None or result is None or result.ntuples == 0:
        return None
    encoding = cursor.connection.info.encoding
    values = []
    for column in range(result.nfields):
        raw = result.get_value(0, column)
        values.append(None if raw is None else bytes(raw).decode(encoding))
    return _RawRow(tuple(values), tuple(d.type_code for d in cursor.description))


def _type_names(conn: psycopg.Connection, oids: set[int]) -> dict[int, str]:
    if not oids:
        return {}
    rows = conn.execute(
        "SELECT t.oid::int, format_type(t.oid, NULL) FROM unnest(%s::oid[]) AS t(oid)",
        (sorted(oids),),
    ).fetchall()
    return {oid: name for oid, name in rows}


def _literals(
    conn: psycopg.Connection,
    check: Check,
    row: _RawRow | None | _CheckError,
    types: dict[int, str],
) -> tuple[str, ...] | _CheckError:
    if isinstance(row, _CheckError):
        return row
    if row is None:
        return _NoSample(f"the sample query (line {check.sample_line}) returned no rows")
    if len(row.values) != check.param_count:
        return _SampleError(
            f"the sample query (line {check.sample_line}) returns {len(row.values)} column(s) "
            f"for {check.param_count} parameter(s)"
        )
    literals = []
    for value, oid in zip(row.values, row.types, strict=True):
        if value is None:
            literals.append("NULL")
            continue
        text = sql.Literal(value).as_string(conn)
        name = types.get(oid)
        # unknown/text literals stay untyped: the server coerces them to the parameter's type
        literals.append(f"{text}::{name}" if name and name not in ("unknown", "text") else text)
    return tuple(literals)


def _values(check: Check, samples: dict[str, tuple[str, ...] | _CheckError]) -> tuple[str, ...]:
    if check.params is not None:
        return check.params
    found = samples.get(check.name)
    if found is None:
        raise _CheckError(
            f"the query uses ${check.param_count} but the header gives no `params:` or `sample:`"
        )
    if isinstance(found, _CheckError):
        raise found
    return found


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def open_connection(dsn: str) -> psycopg.Connection:
    from plinto_db.pg.connect import connect

    conn = connect(dsn, autocommit=True, application_name="plinto-db check")
    conn.prepare_threshold = None  # our own PREPARE/DEALLOCATE only
    return conn
