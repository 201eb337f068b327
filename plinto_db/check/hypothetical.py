"""Hypothetical indexes with HypoPG: catalog indexes that are not built yet, seen by EXPLAIN.

HypoPG keeps hypothetical indexes in the backend's memory; only plain EXPLAIN sees them.
When the extension is available but not created in the database, it is created inside the
run's transaction, which is rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from plinto_db.errors import UserError
from plinto_db.pg.messages import server_message

HYPOTHETICAL_METHODS = frozenset({"btree", "brin", "hash", "bloom"})
HYPOPG_INSTALLED_SQL = "SELECT extversion FROM pg_extension WHERE extname = 'hypopg'"
HYPOPG_AVAILABLE_SQL = "SELECT default_version FROM pg_available_extensions WHERE name = 'hypopg'"
HYPOPG_CREATE_SQL = "SELECT indexname FROM hypopg_create_index(%s)"


def hypopg_status(conn: psycopg.Connection) -> tuple[str, str | None]:
    """("installed", version), ("available", version) or ("missing", None)."""
    row = conn.execute(HYPOPG_INSTALLED_SQL).fetchone()
    if row:
        return "installed", row[0]
    row = conn.execute(HYPOPG_AVAILABLE_SQL).fetchone()
    return ("available", row[0]) if row else ("missing", None)


def ensure_hypopg(conn: psycopg.Connection) -> str:
    """Make hypopg callable inside the run's transaction; a note saying what was done."""
    status, version = hypopg_status(conn)
    if status == "installed":
        return f"HypoPG {version}"
    if status == "missing":
        raise UserError(
            "hypothetical mode needs the HypoPG extension, which this server does not have "
            "(install it, e.g. the postgresql-<major>-hypopg package, or use --mode forced)"
        )
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION hypopg")
    except psycopg.Error as exc:
        raise UserError(f"cannot create the HypoPG extension: {server_message(exc)}") from None
    return f"HypoPG {version} (created for this run only; rolled back)"


def create_hypothetical(
    conn: psycopg.Connection, specs: Sequence[Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Create the given catalog indexes hypothetically (in the current transaction).

    Returns (plan name -> catalog name, catalog name -> why it could not be simulated).
    """
    aliases: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for spec in specs:
        if spec.method.lower() not in HYPOTHETICAL_METHODS:
            skipped[spec.name] = f"HypoPG cannot simulate {spec.method} indexes"
            continue
        try:
            with conn.transaction():
                row = conn.execute(HYPOPG_CREATE_SQL, (spec.create_sql(False),)).fetchone()
        except psycopg.Error as exc:
            skipped[spec.name] = f"HypoPG refused it: {server_message(exc)}"
            continue
        if row:
            aliases[row[0]] = spec.name
    return aliases, skipped
