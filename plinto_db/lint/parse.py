"""PostgreSQL's own grammar (libpg_query, through pglast): statements, offsets, comments.

libpg_query parses a whole string or nothing. When a text does not parse, it is cut at
every `;` token of PostgreSQL's scanner (which knows quotes, dollar quotes and comments),
and each piece is parsed on its own: the broken statement is reported where libpg_query
points, and the statements around it are still linted. A piece that fails is retried joined
to the next ones, for the rare statement with `;` inside (CREATE RULE ... DO (...; ...)).
pglast's own split() is not used: it loses every statement after an unbalanced parenthesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pglast import parser

from plinto_db.pg.grammar import error_of

if TYPE_CHECKING:
    from pglast.ast import Node

_COMMENT_TOKENS = frozenset({"SQL_COMMENT", "C_COMMENT"})
_MAX_JOINED = 16  # pieces tried together before a piece is reported as broken


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
    pieces = _pieces(tokens)
    at = 0
    while at < len(pieces):
        start = pieces[at][0]
        failure = None
        for last in range(at, min(at + _MAX_JOINED, len(pieces))):
            try:
                statements.extend(_statements(text[start : pieces[last][1]], start))
            except parser.ParseError as exc:
                failure = failure or _problem(exc, text[start : pieces[at][1]], start)
                continue
            at = last + 1
            break
        else:
            problems.append(failure)
            at += 1
    return ParsedSQL(tuple(statements), tuple(problems), comments)


def _pieces(tokens) -> list[tuple[int, int]]:
    """(start, end) of each statement ended by a `;` token, or by the end of the text."""
    pieces = []
    start, empty = 0, True
    for token in tokens:
        if token.name == "ASCII_59":
            if not empty:
                pieces.append((start, token.end + 1))
            start, empty = token.end + 1, True
        elif token.name not in _COMMENT_TOKENS:
            if empty:
                start = token.start
            empty = False
    if not empty:
        pieces.append((start, tokens[-1].end + 1))
    return pieces


def _statements(text: str, base: int) -> tuple[ParsedStatement, ...]:
    found = []
    for raw in parser.parse_sql(text):
        start = raw.stmt_location or 0
        end = start + raw.stmt_len if raw.stmt_len else len(text.rstrip().rstrip(";"))
        found.append(ParsedStatement(raw.stmt, base + start, base + end))
    return tuple(found)


def _problem(exc: parser.ParseError, text: str, base: int) -> SyntaxProblem:
    error = error_of(exc, text)
    return SyntaxProblem(base + error.offset, error.message)
