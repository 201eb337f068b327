"""Doctor's redundancy rules applied to candidates: does an index (built or proposed) already
do what a candidate would?

Pure. A candidate becomes a doctor IndexFact (its columns' attnums from the table's facts),
and doctor's `covers`, `same_definition` and `unique_cover` decide. Expressions and
predicates are compared in one canonical spelling, read with PostgreSQL's grammar: the
server's `lower((email)::text)` and `((status)::text = 'active'::text)` are `lower(email)`
and `status = 'active'`, as advise writes them. Operator classes and collations: a candidate
uses its column's defaults, so an existing key with its default operator class matches it.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from plinto_db.advise.candidates import Candidate
from plinto_db.doctor.compare import covers, same_definition, unique_cover, usable
from plinto_db.doctor.model import IndexFact, KeyFact, TableFact

DEFAULT = -1  # the default operator class or collation of the key's type


@cache
def canonical(expression: str | None) -> str | None:
    """One spelling for an expression or predicate: no casts of columns and constants, no
    qualifiers, no redundant parentheses; the text itself when the grammar refuses it."""
    if expression is None:
        return None
    from pglast import ast, parse_sql
    from pglast.parser import ParseError
    from pglast.stream import RawStream
    from pglast.visitors import Visitor

    try:
        target = parse_sql(f"SELECT {expression}")[0].stmt.targetList[0]
    except (ParseError, IndexError, AttributeError):
        return " ".join(expression.split())

    class _Strip(Visitor):
        def visit_TypeCast(self, ancestors, node):  # noqa: N802 (pglast's naming)
            if isinstance(node.arg, (ast.ColumnRef, ast.A_Const)):
                return node.arg
            return None

        def visit_ColumnRef(self, ancestors, node):  # noqa: N802
            node.fields = node.fields[-1:]
            return None

    _Strip()(target)
    return RawStream()(target.val)


def candidate_fact(candidate: Candidate, table: TableFact, oid: int) -> IndexFact | None:
    """The candidate as doctor would read it once built; None when a column is unknown."""
    attnums = {name: num for num, name in table.columns.items()}
    keys = []
    for key in candidate.keys:
        if key.column is not None and key.column not in attnums:
            return None
        attnum = attnums[key.column] if key.column is not None else 0
        text = key.column if key.column is not None else canonical(key.text)
        keys.append(KeyFact(attnum, text or "", DEFAULT, DEFAULT, int(key.descending)))
    if any(c not in attnums for c in candidate.include):
        return None
    return IndexFact(
        oid=oid,
        schema=table.schema,
        name=f"candidate {oid}",
        table_oid=table.oid,
        table_schema=table.schema,
        table=table.name,
        method="btree",
        relkind="i",
        keys=tuple(keys),
        include=tuple(attnums[c] for c in candidate.include),
        include_names=candidate.include,
        predicate=canonical(candidate.where),
        predicate_tree=None,
        unique=False,
        primary=False,
        valid=True,
        ready=True,
        replica_identity=False,
        nulls_not_distinct=False,
        constraint=None,
        referenced_by=(),
        parent=None,
        size=0,
        scans=0,
        last_scan=None,
        definition=None,
    )


def comparable(index: IndexFact) -> IndexFact:
    """A built index in the candidates' spelling: default operator classes and collations as
    DEFAULT, expressions and the predicate canonical."""
    keys = tuple(
        replace(
            key,
            text=canonical(key.text) or key.text if key.attnum == 0 else key.text,
            opclass=DEFAULT if key.default_opclass else key.opclass,
            collation=DEFAULT if key.default_opclass else key.collation,
        )
        for key in index.keys
    )
    return replace(index, keys=keys, predicate=canonical(index.predicate))


def existing_cover(fact: IndexFact, built: tuple[IndexFact, ...]) -> IndexFact | None:
    """A built index that already serves every scan the candidate would (or its lookups)."""
    for index in built:
        if not usable(index) or index.table_oid != fact.table_oid:
            continue
        if same_definition(index, fact) or covers(index, fact) or unique_cover(index, fact):
            return index
    return None


def proposal_covers(wide: IndexFact, narrow: IndexFact) -> bool:
    """Between two proposals: `wide` makes `narrow` unnecessary (or they are the same)."""
    return same_definition(wide, narrow) or covers(wide, narrow)
