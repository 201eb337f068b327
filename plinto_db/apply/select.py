"""Choosing part of the catalog: --only NAME and --table T (both repeatable)."""

from __future__ import annotations

import dataclasses

from plinto_db.apply.state import DatabaseState
from plinto_db.catalog.spec import IndexSpec
from plinto_db.errors import UserError


def select(
    specs: tuple[IndexSpec, ...], only: list[str] | None, tables: list[str] | None
) -> tuple[IndexSpec, ...]:
    """The part of the catalog chosen by --only NAME and --table T (both repeatable).

    `--table` takes `T`, `schema.T`, or the quoted forms the reports print
    (`"App"."Orders"`). A catalog statement without a schema is kept here when its table
    name matches a qualified `--table`; `narrow` decides once the table is resolved.
    """
    chosen = specs
    if only:
        known = {s.name for s in specs}
        unknown = [n for n in only if n not in known]
        if unknown:
            raise UserError(f"--only: not in the catalog: {', '.join(unknown)}")
        chosen = tuple(s for s in chosen if s.name in set(only))
    if tables:
        wanted = [_table_arg(t) for t in tables]
        chosen = tuple(s for s in chosen if any(_may_match(s.schema, s.table, w) for w in wanted))
        if not chosen:
            raise UserError(f"--table: no catalog index on {', '.join(tables)}")
    return chosen


def narrow(
    specs: tuple[IndexSpec, ...], state: DatabaseState, tables: list[str] | None
) -> tuple[tuple[IndexSpec, ...], DatabaseState]:
    """Apply --table to the resolved tables (a catalog statement without a schema names
    the table its search_path finds); the state keeps only the chosen tables."""
    if not tables:
        return specs, state
    wanted = [_table_arg(t) for t in tables]
    kept = tuple(
        s
        for s in specs
        if any(
            _may_match(state.tables[s.name].schema, state.tables[s.name].name, w) for w in wanted
        )
    )
    if not kept:
        raise UserError(f"--table: no catalog index on {', '.join(tables)}")
    names = {s.name for s in kept}
    chosen = {n: t for n, t in state.tables.items() if n in names}
    return kept, dataclasses.replace(state, tables=chosen)


_Part = tuple[str, bool]  # (text, quoted)


def _table_arg(text: str) -> tuple[_Part | None, _Part]:
    """`T`, `s.T`, `"S"."T"` -> ((schema, quoted) or None, (table, quoted))."""
    parts: list[_Part] = []
    current, quoted, inside, i = "", False, False, 0
    while i < len(text):
        ch = text[i]
        if inside:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                current += '"'
                i += 1
            elif ch == '"':
                inside = False
            else:
                current += ch
        elif ch == '"':
            inside, quoted = True, True
        elif ch == ".":
            parts.append((current, quoted))
            current, quoted = "", False
        else:
            current += ch
        i += 1
    parts.append((current, quoted))
    if len(parts) > 2 or not all(p for p, _ in parts):
        raise UserError(f"--table: expected TABLE or SCHEMA.TABLE, got {text!r}")
    return (parts[0] if len(parts) == 2 else None), parts[-1]


def _same(stored: str, part: _Part) -> bool:
    text, quoted = part
    return stored == text or (not quoted and stored == text.lower())


def _may_match(schema: str | None, table: str, wanted: tuple[_Part | None, _Part]) -> bool:
    want_schema, want_table = wanted
    if not _same(table, want_table):
        return False
    return want_schema is None or schema is None or _same(schema, want_schema)
