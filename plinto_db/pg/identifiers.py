"""SQL identifiers as PostgreSQL prints them: bare when unambiguous, else double-quoted.

Pure text, for the places that must stay text (the apply plan is printed by --dry-run);
statements run through psycopg compose identifiers with psycopg.sql.Identifier instead.
"""

from __future__ import annotations

import re
import string

# Words PostgreSQL reserves (cannot be a bare column/table/index name): these get quoted.
_RESERVED = frozenset(
    """all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user default
    deferrable desc distinct do else end except false fetch for foreign freeze from full grant
    group having ilike in initially inner intersect into is isnull join lateral leading left like
    limit localtime localtimestamp natural not notnull null offset on only or order outer overlaps
    placing primary references returning right select session_user similar some symmetric
    system_user table tablesample then to trailing true union unique user using variadic verbose
    when where window with""".split()
)
MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1: PostgreSQL truncates longer names
_SIMPLE_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")
# one identifier: bare (PostgreSQL folds it to lower case) or double-quoted (kept as written)
_IDENTIFIER = re.compile(r'[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*|"(?:[^"]|"")+"')
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def quote_ident(name: str) -> str:
    """An identifier as PostgreSQL reads it back: bare when that is unambiguous, else quoted."""
    if _SIMPLE_IDENT.match(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def truncated(identifier: str, size: int = MAX_IDENTIFIER_BYTES) -> str:
    """What PostgreSQL keeps of a longer identifier: its first `size` bytes (63), never part
    of a UTF-8 character."""
    return identifier.encode()[:size].decode("utf-8", "ignore")


def name_parts(text: str) -> tuple[str, ...] | None:
    """A dotted name (`name`, `schema.name`, `"My Schema"."T"`) as PostgreSQL reads it: a bare
    part folded to lower case, a quoted one as written, each cut to 63 bytes; None when
    `text` is not such a name."""
    parts: list[str] = []
    pos = 0
    while True:
        match = _IDENTIFIER.match(text, pos)
        if match is None:
            return None
        part = match.group(0)
        read = part[1:-1].replace('""', '"') if part.startswith('"') else fold(part)
        parts.append(truncated(read))
        pos = match.end()
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1


def fold(identifier: str) -> str:
    """PostgreSQL lower-cases the ASCII letters of an unquoted identifier, nothing else."""
    return identifier.translate(_ASCII_LOWER)
