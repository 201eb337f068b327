"""The linter's plain data: findings, rules, and statements with what is known before them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pglast.ast import Node


class Severity(StrEnum):
    error = "error"
    warning = "warning"


class Origin(StrEnum):
    """Where a statement came from; rules word their advice for it."""

    sql = "sql"  # a statement of a .sql file
    execute = "execute"  # SQL in a string given to op.execute() in an alembic revision
    op = "op"  # an alembic operation such as op.create_index(...)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class Transaction:
    """Why a statement runs inside a transaction block, and how to take it out."""

    why: str
    fix: str


@dataclass(frozen=True)
class Context:
    """What holds just before a statement runs, from the statements before it in its file."""

    transaction: Transaction | None = None  # None: outside any transaction block
    lock_timeout: str | None = None  # where a non-zero lock_timeout was set, or None
    new_tables: frozenset[str] = frozenset()  # tables this file created (relation names)
    new_indexes: frozenset[str] = frozenset()  # indexes this file created on those tables
    not_null_checked: frozenset[tuple[str, str]] = frozenset()  # (table, column) proven
    new_partitioned: frozenset[str] = frozenset()  # tables this file created PARTITION BY

    def is_new(self, table: str | None) -> bool:
        return table is not None and table in self.new_tables


@dataclass(frozen=True)
class Statement:
    """One statement to lint: its parse tree, where it is, what holds before it."""

    node: Node
    line: int
    column: int
    origin: Origin
    context: Context
    call: str | None = None  # the alembic call it came from, e.g. "op.create_index"


Check = Callable[[Statement], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    """A named check: `check` yields one message per violation, each saying how to fix it."""

    id: str
    severity: Severity
    summary: str
    check: Check
    catalog: bool = True  # also applies to a plinto-db index catalog (see sources.py)
