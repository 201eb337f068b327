"""What holds before each statement of a file: transaction block, lock_timeout, new tables.

One pass in file order. For an alembic revision, each of upgrade() and downgrade() is a
file of its own, in the order its calls appear in the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pglast import ast
from pglast.enums import (
    AlterTableType,
    NullTestType,
    ObjectType,
    TransactionStmtKind,
    VariableSetKind,
)

from plinto_db.lint import nodes
from plinto_db.lint.model import Context, Origin, Statement, Transaction

_BEGIN = frozenset({TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START})
_END = frozenset(
    {
        TransactionStmtKind.TRANS_STMT_COMMIT,
        TransactionStmtKind.TRANS_STMT_ROLLBACK,
        TransactionStmtKind.TRANS_STMT_PREPARE,
    }
)


@dataclass(frozen=True)
class RawStatement:
    """A parsed statement and its place, before the file's context is known."""

    node: ast.Node
    line: int
    column: int
    origin: Origin
    suppressed: frozenset[str] = frozenset()
    transaction: Transaction | None = None  # runs in a transaction whatever BEGIN says
    autocommit: bool = False  # inside alembic's autocommit_block(), which commits first
    call: str | None = None


@dataclass
class _State:
    begin_line: int | None = None
    hand_commit_line: int | None = None  # op.execute("COMMIT") inside alembic's transaction
    lock_timeout: str | None = None
    lock_timeout_local: bool = False
    autocommit: bool = False
    new_tables: set[str] = field(default_factory=set)
    new_indexes: set[str] = field(default_factory=set)
    new_partitioned: set[str] = field(default_factory=set)
    # (table, constraint name) -> column: constraint names are unique per table only
    not_null_checks: dict[tuple[str, str], str] = field(default_factory=dict)
    not_null_checked: set[tuple[str, str]] = field(default_factory=set)

    def context(self, raw: RawStatement) -> Context:
        transaction = raw.transaction
        if transaction is not None and self.hand_commit_line is not None:
            transaction = Transaction(
                f"{transaction.why} (the COMMIT on line {self.hand_commit_line} ends it only "
                "under psycopg2: psycopg 3 opens a new one before the next statement, and "
                "alembic's own bookkeeping then runs outside any transaction)",
                transaction.fix,
            )
        if self.begin_line is not None:
            transaction = Transaction(
                f"the transaction block opened by BEGIN on line {self.begin_line}",
                "move it after the COMMIT, into a migration of its own",
            )
        return Context(
            transaction=transaction,
            lock_timeout=self.lock_timeout,
            new_tables=frozenset(self.new_tables),
            new_indexes=frozenset(self.new_indexes),
            not_null_checked=frozenset(self.not_null_checked),
            new_partitioned=frozenset(self.new_partitioned),
        )

    def end_transaction(self) -> None:
        self.begin_line = None
        if self.lock_timeout_local:
            self.lock_timeout, self.lock_timeout_local = None, False


def with_context(raws: Iterable[RawStatement]) -> Iterator[tuple[Statement, frozenset[str]]]:
    """Each statement with its context, and the rule ids suppressed on it."""
    state = _State()
    for raw in raws:
        if raw.autocommit and not state.autocommit:
            state.end_transaction()
        state.autocommit = raw.autocommit
        statement = Statement(
            raw.node, raw.line, raw.column, raw.origin, state.context(raw), raw.call
        )
        yield statement, raw.suppressed
        _advance(state, raw)


def _advance(state: _State, raw: RawStatement) -> None:
    node = raw.node
    if isinstance(node, ast.TransactionStmt):
        if node.kind in _BEGIN:
            state.begin_line = raw.line
        elif node.kind in _END:
            if state.begin_line is None and raw.transaction and raw.origin != Origin.sql:
                state.hand_commit_line = raw.line
            state.end_transaction()
    elif isinstance(node, ast.VariableSetStmt):
        _set_variable(state, node, raw.line)
    elif isinstance(node, ast.CreateStmt):
        state.new_tables.add(node.relation.relname)
        if node.partspec is not None:
            state.new_partitioned.add(node.relation.relname)
    elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None:
        state.new_tables.add(node.into.rel.relname)
    elif isinstance(node, ast.IndexStmt):
        if node.idxname and nodes.table_of(node) in state.new_tables:
            state.new_indexes.add(node.idxname)
    elif isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_TABLE:
        if node.relation.relname in state.new_tables:
            state.new_tables.add(node.newname)
        if node.relation.relname in state.new_partitioned:
            state.new_partitioned.add(node.newname)
    else:
        _track_not_null_checks(state, node)


def _set_variable(state: _State, node: ast.VariableSetStmt, line: int) -> None:
    if node.kind == VariableSetKind.VAR_RESET_ALL:
        state.lock_timeout, state.lock_timeout_local = None, False
    elif node.name != "lock_timeout":
        return
    elif node.kind == VariableSetKind.VAR_SET_VALUE and not _is_zero(node.args):
        state.lock_timeout = f"line {line}"
        state.lock_timeout_local = bool(node.is_local)
    elif node.kind in (
        VariableSetKind.VAR_SET_VALUE,
        VariableSetKind.VAR_SET_DEFAULT,
        VariableSetKind.VAR_RESET,
    ):
        state.lock_timeout, state.lock_timeout_local = None, False


def _is_zero(args: tuple | None) -> bool:
    """lock_timeout = 0 (or '0', '0ms', 0.0) means no timeout at all."""
    if not args or not isinstance(args[0], ast.A_Const):
        return False
    value = args[0].val
    if isinstance(value, ast.Integer):
        text = str(value.ival)
    elif isinstance(value, ast.Float):
        text = value.fval
    elif isinstance(value, ast.String):
        text = value.sval
    else:
        return False
    number = ""
    for char in text.strip():
        if not (char.isdigit() or char == "."):
            break
        number += char
    try:
        return float(number) == 0
    except ValueError:
        return False


def _track_not_null_checks(state: _State, node: ast.Node) -> None:
    """CHECK (col IS NOT NULL), once validated, lets SET NOT NULL skip its scan (PG 12+)."""
    table = nodes.table_of(node)
    for cmd in nodes.alter_commands(node):
        check = nodes.added_constraint(cmd, "check")
        if check is not None and table is not None:
            column = _not_null_column(check.raw_expr)
            if column is not None:
                state.not_null_checks[(table, check.conname or "")] = column
                if not check.skip_validation:
                    state.not_null_checked.add((table, column))
        elif cmd.subtype == AlterTableType.AT_ValidateConstraint:
            column = state.not_null_checks.get((table, cmd.name or ""))
            if column is not None:
                state.not_null_checked.add((table, column))


def _not_null_column(expr: object) -> str | None:
    if (
        isinstance(expr, ast.NullTest)
        and expr.nulltesttype == NullTestType.IS_NOT_NULL
        and isinstance(expr.arg, ast.ColumnRef)
        and isinstance(expr.arg.fields[-1], ast.String)
    ):
        return expr.arg.fields[-1].sval
    return None
