"""fk-without-index (warning): a foreign key whose columns lead no index.

Deleting or updating a referenced row makes PostgreSQL look up the referencing rows with
`WHERE fk_cols = $1`; without an index whose leading keys are exactly the FK's columns (in
any order) that is a sequential scan of the referencing table per row, under a lock. A
partial index counts only when its predicate just says those columns are NOT NULL. A
partitioned table's foreign key needs the index on the partitioned table itself.
"""

from __future__ import annotations

from plinto_db.doctor.compare import fk_covers
from plinto_db.doctor.model import Check, Facts, Finding, Kind, Need, Severity, qualified

ID = "fk-without-index"
_ON_DELETE = {"c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def find(facts: Facts) -> tuple[Finding, ...]:
    findings = []
    for fk in facts.foreign_keys:
        table = facts.table(fk.table_oid)
        if table is None:
            continue
        if fk_covers(fk, facts.indexes_on(fk.table_oid), facts.equality_operators):
            continue
        columns = ", ".join(table.columns.get(a, f"#{a}") for a in fk.columns)
        cascade = _ON_DELETE.get(fk.on_delete)
        effect = f" (ON DELETE {cascade})" if cascade else ""
        statement = f"CREATE INDEX CONCURRENTLY ON {table.qualified_name} ({columns});"
        findings.append(
            Finding(
                check=ID,
                severity=CHECK.severity,
                objects=(qualified(table.schema, table.name, fk.name),),
                message=(
                    f"foreign key {fk.name} on {table.qualified_name} ({columns}) references "
                    f"{fk.referenced}{effect}, but no index leads with ({columns}): each delete "
                    f"or key update in {fk.referenced} scans {table.qualified_name}. "
                    f"Fix: {statement}"
                ),
                table=table.qualified_name,
                details={"columns": columns.split(", "), "statement": statement},
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.WARNING,
    kind=Kind.STATIC,
    title="Foreign keys without an index",
    fix="create an index that leads with the foreign key's columns",
    needs=frozenset({Need.INDEXES, Need.TABLES, Need.FOREIGN_KEYS, Need.EQUALITY_OPERATORS}),
    find=find,
)
