"""fk-without-index (warning): a foreign key whose columns lead no index.

Deleting or updating a referenced row makes PostgreSQL look up the referencing rows with
`WHERE fk_cols = $1`; without an index whose leading keys are exactly the FK's columns (in
any order) that is a sequential scan of the referencing table per row, under a lock. A
partial index counts only when its predicate just says those columns are NOT NULL. A
partitioned table's foreign key needs the index on the partitioned table itself. The fix
builds a named index without blocking writes (fixes.py; partition by partition on a
partitioned table).
"""

from __future__ import annotations

from plinto_db.doctor.compare import fk_covers
from plinto_db.doctor.fixes import Build, IndexShape, build_index, report_names
from plinto_db.doctor.model import (
    Check,
    Facts,
    Finding,
    ForeignKeyFact,
    Kind,
    Need,
    Severity,
    TableFact,
    qualified,
)
from plinto_db.pg.identifiers import quote_ident

ID = "fk-without-index"
_ON_DELETE = {"c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def find(facts: Facts) -> tuple[Finding, ...]:
    names = report_names(facts)
    built: dict[tuple[int, tuple[str, ...]], str] = {}  # (table, columns) -> the first FK
    findings = []
    for fk in facts.foreign_keys:
        table = facts.table(fk.table_oid)
        if table is None:
            continue
        if fk_covers(fk, facts.indexes_on(fk.table_oid), facts.equality_operators):
            continue
        columns = tuple(table.columns.get(a, f"#{a}") for a in fk.columns)
        first = built.setdefault((table.oid, columns), fk.name)
        if first == fk.name:
            shape = IndexShape(f"({', '.join(map(quote_ident, columns))})", columns)
            build = build_index(facts, names, table, shape)
            fix, statements = _how(table, build), build.statements
        else:  # two keys on the same columns: one index serves both
            fix, statements = f"the index the fix of {quote_ident(first)} builds serves it too", ()
        findings.append(_finding(fk, table, columns, fix, statements))
    return tuple(findings)


def _how(table: TableFact, build: Build) -> str:
    if build.blocking:
        return (
            f"{build.blocking}, so an index ON ONLY {table.qualified_name} would stay INVALID: "
            "build it on the partitioned table, which blocks its writes until it is built:"
        )
    if build.partitioned:
        return (
            f"CONCURRENTLY is refused on a partitioned table: create the index ON ONLY "
            f"{table.qualified_name} (nothing is built; INVALID until every partition has "
            "its index), build each partition's index CONCURRENTLY and attach it:"
        )
    return ""


def _finding(
    fk: ForeignKeyFact,
    table: TableFact,
    columns: tuple[str, ...],
    fix: str,
    statements: tuple[str, ...],
) -> Finding:
    listed = ", ".join(map(quote_ident, columns))
    cascade = _ON_DELETE.get(fk.on_delete)
    effect = f" (ON DELETE {cascade})" if cascade else ""
    return Finding(
        check=ID,
        severity=CHECK.severity,
        objects=(qualified(table.schema, table.name, fk.name),),
        message=(
            f"foreign key {quote_ident(fk.name)} on {table.qualified_name} ({listed}) references "
            f"{fk.referenced}{effect}, but no index leads with ({listed}): each delete or key "
            f"update in {fk.referenced} scans {table.qualified_name}. Fix: {fix}".rstrip()
        ),
        table=table.qualified_name,
        details={"columns": list(columns), "statement": " ".join(statements)},
        statements=statements,
    )


CHECK = Check(
    id=ID,
    severity=Severity.WARNING,
    kind=Kind.STATIC,
    title="Foreign keys without an index",
    fix="create an index that leads with the foreign key's columns",
    needs=frozenset(
        {
            Need.INDEXES,
            Need.TABLES,
            Need.FOREIGN_KEYS,
            Need.EQUALITY_OPERATORS,
            Need.PARTITIONS,
            Need.RELATION_NAMES,
        }
    ),
    find=find,
)
