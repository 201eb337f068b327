"""`plinto-db apply`, `status`, `drop`, `history`: the index catalog on a live database."""

from pathlib import Path
from typing import Annotated

import typer

from plinto_db import report
from plinto_db.commands.common import (
    DataDirOption,
    DsnOption,
    FleetOptions,
    FormatOption,
    answered_yes,
    ask_to_drop_on_targets,
    run_fleet,
    with_fleet_options,
)
from plinto_db.errors import ExitCode, PlintoError

IndexesOption = Annotated[
    Path | None,
    typer.Option(
        "--indexes",
        help="Folder of .sql files (or one .sql file) of CREATE INDEX statements. "
        "Default: ./indexes, then the bundled catalog.",
        show_default=False,
    ),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        help='Only this catalog index (repeatable). Names read as in SQL: Idx is idx, "Idx" keeps '
        "its case.",
        show_default=False,
    ),
]
TableOption = Annotated[
    list[str] | None,
    typer.Option(
        "--table",
        help="Only indexes on this table: TABLE (found through the search_path) or "
        'SCHEMA.TABLE, read as in SQL (Shop.Orders is shop.orders; "Shop"."Orders" keeps its '
        "case). Repeatable.",
        show_default=False,
    ),
]
LockTimeoutOption = Annotated[
    str,
    typer.Option(
        "--lock-timeout",
        metavar="SECONDS",
        help="How long a short step (drop, rename, analyze) waits for its lock before it is "
        "retried: seconds, or with a unit (500ms, 2s). Builds themselves never use it.",
    ),
]
RetriesOption = Annotated[
    int,
    typer.Option("--retries", help="Retries of a short step after a lock timeout.", min=0),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the plan with its exact SQL and stop.")
]
ReplaceDriftedOption = Annotated[
    bool,
    typer.Option(
        "--replace-drifted",
        help="Rebuild indexes whose definition differs from the catalog: build the new one "
        "under a temporary name, swap the names, drop the old one, all concurrently.",
    ),
]
JobsOption = Annotated[
    int, typer.Option("--jobs", "-j", help="Builds in parallel, never two on one table.", min=1)
]
BuildTimeoutOption = Annotated[
    str | None,
    typer.Option(
        "--build-timeout",
        metavar="SECONDS",
        help="Cancel a build that runs or waits longer than this (seconds, or with a unit: "
        "90s, 30min), drop its invalid leftover, exit 4. Default: no limit.",
        show_default=False,
    ),
]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="Wait for another apply on this database to finish.")
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
LimitOption = Annotated[int, typer.Option("--limit", help="Newest entries to show.", min=1)]


@with_fleet_options(canary=True)
def apply(
    indexes: IndexesOption = None,
    only: OnlyOption = None,
    table: TableOption = None,
    dry_run: DryRunOption = False,
    replace_drifted: ReplaceDriftedOption = False,
    jobs: JobsOption = 1,
    lock_timeout: LockTimeoutOption = "5s",
    retries: RetriesOption = 5,
    build_timeout: BuildTimeoutOption = None,
    wait: WaitOption = False,
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = report.OutputFormat.table,
    *,
    fleet_options: FleetOptions,
) -> None:
    """Create the catalog's indexes concurrently: idempotent, self-healing, observable.

    Exit codes: 0 converged; 1 a build failed; 2 bad input; 3 drift refused; 4 blocked,
    timed out, or another apply holds the lock.
    """
    from plinto_db.apply.run import ApplyRequest, run_apply
    from plinto_db.commands.common import target_dsn
    from plinto_db.report.apply import render_apply
    from plinto_db.report.progress import apply_events

    request = ApplyRequest(
        indexes=indexes,
        only=tuple(only or ()),
        tables=tuple(table or ()),
        dry_run=dry_run,
        replace_drifted=replace_drifted,
        wait_for_lock=wait,
        jobs=jobs,
        lock_timeout=_positive(lock_timeout, "--lock-timeout"),
        retries=retries,
        build_timeout=_positive(build_timeout, "--build-timeout") if build_timeout else None,
    )
    fleet = fleet_options()
    if fleet:
        from plinto_db.fleet.jobs import apply_job

        run_fleet(apply_job(request), fleet, fmt, indexes=indexes)
    quiet = fmt == report.OutputFormat.json
    try:
        with apply_events(fmt, live=not dry_run) as events:
            result = run_apply(
                request,
                lambda: target_dsn(dsn, data_dir, quiet=quiet),
                events=events,
                note=None if quiet else report.note,
            )
    except KeyboardInterrupt:  # outside the builds (those end with a report): exit 1
        raise PlintoError(
            "interrupted; `plinto-db status` shows where the indexes stand",
            exit_code=ExitCode.FAILED,
        ) from None
    render_apply(result, fmt)
    raise typer.Exit(int(result.exit_code))


@with_fleet_options()
def status(
    indexes: IndexesOption = None,
    only: OnlyOption = None,
    table: TableOption = None,
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = report.OutputFormat.table,
    *,
    fleet_options: FleetOptions,
) -> None:
    """Every catalog index with its state (valid, missing, invalid, building, drifted), size
    and scans, plus the indexes on catalog tables that the catalog does not know.

    Exit code 0 when every catalog index is valid, 1 otherwise.
    """
    from plinto_db.apply.run import load
    from plinto_db.apply.status import read_status
    from plinto_db.commands.common import target_dsn
    from plinto_db.report.status import render_status
    from plinto_db.resources import resolve_dir

    specs = load(resolve_dir("indexes", indexes), only, table)
    fleet = fleet_options()
    if fleet:
        from plinto_db.fleet.jobs import status_job

        run_fleet(status_job(specs, table), fleet, fmt)
    target = target_dsn(dsn, data_dir, quiet=fmt == report.OutputFormat.json)
    found = read_status(target, specs, table)
    render_status(list(found.rows), fmt, found.server)
    raise typer.Exit(int(ExitCode.OK if found.all_valid else ExitCode.FAILED))


@with_fleet_options(canary=True)
def drop(
    indexes: IndexesOption = None,
    only: OnlyOption = None,
    table: TableOption = None,
    yes: YesOption = False,
    lock_timeout: LockTimeoutOption = "5s",
    retries: RetriesOption = 5,
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = report.OutputFormat.table,
    *,
    fleet_options: FleetOptions,
) -> None:
    """DROP INDEX CONCURRENTLY the catalog's indexes (all, or --only / --table)."""
    from plinto_db.apply.drop import drop_catalog
    from plinto_db.apply.executor import ExecOptions
    from plinto_db.apply.run import load
    from plinto_db.commands.common import target_dsn
    from plinto_db.report.apply import render_drop
    from plinto_db.resources import resolve_dir

    specs = load(resolve_dir("indexes", indexes), only, table)
    fleet = fleet_options()
    if fleet:
        from plinto_db.fleet.jobs import drop_job

        job = drop_job(specs, table, _positive(lock_timeout, "--lock-timeout"), retries)
        run_fleet(job, fleet, fmt, indexes=indexes, confirm=None if yes else ask_to_drop_on_targets)
    target = target_dsn(dsn, data_dir, quiet=fmt == report.OutputFormat.json)
    options = ExecOptions(
        dsn=target,
        lock_timeout=_positive(lock_timeout, "--lock-timeout"),
        retries=retries,
        application_name="plinto-db drop",
    )
    confirm = _always if yes else _ask
    result = drop_catalog(target, specs, options=options, confirm=confirm, tables=table)
    render_drop(result, fmt)
    raise typer.Exit(int(result.exit_code))


def _positive(text: str, option: str) -> float:
    from plinto_db.commands.durations import seconds
    from plinto_db.errors import UserError

    value = seconds(text, option)
    if value < 0.001:
        raise UserError(f"{option} {text}: give a duration of at least 1ms")
    return value


def _always(names: list[str]) -> bool:
    return True


def _ask(names: list[str]) -> bool:
    if not names:
        return True
    report.note(f"about to DROP INDEX CONCURRENTLY {len(names)} index(es): {', '.join(names)}")
    return answered_yes("Drop them? [y/N]: ")


@with_fleet_options()
def history(
    limit: LimitOption = 50,
    dsn: DsnOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = report.OutputFormat.table,
    *,
    fleet_options: FleetOptions,
) -> None:
    """What apply and drop did on this database: when, index, action, outcome, duration,
    server and tool versions (from the ledger table plinto_db.apply_ledger)."""
    from plinto_db.apply.ledger import read_history
    from plinto_db.commands.common import target_dsn
    from plinto_db.report.status import render_history

    fleet = fleet_options()
    if fleet:
        from plinto_db.fleet.jobs import history_job

        run_fleet(history_job(limit), fleet, fmt)
    target = target_dsn(dsn, data_dir, quiet=fmt == report.OutputFormat.json)
    render_history(read_history(target, limit), fmt, limit)


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)
    app.command("status")(status)
    app.command("drop")(drop)
    app.command("history")(history)
