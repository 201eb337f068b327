"""A SQL text (a .sql file, or a string given to op.execute) as located raw statements."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from plinto_db.lint.context import RawStatement
from plinto_db.lint.model import Origin, Transaction
from plinto_db.lint.parse import parse_sql
from plinto_db.lint.positions import LineIndex, Placement
from plinto_db.lint.suppress import Directive, assign, directive_rules


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class SQLText:
    statements: tuple[RawStatement, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Where:
    """How the statements of one SQL text run, and where the text sits."""

    path: str
    placement: Placement = Placement()
    origin: Origin = Origin.sql
    suppressed: frozenset[str] = frozenset()  # e.g. a '# plinto-db: ignore[...]' on the call
    transaction: Transaction | None = None
    autocommit: bool = False
    call: str | None = None


def read_statements(text: str, where: Where, known_rules: Collection[str]) -> SQLText:
    parsed = parse_sql(text)
    index = LineIndex(text)

    def locate(offset: int) -> tuple[int, int]:
        return where.placement.locate(index, offset)

    directives = []
    for comment in parsed.comments:
        line, _ = locate(comment.start)
        rules = directive_rules(comment.text, known_rules, f"{where.path}:{line}")
        if rules is not None:
            directives.append(Directive(comment.start, rules))
    spans = [(s.start, s.end) for s in parsed.statements]
    suppressed = assign(spans, directives, index.line)
    transaction = where.transaction
    if transaction is None and where.origin == Origin.execute and len(spans) > 1:
        transaction = Transaction(
            f"the one implicit transaction of the {len(spans)} statements of this op.execute() "
            "string",
            "give it an op.execute() call of its own",
        )
    statements = tuple(
        RawStatement(
            node=s.node,
            line=locate(s.start)[0],
            column=locate(s.start)[1],
            origin=where.origin,
            suppressed=ids | where.suppressed,
            transaction=transaction,
            autocommit=where.autocommit,
            call=where.call,
        )
        for s, ids in zip(parsed.statements, suppressed, strict=True)
    )
    problems = tuple(Problem(*locate(p.offset), p.message) for p in parsed.problems)
    return SQLText(statements, problems)
