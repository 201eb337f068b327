"""One apply per database: a session-level advisory lock, polled, never inside a transaction.

`pg_try_advisory_lock` on an autocommit session (F11): a blocking
`pg_advisory_lock` could deadlock with a build, and a transaction would hold a snapshot
every concurrent build has to wait for (F8).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import psycopg

from plinto_db.errors import ExitCode, PlintoError

# 64-bit key: "plinto-db apply" (any fixed constant; advisory locks are per database).
LOCK_KEY = 0x706C696E746F4150
TRY_LOCK_SQL = "SELECT pg_catalog.pg_try_advisory_lock(%s::bigint)"
UNLOCK_SQL = "SELECT pg_catalog.pg_advisory_unlock(%s::bigint)"
HOLDER_SQL = """
SELECT a.pid, a.application_name, coalesce(host(a.client_addr), 'local'), a.usename,
       extract(epoch FROM now() - a.backend_start)
FROM pg_catalog.pg_locks l
JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND l.classid = %(hi)s::oid AND l.objid = %(lo)s::oid AND l.objsubid = 1
"""


@dataclass(frozen=True)
class Holder:
    pid: int
    application: str | None
    client: str
    user: str | None
    seconds: float | None

    def describe(self) -> str:
        age = f", connected {self.seconds:.0f}s" if self.seconds is not None else ""
        return (
            f"pid {self.pid} ({self.application or 'unknown application'}, "
            f"user {self.user}, from {self.client}{age})"
        )


def holder(conn: psycopg.Connection) -> Holder | None:
    hi, lo = divmod(LOCK_KEY, 1 << 32)
    row = conn.execute(HOLDER_SQL, {"hi": hi, "lo": lo}).fetchone()
    return Holder(*row[:4], float(row[4]) if row[4] is not None else None) if row else None


def acquire(conn: psycopg.Connection, *, wait: bool, poll: float = 1.0, note=None) -> None:
    """Take the lock on `conn` (autocommit), or raise exit 4 naming who holds it.

    With wait=True, poll with jitter until it is free.
    """
    announced = False
    while True:
        if conn.execute(TRY_LOCK_SQL, (LOCK_KEY,)).fetchone()[0]:
            return
        who = holder(conn)
        who_text = who.describe() if who else "another session"
        if not wait:
            raise PlintoError(
                f"another plinto-db apply holds the lock on this database: {who_text}; "
                "rerun with --wait to wait for it",
                exit_code=ExitCode.BLOCKED,
            )
        if not announced and note is not None:
            note(f"waiting for the apply lock held by {who_text}")
            announced = True
        time.sleep(poll * random.uniform(0.5, 1.5))


def release(conn: psycopg.Connection) -> None:
    if not conn.closed:
        conn.execute(UNLOCK_SQL, (LOCK_KEY,))
