"""Scanning SQL text without parsing it: what is code, and what is a string or a comment.

The workload needs three answers from a check's text: where its one statement ends, the highest
`$n` it uses, and a `params:` value split at top-level commas. Strings, quoted identifiers,
comments and dollar quotes are skipped as PostgreSQL's lexer would. Pure code.
"""

from __future__ import annotations

import re
from pathlib import Path

from plinto_db.errors import UserError


def split_params(text: str, file: Path, line: int) -> tuple[str, ...]:
    """Split `'a,b', 42, ARRAY[1,2], now() - interval '1 day'` at top-level commas."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            end = quoted_end(text, i)
            if end < 0:
                raise UserError(f"{file}:{line}: unterminated {ch} in `params:`")
            current.append(text[i : end + 1])
            i = end + 1
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise UserError(f"{file}:{line}: unbalanced {ch!r} in `params:`")
        if ch == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    if depth:
        raise UserError(f"{file}:{line}: unbalanced parentheses in `params:`")
    items.append("".join(current).strip())
    if any(not item for item in items):
        raise UserError(f"{file}:{line}: empty value in `params:`")
    return tuple(items)


def quoted_end(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                i += 2
                continue
            return i
        i += 1
    return -1


_PARAM = re.compile(r"\$(\d+)")


_SPECIAL = re.compile(r"""'|"|--|/\*|\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$""")


def code_spans(sql: str) -> list[tuple[int, int]]:
    """Spans of `sql` outside strings, quoted identifiers, comments and dollar quotes."""
    spans: list[tuple[int, int]] = []
    start = pos = 0
    n = len(sql)
    while True:
        match = _SPECIAL.search(sql, pos)
        if match is None:
            break
        i, token = match.start(), match.group(0)
        if token.startswith("$") and i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_"):
            pos = i + 1  # an identifier like a$b$, not a dollar quote
            continue
        if token in ("'", '"'):
            end = quoted_end(sql, i)
            skip_to = n if end < 0 else end + 1
        elif token == "--":
            end = sql.find("\n", i)
            skip_to = n if end < 0 else end
        elif token == "/*":
            end = sql.find("*/", i + 2)
            skip_to = n if end < 0 else end + 2
        else:
            end = sql.find(token, i + len(token))
            skip_to = n if end < 0 else end + len(token)
        spans.append((start, i))
        start = pos = skip_to
    spans.append((start, n))
    return [s for s in spans if s[0] < s[1]]


def param_count(sql: str) -> int:
    """The highest `$n` used in the statement (outside strings and comments)."""
    highest = 0
    for start, end in code_spans(sql):
        chunk = sql[start:end]
        for match in _PARAM.finditer(chunk):
            pos = match.start()
            if pos > 0 and (chunk[pos - 1].isalnum() or chunk[pos - 1] == "_"):
                continue
            highest = max(highest, int(match.group(1)))
    return highest


def strip_statement(sql: str, file: Path, line: int) -> str:
    """The one statement of a check file, without its trailing semicolon."""
    body = sql.strip()
    cut: int | None = None
    for start, end in code_spans(body):
        semi = body.find(";", start, end)
        if semi >= 0:
            cut = semi
            break
    if cut is not None:
        rest = body[cut + 1 :]
        if has_code(rest):
            raise UserError(f"{file}:{line}: one statement per check file (found a second one)")
        body = body[:cut]
    body = body.rstrip()
    if not has_code(body):
        raise UserError(f"{file}:{line}: no SQL statement after the header")
    return body


def has_code(sql: str) -> bool:
    return any(sql[s:e].strip() for s, e in code_spans(sql))


_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def has_order_by(sql: str) -> bool:
    """Does the statement ask for an order (ORDER BY outside strings and comments)?"""
    return any(_ORDER_BY.search(sql, start, end) for start, end in code_spans(sql))
