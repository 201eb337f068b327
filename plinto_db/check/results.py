"""What a `check` run produces, step by step: the server's plan for each check (Explained), the
verdict on it (CheckResult), what the catalog's indexes are proven by (IndexCoverage), and the
whole run (CheckRun) that every renderer takes. Pure data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from plinto_db.check.display import shown
from plinto_db.check.judge import Verdict
from plinto_db.check.modes import TINY_TABLE_PAGES, Mode
from plinto_db.check.names import QName
from plinto_db.check.planwalk import PlanNode
from plinto_db.check.workload import Check
from plinto_db.pg.identifiers import quote_ident


@dataclass(frozen=True)
class Explained:
    """What the server said about one check."""

    check: Check
    mode: Mode
    plan: Any | None  # the decoded EXPLAIN (FORMAT JSON) document
    error: str | None = None
    notes: tuple[str, ...] = ()
    values: tuple[str, ...] = ()  # the parameter values used, as SQL literals
    analyzed: bool = False
    error_line: int | None = None  # where an error points: the sample query or the statement


@dataclass(frozen=True)
class CheckResult:
    check: Check
    mode: Mode
    verdict: Verdict
    used: tuple[str, ...]
    scans: tuple[str, ...]
    estimated_rows: float | None
    reasons: tuple[str, ...]  # one per failed expectation, or the error
    notes: tuple[str, ...]
    plan: Any | None
    plan_text: str
    analyze: Mapping[str, float | None] | None = None
    nodes: tuple[PlanNode, ...] = ()  # the plan's nodes, names resolved (partitions, HypoPG)
    error_line: int | None = None  # an error's line (statement or sample), else None
    # the indexes this result proves for coverage: used to filter or to order by a passing
    # plan (in forced mode, only those the check names)
    proves: tuple[QName, ...] = ()
    serving: tuple[QName, ...] = ()  # every index the plan uses to filter or to order

    @property
    def line(self) -> int:
        """Where a report points: an error at its statement (or sample), else the expectation."""
        return self.error_line or self.check.line

    @property
    def location(self) -> str:
        return f"{self.check.file}:{self.line}"

    @property
    def shown_used(self) -> tuple[str, ...]:
        """The indexes used, as messages show them (quoted, qualified outside `public`)."""
        names = (shown(n.schema, n.index) for n in self.nodes if n.uses_index and n.index)
        return tuple(dict.fromkeys(names))

    @property
    def message(self) -> str:
        head = "; ".join(self.reasons) if self.reasons else "ok"
        return head + (f" [{'; '.join(self.notes)}]" if self.notes else "")


class CoverageState(StrEnum):
    PROVEN = "proven"
    UNPROVEN = "unproven"


@dataclass(frozen=True)
class IndexCoverage:
    name: str
    table: str
    state: CoverageState
    reason: str
    proven_by: tuple[str, ...]
    file: str
    line: int
    size_bytes: int | None = None  # on disk, when the index is built
    schema: str | None = None  # the index's and its table's; None: the table was not found

    @property
    def shown_index(self) -> str:
        return quote_ident(self.name)

    @property
    def shown_table(self) -> str:
        """The table as messages show it: quoted as needed, qualified outside `public`."""
        return shown(self.schema, self.table)


@dataclass(frozen=True)
class CheckRun:
    """Everything one `check` run found, ready for any renderer."""

    mode: Mode
    analyze: bool
    server: str
    target: str
    checks_dir: str
    indexes_dir: str | None
    results: tuple[CheckResult, ...]
    coverage: tuple[IndexCoverage, ...]
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.verdict is not Verdict.PASS)

    @property
    def unproven(self) -> tuple[IndexCoverage, ...]:
        return tuple(c for c in self.coverage if c.state is CoverageState.UNPROVEN)

    @property
    def modes(self) -> dict[str, int]:
        """How many checks ran in each mode, the run's own mode first."""
        counts = {self.mode.value: 0}
        for result in self.results:
            counts[result.mode.value] = counts.get(result.mode.value, 0) + 1
        return counts

    @property
    def switched_to_forced(self) -> int:
        """Checks a non-forced run ran forced: their tables were under TINY_TABLE_PAGES."""
        if self.mode is Mode.FORCED:
            return 0
        return sum(1 for r in self.results if r.mode is Mode.FORCED)

    def modes_text(self) -> str:
        """e.g. `52 natural, 3 forced: tables under 10 pages`."""
        text = ", ".join(f"{count} {mode}" for mode, count in self.modes.items())
        if self.switched_to_forced:
            text += f": tables under {TINY_TABLE_PAGES} pages"
        return text
