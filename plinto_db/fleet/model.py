"""What a fleet run found: one TargetRun per target and the fleet's exit code. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plinto_db.errors import ExitCode

# Worst first: a failed build or check, then an unusable database (bad input, unreachable),
# then drift refused, then blocked (a retry may pass); OK last.
SEVERITY = (ExitCode.FAILED, ExitCode.USAGE, ExitCode.DRIFT, ExitCode.BLOCKED, ExitCode.OK)


class Standing(StrEnum):
    OK = "ok"
    FAILED = "failed"  # exit 1
    ERROR = "error"  # exit 2: unreachable, unusable, bad input for this database
    DRIFT = "drift"  # exit 3
    BLOCKED = "blocked"  # exit 4
    INTERRUPTED = "interrupted"  # Ctrl-C while it ran
    SKIPPED = "skipped"  # a replica, for apply and drop
    NOT_STARTED = "not started"  # the canary failed, --fail-fast, or Ctrl-C before it began


BY_CODE = {
    ExitCode.OK: Standing.OK,
    ExitCode.FAILED: Standing.FAILED,
    ExitCode.USAGE: Standing.ERROR,
    ExitCode.DRIFT: Standing.DRIFT,
    ExitCode.BLOCKED: Standing.BLOCKED,
}


def standing_of(exit_code: int) -> Standing:
    return BY_CODE.get(exit_code, Standing.FAILED)  # type: ignore[call-overload]


def worst(codes: list[int]) -> int:
    """The worst exit code by SEVERITY; a code outside it (none today) counts as FAILED."""
    if not codes:
        return int(ExitCode.OK)
    rank = {int(code): place for place, code in enumerate(SEVERITY)}
    return min(codes, key=lambda code: rank.get(code, 0))


@dataclass(frozen=True)
class Finished:
    """One single-database command's end on one target."""

    exit_code: int
    server: str = ""  # "18.1"
    detail: str = ""  # the command's conclusion: what changed, or what failed
    document: dict[str, Any] | None = None  # the command's own --format json document
    error: str | None = None  # the command's one-line error, when it raised one


@dataclass
class TargetRun:
    name: str
    role: str = "primary"
    canary: bool = False
    standing: Standing = Standing.NOT_STARTED
    exit_code: int | None = None  # None: it did not run
    error: str | None = None
    server: str = ""
    detail: str = ""
    seconds: float = 0.0
    document: dict[str, Any] | None = None
    check: Finished | None = None  # the canary's check, with --checks


@dataclass
class FleetRun:
    command: str
    runs: list[TargetRun] = field(default_factory=list)
    stopped: str | None = None  # why targets were not started
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """The worst target's exit code; targets left unstarted make it at least 1."""
        code = worst([r.exit_code for r in self.runs if r.exit_code is not None])
        if code == ExitCode.OK and any(r.standing is Standing.NOT_STARTED for r in self.runs):
            return int(ExitCode.FAILED)
        return code

    def count(self, standing: Standing) -> int:
        return sum(1 for r in self.runs if r.standing is standing)
