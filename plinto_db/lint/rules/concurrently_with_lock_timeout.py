"""A CONCURRENTLY statement run while a short lock_timeout is in force."""

from __future__ import annotations

from collections.abc import Iterator

from plinto_db.lint import nodes
from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import in_alembic


def check(statement: Statement) -> Iterator[str]:
    action = nodes.concurrent_action(statement.node)
    where = statement.context.lock_timeout
    if action is None or where is None:
        return
    reset = (
        'op.execute("SET lock_timeout = 0")' if in_alembic(statement) else ("SET lock_timeout = 0")
    )
    yield (
        f"the lock_timeout set on {where} is still in force: {action} waits for every older "
        "transaction through lock waits, so the timeout cancels it and leaves it half done "
        f"(an INVALID index, a _ccnew leftover, a pending detach); run {reset} just before it"
    )


RULE = Rule(
    id="concurrently-with-lock-timeout",
    severity=Severity.warning,
    summary="CONCURRENTLY while a lock_timeout is set (it cancels the build half done)",
    check=check,
    catalog=False,
)
