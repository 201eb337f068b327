"""REINDEX without CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ReindexObjectType

from plinto_db.lint import nodes
from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import ident, outside_transaction, relation


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    if not isinstance(node, ast.ReindexStmt) or nodes.reindex_is_concurrent(node):
        return
    if node.kind == ReindexObjectType.REINDEX_OBJECT_SYSTEM:
        return  # system catalogs cannot be reindexed concurrently
    context = statement.context
    if node.relation is not None and (
        context.is_new(node.relation.relname) or node.relation.relname in context.new_indexes
    ):
        return
    target = relation(node.relation) if node.relation is not None else ident(node.name, "?")
    yield (
        f"REINDEX {target} blocks writes to the table, and reads that use the index, until it "
        f"ends: use REINDEX ... CONCURRENTLY (PostgreSQL 12+), {outside_transaction(statement)}; "
        "to repair an INVALID index, `plinto-db apply` drops and rebuilds it concurrently"
    )


RULE = Rule(
    id="require-concurrent-reindex",
    severity=Severity.error,
    summary="REINDEX without CONCURRENTLY",
    check=check,
    catalog=False,
)
