"""What apply knows about the database, as plain facts: the pure model the planner reads.

Read by introspect.py and tables.py (the rooms here that query the catalogs); decided on by
plan.py. Nothing in this module connects to a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from plinto_db.pg.identifiers import quote_ident

LEFTOVER_PATTERN = re.compile(r"_cc(new|old)\d*$")

RELKIND_NAMES = {
    "r": "table",
    "p": "partitioned table",
    "v": "view",
    "m": "materialized view",
    "S": "sequence",
    "f": "foreign table",
    "c": "composite type",
    "t": "TOAST table",
    "i": "index",
    "I": "partitioned index",
}


@dataclass(frozen=True)
class TableRef:
    oid: int
    schema: str
    name: str
    # the session's role owns the table (or is a member of its owner): CREATE INDEX and
    # DROP INDEX need that, whatever other privileges the role has
    owned: bool = field(default=True, compare=False)
    pages: int = field(default=0, compare=False)  # pg_class.relpages: how long a build takes
    # a partitioned table: its partition key's columns (None for an expression); else None
    partition_key: tuple[str | None, ...] | None = field(default=None, compare=False)

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def partitioned(self) -> bool:
        return self.partition_key is not None


@dataclass(frozen=True)
class Partition:
    """A partition somewhere under a catalog table: a table ('r'), itself partitioned
    ('p', with its own key) or a foreign table ('f', which carries no index: P5)."""

    oid: int
    schema: str
    name: str
    relkind: str
    parent_oid: int
    pages: int = 0
    key: tuple[str | None, ...] = ()

    @cached_property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    def as_table(self) -> TableRef:
        key = self.key if self.relkind == "p" else None
        return TableRef(self.oid, self.schema, self.name, pages=self.pages, partition_key=key)


@dataclass(frozen=True)
class Relation:
    """A relation found by name or as an index on a catalog table."""

    oid: int
    schema: str
    name: str
    relkind: str
    table: TableRef | None  # the indexed table, for indexes
    valid: bool
    ready: bool
    live: bool
    constraint: str | None
    size_bytes: int
    scans: int
    shape: IndexShape | None = None
    # what would break if this index were swapped out and dropped: foreign keys that
    # reference its columns through it, the table's replica identity
    dependents: tuple[str, ...] = ()
    parent_index: int | None = None  # the partitioned index this one is attached to (P8)
    reloptions: tuple[str, ...] = ()  # storage parameters, sorted (shape is not read for
    # a partition's attached index: see introspect._needs_shape)

    @property
    def is_index(self) -> bool:
        return self.relkind in ("i", "I")

    @property
    def kind_name(self) -> str:
        return RELKIND_NAMES.get(self.relkind, f"relation of kind {self.relkind!r}")

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


@dataclass(frozen=True)
class Build:
    """A CREATE INDEX / REINDEX running in another backend."""

    pid: int
    table_oid: int | None
    index_oid: int | None
    command: str | None
    phase: str | None


@dataclass(frozen=True)
class DatabaseState:
    server_version: int
    tables: dict[str, TableRef]  # spec name -> its table
    relations: tuple[Relation, ...]
    builds: tuple[Build, ...]
    desired: dict[str, IndexShape]  # spec name -> normalised desired shape
    # spec name -> the key its shape is cached and recorded under
    shape_keys: dict[str, str] = field(default_factory=dict)
    # a partitioned catalog table's oid -> every partition under it, all levels, parents first
    partitions: dict[int, tuple[Partition, ...]] = field(default_factory=dict)

    def relation(self, schema: str, name: str) -> Relation | None:
        return self._by_name.get((schema, name))

    def indexes_on(self, table_oid: int) -> list[Relation]:
        return self._by_table.get(table_oid, [])

    def attached_to(self, index_oid: int) -> list[Relation]:
        """The partitions' indexes attached to a partitioned index (one level down)."""
        return self._children.get(index_oid, [])

    def children_of(self, table_oid: int) -> list[Partition]:
        """A partitioned table's direct partitions."""
        return self._partition_children.get(table_oid, [])

    def unattached_on(self, table_oid: int) -> list[Relation]:
        """A partition's valid plain indexes attached to nothing and backing no constraint:
        what a partitioned index may reuse (P3, P4)."""
        return self._unattached.get(table_oid, [])

    @cached_property
    def _unattached(self) -> dict[int, list[Relation]]:
        out: dict[int, list[Relation]] = {}
        for rel in self.relations:
            if rel.relkind == "i" and rel.valid and rel.parent_index is None and rel.table:
                if not rel.constraint:
                    out.setdefault(rel.table.oid, []).append(rel)
        return out

    @cached_property
    def _by_name(self) -> dict[tuple[str, str], Relation]:
        return {(r.schema, r.name): r for r in reversed(self.relations)}

    @cached_property
    def _by_table(self) -> dict[int, list[Relation]]:
        out: dict[int, list[Relation]] = {}
        for rel in self.relations:
            if rel.is_index and rel.table is not None:
                out.setdefault(rel.table.oid, []).append(rel)
        return out

    @cached_property
    def _children(self) -> dict[int, list[Relation]]:
        out: dict[int, list[Relation]] = {}
        for rel in self.relations:
            if rel.parent_index is not None:
                out.setdefault(rel.parent_index, []).append(rel)
        return out

    @cached_property
    def _partition_children(self) -> dict[int, list[Partition]]:
        out: dict[int, list[Partition]] = {}
        for tree in self.partitions.values():
            for part in tree:
                out.setdefault(part.parent_oid, []).append(part)
        return out

    def build_of(self, rel: Relation) -> Build | None:
        return build_of(rel, self.builds)


@dataclass(frozen=True)
class IndexShape:
    """An index as PostgreSQL normalises it. Two indexes are the same index iff equal."""

    method: str
    unique: bool
    nulls_not_distinct: bool
    key_count: int
    columns: tuple[str, ...]  # key columns, then INCLUDE columns (pg_get_indexdef per column)
    opclasses: tuple[str, ...]
    collations: tuple[str, ...]
    options: tuple[int, ...]  # indoption bits: 1 DESC, 2 NULLS FIRST
    predicate: str | None
    reloptions: tuple[str, ...]
    definition: str = field(default="", compare=False)  # pg_get_indexdef, for messages

    def differences(self, desired: IndexShape) -> tuple[str, ...]:
        """Human-readable reasons why this (live) index is not the desired one."""
        out: list[str] = []
        if self.method != desired.method:
            out.append(f"method {self.method} instead of {desired.method}")
        if self.unique != desired.unique:
            out.append(
                "UNIQUE, the catalog's is not" if self.unique else "not UNIQUE, the catalog's is"
            )
        if self.nulls_not_distinct != desired.nulls_not_distinct:
            out.append("NULLS NOT DISTINCT differs")
        live_keys = self.columns[: self.key_count]
        want_keys = desired.columns[: desired.key_count]
        if live_keys != want_keys:
            out.append(f"keys ({', '.join(live_keys)}) instead of ({', '.join(want_keys)})")
        else:
            for pos, key in enumerate(live_keys):
                have = self.options[pos] if pos < len(self.options) else 0
                want = desired.options[pos] if pos < len(desired.options) else 0
                if have & 1 != want & 1:
                    out.append(
                        f"{key} {'DESC' if have & 1 else 'ASC'} instead of "
                        f"{'DESC' if want & 1 else 'ASC'}"
                    )
                elif have & 2 != want & 2:
                    out.append(
                        f"{key} NULLS {'FIRST' if have & 2 else 'LAST'} instead of "
                        f"NULLS {'FIRST' if want & 2 else 'LAST'}"
                    )
                if self.opclasses[pos : pos + 1] != desired.opclasses[pos : pos + 1]:
                    out.append(
                        f"{key} operator class {self.opclasses[pos]} instead of "
                        f"{desired.opclasses[pos]}"
                    )
                if self.collations[pos : pos + 1] != desired.collations[pos : pos + 1]:
                    have_c = self.collations[pos] if pos < len(self.collations) else ""
                    want_c = desired.collations[pos] if pos < len(desired.collations) else ""
                    out.append(
                        f"{key} collation {have_c or '(none)'} instead of {want_c or '(none)'}"
                    )
        if self.columns[self.key_count :] != desired.columns[desired.key_count :]:
            out.append("INCLUDE columns differ")
        if self.predicate != desired.predicate:
            out.append(
                f"predicate {self.predicate or '(none)'} instead of {desired.predicate or '(none)'}"
            )
        if self.reloptions != desired.reloptions:
            out.append("storage parameters differ")
        if not out and self != desired:
            out.append("definition differs")
        return tuple(out)


def replacement_name(name: str) -> str:
    """Where --replace-drifted builds the new definition before the swap."""
    return _suffixed(name, "_plnew")


def retired_name(name: str) -> str:
    """What the drifted index is renamed to at the swap, before it is dropped."""
    return _suffixed(name, "_plold")


def is_leftover(name: str) -> bool:
    """A REINDEX CONCURRENTLY leftover (F6), or half of an interrupted --replace-drifted."""
    return bool(LEFTOVER_PATTERN.search(name)) or name.endswith(("_plold", "_plnew"))


def _suffixed(name: str, suffix: str) -> str:
    limit = 63 - len(suffix.encode())
    raw = name.encode()[:limit].decode("utf-8", "ignore")
    return raw + suffix


def build_of(rel: Relation, builds: tuple[Build, ...]) -> Build | None:
    """The backend building this index, if one is (or may be: hidden by permissions).

    The one place that decides whether another session is building an index (F5, F13):
    the planner asks it with the state it read, the executor with builds it polls.
    """
    for build in builds:
        if build.index_oid == rel.oid:
            return build
        same_table = rel.table is not None and build.table_oid == rel.table.oid
        if same_table and (build.command or "").startswith("REINDEX") and not rel.valid:
            return build  # REINDEX CONCURRENTLY reports the old index, not its _ccnew copy
        if same_table and not build.index_oid:
            return build  # non-concurrent build or a hidden index: assume it may be ours
        if build.table_oid is None:
            return build  # another role's session: columns hidden, cannot rule it out
    return None
