"""The targets file: TOML, one `[[target]]` table per database. Pure: no connection.

    [[target]]
    name = "eu-1"
    dsn_env = "EU1_DSN"          # or dsn = "postgresql://..."; never both
    tags = ["eu", "prod"]
    role = "replica"             # optional; apply and drop skip a replica

Every mistake is one UserError naming `file:line`, raised before anything connects.
tomllib gives no positions, so lines are found again in the text (best effort: the key's
line inside its table, else the table's header line).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from plinto_db.errors import UserError

KEYS = ("name", "dsn", "dsn_env", "role", "tags")
ROLES = ("primary", "replica")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_HEADER = re.compile(r"^\s*\[\[\s*target\s*\]\]")


@dataclass(frozen=True)
class Target:
    name: str
    dsn: str | None  # given in the file
    dsn_env: str | None  # or the environment variable holding it
    role: str = "primary"
    tags: tuple[str, ...] = ()
    where: str = ""  # file:line of its table

    @property
    def replica(self) -> bool:
        return self.role == "replica"


@dataclass(frozen=True)
class Resolved:
    """A chosen target with its DSN read (from the file or its variable)."""

    target: Target
    dsn: str

    @property
    def name(self) -> str:
        return self.target.name


def read_targets(path: Path) -> tuple[Target, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"--targets {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--targets {path}: cannot read it ({exc})") from None
    return parse_targets(text, str(path))


def parse_targets(text: str, file: str) -> tuple[Target, ...]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(
            f"{file}:{_decode_line(exc)}: not valid TOML: {_decode_reason(exc)}"
        ) from None
    lines = _Lines(text, file)
    for key in document:
        if key != "target":
            raise UserError(
                f"{lines.top(key)}: unknown key {key!r} (a targets file holds [[target]] tables)"
            )
    tables = document.get("target")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise UserError(f"{file}:1: no targets: give one [[target]] table per database")
    targets = tuple(_target(table, number, lines) for number, table in enumerate(tables))
    _refuse_duplicates(targets)
    return targets


def _target(table: dict, number: int, lines: _Lines) -> Target:
    for key in table:
        if key not in KEYS:
            near = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f" (known: {', '.join(KEYS)})"
            raise UserError(f"{lines.key(number, key)}: unknown key {key!r} in a target{hint}")
    where = lines.key(number, "name")
    name = table.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        what = "missing" if name is None else f"{name!r} is not"
        raise UserError(
            f"{where}: name {what} a target name (letters, digits, '.', '_', '-'; up to 63)"
        )
    for key in ("dsn", "dsn_env", "role"):
        if key in table and (not isinstance(table[key], str) or not table[key].strip()):
            raise UserError(
                f"{lines.key(number, key)}: target {name!r}: {key} must be a non-empty string"
            )
    dsn, dsn_env = table.get("dsn"), table.get("dsn_env")
    if (dsn is None) == (dsn_env is None):
        both = "gives both dsn and dsn_env" if dsn else "gives neither dsn nor dsn_env"
        raise UserError(f"{lines.header(number)}: target {name!r} {both}: give one")
    role = table.get("role", "primary")
    if role not in ROLES:
        raise UserError(
            f"{lines.key(number, 'role')}: target {name!r}: role {role!r}: give primary or replica"
        )
    tags = table.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise UserError(
            f"{lines.key(number, 'tags')}: target {name!r}: tags must be a list of strings"
        )
    return Target(name, dsn, dsn_env, role, tuple(tags), lines.header(number))


def _refuse_duplicates(targets: tuple[Target, ...]) -> None:
    seen: dict[str, Target] = {}
    for target in targets:
        first = seen.setdefault(target.name, target)
        if first is not target:
            raise UserError(
                f"{target.where}: duplicate target name {target.name!r} (first at {first.where})"
            )


def resolve(targets: tuple[Target, ...], environ: Mapping[str, str]) -> tuple[Resolved, ...]:
    """Each target's DSN; an unset or empty variable is an error naming the target's line."""
    resolved = []
    for target in targets:
        if target.dsn is not None:
            resolved.append(Resolved(target, target.dsn.strip()))
            continue
        value = environ.get(target.dsn_env or "", "").strip()
        if not value:
            state = "is empty" if target.dsn_env in environ else "is not set"
            raise UserError(
                f"{target.where}: target {target.name!r}: environment variable "
                f"{target.dsn_env} {state} (it holds the target's connection string)"
            )
        resolved.append(Resolved(target, value))
    return tuple(resolved)


class _Lines:
    """Where the file's tables and keys are, by line number (1-based)."""

    def __init__(self, text: str, file: str):
        self.file = file
        self.text_lines = text.splitlines()
        self.headers = [i for i, line in enumerate(self.text_lines) if _HEADER.match(line)]

    def header(self, number: int) -> str:
        line = self.headers[number] + 1 if number < len(self.headers) else 1
        return f"{self.file}:{line}"

    def key(self, number: int, key: str) -> str:
        if number >= len(self.headers):
            return self.header(number)
        start = self.headers[number]
        end = self.headers[number + 1] if number + 1 < len(self.headers) else len(self.text_lines)
        found = self._find(key, start + 1, end)
        return f"{self.file}:{(found if found is not None else start) + 1}"

    def top(self, key: str) -> str:
        end = self.headers[0] if self.headers else len(self.text_lines)
        found = self._find(key, 0, end)
        if found is None:
            pattern = re.compile(rf"^\s*\[+\s*[\"']?{re.escape(key)}\b")
            found = next((i for i, line in enumerate(self.text_lines) if pattern.match(line)), 0)
        return f"{self.file}:{found + 1}"

    def _find(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=.]")
        return next((i for i in range(start, end) if pattern.match(self.text_lines[i])), None)


def _decode_line(exc: tomllib.TOMLDecodeError) -> int:
    found = re.search(r"line (\d+)", str(exc))
    return int(found.group(1)) if found else 1


def _decode_reason(exc: tomllib.TOMLDecodeError) -> str:
    return re.sub(r"\s*\(at line \d+, column \d+\)|\s*\(at end of document\)", "", str(exc))
