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

import json
import re
from dataclasses import dataclass
from typing import Any

from pglast.parser import ParseError, parse_sql_json

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
    if _FIRST_WORD.match(text) is None:  # SET, BEGIN, CREATE...: no need to parse
        return _left_out(statement, "DDL or utility statement")
    try:  # the JSON tree, decoded in C: a fraction of the cost of pglast's Python objects
        parsed = json.loads(parse_sql_json(text))["stmts"]
    except ParseError:
        return _left_out(
            statement, "the normalised text is not valid SQL (e.g. `interval $1` from a literal)"
        )
    if len(parsed) != 1:
        return _left_out(statement, "several statements in one entry")
    ((node_type, tree),) = parsed[0]["stmt"].items()
    kind, reason = _kind(node_type, tree)
    if reason:
        return _left_out(statement, reason)
    ranges: list[dict] = []
    ctes: set[str] = set()
    _collect(tree, ranges, ctes)
    if any(_is_tool(r) for r in ranges):
        return _left_out(statement, "the tool's own query")
    if any(_is_catalog(r) for r in ranges):
        return _left_out(statement, "catalog query")
    relation = tree.get("relation")  # UPDATE/DELETE: the target is the main table
    ordered = [relation, *(r for r in ranges if r is not relation)] if relation else ranges
    tables = tuple(
        dict.fromkeys(
            (r.get("schemaname"), r["relname"])
            for r in ordered
            if not (r.get("schemaname") is None and r["relname"] in ctes)
        )
    )
    if not tables:
        return _left_out(statement, "reads no table")
    return Classified(statement, kind, tables, None)


# statements that may read or filter rows; anything else is DDL or utility
_FIRST_WORD = re.compile(r"(?:\s|--[^\n]*\n|/\*.*?\*/)*(?:\(|select\b|with\b|update\b|delete\b|"
                         r"insert\b|table\b|values\b)", re.IGNORECASE | re.DOTALL)  # fmt: skip


def _left_out(statement: Statement, reason: str) -> Classified:
    return Classified(statement, None, (), reason)


def _kind(node_type: str, tree: dict) -> tuple[str | None, str | None]:
    if node_type == "SelectStmt":
        if tree.get("intoClause") is not None:
            return None, "DDL (SELECT INTO)"
        return "select", None
    if node_type in ("UpdateStmt", "DeleteStmt"):
        kind = "update" if node_type == "UpdateStmt" else "delete"
        if tree.get("whereClause") is None:
            return None, f"{kind.upper()} without WHERE (nothing to find)"
        return kind, None
    if node_type == "InsertStmt":
        return None, "INSERT (nothing to find)"
    return None, "DDL or utility statement"


def _collect(node: Any, ranges: list[dict], ctes: set[str]) -> None:
    """Every RangeVar (as its JSON object) and CTE name under `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "RangeVar":
                ranges.append(value)
            elif key == "CommonTableExpr":
                ctes.add(value.get("ctename", ""))
            if isinstance(value, dict | list):
                _collect(value, ranges, ctes)
    elif isinstance(node, list):
        for item in node:
            _collect(item, ranges, ctes)


def _is_tool(node: dict) -> bool:
    alias = (node.get("alias") or {}).get("aliasname", "")
    relname = node["relname"]
    return (
        node.get("schemaname") in TOOL_SCHEMAS
        or alias.startswith(SAMPLE_ALIAS)
        or relname in ("pg_stat_statements", "pg_stat_statements_info")
        or relname.startswith("hypopg")
    )


def _is_catalog(node: dict) -> bool:
    schema = node.get("schemaname")
    if schema in CATALOG_SCHEMAS:
        return True
    return schema is None and node["relname"].startswith("pg_")
