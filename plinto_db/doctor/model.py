"""Doctor's vocabulary: what the server has (facts), what a check says (findings).

Frozen dataclasses, no psycopg: the checks, the drop candidates and the renderers work on
these alone, so every decision is testable without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from plinto_db.pg.identifiers import quote_ident


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Kind(StrEnum):
    STATIC = "static"  # meaningful on an empty CI database
    RUNTIME = "runtime"  # needs statistics that cover enough time
    WORKLOAD = "workload"  # needs the checks/ workload


class Need(StrEnum):
    """The facts a check reads; gather only queries what the selected checks need."""

    INDEXES = "indexes"
    TABLES = "tables"
    FOREIGN_KEYS = "foreign_keys"
    EQUALITY_OPERATORS = "equality_operators"
    BUILDS = "builds"
    BTREE_SIZES = "btree_sizes"
    PARTITIONS = "partitions"
    ATTACHED_INDEXES = "attached_indexes"
    RELATION_NAMES = "relation_names"


def qualified(*parts: str) -> str:
    return ".".join(quote_ident(part) for part in parts)


def human_bytes(size: float) -> str:
    if abs(size) < 1024:
        return f"{size:.0f} bytes"
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1024
        if abs(size) < 1024 or unit == "TB":
            break
    return f"{size:.1f} {unit}"


@dataclass(frozen=True)
class KeyFact:
    """One key column of an index: a table column (attnum > 0) or an expression (attnum 0)."""

    attnum: int
    text: str  # the column name or the expression, as pg_get_indexdef prints it
    opclass: int
    collation: int
    option: int  # pg_index.indoption bits: 1 = DESC, 2 = NULLS FIRST
    default_opclass: bool = True  # the default operator class of its type for the method

    @property
    def identity(self) -> tuple[int, str, int, int]:
        """What the key indexes and how it compares (not its direction)."""
        return (self.attnum, self.text if self.attnum == 0 else "", self.opclass, self.collation)

    def same_equality(self, other: KeyFact) -> bool:
        """Equality lookups on both mean the same: the same column or expression and
        collation, and the same operator class, or each its method's default (a hash and a
        btree index on one column)."""
        return (
            self.attnum == other.attnum
            and (self.attnum > 0 or self.text == other.text)
            and self.collation == other.collation
            and (self.opclass == other.opclass or (self.default_opclass and other.default_opclass))
        )

    @property
    def descending(self) -> bool:
        return bool(self.option & 1)


@dataclass(frozen=True)
class IndexFact:
    oid: int
    schema: str
    name: str
    table_oid: int
    table_schema: str
    table: str
    method: str
    relkind: str  # i index, I partitioned index
    keys: tuple[KeyFact, ...]
    include: tuple[int, ...]  # attnums of INCLUDE columns
    include_names: tuple[str, ...]
    predicate: str | None  # pg_get_expr(indpred): the normalised text, for comparing
    predicate_tree: str | None  # the pg_node_tree, for reading the predicate structurally
    unique: bool
    primary: bool
    valid: bool
    ready: bool
    replica_identity: bool
    nulls_not_distinct: bool
    constraint: str | None  # p, u or x when the index backs that constraint
    referenced_by: tuple[str, ...]  # foreign keys (on other tables) that reference this index
    parent: int | None  # the partitioned index this partition's index is attached to
    size: int
    scans: int
    last_scan: datetime | None
    definition: str | None  # pg_get_indexdef, read for INVALID indexes only

    @property
    def qualified_name(self) -> str:
        return qualified(self.schema, self.name)

    @property
    def location(self) -> str:
        """schema.table.index: the logical location reports give."""
        return qualified(self.table_schema, self.table, self.name)

    @property
    def qualified_table(self) -> str:
        return qualified(self.table_schema, self.table)

    @property
    def partitioned(self) -> bool:
        return self.relkind == "I"

    @property
    def attached(self) -> bool:
        """A partition's index attached to a partitioned index: the parent speaks for it."""
        return self.parent is not None

    @property
    def protected(self) -> str | None:
        """Why this index may never be dropped by doctor's advice, or None."""
        if self.constraint:
            kind = {"p": "primary key", "u": "unique constraint", "x": "exclusion constraint"}
            return f"backs the {kind.get(self.constraint, 'constraint')}"
        if self.referenced_by:
            return f"foreign key {', '.join(self.referenced_by)} references it"
        if self.replica_identity:
            return "is the table's replica identity"
        if self.attached:
            return "belongs to a partitioned index"
        return None

    def key_columns(self) -> str:
        return ", ".join(key.text + (" DESC" if key.descending else "") for key in self.keys) + (
            f") INCLUDE ({', '.join(self.include_names)}" if self.include else ""
        )


def drop_statement(index: IndexFact) -> str:
    """The statement that drops it; a partitioned index cannot be dropped CONCURRENTLY."""
    if index.partitioned:
        return f"DROP INDEX {index.qualified_name};"
    return f"DROP INDEX CONCURRENTLY {index.qualified_name};"


@dataclass(frozen=True)
class TableFact:
    oid: int
    schema: str
    name: str
    relkind: str  # r table, p partitioned table
    partition: bool
    has_primary_key: bool
    size: int  # pg_table_size (heap + TOAST), summed over the partitions of a partitioned table
    columns: dict[int, str] = field(default_factory=dict)  # attnum -> name
    not_null: frozenset[int] = frozenset()

    @property
    def qualified_name(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True)
class PartitionFact:
    """One partition of a partitioned table, at any level, in any schema."""

    oid: int
    parent: int  # the partitioned table it is a partition of
    schema: str
    name: str
    relkind: str  # r table, p partitioned table, f foreign table

    @property
    def qualified_name(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True)
class AttachedIndexFact:
    """An index attached to a partitioned index, at any level, in any schema (--schema
    filters the indexes reported on, not the ones a fix must know are already there)."""

    oid: int
    parent: int  # the partitioned index it is attached to
    table_oid: int  # its partition
    schema: str
    name: str
    relkind: str  # i index, I partitioned index
    valid: bool

    @property
    def partitioned(self) -> bool:
        return self.relkind == "I"


@dataclass(frozen=True)
class ForeignKeyFact:
    name: str
    table_oid: int
    columns: tuple[int, ...]  # conkey, in constraint order
    referenced: str  # schema.table
    on_delete: str  # confdeltype: a no action, r restrict, c cascade, n set null, d default


@dataclass(frozen=True)
class Build:
    index_oid: int
    pid: int
    phase: str


@dataclass(frozen=True)
class BtreeSize:
    """What the btree size estimate needs for one index (see checks/index_bloat.py)."""

    index_oid: int
    tuples: float  # pg_class.reltuples of the index; -1 = never vacuumed or analyzed
    pages: int
    block_size: int
    fillfactor: int
    data_width: float  # the average width of a leaf tuple's data, from pg_stats
    has_nulls: bool
    keys_with_stats: int
    keys: int


@dataclass(frozen=True)
class StatsWindow:
    """Since when the index usage counters count, and whether that is long enough."""

    since: datetime
    reset: bool  # True: since pg_stat_reset(); False: never reset, counted from server start
    now: datetime
    min_age_days: float

    @property
    def age_days(self) -> float:
        return max((self.now - self.since).total_seconds(), 0.0) / 86400

    @property
    def enough(self) -> bool:
        return self.age_days >= self.min_age_days

    def describe(self) -> str:
        when = self.since.strftime("%Y-%m-%d %H:%M %Z").strip()
        origin = "the last statistics reset" if self.reset else "the server start; never reset"
        return f"statistics cover {self.age_days:.1f} days, since {when} ({origin})"


@dataclass(frozen=True)
class Facts:
    version: int
    indexes: tuple[IndexFact, ...] = ()
    tables: tuple[TableFact, ...] = ()
    foreign_keys: tuple[ForeignKeyFact, ...] = ()
    equality_operators: frozenset[int] = frozenset()
    builds: tuple[Build, ...] = ()
    btree_sizes: tuple[BtreeSize, ...] = ()
    stats: StatsWindow | None = None
    unproven: tuple[Unproven, ...] = ()  # catalog indexes no check of the workload proves
    partitions: tuple[PartitionFact, ...] = ()
    attached_indexes: tuple[AttachedIndexFact, ...] = ()
    relation_names: frozenset[tuple[str, str]] = frozenset()  # (schema, name) of every relation
    # the index names the fixes of this report chose so far: every check shares the one set,
    # so two fixes never pick the same name (fixes.report_names)
    chosen_index_names: set[tuple[str, str]] = field(default_factory=set, compare=False, repr=False)

    def table(self, oid: int) -> TableFact | None:
        return self._tables.get(oid)

    def indexes_on(self, table_oid: int) -> tuple[IndexFact, ...]:
        return self._indexes_by_table.get(table_oid, ())

    def foreign_keys_on(self, table_oid: int) -> tuple[ForeignKeyFact, ...]:
        return self._foreign_keys_by_table.get(table_oid, ())

    def partitions_of(self, table_oid: int) -> tuple[PartitionFact, ...]:
        """The direct partitions of a partitioned table."""
        return self._partitions_by_parent.get(table_oid, ())

    def attached_to(self, index_oid: int) -> tuple[AttachedIndexFact, ...]:
        """The indexes attached directly to a partitioned index."""
        return self._attached_by_parent.get(index_oid, ())

    # lookups by oid, built once: checks ask per index, and a database has thousands
    @cached_property
    def _tables(self) -> dict[int, TableFact]:
        return {t.oid: t for t in self.tables}

    @cached_property
    def _indexes_by_table(self) -> dict[int, tuple[IndexFact, ...]]:
        return _group(self.indexes, lambda i: i.table_oid)

    @cached_property
    def _partitions_by_parent(self) -> dict[int, tuple[PartitionFact, ...]]:
        return _group(self.partitions, lambda p: p.parent)

    @cached_property
    def _attached_by_parent(self) -> dict[int, tuple[AttachedIndexFact, ...]]:
        return _group(self.attached_indexes, lambda i: i.parent)

    @cached_property
    def _foreign_keys_by_table(self) -> dict[int, tuple[ForeignKeyFact, ...]]:
        return _group(self.foreign_keys, lambda fk: fk.table_oid)


def _group(items: Iterable[Any], key: Callable[[Any], int]) -> dict[int, tuple[Any, ...]]:
    groups: dict[int, list[Any]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return {k: tuple(v) for k, v in groups.items()}


@dataclass(frozen=True)
class Unproven:
    """A catalog index the workload's plans never use (from check's coverage)."""

    schema: str | None
    name: str
    table: str
    reason: str
    file: str
    line: int


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    objects: tuple[str, ...]  # logical locations: schema.table[.index|.constraint]
    message: str  # what is wrong and how to fix it
    table: str
    index: IndexFact | None = None  # the index the finding is about (the one to act on)
    covered_by: IndexFact | None = None  # the index that makes it unnecessary, if any
    details: dict[str, Any] = field(default_factory=dict)
    statements: tuple[str, ...] = ()  # the fix as SQL, one statement each, in order

    @property
    def text(self) -> str:
        """The message followed by the fix's statements: the whole finding as one text."""
        return " ".join((self.message, *self.statements))

    @staticmethod
    def about_index(
        check: Check, index: IndexFact, message: str, details: dict[str, Any] | None = None
    ) -> Finding:
        """A finding about one index alone: its location is the only object."""
        return Finding(
            check=check.id,
            severity=check.severity,
            objects=(index.location,),
            message=message,
            table=index.qualified_table,
            index=index,
            details=details or {},
        )


@dataclass(frozen=True)
class Check:
    """One health check: an id, a severity, the advice, and a pure function over the facts."""

    id: str
    severity: Severity
    kind: Kind
    title: str
    fix: str
    needs: frozenset[Need]
    find: Callable[[Facts], tuple[Finding, ...]]
