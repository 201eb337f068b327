"""Where a statement asks for an order: its own ORDER BY, and any subquery's. Pure code.

Which index *delivers* an order is read from the plan (judge.index_use: an index scan, or a
Merge Append of them, under the Limit with no Sort above it); this module only says whether
there is a statement-level order to deliver, read with PostgreSQL's own parser. An ORDER BY
inside an aggregate (`string_agg(x, ',' ORDER BY y)`) or a window (`OVER (ORDER BY z)`) is
no statement order: the plan shows its own Sort or WindowAgg for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any


@dataclass(frozen=True)
class Orders:
    top: bool  # the statement itself (or an arm of its UNION/INTERSECT/EXCEPT) has ORDER BY
    nested: bool  # some subquery (in FROM, a sublink, a CTE) has ORDER BY


class LazyOrders:
    """A statement's Orders, parsed when a plan walk first asks (most index scans filter, and
    their use is decided without it)."""

    def __init__(self, sql: str):
        self.sql = sql

    @cached_property
    def orders(self) -> Orders:
        return statement_orders(self.sql)

    @property
    def top(self) -> bool:
        return self.orders.top

    @property
    def nested(self) -> bool:
        return self.orders.nested


@lru_cache(maxsize=256)
def statement_orders(sql: str) -> Orders:
    """Which levels of the statement have an ORDER BY; an unparsable text: the text's word."""
    from plinto_db.check.sqltext import has_order_by

    if not has_order_by(sql):  # no ORDER BY anywhere in the code: nothing to parse
        return Orders(False, False)
    from pglast import ast, parse_sql
    from pglast.parser import ParseError

    try:
        statements = parse_sql(sql)
    except ParseError:
        statements = ()
    if len(statements) != 1:
        return Orders(True, True)  # unreadable: the text's ORDER BY may be at any level
    root = statements[0].stmt
    top_level = {id(node) for node in _set_arms(root, ast)}
    selects = [node for node in _nodes(root, ast) if isinstance(node, ast.SelectStmt)]
    return Orders(
        top=any(s.sortClause for s in selects if id(s) in top_level),
        nested=any(s.sortClause for s in selects if id(s) not in top_level),
    )


def _set_arms(node: Any, ast: Any) -> list[Any]:
    """The statement and, for a set operation, every arm of it (their ORDER BY is the top's)."""
    if not isinstance(node, ast.SelectStmt):
        return [node]
    arms = [node]
    for arm in (node.larg, node.rarg):
        if arm is not None:
            arms += _set_arms(arm, ast)
    return arms


def _nodes(tree: Any, ast: Any) -> list[Any]:
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple | list):
            stack.extend(node)
        elif isinstance(node, ast.Node):
            found.append(node)
            stack.extend(getattr(node, name) for name in node)
    return found
