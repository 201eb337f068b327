"""An alembic revision read with Python's `ast`: the SQL it sends and the DDL its `op.*` emit.

Each of upgrade() and downgrade() (and the upgrade_<engine>() of a multi-database template)
is linted like a file of its own, in source order. Reading is lexical: a call inside
`with op.get_context().autocommit_block():` runs outside a transaction, any other runs
inside the one alembic opens for the revision. alembic has no per-revision opt-out of that
transaction (a module-level `transactional_ddl = False` is not read by alembic), so none is
honoured. SQL that is not a literal (an f-string, a value computed at run time) cannot be
linted: it is counted as skipped, never guessed at.
"""

from __future__ import annotations

import ast
import io
import textwrap
import tokenize
from collections.abc import Collection
from dataclasses import dataclass, field

from pglast import parser

from plinto_db.lint.alembic_ops import UNKNOWN, OpCall, render
from plinto_db.lint.context import RawStatement
from plinto_db.lint.model import Origin, Transaction
from plinto_db.lint.positions import Placement
from plinto_db.lint.sqltext import Problem, Where, read_statements
from plinto_db.lint.suppress import directive_rules

IN_REVISION_TRANSACTION = Transaction(
    "the transaction alembic runs each revision in",
    "put the call inside `with op.get_context().autocommit_block():`",
)
_TEXT_CALLS = frozenset({"text", "dedent"})


@dataclass(frozen=True)
class StringValue:
    text: str
    placement: Placement


@dataclass
class Scope:
    """The statements of one upgrade()/downgrade() function."""

    name: str
    statements: list[RawStatement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[tuple[int, int]] = field(default_factory=list)  # SQL that is not a literal


def is_scope(name: str) -> bool:
    return name in ("upgrade", "downgrade") or name.startswith(("upgrade_", "downgrade_"))


def is_revision(tree: ast.Module) -> bool:
    """A module with a top-level upgrade() that uses alembic's `op`."""
    if not any(isinstance(n, ast.FunctionDef) and is_scope(n.name) for n in tree.body):
        return False
    return any(
        (isinstance(n, ast.ImportFrom) and any(a.name == "op" for a in n.names))
        or (isinstance(n, ast.Name) and n.id == "op")
        for n in ast.walk(tree)
    )


def read_revision(
    tree: ast.Module, text: str, path: str, known_rules: Collection[str]
) -> list[Scope]:
    revision = _Revision(tree, text, path, known_rules)
    scopes = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and is_scope(node.name):
            reader = _ScopeReader(revision, Scope(node.name))
            for statement in node.body:
                reader.visit(statement)
            scopes.append(reader.scope)
    return scopes


class _Revision:
    """Module-wide facts: string constants, comments, source positions."""

    def __init__(self, tree: ast.Module, text: str, path: str, known_rules: Collection[str]):
        self.path, self.known_rules = path, known_rules
        self._lines = [line.encode() for line in text.splitlines(keepends=True)]
        self.constants: dict[str, list[StringValue] | StringValue | object] = {}
        for node in tree.body:
            target, value = _assignment(node)
            if target is not None and value is not None:
                self.constants[target] = self._constant(value)
        self.comment_rules: dict[int, frozenset[str]] = {}
        self.comment_only: set[int] = set()
        self._read_comments(text)

    def _constant(self, node: ast.expr) -> object:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return StringValue(node.value, self.placement(node))
        if isinstance(node, ast.Tuple | ast.List):
            items = [self._constant(e) for e in node.elts]
            return items if all(isinstance(i, StringValue) for i in items) else UNKNOWN
        return node.value if isinstance(node, ast.Constant) else UNKNOWN

    def _read_comments(self, text: str) -> None:
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
        except (tokenize.TokenError, SyntaxError):
            return
        for token in tokens:
            if token.type != tokenize.COMMENT:
                continue
            line = token.start[0]
            if token.line.strip().startswith("#"):
                self.comment_only.add(line)
            rules = directive_rules(token.string, self.known_rules, f"{self.path}:{line}")
            if rules:
                self.comment_rules[line] = self.comment_rules.get(line, frozenset()) | rules

    def suppressed(self, node: ast.AST) -> frozenset[str]:
        """Rule ids named by '# plinto-db: ignore[...]' on the call's lines or just above."""
        lines = set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        above = node.lineno - 1
        while above in self.comment_only:
            lines.add(above)
            above -= 1
        return frozenset().union(*(self.comment_rules.get(n, frozenset()) for n in lines))

    def column(self, lineno: int, col_offset: int) -> int:
        """ast columns are UTF-8 byte offsets; findings count characters."""
        line = self._lines[lineno - 1] if lineno - 1 < len(self._lines) else b""
        return len(line[:col_offset].decode("utf-8", errors="replace")) + 1

    def placement(self, node: ast.Constant) -> Placement:
        column = self.column(node.lineno, node.col_offset)
        segment = self._segment(node)
        body = segment.lstrip("rRuU")
        for quote in ('"""', "'''", '"', "'"):
            if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
                if body[len(quote) : -len(quote)] == node.value:
                    start = column + len(segment) - len(body) + len(quote)
                    return Placement(node.lineno, start, exact=True)
                break
        return Placement(node.lineno, column, exact=False)

    def _segment(self, node: ast.expr) -> str:
        if node.end_lineno is None or node.end_col_offset is None:
            return ""
        lines = self._lines[node.lineno - 1 : node.end_lineno]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][node.col_offset : node.end_col_offset].decode(errors="replace")
        parts = [lines[0][node.col_offset :], *lines[1:-1], lines[-1][: node.end_col_offset]]
        return b"".join(parts).decode(errors="replace")


class _ScopeReader(ast.NodeVisitor):
    def __init__(self, revision: _Revision, scope: Scope):
        self.revision, self.scope = revision, scope
        self.autocommit = 0
        self.bindings: dict[str, object] = {}  # loop variables over string constants
        self.batches: dict[str, ast.expr] = {}  # `with op.batch_alter_table(t) as name`

    def visit_With(self, node: ast.With) -> None:
        autocommit = any(_method(i.context_expr) == "autocommit_block" for i in node.items)
        for item in node.items:
            if _method(item.context_expr) == "batch_alter_table" and isinstance(
                item.optional_vars, ast.Name
            ):
                call = item.context_expr
                table = call.args[0] if call.args else _keyword(call, "table_name")
                if table is not None:
                    self.batches[item.optional_vars.id] = table
        self.autocommit += autocommit
        for statement in node.body:
            self.visit(statement)
        self.autocommit -= autocommit

    def visit_For(self, node: ast.For) -> None:
        values = self._string_list(node.iter) if isinstance(node.target, ast.Name) else None
        if values is None or not isinstance(node.target, ast.Name):
            self.generic_visit(node)
            return
        for value in values:
            self.bindings[node.target.id] = value
            for statement in node.body:
                self.visit(statement)
        self.bindings.pop(node.target.id, None)
        for statement in node.orelse:
            self.visit(statement)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = func.value.id
            if owner == "op" and func.attr == "execute":
                self._execute(node)
                return
            if owner == "op" or owner in self.batches:
                batch = self.batches.get(owner)
                self._operation(OpCall.of(func.attr, node, batch), node, f"{owner}.{func.attr}")
                return
        self.generic_visit(node)

    @property
    def _transaction(self) -> Transaction | None:
        return None if self.autocommit else IN_REVISION_TRANSACTION

    def _execute(self, node: ast.Call) -> None:
        argument = node.args[0] if node.args else _keyword(node, "sqltext")
        values = self._strings(argument) if argument is not None else None
        if values is None:
            where = (node.lineno, self.revision.column(node.lineno, node.col_offset))
            if where not in self.scope.skipped:  # a loop body is read once per value
                self.scope.skipped.append(where)
            return
        for value in values:
            where = Where(
                path=self.revision.path,
                placement=value.placement,
                origin=Origin.execute,
                suppressed=self.revision.suppressed(node),
                transaction=self._transaction,
                autocommit=bool(self.autocommit),
                call="op.execute",
            )
            text = read_statements(value.text, where, self.revision.known_rules)
            self.scope.statements.extend(text.statements)
            self.scope.problems.extend(text.problems)

    def _operation(self, call: OpCall, node: ast.Call, name: str) -> None:
        for sql in render(call, self.resolve):
            try:
                parsed = parser.parse_sql(sql)
            except parser.ParseError:
                continue  # e.g. a CHECK condition alembic would send as given: not ours to judge
            for raw in parsed:
                self.scope.statements.append(
                    RawStatement(
                        node=raw.stmt,
                        line=node.lineno,
                        column=self.revision.column(node.lineno, node.col_offset),
                        origin=Origin.op,
                        suppressed=self.revision.suppressed(node),
                        transaction=self._transaction,
                        autocommit=bool(self.autocommit),
                        call=name,
                    )
                )

    def resolve(self, node: ast.expr) -> object:
        """A literal's Python value (strings, lists of strings, flags, None), else UNKNOWN."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            value = self.bindings.get(node.id, self.revision.constants.get(node.id, UNKNOWN))
            if isinstance(value, list):
                return [v.text if isinstance(v, StringValue) else v for v in value]
            return value.text if isinstance(value, StringValue) else value
        if isinstance(node, ast.List | ast.Tuple):
            return [self.resolve(e) for e in node.elts]
        if isinstance(node, ast.Call) and _method(node) == "f" and len(node.args) == 1:
            return self.resolve(node.args[0])  # op.f("ix_name"): the name as given
        return UNKNOWN

    def _strings(self, node: ast.expr) -> list[StringValue] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [StringValue(node.value, self.revision.placement(node))]
        if isinstance(node, ast.Name):
            value = self.bindings.get(node.id, self.revision.constants.get(node.id))
            return [value] if isinstance(value, StringValue) else None
        if isinstance(node, ast.Call) and _method(node) in _TEXT_CALLS and node.args:
            inner = self._strings(node.args[0])
            if inner is None or _method(node) == "text":
                return inner
            return [_dedented(v) for v in inner]
        return None

    def _string_list(self, node: ast.expr) -> list[StringValue] | None:
        if isinstance(node, ast.Name):
            value = self.revision.constants.get(node.id)
            return value if isinstance(value, list) else None
        if isinstance(node, ast.List | ast.Tuple):
            values = [self._strings(e) for e in node.elts]
            if all(v is not None and len(v) == 1 for v in values):
                return [v[0] for v in values if v]
        return None


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def _method(node: ast.expr) -> str | None:
    """The name a call calls: `text` for sa.text(...) and text(...)."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return node.func.id if isinstance(node.func, ast.Name) else None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _dedented(value: StringValue) -> StringValue:
    """textwrap.dedent(value): the same lines, each shorter by the common indentation."""
    text = textwrap.dedent(value.text)
    before = next((line for line in value.text.splitlines() if line.strip()), "")
    after = next((line for line in text.splitlines() if line.strip()), "")
    indent = len(before) - len(after)
    place = value.placement
    return StringValue(text, Placement(place.line, place.column, place.exact, indent))
