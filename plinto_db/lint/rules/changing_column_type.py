"""ALTER COLUMN ... TYPE on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast.enums import AlterTableType

from plinto_db.lint import nodes
from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import ident, relation


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    if statement.context.is_new(nodes.table_of(node)):
        return
    for cmd in nodes.alter_commands(node):
        if cmd.subtype != AlterTableType.AT_AlterColumnType:
            continue
        column = f"{relation(node.relation)}.{ident(cmd.name)}"
        yield (
            f"changing the type of {column} rewrites the table and its indexes under "
            "an ACCESS EXCLUSIVE lock (reads and writes wait), unless the new type is "
            "binary-compatible (varchar(n) to a longer varchar or to text): add a new column, "
            "backfill it in batches and switch to it; if the change is binary-compatible, "
            "suppress this with plinto-db: ignore[changing-column-type]"
        )


RULE = Rule(
    id="changing-column-type",
    severity=Severity.warning,
    summary="ALTER COLUMN ... TYPE on a table the same file did not create",
    check=check,
    catalog=False,
)
