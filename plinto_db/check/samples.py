"""Parameter values for the checks: `params:` as written, or the first row of a `sample:` query.

All `sample:` queries run pipelined in one round trip (one by one when any fails, so each
failure is its check's own). Values are taken as the server's text and rendered as typed
literals (`'…'::jsonb`), so any type works (jsonb, arrays, ranges, composites, enums), not just
those the client can convert back and forth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from plinto_db.check.workload import Check
from plinto_db.pg.messages import server_message

TYPE_NAMES_SQL = "SELECT t.oid::int, format_type(t.oid, NULL) FROM unnest(%s::oid[]) AS t(oid)"


class CheckError(Exception):
    """A problem with one check's values, reported as that check's error."""


class SampleError(CheckError):
    """The sample query failed or its row does not fit the parameters."""


class NoSample(SampleError):
    """The sample query found no row (an empty table)."""


Samples = dict[str, tuple[str, ...] | CheckError]


@dataclass(frozen=True)
class _RawRow:
    """A sample query's first row as the server's text, with each column's type oid."""

    values: tuple[str | None, ...]
    types: tuple[int, ...]


def sample_values(conn: psycopg.Connection, checks: Sequence[Check]) -> Samples:
    """Each sampled check's values as SQL literals, or the error that stands for them."""
    wanted = [c for c in checks if c.param_count and c.params is None and c.sample]
    rows: dict[str, _RawRow | None | CheckError] = {}
    if wanted:
        try:
            with conn.transaction(), conn.pipeline():
                cursors = [(c, conn.execute(c.sample)) for c in wanted]
            rows = {c.name: _raw_row(cur) for c, cur in cursors}
        except psycopg.Error:
            rows = {check.name: _one_sample(conn, check) for check in wanted}
    types = _type_names(
        conn, {oid for row in rows.values() if isinstance(row, _RawRow) for oid in row.types}
    )
    return {c.name: _literals(conn, c, rows[c.name], types) for c in wanted}


def _one_sample(conn: psycopg.Connection, check: Check) -> _RawRow | None | CheckError:
    assert check.sample is not None
    try:
        with conn.transaction():
            return _raw_row(conn.execute(check.sample))
    except psycopg.Error as exc:
        if conn.broken or conn.closed:
            raise
        return SampleError(
            f"the sample query (line {check.sample_line}) failed: {server_message(exc)}"
        )


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
    rows = conn.execute(TYPE_NAMES_SQL, (sorted(oids),)).fetchall()
    return {oid: name for oid, name in rows}


def _literals(
    conn: psycopg.Connection,
    check: Check,
    row: _RawRow | None | CheckError,
    types: dict[int, str],
) -> tuple[str, ...] | CheckError:
    if isinstance(row, CheckError):
        return row
    if row is None:
        return NoSample(f"the sample query (line {check.sample_line}) returned no rows")
    if len(row.values) != check.param_count:
        return SampleError(
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


def values_for(check: Check, samples: Samples) -> tuple[str, ...]:
    """The check's parameter values; raises the CheckError that stands for them."""
    if check.params is not None:
        return check.params
    found = samples.get(check.name)
    if found is None:
        raise CheckError(
            f"the query uses ${check.param_count} but the header gives no `params:` or `sample:`"
        )
    if isinstance(found, CheckError):
        raise found
    return found


def null_notes(check: Check, values: tuple[str, ...]) -> list[str]:
    nulls = [f"${n}" for n, value in enumerate(values, start=1) if value == "NULL"]
    if not nulls:
        return []
    return [
        f"the sample query (line {check.sample_line}) gave NULL for {', '.join(nulls)}: "
        "a comparison with NULL matches nothing, so the planner needs no index (make the "
        "sample skip NULLs)"
    ]
