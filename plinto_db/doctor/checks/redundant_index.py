"""redundant-index (warning): a btree whose keys are a leading prefix of another btree's.

Same table, same predicate, each key with the same operator class and collation, and the
same ordering (or every key reversed: a btree scans backwards). INCLUDE columns count: the
narrow index's INCLUDE columns must be among the wide one's keys or INCLUDE columns, so the
wide index serves the same index-only scans. A unique, primary-key or constraint-backing
index is never the one reported: it enforces something. Other access methods (hash, GIN,
GiST, BRIN) are only compared for exact duplicates: a prefix does not serve them the same way.
"""

from __future__ import annotations

from plinto_db.doctor.compare import covers, keeper_rank, same_definition, unique_cover, usable
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

ID = "redundant-index"


def wider(index: IndexFact, facts: Facts) -> tuple[IndexFact, ...]:
    """The indexes that serve every scan `index` serves (ties broken by keeper_rank)."""
    found = []
    for other in facts.indexes_on(index.table_oid):
        if not usable(other) or not covers(other, index) or same_definition(index, other):
            continue
        if unique_cover(other, index):
            continue  # the same key as a unique index: duplicates-unique-key says it
        if covers(index, other) and keeper_rank(index) > keeper_rank(other):
            continue  # equivalent both ways (reversed keys): keep the stronger one
        found.append(other)
    return tuple(sorted(found, key=lambda i: (-len(i.keys), i.name)))


def find(facts: Facts) -> tuple[Finding, ...]:
    findings = []
    for index in facts.indexes:
        if not usable(index) or index.unique or index.constraint or index.attached:
            continue
        covering = wider(index, facts)
        if not covering:
            continue
        best = covering[0]
        names = " and ".join(f"{i.qualified_name} ({i.key_columns()})" for i in covering)
        where = f" WHERE {index.predicate}" if index.predicate else ""
        findings.append(
            Finding(
                check=ID,
                severity=CHECK.severity,
                objects=(index.location, *(i.location for i in covering)),
                message=(
                    f"{index.qualified_name} ({index.key_columns()}){where} is a leading prefix "
                    f"of {names}: every scan it serves, {best.qualified_name} serves too. "
                    f"Fix: {drop_statement(index)}"
                ),
                table=index.qualified_table,
                index=index,
                covered_by=best,
                details={"covered_by": [i.qualified_name for i in covering]},
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.WARNING,
    kind=Kind.STATIC,
    title="Redundant indexes (a leading prefix of another)",
    fix="drop the narrower index; the wider one serves its scans",
    needs=frozenset({Need.INDEXES}),
    find=find,
)
