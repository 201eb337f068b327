"""Which pg_stat_statements entries are workload: read with PostgreSQL's own grammar (pglast).

A statement is workload when it reads a table (SELECT … FROM) or changes rows it filters
(UPDATE/DELETE … WHERE). Left out, each with its reason: DDL and utility statements (SET,
BEGIN, EXPLAIN, VACUUM…), INSERTs (nothing to find), unfiltered writes, catalog queries
(pg_catalog, information_schema, `pg_*` views), the tool's own queries (its schema, its
sample queries, pg_stat_statements itself), texts the grammar cannot read (pg_stat_statements
may normalise `interval '1 day'` to `interval $1`, which is no longer SQL) and texts the
server hid (`<insufficient privilege>`).

Pure code: nothing connects to a database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pglast import ast, parse_sql
from pglast.parser import ParseError

# the alias capture gives the tables of its own sample queries, so a later capture knows them
SAMPLE_ALIAS = "plinto_sample"
TOOL_SCHEMAS = frozenset({"plinto_db"})  # apply's ledger lives there
CATALOG_SCHEMAS = frozenset({"pg_catalog", "information_schema"})

QName = tuple[str | None, str]  # (schema as written or None, table)


@dataclass(frozen=True)
class Statement:
    """One pg_stat_statements entry (summed over users), as read from the server."""

    queryid: int
    query: str
    calls: int
    total_ms: float
    mean_ms: float
    rows: int


@dataclass(frozen=True)
class Classified:
    """A statement read with the grammar: workload (tables set, reason None) or left out."""

    statement: Statement
    kind: str | None  # select | update | delete
    tables: tuple[QName, ...]  # every table the statement names, the main one first
    reason: str | None  # why it is left out; None: workload

    @property
    def main_table(self) -> QName | None:
        return self.tables[0] if self.tables else None


def classify(statement: Statement) -> Classified:
    """Workload or not, and why not."""
    text = statement.query.strip()
    if not text or text.startswith("<insufficient privilege>"):
        return _left_out(statement, "query text hidden (needs pg_read_all_stats)")
    try:
        parsed = parse_sql(text)
    except ParseError:
        return _left_out(
            statement, "the normalised text is not valid SQL (e.g. `interval $1` from a literal)"
        )
    if len(parsed) != 1:
        return _left_out(statement, "several statements in one entry")
    tree = parsed[0].stmt
    kind, reason = _kind(tree)
    if reason:
        return _left_out(statement, reason)
    ranges = list(range_vars(tree))
    if any(_is_tool(r) for r in ranges):
        return _left_out(statement, "the tool's own query")
    if any(_is_catalog(r) for r in ranges):
        return _left_out(statement, "catalog query")
    ctes = {c.ctename for c in _nodes(tree) if isinstance(c, ast.CommonTableExpr)}
    tables = tuple(
        dict.fromkeys(
            (r.schemaname, r.relname)
            for r in _main_first(tree, ranges)
            if not (r.schemaname is None and r.relname in ctes)
        )
    )
    if not tables:
        return _left_out(statement, "reads no table")
    return Classified(statement, kind, tables, None)


def _left_out(statement: Statement, reason: str) -> Classified:
    return Classified(statement, None, (), reason)


def _kind(tree: Any) -> tuple[str | None, str | None]:
    if isinstance(tree, ast.SelectStmt):
        if tree.intoClause is not None:
            return None, "DDL (SELECT INTO)"
        return "select", None
    if isinstance(tree, ast.UpdateStmt | ast.DeleteStmt):
        kind = "update" if isinstance(tree, ast.UpdateStmt) else "delete"
        if tree.whereClause is None:
            return None, f"{kind.upper()} without WHERE (nothing to find)"
        return kind, None
    if isinstance(tree, ast.InsertStmt):
        return None, "INSERT (nothing to find)"
    return None, "DDL or utility statement"


def range_vars(tree: Any) -> Iterator[ast.RangeVar]:
    return (node for node in _nodes(tree) if isinstance(node, ast.RangeVar))


def _main_first(tree: Any, ranges: list[ast.RangeVar]) -> list[ast.RangeVar]:
    """The statement's main table first: the target of UPDATE/DELETE, else the first FROM."""
    relation = getattr(tree, "relation", None)
    if isinstance(relation, ast.RangeVar):
        return [relation, *(r for r in ranges if r is not relation)]
    return ranges


def _is_tool(node: ast.RangeVar) -> bool:
    alias = node.alias.aliasname if node.alias else ""
    return (
        node.schemaname in TOOL_SCHEMAS
        or alias.startswith(SAMPLE_ALIAS)
        or node.relname in ("pg_stat_statements", "pg_stat_statements_info")
        or node.relname.startswith("hypopg")
    )


def _is_catalog(node: ast.RangeVar) -> bool:
    if node.schemaname in CATALOG_SCHEMAS:
        return True
    return node.schemaname is None and node.relname.startswith("pg_")


def _nodes(tree: Any) -> Iterator[ast.Node]:
    """Every node of a tree, in the order the query writes them."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple | list):
            stack.extend(reversed(node))
        elif isinstance(node, ast.Node):
            yield node
            stack.extend(reversed([getattr(node, name) for name in node]))
