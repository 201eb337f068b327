"""Captured check files: their text, their names, and whether a person has edited one.

A captured file is a check file `check` reads as it reads any other:

    -- Captured from pg_stat_statements by plinto-db capture (docs/capture.md).
    -- queryid 4242: 1,204 calls, mean 0.412 ms, total 496.0 ms, 38.2% of the workload's time
    -- Fingerprint 1f2e3d4c5b6a: capture refreshes the line above; edit a line below and ...
    -- Planned natural when captured: parameter values sampled from users.email.
    -- source: pg_stat_statements queryid 4242
    -- expect: index idx_users_email
    -- sample: SELECT email FROM users AS plinto_sample WHERE email IS NOT NULL LIMIT 1
    SELECT * FROM users WHERE email = $1;

The fingerprint is a hash of every line below it as capture wrote them. A later capture
rewrites only the numbers line, and only while the fingerprint still matches: a file whose
expectations (or sample, or statement) a person changed is left alone, and so is a file
capture did not write. Pure code, but for reading and writing the files.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

TITLE = "-- Captured from pg_stat_statements by plinto-db capture (docs/capture.md)."
_NUMBERS = re.compile(r"^-- queryid -?\d+: ")
_FINGERPRINT = re.compile(r"^-- Fingerprint ([0-9a-f]{12}):")
_SOURCE = re.compile(r"^--\s*source:\s*pg_stat_statements queryid (-?\d+)\s*$")
GENERIC_FOLDER = "generic"  # statements planned without values: `check --mode generic` there


@dataclass(frozen=True)
class Numbers:
    queryid: int
    calls: int
    mean_ms: float
    total_ms: float
    time_share: float  # of the workload's execution time, 0..1


def numbers_line(numbers: Numbers) -> str:
    return (
        f"-- queryid {numbers.queryid}: {numbers.calls:,} call{'s' if numbers.calls != 1 else ''}"
        f", mean {numbers.mean_ms:,.3f} ms, "
        f"total {numbers.total_ms:,.1f} ms, {numbers.time_share:.1%} of the workload's time"
    )


def render(numbers: Numbers, body: list[str]) -> str:
    """The whole file: title, numbers, fingerprint of `body`, `body` (ending in the SQL)."""
    fingerprint_line = (
        f"-- Fingerprint {fingerprint(body)}: capture refreshes the line above; edit a line "
        "below and capture leaves this file alone."
    )
    return "\n".join([TITLE, numbers_line(numbers), fingerprint_line, *body]) + "\n"


def body_lines(
    queryid: int, plan_note: str, expectations: list[str], sample: str | None, sql: str
) -> list[str]:
    lines = [f"-- {plan_note}", f"-- source: pg_stat_statements queryid {queryid}"]
    lines += [f"-- expect: {e}" for e in expectations]
    if sample:
        lines.append(f"-- sample: {sample}")
    return lines + statement_text(sql).splitlines()


def statement_text(sql: str) -> str:
    """The statement as a check file holds it: leading comment lines dropped (they would be
    read as the header), one trailing semicolon."""
    lines = sql.strip().splitlines()
    while lines and (lines[0].strip().startswith("--") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines).rstrip().rstrip(";").rstrip() + ";"


def fingerprint(body: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in body).strip()
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def file_name(main_table: tuple[str | None, str], queryid: int) -> str:
    """Stable and readable: the main table, then the queryid (as unsigned hex)."""
    schema, table = main_table
    words = f"{schema}_{table}" if schema and schema != "public" else table
    words = re.sub(r"[^a-z0-9_]+", "_", words.lower()).strip("_")[:40] or "statement"
    return f"{words}_{queryid & 0xFFFF_FFFF_FFFF_FFFF:016x}.sql"


class FileState(StrEnum):
    OURS = "ours"  # written by capture, untouched since
    EDITED = "edited"  # written by capture, a line below the fingerprint changed
    FOREIGN = "foreign"  # not written by capture


@dataclass(frozen=True)
class Existing:
    path: Path
    queryid: int | None
    state: FileState
    text: str


def read_existing(path: Path) -> Existing:
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    queryid = next((int(m.group(1)) for m in map(_SOURCE.match, lines) if m), None)
    for position, line in enumerate(lines):
        match = _FINGERPRINT.match(line)
        if match:
            body = lines[position + 1 :]
            state = FileState.OURS if fingerprint(body) == match.group(1) else FileState.EDITED
            return Existing(path, queryid, state, text)
    return Existing(path, queryid, FileState.FOREIGN, text)


def existing_files(out: Path) -> dict[int, Existing]:
    """The check files already in `out` (and its generic folder), by the queryid they name."""
    found: dict[int, Existing] = {}
    for folder in (out, out / GENERIC_FOLDER):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.sql")):
            existing = read_existing(path)
            if existing.queryid is not None:
                found.setdefault(existing.queryid, existing)
    return found


def refreshed(existing: Existing, numbers: Numbers) -> str:
    """The file with its numbers line rewritten (only lines above the fingerprint change)."""
    lines = existing.text.splitlines()
    for position, line in enumerate(lines):
        if _FINGERPRINT.match(line):
            break
        if _NUMBERS.match(line):
            lines[position] = numbers_line(numbers)
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file and a rename: a reader never sees half a check."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
