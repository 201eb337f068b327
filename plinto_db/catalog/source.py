"""The source text of a statement's parts, found by tokens: sqlglot's rendering of an
expression is not always the SQL PostgreSQL reads (date_part(...) becomes EXTRACT(...)), so
key expressions and predicates are kept exactly as written."""

from __future__ import annotations


def without_nulls_distinct(text: str) -> tuple[str, bool]:
    """Take `NULLS [NOT] DISTINCT` (after the key list, PostgreSQL 15+) out of the
    statement, which sqlglot cannot parse: (the rest, whether it was NOT DISTINCT)."""
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Postgres().tokenize(text)
    except TokenError:
        return text, False
    depth = 0
    for i, token in enumerate(tokens):
        kind = token.token_type
        depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
        if depth or token.text.upper() != "NULLS" or i == 0:
            continue
        if tokens[i - 1].token_type != TokenType.R_PAREN:
            continue  # `NULLS FIRST` inside a key is at depth 1 anyway; be strict here
        rest = [t.token_type for t in tokens[i + 1 : i + 3]]
        if rest[:2] == [TokenType.NOT, TokenType.DISTINCT]:
            end = tokens[i + 2].end
            return text[: token.start] + " " * (end + 1 - token.start) + text[end + 1 :], True
        if rest[:1] == [TokenType.DISTINCT]:
            end = tokens[i + 1].end
            return text[: token.start] + " " * (end + 1 - token.start) + text[end + 1 :], False
    return text, False


def source_parts(text: str) -> tuple[list[str | None], str | None]:
    """The source text of each key's expression (None when it cannot be told) and of the
    WHERE predicate, found by tokens so string literals and comments stay intact."""
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Postgres().tokenize(text)
    except TokenError:
        return [], None
    opening, closing = TokenType.L_PAREN, TokenType.R_PAREN
    pos = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.ON), None)
    if pos is None:
        return [], None
    start = next((i for i in range(pos, len(tokens)) if tokens[i].token_type == opening), None)
    if start is None:
        return [], None
    elements: list[list] = [[]]
    depth = 0
    end = None
    for i in range(start, len(tokens)):
        kind = tokens[i].token_type
        if kind == opening:
            depth += 1
            if depth == 1:
                continue
        elif kind == closing:
            depth -= 1
            if depth == 0:
                end = i
                break
        elif kind == TokenType.COMMA and depth == 1:
            elements.append([])
            continue
        elements[-1].append(tokens[i])
    if end is None:
        return [], None
    keys = [expression_text(text, element) for element in elements]
    where = None
    depth = 0
    for i in range(end + 1, len(tokens)):
        kind = tokens[i].token_type
        depth += (kind == opening) - (kind == closing)
        if depth == 0 and kind == TokenType.WHERE and i + 1 < len(tokens):
            where = text[tokens[i + 1].start : tokens[-1].end + 1].strip()
            break
    return keys, where


def expression_text(text: str, element: list) -> str | None:
    """`(expr) opclass DESC` -> `expr`; `f(x) DESC` -> `f(x)`; None without parentheses."""
    from sqlglot.tokens import TokenType

    first = next((i for i, t in enumerate(element) if t.token_type == TokenType.L_PAREN), None)
    if first is None:
        return None
    depth = 0
    for i in range(first, len(element)):
        kind = element[i].token_type
        depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
        if depth == 0:
            if first == 0:
                if i == 1:
                    return None
                return text[element[1].start : element[i - 1].end + 1].strip()
            return text[element[0].start : element[i].end + 1].strip()
    return None
