"""Refusals before anything is explained: names the checks use that do not exist, and natural
runs on a database whose plans would prove nothing (never analyzed, or every table tiny).

Pure code on facts gathered earlier: raises UserError (exit 2) with `file:line` where it can.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from plinto_db.check.display import shown
from plinto_db.check.modes import TINY_TABLE_PAGES
from plinto_db.check.workload import Check
from plinto_db.errors import UserError
from plinto_db.pg.facts import QName, ServerFacts, TableFact
from plinto_db.pg.identifiers import quote_ident


def validate_names(
    workload: Sequence[Check], catalog: Sequence[Any], facts: ServerFacts, indexes_dir: Path | None
) -> None:
    """Every index an expectation names is in the catalog or the database; every table is built;
    an unqualified name resolves as PostgreSQL would (through the search_path) or is refused."""
    known = {(spec.schema or "public", spec.name) for spec in catalog}
    where = f"the catalog ({indexes_dir})" if indexes_dir else "the catalog (none loaded)"
    for item in workload:
        for expectation in item.expectations:
            at = f"{item.file}:{expectation.line}"
            named = zip(expectation.names, expectation.targets, expectation.written, strict=True)
            for name, target, as_written in named:
                if expectation.names_indexes:
                    _known_index(at, name, target, as_written, facts, known, where)
                else:
                    _known_table(at, name, target, as_written, facts)


def _known_index(
    at: str,
    name: QName,
    target: str,
    written: str,
    facts: ServerFacts,
    known: set[tuple[str, str]],
    where: str,
) -> None:
    found = facts.find_index(name)
    schema, bare = name
    # an index lives in its table's schema
    in_catalog = any(n == bare and (not schema or s == schema) for s, n in known)
    if found.fact is None and len(found.candidates) > 1:
        raise UserError(_ambiguous(at, "index", bare, found.candidates))
    if found.fact is None and not in_catalog:
        spellings = [(i.schema, i.name) for i in facts.indexes] + sorted(known)
        raise UserError(
            f"{at}: unknown index {target!r}: neither in {where} nor in the database"
            + _did_you_mean(name, written, spellings)
        )


def _known_table(at: str, name: QName, target: str, written: str, facts: ServerFacts) -> None:
    found = facts.find_table(name)
    if found.fact is None and len(found.candidates) > 1:
        raise UserError(_ambiguous(at, "table", name[1], found.candidates))
    if found.fact is None:
        spellings = [(t.schema, t.name) for t in facts.tables]
        raise UserError(
            f"{at}: unknown table {target!r}: not in the database"
            + _did_you_mean(name, written, spellings)
        )


_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def _did_you_mean(name: QName, written: str, spellings: Sequence[tuple[str, str]]) -> str:
    """The names that differ from `name` only in case, spelled as the check must write them."""
    schema, bare = name
    matches = dict.fromkeys(
        f"{quote_ident(s)}.{quote_ident(n)}" if schema else quote_ident(n)
        for s, n in spellings
        if n.lower() == bare.lower() and (not schema or s.lower() == schema.lower())
    )
    if not matches:
        return ""
    unquoted = _QUOTED.sub("", written)
    why = "an unquoted name is folded to lower case: " if unquoted != unquoted.lower() else ""
    return f" ({why}did you mean {' or '.join(list(matches)[:3])}?)"


def _ambiguous(at: str, kind: str, name: str, candidates: Sequence[Any]) -> str:
    schemas = ", ".join(sorted(c.schema for c in candidates))
    return (
        f"{at}: {kind} {name!r} is in several schemas ({schemas}) and none is on the "
        f"search_path: qualify it (e.g. {quote_ident(candidates[0].schema)}.{quote_ident(name)})"
    )


def natural_guard(
    workload: Sequence[Check], facts: ServerFacts, catalog_tables: Mapping[str, str]
) -> dict[str, str]:
    """Refuse a database without statistics or data; checks on tiny tables run forced.

    Returns check name -> why it runs forced.
    """
    unanalyzed = never_analyzed(workload, facts, catalog_tables)
    if unanalyzed:
        more = len(unanalyzed) - 5
        shown = ", ".join(unanalyzed[:5]) + (f" and {more} more" if more > 0 else "")
        raise UserError(
            f"natural mode needs planner statistics, but never analyzed: {shown}. Load data "
            "(e.g. `plinto-db seed --users 50000`) and run ANALYZE, or use --mode forced"
        )
    tiny = {c.name: tiny_tables(c, facts, catalog_tables) for c in workload}
    tiny = {name: tables for name, tables in tiny.items() if tables}
    if tiny and len(tiny) == len(workload):
        raise UserError(
            "natural mode needs realistic data, but every checked table is tiny (under "
            f"{TINY_TABLE_PAGES} pages): seed data (e.g. `plinto-db seed --users 50000`) "
            "and ANALYZE, or use --mode forced"
        )
    return {
        name: "forced: "
        + ", ".join(f"{table} has {pages} page(s)" for table, pages in tables)
        + ", too small for a natural plan to show index use"
        for name, tables in tiny.items()
    }


def tiny_tables(
    check: Check, facts: ServerFacts, catalog_tables: Mapping[str, str] | None = None
) -> tuple[tuple[str, int], ...]:
    """The check's tables (named, or owning a named index) too small for a natural plan, each
    as messages show it, with its pages.

    `catalog_tables`: catalog index -> table, for indexes not built (yet) in the database.
    """
    found: dict[str, int] = {}
    for table in _check_tables(check, facts, catalog_tables):
        fact = facts.table(table)
        if fact is None:
            continue
        if fact.kind == "r" and fact.pages < TINY_TABLE_PAGES:
            found[shown(fact.schema, fact.name)] = fact.pages
        elif fact.kind == "p":
            leaves = _leaves(fact, facts)
            pages = sum(leaf.pages for leaf in leaves)
            if leaves and pages < TINY_TABLE_PAGES:
                found[shown(fact.schema, fact.name)] = pages
    return tuple(found.items())


def never_analyzed(
    checks: Sequence[Check], facts: ServerFacts, catalog_tables: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    found = []
    for check in checks:
        for table in _check_tables(check, facts, catalog_tables):
            fact = facts.table(table)
            if fact is None:
                continue
            if fact.kind == "r" and not fact.analyzed:
                found.append(shown(fact.schema, fact.name))
            elif fact.kind == "p":
                # an empty partition created ahead of time is normal; none analyzed is not
                leaves = _leaves(fact, facts)
                if leaves and not any(leaf.analyzed for leaf in leaves):
                    found.append(shown(fact.schema, fact.name))
    return tuple(dict.fromkeys(found))


def _leaves(fact: TableFact, facts: ServerFacts) -> tuple[TableFact, ...]:
    """The plain-table partitions under a partitioned table (all levels; any schema)."""
    return tuple(
        t
        for t in facts.tables
        if t.kind == "r" and t.root == fact.name and (t.root_schema or t.schema) == fact.schema
    )


def _check_tables(
    check: Check, facts: ServerFacts, catalog_tables: Mapping[str, str] | None
) -> tuple[QName, ...]:
    tables = list(check.tables())
    for name in check.indexes():
        fact = facts.index(name)
        if fact is not None:
            tables.append((fact.schema, fact.table))
        elif catalog_tables and name[1] in catalog_tables:
            tables.append((None, catalog_tables[name[1]]))
    return tuple(dict.fromkeys(tables))
