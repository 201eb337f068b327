"""alembic operations rendered as the DDL they emit on PostgreSQL, for the rules to read.

Only what the rules look at is rendered: names, CONCURRENTLY, IF [NOT] EXISTS, NOT VALID,
defaults. Column lists and types are placeholders. An argument that is not a literal (a
variable, a call) is rendered as a quoted identifier of its source text, so a message can
still name it; a flag that is not a literal counts as set.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

UNKNOWN = object()  # a value the source does not spell out as a literal

Resolve = Callable[[ast.expr], object]

# batch_op.<method>(...) leaves out the table of op.batch_alter_table(table): its position
# and name in the op.<method>(...) signature
_BATCH_TABLE = {
    "add_column": (0, "table_name"),
    "alter_column": (0, "table_name"),
    "drop_column": (0, "table_name"),
    "create_index": (1, "table_name"),
    "drop_index": (1, "table_name"),
    "create_foreign_key": (1, "source_table"),
    "create_check_constraint": (1, "table_name"),
    "create_unique_constraint": (1, "table_name"),
    "create_primary_key": (1, "table_name"),
    "drop_constraint": (1, "table_name"),
}


@dataclass(frozen=True)
class OpCall:
    method: str
    args: tuple[ast.expr, ...]
    kwargs: dict[str, ast.expr] = field(default_factory=dict)

    @classmethod
    def of(cls, method: str, call: ast.Call, batch_table: ast.expr | None = None) -> OpCall:
        args = list(call.args)
        kwargs = {k.arg: k.value for k in call.keywords if k.arg is not None}
        if batch_table is not None and method in _BATCH_TABLE:
            position, name = _BATCH_TABLE[method]
            if position <= len(args):
                args.insert(position, batch_table)
            else:  # the arguments before it were given by keyword
                kwargs[name] = batch_table
        return cls(method, tuple(args), kwargs)

    def arg(self, index: int | None, name: str) -> ast.expr | None:
        """A positional-or-keyword argument; index None for a keyword-only one."""
        if name in self.kwargs:
            return self.kwargs[name]
        return self.args[index] if index is not None and index < len(self.args) else None


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def render(call: OpCall, resolve: Resolve) -> list[str]:
    """The statements alembic emits for `call`; [] for an operation the rules ignore."""
    renderer = _RENDERERS.get(call.method)
    return renderer(_Reader(call, resolve)) if renderer else []


class _Reader:
    def __init__(self, call: OpCall, resolve: Resolve):
        self.call, self.resolve = call, resolve

    def value(self, index: int | None, name: str, default: object = None) -> object:
        node = self.call.arg(index, name)
        return default if node is None else self.resolve(node)

    def name(self, index: int | None, name: str) -> str | None:
        node = self.call.arg(index, name)
        if node is None:
            return None
        value = self.resolve(node)
        if value is None:
            return None
        return quote(value if isinstance(value, str) else ast.unparse(node)[:63])

    def table(self, index: int, name: str, schema_kw: str = "schema") -> str:
        table = self.name(index, name) or quote("?")
        schema = self.value(None, schema_kw)
        return f"{quote(schema)}.{table}" if isinstance(schema, str) else table

    def flag(self, name: str) -> bool:
        node = self.call.kwargs.get(name)
        return node is not None and self.resolve(node) not in (False, None)

    def columns(self, index: int, name: str) -> str:
        value = self.value(index, name)
        if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
            return ", ".join(quote(v) for v in value)
        return quote("?")


def _create_index(r: _Reader) -> list[str]:
    name = r.name(0, "index_name")
    words = ["CREATE", "UNIQUE INDEX" if r.flag("unique") else "INDEX"]
    if r.flag("postgresql_concurrently"):
        words.append("CONCURRENTLY")
    if name is not None:
        words += ["IF NOT EXISTS"] if r.flag("if_not_exists") else []
        words.append(name)
    words += ["ON", r.table(1, "table_name"), f"({quote('?')})"]
    return [" ".join(words)]


def _drop_index(r: _Reader) -> list[str]:
    name = r.name(0, "index_name") or quote("?")
    schema = r.value(None, "schema")
    words = ["DROP INDEX"]
    if r.flag("postgresql_concurrently"):
        words.append("CONCURRENTLY")
    if r.flag("if_exists"):
        words.append("IF EXISTS")
    words.append(f"{quote(schema)}.{name}" if isinstance(schema, str) else name)
    return [" ".join(words)]


def _create_table(r: _Reader) -> list[str]:
    return [f"CREATE TABLE {r.table(0, 'table_name')} ()"]


def _add_column(r: _Reader) -> list[str]:
    column = r.call.arg(1, "column")
    if not isinstance(column, ast.Call) or not column.args:
        return [f"ALTER TABLE {r.table(0, 'table_name')} ADD COLUMN {quote('?')} text"]
    name = r.resolve(column.args[0])
    sql = f"{quote(name if isinstance(name, str) else '?')} text"
    default = _column_default(column, r.resolve)
    return [f"ALTER TABLE {r.table(0, 'table_name')} ADD COLUMN {sql}{default}"]


def _column_default(column: ast.Call, resolve: Resolve) -> str:
    for arg in column.args[1:]:
        kind = _callee(arg)
        if kind == "Identity":
            return " GENERATED BY DEFAULT AS IDENTITY"
        if kind == "Computed" and isinstance(arg, ast.Call) and arg.args:
            expression = default_sql(arg.args[0], resolve)
            if expression:
                return f" GENERATED ALWAYS AS ({expression}) STORED"
    for keyword in column.keywords:
        if keyword.arg == "server_default":
            expression = default_sql(keyword.value, resolve)
            return f" DEFAULT {expression}" if expression else ""
    return ""


def default_sql(node: ast.expr, resolve: Resolve) -> str | None:
    """SQL for a server_default: a string is a literal, sa.text() is SQL, sa.func.f() a call."""
    value = resolve(node)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(node, ast.Call) and _callee(node) == "text" and node.args:
        text = resolve(node.args[0])
        return text if isinstance(text, str) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        if _callee_name(owner) == "func":
            return f"{node.func.attr}()"
    return None


def _alter_column(r: _Reader) -> list[str]:
    prefix = f"ALTER TABLE {r.table(0, 'table_name')}"
    column = r.name(1, "column_name") or quote("?")
    statements = []
    nullable = r.value(None, "nullable", default=UNKNOWN)
    if nullable is False:
        statements.append(f"{prefix} ALTER COLUMN {column} SET NOT NULL")
    elif nullable is True:
        statements.append(f"{prefix} ALTER COLUMN {column} DROP NOT NULL")
    if "type_" in r.call.kwargs:
        statements.append(f"{prefix} ALTER COLUMN {column} TYPE text")
    if "server_default" in r.call.kwargs:
        node = r.call.kwargs["server_default"]
        value = r.resolve(node)
        if value is None:
            statements.append(f"{prefix} ALTER COLUMN {column} DROP DEFAULT")
        elif value is not False:
            expression = default_sql(node, r.resolve) or "NULL"
            statements.append(f"{prefix} ALTER COLUMN {column} SET DEFAULT {expression}")
    new_name = r.name(None, "new_column_name")
    if new_name is not None:
        statements.append(f"{prefix} RENAME COLUMN {column} TO {new_name}")
    return statements


def _create_foreign_key(r: _Reader) -> list[str]:
    name = r.name(0, "constraint_name") or quote("?")
    source = r.table(1, "source_table", "source_schema")
    referent = r.table(2, "referent_table", "referent_schema")
    sql = (
        f"ALTER TABLE {source} ADD CONSTRAINT {name} FOREIGN KEY ({r.columns(3, 'local_cols')}) "
        f"REFERENCES {referent} ({r.columns(4, 'remote_cols')})"
    )
    return [sql + (" NOT VALID" if r.flag("postgresql_not_valid") else "")]


def _create_check_constraint(r: _Reader) -> list[str]:
    name = r.name(0, "constraint_name") or quote("?")
    node = r.call.arg(2, "condition")
    condition = r.resolve(node) if node is not None else None
    if isinstance(node, ast.Call) and _callee(node) == "text" and node.args:
        condition = r.resolve(node.args[0])
    check = condition if isinstance(condition, str) else "true"
    sql = f"ALTER TABLE {r.table(1, 'table_name')} ADD CONSTRAINT {name} CHECK ({check})"
    return [sql + (" NOT VALID" if r.flag("postgresql_not_valid") else "")]


def _keyed_constraint(kind: str) -> Callable[[_Reader], list[str]]:
    def render_constraint(r: _Reader) -> list[str]:
        name = r.name(0, "constraint_name") or quote("?")
        columns = r.columns(2, "columns")
        return [f"ALTER TABLE {r.table(1, 'table_name')} ADD CONSTRAINT {name} {kind} ({columns})"]

    return render_constraint


def _drop_constraint(r: _Reader) -> list[str]:
    name = r.name(0, "constraint_name") or quote("?")
    return [f"ALTER TABLE {r.table(1, 'table_name')} DROP CONSTRAINT {name}"]


def _drop_column(r: _Reader) -> list[str]:
    column = r.name(1, "column_name") or quote("?")
    return [f"ALTER TABLE {r.table(0, 'table_name')} DROP COLUMN {column}"]


def _rename_table(r: _Reader) -> list[str]:
    new_name = r.name(1, "new_table_name") or quote("?")
    return [f"ALTER TABLE {r.table(0, 'old_table_name')} RENAME TO {new_name}"]


def _callee(node: ast.expr) -> str | None:
    return _callee_name(node.func) if isinstance(node, ast.Call) else None


def _callee_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


_RENDERERS: dict[str, Callable[[_Reader], list[str]]] = {
    "create_index": _create_index,
    "drop_index": _drop_index,
    "create_table": _create_table,
    "add_column": _add_column,
    "alter_column": _alter_column,
    "create_foreign_key": _create_foreign_key,
    "create_check_constraint": _create_check_constraint,
    "create_unique_constraint": _keyed_constraint("UNIQUE"),
    "create_primary_key": _keyed_constraint("PRIMARY KEY"),
    "drop_constraint": _drop_constraint,
    "drop_column": _drop_column,
    "rename_table": _rename_table,
}
