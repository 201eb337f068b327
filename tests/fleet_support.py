"""Helpers for the fleet tests: every available test server at once (a fleet spans
PostgreSQL 15 and 18), small databases of one table, and targets files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pg_servers import TestServer, available_servers, start_server

CATALOG = "CREATE INDEX items_name ON items (name);\nCREATE INDEX items_sku ON items (sku);\n"
NOWHERE = "host=/nonexistent-plinto-db-fleet port=5432 dbname=nothing user=postgres"


@pytest.fixture(scope="module")
def fleet_servers() -> Iterator[list[TestServer]]:
    """Every available server, started together (PostgreSQL 18 and the system's 15)."""
    servers: list[TestServer] = []
    try:
        for name in available_servers():
            servers.append(start_server(name))
        yield servers
    finally:
        for server in servers:
            server.stop()


def items_db(server: TestServer, rows: int = 200) -> str:
    """A fresh database with one table `items` (id, name, sku), analyzed."""
    dsn = server.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int, name text, sku text)")
        conn.execute(
            "INSERT INTO items SELECT g, 'n' || g, 's' || g FROM generate_series(1, %s) g",
            (rows,),
        )
        conn.execute("ANALYZE items")  # natural-mode checks need statistics
    return dsn


def write_targets(path: Path, targets: list[dict]) -> Path:
    """A targets file: one [[target]] table per dict (strings and lists of strings)."""
    lines = []
    for target in targets:
        lines.append("[[target]]")
        for key, value in target.items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def index_names(dsn: str, table: str = "items") -> dict[str, bool]:
    """Index name -> valid, on `table`."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass",
            (table,),
        ).fetchall()
    return dict(rows)


def by_name(document: dict) -> dict[str, dict]:
    return {t["name"]: t for t in document["targets"]}


LIVE_LINE = re.compile(r"^(plinto-db: |[A-Za-z0-9._-]+ +\| )")


def interleaved(stderr: str) -> list[str]:
    """stderr lines that are neither a fleet line nor a whole target line."""
    return [line for line in stderr.splitlines() if not LIVE_LINE.match(line)]
