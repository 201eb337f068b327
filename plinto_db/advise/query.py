"""What one query asks of each table it reads, from PostgreSQL's own grammar (pglast).

Pure: SQL text in, one TableUse per table the statement reads (FROM, JOIN, UPDATE, DELETE):
the columns or expressions it compares with `=` (or IN, `= ANY`), those it bounds with a range,
its ORDER BY, the constant predicates it states (`status = 'active'`, `revoked_at IS NULL`, a
boolean column), and every column it reads (None when it reads whole rows: `SELECT *`, an
UPDATE). Only the top-level AND of the WHERE clause and JOIN ... ON counts: an OR or a
subquery gives no key. Nothing here connects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

EQUALITY = "="
RANGE_OPERATORS = frozenset({"<", ">", "<=", ">="})
# jsonb and array operators a GIN index serves (jsonb_ops, array_ops)
CONTAINMENT_OPERATORS = frozenset({"@>", "?", "?|", "?&", "&&"})


@dataclass(frozen=True)
class Key:
    """A column or an expression over one table's columns, as an index key would write it."""

    text: str  # `email`, `lower(email)`, `user_metadata ->> 'external_id'`
    column: str | None  # the column when the key is a plain column
    descending: bool = False

    @property
    def is_expression(self) -> bool:
        return self.column is None


@dataclass
class TableUse:
    """What the statement asks of one table."""

    schema: str | None
    table: str
    alias: str
    equalities: list[Key] = field(default_factory=list)
    ranges: list[Key] = field(default_factory=list)
    containments: list[Key] = field(default_factory=list)  # `@>`, `?`: a GIN index's job
    order_by: list[Key] = field(default_factory=list)
    constants: list[tuple[Key, str]] = field(default_factory=list)  # (key, predicate SQL)
    columns: set[str] | None = field(default_factory=set)  # None: whole rows

    def add(self, bucket: list, item: Any) -> None:
        if item not in bucket:
            bucket.append(item)


class _Tables:
    """The tables of a statement by alias, and which one an unqualified column belongs to."""

    def __init__(self, uses: list[TableUse], columns_of: Mapping[str, frozenset[str]]):
        self.uses = uses
        self.columns_of = columns_of

    def owner(self, fields: tuple[str, ...]) -> TableUse | None:
        if len(fields) >= 2:
            qualifier = fields[-2]
            return next((u for u in self.uses if u.alias == qualifier), None)
        if len(self.uses) == 1:
            return self.uses[0]
        having = [u for u in self.uses if fields[-1] in self.columns_of.get(u.table, ())]
        return having[0] if len(having) == 1 else None


def table_uses(sql: str, columns_of: Mapping[str, frozenset[str]] | None = None) -> list[TableUse]:
    """One TableUse per table the statement reads; [] for what it cannot read (no error)."""
    from pglast import ast, parse_sql
    from pglast.parser import ParseError

    try:
        statements = parse_sql(sql)
    except ParseError:
        return []
    if len(statements) != 1:
        return []
    stmt = statements[0].stmt
    uses: list[TableUse] = []
    conditions: list[Any] = []
    if isinstance(stmt, ast.SelectStmt):
        if stmt.op != 0 or not stmt.fromClause:  # UNION and friends: each arm is its own query
            return []
        for item in stmt.fromClause:
            _from_item(item, uses, conditions)
        conditions.append(stmt.whereClause)
    elif isinstance(stmt, (ast.UpdateStmt, ast.DeleteStmt)):
        uses.append(_use(stmt.relation))
        for item in getattr(stmt, "fromClause", None) or getattr(stmt, "usingClause", None) or ():
            _from_item(item, uses, conditions)
        conditions.append(stmt.whereClause)
        uses[0].columns = None  # the row is written: the heap is read whatever the index
    else:
        return []
    tables = _Tables(uses, columns_of or {})
    if isinstance(stmt, ast.SelectStmt):
        _read_columns(stmt, tables)  # first: reading keys strips their qualifiers
    for condition in conditions:
        for conjunct in _conjuncts(condition):
            _predicate(conjunct, tables)
    if isinstance(stmt, ast.SelectStmt):
        _order_by(stmt.sortClause or (), tables)
    return uses


def _use(range_var: Any) -> TableUse:
    alias = range_var.alias.aliasname if range_var.alias else range_var.relname
    return TableUse(range_var.schemaname, range_var.relname, alias)


def _from_item(item: Any, uses: list[TableUse], conditions: list[Any]) -> None:
    from pglast import ast

    if isinstance(item, ast.RangeVar):
        uses.append(_use(item))
    elif isinstance(item, ast.JoinExpr):
        _from_item(item.larg, uses, conditions)
        _from_item(item.rarg, uses, conditions)
        if item.jointype == 0:  # an inner join's ON narrows both sides like a WHERE
            conditions.append(item.quals)


def _conjuncts(node: Any) -> Iterator[Any]:
    from pglast import ast

    if node is None:
        return
    if isinstance(node, ast.BoolExpr) and node.boolop == 0:  # AND
        for arg in node.args:
            yield from _conjuncts(arg)
    else:
        yield node


def _predicate(node: Any, tables: _Tables) -> None:
    from pglast import ast
    from pglast.enums import A_Expr_Kind, BoolExprType, NullTestType

    if isinstance(node, ast.A_Expr):
        name = node.name[-1].sval if node.name else ""
        if node.kind == A_Expr_Kind.AEXPR_BETWEEN:
            _compare(node.lexpr, node.rexpr, "range", tables)
        elif node.kind in (A_Expr_Kind.AEXPR_IN, A_Expr_Kind.AEXPR_OP_ANY) and name == EQUALITY:
            _compare(node.lexpr, node.rexpr, "eq", tables)
        elif node.kind == A_Expr_Kind.AEXPR_OP and name == EQUALITY:
            _compare(node.lexpr, node.rexpr, "eq", tables)
            _compare(node.rexpr, node.lexpr, "eq", tables)
        elif node.kind == A_Expr_Kind.AEXPR_OP and name in RANGE_OPERATORS:
            _compare(node.lexpr, node.rexpr, "range", tables)
            _compare(node.rexpr, node.lexpr, "range", tables)
        elif node.kind == A_Expr_Kind.AEXPR_OP and name in CONTAINMENT_OPERATORS:
            _compare(node.lexpr, node.rexpr, name, tables)
    elif isinstance(node, ast.NullTest) and isinstance(node.arg, ast.ColumnRef):
        found = _key(node.arg, tables)
        if found:
            use, key = found
            test = "IS NULL" if node.nulltesttype == NullTestType.IS_NULL else "IS NOT NULL"
            use.add(use.constants, (key, f"{key.text} {test}"))
    elif isinstance(node, ast.ColumnRef):  # a boolean column on its own: `WHERE active`
        found = _key(node, tables)
        if found:
            found[0].add(found[0].constants, (found[1], found[1].text))
    elif (
        isinstance(node, ast.BoolExpr)
        and node.boolop == BoolExprType.NOT_EXPR
        and isinstance(node.args[0], ast.ColumnRef)
    ):
        found = _key(node.args[0], tables)
        if found:
            found[0].add(found[0].constants, (found[1], f"NOT {found[1].text}"))


def _compare(side: Any, other: Any, kind: str, tables: _Tables) -> None:
    """`side` is a key of one table when `other` is a value (or another table's column).

    `kind`: "eq", "range", or a containment operator."""
    found = _key(side, tables)
    if found is None:
        return
    use, key = found
    if not _is_value(other, tables, use):
        return
    literal = _literal(other)
    if kind == "range":
        use.add(use.ranges, key)
        return
    if kind == "eq":
        use.add(use.equalities, key)
    else:
        use.add(use.containments, key)
    if literal is not None:
        operator = "=" if kind == "eq" else kind
        use.add(use.constants, (key, f"{key.text} {operator} {literal}"))


def _key(node: Any, tables: _Tables) -> tuple[TableUse, Key] | None:
    """The table and key `node` is: a column, or an expression over one table's columns."""
    from pglast import ast
    from pglast.stream import RawStream

    if isinstance(node, ast.ColumnRef):
        fields = _fields(node)
        if fields is None:
            return None
        use = tables.owner(fields)
        return (use, Key(_ident(fields[-1]), fields[-1])) if use else None
    if not isinstance(node, (ast.FuncCall, ast.A_Expr, ast.TypeCast, ast.CoalesceExpr)):
        return None
    refs = list(_column_refs(node))
    if not refs or _has_param(node):
        return None
    owners = {id(u): u for u in (tables.owner(f) for f in refs) if u is not None}
    if len(owners) != 1 or any(tables.owner(f) is None for f in refs):
        return None
    for ref in _nodes(node, ast.ColumnRef):  # an index expression names bare columns
        fields = _fields(ref)
        if fields:
            ref.fields = ref.fields[-1:]
    return next(iter(owners.values())), Key(RawStream()(node), None)


def _is_value(node: Any, tables: _Tables, own: TableUse) -> bool:
    """A parameter, a constant, an expression of those, or another table's column."""
    from pglast import ast

    if isinstance(node, (ast.ParamRef, ast.A_Const)):
        return True
    if isinstance(node, ast.ColumnRef):
        fields = _fields(node)
        owner = tables.owner(fields) if fields else None
        return owner is not None and owner is not own
    if isinstance(node, (ast.SubLink, ast.A_Star)):
        return False
    if isinstance(node, (ast.TypeCast, ast.FuncCall, ast.A_Expr, ast.A_ArrayExpr, list, tuple)):
        return not list(_column_refs(node))
    return False


def _literal(node: Any) -> str | None:
    """The SQL of a constant (`'active'`, `42`, `'x'::text`), None for anything else."""
    from pglast import ast
    from pglast.stream import RawStream

    inner = node.arg if isinstance(node, ast.TypeCast) else node
    if isinstance(inner, ast.A_Const) and not inner.isnull:
        return RawStream()(node)
    return None


def _order_by(sort_clause: Any, tables: _Tables) -> None:
    from pglast.enums import SortByDir

    keys: list[tuple[TableUse, Key]] = []
    for item in sort_clause:
        found = _key(item.node, tables)
        if found is None:
            return  # an ORDER BY an index cannot give (an alias, a computed value)
        use, key = found
        descending = item.sortby_dir == SortByDir.SORTBY_DESC
        keys.append((use, Key(key.text, key.column, descending)))
    if keys and len({id(u) for u, _ in keys}) == 1:
        use = keys[0][0]
        use.order_by.extend(k for _, k in keys)


def _read_columns(stmt: Any, tables: _Tables) -> None:
    """Every column each table is read for; whole rows (`*`, `t.*`) make it None."""
    from pglast import ast

    parts = [stmt.targetList, stmt.whereClause, stmt.sortClause, stmt.groupClause]
    parts += [stmt.havingClause, *(_join_quals(stmt.fromClause or ()))]
    for part in parts:
        for ref in _nodes(part, ast.ColumnRef):
            fields = tuple(f.sval if isinstance(f, ast.String) else "*" for f in (ref.fields or ()))
            if fields and fields[-1] == "*":
                for use in tables.uses:
                    if len(fields) == 1 or use.alias == fields[0]:
                        use.columns = None
                continue
            use = tables.owner(fields) if fields else None
            if use is not None and use.columns is not None:
                use.columns.add(fields[-1])
            elif use is None:  # a column we cannot place: no table can be read index-only
                for other in tables.uses:
                    other.columns = None


def _join_quals(items: Any) -> Iterator[Any]:
    from pglast import ast

    for item in items:
        if isinstance(item, ast.JoinExpr):
            yield item.quals
            yield from _join_quals((item.larg, item.rarg))


def _fields(ref: Any) -> tuple[str, ...] | None:
    from pglast import ast

    fields = tuple(f.sval for f in ref.fields or () if isinstance(f, ast.String))
    return fields if fields and len(fields) == len(ref.fields) else None


def _ident(name: str) -> str:
    from plinto_db.pg.identifiers import quote_ident

    return quote_ident(name)


def _column_refs(node: Any) -> Iterator[tuple[str, ...]]:
    from pglast import ast

    for ref in _nodes(node, ast.ColumnRef):
        fields = _fields(ref)
        if fields:
            yield fields


def _has_param(node: Any) -> bool:
    from pglast import ast

    return any(True for _ in _nodes(node, ast.ParamRef))


def _nodes(node: Any, kind: type) -> Iterator[Any]:
    """Every node of `kind` under `node` (not into subqueries: they are queries of their own)."""
    from pglast import ast

    if node is None:
        return
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _nodes(item, kind)
        return
    if not isinstance(node, ast.Node) or isinstance(node, ast.SubLink):
        return
    if isinstance(node, kind):
        yield node
    for name in node:
        yield from _nodes(getattr(node, name), kind)
