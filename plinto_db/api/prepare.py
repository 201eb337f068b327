"""Start-up: read from the server, once, what every worker needs (ApiState).

Runs in the parent process before uvicorn starts, so a database that cannot serve the workload
is refused with one line and exit 2 before a port is bound: every check statement is PREPAREd
(a missing table names the command to run first), each check's start-up values are resolved
(`params:` evaluated with one SELECT, `sample:` run, first row taken as the server's text), and
the flows' keys are sampled.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import errors as pgerrors

from plinto_db.api import flows
from plinto_db.api.endpoints import ApiState, Endpoint, FlowKeys, statement_mode
from plinto_db.check.workload import Check
from plinto_db.errors import UserError
from plinto_db.pg.connect import connect
from plinto_db.pg.messages import server_message

PROBE = "plinto_db_api_probe"
MIGRATE_FIRST = "run `plinto-db migrate` first, or point --dsn at the database the checks are for"
SEED_FIRST = "run `plinto-db seed` first"


def prepare_state(dsn: str, checks: Sequence[Check], checks_dir: Path) -> ApiState:
    with connect(dsn, application_name="plinto-db serve (start-up)") as conn:
        for check in checks:
            _probe(conn, check)
        endpoints = tuple(_endpoint(conn, check) for check in checks)
        supported = flows.available({c.name for c in checks})
        keys = _sample_keys(conn, supported)
        return ApiState(
            dsn=dsn,
            checks=str(checks_dir),
            server_version=conn.info.server_version,
            endpoints=endpoints,
            flows=tuple(f.value for f in supported),
            keys=keys,
        )


def _probe(conn: psycopg.Connection, check: Check) -> None:
    """PREPARE the statement (parse and analyse, no planning): it fits this database."""
    try:
        conn.execute(f"PREPARE {PROBE} AS {check.sql}")
    except psycopg.Error as exc:
        _lost(conn, exc)
        hint = f": {MIGRATE_FIRST}" if isinstance(exc, pgerrors.UndefinedTable) else ""
        raise UserError(
            f"{check.file}:{check.sql_line}: {server_message(exc, detail=False)}{hint}"
        ) from None
    conn.execute(f"DEALLOCATE {PROBE}")


def _endpoint(conn: psycopg.Connection, check: Check) -> Endpoint:
    defaults, source = _defaults(conn, check)
    return Endpoint(
        name=check.name,
        sql=check.sql,
        param_count=check.param_count,
        defaults=defaults,
        source=source,
        mode=statement_mode(check.sql),
        location=f"{check.file}:{check.sql_line}",
    )


def _defaults(conn: psycopg.Connection, check: Check) -> tuple[tuple[str | None, ...] | None, str]:
    if check.param_count == 0:
        return (), "no parameters"
    if check.params is not None:
        query, line, what = f"SELECT {', '.join(check.params)}", check.params_line, "params"
    elif check.sample is not None:
        query, line, what = check.sample, check.sample_line, "sample"
    else:
        return None, "the check gives no params: or sample:"
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION READ ONLY")  # a sample never changes the data
            row = _text_row(conn.execute(query))
    except psycopg.Error as exc:
        _lost(conn, exc)
        raise UserError(
            f"{check.file}:{line}: the {what} query failed: {server_message(exc, detail=False)}"
        ) from None
    if row is None:
        return None, f"the sample query (line {line}) returned no rows"
    if len(row) != check.param_count:
        raise UserError(
            f"{check.file}:{line}: the {what} query returns {len(row)} column(s) for "
            f"{check.param_count} parameter(s)"
        )
    return row, f"{what} (line {line})"


def _text_row(cursor: psycopg.Cursor) -> tuple[str | None, ...] | None:
    """The first row as the server's text: any type round-trips as a parameter value."""
    result = cursor.pgresult
    if cursor.description is None or result is None or result.ntuples == 0:
        return None
    encoding = cursor.connection.info.encoding
    values = (result.get_value(0, column) for column in range(result.nfields))
    return tuple(None if v is None else bytes(v).decode(encoding) for v in values)


def _sample_keys(conn: psycopg.Connection, supported: Sequence[flows.Flow]) -> FlowKeys:
    wanted = {flows.KEYS_OF[f] for f in supported} - {None}
    found: dict[str, tuple] = {}
    for kind in sorted(k for k in wanted if k is not None):
        try:
            rows = conn.execute(flows.KEY_QUERIES[kind]).fetchall()
        except psycopg.Error as exc:
            _lost(conn, exc)
            raise UserError(
                f"sampling {kind} for the flows failed: {server_message(exc, detail=False)}"
            ) from None
        if not rows:
            raise UserError(
                f"the database has the Plinto schema but no data ({kind}: none usable in "
                f"{flows.KEY_TABLES[kind]}): {SEED_FIRST}"
            )
        found[kind] = tuple(r[0] if len(r) == 1 else tuple(r) for r in rows)
    return FlowKeys(**found)


def _lost(conn: psycopg.Connection, exc: psycopg.Error) -> None:
    if conn.closed or conn.broken:
        raise UserError(f"lost the database during start-up: {server_message(exc)}") from None
