"""Timeout options: every one takes seconds, or a value with its unit (500ms, 2s, 1min).

check's and bench's timeouts used to take bare milliseconds: for one release a bare number
there still means milliseconds, with a warning saying how to write it.
"""

from __future__ import annotations

import re

from plinto_db.errors import UserError

METAVAR = "SECONDS"
UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$")


def seconds(text: str, option: str, *, bare_milliseconds: bool = False) -> float:
    """The duration `text` gives, in seconds; a UserError naming the option otherwise."""
    match = _DURATION.match(text.lower())
    if match is None or match.group(2) not in ("", *UNITS):
        raise UserError(
            f"{option} {text!r}: give seconds (2, 0.5) or a value with its unit (500ms, 2s, 1min)"
        )
    number, unit = float(match.group(1)), match.group(2)
    if unit:
        return number * UNITS[unit]
    if bare_milliseconds and number:  # 0 (no limit) means the same in any unit
        from plinto_db import report

        report.note(
            f"warning: {option} {text}: a bare number is read as milliseconds, as before; "
            f"write {_as_seconds(number / 1000)} (every timeout option takes seconds now; a "
            "bare number will mean seconds in the next release)"
        )
        return number / 1000
    return number


def _as_seconds(value: float) -> str:
    return f"{value:g}s"
