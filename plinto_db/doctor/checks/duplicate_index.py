"""duplicate-index (warning): indexes with identical definitions on the same table.

Identical means method, keys (column or expression), operator classes, collations, ordering,
INCLUDE columns, predicate, uniqueness and NULLS NOT DISTINCT: not just the same column
names. Of each group the one to keep is the one that backs a constraint (or is referenced by
a foreign key, is unique, is the replica identity), else the oldest; the others are reported.
"""

from __future__ import annotations

from plinto_db.doctor.compare import definition_key, keeper_rank, usable
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

ID = "duplicate-index"


def find(facts: Facts) -> tuple[Finding, ...]:
    # grouped by definition in one pass: 10,000 partition indexes are not compared pairwise
    groups: dict[tuple, list[IndexFact]] = {}
    for index in facts.indexes:
        if usable(index):
            groups.setdefault(definition_key(index), []).append(index)
    findings = []
    for group in groups.values():
        if len(group) < 2:
            continue
        keeper = max(group, key=keeper_rank)
        for other in group:
            if other is not keeper and not other.attached:
                findings.append(_finding(other, keeper))
    return tuple(findings)


def _finding(index: IndexFact, keeper: IndexFact) -> Finding:
    fix = (
        f"it {index.protected}: change that first, then drop the index"
        if index.protected
        else drop_statement(index)
    )
    return Finding(
        check=ID,
        severity=CHECK.severity,
        objects=(index.location, keeper.location),
        message=(
            f"{index.qualified_name} is identical to {keeper.qualified_name} "
            f"({index.method} ({index.key_columns()})"
            + (f" WHERE {index.predicate}" if index.predicate else "")
            + f"): it doubles the write cost and the space. Fix: {fix}"
        ),
        table=index.qualified_table,
        index=index,
        covered_by=keeper,
    )


CHECK = Check(
    id=ID,
    severity=Severity.WARNING,
    kind=Kind.STATIC,
    title="Duplicate indexes",
    fix="drop all but one of the identical indexes",
    needs=frozenset({Need.INDEXES}),
    find=find,
)
