"""DDL that queues reads or writes behind it, with no lock_timeout set before it."""

from __future__ import annotations

from collections.abc import Iterator

from plinto_db.lint import nodes
from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import in_alembic, relation


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    lock = nodes.blocking_lock(node)
    if lock is None or statement.context.lock_timeout is not None:
        return
    table = getattr(node, "relation", None)
    if table is not None and statement.context.is_new(table.relname):
        return
    name = relation(table)
    article = "an" if lock == "ACCESS EXCLUSIVE" else "a"
    blocked = "reads and writes" if lock == "ACCESS EXCLUSIVE" else "writes"
    if in_alembic(statement):
        fix = "op.execute(\"SET lock_timeout = '2s'\") earlier in the same function"
    else:
        fix = "SET lock_timeout = '2s' earlier in the file"
    yield (
        f"this needs {article} {lock} lock on {name} and no lock_timeout is set: while it "
        f"waits behind any long transaction, all {blocked} of {name} queue behind it; {fix}, "
        "and retry the migration when it times out"
    )


RULE = Rule(
    id="require-lock-timeout",
    severity=Severity.warning,
    summary="ALTER TABLE (or another DDL that blocks reads or writes) with no lock_timeout "
    "set before it",
    check=check,
    catalog=False,
)
