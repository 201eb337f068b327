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

from pglast.parser import ParseError, parse_sql_json

# the alias capture gives the tables of its own sample queries, so a later capture knows them
SAMPLE_ALIAS = "plinto_sample"
# the alias the tool's other reads give their tables (bench's row counts: plinto_db_rows)
TOOL_ALIAS = "plinto_db_"
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
        document = parse_sql_json(text)
    except ParseError:
        return _left_out(
            statement, "the normalised text is not valid SQL (e.g. `interval $1` from a literal)"
        )
    parsed = json.loads(document)["stmts"]
    if len(parsed) != 1:
        return _left_out(statement, "several statements in one entry")
    ((node_type, tree),) = parsed[0]["stmt"].items()
    kind, reason = _kind(node_type, tree)
    if reason:
        return _left_out(statement, reason)
    relation = tree.get("relation")  # UPDATE/DELETE: the target is the main table
    target = [(relation.get("schemaname"), relation["relname"], "")] if relation else []
    ranges = target + [
        (_text(schema), _text(name), _text(alias))
        for schema, name, alias in _RANGE_VAR.findall(document)
    ]
    if any(_is_tool(r) for r in ranges):
        return _left_out(statement, "the tool's own query")
    if any(_is_catalog(r) for r in ranges):
        return _left_out(statement, "catalog query")
    ctes = {_text(name) for name in _CTE.findall(document)}
    tables = tuple(
        dict.fromkeys(
            (schema, name) for schema, name, _ in ranges if not (schema is None and name in ctes)
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


_STRING = r'"((?:[^"\\]|\\.)*)"'
# pglast's compact JSON writes a RangeVar's keys in this order; each one's text is captured
_RANGE_VAR = re.compile(
    r'"RangeVar":\{(?:"catalogname":"(?:[^"\\]|\\.)*",)?(?:"schemaname":' + _STRING + ",)?"
    r'"relname":' + _STRING + r'(?:,"inh":(?:true|false))?,"relpersistence":"\w"'
    r'(?:,"alias":\{"aliasname":' + _STRING + ")?"
)
_CTE = re.compile(r'"ctename":' + _STRING)


def _text(escaped: str) -> str | None:
    """A JSON string's content as text; None for an absent (empty) schema."""
    if not escaped:
        return None
    return json.loads(f'"{escaped}"') if "\\" in escaped else escaped


def _is_tool(node: tuple[str | None, str, str | None]) -> bool:
    schema, relname, alias = node
    return (
        schema in TOOL_SCHEMAS
        or (alias or "").startswith((SAMPLE_ALIAS, TOOL_ALIAS))
        or relname in ("pg_stat_statements", "pg_stat_statements_info")
        or relname.startswith("hypopg")
    )


def _is_catalog(node: tuple[str | None, str, str | None]) -> bool:
    schema, relname, _ = node
    if schema in CATALOG_SCHEMAS:
        return True
    return schema is None and relname.startswith("pg_")
