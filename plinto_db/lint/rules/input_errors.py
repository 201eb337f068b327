"""Input the linter could not read: reported like a rule, so it shows in every format."""

from __future__ import annotations

from collections.abc import Iterator

from plinto_db.lint.model import Rule, Severity, Statement
from plinto_db.lint.sources import PARSE_ERROR, UNREADABLE


def _reported_by_the_reader(statement: Statement) -> Iterator[str]:
    return iter(())


PARSE_ERROR_RULE = Rule(
    id=PARSE_ERROR,
    severity=Severity.error,
    summary="a statement PostgreSQL's parser (or Python's, for a revision) rejects",
    check=_reported_by_the_reader,
)
UNREADABLE_RULE = Rule(
    id=UNREADABLE,
    severity=Severity.error,
    summary="a file that cannot be read or is not UTF-8",
    check=_reported_by_the_reader,
)
