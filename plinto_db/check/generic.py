"""Why a generic plan could not use an index, read from the query with PostgreSQL's own parser.

A generic plan is made without parameter values, so two things an index may need are missing:

- a partial index's predicate is proven only by what the query says with literals: when the
  query compares a predicate column with a parameter (`status = $2` against
  `WHERE status = 'active'`), the predicate cannot be proven;
- a btree index range for `LIKE`, `ILIKE`, `~`, `~*` or `SIMILAR TO` comes from the fixed
  prefix of a known pattern: a parameter pattern (`LIKE $1`) gives none.

Each reason is given only when the query's text shows it; a text pglast cannot parse gives
none. Pure code: nothing connects to a database. Imported only when a generic check fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind
from pglast.parser import ParseError
from pglast.stream import RawStream

# operator name -> as the query writes it; a negated match (NOT LIKE) never uses an index
_PATTERN_OPERATORS = {
    A_Expr_Kind.AEXPR_LIKE: {"~~": "LIKE"},
    A_Expr_Kind.AEXPR_ILIKE: {"~~*": "ILIKE"},
    A_Expr_Kind.AEXPR_SIMILAR: {"~": "SIMILAR TO"},
    A_Expr_Kind.AEXPR_OP: {"~~": "LIKE", "~~*": "ILIKE", "~": "~", "~*": "~*"},
}


def predicate_compared_with_parameter(sql: str, predicate: str) -> tuple[str, ...] | None:
    """The predicate's columns the query compares with a `$n` parameter; None: unreadable."""
    statement, condition = _statement(sql), _statement(f"SELECT 1 WHERE {predicate}")
    if statement is None or condition is None:
        return None
    columns = _columns(condition)
    compared = (
        column
        for expr in _comparisons(statement)
        if _has_parameter(expr)
        for column in sorted(_columns(expr))
        if column in columns
    )
    return tuple(dict.fromkeys(compared))


def parameter_patterns(sql: str, on_columns: frozenset[str]) -> tuple[str, ...]:
    """Each pattern match in the query whose pattern is a parameter, as `LIKE $1`, whose left
    side uses one of `on_columns` (an index's key columns)."""
    statement = _statement(sql)
    if statement is None:
        return ()
    found = []
    for expr in _comparisons(statement):
        operator = _PATTERN_OPERATORS.get(expr.kind, {}).get(_operator_name(expr))
        if operator is None or not _has_parameter(expr.rexpr):
            continue
        if not _columns(expr.lexpr) & on_columns:
            continue
        found.append(f"{operator} {_pattern_text(expr.rexpr)}")
    return tuple(dict.fromkeys(found))


def key_columns(expressions: Iterable[str]) -> frozenset[str] | None:
    """The columns an index's key expressions use; None when one cannot be read."""
    columns: set[str] = set()
    for expression in expressions:
        statement = _statement(f"SELECT ({expression})")
        if statement is None:
            return None
        columns |= _columns(statement)
    return frozenset(columns)


def _operator_name(expr: ast.A_Expr) -> str:
    name = expr.name[-1] if expr.name else None
    return name.sval if isinstance(name, ast.String) else ""


def _pattern_text(node: Any) -> str:
    # `SIMILAR TO $1` is parsed as `~ similar_to_escape($1)`
    if isinstance(node, ast.FuncCall) and _last_name(node.funcname) == "similar_to_escape":
        node = node.args[0]
    if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.ParamRef):
        node = node.arg  # `$1::text`: the parameter is what matters
    text = RawStream()(node)
    return text if isinstance(node, ast.ParamRef) else f"({text})"


def _last_name(names: tuple[Any, ...] | None) -> str:
    return names[-1].sval if names and isinstance(names[-1], ast.String) else ""


def _statement(sql: str) -> ast.Node | None:
    try:
        statements = parse_sql(sql)
    except ParseError:
        return None
    return statements[0].stmt if len(statements) == 1 else None


def _comparisons(tree: Any) -> Iterator[ast.A_Expr]:
    return (node for node in _nodes(tree) if isinstance(node, ast.A_Expr))


def _has_parameter(tree: Any) -> bool:
    return any(isinstance(node, ast.ParamRef) for node in _nodes(tree))


def _columns(tree: Any) -> set[str]:
    """The column names in a tree (the last part of each reference, as PostgreSQL reads it)."""
    return {
        _last_name(node.fields)
        for node in _nodes(tree)
        if isinstance(node, ast.ColumnRef) and _last_name(node.fields)
    }


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
