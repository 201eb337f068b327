"""The one line a user sees for an error the server (or the driver) raised."""

from __future__ import annotations


def server_message(exc: BaseException, *, detail: bool = True) -> str:
    """PostgreSQL's primary message, with its DETAIL in parentheses when there is one.

    Falls back to the first line of the exception's text (errors raised by the driver
    itself carry no diagnostics), then to the exception's type name.
    """
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    lines = str(exc).strip().splitlines()
    text = (primary or (lines[0] if lines else "")).strip() or type(exc).__name__
    extra = getattr(diag, "message_detail", None) if detail and diag is not None else None
    return f"{text} ({extra.strip()})" if extra else text
