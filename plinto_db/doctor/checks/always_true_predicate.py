"""always-true-predicate (warning): a partial index whose predicate says `col IS NOT NULL`
of a NOT NULL column.

That term filters nothing: the index holds every row, yet it looks partial, so the planner
may only use it for queries that imply the predicate, and readers take it for a filter. When
every term is such a tautology, the index is a full index in disguise (and may then duplicate
another one). Read from the predicate's node tree, not its text.
"""

from __future__ import annotations

from plinto_db.doctor import nodetree
from plinto_db.doctor.model import Check, Facts, Finding, Kind, Need, Severity

ID = "always-true-predicate"


def find(facts: Facts) -> tuple[Finding, ...]:
    findings = []
    for index in facts.indexes:
        table = facts.table(index.table_oid)
        if table is None or index.predicate_tree is None or index.attached:
            continue
        terms = nodetree.terms(index.predicate_tree, facts.equality_operators)
        always = [
            t.attnum
            for t in terms
            if t.kind is nodetree.TermKind.NOT_NULL and t.attnum in table.not_null
        ]
        if not always:
            continue
        columns = ", ".join(table.columns.get(a, f"#{a}") for a in dict.fromkeys(always))
        if len(always) == len(terms):
            what = (
                f"its whole predicate (WHERE {index.predicate}) is always true: {columns} "
                "cannot be NULL, so it indexes every row. Fix: build it again without WHERE "
                "(or drop it if another index already has these keys)"
            )
        else:
            what = (
                f"its predicate (WHERE {index.predicate}) tests {columns} IS NOT NULL, which "
                f"is always true ({columns} is NOT NULL). Fix: build it again without that term"
            )
        findings.append(
            Finding.about_index(
                CHECK,
                index,
                f"{index.qualified_name}: {what}",
                {"columns": columns.split(", "), "predicate": index.predicate},
            )
        )
    return tuple(findings)


CHECK = Check(
    id=ID,
    severity=Severity.WARNING,
    kind=Kind.STATIC,
    title="Partial-index predicates that are always true",
    fix="drop the always-true IS NOT NULL term from the predicate",
    needs=frozenset({Need.INDEXES, Need.TABLES, Need.EQUALITY_OPERATORS}),
    find=find,
)
