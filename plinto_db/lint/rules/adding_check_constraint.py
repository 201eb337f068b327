"""ADD CHECK without NOT VALID on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from plinto_db.lint import nodes
from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import ident, not_valid_fix, relation


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    if statement.context.is_new(nodes.table_of(node)):
        return
    for cmd in nodes.alter_commands(node):
        constraint = nodes.added_constraint(cmd, "check")
        if constraint is None or constraint.skip_validation:
            continue
        table = relation(node.relation)
        name = ident(constraint.conname)
        yield (
            f"adding CHECK {name} checks every row of {table} under an ACCESS EXCLUSIVE lock: "
            f"reads and writes of {table} wait until it ends; "
            + not_valid_fix(statement, name, table)
        )


RULE = Rule(
    id="adding-check-constraint",
    severity=Severity.error,
    summary="ADD CHECK without NOT VALID on a table the same file did not create",
    check=check,
    catalog=False,
)
