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

from plinto_db.doctor.model import Facts, IndexFact, PartitionFact, TableFact, qualified
from plinto_db.pg.identifiers import MAX_IDENTIFIER_BYTES, quote_ident

# lint's rule against a blocking build: the foreign-partition fallback blocks knowingly
BLOCKING_OK = "  -- plinto-db: ignore[require-concurrent-index-creation]"


class Names:
    """Index names chosen as PostgreSQL chooses them (ChooseRelationName): table_columns_idx,
    cut to 63 bytes (the longer part first), then idx1, idx2... while the name is taken by a
    relation of the schema or by a name chosen earlier in the same report."""

    def __init__(self, taken: Iterable[tuple[str, str]]):
        self._taken = set(taken)

    def choose(self, schema: str, table: str, columns: Sequence[str], label: str = "idx") -> str:
        addition = _columns_part(columns)
        tried, attempt = label, 0
        while True:
            name = _object_name(table, addition, tried)
            if (schema, name) not in self._taken:
                self._taken.add((schema, name))
                return name
            attempt += 1
            tried = f"{label}{attempt}"


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
            name = _clip(column.encode(), MAX_IDENTIFIER_BYTES - len(str(number))) + str(number)
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
    parts = [_clip(first, keep_first), _clip(second, keep_second), label]
    return "_".join(part for part in parts if part)


def _clip(text: bytes, size: int) -> str:
    return text[:size].decode("utf-8", errors="ignore")


@dataclass(frozen=True)
class IndexShape:
    """What every index of the build shares: the part after `ON table`, how names are made."""

    body: str  # e.g. `(customer_id)` or `USING btree (lower(email)) WHERE active`
    columns: tuple[str, ...]  # the names the index name is made of (expressions: expr)
    unique: bool = False

    @property
    def label(self) -> str:
        return "key" if self.unique else "idx"

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
    name = names.choose(table.schema, table.name, shape.columns, shape.label)
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


def attach_missing(facts: Facts, names: Names, index: IndexFact, shape: IndexShape) -> list[str]:
    """For a partitioned index: build and attach an index on each partition that has none
    attached to it, and complete the partitioned indexes attached below it."""
    statements = []
    attached = {i.table_oid: i for i in facts.indexes if i.parent == index.oid}
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
    body = index.definition[index.definition.index(marker) + 1 :]
    keys = [_unquote(k.text) if k.attnum > 0 else "expr" for k in index.keys]
    return IndexShape(body, (*keys, *map(_unquote, index.include_names)), index.unique)


def _unquote(text: str) -> str:
    """A column as pg_get_indexdef prints it, back to its name."""
    if len(text) > 1 and text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('""', '"')
    return text
