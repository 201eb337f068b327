"""Alembic environment: online migrations only, on a psycopg 3 connection.

The DSN is, in order: `-x dsn=...`, `config.attributes["plinto_db.dsn"]` (set by
`plinto-db migrate`), $PLINTO_DB_DSN, $DATABASE_URL. It may be a URL or a libpq key=value string.
"""

from __future__ import annotations

import os
import re

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


def run_migrations_online() -> None:
    dsn = _dsn()
    config.attributes["plinto_db.dsn"] = dsn
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


if context.is_offline_mode():
    raise SystemExit("plinto-db migrations run online only (CONCURRENTLY cannot be scripted)")
run_migrations_online()
