"""What the catalog asks for: one frozen IndexSpec per CREATE INDEX statement."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from plinto_db.pg.identifiers import quote_ident


@dataclass(frozen=True)
class IndexKey:
    """One key (or INCLUDE) element: a column or an expression, with its modifiers."""

    expression: str  # a quoted column name, or the expression's SQL (without parentheses)
    column: str | None = None  # the column name when the key is a plain column
    opclass: str | None = None
    collation: str | None = None  # as written, quoted if it was quoted
    descending: bool = False
    nulls_first: bool | None = None  # None: the default for the ordering

    @property
    def is_expression(self) -> bool:
        return self.column is None

    def sql(self) -> str:
        text = self.expression if self.column is not None else f"({self.expression})"
        if self.collation:
            text += f" COLLATE {self.collation}"
        if self.opclass:
            text += f" {self.opclass}"
        if self.descending:
            text += " DESC"
            if self.nulls_first is False:
                text += " NULLS LAST"
        elif self.nulls_first:
            text += " NULLS FIRST"
        return text


@dataclass(frozen=True)
class IndexSpec:
    """One index the catalog asks for."""

    name: str
    schema: str | None
    table: str
    unique: bool
    method: str
    keys: tuple[IndexKey, ...]
    where: str | None
    file: Path
    line: int
    include: tuple[str, ...] = ()
    with_options: tuple[tuple[str, str], ...] = ()
    tablespace: str | None = None
    source: str = field(default="", compare=False)  # the statement as written
    nulls_not_distinct: bool = False  # UNIQUE ... NULLS NOT DISTINCT (PostgreSQL 15+)

    @property
    def qualified_table(self) -> str:
        table = quote_ident(self.table)
        return f"{quote_ident(self.schema)}.{table}" if self.schema else table

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @cached_property
    def has_expression(self) -> bool:
        return any(key.is_expression for key in self.keys)

    @property
    def columns(self) -> tuple[str, ...]:
        """Plain columns named by keys and INCLUDE (expressions are checked by the server)."""
        named = [key.column for key in self.keys if key.column is not None]
        return tuple(dict.fromkeys([*named, *self.include]))

    def create_sql(
        self,
        concurrently: bool = True,
        *,
        name: str | None = None,
        table: str | None = None,
        tablespace: bool | None = None,
    ) -> str:
        """One CREATE INDEX statement (never IF NOT EXISTS: existence is decided by the planner).

        `name` and `table` (already quoted/qualified) override the catalog's, for temporary
        builds and for normalising the definition on a scratch table. The catalog's
        TABLESPACE is written when `tablespace` is true (default: only without a `table`
        override, as a scratch table's index goes to the default tablespace).
        """
        head = "CREATE UNIQUE INDEX" if self.unique else "CREATE INDEX"
        if concurrently:
            head += " CONCURRENTLY"
        if tablespace is None:
            tablespace = table is None
        tail = self._tail_in_tablespace if tablespace and self.tablespace else self._tail
        return f"{head} {quote_ident(name or self.name)} ON {table or self.qualified_table} {tail}"

    @cached_property
    def _definition(self) -> str:
        """What follows the table, up to the tablespace: the same for every partition's
        statement (10,000 of them in a large --dry-run)."""
        text = f"USING {self.method} (" + ", ".join(key.sql() for key in self.keys) + ")"
        if self.include:
            text += " INCLUDE (" + ", ".join(quote_ident(c) for c in self.include) + ")"
        if self.nulls_not_distinct:
            text += " NULLS NOT DISTINCT"
        if self.with_options:
            text += " WITH (" + ", ".join(f"{k} = {v}" for k, v in self.with_options) + ")"
        return text

    @cached_property
    def _tail(self) -> str:
        return self._definition + (f" WHERE {self.where}" if self.where else "")

    @cached_property
    def _tail_in_tablespace(self) -> str:
        where = f" WHERE {self.where}" if self.where else ""
        return f"{self._definition} TABLESPACE {quote_ident(self.tablespace)}{where}"

    def renamed(self, name: str) -> IndexSpec:
        return replace(self, name=name)
