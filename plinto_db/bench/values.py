"""The parameter values of every check, resolved once, before the first phase.

Both phases (and pgbench) execute each statement with exactly these values: `params:`
expressions are evaluated once (so `now() - interval '30 days'` is the same instant in both
phases), `sample:` queries run once. Values travel as the server's own text, with no type
(the server infers each parameter's type from the statement, as in PREPARE), so any type works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import pq, sql

from plinto_db.check.workload import Check

RESOLVE_TIMEOUT = "30s"


@dataclass(frozen=True)
class Values:
    """One check's parameter values as text (None: SQL NULL), or why there are none."""

    texts: tuple[str | None, ...] = ()
    error: str | None = None
    skipped: bool = False  # the header gives no values: not an error of the run

    def encoded(self) -> list[bytes | None]:
        return [None if t is None else t.encode() for t in self.texts]


def resolve_values(conn: psycopg.Connection, checks: Sequence[Check]) -> dict[str, Values]:
    """Every check's values, in one read-only transaction that is rolled back."""
    resolved: dict[str, Values] = {}
    conn.execute("BEGIN READ ONLY")
    try:
        conn.execute(
            sql.SQL("SET LOCAL statement_timeout = {}").format(sql.Literal(RESOLVE_TIMEOUT))
        )
        conn.execute("SAVEPOINT plinto_bench_values")
        for check in checks:
            resolved[check.name] = _resolve_one(conn, check)
            conn.execute("ROLLBACK TO SAVEPOINT plinto_bench_values")
    finally:
        conn.execute("ROLLBACK")
    return resolved


def _resolve_one(conn: psycopg.Connection, check: Check) -> Values:
    if check.param_count == 0:
        return Values()
    if check.params is not None:
        query, where = "SELECT " + ", ".join(check.params), f"line {check.params_line}"
    elif check.sample is not None:
        query, where = check.sample, f"the sample query (line {check.sample_line})"
    else:
        return Values(
            error=f"skipped: the query uses ${check.param_count} but its header gives no "
            "`params:` or `sample:`",
            skipped=True,
        )
    result = conn.pgconn.exec_(query.encode())
    if result.status != pq.ExecStatus.TUPLES_OK:
        message = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY)
        text = message.decode(errors="replace") if message else "failed"
        return Values(error=f"{where} failed: {text}")
    if result.ntuples == 0:
        return Values(error=f"skipped: {where} returned no rows", skipped=True)
    if result.nfields != check.param_count:
        return Values(
            error=f"{where} gives {result.nfields} value(s) for {check.param_count} parameter(s)"
        )
    encoding = conn.info.encoding
    texts = []
    for column in range(result.nfields):
        raw = result.get_value(0, column)
        texts.append(None if raw is None else bytes(raw).decode(encoding))
    return Values(tuple(texts))
