"""One-statement suppressions: `-- plinto-db: ignore[rule-id, other-id]` (or `#` in Python).

A directive belongs to the statement it sits in, to the statement that ends on its line
(`CREATE INDEX ...; -- plinto-db: ignore[...]`), or else to the next statement. Naming no
rule, or a rule that does not exist, is bad input: a typo must not silently lint nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from plinto_db.errors import UserError

# Applied to the text of one comment, never to code.
_DIRECTIVE = re.compile(r"plinto-db:\s*ignore\b(?:\[([^\]]*)\])?")


@dataclass(frozen=True)
class Directive:
    offset: int  # where the comment starts in its text
    rules: frozenset[str]


def directive_rules(comment: str, known: Collection[str], where: str) -> frozenset[str] | None:
    """The rule ids a comment suppresses; None when it is not a directive."""
    match = _DIRECTIVE.search(comment)
    if match is None:
        return None
    if match.group(1) is None or not match.group(1).strip():
        raise UserError(
            f"{where}: name the rules to ignore, e.g. 'plinto-db: ignore[rule-id]' "
            "(plinto-db lint --list-rules shows them)"
        )
    rules = frozenset(r.strip() for r in match.group(1).split(",") if r.strip())
    unknown = sorted(rules - set(known))
    if unknown:
        raise UserError(
            f"{where}: unknown rule {', '.join(repr(r) for r in unknown)} in a plinto-db: ignore "
            "comment (plinto-db lint --list-rules shows the rule ids)"
        )
    return rules


def assign(
    spans: Sequence[tuple[int, int]], directives: Sequence[Directive], line_of
) -> list[frozenset[str]]:
    """The suppressed rule ids of each statement; `spans` are (start, end) offsets, in order."""
    suppressed: list[set[str]] = [set() for _ in spans]
    starts = [start for start, _ in spans]
    for directive in directives:
        target = _target(spans, starts, directive.offset, line_of)
        if target is not None:
            suppressed[target] |= directive.rules
    return [frozenset(s) for s in suppressed]


def _target(spans, starts, offset: int, line_of) -> int | None:
    before = bisect_right(starts, offset) - 1
    if before >= 0:
        start, end = spans[before]
        if offset < end or line_of(end) == line_of(offset):
            return before
    after = before + 1
    return after if after < len(spans) else None
