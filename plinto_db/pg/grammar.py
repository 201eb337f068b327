"""PostgreSQL's own grammar (libpg_query, through pglast) as the judge of a syntax error: the
server's message and the character offset it points at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pglast.parser import ParseError


MAX_MESSAGE = 100


@dataclass(frozen=True)
class GrammarError:
    offset: int  # a character offset into the text that was parsed
    message: str  # e.g. 'syntax error at or near ";"'


def grammar_error(text: str) -> GrammarError | None:
    """PostgreSQL's first syntax error in `text`; None when its grammar accepts the text."""
    from pglast import parser

    try:
        parser.parse_sql(text)
    except parser.ParseError as exc:
        return error_of(exc, text)
    return None


def error_of(exc: ParseError, text: str) -> GrammarError:
    message = " ".join((str(exc.args[0]) if exc.args else str(exc)).split())  # one line
    if len(message) > MAX_MESSAGE:  # "at or near" quotes the rest of an unterminated string
        message = message[: MAX_MESSAGE - 1] + "…"
    at = exc.args[1] if len(exc.args) > 1 else None
    offset = at if isinstance(at, int) else len(text.rstrip())  # None: "at end of input"
    return GrammarError(min(max(offset, 0), len(text)), message)
