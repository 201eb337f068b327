"""PostgreSQL's own grammar (libpg_query, through pglast): statements, offsets, comments.

libpg_query parses a whole string or nothing. When a text does not parse, it is cut into
statements with PostgreSQL's scanner (which knows quotes, dollar quotes and comments), and
each piece is parsed on its own: the broken statement is reported where libpg_query points,
and the statements around it are still linted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pglast import parser

if TYPE_CHECKING:
    from pglast.ast import Node

_COMMENT_TOKENS = frozenset({"SQL_COMMENT", "C_COMMENT"})


@dataclass(frozen=True)
class ParsedStatement:
    node: Node
    start: int  # offset of its first token
    end: int  # offset just after its last token (the ';' excluded)


@dataclass(frozen=True)
class SyntaxProblem:
    offset: int
    message: str


@dataclass(frozen=True)
class Comment:
    start: int
    text: str


@dataclass(frozen=True)
class ParsedSQL:
    statements: tuple[ParsedStatement, ...]
    problems: tuple[SyntaxProblem, ...]
    comments: tuple[Comment, ...]


def parse_sql(text: str) -> ParsedSQL:
    try:
        tokens = parser.scan(text)
    except parser.ParseError as exc:  # an unterminated quote or comment: nothing to split on
        return ParsedSQL((), (_problem(exc, text, 0),), ())
    comments = tuple(
        Comment(t.start, text[t.start : t.end + 1]) for t in tokens if t.name in _COMMENT_TOKENS
    )
    try:
        return ParsedSQL(_statements(text, 0), (), comments)
    except parser.ParseError:
        pass
    statements: list[ParsedStatement] = []
    problems: list[SyntaxProblem] = []
    for piece in parser.split(text, with_parser=False, only_slices=True):
        try:
            statements.extend(_statements(text[piece], piece.start))
        except parser.ParseError as exc:
            problems.append(_problem(exc, text[piece], piece.start))
    return ParsedSQL(tuple(statements), tuple(problems), comments)


def _statements(text: str, base: int) -> tuple[ParsedStatement, ...]:
    found = []
    for raw in parser.parse_sql(text):
        start = raw.stmt_location or 0
        end = start + raw.stmt_len if raw.stmt_len else len(text.rstrip().rstrip(";"))
        found.append(ParsedStatement(raw.stmt, base + start, base + end))
    return tuple(found)


def _problem(exc: parser.ParseError, text: str, base: int) -> SyntaxProblem:
    message = str(exc.args[0]) if exc.args else str(exc)
    at = exc.args[1] if len(exc.args) > 1 else None
    offset = at if isinstance(at, int) else len(text.rstrip())  # None: "at end of input"
    return SyntaxProblem(base + min(max(offset, 0), len(text)), message)
