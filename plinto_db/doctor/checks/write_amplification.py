"""write-amplification (info): a table with many indexes, or indexes larger than the table.

Every INSERT writes one entry per index, and an UPDATE that cannot be HOT does too. Reported
when a table has more than MAX_INDEXES indexes, or when its indexes together are larger than
SIZE_RATIO times the table (for a table of at least MIN_TABLE_BYTES: on an empty CI database
every index is a few pages larger than its empty table). `loads()` gives every table's
figures for the report; a partitioned table counts its partitions.
"""

from __future__ import annotations

from dataclasses import dataclass

from plinto_db.doctor.model import (
    Check,
    Facts,
    Finding,
    Kind,
    Need,
    Severity,
    TableFact,
    human_bytes,
)

ID = "write-amplification"
MAX_INDEXES = 8
SIZE_RATIO = 1.0
MIN_TABLE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TableLoad:
    table: TableFact
    indexes: int
    index_bytes: int

    @property
    def ratio(self) -> float | None:
        return self.index_bytes / self.table.size if self.table.size else None


def loads(facts: Facts) -> tuple[TableLoad, ...]:
    result = []
    for table in facts.tables:
        if table.partition:
            continue
        indexes = [i for i in facts.indexes_on(table.oid) if not i.attached]
        result.append(TableLoad(table, len(indexes), sum(i.size for i in indexes)))
    return tuple(result)


def find(facts: Facts) -> tuple[Finding, ...]:
    findings = []
    for load in loads(facts):
        many = load.indexes > MAX_INDEXES
        big = (
            load.table.size >= MIN_TABLE_BYTES
            and load.ratio is not None
            and load.ratio > SIZE_RATIO
        )
        if not (many or big):
            continue
        name = load.table.qualified_name
        ratio = f" ({load.ratio:.1f}x)" if load.ratio is not None else ""
        findings.append(
            Finding(
                check=ID,
                severity=CHECK.severity,
                objects=(name,),
                message=(
                    f"{name} has {load.indexes} indexes of {human_bytes(load.index_bytes)} "
                    f"against {human_bytes(load.table.size)} of table{ratio}: every insert (and "
                    "every non-HOT update) writes each of them. Fix: drop the ones doctor lists "
                    "as drop candidates, and merge indexes that share leading columns"
                ),
                table=name,
                details={
                    "indexes": load.indexes,
                    "index_bytes": load.index_bytes,
                    "table_bytes": load.table.size,
                },
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.INFO,
    kind=Kind.STATIC,
    title="Write amplification: index count and size against the table's",
    fix="drop or merge indexes",
    needs=frozenset({Need.INDEXES, Need.TABLES}),
    find=find,
)
