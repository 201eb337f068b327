"""ADD FOREIGN KEY without NOT VALID on an existing table."""

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
        constraint = nodes.added_constraint(cmd, "foreign")
        if constraint is None or constraint.skip_validation:
            continue
        table, referenced = relation(node.relation), relation(constraint.pktable)
        name = ident(constraint.conname)
        yield (
            f"adding FOREIGN KEY {name} checks every row of {table} while it holds SHARE ROW "
            f"EXCLUSIVE locks on {table} and {referenced}: writes to both wait until it ends; "
            + not_valid_fix(statement, name, relation(node.relation))
        )


RULE = Rule(
    id="adding-foreign-key-constraint",
    severity=Severity.error,
    summary="ADD FOREIGN KEY without NOT VALID on a table the same file did not create",
    check=check,
    catalog=False,
)
