"""CREATE INDEX without a name."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from plinto_db.lint.model import Origin, Rule, Severity, Statement
from plinto_db.lint.rules.common import relation


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    if not isinstance(node, ast.IndexStmt) or node.idxname:
        return
    how = "pass a name" if statement.origin == Origin.op else "name it: CREATE INDEX <name> ON"
    yield (
        f"index on {relation(node.relation)} without a name: PostgreSQL picks one and picks "
        "another on a rerun (t_a_idx, t_a_idx1, ...), so it cannot be found, checked or dropped "
        f"by name; {how}"
    )


RULE = Rule(
    id="require-index-name",
    severity=Severity.warning,
    summary="CREATE INDEX without an explicit index name",
    check=check,
)
