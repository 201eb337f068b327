"""CREATE INDEX CONCURRENTLY on a table the same file created PARTITION BY: PostgreSQL refuses
it ("cannot create index on partitioned table ... concurrently")."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import relation


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    if not (isinstance(node, ast.IndexStmt) and node.concurrent):
        return
    if node.relation.relname not in statement.context.new_partitioned:
        return
    table = relation(node.relation)
    refusal = f'cannot create index on partitioned table "{node.relation.relname}" concurrently'
    yield (
        f"CREATE INDEX CONCURRENTLY on {table}, which this file creates PARTITION BY: "
        f"PostgreSQL refuses it ({refusal}); the table is new, so write a plain CREATE INDEX "
        "here (it also creates the index on every partition, now and later)"
    )


RULE = Rule(
    id="concurrently-on-partitioned-table",
    severity=Severity.error,
    summary="CREATE INDEX CONCURRENTLY on a table the same file created PARTITION BY",
    check=check,
    catalog=False,
)
