"""unused-index (warning, runtime): an index no scan has used since the statistics began.

`idx_scan` counts per server since the database's last statistics reset, so the check is
judged only when that covers --min-stats-age days (run.py decides); a replica keeps its own
counters, so an index unused here may serve queries there. Never reported: unique and
primary-key indexes, indexes backing a constraint, the replica identity, and indexes that
support a foreign key (they work without being scanned).
"""

from __future__ import annotations

from plinto_db.doctor.compare import fk_covered_by, usable
from plinto_db.doctor.model import (
    Check,
    Facts,
    Finding,
    IndexFact,
    Kind,
    Need,
    Severity,
    drop_statement,
    human_bytes,
)

ID = "unused-index"


def supports_fk(index: IndexFact, facts: Facts) -> bool:
    return any(
        fk_covered_by(fk, index, facts.equality_operators)
        for fk in facts.foreign_keys_on(index.table_oid)
    )


def find(facts: Facts) -> tuple[Finding, ...]:
    since = facts.stats.describe() if facts.stats else "the statistics began"
    findings = []
    for index in facts.indexes:
        if (
            not usable(index)
            or index.scans > 0
            or index.unique
            or index.protected
            or supports_fk(index, facts)
        ):
            continue
        findings.append(
            Finding.about_index(
                CHECK,
                index,
                (
                    f"{index.qualified_name} ({human_bytes(index.size)}) has never been scanned "
                    f"({since}): it costs every write. Fix: make sure no replica uses it "
                    f"either, then {drop_statement(index)}"
                ),
                {"scans": index.scans, "size_bytes": index.size},
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.WARNING,
    kind=Kind.RUNTIME,
    title="Unused indexes (idx_scan = 0)",
    fix="drop it once no server (primary or replica) scans it",
    needs=frozenset({Need.INDEXES, Need.FOREIGN_KEYS, Need.EQUALITY_OPERATORS}),
    find=find,
)
