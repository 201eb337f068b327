"""SET NOT NULL on an existing table without a validated CHECK (col IS NOT NULL)."""

from __future__ import annotations

from collections.abc import Iterator

from pglast.enums import AlterTableType

from plinto_db.lint import nodes
from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import ident, relation


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    table = nodes.table_of(node)
    if statement.context.is_new(table):
        return
    for cmd in nodes.alter_commands(node):
        if cmd.subtype != AlterTableType.AT_SetNotNull:
            continue
        if (table, cmd.name) in statement.context.not_null_checked:
            continue
        name, column = relation(node.relation), ident(cmd.name)
        yield (
            f"SET NOT NULL on {name}.{column} scans every row under an ACCESS EXCLUSIVE lock: "
            f"reads and writes of {name} wait until it ends; first ADD CONSTRAINT "
            f"<name> CHECK ({column} IS NOT NULL) NOT VALID and VALIDATE CONSTRAINT <name>, "
            "then SET NOT NULL skips the scan (PostgreSQL 12+) and the CHECK can be dropped"
        )


RULE = Rule(
    id="setting-not-null",
    severity=Severity.error,
    summary="ALTER COLUMN ... SET NOT NULL on a table the same file did not create",
    check=check,
    catalog=False,
)
