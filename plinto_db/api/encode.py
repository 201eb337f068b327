"""Rows to JSON bytes (pure). The stdlib encoder; values JSON has no type for become text:
timestamps in ISO 8601, uuids and network addresses as text, numerics as text (no float
rounding), bytea as `\\x` hex, intervals as seconds."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

JSON = "application/json"


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)  # ranges, network addresses, anything else with a text form


_encoder = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":"))


def dumps(document: Any) -> bytes:
    return _encoder.encode(document).encode()


def records(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows as objects keyed by column name (a repeated name keeps the last column's value)."""
    return [dict(zip(names, row, strict=True)) for row in rows]


def record(names: Sequence[str], row: Sequence[Any] | None) -> dict[str, Any] | None:
    return None if row is None else dict(zip(names, row, strict=True))
