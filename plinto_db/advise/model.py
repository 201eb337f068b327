"""What `advise` produces: proposals with their evidence, the checks it looked at, and the run.

Pure data: every renderer (text, JSON, Markdown) and the catalog writer take an AdviseRun.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from plinto_db.advise.candidates import Candidate

DEFAULT_MIN_GAIN = 0.5  # Dexter's bar: a candidate must at least halve the query's cost
DEFAULT_MIN_PAGES = 10  # check's tiny-table bound: below it a sequential scan is right
NEAR_BEST = 1.25  # a candidate within 25 % of the best cost for a query still serves it
NEAR_SHARE = 0.05  # ... or within 5 % of the query's cost today


def cost_text(cost: float | None) -> str:
    if cost is None:
        return "?"
    return "forced seq scan" if math.isinf(cost) else f"{cost:,.0f}"


@dataclass(frozen=True)
class Served:
    """One check an index serves: its cost before and with the index (before is infinite
    for a check on a tiny table, planned forced: a sequential scan it must not use)."""

    check: str
    before: float
    after: float

    @property
    def gain(self) -> float:
        return 1 - self.after / self.before if self.before > 0 else 0.0


@dataclass(frozen=True)
class Proposal:
    name: str
    candidate: Candidate
    serves: tuple[Served, ...]
    size_bytes: int | None  # HypoPG's estimate, or the trial build's size
    # checks whose plan uses it without it halving their cost (plans it takes over)
    also_used_by: tuple[str, ...] = ()

    @property
    def sql(self) -> str:
        return self.candidate.create_sql(self.name)


@dataclass(frozen=True)
class Target:
    """A check advise looked at, and why; what came of it."""

    check: str
    file: str
    why: str  # "fails: ...", "reads users (1,234 pages) sequentially"
    cost: float | None = None  # today's plan cost
    outcome: str = ""  # "served by adv_x (1234 -> 8)", "no candidate halves its cost", ...


@dataclass(frozen=True)
class ExpectChange:
    check: str
    file: str
    line: int
    old: tuple[str, ...]
    new: tuple[str, ...]
    written: bool
    why: str = ""  # why it was not written


@dataclass
class AdviseRun:
    server: str
    target: str
    method: str  # "HypoPG 1.4.1" | "trial builds"
    checks_dir: str
    min_gain: float
    proposals: tuple[Proposal, ...] = ()
    targets: tuple[Target, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (check, why it was not looked at)
    expect_changes: tuple[ExpectChange, ...] = ()
    written: str | None = None  # the catalog file written
    notes: list[str] = field(default_factory=list)
    checks_total: int = 0
    candidates_costed: int = 0
    seconds: float = 0.0

    @property
    def total_size(self) -> int:
        return sum(p.size_bytes or 0 for p in self.proposals)
