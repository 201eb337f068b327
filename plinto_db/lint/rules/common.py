"""Wording shared by the rules: names as written, fixes in the statement's own dialect."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from plinto_db.lint.model import Origin, Statement
from plinto_db.pg.identifiers import quote_ident

AUTOCOMMIT = "`with op.get_context().autocommit_block():`"


def relation(rangevar: object) -> str:
    """A table as the statement names it, quoted where PostgreSQL needs quotes."""
    if not isinstance(rangevar, ast.RangeVar):
        return "?"
    if rangevar.schemaname:
        return f"{quote_ident(rangevar.schemaname)}.{quote_ident(rangevar.relname)}"
    return quote_ident(rangevar.relname)


def ident(identifier: str | None, missing: str = "<name>") -> str:
    """A column, constraint or index name as SQL must write it; `missing` when there is none."""
    return quote_ident(identifier) if identifier else missing


def dotted(parts: Iterable[str]) -> str:
    """A possibly qualified name (`schema.index`) as SQL must write it."""
    return ".".join(quote_ident(part) for part in parts)


def in_alembic(statement: Statement) -> bool:
    return statement.origin != Origin.sql


def outside_transaction(statement: Statement) -> str:
    """Where a CONCURRENTLY statement has to go."""
    if in_alembic(statement):
        return f"inside {AUTOCOMMIT}"
    return "outside any transaction block"


def concurrently_fix(statement: Statement, sql: str) -> str:
    if statement.origin == Origin.op:
        where = outside_transaction(statement)
        return f"pass postgresql_concurrently=True to {statement.call}(), {where}"
    return f"use {sql}, {outside_transaction(statement)}"


def not_valid_fix(statement: Statement, name: str, table: str) -> str:
    if statement.origin == Origin.op:
        return (
            f"pass postgresql_not_valid=True to {statement.call}(), then validate in a later step: "
            f'op.execute("ALTER TABLE {table} VALIDATE CONSTRAINT {name}")'
        )
    return (
        f"add it NOT VALID, then run ALTER TABLE {table} VALIDATE CONSTRAINT {name} "
        "in a later statement"
    )
