"""The CREATE INDEX fixes doctor prints: named as PostgreSQL names an index, built without
blocking writes, on a plain table or down a partitioned table's tree. Pure.

PostgreSQL refuses CREATE INDEX CONCURRENTLY on a partitioned table. The non-blocking way is
`CREATE INDEX ... ON ONLY parent` (the catalog entry alone, INVALID while a partition lacks
its index), then each partition's index built CONCURRENTLY and attached with `ALTER INDEX
parent ATTACH PARTITION child`; the parent turns valid when the last one is attached. A
sub-partitioned partition gets the same recipe one level down. A foreign-table partition
takes no index, so an ON ONLY index would stay INVALID: there the plain CREATE INDEX on the
partitioned table is the only way, and it blocks writes for the build.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from plinto_db.doctor.model import (
    AttachedIndexFact,
    Facts,
    IndexFact,
    PartitionFact,
    TableFact,
    qualified,
)
from plinto_db.pg.identifiers import MAX_IDENTIFIER_BYTES, quote_ident, truncated

# lint's rule against a blocking build: the foreign-partition fallback blocks knowingly
BLOCKING_OK = "  -- plinto-db: ignore[require-concurrent-index-creation]"


class Names:
    """Index names chosen as PostgreSQL chooses them for an index that backs no constraint
    (ChooseIndexName): table_columns_idx, unique or not, cut to 63 bytes (the longer part
    first), then idx1, idx2... while the name is taken by a relation of the schema or by a
    name chosen earlier (`chosen`: one set for every check of a report)."""

    def __init__(
        self, taken: Iterable[tuple[str, str]], chosen: set[tuple[str, str]] | None = None
    ):
        self._taken = frozenset(taken)
        self._chosen = set() if chosen is None else chosen

    def choose(self, schema: str, table: str, columns: Sequence[str]) -> str:
        addition = _columns_part(columns)
        tried, attempt = "idx", 0
        while True:
            name = _object_name(table, addition, tried)
            if (schema, name) not in self._taken and (schema, name) not in self._chosen:
                self._chosen.add((schema, name))
                return name
            attempt += 1
            tried = f"idx{attempt}"


def report_names(facts: Facts) -> Names:
    """The names of one report: unique against the schema and every fix of the report."""
    return Names(facts.relation_names, facts.chosen_index_names)


def _columns_part(columns: Sequence[str]) -> str:
    """ChooseIndexNameAddition: the column names joined by `_`, stopping past 63 bytes."""
    part = ""
    for column in _distinct(columns):
        part = f"{part}_{column}" if part else column
        if len(part.encode()) > MAX_IDENTIFIER_BYTES:
            break
    return part


def _distinct(columns: Sequence[str]) -> list[str]:
    """ChooseIndexColumnNames: a repeated name gets a number (expr, expr1, ...)."""
    found: list[str] = []
    for column in columns:
        name, number = column, 0
        while name in found:
            number += 1
            name = truncated(column, MAX_IDENTIFIER_BYTES - len(str(number))) + str(number)
        found.append(name)
    return found


def _object_name(table: str, addition: str, label: str) -> str:
    """makeObjectName: table_addition_label within 63 bytes, trimming the longer part first,
    never inside a character."""
    first, second = table.encode(), addition.encode()
    room = MAX_IDENTIFIER_BYTES - len(label) - 1 - (1 if second else 0)
    keep_first, keep_second = len(first), len(second)
    while keep_first + keep_second > room:
        if keep_first > keep_second:
            keep_first -= 1
        else:
            keep_second -= 1
    parts = [truncated(table, keep_first), truncated(addition, keep_second), label]
    return "_".join(part for part in parts if part)


@dataclass(frozen=True)
class IndexShape:
    """What every index of the build shares: the part after `ON table`, how names are made."""

    body: str  # e.g. `(customer_id)` or `USING btree (lower(email)) WHERE active`
    columns: tuple[str, ...]  # the names the index name is made of (see index_columns)
    unique: bool = False

    @property
    def create(self) -> str:
        return "CREATE UNIQUE INDEX" if self.unique else "CREATE INDEX"


@dataclass(frozen=True)
class Build:
    name: str  # the new index, unqualified (it lives in its table's schema)
    statements: tuple[str, ...]
    blocking: str | None = None  # why the build blocks writes (a foreign-table partition)

    @property
    def partitioned(self) -> bool:
        return len(self.statements) > 1 or self.blocking is not None


def build_index(
    facts: Facts, names: Names, table: TableFact | PartitionFact, shape: IndexShape
) -> Build:
    """The statements that build the index on `table` without blocking its writes."""
    name = names.choose(table.schema, table.name, shape.columns)
    if table.relkind != "p":
        create = f"{shape.create} CONCURRENTLY {quote_ident(name)} ON {table.qualified_name}"
        return Build(name, (f"{create} {shape.body};",))
    foreign = foreign_partition(facts, table.oid)
    if foreign is not None:
        create = f"{shape.create} {quote_ident(name)} ON {table.qualified_name} {shape.body};"
        why = f"partition {foreign.qualified_name} is a foreign table, which takes no index"
        return Build(name, (create + BLOCKING_OK,), why)
    on_only = f"{shape.create} {quote_ident(name)} ON ONLY {table.qualified_name} {shape.body};"
    return Build(name, (on_only, *_each_partition(facts, names, table, name, shape)))


def attach_missing(
    facts: Facts, names: Names, index: IndexFact | AttachedIndexFact, shape: IndexShape
) -> list[str]:
    """For a partitioned index: build and attach an index on each partition that has none
    attached to it, and complete the partitioned indexes attached below it."""
    statements = []
    attached = {i.table_oid: i for i in facts.attached_to(index.oid)}
    parent = qualified(index.schema, index.name)
    for partition in facts.partitions_of(index.table_oid):
        child = attached.get(partition.oid)
        if partition.relkind == "f":
            continue  # takes no index: see foreign_partition
        if child is None:
            build = build_index(facts, names, partition, shape)
            statements += build.statements
            statements.append(_attach(parent, partition.schema, build.name))
        elif child.partitioned and not child.valid:
            statements += attach_missing(facts, names, child, shape)
    return statements


def _each_partition(
    facts: Facts, names: Names, table: TableFact | PartitionFact, parent: str, shape: IndexShape
) -> list[str]:
    statements = []
    for partition in facts.partitions_of(table.oid):
        build = build_index(facts, names, partition, shape)
        statements += build.statements
        statements.append(_attach(qualified(table.schema, parent), partition.schema, build.name))
    return statements


def _attach(parent: str, schema: str, child: str) -> str:
    return f"ALTER INDEX {parent} ATTACH PARTITION {qualified(schema, child)};"


def foreign_partition(facts: Facts, table_oid: int) -> PartitionFact | None:
    """A foreign-table partition anywhere under the table: an ON ONLY index never turns valid."""
    for partition in facts.partitions_of(table_oid):
        if partition.relkind == "f":
            return partition
        if partition.relkind == "p":
            below = foreign_partition(facts, partition.oid)
            if below is not None:
                return below
    return None


def shape_of(index: IndexFact) -> IndexShape | None:
    """The shape of an existing index, from its definition (read for INVALID indexes)."""
    marker = f" USING {index.method} ("
    if index.definition is None or marker not in index.definition:
        return None
    columns = index_columns(index.definition)
    if columns is None:
        return None
    body = index.definition[index.definition.index(marker) + 1 :]
    return IndexShape(body, columns, index.unique)


def index_columns(definition: str) -> tuple[str, ...] | None:
    """ChooseIndexColumnNames for a CREATE INDEX statement: the name of each key and INCLUDE
    column; an expression's as FigureIndexColname gives it (lower(email): lower), else expr.
    None when the statement does not parse."""
    from pglast import ast, parse_sql
    from pglast.parser import ParseError

    try:
        statement = parse_sql(definition)[0].stmt
    except (ParseError, IndexError):
        return None
    if not isinstance(statement, ast.IndexStmt):
        return None
    elements = (*statement.indexParams, *(statement.indexIncludingParams or ()))
    return tuple(e.name or _figure(e.expr)[0] or "expr" for e in elements)


# FigureColnameInternal's expressions that are named like a function
_AS_FUNCTION = {
    "A_ArrayExpr": "array",
    "RowExpr": "row",
    "CoalesceExpr": "coalesce",
    "GroupingFunc": "grouping",
    "XmlSerialize": "xmlserialize",
    "JsonParseExpr": "json",
    "JsonScalarExpr": "json_scalar",
    "JsonSerializeExpr": "json_serialize",
    "JsonObjectConstructor": "json_object",
    "JsonArrayConstructor": "json_array",
    "JsonArrayQueryConstructor": "json_array",
}


def _figure(node: object) -> tuple[str | None, int]:
    """FigureColnameInternal (parse_target.c): a name for an expression and how strong it is
    (2: a column's or a function's, 1: a cast's type or `case`, 0: none)."""
    from pglast import ast, enums

    kind = type(node).__name__
    if kind in _AS_FUNCTION:
        return _AS_FUNCTION[kind], 2
    if isinstance(node, ast.ColumnRef | ast.A_Indirection):
        parts = node.fields if isinstance(node, ast.ColumnRef) else node.indirection
        fields = [part.sval for part in parts or () if isinstance(part, ast.String)]
        if fields:
            return fields[-1], 2
        return _figure(node.arg) if isinstance(node, ast.A_Indirection) else (None, 0)
    if isinstance(node, ast.FuncCall):
        return node.funcname[-1].sval, 2
    if isinstance(node, ast.A_Expr) and node.kind == enums.A_Expr_Kind.AEXPR_NULLIF:
        return "nullif", 2
    if isinstance(node, ast.TypeCast):
        name, strength = _figure(node.arg)
        if strength <= 1 and node.typeName is not None:
            return node.typeName.names[-1].sval, 1
        return name, strength
    if isinstance(node, ast.CollateClause):
        return _figure(node.arg)
    if isinstance(node, ast.CaseExpr):
        name, strength = _figure(node.defresult)
        return (name, strength) if strength > 1 else ("case", 1)
    if isinstance(node, ast.MinMaxExpr):
        return ("greatest" if node.op == enums.MinMaxOp.IS_GREATEST else "least"), 2
    if isinstance(node, ast.XmlExpr) and node.op != enums.XmlExprOp.IS_DOCUMENT:
        return node.op.name.removeprefix("IS_").lower(), 2
    if isinstance(node, ast.JsonFuncExpr):
        return node.op.name.removesuffix("_OP").lower(), 2
    return None, 0
