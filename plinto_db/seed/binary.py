"""COPY binary building blocks for the largest seed tables.

Binary COPY spares the server the text parsing of uuids, timestamps and the line splitting
(~25% of its work per row on the history tables, measured), at no extra cost in Python: fixed
values (pools of strings, user and organization ids) are encoded once, with their length
prefix, and a row is a join of ready-made pieces.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
NULL = b"\xff\xff\xff\xff"
TRUE = b"\x00\x00\x00\x01\x01"
FALSE = b"\x00\x00\x00\x01\x00"
UUID_PREFIX = b"\x00\x00\x00\x10"
PG_EPOCH = 946_684_800  # 2000-01-01 in Unix seconds: binary timestamps count from there
TEXT_OID = 25

timestamp_field = struct.Struct(">iq").pack  # call as timestamp_field(8, microseconds)
_length = struct.Struct(">i").pack


def fields(count: int) -> bytes:
    """The tuple header: the number of fields."""
    return struct.pack(">h", count)


def text(value: str) -> bytes:
    data = value.encode()
    return _length(len(data)) + data


def texts(values: Iterable[str]) -> list[bytes]:
    return [text(v) for v in values]


def jsonb(value: str) -> bytes:
    data = b"\x01" + value.encode()  # jsonb binary format: version 1, then the JSON text
    return _length(len(data)) + data


def uuid(hex32: str) -> bytes:
    return UUID_PREFIX + bytes.fromhex(hex32)


def uuids(hex_values: Sequence[str]) -> list[bytes]:
    return [UUID_PREFIX + bytes.fromhex(v) for v in hex_values]


def text_array(values: Sequence[str]) -> bytes:
    """A one-dimensional text[] (or '{}' when empty) in binary array format."""
    if not values:
        body = struct.pack(">iii", 0, 0, TEXT_OID)
    else:
        body = struct.pack(">iiiii", 1, 0, TEXT_OID, len(values), 1)
        body += b"".join(text(v) for v in values)
    return _length(len(body)) + body


def text_array_literal(literal: str) -> bytes:
    """text_array from a simple literal such as '{soc2,gdpr}' (no quoting, no NULLs)."""
    inner = literal.strip("{}")
    return text_array(inner.split(",") if inner else [])
