"""Questions about pglast parse trees that several rules ask."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType

# pg_proc rows with provolatile = 'v' that can appear in a DEFAULT (PostgreSQL 18), and the
# volatile functions of the uuid-ossp and pgcrypto extensions that migrations use most.
VOLATILE_FUNCTIONS = frozenset(
    """array_sample array_shuffle clock_timestamp currval gen_random_uuid lastval nextval
    random random_normal set_config setval timeofday txid_status uuidv4 uuidv7 lo_creat
    lo_create lo_import lo_from_bytea uuid_generate_v1 uuid_generate_v1mc uuid_generate_v4
    gen_random_bytes gen_salt""".split()
)
SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})

# ALTER TABLE subcommands that take a lock weaker than SHARE ROW EXCLUSIVE on the table
# (SHARE UPDATE EXCLUSIVE: reads and writes go on); every other subcommand blocks writes,
# most of them reads too (sql-altertable.html, "Notes" and each form's lock level).
_WEAK_ALTER = frozenset(
    {
        AlterTableType.AT_ValidateConstraint,
        AlterTableType.AT_SetStatistics,
        AlterTableType.AT_SetOptions,
        AlterTableType.AT_ResetOptions,
        AlterTableType.AT_SetRelOptions,
        AlterTableType.AT_ResetRelOptions,
        AlterTableType.AT_ClusterOn,
        AlterTableType.AT_DropCluster,
        AlterTableType.AT_AttachPartition,
        AlterTableType.AT_DetachPartitionFinalize,
    }
)


def walk(node: object) -> Iterator[ast.Node]:
    """A node and every node below it."""
    if isinstance(node, ast.Node):
        yield node
        for name in type(node).__slots__:
            yield from walk(getattr(node, name, None))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from walk(item)


def table_of(node: ast.Node) -> str | None:
    """The relation name a statement acts on (schema left out), when it names one."""
    relation = getattr(node, "relation", None)
    return relation.relname if isinstance(relation, ast.RangeVar) else None


def alter_commands(node: ast.Node) -> tuple[ast.AlterTableCmd, ...]:
    if isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_TABLE:
        return tuple(c for c in node.cmds or () if isinstance(c, ast.AlterTableCmd))
    return ()


def dropped_indexes(node: ast.Node) -> tuple[str, ...]:
    if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX:
        return tuple(".".join(p.sval for p in names) for names in node.objects or ())
    return ()


def reindex_is_concurrent(node: ast.ReindexStmt) -> bool:
    return any(
        isinstance(p, ast.DefElem) and p.defname == "concurrently" and _true(p.arg)
        for p in node.params or ()
    )


def concurrent_action(node: ast.Node) -> str | None:
    """The CONCURRENTLY form a statement uses, if any (none of them runs in a transaction)."""
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent and dropped_indexes(node):
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt) and reindex_is_concurrent(node):
        return "REINDEX CONCURRENTLY"
    for cmd in alter_commands(node):
        if cmd.subtype == AlterTableType.AT_DetachPartition and getattr(cmd.def_, "concurrent", 0):
            return "DETACH PARTITION CONCURRENTLY"
    return None


def blocking_lock(node: ast.Node) -> str | None:
    """The lock of a DDL statement that queues all traffic behind it while it waits.

    CREATE INDEX, DROP INDEX and REINDEX are left to their own rules: their fix is
    CONCURRENTLY, and a short lock_timeout on a concurrent build only cancels it.
    """
    commands = alter_commands(node)
    if commands:
        if all(_weak(c) for c in commands):
            return None
        if all(_adds_foreign_key(c) or _weak(c) for c in commands):
            return "SHARE ROW EXCLUSIVE"
        return "ACCESS EXCLUSIVE"
    if isinstance(node, ast.RenameStmt) and node.renameType in (
        ObjectType.OBJECT_TABLE,
        ObjectType.OBJECT_COLUMN,
        ObjectType.OBJECT_TABCONSTRAINT,
    ):
        return "ACCESS EXCLUSIVE"
    if isinstance(node, ast.CreateTrigStmt):
        return "SHARE ROW EXCLUSIVE"
    return None


def _weak(cmd: ast.AlterTableCmd) -> bool:
    if cmd.subtype == AlterTableType.AT_DetachPartition:
        return bool(getattr(cmd.def_, "concurrent", False))
    return cmd.subtype in _WEAK_ALTER


def _adds_foreign_key(cmd: ast.AlterTableCmd) -> bool:
    return _constraint_kind(cmd) == "foreign"


def _constraint_kind(cmd: ast.AlterTableCmd) -> str | None:
    if cmd.subtype != AlterTableType.AT_AddConstraint or not isinstance(cmd.def_, ast.Constraint):
        return None
    return {ConstrType.CONSTR_FOREIGN: "foreign", ConstrType.CONSTR_CHECK: "check"}.get(
        cmd.def_.contype
    )


def added_constraint(cmd: ast.AlterTableCmd, kind: str) -> ast.Constraint | None:
    """The FOREIGN KEY or CHECK constraint an ALTER TABLE subcommand adds ("foreign"/"check")."""
    return cmd.def_ if _constraint_kind(cmd) == kind else None


def function_name(call: ast.FuncCall) -> str:
    return call.funcname[-1].sval


def volatile_call(expr: object) -> str | None:
    """The first known-volatile function an expression calls, as `name()`."""
    for node in walk(expr):
        if isinstance(node, ast.FuncCall) and function_name(node).lower() in VOLATILE_FUNCTIONS:
            return f"{function_name(node)}()"
    return None


def _true(arg: object) -> bool:
    if arg is None:  # a bare option name: REINDEX (CONCURRENTLY) ...
        return True
    if isinstance(arg, ast.Boolean):
        return bool(arg.boolval)
    if isinstance(arg, ast.Integer):
        return arg.ival != 0
    return str(getattr(arg, "sval", "true")).lower() not in ("false", "off", "0", "no")
