"""Alembic environment: online migrations only, on a psycopg 3 connection.

The DSN is, in order: `-x dsn=...`, `config.attributes["plinto_db.dsn"]` (set by
`plinto-db migrate`), $PLINTO_DB_DSN, $DATABASE_URL. It may be a URL or a libpq key=value string.
"""

from __future__ import annotations

import os
import re
import sys
import time

import psycopg
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config


def _dsn() -> str:
    dsn = (
        context.get_x_argument(as_dictionary=True).get("dsn")
        or config.attributes.get("plinto_db.dsn")
        or os.environ.get("PLINTO_DB_DSN")
        or os.environ.get("DATABASE_URL")
    )
    if not dsn:
        raise SystemExit(
            "plinto-db migrations: no database given; pass -x dsn=... or set PLINTO_DB_DSN"
        )
    return re.sub(r"^(postgres(?:ql)?)\+\w+://", r"\1://", dsn.strip())


# 64-bit advisory lock key "plintoMG": one migration per database at a time
MIGRATION_LOCK_KEY = 0x706C696E746F4D47


def _migration_lock(dsn: str) -> psycopg.Connection:
    """A session-level advisory lock on a separate, idle autocommit session, polled.

    Two migrations started together both saw an empty database and the loser failed on a
    catalog unique index. Idle and outside any transaction, the lock holder never delays a
    CREATE INDEX CONCURRENTLY of revision 0002. Closing the session releases the lock.
    """
    conn = psycopg.connect(dsn, autocommit=True, application_name="plinto-db migrate lock")
    waiting = False
    while not conn.execute(
        "SELECT pg_catalog.pg_try_advisory_lock(%s::bigint)", (MIGRATION_LOCK_KEY,)
    ).fetchone()[0]:
        if not waiting:
            print("plinto-db: waiting for another migration of this database", file=sys.stderr)
            waiting = True
        time.sleep(0.2)
    return conn


def run_migrations_online() -> None:
    dsn = _dsn()
    config.attributes["plinto_db.dsn"] = dsn
    lock = _migration_lock(dsn)
    try:
        engine = create_engine(
            "postgresql+psycopg://",
            creator=lambda: psycopg.connect(dsn, application_name="plinto-db migrate"),
            poolclass=pool.NullPool,
        )
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=None)
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()
    finally:
        lock.close()


if context.is_offline_mode():
    raise SystemExit("plinto-db migrations run online only (CONCURRENTLY cannot be scripted)")
run_migrations_online()
