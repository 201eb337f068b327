"""Rows to JSON bytes (pure). The stdlib encoder; values JSON has no type for become text:
timestamps in ISO 8601, uuids and network addresses as text, numerics as text (no float
rounding), bytea as `\\x` hex, intervals as seconds."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
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


# Columns the API never returns, whatever the check selects (secrets, even synthetic ones).
SECRET_COLUMNS = frozenset(
    {
        "password_hash",
        "mfa_secret",
        "mfa_backup_codes",
        "secret",  # webhook_endpoints: the signing secret
        "token",  # magic links, password resets, email verifications, invitations
        "access_token",  # oauth_accounts: the provider's tokens
        "refresh_token",
    }
)


@lru_cache(maxsize=512)
def _public(names: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """(positions of the columns that may be returned, names of those withheld)."""
    kept = tuple(i for i, name in enumerate(names) if name not in SECRET_COLUMNS)
    return kept, tuple(name for name in names if name in SECRET_COLUMNS)


def public_records(
    names: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """Rows as objects without the secret columns, and the names withheld."""
    kept, withheld = _public(names)
    if not withheld:
        return records(names, rows), ()
    shown = [names[i] for i in kept]
    return [dict(zip(shown, (row[i] for i in kept), strict=True)) for row in rows], withheld


def fields(names: Sequence[str], row: Sequence[Any], wanted: Sequence[str]) -> dict[str, Any]:
    """The `wanted` columns of one row, in that order (a page's own selection)."""
    position = {name: i for i, name in enumerate(names)}
    return {name: row[position[name]] for name in wanted if name in position}
