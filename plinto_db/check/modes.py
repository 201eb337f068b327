"""The modes a check runs in, and the planner settings each one applies. Pure data.

natural: the plan chosen on the data present; forced: `enable_seqscan = off` (can an index
serve the query at all); generic: the plan for unknown parameter values; hypothetical: catalog
indexes not built yet, simulated with HypoPG.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from plinto_db.check.names import Names


class Mode(StrEnum):
    NATURAL = "natural"
    FORCED = "forced"
    GENERIC = "generic"
    HYPOTHETICAL = "hypothetical"


# Settings per mode, applied with SET LOCAL inside the rolled-back transaction.
MODE_SETTINGS: dict[Mode, tuple[tuple[str, str], ...]] = {
    Mode.NATURAL: (("plan_cache_mode", "force_custom_plan"),),
    Mode.HYPOTHETICAL: (("plan_cache_mode", "force_custom_plan"),),
    Mode.FORCED: (
        ("plan_cache_mode", "force_custom_plan"),
        ("enable_seqscan", "off"),
        ("jit", "off"),  # the 1e10 disable penalty (before PG18) would otherwise switch JIT on
    ),
    Mode.GENERIC: (("plan_cache_mode", "force_generic_plan"),),
}
# what a check on a tiny table adds to its run's mode (the plan cache mode stays the run's)
FORCED_SETTINGS = tuple(kv for kv in MODE_SETTINGS[Mode.FORCED] if kv[0] != "plan_cache_mode")

# a table with fewer pages is read faster sequentially than through any index: the planner's
# natural choice there says nothing about the index (seq cost ~ pages; an index probe ~ 4-8)
TINY_TABLE_PAGES = 10


def parse_mode(name: str | Mode) -> Mode | None:
    """The mode a user named (any case), or None when there is no such mode."""
    try:
        return Mode(str(name).lower())
    except ValueError:
        return None


@dataclass(frozen=True)
class RunOptions:
    mode: Mode
    analyze: bool = False
    statement_timeout_ms: int = 30_000
    lock_timeout_ms: int = 2_000
    forced_checks: frozenset[str] = frozenset()  # checks to run forced (tiny tables)
    forced_reasons: dict[str, str] = field(default_factory=dict)
    # forced mode: the server's naming, to hide indexes competing on the expected one's table
    names: Names = field(default_factory=Names)
    read_only: bool = False  # a hot standby: nothing can be hidden
    max_hidden: int = 6
