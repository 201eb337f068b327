"""pinned-key-column (info): a key column the index's own predicate pins to one value.

`CREATE INDEX ... (email, status) WHERE status = 'active'`: every entry holds the same
status, so the column adds width to every entry and no selectivity. Pinning terms are
`col = constant` (an equality operator), a boolean column, `NOT col`, `col IS TRUE/FALSE`
and `col IS NULL`, read from the predicate's node tree.
"""

from __future__ import annotations

from plinto_db.doctor import nodetree
from plinto_db.doctor.model import Check, Facts, Finding, Kind, Need, Severity

ID = "pinned-key-column"


def find(facts: Facts) -> tuple[Finding, ...]:
    findings = []
    for index in facts.indexes:
        if index.predicate_tree is None or index.attached:
            continue
        terms = nodetree.terms(index.predicate_tree, facts.equality_operators)
        pinned = {t.attnum for t in terms if t.kind is nodetree.TermKind.PINNED}
        keys = [k for k in index.keys if k.attnum in pinned]
        if not keys:
            continue
        names = ", ".join(k.text for k in keys)
        others = [k.text for k in index.keys if k.attnum not in pinned]
        if others:
            fix = f"build it again on ({', '.join(others)}) with the same WHERE"
        else:
            fix = "index a column the queries filter or sort by instead, with the same WHERE"
        findings.append(
            Finding.about_index(
                CHECK,
                index,
                (
                    f"{index.qualified_name} ({index.key_columns()}): its predicate "
                    f"(WHERE {index.predicate}) pins {names} to one value, so that key adds "
                    f"width to every entry and no selectivity. Fix: {fix}"
                ),
                {"columns": [k.text for k in keys]},
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.INFO,
    kind=Kind.STATIC,
    title="Key columns pinned to a constant by the index's predicate",
    fix="drop the pinned column from the keys",
    needs=frozenset({Need.INDEXES, Need.EQUALITY_OPERATORS}),
    find=find,
)
