"""A CONCURRENTLY statement inside a transaction block: PostgreSQL refuses to run it."""

from __future__ import annotations

from collections.abc import Iterator

from plinto_db.lint import nodes
from plinto_db.lint.model import Rule, Severity, Statement


def check(statement: Statement) -> Iterator[str]:
    action = nodes.concurrent_action(statement.node)
    transaction = statement.context.transaction
    if action is None or transaction is None:
        return
    yield (
        f"{action} cannot run inside a transaction block, and this runs inside {transaction.why}: "
        f"{transaction.fix}"
    )


RULE = Rule(
    id="concurrently-in-transaction",
    severity=Severity.error,
    summary="CONCURRENTLY inside a transaction block (BEGIN, a multi-statement string, "
    "an alembic revision outside autocommit_block())",
    check=check,
    catalog=False,
)
