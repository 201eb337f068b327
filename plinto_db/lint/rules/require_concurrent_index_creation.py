"""CREATE INDEX without CONCURRENTLY on a table the file did not create."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import concurrently_fix, relation


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    if not isinstance(node, ast.IndexStmt) or node.concurrent:
        return
    if not node.relation.inh:
        return  # ON ONLY a partitioned parent: catalog-only, and CONCURRENTLY is refused there
    if statement.context.is_new(node.relation.relname):
        return
    table = relation(node.relation)
    yield (
        f"CREATE INDEX on {table} holds a SHARE lock for the whole build: every INSERT, UPDATE "
        f"and DELETE on {table} waits until it ends; "
        + concurrently_fix(statement, "CREATE INDEX CONCURRENTLY")
    )


RULE = Rule(
    id="require-concurrent-index-creation",
    severity=Severity.error,
    summary="CREATE INDEX without CONCURRENTLY on a table the same file did not create",
    check=check,
    catalog=False,
)
