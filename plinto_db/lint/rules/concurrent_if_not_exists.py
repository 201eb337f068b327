"""CREATE INDEX CONCURRENTLY IF NOT EXISTS: an INVALID leftover satisfies it."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import ident


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    if not (isinstance(node, ast.IndexStmt) and node.concurrent and node.if_not_exists):
        return
    yield (
        f"IF NOT EXISTS also skips an INVALID index {ident(node.idxname)} left by an interrupted "
        "concurrent build: the migration succeeds, the index is never used and still slows "
        "every write; drop IF NOT EXISTS so a rerun fails loudly, or build the index with "
        "`plinto-db apply`, which checks validity and rebuilds an INVALID index"
    )


RULE = Rule(
    id="concurrent-if-not-exists",
    severity=Severity.warning,
    summary="CREATE INDEX CONCURRENTLY IF NOT EXISTS (an INVALID leftover satisfies it)",
    check=check,
    catalog=False,
)
