"""The pool and the hot path: one pooled connection, one prepared statement, the rows.

Connections are autocommit and read-only by default (`default_transaction_read_only`), with
`prepare_threshold=0` (every statement is prepared on its first use on a connection) and
native `$n` placeholders (RawCursor), so a check's SQL runs verbatim. A statement that writes
runs in `BEGIN READ WRITE ... ROLLBACK`: the benchmark data are the same after a run.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pgerrors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from plinto_db.api.endpoints import Endpoint, Mode
from plinto_db.pg.messages import server_message

APPLICATION_NAME = "plinto-db serve"
POOL_TIMEOUT_SECONDS = 5.0  # waiting for a free connection longer than this: 503
OPEN_TIMEOUT_SECONDS = 15.0
STATEMENT_TIMEOUT = "30s"
SESSION_OPTIONS = f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT}"


class QueryError(Exception):
    """A request that failed in the database layer, with the HTTP status it maps to."""

    def __init__(self, status: int, message: str, original: BaseException | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.original = original


@dataclass(frozen=True, slots=True)
class Rows:
    names: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    rowcount: int
    rolled_back: bool = False


class Database:
    def __init__(self, dsn: str, pool_size: int):
        self.pool = AsyncConnectionPool(
            dsn,
            min_size=pool_size,
            max_size=pool_size,
            open=False,
            timeout=POOL_TIMEOUT_SECONDS,
            name="plinto-db-api",
            kwargs={
                "autocommit": True,
                "prepare_threshold": 0,
                "cursor_factory": psycopg.AsyncRawCursor,
                "application_name": APPLICATION_NAME,
                "options": SESSION_OPTIONS,
            },
        )
        self._rollback: set[str] = set()  # READ endpoints the server refused as writes
        # column names per statement: cursor.description builds new objects on every access
        self._columns: dict[str, tuple[str, ...]] = {}

    async def open(self) -> None:
        await self.pool.open(wait=True, timeout=OPEN_TIMEOUT_SECONDS)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """A pooled connection; pool and server failures become QueryError."""
        try:
            async with self.pool.connection() as conn:
                yield conn
        except QueryError:
            raise
        except PoolTimeout:
            raise QueryError(503, "no database connection free in time (pool exhausted)") from None
        except psycopg.Error as exc:
            raise as_query_error(exc) from None

    async def run(self, endpoint: Endpoint, values: Sequence[str | None]) -> Rows:
        if endpoint.mode is Mode.READ and endpoint.name not in self._rollback:
            try:
                async with self.connection() as conn:
                    return Rows(*await self.fetch(conn, endpoint.sql, values))
            except QueryError as exc:
                if not isinstance(exc.original, pgerrors.ReadOnlySqlTransaction):
                    raise
                self._rollback.add(endpoint.name)
        async with self.connection() as conn, rolled_back(conn):
            return Rows(*await self.fetch(conn, endpoint.sql, values), rolled_back=True)

    async def fetch(
        self, conn: psycopg.AsyncConnection, sql: str, values: Sequence[Any]
    ) -> tuple[tuple[str, ...], list[tuple[Any, ...]], int]:
        """Column names, rows and rowcount of one statement (prepared on first use)."""
        cursor = await conn.execute(sql, values)
        result = cursor.pgresult
        if result is None or not result.nfields:
            return (), [], cursor.rowcount
        rows = await cursor.fetchall()
        names = self._columns.get(sql)
        if names is None or len(names) != result.nfields:
            description = cursor.description or ()
            names = self._columns[sql] = tuple(c.name for c in description)
        return names, rows, cursor.rowcount

    async def health(self) -> tuple[bool, dict[str, Any]]:
        stats = self.pool.get_stats()
        pool = {
            "size": stats.get("pool_size", 0),
            "available": stats.get("pool_available", 0),
            "min": stats.get("pool_min", 0),
            "max": stats.get("pool_max", 0),
            "requests_waiting": stats.get("requests_waiting", 0),
            "errors": stats.get("connections_errors", 0),
        }
        started = time.perf_counter()
        try:
            async with self.pool.connection(timeout=2.0) as conn:
                await (await conn.execute("SELECT 1")).fetchone()
                version = conn.info.server_version
        except PoolTimeout:
            return False, {"pool": pool, "database": {"up": False, "error": "no connection free"}}
        except psycopg.Error as exc:
            error = server_message(exc, detail=False)
            return False, {"pool": pool, "database": {"up": False, "error": error}}
        elapsed = (time.perf_counter() - started) * 1000
        database = {"up": True, "round_trip_ms": round(elapsed, 3), "server_version": version}
        return True, {"pool": pool, "database": database}


@asynccontextmanager
async def rolled_back(conn: psycopg.AsyncConnection) -> AsyncIterator[None]:
    """BEGIN READ WRITE ... ROLLBACK, whatever happens inside."""
    await conn.execute("BEGIN READ WRITE")
    try:
        yield
    finally:
        if not conn.closed:
            await conn.execute("ROLLBACK")


# SQLSTATE class 22 (data exception: bad text for a uuid, a number out of range) is what a
# request's values can cause; 08 (connection) and 57P (shutdown) mean the server is away.
_CLIENT_ERRORS = ("22",)
_UNAVAILABLE = ("08", "57P")


def as_query_error(exc: psycopg.Error) -> QueryError:
    state = getattr(exc, "sqlstate", None) or ""
    message = server_message(exc, detail=False)
    if isinstance(exc, pgerrors.QueryCanceled):
        return QueryError(504, f"the query was cancelled: {message}", exc)
    if state.startswith(_CLIENT_ERRORS):
        return QueryError(422, message, exc)
    if state.startswith(_UNAVAILABLE) or (isinstance(exc, psycopg.OperationalError) and not state):
        return QueryError(503, f"database unreachable: {message}", exc)
    return QueryError(500, message, exc)
