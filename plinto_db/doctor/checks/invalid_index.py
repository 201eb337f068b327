"""invalid-index (error): an index PostgreSQL marked INVALID (pg_index.indisvalid = false).

A failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY leaves one behind: every write
still maintains it, no query can use it, and `CREATE INDEX IF NOT EXISTS` skips it forever.
An index being built right now (pg_stat_progress_create_index) is not reported.
"""

from __future__ import annotations

from plinto_db.doctor.model import Check, Facts, Finding, Kind, Need, Severity

ID = "invalid-index"


def find(facts: Facts) -> tuple[Finding, ...]:
    building = {build.index_oid for build in facts.builds}
    findings = []
    for index in facts.indexes:
        if index.valid or index.oid in building:
            continue
        if index.partitioned:
            message = (
                f"{index.qualified_name} is INVALID: a partition has no index attached to it. "
                "Fix: create the index on each such partition and ALTER INDEX "
                f"{index.qualified_name} ATTACH PARTITION <that index>;"
            )
        else:
            message = (
                f"{index.qualified_name} is INVALID (a failed concurrent build left it): writes "
                "still maintain it, no query can use it. Fix: REINDEX INDEX CONCURRENTLY "
                f"{index.qualified_name}; or drop it (DROP INDEX CONCURRENTLY) and build it again"
            )
        findings.append(
            Finding.about_index(
                CHECK, index, message, {"ready": index.ready, "definition": index.definition}
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.ERROR,
    kind=Kind.STATIC,
    title="Invalid indexes",
    fix="REINDEX INDEX CONCURRENTLY it, or drop it and build it again",
    needs=frozenset({Need.INDEXES, Need.BUILDS}),
    find=find,
)
