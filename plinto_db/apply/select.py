"""Choosing part of the catalog: --only NAME and --table T (both repeatable).

Names are read as PostgreSQL reads them: an unquoted name folds to lower case
(`Shop.Customers` is shop.customers), a quoted one keeps its case (`"Shop"."Customers"`),
each part is cut to 63 bytes, and an unqualified table is the one the search_path finds
first. A name that matches nothing is refused; when only its case differs from a catalog
name, the refusal spells that name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import psycopg

from plinto_db.apply.state import DatabaseState, TableRef
from plinto_db.apply.tables import find_relations
from plinto_db.catalog.spec import IndexSpec
from plinto_db.errors import UserError
from plinto_db.pg.identifiers import name_parts, quote_ident

QName = tuple[str | None, str]  # (schema, name); schema None: unqualified


def select(
    specs: tuple[IndexSpec, ...], only: list[str] | None, tables: list[str] | None
) -> tuple[IndexSpec, ...]:
    """The part of the catalog chosen by --only NAME and --table T (both repeatable).

    Before connecting, `--table` keeps every statement whose table could be the one named,
    whatever the case (a statement without a schema names the table its search_path
    finds); `narrow` decides once the names are resolved, and names the spelling that
    exists when only the case differs.
    """
    chosen = specs
    if only:
        names = _index_names(specs, only)
        chosen = tuple(s for s in chosen if s.name in names)
    if tables:
        wanted = [_table_arg(t) for t in tables]
        for text, name in zip(tables, wanted, strict=True):
            if not any(_may_be(s.schema, s.table, name) for s in specs):
                raise UserError(f"--table {text}: no catalog index on {_shown(name)}")
        chosen = tuple(s for s in chosen if any(_may_be(s.schema, s.table, w) for w in wanted))
        if not chosen:
            raise UserError(f"--table {', '.join(tables)}: none of the --only indexes is on it")
    return chosen


def narrow(
    conn: psycopg.Connection,
    specs: tuple[IndexSpec, ...],
    state: DatabaseState,
    tables: list[str] | None,
) -> tuple[tuple[IndexSpec, ...], DatabaseState]:
    """Keep the catalog indexes on the tables --table names, resolved by the server as
    PostgreSQL resolves a table name; the state keeps only the chosen tables."""
    if not tables:
        return specs, state
    wanted = [_table_arg(t) for t in tables]
    found, search_path = find_relations(conn, [_shown(w) for w in wanted])
    oids = [found[_shown(w)] for w in wanted]
    return _narrowed(specs, state, list(zip(tables, wanted, oids, strict=True)), search_path)


def _narrowed(
    specs: tuple[IndexSpec, ...],
    state: DatabaseState,
    resolved: list[tuple[str, QName, int | None]],
    search_path: str,
) -> tuple[tuple[IndexSpec, ...], DatabaseState]:
    """Pure: `resolved` is each --table text, its name, and the oid the server resolved it
    to (None: no such table)."""
    catalog = {t.oid: t for t in state.tables.values()}
    for text, name, oid in resolved:
        if oid in catalog:
            continue
        hint = _did_you_mean(name, catalog.values())
        if oid is None:
            where = f" in the search_path ({search_path})" if name[0] is None else ""
            raise UserError(f"--table {text}: no table {_shown(name)}{where}{hint}")
        raise UserError(f"--table {text}: no catalog index on {_shown(name)}{hint}")
    oids = {oid for _, _, oid in resolved}
    kept = tuple(s for s in specs if state.tables[s.name].oid in oids)
    names = {s.name for s in kept}
    chosen = {n: t for n, t in state.tables.items() if n in names}
    return kept, dataclasses.replace(state, tables=chosen)


def _index_names(specs: tuple[IndexSpec, ...], only: list[str]) -> set[str]:
    """The catalog's index names --only gives, each read as PostgreSQL reads a name."""
    known = {s.name for s in specs}
    chosen = set()
    for text in only:
        parts = name_parts(text)
        if parts is None or len(parts) != 1 or parts[0] not in known:
            near = sorted(quote_ident(n) for n in known if n.casefold() == _loose(text))
            hint = f" (did you mean {_alternatives(near)}?)" if near else ""
            raise UserError(f"--only {text}: not in the catalog{hint}")
        chosen.add(parts[0])
    return chosen


def _table_arg(text: str) -> QName:
    """`T`, `s.T`, `"S"."T"` -> (schema or None, table), as PostgreSQL reads the name."""
    parts = name_parts(text)
    if parts is None or len(parts) > 2:
        raise UserError(
            f'--table {text}: expected TABLE or SCHEMA.TABLE (quote a name as in SQL: "My Table")'
        )
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _may_be(schema: str | None, table: str, wanted: QName) -> bool:
    """The catalog's table could be the one named, whatever the case of either."""
    want_schema, want_table = wanted
    if table.casefold() != want_table.casefold():
        return False
    return want_schema is None or schema is None or schema.casefold() == want_schema.casefold()


def _did_you_mean(name: QName, tables: Iterable[TableRef]) -> str:
    """The catalog's tables the name would match, were the case and the search_path ignored."""
    near = sorted({t.qualified for t in tables if _may_be(t.schema, t.name, name)})
    return f" (did you mean {_alternatives(near)}?)" if near else ""


def _shown(name: QName) -> str:
    """The name as SQL text that reads back as it: quoted where PostgreSQL needs it."""
    schema, table = name
    return f"{quote_ident(schema)}.{quote_ident(table)}" if schema else quote_ident(table)


def _loose(text: str) -> str:
    return text.replace('"', "").casefold()


def _alternatives(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
