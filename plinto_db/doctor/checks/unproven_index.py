"""unproven-index (info, workload): a catalog index no query of the workload uses.

`check` explains every query of checks/ and records which catalog indexes the plans use
(its coverage); an index no plan uses is reported with check's reason (a cheaper index wins,
no query filters by its leading column, a predicate no query implies...). Judged only when
the workload ran (run.py); an index the catalog lists but the database lacks is not doctor's.
"""

from __future__ import annotations

from plinto_db.doctor.model import (
    Check,
    Facts,
    Finding,
    IndexFact,
    Kind,
    Need,
    Severity,
    Unproven,
    drop_statement,
)

ID = "unproven-index"


def _match(item: Unproven, by_name: dict[str, list[IndexFact]]) -> IndexFact | None:
    for index in by_name.get(item.name, ()):
        if index.table == item.table.rsplit(".", 1)[-1]:
            if item.schema is None or index.schema == item.schema:
                return index
    return None


def find(facts: Facts) -> tuple[Finding, ...]:
    by_name: dict[str, list[IndexFact]] = {}
    for index in facts.indexes:
        by_name.setdefault(index.name, []).append(index)
    findings = []
    for item in facts.unproven:
        index = _match(item, by_name)
        if index is None or index.attached:
            continue
        findings.append(
            Finding.about_index(
                CHECK,
                index,
                (
                    f"{index.qualified_name}: no query of the workload uses it ({item.reason}). "
                    "Fix: if production has no such query either, "
                    f"{drop_statement(index)} else add the query to checks/"
                ),
                {"reason": item.reason, "file": item.file, "line": item.line},
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.INFO,
    kind=Kind.WORKLOAD,
    title="Catalog indexes no query of the workload uses",
    fix="drop it, or add the query it exists for to checks/",
    needs=frozenset({Need.INDEXES}),
    find=find,
)
