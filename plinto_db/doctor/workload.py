"""What the workload (checks/) says about the catalog's indexes, as doctor needs it.

The command runs check's use case and hands its coverage here; doctor itself never imports
check/ (see commands/doctor.py). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from plinto_db.doctor.model import Unproven


@dataclass(frozen=True)
class WorkloadResult:
    """None of `unproven` when the workload could not run; `note` says why or how it ran."""

    unproven: tuple[Unproven, ...] | None
    note: str
    checks_dir: str | None = None
    mode: str | None = None
    proven: int = 0


def from_coverage(
    coverage: Iterable[Any], *, checks_dir: str, mode: str, catalog: Iterable[Any] = ()
) -> WorkloadResult:
    """check's IndexCoverage items (name, table, state, reason, file, line) -> doctor's view."""
    schemas = {spec.name: spec.schema for spec in catalog}
    items = tuple(coverage)
    unproven = tuple(
        Unproven(schemas.get(c.name), c.name, c.table, c.reason, str(c.file), c.line)
        for c in items
        if str(getattr(c.state, "value", c.state)) == "unproven"
    )
    proven = len(items) - len(unproven)
    note = f"workload {checks_dir} ({mode} mode): {proven} of {len(items)} catalog indexes proven"
    return WorkloadResult(unproven, note, checks_dir, mode, proven)


def unavailable(reason: str) -> WorkloadResult:
    return WorkloadResult(None, reason)
