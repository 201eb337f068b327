"""ADD COLUMN whose value is computed per row: a volatile DEFAULT, serial, identity, STORED."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from plinto_db.lint import nodes
from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.rules.common import ident, relation


def check(statement: Statement) -> Iterator[str]:
    node = statement.node
    if statement.context.is_new(nodes.table_of(node)):
        return
    for cmd in nodes.alter_commands(node):
        if cmd.subtype != AlterTableType.AT_AddColumn or not isinstance(cmd.def_, ast.ColumnDef):
            continue
        cause = _per_row_value(cmd.def_)
        if cause is not None:
            table, column = relation(node.relation), ident(cmd.def_.colname)
            yield (
                f"ADD COLUMN {column} {cause}, so PostgreSQL rewrites every row of "
                f"{table} under an ACCESS EXCLUSIVE lock (reads and writes wait; a constant "
                "default is instant since PostgreSQL 11): add the column with no default, SET "
                "DEFAULT in a second statement (new rows only), backfill old rows in batches"
            )


def _per_row_value(column: ast.ColumnDef) -> str | None:
    type_name = column.typeName.names[-1].sval if column.typeName else ""
    if type_name in nodes.SERIAL_TYPES:
        return f"is {type_name}: its DEFAULT nextval() gives each row its own value"
    for constraint in column.constraints or ():
        if not isinstance(constraint, ast.Constraint):
            continue
        if constraint.contype == ConstrType.CONSTR_DEFAULT:
            function = nodes.volatile_call(constraint.raw_expr)
            if function is not None:
                return f"has a volatile DEFAULT {function}, computed for each row"
        if constraint.contype == ConstrType.CONSTR_IDENTITY:
            return "is an identity column, numbered row by row"
        if constraint.contype == ConstrType.CONSTR_GENERATED and constraint.generated_kind == "s":
            return "is GENERATED ... STORED, computed and stored for each row"
    return None


RULE = Rule(
    id="adding-volatile-default",
    severity=Severity.error,
    summary="ADD COLUMN with a volatile DEFAULT (or serial, identity, GENERATED STORED) on a "
    "table the same file did not create",
    check=check,
    catalog=False,
)
