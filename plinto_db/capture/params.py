"""What each `$n` of a statement is compared with, read with PostgreSQL's own grammar.

pg_stat_statements keeps no parameter values, so capture draws them from the data: `$n` in
`users.email = $1`, `$1 = u.email`, `email IN ($1, $2)` (one `$n` per element before
PostgreSQL 18, `IN ($1 /*, ... */)` from 18), `created_at > $2::timestamptz`, `BETWEEN $1
AND $2`, `LIKE $1` is sampled from that column; `lower(email) = $1` from that expression
over its table; `id = ANY($1)` as an array of the column's values; `SET col = $1` of an
UPDATE from the column it is assigned to; `LIMIT $n` and `OFFSET $n` get fixed values. A
`$n` with none of these (`now() - $1::interval`, a column of a subquery or CTE) has no
source: the statement is planned generically.

Pure code: the table columns it needs come in as a function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind
from pglast.parser import ParseError
from pglast.stream import RawStream

from plinto_db.capture.statements import QName
from plinto_db.check.generic import _nodes  # one walker over pglast trees
from plinto_db.pg.identifiers import quote_ident

Columns = Callable[[QName], frozenset[str] | None]  # a table's columns; None: not a table


class SourceKind(StrEnum):
    COLUMN = "column"  # a value of the column (or expression) on `table`
    ARRAY = "array"  # `= ANY($n)`: an array of the column's values
    LIMIT = "limit"
    OFFSET = "offset"


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    table: QName | None = None
    expression: str = ""  # SQL over the table's columns, unqualified (`email`, `lower(email)`)

    def describe(self) -> str:
        if self.kind in (SourceKind.LIMIT, SourceKind.OFFSET):
            return self.kind.value.upper()
        schema, name = self.table or (None, "?")
        table = f"{quote_ident(schema)}.{quote_ident(name)}" if schema else quote_ident(name)
        return f"{self.expression} of {table}"


_COMPARISONS = frozenset(
    {
        A_Expr_Kind.AEXPR_OP,
        A_Expr_Kind.AEXPR_OP_ANY,
        A_Expr_Kind.AEXPR_IN,
        A_Expr_Kind.AEXPR_LIKE,
        A_Expr_Kind.AEXPR_ILIKE,
        A_Expr_Kind.AEXPR_BETWEEN,
        A_Expr_Kind.AEXPR_NOT_BETWEEN,
        A_Expr_Kind.AEXPR_DISTINCT,
        A_Expr_Kind.AEXPR_NOT_DISTINCT,
    }
)


# operators whose operands are values of one kind, so the column's own value fits `$n`; the
# rest (`->>`, `?`, `#>`, `||`, arithmetic ...) take a key, a path or an operand of another
# kind: a value drawn from the column would plan a nonsense query (`meta ? '{}'`)
_VALUE_OPERATORS = frozenset(
    {"=", "<>", "!=", "<", "<=", ">", ">=", "~", "~*", "!~", "!~*", "@>", "<@", "&&"}
)


def parameter_sources(sql: str, columns: Columns) -> dict[int, Source]:
    """$n -> where a real value for it can be drawn from (parameters without one are absent)."""
    try:
        parsed = parse_sql(sql)
    except ParseError:
        return {}
    if len(parsed) != 1:
        return {}
    found: dict[int, Source] = {}
    _visit(parsed[0].stmt, _Scope((), None), columns, found)
    return found


@dataclass(frozen=True)
class _Scope:
    """The tables a column reference may name here: (alias or name, table), innermost first."""

    tables: tuple[tuple[str, QName], ...]
    outer: _Scope | None

    def resolve(self, fields: tuple[str, ...], columns: Columns) -> QName | None:
        qualifier, column = fields[:-1], fields[-1]
        scope: _Scope | None = self
        while scope is not None:
            if qualifier:
                for name, table in scope.tables:
                    if name == qualifier[-1] and (len(qualifier) == 1 or qualifier[0] == table[0]):
                        return table
            else:
                having = [t for _, t in scope.tables if column in (columns(t) or ())]
                if len(having) == 1:
                    return having[0]
                if having:
                    return None  # ambiguous: the server would refuse it too
            scope = scope.outer
        return None


def _visit(node: Any, scope: _Scope, columns: Columns, found: dict[int, Source]) -> None:
    if isinstance(node, list | tuple):
        for child in node:
            _visit(child, scope, columns, found)
        return
    if not isinstance(node, ast.Node):
        return
    if isinstance(node, ast.SelectStmt | ast.UpdateStmt | ast.DeleteStmt):
        scope = _Scope(tuple(_range_tables(node, columns)), scope)
        _limits(node, found)
        if isinstance(node, ast.UpdateStmt):
            _assignments(node, scope, columns, found)
    elif isinstance(node, ast.A_Expr) and node.kind in _COMPARISONS:
        _comparison(node, scope, columns, found)
    for name in node:
        _visit(getattr(node, name), scope, columns, found)


def _range_tables(node: Any, columns: Columns) -> Iterator[tuple[str, QName]]:
    """The tables a statement's FROM (or UPDATE/DELETE target, USING) brings into scope."""
    items: list[Any] = []
    for attribute in ("relation", "fromClause", "usingClause"):
        value = getattr(node, attribute, None)
        if value is not None:
            items.extend(value if isinstance(value, tuple | list) else [value])
    while items:
        item = items.pop(0)
        if isinstance(item, ast.JoinExpr):
            items[:0] = [item.larg, item.rarg]
        elif isinstance(item, ast.RangeVar):
            table = (item.schemaname, item.relname)
            if columns(table) is not None:  # not a CTE or an unknown relation
                yield (item.alias.aliasname if item.alias else item.relname), table


def _limits(node: Any, found: dict[int, Source]) -> None:
    for attribute, kind in (("limitCount", SourceKind.LIMIT), ("limitOffset", SourceKind.OFFSET)):
        number = _param_number(getattr(node, attribute, None))
        if number is not None:
            found.setdefault(number, Source(kind))


def _assignments(node: ast.UpdateStmt, scope: _Scope, columns: Columns, found: dict) -> None:
    relation = node.relation
    table = (relation.schemaname, relation.relname)
    for target in node.targetList or ():
        number = _param_number(getattr(target, "val", None))
        if number is not None and target.name and not target.indirection:
            if target.name in (columns(table) or ()):
                found.setdefault(number, Source(SourceKind.COLUMN, table, quote_ident(target.name)))


def _comparison(node: ast.A_Expr, scope: _Scope, columns: Columns, found: dict) -> None:
    if node.kind in (A_Expr_Kind.AEXPR_OP, A_Expr_Kind.AEXPR_OP_ANY):
        if node.name[-1].sval not in _VALUE_OPERATORS:
            return
    sides = [(node.lexpr, node.rexpr), (node.rexpr, node.lexpr)]
    for value_side, other in sides:
        numbers = _param_numbers(value_side)
        if not numbers:
            continue
        source = _source_of(other, scope, columns)
        if source is None:
            continue
        kind = SourceKind.ARRAY if node.kind is A_Expr_Kind.AEXPR_OP_ANY else SourceKind.COLUMN
        for number in numbers:
            found.setdefault(number, Source(kind, source[0], source[1]))


def _param_numbers(side: Any) -> list[int]:
    """The `$n` a comparison side is: one parameter, or a list of them (IN, BETWEEN)."""
    if isinstance(side, tuple | list):
        numbers = [_param_number(item) for item in side]
        return [n for n in numbers if n is not None]
    number = _param_number(side)
    return [number] if number is not None else []


def _param_number(node: Any) -> int | None:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return node.number if isinstance(node, ast.ParamRef) else None


def _source_of(node: Any, scope: _Scope, columns: Columns) -> tuple[QName, str] | None:
    """The table and unqualified SQL of a column, or of an expression over one table's
    columns (and no parameter); None otherwise."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if node is None or isinstance(node, tuple | list):
        return None
    refs = [n for n in _nodes(node) if isinstance(n, ast.ColumnRef)]
    if not refs or any(isinstance(n, ast.ParamRef | ast.SubLink) for n in _nodes(node)):
        return None
    tables = set()
    for ref in refs:
        fields = tuple(getattr(f, "sval", None) for f in ref.fields)
        if None in fields:  # `t.*`
            return None
        table = scope.resolve(fields, columns)
        if table is None:
            return None
        tables.add(table)
    if len(tables) != 1:
        return None
    for ref in refs:  # the sample reads the table under its own alias
        ref.fields = ref.fields[-1:]
    return tables.pop(), RawStream()(node)
