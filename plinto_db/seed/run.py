"""`plinto-db seed`: fill the 17 Plinto tables with realistic, deterministic data through COPY.

One transaction: check that the tables exist and are empty (or --reset), TRUNCATE them, then
COPY ... FREEZE each table in foreign-key order while Python generates the next chunk (a
writer thread ships the data, so generation overlaps the server's parsing and index work).
FREEZE sets the visibility map, so index-only scans behave as on a vacuumed production table;
an ANALYZE after the commit gives the planner its statistics. A failure leaves the database as
it was (the transaction rolls back, including the TRUNCATE).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from plinto_db.errors import ExitCode, PlintoError, UserError
from plinto_db.seed.checks import preflight
from plinto_db.seed.finish import finish
from plinto_db.seed.load import LoadProgress, load_tables
from plinto_db.seed.values import (  # re-exported: the documented key schemes
    external_id,
    invitee_email,
    org_slug,
    provider_user_id,
    token,
    user_email,
    username,
)
from plinto_db.seed.world import Sizes, TableSpec, build_world

__all__ = [
    "SeedResult",
    "TABLE_NAMES",
    "external_id",
    "invitee_email",
    "org_slug",
    "provider_user_id",
    "run_seed",
    "seed_anchor",
    "token",
    "user_email",
    "username",
]

DEFAULT_USERS = 50_000
DEFAULT_HISTORY = 16


def table_specs() -> tuple[TableSpec, ...]:
    """The 17 tables in foreign-key order (parents first)."""
    from plinto_db.seed.tables import core as seed_tables_core
    from plinto_db.seed.tables import events as seed_tables_events
    from plinto_db.seed.tables import tokens as seed_tables_tokens
    from plinto_db.seed.tables import webhooks as seed_tables_webhooks

    return (
        seed_tables_core.TABLES
        + seed_tables_tokens.TABLES
        + seed_tables_events.TABLES
        + seed_tables_webhooks.TABLES
    )


TABLE_NAMES: tuple[str, ...] = (
    "users",
    "organizations",
    "organization_members",
    "organization_invitations",
    "sessions",
    "magic_links",
    "password_resets",
    "email_verifications",
    "oauth_accounts",
    "passkeys",
    "activity_logs",
    "audit_logs",
    "webhook_endpoints",
    "webhook_events",
    "webhook_deliveries",
    "scim_resources",
    "policies",
)


@dataclass(frozen=True)
class SeedResult:
    rows: dict[str, int]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)  # phase -> seconds

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def seed_anchor(now: float | None = None) -> int:
    """The "now" all seeded times are relative to: the start of the current UTC hour.

    Two seeds in the same hour with the same --seed are byte-for-byte identical.
    """
    moment = int(time.time() if now is None else now)
    return moment - moment % 3600


def run_seed(
    dsn: str,
    *,
    users: int = DEFAULT_USERS,
    seed: int = 42,
    history_per_user: int = DEFAULT_HISTORY,
    reset: bool = False,
    progress: LoadProgress | None = None,
    now: int | None = None,
    vacuum: bool = True,
) -> SeedResult:
    """Seed the 17 tables; raise UserError for bad sizes, a missing schema or existing rows.

    `now` (epoch seconds) fixes the time anchor; default: the start of the current UTC hour.
    `vacuum`: finish with VACUUM (ANALYZE) (sets the visibility map of the few pages COPY
    FREEZE leaves unmarked; costs well under a second at 50k users), else ANALYZE only.
    `progress` follows the load (the command passes a bar on a terminal).
    """
    from plinto_db.pg.connect import connect

    sizes = _sizes(users, history_per_user)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    specs = table_specs()
    names = [spec.name for spec in specs]
    conn = connect(dsn, autocommit=False)
    try:
        preflight(conn, names, reset=reset)
        mark = time.perf_counter()
        world = build_world(seed, sizes, seed_anchor() if now is None else now)
        timings["world"] = time.perf_counter() - mark
        mark = time.perf_counter()
        bar = progress or LoadProgress()
        bar.expect(expected_rows(sizes, world))
        try:
            rows = load_tables(conn, specs, world, reset=reset, progress=bar, timings=timings)
            timings["copy"] = time.perf_counter() - mark
            mark = time.perf_counter()
            step = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
            bar.step(step)
            try:
                finish(dsn, names, vacuum=vacuum)
            except KeyboardInterrupt:  # the rows are committed: say so, and what is left
                raise PlintoError(
                    f"interrupted after the rows were committed: the seed is in, but its "
                    f"{step} did not finish; run ANALYZE before relying on plans",
                    ExitCode.INTERRUPTED,
                ) from None
        finally:
            bar.done()
        timings["vacuum_analyze" if vacuum else "analyze"] = time.perf_counter() - mark
    finally:
        conn.close()
    return SeedResult(rows=rows, seconds=time.perf_counter() - started, timings=timings)


def _sizes(users: int, history_per_user: int) -> Sizes:
    if users <= 0:
        raise UserError(f"--users must be a positive number of users, got {users}")
    if history_per_user < 0:
        raise UserError(f"--history-per-user must be 0 or more, got {history_per_user}")
    return Sizes(users=users, history_per_user=history_per_user)


def expected_rows(sizes: Sizes, world) -> dict[str, int]:
    """Rows per table the load will write, as far as they are known before it starts."""
    expected = sizes.table_rows()
    expected["organization_members"] = len(world.memberships)
    return expected
