"""invalid-index (error): an index PostgreSQL marked INVALID (pg_index.indisvalid = false).

A failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY leaves one behind: every write
still maintains it, no query can use it, and `CREATE INDEX IF NOT EXISTS` skips it forever.
An index being built right now (pg_stat_progress_create_index) is not reported. A
partitioned index is INVALID while a partition has no index attached to it: the fix builds and
attaches the missing ones (fixes.py).
"""

from __future__ import annotations

from plinto_db.doctor.fixes import (
    Names,
    attach_missing,
    foreign_partition,
    report_names,
    shape_of,
)
from plinto_db.doctor.model import Check, Facts, Finding, IndexFact, Kind, Need, Severity

ID = "invalid-index"


def find(facts: Facts) -> tuple[Finding, ...]:
    building = {build.index_oid for build in facts.builds}
    names = report_names(facts)
    findings = []
    for index in facts.indexes:
        if index.valid or index.oid in building:
            continue
        if index.partitioned and index.attached:
            continue  # its parent is INVALID too, and the parent's fix completes it
        statements: tuple[str, ...] = ()
        foreign = foreign_partition(facts, index.table_oid) if index.partitioned else None
        if foreign is not None:
            message = (
                f"{index.qualified_name} is INVALID: partition {foreign.qualified_name} is a "
                "foreign table, which takes no index, so it can never become valid. Fix: "
                f"DROP INDEX {index.qualified_name}; and create it on {index.qualified_table} "
                "without ONLY (that build blocks writes)"
            )
        elif index.partitioned:
            statements = _attach_missing(facts, names, index)
            how = (
                "build each missing partition index CONCURRENTLY and attach it:"
                if statements
                else "create the index on each such partition and ALTER INDEX "
                f"{index.qualified_name} ATTACH PARTITION <that index>;"
            )
            message = (
                f"{index.qualified_name} is INVALID: a partition has no index attached to it. "
                f"Fix: {how}"
            )
        else:
            message = (
                f"{index.qualified_name} is INVALID (a failed concurrent build left it): writes "
                "still maintain it, no query can use it. Fix: REINDEX INDEX CONCURRENTLY "
                f"{index.qualified_name}; or drop it (DROP INDEX CONCURRENTLY) and build it again"
            )
        findings.append(
            Finding(
                check=ID,
                severity=CHECK.severity,
                objects=(index.location,),
                message=message,
                table=index.qualified_table,
                index=index,
                details={"ready": index.ready, "definition": index.definition},
                statements=statements,
            )
        )
    return tuple(findings)


def _attach_missing(facts: Facts, names: Names, index: IndexFact) -> tuple[str, ...]:
    shape = shape_of(index)
    return tuple(attach_missing(facts, names, index, shape)) if shape else ()


CHECK = Check(
    id=ID,
    severity=Severity.ERROR,
    kind=Kind.STATIC,
    title="Invalid indexes",
    fix="REINDEX INDEX CONCURRENTLY it, or drop it and build it again",
    needs=frozenset(
        {Need.INDEXES, Need.BUILDS, Need.PARTITIONS, Need.ATTACHED_INDEXES, Need.RELATION_NAMES}
    ),
    find=find,
)
