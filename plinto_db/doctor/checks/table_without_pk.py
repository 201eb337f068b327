"""table-without-pk (warning): a table without a primary key.

Rows cannot be addressed reliably: logical replication cannot replicate UPDATE or DELETE
without a replica identity, and tools and ORMs need a key. A partition is not reported (the
key is declared on its partitioned table). When a unique index on NOT NULL columns exists,
the fix names it: it can become the primary key without a new build.
"""

from __future__ import annotations

from plinto_db.doctor.compare import usable
from plinto_db.doctor.model import Check, Facts, Finding, Kind, Need, Severity, TableFact

ID = "table-without-pk"


def _promotable(table: TableFact, facts: Facts) -> str | None:
    for index in facts.indexes_on(table.oid):
        if (
            usable(index)
            and index.unique
            and index.method == "btree"
            and index.predicate is None
            and not index.include
            and not index.partitioned
            and all(k.attnum in table.not_null for k in index.keys)
        ):
            return index.name
    return None


def find(facts: Facts) -> tuple[Finding, ...]:
    findings = []
    for table in facts.tables:
        if table.partition or table.has_primary_key:
            continue
        candidate = _promotable(table, facts)
        if candidate:
            fix = f"ALTER TABLE {table.qualified_name} ADD PRIMARY KEY USING INDEX {candidate};"
        else:
            fix = (
                f"ALTER TABLE {table.qualified_name} ADD PRIMARY KEY (...); on a big table build "
                "a unique index CONCURRENTLY first and add the key USING INDEX"
            )
        findings.append(
            Finding(
                check=ID,
                severity=CHECK.severity,
                objects=(table.qualified_name,),
                message=(
                    f"{table.qualified_name} has no primary key: rows cannot be addressed "
                    "reliably (logical replication of UPDATE/DELETE, tools and ORMs need one). "
                    f"Fix: {fix}"
                ),
                table=table.qualified_name,
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.WARNING,
    kind=Kind.STATIC,
    title="Tables without a primary key",
    fix="add a primary key",
    needs=frozenset({Need.INDEXES, Need.TABLES}),
    find=find,
)
