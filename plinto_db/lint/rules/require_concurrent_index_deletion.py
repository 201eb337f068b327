"""DROP INDEX without CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from plinto_db.lint import nodes
from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import concurrently_fix, dotted


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    names = nodes.dropped_indexes(node)
    if not names or (isinstance(node, ast.DropStmt) and node.concurrent):
        return
    if all(n.rsplit(".", 1)[-1] in statement.context.new_indexes for n in names):
        return  # indexes of tables this file created
    dropped = ", ".join(dotted(part.sval for part in parts) for parts in node.objects)
    yield (
        f"DROP INDEX {dropped} takes an ACCESS EXCLUSIVE lock on its table: reads and "
        "writes of the table queue behind it while it waits for the lock; "
        + concurrently_fix(statement, "DROP INDEX CONCURRENTLY (one index per statement)")
    )


RULE = Rule(
    id="require-concurrent-index-deletion",
    severity=Severity.error,
    summary="DROP INDEX without CONCURRENTLY",
    check=check,
    catalog=False,
)
