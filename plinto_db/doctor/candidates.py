"""Drop candidates: what a DBA acts on, decided from the findings (pure).

An index becomes a candidate when a check found it a duplicate, redundant, a copy of a unique
key (each needs a covering index that stays), unused, or unproven by the workload. Never a
candidate: an index that backs a constraint, is referenced by a foreign key, is the replica
identity or belongs to a partitioned index; a unique index without a unique index that
implies it; the index another candidate relies on as its cover; and the last index that
supports a foreign key once the others are gone. Each refusal is kept with its reason.

The candidates are judged together: each one is weighed with every candidate chosen before
it already dropped, and a partitioned index drops every index attached under it (on each
partition), so running the whole list leaves every cover, uniqueness and foreign key with an
index. Doctor prints the statements; it never runs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from plinto_db.doctor.compare import fk_covered_by, fk_covers, usable
from plinto_db.doctor.model import Facts, Finding, ForeignKeyFact, IndexFact, drop_statement


@dataclass(frozen=True)
class DropCandidate:
    index: IndexFact
    reasons: tuple[str, ...]  # the check ids that found it
    covered_by: IndexFact | None
    statement: str


@dataclass(frozen=True)
class Kept:
    index: IndexFact
    reasons: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class DropPlan:
    candidates: tuple[DropCandidate, ...] = ()
    kept: tuple[Kept, ...] = ()

    @property
    def reclaimable(self) -> int:
        return sum(c.index.size for c in self.candidates)


def plan(
    findings: Sequence[Finding],
    facts: Facts,
    *,
    covered: Iterable[str],
    standalone: Iterable[str],
) -> DropPlan:
    covered, standalone = set(covered), set(standalone)
    by_index: dict[int, list[Finding]] = {}
    for finding in findings:
        if finding.index is not None and finding.check in covered | standalone:
            by_index.setdefault(finding.index.oid, []).append(finding)
    chosen: dict[int, DropCandidate] = {}
    kept: list[Kept] = []
    tree = _Tree(facts)
    gone: set[int] = set()  # what the chosen candidates take with them

    def narrow_first(oid: int) -> tuple:
        index = by_index[oid][0].index
        return (len(index.keys), index.qualified_name)

    for oid in sorted(by_index, key=narrow_first):
        found = by_index[oid]
        index = found[0].index
        reasons = tuple(dict.fromkeys(f.check for f in found))
        with_it = tree.dropped_with([index.oid])
        why, cover = _refusal(index, found, covered, chosen, facts, tree, (with_it, gone))
        if why:
            kept.append(Kept(index, reasons, why))
            continue
        chosen[oid] = DropCandidate(index, reasons, cover, drop_statement(index))
        gone |= with_it

    def by_name(item: DropCandidate | Kept) -> tuple[str, str]:
        return (item.index.qualified_table, item.index.qualified_name)

    return DropPlan(tuple(sorted(chosen.values(), key=by_name)), tuple(sorted(kept, key=by_name)))


class _Tree:
    """What dropping an index takes with it: a partitioned index drops every index attached
    under it, at any depth, on every partition."""

    def __init__(self, facts: Facts):
        self.children: dict[int, set[int]] = {}
        self.tables: dict[int, int] = {}  # index oid -> its table
        for item in (*facts.indexes, *facts.attached_indexes):
            self.tables[item.oid] = item.table_oid
            if item.parent is not None:
                self.children.setdefault(item.parent, set()).add(item.oid)
        self.by_oid = {i.oid: i for i in facts.indexes}
        self.parent_table = {p.oid: p.parent for p in facts.partitions}

    def ancestors(self, table_oid: int) -> list[int]:
        """The partitioned tables above a partition, nearest first."""
        found = []
        while (table_oid := self.parent_table.get(table_oid)) is not None:
            found.append(table_oid)
        return found

    def dropped_with(self, oids: Iterable[int]) -> set[int]:
        """The indexes gone once `oids` are dropped: them and everything attached under them."""
        gone: set[int] = set()
        stack = list(oids)
        while stack:
            oid = stack.pop()
            if oid not in gone:
                gone.add(oid)
                stack.extend(self.children.get(oid, ()))
        return gone


def _refusal(
    index: IndexFact,
    found: list[Finding],
    covered: set[str],
    chosen: dict[int, DropCandidate],
    facts: Facts,
    tree: _Tree,
    dropped: tuple[set[int], set[int]],
) -> tuple[str | None, IndexFact | None]:
    """(why it must stay, None) or (None, the index that covers it, if any).

    Judged with every candidate chosen so far: after dropping them all and this one (a
    partitioned index with its partitions' indexes), every cover, uniqueness and foreign key
    the candidates rely on must still have its index. `dropped`: what dropping this index
    takes with it, and what the chosen candidates take."""
    with_it, chosen_gone = dropped
    gone = chosen_gone | with_it
    protected = _protected(index, with_it, tree)
    if protected:
        return protected, None
    covers = [f.covered_by for f in found if f.check in covered and f.covered_by is not None]
    cover = next((c for c in covers if c.oid not in gone), None)
    if covers and cover is None:
        return (
            "every index that covers it is itself a drop candidate (or attached under one): "
            "drop one at a time",
            None,
        )
    if index.unique and cover is None:
        return "it enforces uniqueness", None
    relied_on = [
        c.index.qualified_name
        for c in chosen.values()
        if c.covered_by is not None and c.covered_by.oid in with_it
    ]
    if relied_on:
        which = "which is a drop candidate" if len(relied_on) == 1 else "which are drop candidates"
        return f"it covers {', '.join(relied_on)}, {which}", None
    fk = _unsupported_foreign_key(with_it, gone, facts, tree)
    if fk:
        return f"it is the only index left that supports foreign key {fk}", None
    return None, cover


def _protected(index: IndexFact, with_it: set[int], tree: _Tree) -> str | None:
    """Why it may never be dropped: its own reason, or one of an index attached under it."""
    if index.protected:
        return f"it {index.protected}"
    for oid in sorted(with_it - {index.oid}):
        child = tree.by_oid.get(oid)
        why = replace(child, parent=None).protected if child is not None else None
        if why:
            return f"its partition index {child.qualified_name} {why}"
    return None


def _unsupported_foreign_key(
    with_it: set[int], gone: set[int], facts: Facts, tree: _Tree
) -> str | None:
    """A foreign key, on any table an index in `with_it` is on, that one of them supports and
    no index left after dropping `gone` does (a partitioned index supports each partition
    through the index attached there)."""
    tables = {tree.tables[oid] for oid in with_it if oid in tree.tables}
    for table in sorted(tables):
        indexes = [i for i in facts.indexes_on(table) if usable(i)]
        dropped = [i for i in indexes if i.oid in with_it]
        remaining = [i for i in indexes if i.oid not in gone]
        for fk in _foreign_keys(table, facts, tree):
            supports = any(fk_covered_by(fk, i, facts.equality_operators) for i in dropped)
            if supports and not fk_covers(fk, remaining, facts.equality_operators):
                return fk.name
    return None


def _foreign_keys(table: int, facts: Facts, tree: _Tree) -> list[ForeignKeyFact]:
    """The foreign keys a table's rows are checked by: its own, and those declared on a
    partitioned table above it (PostgreSQL clones them onto each partition), in the
    partition's own column numbers."""
    found = list(facts.foreign_keys_on(table))
    for ancestor in tree.ancestors(table):
        for fk in facts.foreign_keys_on(ancestor):
            columns = _columns_on(fk.columns, ancestor, table, facts)
            if columns is not None:
                found.append(replace(fk, table_oid=table, columns=columns))
    return found


def _columns_on(
    columns: tuple[int, ...], ancestor: int, table: int, facts: Facts
) -> tuple[int, ...] | None:
    """An ancestor's column numbers as the partition numbers the same columns (by name; the
    same numbers when the tables' columns are not known)."""
    above, below = facts.table(ancestor), facts.table(table)
    if above is None or below is None or not above.columns or not below.columns:
        return columns
    numbers = {name: number for number, name in below.columns.items()}
    mapped = tuple(numbers.get(above.columns.get(column, ""), 0) for column in columns)
    return None if 0 in mapped else mapped
