"""Reading a user's .sql file: one clear line for unreadable or non-UTF-8 input."""

from __future__ import annotations

from pathlib import Path

from plinto_db.errors import UserError


def read_sql_text(file: Path) -> str:
    """The file as text; an editor's byte-order mark is dropped (it is not SQL)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UserError(f"{file}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UserError(
            f"{file}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x} at column {column}); "
            "save the file as UTF-8"
        ) from None
