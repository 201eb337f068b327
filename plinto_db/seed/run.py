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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from plinto_db.errors import UserError
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

LOCK_TIMEOUT = "10s"
DEFAULT_USERS = 50_000
DEFAULT_HISTORY = 16

Q_FOREIGN_KEYS = """
SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
WHERE con.contype = 'f' AND con.conrelid = ANY (
  SELECT to_regclass(quote_ident(t)) FROM unnest(%s::text[]) AS t)
ORDER BY c.relname, con.conname
"""
Q_NOT_OWNED = """
SELECT c.relname, pg_get_userbyid(c.relowner)
FROM unnest(%s::text[]) WITH ORDINALITY AS t(name, n)
JOIN pg_class c ON c.oid = to_regclass(quote_ident(t.name))
WHERE NOT pg_has_role(current_user, c.relowner, 'USAGE')
ORDER BY t.n
"""
Q_MISSING_TABLES = """
SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass(quote_ident(t)) IS NULL
"""


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
    progress: bool = False,
    now: int | None = None,
    vacuum: bool = True,
) -> SeedResult:
    """Seed the 17 tables; raise UserError for bad sizes, a missing schema or existing rows.

    `now` (epoch seconds) fixes the time anchor; default: the start of the current UTC hour.
    `vacuum`: finish with VACUUM (ANALYZE) (sets the visibility map of the few pages COPY
    FREEZE leaves unmarked; costs well under a second at 50k users), else ANALYZE only.
    """
    if users <= 0:
        raise UserError(f"--users must be a positive number of users, got {users}")
    if history_per_user < 0:
        raise UserError(f"--history-per-user must be 0 or more, got {history_per_user}")
    import psycopg

    from plinto_db.pg.connect import connect

    started = time.perf_counter()
    timings: dict[str, float] = {}
    specs = table_specs()
    names = [spec.name for spec in specs]
    conn = connect(dsn, autocommit=False)
    try:
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")  # for the session, not a LOCAL
        conn.commit()
        _require_schema(conn, names)
        _require_ownership(conn, names)
        try:
            occupied = _occupied_tables(conn, names)  # waits behind e.g. a seed in progress
        except psycopg.errors.LockNotAvailable:
            raise UserError(_lock_message()) from None
        conn.rollback()
        if occupied and not reset:
            raise UserError(_occupied_message(occupied, names))
        sizes = Sizes(users=users, history_per_user=history_per_user)
        mark = time.perf_counter()
        world = build_world(seed, sizes, seed_anchor() if now is None else now)
        timings["world"] = time.perf_counter() - mark
        expected = sizes.table_rows()
        expected["organization_members"] = len(world.memberships)
        rows: dict[str, int] = {}
        mark = time.perf_counter()
        with _Progress(progress, sum(expected.values())) as bar:
            try:
                with conn.transaction():
                    conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                    _lock_tables(conn, names)
                    if not reset:  # again, now that nobody can write: rows may have come
                        occupied = _occupied_tables(conn, names)
                        if occupied:
                            raise UserError(_occupied_message(occupied, names))
                    _truncate(conn, names)
                    foreign_keys = _drop_foreign_keys(conn, names)
                    for spec in specs:
                        bar.describe(spec.name)
                        table_started = time.perf_counter()
                        rows[spec.name] = _copy_table(conn, spec, world, bar.advance)
                        timings[f"copy {spec.name}"] = time.perf_counter() - table_started
                    table_started = time.perf_counter()
                    bar.table = None
                    _restore_foreign_keys(conn, foreign_keys)
                    timings["foreign keys"] = time.perf_counter() - table_started
            except psycopg.errors.LockNotAvailable:
                raise UserError(_lock_message()) from None
            except UserError:
                raise
            except psycopg.Error as exc:  # a constraint or column we do not know, a lost server
                raise UserError(_load_failure(exc, bar.table)) from None
        timings["copy"] = time.perf_counter() - mark
        mark = time.perf_counter()
        try:
            finish_tables(dsn, names, vacuum=vacuum)
        except psycopg.Error as exc:
            step = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
            reason = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
            raise UserError(
                f"the rows are in, but {step} of the seed tables failed: {reason}; "
                "run it again before relying on plans"
            ) from None
        timings["vacuum_analyze" if vacuum else "analyze"] = time.perf_counter() - mark
    finally:
        conn.close()
    return SeedResult(rows=rows, seconds=time.perf_counter() - started, timings=timings)


def finish_tables(dsn: str, names: Sequence[str], *, vacuum: bool = True, workers: int = 2) -> None:
    """VACUUM (ANALYZE) (or ANALYZE) each table, on `workers` connections at once.

    The tables are handed out largest first, so the two server processes finish together.
    """
    import threading

    from psycopg import sql

    from plinto_db.pg.connect import connect

    statement = sql.SQL("VACUUM (ANALYZE) {}" if vacuum else "ANALYZE {}")
    connections = [connect(dsn) for _ in range(max(1, workers))]
    for conn in connections:  # never wait forever behind another session's lock
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    try:
        sizes = dict(
            connections[0]
            .execute(
                "SELECT t, pg_relation_size(to_regclass(quote_ident(t))) "
                "FROM unnest(%s::text[]) AS t",
                (list(names),),
            )
            .fetchall()
        )
        queue = sorted(names, key=lambda name: -sizes[name])
        lock = threading.Lock()
        errors: list[BaseException] = []

        def work(conn) -> None:
            while True:
                with lock:
                    if not queue or errors:
                        return
                    name = queue.pop(0)
                try:
                    conn.execute(statement.format(sql.Identifier(name)))
                except BaseException as exc:  # re-raised in the caller's thread
                    errors.append(exc)
                    return

        threads = [threading.Thread(target=work, args=(c,)) for c in connections]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
    finally:
        for conn in connections:
            conn.close()


def _require_schema(conn, names: Sequence[str]) -> None:
    missing = [row[0] for row in conn.execute(Q_MISSING_TABLES, (list(names),))]
    if missing:
        raise UserError(
            f"the Plinto schema is missing (no table {_some(missing)}); "
            "run `plinto-db migrate` first"
        )


def _require_ownership(conn, names: Sequence[str]) -> None:
    """Seeding truncates the tables and drops and re-adds their foreign keys: owners only."""
    rows = conn.execute(Q_NOT_OWNED, (list(names),)).fetchall()
    if rows:
        owners = sorted({owner for _, owner in rows})
        raise UserError(
            f"seeding needs to own the seed tables: user {conn.info.user!r} does not own "
            f"{_some([table for table, _ in rows])}; connect as {' or '.join(map(repr, owners))} "
            "(or a member of that role)"
        )


def _load_failure(exc, table: str | None) -> str:
    """One line for a failed load; the transaction rolled back, so nothing changed."""
    import psycopg

    text = str(exc).strip()
    reason = (
        exc.diag.message_primary or (text.splitlines()[0] if text else type(exc).__name__)
    ).strip()
    where = f" while loading {table}" if table else ""
    if isinstance(exc, psycopg.errors.OperationalError):
        return f"seeding failed{where}: {reason} (nothing was changed)"
    return (
        f"the database refused the seed data{where}: {reason}; the tables differ from "
        "revision 0001 of the Plinto schema (nothing was changed)"
    )


def _some(names: Sequence[str], shown: int = 4) -> str:
    text = ", ".join(names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _occupied_tables(conn, names: Sequence[str]) -> list[str]:
    from psycopg import sql

    query = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {name} FROM (SELECT 1 FROM {table} LIMIT 1) AS x").format(
            name=sql.Literal(name), table=sql.Identifier(name)
        )
        for name in names
    )
    return [row[0] for row in conn.execute(query)]


def _lock_message() -> str:
    return f"could not lock the tables to seed within {LOCK_TIMEOUT}: another session is using them"


def _occupied_message(occupied: Sequence[str], names: Sequence[str]) -> str:
    return (
        f"the database already holds rows ({_some(occupied)}); "
        f"pass --reset to truncate the {len(names)} seed tables first"
    )


def _lock_tables(conn, names: Sequence[str]) -> None:
    """ACCESS EXCLUSIVE on the seed tables (what TRUNCATE takes), before looking at them."""
    import psycopg
    from psycopg import sql

    try:
        conn.execute(
            sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                sql.SQL(", ").join(sql.Identifier(n) for n in names)
            )
        )
    except psycopg.errors.LockNotAvailable:
        raise
    except psycopg.Error as exc:
        reason = exc.diag.message_primary or str(exc)
        raise UserError(f"cannot lock the seed tables: {reason}") from None


def _truncate(conn, names: Sequence[str]) -> None:
    import psycopg
    from psycopg import sql

    try:
        conn.execute(
            sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.Identifier(n) for n in names))
        )
    except psycopg.errors.LockNotAvailable:
        raise
    except psycopg.Error as exc:
        reason = exc.diag.message_primary or str(exc)
        raise UserError(f"cannot empty the seed tables: {reason}") from None


def _drop_foreign_keys(conn, names: Sequence[str]) -> list[tuple[str, str, str]]:
    """Drop the tables' foreign keys for the load; _restore_foreign_keys re-adds them.

    Re-adding a foreign key validates every row with one anti-join, much cheaper than a
    trigger query per inserted row (the way pg_restore loads), and it leaves the parent rows
    unlocked, so their pages stay all-visible. Same transaction: nothing changes on failure.
    """
    import psycopg
    from psycopg import sql

    keys = [tuple(row) for row in conn.execute(Q_FOREIGN_KEYS, (list(names),))]
    for table, name, _definition in keys:
        try:
            conn.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.Identifier(table), sql.Identifier(name)
                )
            )
        except psycopg.errors.InsufficientPrivilege:
            raise UserError(
                f"seeding needs to own the seed tables (it cannot alter table {table}); "
                "connect as the schema owner"
            ) from None
    return keys


def _restore_foreign_keys(conn, keys: Sequence[tuple[str, str, str]]) -> None:
    from psycopg import sql

    for table, name, definition in keys:
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
            )
        )


def _copy_table(conn, spec: TableSpec, world, advance: Callable[[int], None]) -> int:
    from psycopg import sql
    from psycopg.copy import QueuedLibpqWriter

    options = "FORMAT binary, FREEZE" if spec.binary else "FREEZE"
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (" + options + ")").format(
        sql.Identifier(spec.name), sql.SQL(", ").join(sql.Identifier(c) for c in spec.columns)
    )
    count = 0
    with conn.cursor() as cur:
        with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
            for text, n in spec.generate(world):
                copy.write(text)
                count += n
                advance(n)
    return count


class _Progress:
    """A rich progress bar on stderr when asked for; a no-op otherwise."""

    def __init__(self, enabled: bool, total: int):
        self.enabled = enabled
        self.total = total
        self._progress = None
        self._task = None
        self.table: str | None = None  # the table being loaded, for error messages

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            from plinto_db import report

            self._progress = Progress(
                TextColumn("seeding {task.description:<26}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=report.stderr(),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("", total=self.total)
        return self

    def describe(self, table: str) -> None:
        self.table = table
        if self._progress is not None:
            self._progress.update(self._task, description=table)

    def advance(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)
