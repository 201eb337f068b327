"""Refusals before anything is explained: names the checks use that do not exist, and natural
runs on a database whose plans would prove nothing (never analyzed, or every table tiny).

Pure code on facts gathered earlier: raises UserError (exit 2) with `file:line` where it can.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from plinto_db.check.modes import TINY_TABLE_PAGES
from plinto_db.check.workload import Check
from plinto_db.errors import UserError
from plinto_db.pg.facts import ServerFacts, TableFact


def validate_names(
    workload: Sequence[Check], catalog: Sequence[Any], facts: ServerFacts, indexes_dir: Path | None
) -> None:
    """Every index an expectation names is in the catalog or the database; every table is built;
    an unqualified name resolves as PostgreSQL would (through the search_path) or is refused."""
    known = {(spec.schema or "public", spec.name) for spec in catalog}
    where = f"the catalog ({indexes_dir})" if indexes_dir else "the catalog (none loaded)"
    for item in workload:
        for expectation in item.expectations:
            for name in expectation.targets:
                at = f"{item.file}:{expectation.line}"
                if expectation.names_indexes:
                    found = facts.find_index(name)
                    schema, _, bare = name.rpartition(".")
                    in_catalog = any(
                        n == bare and (not schema or s == schema) for s, n in known
                    )  # an index lives in its table's schema
                    if found.fact is None and len(found.candidates) > 1:
                        raise UserError(_ambiguous(at, "index", name, found.candidates))
                    if found.fact is None and not in_catalog:
                        raise UserError(
                            f"{at}: unknown index {name!r}: neither in {where} nor in the database"
                        )
                    continue
                found_table = facts.find_table(name)
                if found_table.fact is None and len(found_table.candidates) > 1:
                    raise UserError(_ambiguous(at, "table", name, found_table.candidates))
                if found_table.fact is None:
                    raise UserError(f"{at}: unknown table {name!r}: not in the database")


def _ambiguous(at: str, kind: str, name: str, candidates: Sequence[Any]) -> str:
    schemas = ", ".join(sorted(c.schema for c in candidates))
    return (
        f"{at}: {kind} {name!r} is in several schemas ({schemas}) and none is on the "
        f"search_path: qualify it (e.g. {candidates[0].schema}.{name})"
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
    """The check's tables (named, or owning a named index) too small for a natural plan.

    `catalog_tables`: catalog index -> table, for indexes not built (yet) in the database.
    """
    found: dict[str, int] = {}
    for table in _check_tables(check, facts, catalog_tables):
        fact = facts.table(table)
        if fact is None:
            continue
        if fact.kind == "r" and fact.pages < TINY_TABLE_PAGES:
            found[fact.name] = fact.pages
        elif fact.kind == "p":
            leaves = _leaves(fact, facts)
            pages = sum(leaf.pages for leaf in leaves)
            if leaves and pages < TINY_TABLE_PAGES:
                found[fact.name] = pages
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
                found.append(fact.name)
            elif fact.kind == "p":
                # an empty partition created ahead of time is normal; none analyzed is not
                leaves = _leaves(fact, facts)
                if leaves and not any(leaf.analyzed for leaf in leaves):
                    found.append(fact.name)
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
) -> tuple[str, ...]:
    tables = list(check.tables())
    for name in check.index_names():
        fact = facts.index(name)
        if fact is not None:
            tables.append(f"{fact.schema}.{fact.table}")
        elif catalog_tables and name.rsplit(".", 1)[-1] in catalog_tables:
            tables.append(catalog_tables[name.rsplit(".", 1)[-1]])
    return tuple(dict.fromkeys(tables))
