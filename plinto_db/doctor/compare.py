"""How two indexes relate, decided structurally from pg_index facts (never from SQL text).

- same definition: method, keys (column or expression), opclass, collation, ordering,
  INCLUDE columns, predicate, uniqueness and NULLS NOT DISTINCT all equal;
- covers: a btree whose leading keys are the other's keys (same opclass and collation, same
  ordering or all reversed: a btree scans both ways), with the same predicate, and whose keys
  and INCLUDE columns hold every INCLUDE column of the other (so it serves the same
  index-only scans);
- unique cover: a full unique btree whose keys are the other's leading keys, in any order:
  an equality lookup on them finds at most one row through the unique index already;
- FK cover: an index whose leading plain columns are exactly a foreign key's columns, full or
  with a predicate that only says those columns are NOT NULL (the FK's lookup implies it).
Pure: facts in, answers out.
"""

from __future__ import annotations

from collections.abc import Iterable

from plinto_db.doctor import nodetree
from plinto_db.doctor.model import ForeignKeyFact, IndexFact

_REVERSED = 3  # indoption DESC | NULLS FIRST: flipping both is a backward scan


def usable(index: IndexFact) -> bool:
    """Valid and ready: an index the planner may use (an INVALID one is reported on its own)."""
    return index.valid and index.ready


def same_definition(a: IndexFact, b: IndexFact) -> bool:
    return definition_key(a) == definition_key(b)


def definition_key(index: IndexFact) -> tuple:
    """Equal for exactly the indexes of the same definition: a dict groups them in one pass."""
    return (
        index.table_oid,
        index.method,
        index.keys,
        frozenset(index.include),
        index.predicate,
        index.unique,
        index.nulls_not_distinct,
    )


def covers(wide: IndexFact, narrow: IndexFact) -> bool:
    """Every scan `narrow` can do, `wide` can do too (btree only)."""
    if (
        wide.oid == narrow.oid
        or wide.table_oid != narrow.table_oid
        or wide.method != "btree"
        or narrow.method != "btree"
        or wide.predicate != narrow.predicate
        or len(narrow.keys) > len(wide.keys)
    ):
        return False
    prefix = wide.keys[: len(narrow.keys)]
    if [k.identity for k in prefix] != [k.identity for k in narrow.keys]:
        return False
    same = all(w.option == n.option for w, n in zip(prefix, narrow.keys, strict=True))
    flipped = all(
        w.option == n.option ^ _REVERSED for w, n in zip(prefix, narrow.keys, strict=True)
    )
    if not (same or flipped):
        return False
    available = {k.attnum for k in wide.keys if k.attnum > 0} | set(wide.include)
    return set(narrow.include) <= available


def unique_cover(unique: IndexFact, other: IndexFact) -> bool:
    """`unique` is a full unique btree whose keys lead `other` (as a set): lookups need only it."""
    if (
        unique.oid == other.oid
        or unique.table_oid != other.table_oid
        or not unique.unique
        or unique.method != "btree"
        or unique.predicate is not None
        or other.method not in ("btree", "hash")
        or len(unique.keys) > len(other.keys)
    ):
        return False
    leading = other.keys[: len(unique.keys)]
    return all(any(u.same_equality(k) for k in leading) for u in unique.keys) and all(
        any(k.same_equality(u) for u in unique.keys) for k in leading
    )


def fk_covered_by(
    fk: ForeignKeyFact, index: IndexFact, equality_operators: frozenset[int] = frozenset()
) -> bool:
    """The FK's lookups (`WHERE fk_cols = $1` on a parent's delete or key update) can use it."""
    if index.table_oid != fk.table_oid or not usable(index):
        return False
    n = len(fk.columns)
    if index.method == "hash":
        if n != 1 or len(index.keys) != 1:
            return False
    elif index.method != "btree":
        return False
    leading = index.keys[:n]
    if len(leading) < n or any(k.attnum == 0 for k in leading):
        return False
    if {k.attnum for k in leading} != set(fk.columns):
        return False
    if index.predicate_tree is None:
        return True
    terms = nodetree.terms(index.predicate_tree, equality_operators)
    return all(t.kind is nodetree.TermKind.NOT_NULL and t.attnum in fk.columns for t in terms)


def fk_covers(
    fk: ForeignKeyFact, indexes: Iterable[IndexFact], equality_operators: frozenset[int]
) -> tuple[IndexFact, ...]:
    return tuple(i for i in indexes if fk_covered_by(fk, i, equality_operators))


def keeper_rank(index: IndexFact) -> tuple:
    """Which of two equivalent indexes to keep: the one that carries more, then the oldest."""
    return (
        index.attached,
        index.constraint is not None,
        bool(index.referenced_by),
        index.primary,
        index.unique,
        index.replica_identity,
        -index.oid,
    )
