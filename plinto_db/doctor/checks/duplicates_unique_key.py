"""duplicates-unique-key (warning): an index that leads with the key of a unique index.

When a full unique btree (a primary key, a unique constraint or a unique index) has keys
that are the leading keys of another btree or hash index (as a set, same operator classes
and collations), an equality lookup on them finds at most one row through the unique index
already: the other index adds write cost for lookups. Its extra key or INCLUDE columns only
help index-only scans and sorts, which the message says; a partial copy (`WHERE active`) of a
unique column's index is reported too. Exact duplicates are duplicate-index's.
"""

from __future__ import annotations

from plinto_db.doctor.compare import keeper_rank, same_definition, unique_cover, usable
from plinto_db.doctor.model import (
    Check,
    Facts,
    Finding,
    IndexFact,
    Kind,
    Need,
    Severity,
    drop_statement,
)

ID = "duplicates-unique-key"


def unique_keys_of(index: IndexFact, facts: Facts) -> tuple[IndexFact, ...]:
    found = []
    for unique in facts.indexes_on(index.table_oid):
        if not usable(unique) or not unique_cover(unique, index):
            continue
        if same_definition(unique, index):
            continue
        if unique_cover(index, unique) and keeper_rank(index) > keeper_rank(unique):
            continue  # two unique indexes on one key: report the weaker one only
        found.append(unique)
    return tuple(sorted(found, key=lambda u: (not u.primary, u.constraint is None, u.name)))


def _kind(unique: IndexFact) -> str:
    if unique.primary:
        return "the primary key"
    if unique.constraint == "u":
        return "the unique constraint"
    return "the unique index"


def _message(index: IndexFact, unique: IndexFact) -> str:
    key = ", ".join(k.text for k in unique.keys)
    head = f"{index.qualified_name} ({index.key_columns()})" + (
        f" WHERE {index.predicate}" if index.predicate else ""
    )
    extra = [k.text for k in index.keys[len(unique.keys) :]] + list(index.include_names)
    if extra:
        tail = (
            f"; its other columns ({', '.join(extra)}) help only index-only scans and sorts: "
            "drop it unless a query needs those"
        )
    else:
        tail = ": it adds only write cost"
    if index.protected:
        fix = f"it {index.protected}: change that first, then drop the index"
    else:
        fix = drop_statement(index)
    return (
        f"{head} leads with ({key}), the key of {_kind(unique)} {unique.qualified_name}: an "
        f"equality lookup finds at most one row through it already{tail}. Fix: {fix}"
    )


def find(facts: Facts) -> tuple[Finding, ...]:
    findings = []
    for index in facts.indexes:
        if not usable(index) or index.attached or index.primary:
            continue
        uniques = unique_keys_of(index, facts)
        if not uniques:
            continue
        findings.append(
            Finding(
                check=ID,
                severity=CHECK.severity,
                objects=(index.location, uniques[0].location),
                message=_message(index, uniques[0]),
                table=index.qualified_table,
                index=index,
                covered_by=uniques[0],
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.WARNING,
    kind=Kind.STATIC,
    title="Indexes that duplicate a primary key or unique key for lookups",
    fix="drop the index unless a query needs its extra columns for index-only scans",
    needs=frozenset({Need.INDEXES}),
    find=find,
)
