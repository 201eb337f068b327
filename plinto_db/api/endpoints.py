"""The endpoint registry: one `GET /q/{check}` per check of the workload (pure: no server).

Parameter values are text: the server converts them to the types it infers for `$1..$n` when
the statement is prepared, exactly as for a literal. A request overrides the start-up values by
position, `?p1=...&p2=...` for `$1`, `$2`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    READ = "read"  # autocommit, in a read-only session
    ROLLBACK = "rollback"  # a statement that writes: run in a transaction that is rolled back


class BadParameter(ValueError):
    """A request's query string does not fit the endpoint (HTTP 422)."""


@dataclass(frozen=True)
class Endpoint:
    name: str  # the check's name: the file name without .sql
    sql: str  # the check's statement, verbatim ($1..$n placeholders)
    param_count: int
    defaults: tuple[str | None, ...] | None  # start-up values, or None when there are none
    source: str  # where the defaults came from: "sample (line 4)", "params (line 3)", why none
    mode: Mode
    location: str  # file:line of the statement

    @property
    def path(self) -> str:
        return f"/q/{self.name}"

    def values(self, query: Iterable[tuple[str, str]]) -> tuple[str | None, ...]:
        """The values for `$1..$n`: the defaults, overridden by `p1..pN` in the query string."""
        given: dict[int, str] = {}
        for key, value in query:
            position = _position(key, self.param_count, self.name)
            if position in given:
                raise BadParameter(f"{key} given twice")
            given[position] = text_value(key, value)
        if not self.param_count:
            return ()
        values: list[str | None] = []
        for position in range(1, self.param_count + 1):
            if position in given:
                values.append(given[position])
            elif self.defaults is not None:
                values.append(self.defaults[position - 1])
            else:
                raise BadParameter(
                    f"{self.name} has no start-up value for ${position} ({self.source}): "
                    f"give p{position} in the query string"
                )
        return tuple(values)

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "params": [f"p{i}" for i in range(1, self.param_count + 1)],
            "defaults": list(self.defaults) if self.defaults is not None else None,
            "defaults_from": self.source,
            "mode": self.mode.value,
            "file": self.location,
        }


def text_value(key: str, value: str) -> str:
    """A query-string value as a statement parameter: text, which cannot hold a NUL byte."""
    if "\x00" in value:
        raise BadParameter(f"{key} holds a NUL byte (%00), which PostgreSQL text cannot hold")
    return value


_P = re.compile(r"^p([1-9][0-9]{0,3})$")


def _position(key: str, count: int, name: str) -> int:
    match = _P.match(key)
    position = int(match.group(1)) if match else 0
    if not position or position > count:
        takes = f"p1..p{count}" if count > 1 else ("p1" if count else "no parameters")
        raise BadParameter(f"unknown parameter {key!r}: {name} takes {takes}")
    return position


# First keywords of statements that change data: served in a transaction that is rolled back.
_WRITES = frozenset({"insert", "update", "delete", "merge", "truncate", "copy", "call", "do"})
_WORD = re.compile(r"[A-Za-z_]+")
_DATA_MODIFYING = re.compile(r"\b(insert|update|delete|merge)\b", re.IGNORECASE)
_LOCKING = re.compile(r"\bfor\s+(?:no\s+key\s+)?(?:update|share|key\s+share)\b", re.IGNORECASE)
_LEADING_NOISE = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/|\()*", re.DOTALL)


def statement_mode(sql: str) -> Mode:
    """READ for a plain query; ROLLBACK for a statement that writes or takes row locks.

    Errs towards ROLLBACK (a WITH that mentions UPDATE anywhere): a false alarm costs a
    BEGIN/ROLLBACK; a statement that writes all the same is refused by the read-only session
    and retried rolled back (see database.py).
    """
    body = _LEADING_NOISE.sub("", sql, count=1)
    first = _WORD.match(body)
    keyword = first.group(0).lower() if first else ""
    if keyword in _WRITES:
        return Mode.ROLLBACK
    if keyword == "with" and _DATA_MODIFYING.search(body):
        return Mode.ROLLBACK
    if _LOCKING.search(body):
        return Mode.ROLLBACK
    return Mode.READ


@dataclass(frozen=True)
class FlowKeys:
    """Values the flows draw from at random, sampled once at start-up from the data."""

    emails: tuple[str, ...] = ()  # active users
    jtis: tuple[str, ...] = ()  # access-token jtis of active, unrevoked, unexpired sessions
    memberships: tuple[tuple[str, str], ...] = ()  # (user_id, organization_id), active


@dataclass(frozen=True)
class ApiState:
    """Everything a worker needs, read from the server once by the parent process."""

    dsn: str
    checks: str  # the workload folder, for messages
    server_version: int
    endpoints: tuple[Endpoint, ...]
    flows: tuple[str, ...] = ()  # names of the flows this workload and database support
    keys: FlowKeys = field(default_factory=FlowKeys)

    def by_name(self) -> Mapping[str, Endpoint]:
        return {e.name: e for e in self.endpoints}

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ApiState:
        raw = json.loads(text)
        endpoints = tuple(
            Endpoint(
                **{
                    **e,
                    "mode": Mode(e["mode"]),
                    "defaults": tuple(e["defaults"]) if e["defaults"] is not None else None,
                }
            )
            for e in raw["endpoints"]
        )
        keys = raw["keys"]
        return cls(
            dsn=raw["dsn"],
            checks=raw["checks"],
            server_version=raw["server_version"],
            endpoints=endpoints,
            flows=tuple(raw["flows"]),
            keys=FlowKeys(
                emails=tuple(keys["emails"]),
                jtis=tuple(keys["jtis"]),
                memberships=tuple((u, o) for u, o in keys["memberships"]),
            ),
        )
