"""What a bench records about where it ran, and the refusals it makes before changing anything.

The server (version, the settings that move plans and timings), the machine (cores, memory,
load), the row counts of the tables the catalog indexes; the preflight: the schema exists,
it holds data, and no other client is at work in the database.

A table is what the server resolves a name to, as apply resolves it (to_regclass: the
session's search_path, quoting): `products` and `public.products` are one table, `"Products"`
another. Each is counted once and shown as apply and status show it (`public.products`).
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterable

import psycopg
from psycopg import sql

from plinto_db.apply.state import RELKIND_NAMES, TableRef
from plinto_db.apply.tables import TABLES_SQL
from plinto_db.errors import UserError
from plinto_db.pg.messages import server_message

SETTINGS = (
    "shared_buffers",
    "work_mem",
    "random_page_cost",
    "effective_cache_size",
    "jit",
    "max_parallel_workers_per_gather",
    "effective_io_concurrency",
    "plan_cache_mode",
)
WRITABLE = ("r", "p")  # ordinary and partitioned tables: what INSERT and UPDATE take
Q_SETTINGS = "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS s(name)"
# other client sessions in this database: not ours, not background workers or autovacuum
Q_OTHER_SESSIONS = """
SELECT pid, coalesce(nullif(application_name, ''), '(no application_name)'),
       coalesce(state, 'unknown'), coalesce(usename, '')
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND backend_type = 'client backend'
ORDER BY backend_start
"""


def server_facts(conn: psycopg.Connection, *, embedded: bool, where: str) -> dict:
    from plinto_db.pg.versions import format_version

    rows = conn.execute(Q_SETTINGS, (list(SETTINGS),)).fetchall()
    version = conn.info.server_version
    return {
        "version": format_version(version),
        "version_num": version,
        "embedded": embedded,
        "where": where,
        "settings": dict(rows),
    }


def machine_facts() -> dict:
    memory = None
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cores": os.cpu_count(),
        "memory_bytes": memory,
        "load_average": load,
        "python": sys.version.split()[0],
        "os": platform.platform(),
        "machine": platform.machine(),
    }


def resolve_tables(conn: psycopg.Connection, names: Iterable[str]) -> dict[str, TableRef | None]:
    """Each name (SQL text: `products`, `public.products`, `"Shop"."Customers"`) -> the table
    the server resolves it to, or None when there is none."""
    wanted = list(dict.fromkeys(names))
    rows = {row[0]: row[1:4] for row in conn.execute(TABLES_SQL, {"names": wanted})}
    return {name: TableRef(*rows[name]) if rows[name][0] is not None else None for name in wanted}


def require_schema(conn: psycopg.Connection, names: Iterable[str]) -> dict[str, TableRef]:
    """Every table the catalog indexes exists (else: run migrate first, exit 2): each name
    as the catalog writes it -> its table."""
    tables = resolve_tables(conn, names)
    missing = [name for name, table in tables.items() if table is None]
    if missing:
        shown = ", ".join(missing[:4]) + (
            f" and {len(missing) - 4} more" if len(missing) > 4 else ""
        )
        raise UserError(
            f"the database has no table {shown}: run `plinto-db migrate` first "
            "(bench needs the schema the catalog indexes)"
        )
    return {name: table for name, table in tables.items() if table is not None}


def write_tables(
    conn: psycopg.Connection, names: Iterable[str], *, named: bool
) -> tuple[dict[str, TableRef], dict[str, str]]:
    """Each --write-tables name -> its table, and each name the write cost cannot use -> why.
    Only an ordinary or partitioned table takes the inserts and updates. A name the user gave
    that is anything else is refused (exit 2, before anything changes); a default one is left
    out with the reason."""
    tables: dict[str, TableRef] = {}
    unusable: dict[str, str] = {}
    for name in dict.fromkeys(names):
        try:
            row = conn.execute(TABLES_SQL, {"names": [name]}).fetchone()
        except psycopg.Error as exc:  # not a name at all, e.g. a.b.c.d
            reason = server_message(exc)
        else:
            reason = _not_writable(row)
            if reason is None:
                tables[name] = TableRef(*row[1:4])
                continue
        if named:
            raise UserError(f"--write-tables {name}: {reason}")
        unusable[name] = reason
    return tables, unusable


def _not_writable(row: tuple) -> str | None:
    """Why the relation TABLES_SQL found cannot be written to, or None."""
    _, oid, schema, name, relkind = row[:5]
    if oid is None:
        return "the database has no such table"
    if relkind in WRITABLE:
        return None
    kind = RELKIND_NAMES.get(relkind, f"relation of kind {relkind!r}")
    article = "an" if kind[0] in "aeiou" else "a"
    return (
        f"{TableRef(oid, schema, name).qualified} is {article} {kind}, "
        "not an ordinary or partitioned table"
    )


def row_counts(conn: psycopg.Connection, tables: Iterable[TableRef]) -> dict[str, int]:
    """Exact row counts (count(*)), in the order given, each table once, keyed by its
    qualified name."""
    counts: dict[str, int] = {}
    for table in dict.fromkeys(tables):
        # the alias tells `capture` this count is the tool's, not the workload's
        query = sql.SQL("SELECT count(*) FROM {} AS plinto_db_rows").format(
            sql.Identifier(table.schema, table.name)
        )
        counts[table.qualified] = conn.execute(query).fetchone()[0]
    return counts


def require_data(counts: dict[str, int]) -> None:
    if counts and not any(counts.values()):
        raise UserError(
            f"the tables the catalog indexes are empty ({', '.join(list(counts)[:4])}"
            f"{', ...' if len(counts) > 4 else ''}): run `plinto-db seed` first "
            "(timings on empty tables mean nothing)"
        )


def other_sessions(conn: psycopg.Connection) -> list[tuple[int, str, str, str]]:
    return [tuple(row) for row in conn.execute(Q_OTHER_SESSIONS).fetchall()]


def refuse_activity(
    sessions: list[tuple[int, str, str, str]],
    allow: bool,
    *,
    refused: str = "bench drops indexes and its timings would include their work; bench a "
    "copy, or pass --allow-activity",
    noted: str = "timings include their work",
) -> str | None:
    """A UserError while other clients work in the database (`refused`: why that matters and
    what to do), unless allowed (then a note ending in `noted`)."""
    if not sessions:
        return None
    shown = "; ".join(f"pid {pid} {app} ({state})" for pid, app, state, _ in sessions[:3])
    more = f" and {len(sessions) - 3} more" if len(sessions) > 3 else ""
    if not allow:
        raise UserError(
            f"{len(sessions)} other client session(s) are connected to this database "
            f"({shown}{more}): {refused}"
        )
    return f"{len(sessions)} other client session(s) connected ({shown}{more}): {noted}"
